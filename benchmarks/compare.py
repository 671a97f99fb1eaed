#!/usr/bin/env python3
"""PyTorch side of benchmarks/compare.sh: the workloads alvk-e2e times,
built the same way in PyTorch on the CPU, or on a CUDA GPU with --device
cuda (timed with the device synchronised before each clock read; deeplay's ResNet18 layout on
28x28x1 inputs: a bias-free 7x7 stem, biased convolutions inside the
blocks and shortcuts, a 10-class head, the WAAL-like discriminator
512 -> 512 -> 512 -> 1). Prints one JSON object with images/s."""
import argparse, json, os, time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None  # torchvision's name: parity.py loads alvk's weights by it
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


def backbone():
    layers = [nn.Conv2d(1, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
              nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
        cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())


def rate(images, fn, steps, sync):
    fn()  # warm-up (and, on CUDA, cuDNN's algorithm choice)
    sync()
    t = time.perf_counter()
    for _ in range(steps):
        fn()
    sync()
    return images * steps / (time.perf_counter() - t)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--eval-images", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    B, H = backbone().to(dev), nn.Linear(512, 10).to(dev)
    D = nn.Sequential(nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                      nn.Linear(512, 1), nn.Sigmoid()).to(dev)
    opt_bh = torch.optim.Adam(list(B.parameters()) + list(H.parameters()), lr=1e-3)
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3)
    x = torch.rand(a.batch, 1, 28, 28, device=dev)
    xu = torch.rand(a.batch, 1, 28, 28, device=dev)
    y = torch.randint(0, 10, (a.batch,), device=dev)

    def train():
        opt_bh.zero_grad()
        F.cross_entropy(H(B(x)), y).backward()
        opt_bh.step()

    def adversarial():
        lb_z, ub_z = B(x), B(xu)
        pred = F.cross_entropy(H(lb_z), y)
        wae = pred - 1e-3 * ((D(ub_z) ** 2).mean() + ((D(lb_z) - 1) ** 2).mean())
        opt_bh.zero_grad()
        wae.backward()
        opt_bh.step()
        lb_z, ub_z = lb_z.detach(), ub_z.detach()
        alpha = torch.rand(a.batch, 1, device=dev)
        interp = (alpha * lb_z + (1 - alpha) * ub_z).requires_grad_(True)
        g, = torch.autograd.grad(D(interp).sum(), interp, create_graph=True)
        gp = ((g.norm(2, dim=1) - 1) ** 2).mean()
        dis = (D(ub_z) ** 2).mean() + ((D(lb_z) - 1) ** 2).mean() + 0.02 * gp
        opt_d.zero_grad()
        dis.backward()
        opt_d.step()

    B.train(), H.train()
    out = {"train": {"batch": a.batch, "images_per_s": rate(a.batch, train, a.steps, sync)},
           "adversarial": {"batch": a.batch,
                           "images_per_s": rate(2 * a.batch, adversarial, a.steps, sync)}}
    B.eval(), H.eval()
    by_batch = {}
    with torch.no_grad():
        for bs in (256, 512, 1024):
            xe = torch.rand(bs, 1, 28, 28, device=dev)
            n = max(1, a.eval_images // bs)
            by_batch[str(bs)] = rate(bs, lambda: H(B(xe)).argmax(1), n, sync)
    best = max(by_batch, key=by_batch.get)
    out["eval"] = {"batch": int(best), "images_per_s": by_batch[best], "by_batch": by_batch}
    out["torch"] = {"version": torch.__version__, "threads": torch.get_num_threads(),
                    "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
