#!/usr/bin/env bash
# alvk over MPI ranks on lavapipe (two ranks of one thread each on this
# host): alvk run's results equal one process's (every accuracy, loss and
# picked image), an interrupt and a killed rank lose no finished round and
# --resume (with another rank count) ends as an uninterrupted run, a rank
# that cannot open its device stops the run before any work; alvk train
# over two ranks repeats bit for bit; the gradient exchange matches one
# rank's gradient. Runs on a synthetic 8x8 IDX set (tests/make_idx.py).
# Usage: mpi.sh path/to/alvk path/to/alvk-mpi-grad
set -u
alvk=$1 grad=$2
here=$(dirname "$0")
. "$here/check.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/make_idx.py" "$tmp/idx" 96 32 8 8 3
mpirun=(mpirun --oversubscribe --allow-run-as-root -x LP_NUM_THREADS=1)
mpi() { "${mpirun[@]}" "$@"; }
exp=(--data "$tmp/idx" --strategies uniform,margin,adversarial --trials 2 --pool-size 48 --test-size 16 --budget 8
     --max-budget 32 --epochs 1 --adversarial-epochs 1 --batch-size 8)
# The accuracies, losses and picks of a state's records (the timings differ).
numbers() { awk '/^[0-9]/ { $9 = $10 = $11 = ""; print }' "$1/state.txt"; }
same_as_one() { [ "$(numbers "$tmp/one")" = "$(numbers "$1")" ] && echo same || diff <(numbers "$tmp/one") <(numbers "$1"); }
records() { awk '/^records / { print $2 }' "$1/state.txt"; }

check grad-exchange 0 'worst relative error' -- mpi -np 2 "$grad"
check run-one-process 0 'done in' -- "$alvk" run "${exp[@]}" --out "$tmp/one"
check run-two-ranks 0 'uniform trial 2/2 round 3/3 \(rank [01]\)' -- mpi -np 2 "$alvk" run "${exp[@]}" --out "$tmp/two"
check run-two-ranks-same 0 '^same$' -- same_as_one "$tmp/two"

# Ctrl-C on the launcher, once rounds have finished; then one process resumes.
"${mpirun[@]}" -np 2 "$alvk" run "${exp[@]}" --out "$tmp/int" >"$tmp/int.log" 2>&1 &
launcher=$!
for _ in $(seq 600); do [ "$(records "$tmp/int" 2>/dev/null)" -ge 2 ] 2>/dev/null && break; sleep 0.1; done
kill -INT $launcher; wait $launcher; status=$?
check run-interrupt-status 0 '^stopped$' -- bash -c "[ $status != 0 ] && echo stopped"
# (rank 0's "interrupted" line comes only when it stops within mpirun's
# grace before SIGKILL: not asserted; the saved rounds are)
check run-interrupt-kept 0 '^kept$' -- bash -c "[ $(records "$tmp/int") -ge 2 ] && echo kept"
check run-interrupt-resume 0 'done in' -- "$alvk" run --resume "$tmp/int" --data "$tmp/idx"
check run-interrupt-same 0 '^same$' -- same_as_one "$tmp/int"

# One rank killed: mpirun ends the run; two ranks resume it.
"${mpirun[@]}" -np 2 "$alvk" run "${exp[@]}" --out "$tmp/kill" >"$tmp/kill.log" 2>&1 &
launcher=$!
for _ in $(seq 600); do [ "$(records "$tmp/kill" 2>/dev/null)" -ge 2 ] 2>/dev/null && break; sleep 0.1; done
pkill -9 -f -n "alvk run .*--out $tmp/kill"; wait $launcher; status=$?
check run-kill-status 0 '^stopped$' -- bash -c "[ $status != 0 ] && echo stopped"
check run-kill-kept 0 '^kept$' -- bash -c "[ $(records "$tmp/kill") -ge 2 ] && echo kept"
check run-kill-resume 0 'done in' -- mpi -np 2 "$alvk" run --resume "$tmp/kill" --data "$tmp/idx"
check run-kill-same 0 '^same$' -- same_as_one "$tmp/kill"

# Rank 1 asks for a device that does not exist: nothing runs.
check run-rank-cannot-start 1 "rank 1 on $(hostname) could not start" -- \
  mpi -np 1 "$alvk" run "${exp[@]}" --out "$tmp/bad" : -np 1 "$alvk" run "${exp[@]}" --out "$tmp/bad" --device 7
check run-rank-cannot-start-no-work 0 '^0$' -- records "$tmp/bad"
# Rank 1 reads another data set: it says so, and nothing runs.
python3 "$here/make_idx.py" "$tmp/other" 80 32 8 8 3
check run-rank-other-data 2 "rank 1 on $(hostname) cannot run this experiment" -- \
  mpi -np 1 "$alvk" run "${exp[@]}" --out "$tmp/other-run" : -np 1 "$alvk" run "${exp[@]}" --out "$tmp/other-run" \
  --data "$tmp/other"
check run-rank-other-data-no-state 0 '^none$' -- bash -c "test -e '$tmp/other-run/state.txt' && echo some || echo none"
check train-rank-other-data 2 "rank 1 on $(hostname) has 80 training images where rank 0 has 96" -- \
  mpi -np 1 "$alvk" train --data "$tmp/idx" --epochs 1 : -np 1 "$alvk" train --data "$tmp/other" --epochs 1

# Data-parallel training: two runs of two ranks, the same bits.
train=(train --data "$tmp/idx" --epochs 2 --subset 60 --batch-size 16 --test-size 32)
check train-two-ranks 0 'over 2 ranks' -- mpi -np 2 "$alvk" "${train[@]}" --save "$tmp/a.safetensors"
check train-two-ranks-again 0 'test accuracy' -- mpi -np 2 "$alvk" "${train[@]}" --save "$tmp/b.safetensors"
check train-repeats-bit-for-bit 0 '^same$' -- bash -c "cmp '$tmp/a.safetensors' '$tmp/b.safetensors' && echo same"
finish
