#!/usr/bin/env bash
# What alvk run, train and eval do with input that parses but is wrong:
# hand-edited or damaged state files, damaged checkpoints, data sets of
# another kind (other classes, other image sizes), odd flag values. Each
# case must end in a clear message and a non-zero status before any work,
# never a loop, a crash or a silently changed number. Runs on a synthetic
# 8x8 IDX set (tests/make_idx.py), so it needs no MNIST.
# Usage: state.sh path/to/alvk
set -u
alvk=$1
here=$(dirname "$0")
. "$here/check.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/make_idx.py" "$tmp/idx" 96 32 8 8 3
python3 "$here/make_idx.py" "$tmp/wide" 96 32 8 8 3 16 8
python3 "$here/make_idx.py" "$tmp/other" 96 32 8 8 3

# ---- data sets -------------------------------------------------------------
check data-classes-from-labels 0 'on idx \(3 classes\)' -- "$alvk" run --data "$tmp/idx" --strategies uniform \
  --trials 1 --pool-size 48 --test-size 16 --budget 8 --max-budget 24 --epochs 1 --batch-size 8 --out "$tmp/base"
check data-classes-too-few 1 'label 2 of image 2 is not below 2' -- "$alvk" run --data "$tmp/idx" --classes 2 \
  --strategies uniform --budget 8 --max-budget 24 --out "$tmp/x"
check data-test-shape 1 'training images are 8x8 but the test images 16x8' -- "$alvk" run --data "$tmp/wide" \
  --strategies uniform --budget 8 --max-budget 24 --out "$tmp/x"
check data-test-size 2 'test-size 64: the test set of idx has only 32 images' -- "$alvk" run --data "$tmp/idx" \
  --test-size 64 --budget 8 --max-budget 24 --out "$tmp/x"
check data-pool-size 2 'pool-size 200: the training set of idx has only 96 images' -- "$alvk" run --data "$tmp/idx" \
  --pool-size 200 --budget 8 --max-budget 24 --out "$tmp/x"
check data-train-test-size 2 'test-size 64: the test set of idx has only 32' -- "$alvk" train --data "$tmp/idx" \
  --test-size 64 --epochs 1
check data-resume-other-set 2 'was started on idx, not other' -- "$alvk" run --resume "$tmp/base" --data "$tmp/other"
check data-no-new-dir 0 '^absent$' -- bash -c "test -e '$tmp/x' && echo present || echo absent"

# ---- flags -----------------------------------------------------------------
check flag-budget-space 2 "takes a whole number in 1\.\..*, not ' 5'" -- "$alvk" run --budget " 5"
check flag-budget-plus 2 "not '\+5'" -- "$alvk" run --budget +5
check flag-lr-space 2 "takes a number in .*, not ' 0.1'" -- "$alvk" run --lr " 0.1"
check flag-strategies-empty 2 'strategies takes a comma-separated list' -- "$alvk" run --strategies ""
check flag-strategies-comma 2 'strategies takes a comma-separated list' -- "$alvk" run --strategies ,
check flag-strategies-none 2 'strategies takes a comma-separated list' -- "$alvk" run --strategies
touch "$tmp/file"
check flag-out-file 2 'is a file, not a directory' -- "$alvk" run --data "$tmp/idx" --budget 8 --max-budget 24 \
  --out "$tmp/file"

# ---- damaged states: each a copy of base's finished state, edited ------------
# set_state NAME -e SED_EXPRESSION...: base's state.txt edited into $tmp/NAME.
set_state() {
  local name=$1; shift
  rm -rf "${tmp:?}/$name"; cp -r "$tmp/base" "$tmp/$name"
  sed -i "$@" "$tmp/$name/state.txt"
}
resume() { "$alvk" run --resume "$tmp/$1" --data "$tmp/idx"; }
# The accuracies and picks of a state's records (the timings differ run to run).
numbers() { awk '/^[0-9]/ { $9 = $10 = $11 = ""; print }' "$1/state.txt"; }
export -f numbers # for the checks' bash -c
# Round 2 in progress: its record gone; the pool is rebuilt from round 1's picks.
set_state ok -e 's/^done .*/done 0/' -e '/^0 0 1 /d' -e 's/^records .*/records 1/'
check state-edited-but-sound 0 'done in' -- bash -c "'$alvk' run --resume '$tmp/ok' --data '$tmp/idx' 2>&1 | tee '$tmp/ok.log'"
check state-resumed-as-uninterrupted 0 '^same$' -- bash -c "[ \"\$(numbers '$tmp/ok')\" = \"\$(numbers '$tmp/base')\" ] && echo same"
check eta-well-formed 0 '^ok$' -- bash -c "tr '\\r' '\\n' <'$tmp/ok.log' | grep -o 'ETA [^ ]*' | \
  grep -vqE '^ETA ([0-9]+:[0-9]{2}:[0-9]{2}|--:--:--)$' && echo bad || echo ok"
set_state gap -e '/^0 0 0 /d' -e 's/^records .*/records 1/'
check state-round-without-the-one-before 2 'record 1: uniform trial 1 round 2 without round 1' -- resume gap
set_state labels -e 's/^0 0 0 8 /0 0 0 9 /'
check state-label-count 2 'record 1: uniform trial 1 round 1 with 9 labels, not 8' -- resume labels
in_progress=(-e 's/^done .*/done 0/' -e '/^0 0 1 /d' -e 's/^records .*/records 1/')
set_state outside "${in_progress[@]}" -e 's/^\(0 0 0 .*\) [0-9]*$/\1 4000/'
check state-pick-outside-pool 2 'picked image 4000, which is not in the pool' -- resume outside
set_state twice "${in_progress[@]}" -e 's/^\(0 0 0 .* picked 8 \([0-9]*\) .*\) [0-9]*$/\1 \2/'
check state-picked-twice 2 'uniform trial 1 picked image [0-9]+ twice' -- resume twice
set_state few -e 's/^\(0 0 0 .* picked\) 8 \([0-9]* [0-9]* [0-9]* [0-9]* [0-9]*\).*/\1 5 \2/'
check state-pick-count 2 'record 1: uniform trial 1 round 1 picked 5 images, not 8' -- resume few
set_state trial -e 's/^0 0 /0 7 /'
check state-trial-past-end 2 'record 1: uniform trial 8 round 1 is not in this run' -- timeout 60 "$alvk" run --resume "$tmp/trial" --data "$tmp/idx"
set_state strategy -e 's/^0 0 0 /9 0 0 /'
check state-strategy-out-of-range 2 'damaged \(a bad record\)' -- resume strategy
set_state other -e 's/^0 0 /1 0 /'
check state-strategy-not-in-config 2 'record 1: margin trial 1 round 1 is not in this run' -- resume other
set_state record -e 's/^0 0 1 /0 0 7 /'
check state-record-round 2 'record 2: uniform trial 1 round 8 is not in this run' -- resume record
set_state dup -e '/^0 0 0 /p' -e 's/^records .*/records 3/'
check state-round-twice 2 'uniform trial 1 round 1 recorded twice' -- resume dup
set_state base-file -e 's/^done .*/done 0/' -e 's/^baseline .*/baseline -1/' \
  -e "s|^config .*|& --baseline $tmp/no-such-model.safetensors|" -e 's/^records .*/records 0/' -e '/^0 0 /d'
check state-baseline-file 1 "loading the baseline: cannot open $tmp/no-such-model.safetensors" -- resume base-file
# A version 2 state (the pool in progress as pool positions: here the whole
# training set, so positions are images; "--pool-size 0", as version 2 wrote
# it, means all) resumes as the run would have gone on.
"$alvk" run --data "$tmp/idx" --strategies uniform --trials 1 --test-size 16 --budget 8 --max-budget 24 --epochs 1 \
  --batch-size 8 --out "$tmp/all" >/dev/null 2>&1
mkdir -p "$tmp/v2"
awk -v picks="$(awk '/^0 0 0 / { for (i = 17; i <= NF; i++) printf " %s", $i }' "$tmp/all/state.txt")" '
  NR == 1 { print "alvk-run-state 2"; next }
  /^config / { print; print "done 0\nnext 0 0 1\nbaseline -1\nannotated 16 90 91 92 93 94 95 89 88" picks; next }
  /^records / { print "records 1"; next }
  /^0 0 0 / { NF = 14; print }' "$tmp/all/state.txt" >"$tmp/v2/state.txt"
check state-version-2-config 0 '--pool-size 0 ' -- cat "$tmp/v2/state.txt"
check state-version-2-resumes 0 'done in' -- resume v2
check state-version-2-as-uninterrupted 0 '^same$' -- bash -c "[ \"\$(numbers '$tmp/v2' | tail -1)\" = \"\$(numbers '$tmp/all' | tail -1)\" ] && echo same"

# ---- damaged checkpoints -------------------------------------------------------
"$alvk" train --data "$tmp/idx" --epochs 1 --subset 32 --batch-size 8 --test-size 16 --save "$tmp/m.safetensors" \
  >/dev/null 2>&1
check checkpoint-sound 0 'test accuracy' -- "$alvk" eval --data "$tmp/idx" --load "$tmp/m.safetensors" --test-size 16
# edit_checkpoint OUT PYTHON: runs PYTHON with h (the header dict), data (bytearray), raw (header text) set,
# then writes OUT from h (or raw, when PYTHON sets it) and data.
edit_checkpoint() {
  python3 - "$tmp/m.safetensors" "$tmp/$1" "$2" <<'PY'
import json, struct, sys
src, out, code = sys.argv[1:]
b = open(src, "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h, data, raw = json.loads(b[8:8 + n]), bytearray(b[8 + n:]), None
exec(code)
raw = raw if raw is not None else json.dumps(h)
open(out, "wb").write(struct.pack("<Q", len(raw)) + raw.encode() + bytes(data))
PY
}
edit_checkpoint nan.safetensors 'data[:] = struct.pack("<f", float("nan")) * (len(data) // 4)'
check checkpoint-nan 1 'holds NaN at element 0' -- "$alvk" eval --data "$tmp/idx" --load "$tmp/nan.safetensors"
edit_checkpoint inf.safetensors 'k = "fc.bias"; data[h[k]["data_offsets"][0]:h[k]["data_offsets"][0] + 4] = struct.pack("<f", float("inf"))'
check checkpoint-inf 1 'fc.bias holds an infinity at element 0' -- "$alvk" eval --data "$tmp/idx" --load "$tmp/inf.safetensors"
edit_checkpoint alias.safetensors 'h["fc.bias"]["data_offsets"] = [0, h["fc.bias"]["data_offsets"][1] - h["fc.bias"]["data_offsets"][0]]'
check checkpoint-alias 1 'share bytes' -- "$alvk" eval --data "$tmp/idx" --load "$tmp/alias.safetensors"
edit_checkpoint twice.safetensors 'raw = json.dumps(h)[:-1] + ", \"fc.bias\": " + json.dumps(h["fc.bias"]) + "}"'
check checkpoint-key-twice 1 'holds fc.bias twice' -- "$alvk" eval --data "$tmp/idx" --load "$tmp/twice.safetensors"
edit_checkpoint syntax.safetensors 'raw = "{\"fc.bias\" {}}"'
check checkpoint-json-position 1 'unexpected character at byte 11 of the header' -- \
  "$alvk" eval --data "$tmp/idx" --load "$tmp/syntax.safetensors"
edit_checkpoint shape.safetensors 'h["conv1.weight"]["shape"] = [1, 64, 7, 7]'
check checkpoint-shape 1 'conv1.weight is F32 \[1, 64, 7, 7\] .*this model wants F32 \[64, 1, 7, 7\]' -- \
  "$alvk" eval --data "$tmp/idx" --load "$tmp/shape.safetensors"
finish
