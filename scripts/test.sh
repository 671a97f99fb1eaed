#!/usr/bin/env bash
# Sets up, builds and tests alvk from a fresh clone (scripts/setup.sh), then
# runs every test under the Khronos validation layer, the consumption tests,
# and a second, small build with alvk's own Vulkan loader instead of volk.
# This is what CI runs (.ci/run).
#   BUILD_DIR=build   where to build (the second build: BUILD_DIR-own-loader)
set -euo pipefail
. "$(dirname "$0")/setup.sh"

echo "== tests (validation layer on)"
(cd "$build" && ALVK_VALIDATION=1 ctest --output-on-failure)
tested=$(date +%s)
echo "== tests took $((tested - built)) s"

echo "== consumption tests: subdirectory, find_package, pkg-config"
ALVK_VALIDATION=1 bash scripts/consume.sh "$build"
consumed=$(date +%s)
echo "== consumption tests took $((consumed - tested)) s"

# alvk's own loader (-DALVK_VOLK=OFF: what builds where volk is not
# packaged) opens contexts and runs kernels as volk's does: the context and
# dispatch suites, under validation.
own=${build}-own-loader
echo "== alvk's own Vulkan loader ($own): build, context and dispatch suites"
cmake -S . -B "$own" -DCMAKE_BUILD_TYPE=Release -DALVK_WERROR=ON -DALVK_VOLK=OFF -DALVK_MPI=OFF \
      -DALVK_EXAMPLES=OFF >/dev/null
cmake --build "$own" -j"$(nproc)" --target alvk-tests
for suite in context dispatch; do
  (cd "$own" && ALVK_VALIDATION=1 XDG_CACHE_HOME="$PWD/test-cache" ./alvk-tests --filter "$suite/*" --jobs 1)
done
echo "== own-loader build and tests took $(( $(date +%s) - consumed )) s"
