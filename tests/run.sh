#!/usr/bin/env bash
# `alvk run` end to end: usage errors exit 2 before any work; a tiny
# experiment with every strategy leaves JSON, CSV and SVG that parse; the
# same run interrupted with Ctrl-C and resumed ends with the same results
# as the uninterrupted one (same seed, same numbers). Usage: run.sh path/to/alvk
set -u
alvk=$1
. "$(dirname "$0")/check.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/empty"

check run-help 0 'quick +pool 10,000' -- "$alvk" run --help
check run-unknown-flag 2 "unknown option or missing value '--frob'" -- "$alvk" run --frob
check run-unknown-strategy 2 "unknown strategy 'best'" -- "$alvk" run --strategies uniform,best
check run-unknown-preset 2 "unknown preset 'huge'" -- "$alvk" run --preset huge
check run-budget-zero 2 'budget takes a whole number' -- "$alvk" run --budget 0
check run-max-not-above 2 'must be above --budget' -- "$alvk" run --budget 100 --max-budget 100
check run-pool-too-small 2 'smaller than --max-budget' -- "$alvk" run --pool-size 100 --budget 20 --max-budget 200
check run-no-idx-files 2 'has no train-images-idx3-ubyte' -- "$alvk" run --data "$tmp/empty" --out "$tmp/x"
check run-resume-nothing 2 'no run to resume' -- "$alvk" run --resume "$tmp/empty"
check run-resume-flags 2 'only --data and --device' -- "$alvk" run --resume "$tmp/empty" --budget 3

if [ ! -f "${ALVK_DATA:-/nonexistent}/train-images-idx3-ubyte" ]; then
  echo "skip the runs: no MNIST in \$ALVK_DATA"; finish; exit
fi
tiny=(--strategies uniform,margin,least-confidence,entropy,adversarial --pool-size 256 --test-size 64
      --budget 8 --max-budget 24 --epochs 2 --adversarial-epochs 1 --trials 1 --batch-size 16 --seed 5)
"$alvk" run "${tiny[@]}" --out "$tmp/a" >"$tmp/a.out" 2>"$tmp/a.err"
check run-tiny 0 'done in' -- cat "$tmp/a.err"
check run-estimates-first 0 '^estimated time on .*: [0-9]+ (s|min)' -- grep -m1 -E 'estimated|labels:' "$tmp/a.err"
check run-headline-first 0 '^On mnist, [a-z-]+ reached [0-9.]+ % test accuracy with [0-9]+ labels' -- \
  grep -m1 . "$tmp/a.out"
for f in results.json results.csv summary.md accuracy.svg labels_needed.svg report.html state.txt; do
  check "run-wrote-$f" 0 '^ok$' -- bash -c "test -s '$tmp/a/$f' && echo ok"
done
# Every plot renders with a real SVG renderer, alone and inside report.html.
if command -v rsvg-convert >/dev/null; then
  for f in accuracy.svg labels_needed.svg; do
    check "run-renders-$f" 0 '^rendered$' -- bash -c "rsvg-convert '$tmp/a/$f' -o '$tmp/$f.png' && test -s '$tmp/$f.png' && echo rendered"
  done
else
  echo "skip the rendering checks: no rsvg-convert (Debian librsvg2-bin)"
fi
if command -v python3 >/dev/null; then
  check run-report-holds-both-plots 0 '^2 svg, [0-9]+ tables, headline$' -- python3 -c "
import re, subprocess, shutil
html = open('$tmp/a/report.html').read()
svgs = re.findall(r'<svg.*?</svg>', html, re.S)
for i, svg in enumerate(svgs):
    if shutil.which('rsvg-convert'):
        subprocess.run(['rsvg-convert', '-o', '$tmp/r%d.png' % i], input=svg.encode(), check=True)
assert 'reached' in html.split('<svg')[0]
print(len(svgs), 'svg,', html.count('<table>'), 'tables, headline')"
fi
if command -v python3 >/dev/null; then
  check run-json-parses 0 '^10 records, complete$' -- python3 -c "
import json; d = json.load(open('$tmp/a/results.json'))
assert d['config']['rounds'] == 2 and d['device']['name']
print(len(d['records']), 'records,', 'complete' if d['complete'] else 'incomplete')"
  check run-csv-parses 0 '^11 rows of 14$' -- python3 -c "
import csv; rows = list(csv.reader(open('$tmp/a/results.csv')))
assert all(len(r) == 14 for r in rows); print(len(rows), 'rows of', len(rows[0]))"
  check run-svg-parses 0 '^polyline polyline$' -- python3 -c "
import xml.etree.ElementTree as ET
n = lambda f: 'polyline' if ET.parse('$tmp/a/' + f).getroot().find('{http://www.w3.org/2000/svg}polyline') is not None else 'none'
print(n('accuracy.svg'), n('labels_needed.svg'))"
fi
check run-same-out 2 'already holds this experiment' -- "$alvk" run "${tiny[@]}" --out "$tmp/a"
check run-other-out 2 'holds a different experiment' -- "$alvk" run "${tiny[@]}" --seed 6 --out "$tmp/a"

# Another IDX data set: Fashion-MNIST (Debian's dataset-fashion-mnist), named in summary and plots.
fashion=/usr/share/datasets/fashion-mnist
if [ -f "$fashion/train-images-idx3-ubyte.gz" ]; then
  check run-fashion 0 'done in' -- "$alvk" run --data "$fashion" --strategies uniform,margin --trials 1 \
    --pool-size 96 --test-size 32 --budget 8 --max-budget 24 --epochs 1 --batch-size 8 --out "$tmp/f"
  check run-fashion-summary 0 '^# alvk run on fashion-mnist' -- cat "$tmp/f/summary.md"
  check run-fashion-plot 0 'Test accuracy vs annotated samples on fashion-mnist' -- cat "$tmp/f/accuracy.svg"
else
  echo "skip the Fashion-MNIST run: no $fashion (Debian dataset-fashion-mnist)"
fi

# The baseline from an alvk train checkpoint lands in the summary.
"$alvk" train --epochs 1 --subset 32 --batch-size 16 --test-size 32 --save "$tmp/base.safetensors" >/dev/null 2>&1
check run-baseline-file 0 'Full-data baseline: [0-9.]+ %' -- "$alvk" run --strategies uniform --pool-size 64 \
  --test-size 32 --budget 16 --max-budget 32 --epochs 1 --batch-size 16 --baseline "$tmp/base.safetensors" --out "$tmp/c"

# Ctrl-C after the first round, then --resume: the same numbers as run a.
"$alvk" run "${tiny[@]}" --out "$tmp/b" >/dev/null 2>"$tmp/b.err" &
pid=$!
until grep -qs '^records [1-9]' "$tmp/b/state.txt" || ! kill -0 $pid 2>/dev/null; do sleep 0.2; done
kill -INT $pid 2>/dev/null
wait $pid
status=$?
check run-interrupt-status 0 '^130$' -- echo $status
check run-interrupt-says-resume 0 "alvk run --resume $tmp/b" -- cat "$tmp/b.err"
check run-resume 0 'done in' -- "$alvk" run --resume "$tmp/b"
# Everything but the seconds (columns 9 to 11) must match.
check run-resume-equals-uninterrupted 0 '^same$' -- bash -c \
  "cmp <(cut -d, -f1-8,12-14 '$tmp/a/results.csv') <(cut -d, -f1-8,12-14 '$tmp/b/results.csv') && echo same"
finish
