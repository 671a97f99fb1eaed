#!/usr/bin/env python3
"""Checks that alvk's ResNet18 training step computes what PyTorch computes.

Runs alvk-parity (one forward and backward of `alvk train`'s graph, from
the initial weights of a seed, on the first --batch training images),
loads the same weights into PyTorch's model with torchvision's names, and
repeats the step in float64 (the reference) and float32. Prints, for the
loss, the pooled features, the batch-norm running statistics after the
step and every trainable tensor's gradient, the relative error of alvk and
of PyTorch's float32 against float64; exits 1 when alvk's exceed the bounds
below, 2 when it could not compare. --json prints one JSON object instead of the table.

Bounds: 1e-4 for the loss, 1e-3 for features and running statistics
(Winograd F(4x4) rounds up to 2e-4 on these maps), 5e-2 for a gradient
tensor. A gradient is the loosest because a ReLU whose input
is within rounding of zero switches on one side and off on the other; each
such switch moves every tensor upstream of it by a few parts in a thousand,
while a wrong formula, layout or missed term moves a tensor by order one.
The biases of convolutions followed by batch norm are left out: their exact
gradient is zero, so both sides hold rounding noise there."""
import argparse, gzip, json, os, subprocess, sys, tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from compare import Block  # deeplay's residual block, torchvision's names

BOUNDS = {"loss": 1e-4, "features": 1e-3, "running statistics": 1e-3, "gradient": 5e-2}


class ResNet18(nn.Module):
    """alvk_model_resnet18 with torchvision's tensor names: deeplay's
    layout (a bias-free 7x7 stem, biased convolutions in the blocks)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        cin = 64
        for i, (cout, stride) in enumerate([(64, 1), (128, 2), (256, 2), (512, 2)]):
            setattr(self, "layer%d" % (i + 1), nn.Sequential(Block(cin, cout, stride), Block(cout, cout, 1)))
            cin = cout
        self.fc = nn.Linear(512, 10)

    def features(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        for i in range(1, 5):
            x = getattr(self, "layer%d" % i)(x)
        return x.mean((2, 3))


def read_idx(path, count):
    """The first `count` items of an IDX file (raw or .gz)."""
    raw = open(path, "rb").read() if os.path.exists(path) else gzip.open(path + ".gz", "rb").read()
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(raw[3])]
    dims[0] = min(dims[0], count)
    return np.frombuffer(raw, np.uint8, count=int(np.prod(dims)), offset=4 + 4 * raw[3]).reshape(dims)


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    out = {}
    for name, v in json.loads(raw[8:8 + n]).items():
        if name != "__metadata__":
            a, b = v["data_offsets"]
            out[name] = torch.from_numpy(np.frombuffer(raw, np.float32, (b - a) // 4, 8 + n + a).reshape(v["shape"]).copy())
    return out


def step(weights, x, y, dtype):
    """PyTorch's training step in dtype: loss, features, state, gradients."""
    m = ResNet18().to(dtype)
    m.load_state_dict(weights)
    m.train()
    z = m.features(x.to(dtype))
    loss = F.cross_entropy(m.fc(z), y)
    loss.backward()
    grads = [(n, p.grad.double().flatten()) for n, p in m.named_parameters()]
    state = {n: t.double() for n, t in m.state_dict().items() if "running" in n}
    return loss.item(), z.detach().double(), state, grads


def die(message):
    """Could not compare (status 2), as opposed to compared and differed (1)."""
    print("parity.py: " + message, file=sys.stderr)
    sys.exit(2)


def rel(a, ref):
    return float((a - ref).norm() / max(float(ref.norm()), 1e-30))


def zero_exactly(name):
    """A convolution bias that a batch norm follows (all of them here)."""
    return name.endswith(".bias") and (".conv" in name or "downsample.0" in name)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.environ.get("ALVK_DATA", "data/mnist"), help="IDX data set (default: data/mnist)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--alvk-parity", default=os.path.join(os.environ.get("BUILD_DIR", "build"), "alvk-parity"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(os.cpu_count())
    with tempfile.TemporaryDirectory() as out:
        run = subprocess.run([a.alvk_parity, "--data", a.data, "--out", out, "--batch", str(a.batch),
                              "--seed", str(a.seed)], stdout=subprocess.PIPE, text=True)
        if run.returncode != 0:
            die("%s failed (status %d)" % (a.alvk_parity, run.returncode))
        alvk_loss = float(run.stdout.split()[1])
        init, after = read_safetensors(out + "/init.safetensors"), read_safetensors(out + "/after.safetensors")
        alvk_z = torch.from_numpy(np.fromfile(out + "/features.f32", np.float32)).double().reshape(a.batch, 512)
        alvk_g = torch.from_numpy(np.fromfile(out + "/grads.f32", np.float32)).double()
    x = torch.from_numpy(read_idx(os.path.join(a.data, "train-images-idx3-ubyte"), a.batch).astype(np.float32) / 255)
    y = torch.from_numpy(read_idx(os.path.join(a.data, "train-labels-idx1-ubyte"), a.batch).astype(np.int64))
    x = x.unsqueeze(1)
    loss64, z64, state64, g64 = step(init, x, y, torch.float64)
    loss32, z32, state32, g32 = step(init, x, y, torch.float32)

    rows = [("loss", "loss", abs(alvk_loss - loss64) / abs(loss64), abs(loss32 - loss64) / abs(loss64)),
            ("features", "pooled features", rel(alvk_z, z64), rel(z32, z64))]
    worst_state = max(state64, key=lambda n: rel(after[n].double(), state64[n]))
    rows.append(("running statistics", "running statistics (worst: %s)" % worst_state,
                 rel(after[worst_state].double(), state64[worst_state]), rel(state32[worst_state], state64[worst_state])))
    at = 0
    for (name, ref), (_, t32) in zip(g64, g32):
        mine = alvk_g[at:at + ref.numel()]
        at += ref.numel()
        if not zero_exactly(name):
            rows.append(("gradient", name, rel(mine, ref), rel(t32, ref)))
    if at != alvk_g.numel():
        die("alvk wrote %d gradients, PyTorch's model has %d" % (alvk_g.numel(), at))
    failed = [r for r in rows if not r[2] <= BOUNDS[r[0]]]
    if a.json:
        print(json.dumps({"ok": not failed, "batch": a.batch, "seed": a.seed, "bounds": BOUNDS,
                          "rows": [{"kind": k, "what": w, "alvk": e, "pytorch_f32": t} for k, w, e, t in rows]}))
    else:
        print("relative error against PyTorch %s in float64, one training step, batch %d, seed %d" % (torch.__version__, a.batch, a.seed))
        print("%-44s %10s %12s %8s" % ("", "alvk", "PyTorch f32", "bound"))
        for kind, what, e, t in rows:
            print("%-44s %10.2e %12.2e %8.0e%s" % (what, e, t, BOUNDS[kind], "  FAILED" if (kind, what, e, t) in failed else ""))
        print("parity: %s" % ("ok" if not failed else "%d of %d rows over their bounds" % (len(failed), len(rows))))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
