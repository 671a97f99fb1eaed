#!/usr/bin/env bash
# Sets up, builds and tests alvk from a fresh clone (scripts/setup.sh), then
# runs every test under the Khronos validation layer and the consumption
# tests. This is what CI runs (.ci/run).
#   BUILD_DIR=build   where to build
set -euo pipefail
. "$(dirname "$0")/setup.sh"

echo "== tests (validation layer on)"
(cd "$build" && ALVK_VALIDATION=1 ctest --output-on-failure)
tested=$(date +%s)
echo "== tests took $((tested - built)) s"

echo "== consumption tests: subdirectory, find_package, pkg-config"
ALVK_VALIDATION=1 bash scripts/consume.sh "$build"
echo "== consumption tests took $(( $(date +%s) - tested )) s"
