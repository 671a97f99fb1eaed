#!/usr/bin/env bash
# The device check: on a machine with a GPU (or any Vulkan device), sets up
# and builds alvk (scripts/setup.sh installs the packages as root), runs the
# tests under validation, then the benchmarks, and writes what they print:
#   OUT/devices.json   alvk devices --json
#   OUT/e2e.json       alvk-e2e --json: training, evaluation, adversarial images/s
#   OUT/compare.json   benchmarks/compare.sh --json (alvk and PyTorch side by
#                      side; PyTorch on CUDA where it sees a GPU)
#   OUT/profile.txt    ALVK_PROFILE=1 alvk-e2e: where a step's time goes, per op,
#                      after every kernel race's times (ALVK_LOG=info, a cache
#                      of its own so the races run there)
#   OUT/bench.json     alvk-bench --json --dispatches (every kernel, checked
#                      against the references)
#   OUT/tests.log      the test suites under the validation layer
#   OUT/summary.txt    each step's exit status and seconds
# (a step's stderr goes to the console, its last lines only).
# A machine that can reach no package registry runs the prebuilt kit that
# scripts/device-bundle.sh packs into .devkit/ instead of building. Each
# step has a time limit and a failed step does not stop the later ones.
#   OUT=out/device-check   where to write (default)
#   ALVK_DEVICE=N|name     which device alvk uses (default: the best it finds)
#   STEP_LIMIT=300         seconds each step may run
#   TESTS='@(ops_gemm|graph)/*'  only the test suites matching this pattern
#                          (Criterion's --filter, without single quotes; the
#                          prebuilt kit only)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-out/device-check}
limit=${STEP_LIMIT:-300}
mkdir -p "$out"
out=$(cd "$out" && pwd)
errs=$(mktemp -d)
trap 'rm -rf "$errs"' EXIT
export XDG_CACHE_HOME=${XDG_CACHE_HOME:-$errs/cache}

if [ -d .devkit ]; then
  build=.devkit/bin tests=".devkit/bin/alvk-tests --jobs $(nproc)${TESTS:+ --filter '$TESTS'}"
  export LD_LIBRARY_PATH=$PWD/.devkit/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export VK_LAYER_PATH=$PWD/.devkit/layers ALVK_DATA=$PWD/.devkit/mnist
  # NVIDIA's Vulkan driver (libGLX_nvidia) needs libglvnd's dispatch
  # libraries, which a bare CUDA image may lack.
  if ! ldconfig -p | grep -c libGLdispatch.so.0 >/dev/null && [ "$(id -u)" = 0 ]; then
    for f in .devkit/glvnd/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  # NVIDIA's driver mounted where the loader does not look by default.
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; do
    [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ] && export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
  done
else
  set -e
  . scripts/setup.sh
  set +e
  tests="ctest --test-dir $build --output-on-failure"
fi

step() {  # step NAME FILE COMMAND...: runs COMMAND with stdout to OUT/FILE
  local name=$1 file=$2 t0=$SECONDS rc
  shift 2
  echo "== $name"
  timeout "$limit" "$@" > "$out/$file" 2> "$errs/$name"
  rc=$?
  tail -n 25 "$errs/$name"
  printf '%-10s rc %-3d %4d s\n' "$name" "$rc" $((SECONDS - t0)) | tee -a "$out/summary.txt"
}
: > "$out/summary.txt"
torch_device=cpu
# PyTorch on the GPU where this python3's PyTorch sees one (Debian's is CPU-only).
command -v nvidia-smi >/dev/null && nvidia-smi -L
python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null && torch_device=cuda
step devices devices.json "$build/alvk" devices --json
cat "$out/devices.json"
step e2e e2e.json "$build/alvk-e2e" --json --steps 50
step compare compare.json env BUILD_DIR="$build" bash benchmarks/compare.sh --json --steps 50 --torch-device "$torch_device"
# The profile tables and the test results go to stderr: keep them whole.
step profile profile.txt sh -c 'ALVK_PROFILE=1 ALVK_LOG=info XDG_CACHE_HOME="$1" "$0" --steps 5 2>&1' \
  "$build/alvk-e2e" "$errs/race-cache"
step bench bench.json "$build/alvk-bench" --json --dispatches --repeats 5
step tests tests.log sh -c "ALVK_VALIDATION=1 $tests 2>&1"
grep -E "^\[FAIL\]|Synthesis|Assertion" "$out/tests.log" | sort | uniq -c | head -40
cat "$out/e2e.json"; echo
python3 -c 'import json,sys; [print(r) for r in json.load(open(sys.argv[1]))["rows"]]' "$out/compare.json"
cat "$out/summary.txt"
echo "device check written to $out/"
