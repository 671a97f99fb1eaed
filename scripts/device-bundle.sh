#!/usr/bin/env bash
# Packs a prebuilt alvk into .devkit/ for a GPU machine that can reach no
# package registry (scripts/device-check.sh uses it when present): the
# programs and libalvk, the shared libraries they need beyond the C library
# (Criterion's for the tests), the Vulkan loader, the Khronos validation layer,
# libglvnd's packages and MNIST compressed. Run it on the Debian 12 x86-64 machine you built on,
# after scripts/setup.sh; the GPU machine brings its own Vulkan driver.
#   BUILD_DIR=build   the build to pack
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
kit=.devkit
rm -rf "$kit" && mkdir -p "$kit/bin" "$kit/lib" "$kit/layers" "$kit/mnist"
cp "$build"/alvk "$build"/alvk-bench "$build"/alvk-e2e "$build"/alvk-tests "$kit/bin/"
# Every library ldd resolves except the C library's own, which the GPU
# machine has (a newer glibc runs these programs).
ldd "$kit"/bin/* | awk '$3 ~ /^\// {print $3}' | sort -u |
  grep -Ev '/(libc|libm|libpthread|libdl|librt|ld-linux-x86-64)\.so' |
  while read -r lib; do cp -L "$lib" "$kit/lib/"; done
cp -L /lib/x86_64-linux-gnu/libvulkan.so.1 "$kit/lib/"
cp -L /usr/lib/x86_64-linux-gnu/libVkLayer_khronos_validation.so "$kit/lib/"
cp /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json "$kit/layers/"
# libglvnd, which NVIDIA's Vulkan driver needs and a bare CUDA image lacks.
mkdir -p "$kit/glvnd"
(cd "$kit/glvnd" && apt-get download -q libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2) ||
  echo "device-bundle: libglvnd's packages not downloaded; NVIDIA's Vulkan driver may not load" >&2
for f in data/mnist/*-ubyte; do gzip -c "$f" > "$kit/mnist/$(basename "$f").gz"; done
du -sh "$kit"
