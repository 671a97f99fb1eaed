#!/usr/bin/env bash
# Builds and runs the examples the three ways a program can consume alvk
# (volk's consumption tests): (1) the alvk tree as a CMake subdirectory,
# (2) an installed alvk found with find_package(alvk CONFIG), (3) plain cc
# with pkg-config; (4) the static library in a program that calls Vulkan
# itself. Then checks that the inference example reproduces
# `alvk eval` on a checkpoint written by `alvk train`.
#   usage: consume.sh BUILD_DIR   (a built alvk tree, for its alvk program)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jobs=$(nproc)
run() { echo "   $*"; "$@"; }

echo "== consumption 1: add_subdirectory"
mkdir -p "$work/sub"
cat > "$work/sub/CMakeLists.txt" <<EOT
cmake_minimum_required(VERSION 3.25)
project(consumer C)
add_subdirectory("$src" alvk)
add_subdirectory("$src/apps/examples" examples)
EOT
cmake -S "$work/sub" -B "$work/sub/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/sub/build" -j"$jobs" --target mlp_train mnist_infer fit_sin fashion_cnn >/dev/null
run "$work/sub/build/examples/mlp_train" | tail -1

echo "== consumption 2: install + find_package (and the alvk program built without MPI)"
# Configured for the default prefix, installed elsewhere: the installed
# package and alvk.pc must find themselves where they lie.
cmake -S "$src" -B "$work/lib" -DCMAKE_BUILD_TYPE=Release -DALVK_TESTS=OFF -DALVK_EXAMPLES=OFF -DALVK_MPI=OFF \
      >/dev/null
cmake --build "$work/lib" -j"$jobs" >/dev/null
cmake --install "$work/lib" --prefix "$work/prefix" >/dev/null
cmake -S "$src/apps/examples" -B "$work/pkg" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/pkg" -j"$jobs" >/dev/null
run "$work/pkg/mlp_train" | tail -1
# A new user's own models, written from the header and docs alone: each
# exits 1 when it does not learn.
run "$work/pkg/fit_sin" | tail -1
fashion=/usr/share/datasets/fashion-mnist
if [ -f "$fashion/train-images-idx3-ubyte.gz" ]; then
  run "$work/pkg/fashion_cnn" "$fashion" 150 | tail -1
else
  echo "   Fashion-MNIST not installed (dataset-fashion-mnist): fashion_cnn skipped"
fi

echo "== consumption 3: cc + pkg-config (the install moved at install time)"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig:$work/prefix/lib64/pkgconfig"
# shellcheck disable=SC2046
cc -std=c11 -O2 "$src/apps/examples/mlp_train.c" -o "$work/mlp_cc" $(pkg-config --cflags --libs alvk) -lm
LD_LIBRARY_PATH="$work/prefix/lib:$work/prefix/lib64" run "$work/mlp_cc" | tail -1
# The header is plain C99 as well: no pedantic warning (a repeated typedef was one).
printf '#include <alvk/alvk.h>\nint main(void) { return 0; }\n' >"$work/c99.c"
# shellcheck disable=SC2046
run cc -std=c99 -pedantic -Werror -fsyntax-only "$work/c99.c" $(pkg-config --cflags alvk)

echo "== consumption 4: the static library in a program that calls Vulkan itself"
# The volk inside alvk has its names renamed (engine/vk/loader_volk.c): linked
# statically beside libvulkan, the host's Vulkan functions stay libvulkan's
# (volk's own names, variables there, would take their place: a crash).
cat >"$work/host.c" <<'EOT'
#include <alvk/alvk.h>
#include <stdio.h>
#include <vulkan/vulkan.h>
int main(void) {
    uint32_t before = 0, after = 0;
    alvk_context *ctx;
    if (vkEnumerateInstanceVersion(&before) != VK_SUCCESS) return 1;
    if (alvk_context_create(NULL, &ctx) != ALVK_OK) return fprintf(stderr, "%s\n", alvk_last_error()), 1;
    alvk_context_destroy(ctx);
    if (vkEnumerateInstanceVersion(&after) != VK_SUCCESS || after != before) return 1;
    printf("libvulkan's Vulkan %u.%u and alvk in one program\n", VK_API_VERSION_MAJOR(after),
           VK_API_VERSION_MINOR(after));
    return 0;
}
EOT
# shellcheck disable=SC2046
cc -std=c11 "$work/host.c" -o "$work/host" $(pkg-config --cflags alvk) "$(pkg-config --variable=libdir alvk)/libalvk.a" \
   -lvulkan -ldl -lm -lz
run "$work/host"

echo "== alvk without MPI: as with it in one process, and refusing N ranks of mpirun"
python3 "$src/tests/make_idx.py" "$work/idx" 64 16 8 8 3
for b in "$build" "$work/lib"; do
  "$b/alvk" train --data "$work/idx" --epochs 1 --batch-size 16 --test-size 16 --save "$work/$(basename "$b").st" \
    >/dev/null 2>&1
done
cmp "$work/$(basename "$build").st" "$work/lib.st" || { echo "alvk built without MPI trains otherwise" >&2; exit 1; }
if command -v mpirun >/dev/null; then
  if mpirun --oversubscribe --allow-run-as-root -np 2 "$work/lib/alvk" train --data "$work/idx" --epochs 1 \
       >"$work/nompi.log" 2>&1 || ! grep -q "built without MPI" "$work/nompi.log"; then
    echo "alvk built without MPI under mpirun -np 2 did not refuse:" >&2; cat "$work/nompi.log" >&2; exit 1
  fi
  echo "   refused: $(grep -m1 'built without MPI' "$work/nompi.log")"
fi

echo "== the inference example against alvk eval"
data=${ALVK_DATA:-$src/data/mnist}
if [ ! -f "$data/t10k-images-idx3-ubyte" ]; then
  echo "   MNIST not fetched: skipped"
  exit 0
fi
"$build/alvk" train --epochs 1 --subset 256 --test-size 100 --save "$work/m.safetensors" --data "$data" >/dev/null 2>&1
want=$("$build/alvk" eval --load "$work/m.safetensors" --data "$data")
got=$("$work/pkg/mnist_infer" "$work/m.safetensors" "$data")
echo "   alvk eval:   $want"
echo "   mnist_infer: $got"
[ "$want" = "$got" ] || { echo "the inference example disagrees with alvk eval" >&2; exit 1; }
