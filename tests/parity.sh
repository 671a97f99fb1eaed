#!/usr/bin/env bash
# alvk-parity and benchmarks/parity.py: bad input is refused with a reason;
# with PyTorch installed (Debian's python3-torch), a training step at batch
# 16 computes what PyTorch computes from the same weights (loss, features,
# running statistics, every gradient). Without PyTorch the comparison is
# skipped (exit 77), after the refusals.
set -euo pipefail
parity=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
expect() { # expect STATUS MESSAGE-PART COMMAND...
  local want=$1 part=$2 rc=0; shift 2
  "$@" > "$tmp/out" 2>&1 || rc=$?
  [ "$rc" = "$want" ] || { echo "$*: exit $rc, expected $want"; cat "$tmp/out"; exit 1; }
  grep -q -- "$part" "$tmp/out" || { echo "$*: no '$part' in:"; cat "$tmp/out"; exit 1; }
}
expect 2 "--data and --out are required" "$parity"
expect 2 "bad option '--batch 1'" "$parity" --data "$ALVK_DATA" --out "$tmp" --batch 1
expect 1 "$tmp/none" "$parity" --data "$tmp/none" --out "$tmp"
expect 1 "cannot write\|$tmp/missing" "$parity" --data "$ALVK_DATA" --out "$tmp/missing" --batch 2
py=/usr/bin/python3
$py -c 'import torch' 2>/dev/null || { echo "parity: PyTorch not installed, comparison skipped"; exit 77; }
$py "$src/benchmarks/parity.py" --batch 16 --alvk-parity "$parity" --data "$ALVK_DATA"
