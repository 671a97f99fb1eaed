#!/usr/bin/env bash
# alvk-e2e (the alvk side of benchmarks/compare.sh) on a tiny run: every
# workload runs through the app's real graphs and reports a positive rate
# in valid JSON; a bad flag is a usage error (exit 2).
set -euo pipefail
e2e=$1
out=$("$e2e" --json --steps 1 --batch 16 --eval-images 64)
python3 - "$out" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
for k in ("train", "eval", "adversarial"):
    assert d[k]["images_per_s"] > 0, (k, d[k])
assert set(d["eval"]["by_batch"]) == {"256", "512", "1024"}, d["eval"]
PY
set +e
"$e2e" --steps 0 2>/dev/null; rc=$?
set -e
[ "$rc" = 2 ] || { echo "alvk-e2e --steps 0: exit $rc, expected 2"; exit 1; }
echo "e2e ok"
