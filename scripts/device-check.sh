#!/usr/bin/env bash
# The device check: on a machine with a GPU (or any Vulkan device), sets up
# and builds alvk (scripts/setup.sh installs the packages as root), runs the
# tests under validation, then the benchmarks, and writes their JSON:
#   OUT/devices.json   alvk devices --json
#   OUT/bench.json     alvk-bench --json (every kernel, checked against references)
#   OUT/compare.json   benchmarks/compare.sh --json (alvk and PyTorch side by side)
#   OUT=out/device-check   where to write them (default)
#   ALVK_DEVICE=N|name     which device alvk uses (default: the best it finds)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-out/device-check}
mkdir -p "$out"
. scripts/setup.sh
./"$build"/alvk devices --json > "$out/devices.json"
cat "$out/devices.json"
(cd "$build" && ALVK_VALIDATION=1 ctest --output-on-failure) | tee "$out/tests.log"
./"$build"/alvk-bench --json > "$out/bench.json"
BUILD_DIR=$build bash benchmarks/compare.sh --json > "$out/compare.json"
echo "device check written to $out/"
