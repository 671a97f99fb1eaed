#!/usr/bin/env bash
# Side by side on this machine, in one go: alvk's real graphs (alvk-e2e:
# the training step, evaluation at its best batch size, the adversarial
# step) and the same workloads in PyTorch on the CPU (compare.py). Prints
# one table with images/s and the ratio alvk/PyTorch; --json prints one JSON
# object instead. Without PyTorch it reports alvk's side alone. First it
# checks that both sides compute the same training step (parity.py: loss,
# features and gradients from the same weights and images); the verdict is
# printed under the table ("parity" in the JSON).
#   --steps N        timed steps per training workload (default 5)
#   --rounds N       run every side N times in turn (default 1) and report
#                    medians: each figure the median of its N runs, each
#                    speed-up and ratio the median of the N same-round
#                    ratios (a shared or virtual host drifts between runs)
#   --torch-device D PyTorch's device: cpu (default) or cuda, to set alvk on a
#                    GPU beside PyTorch on the same GPU
#   --baseline DIR   also time the alvk-e2e of another build (e.g. an older
#                    commit), shown as a column "before" and a speed-up
#   BUILD_DIR=build  where alvk is built (built by scripts/setup.sh if absent)
# As root it installs Debian's python3-torch when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
json=0 steps=5 rounds=1 baseline= torch_device=cpu
while [ $# -gt 0 ]; do
  case $1 in
    --json) json=1 ;;
    --steps) steps=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --baseline) baseline=$2; shift ;;
    --torch-device) torch_device=$2; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case $rounds in ''|*[!0-9]*|0) echo "compare.sh: --rounds wants a positive whole number, not '$rounds'" >&2; exit 2 ;; esac
[ -x "$build/alvk-e2e" ] || BUILD_DIR=$build bash scripts/setup.sh >&2

# Debian's python3-torch lives under /usr/bin/python3; elsewhere (a GPU
# machine's image) the python3 on PATH may hold PyTorch instead.
py=/usr/bin/python3
$py -c 'import torch' 2>/dev/null || ! command -v python3 >/dev/null || py=$(command -v python3)
if ! $py -c 'import torch' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing python3-torch" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch >&2 \
      && py=/usr/bin/python3; } || echo "== python3-torch could not be installed" >&2
  fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
have_torch=0
if $py -c 'import torch' 2>/dev/null; then have_torch=1; else echo "== PyTorch not found: alvk's side only" >&2; fi
# CPU time the hypervisor gave to others while this ran (Linux guests): the
# usual cause of runs that disagree on a shared host.
steal() { awk '/^cpu /{print $9 + 0, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat 2>/dev/null || echo "0 0"; }
parity=null
if [ $have_torch = 1 ]; then
  echo "== parity: one training step in alvk and PyTorch (benchmarks/parity.py)" >&2
  rc=0
  $py benchmarks/parity.py --json --alvk-parity "$build/alvk-parity" > "$tmp/parity.json" || rc=$?
  case $rc in
    0) parity=$(cat "$tmp/parity.json") ;;
    1) parity=$(cat "$tmp/parity.json"); echo "== parity: the two sides differ (python3 benchmarks/parity.py shows where)" >&2 ;;
    *) echo "== parity.py could not run (status $rc): no parity check" >&2 ;;
  esac
fi
echo "$parity" > "$tmp/parity"
steal0=$(steal)
for r in $(seq "$rounds"); do
  echo "== round $r/$rounds: alvk ($build/alvk-e2e --steps $steps)" >&2
  "$build/alvk-e2e" --json --steps "$steps" > "$tmp/alvk-$r.json"
  echo '{}' > "$tmp/before-$r.json"
  if [ -n "$baseline" ]; then
    echo "== round $r/$rounds: alvk before ($baseline/alvk-e2e)" >&2
    "$baseline/alvk-e2e" --json --steps "$steps" > "$tmp/before-$r.json"
  fi
  echo '{}' > "$tmp/torch-$r.json"
  if [ $have_torch = 1 ]; then
    echo "== round $r/$rounds: PyTorch (benchmarks/compare.py)" >&2
    $py benchmarks/compare.py --steps "$steps" --device "$torch_device" > "$tmp/torch-$r.json" ||
      { echo "== PyTorch failed: alvk's side only" >&2; echo '{}' > "$tmp/torch-$r.json"; have_torch=0; }
  fi
done
echo "$steal0 $(steal)" > "$tmp/steal"

python3 - "$tmp" "$json" "$rounds" <<'PY'
import json, os, statistics, sys
tmp, as_json, rounds = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
load = lambda n, r: json.load(open(os.path.join(tmp, "%s-%d.json" % (n, r))))
runs = [{side: load(side, r) for side in ("alvk", "before", "torch")} for r in range(1, rounds + 1)]
if any(not run["torch"] for run in runs):  # PyTorch failed in some round: alvk's side only
    for run in runs: run["torch"] = {}
alvk, before, torch = runs[-1]["alvk"], runs[-1]["before"], runs[-1]["torch"]
ips = lambda side, key: [run[side][key]["images_per_s"] for run in runs]
per_round = lambda a, b: statistics.median(x / y for x, y in zip(a, b))
rows = []
for key, label in (("train", "training step"), ("eval", "evaluation"), ("adversarial", "adversarial step")):
    r = {"workload": key, "batch": alvk[key]["batch"], "alvk": statistics.median(ips("alvk", key))}
    if key in before:
        r["before"] = statistics.median(ips("before", key))
        r["speedup"] = per_round(ips("alvk", key), ips("before", key))
    if key in torch:
        r["pytorch"] = statistics.median(ips("torch", key))
        r["pytorch_batch"] = torch[key]["batch"]
        r["ratio"] = per_round(ips("alvk", key), ips("torch", key))
    if rounds > 1:
        r["rounds"] = {side: ips(side, key) for side in ("alvk", "before", "torch") if key in runs[-1][side]}
    rows.append((label, r))
s0, t0, s1, t1 = map(float, open(os.path.join(tmp, "steal")).read().split())
steal_pct = 100 * (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0
parity = json.load(open(os.path.join(tmp, "parity")))
if as_json:
    print(json.dumps({"rows": [r for _, r in rows], "rounds": rounds, "steal_pct": round(steal_pct, 1),
                      "alvk": alvk, "before": before, "pytorch": torch, "parity": parity}))
    sys.exit(0)
tt = torch.get("torch", {})
what = "one run" if rounds == 1 else "medians of %d rounds (speed-up, ratio: of the same-round ratios)" % rounds
print("images/s, this machine, " + what + (" (PyTorch %s on %s, %d CPU threads)" % (tt["version"], tt.get("device", "cpu"), tt["threads"]) if torch else ""))
head = "%-18s %6s %10s" % ("workload", "batch", "alvk")
if before: head += " %10s %8s" % ("before", "speedup")
if torch: head += " %10s %12s" % ("PyTorch", "alvk/PyTorch")
print(head)
for label, r in rows:
    line = "%-18s %6d %10.1f" % (label, r["batch"], r["alvk"])
    if before: line += " %10.1f %7.2fx" % (r["before"], r["speedup"])
    if torch: line += " %10.1f %12.2f" % (r["pytorch"], r["ratio"])
    print(line)
if parity:
    worst = max((r for r in parity["rows"] if r["kind"] == "gradient"), key=lambda r: r["alvk"])
    print("parity (benchmarks/parity.py): %s; loss %.1e, features %.1e, worst gradient %.1e (%s) relative to float64"
          % ("same step" if parity["ok"] else "FAILED", parity["rows"][0]["alvk"], parity["rows"][1]["alvk"],
             worst["alvk"], worst["what"]))
if steal_pct >= 5:
    print("note: the host took %.0f %% of this machine's CPU time for others (steal) during the runs;" % steal_pct)
    print("      expect runs to disagree, and prefer --rounds 3 or more")
PY
