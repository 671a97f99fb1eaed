#!/usr/bin/env bash
# The main job from a fresh clone: set up and build (scripts/setup.sh), then
# `alvk run --preset demo`: every strategy of the notebook on a small pool,
# under 5 minutes on lavapipe with 2 cores. Results, summary, the two plots
# and report.html (all of it in one page) land in out/demo/ (an interrupted
# demo continues where it stopped).
#   BUILD_DIR=build   where to build
set -euo pipefail
. "$(dirname "$0")/setup.sh"

if [ -f out/demo/state.txt ]; then
  "$build/alvk" run --resume out/demo
else
  mkdir -p out
  "$build/alvk" run --preset demo --out out/demo
fi
echo "== report: out/demo/report.html (summary and both plots; open it in a browser)"
