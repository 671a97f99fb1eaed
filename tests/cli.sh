#!/usr/bin/env bash
# The alvk program's command line: help, version, devices, and the exit
# statuses of failures (1) and usage errors (2). Usage: cli.sh path/to/alvk
set -u
alvk=$1
. "$(dirname "$0")/check.sh"
check help 0 'devices' -- "$alvk" --help
check version 0 '^alvk [0-9]+\.[0-9]+\.[0-9]+$' -- "$alvk" --version
check devices 0 'maxStorageBufferRange' -- "$alvk" devices
check devices-default-marked 0 '^\* [0-9]+: ' -- "$alvk" devices
check devices-json 0 '"default": true' -- "$alvk" devices --json
check bad-device 1 'the devices are:' -- env ALVK_DEVICE=nosuchgpu "$alvk" devices
check bad-index 1 'out of range' -- env ALVK_DEVICE=99 "$alvk" devices
check no-command 2 'usage: alvk' -- "$alvk"
check unknown-command 2 "unknown command 'frobnicate'" -- "$alvk" frobnicate
check unknown-flag 2 "unknown option '--frob'" -- "$alvk" --frob
check unknown-devices-flag 2 "unknown option '--frob'" -- "$alvk" devices --frob
check train-help 0 'full-data baseline' -- "$alvk" train --help
check train-bad-number 2 'whole number' -- "$alvk" train --epochs zero
check train-bad-lr 2 'takes a number' -- "$alvk" train --lr -1
check train-unknown 2 "unknown option" -- "$alvk" train --frob
check train-bad-bn-stats 2 'whole number' -- "$alvk" train --bn-stats -5
check run-unknown-hint 2 "Try 'alvk run --help'" -- "$alvk" run --frob
check run-unknown-no-top-usage 0 '^0$' -- bash -c "'$alvk' run --frob 2>&1 | grep -c '^commands:' || true"
check train-no-data 1 'fetch-mnist.sh' -- "$alvk" train --data /nonexistent
check eval-needs-load 2 'load FILE is required' -- "$alvk" eval
check eval-missing-file 1 'cannot open' -- env ALVK_DATA="${ALVK_DATA:-data/mnist}" "$alvk" eval --load /nonexistent.safetensors --test-size 8
# A short training run and its checkpoint: eval must reproduce train's accuracy.
if [ -f "${ALVK_DATA:-/nonexistent}/train-images-idx3-ubyte" ]; then
  tmp=$(mktemp -d)
  out=$("$alvk" train --epochs 1 --subset 128 --batch-size 64 --test-size 200 --seed 3 --save "$tmp/m.safetensors" 2>/dev/null)
  train_acc=$(sed -n 's/.*test_accuracy \([0-9.]*\).*/\1/p' <<<"$out")
  check train-reports-accuracy 0 'test_accuracy [0-9.]+ test_accuracy_running [0-9.]+$' -- echo "$out"
  check eval-reproduces-train "0" "test accuracy ${train_acc:-none} " -- "$alvk" eval --load "$tmp/m.safetensors" --test-size 200 --seed 3
  # --bn-stats 0 keeps the running statistics (one accuracy), and the saved
  # model holds them: eval reproduces that accuracy, which is the one the
  # default run reported beside its own.
  running=$(sed -n 's/.*test_accuracy_running \([0-9.]*\).*/\1/p' <<<"$out")
  out0=$("$alvk" train --epochs 1 --subset 128 --batch-size 64 --test-size 200 --seed 3 --bn-stats 0 \
         --save "$tmp/m0.safetensors" 2>/dev/null)
  check train-running-only 0 "test_accuracy ${running:-none}\$" -- echo "$out0"
  check eval-reproduces-running "0" "test accuracy ${running:-none} " -- \
    "$alvk" eval --load "$tmp/m0.safetensors" --test-size 200 --seed 3
  rm -rf "$tmp"
fi
if command -v python3 >/dev/null; then
  check devices-json-parses 0 'ok' -- sh -c "\"$alvk\" devices --json | python3 -c 'import json,sys; json.load(sys.stdin); print(\"ok\")'"
fi
finish
