#!/usr/bin/env bash
# The main job from a fresh clone: set up and build (scripts/setup.sh), then
# `alvk run --preset demo`: every strategy of the notebook on a small pool,
# about 10 minutes on lavapipe with 2 cores. Results, summary and the two
# plots land in out/demo/ (an interrupted demo continues where it stopped).
#   BUILD_DIR=build   where to build
set -euo pipefail
. "$(dirname "$0")/setup.sh"

if [ -f out/demo/state.txt ]; then
  "$build/alvk" run --resume out/demo
else
  mkdir -p out
  "$build/alvk" run --preset demo --out out/demo
fi
echo "== plots: out/demo/accuracy.svg and out/demo/labels_needed.svg (open them in a browser)"
