#!/usr/bin/env bash
# Side by side on this machine, in one go: alvk's real graphs (alvk-e2e:
# the training step, evaluation at its best batch size, the adversarial
# step) and the same workloads in PyTorch on the CPU (compare.py). Prints
# one table with images/s and the ratio alvk/PyTorch; --json prints one JSON
# object instead. Without PyTorch it reports alvk's side alone.
#   --steps N        timed steps per training workload (default 5)
#   --torch-device D PyTorch's device: cpu (default) or cuda, to set alvk on a
#                    GPU beside PyTorch on the same GPU
#   --baseline DIR   also time the alvk-e2e of another build (e.g. an older
#                    commit), shown as a column "before" and a speed-up
#   BUILD_DIR=build  where alvk is built (built by scripts/setup.sh if absent)
# As root it installs Debian's python3-torch when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
json=0 steps=5 baseline= torch_device=cpu
while [ $# -gt 0 ]; do
  case $1 in
    --json) json=1 ;;
    --steps) steps=$2; shift ;;
    --baseline) baseline=$2; shift ;;
    --torch-device) torch_device=$2; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
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
echo "== alvk ($build/alvk-e2e --steps $steps)" >&2
"$build/alvk-e2e" --json --steps "$steps" > "$tmp/alvk.json"
echo '{}' > "$tmp/before.json"
if [ -n "$baseline" ]; then
  echo "== alvk before ($baseline/alvk-e2e)" >&2
  "$baseline/alvk-e2e" --json --steps "$steps" > "$tmp/before.json"
fi
echo '{}' > "$tmp/torch.json"
if $py -c 'import torch' 2>/dev/null; then
  echo "== PyTorch (benchmarks/compare.py)" >&2
  $py benchmarks/compare.py --steps "$steps" --device "$torch_device" > "$tmp/torch.json" ||
    { echo "== PyTorch failed: alvk's side only" >&2; echo '{}' > "$tmp/torch.json"; }
else
  echo "== PyTorch not found: alvk's side only" >&2
fi

python3 - "$tmp" "$json" <<'PY'
import json, os, sys
tmp, as_json = sys.argv[1], sys.argv[2] == "1"
load = lambda n: json.load(open(os.path.join(tmp, n + ".json")))
alvk, before, torch = load("alvk"), load("before"), load("torch")
rows = []
for key, label in (("train", "training step"), ("eval", "evaluation"), ("adversarial", "adversarial step")):
    r = {"workload": key, "batch": alvk[key]["batch"], "alvk": alvk[key]["images_per_s"]}
    if key in before:
        r["before"] = before[key]["images_per_s"]
        r["speedup"] = r["alvk"] / r["before"]
    if key in torch:
        r["pytorch"] = torch[key]["images_per_s"]
        r["pytorch_batch"] = torch[key]["batch"]
        r["ratio"] = r["alvk"] / r["pytorch"]
    rows.append((label, r))
if as_json:
    print(json.dumps({"rows": [r for _, r in rows], "alvk": alvk, "before": before, "pytorch": torch}))
    sys.exit(0)
tt = torch.get("torch", {})
print("images/s, this machine, one run" + (" (PyTorch %s on %s, %d CPU threads)" % (tt["version"], tt.get("device", "cpu"), tt["threads"]) if torch else ""))
head = "%-18s %6s %10s" % ("workload", "batch", "alvk")
if before: head += " %10s %8s" % ("before", "speedup")
if torch: head += " %10s %12s" % ("PyTorch", "alvk/PyTorch")
print(head)
for label, r in rows:
    line = "%-18s %6d %10.1f" % (label, r["batch"], r["alvk"])
    if before: line += " %10.1f %7.2fx" % (r["before"], r["speedup"])
    if torch: line += " %10.1f %12.2f" % (r["pytorch"], r["ratio"])
    print(line)
PY
