"""PyTorch anchor of core's bench: smallCnn training throughput and inference latency.

Same network as @bonsai/models' smallCnn ([conv3x3 same, no bias - BN(eps 1e-3) - ReLU] x2 +
maxPool 2 per width, flatten, dense-ReLU, dropout, dense 10), same batch, Adam 1e-3, softmax
cross-entropy, one thread (torch.set_num_threads(1)). Inputs are random (28x28x1, 10 classes):
throughput does not depend on the pixel values. Reads a JSON spec from argv[1], prints JSON.
Run with /usr/bin/python3 (Debian's python3-torch).
"""
import json
import statistics
import sys
import time

import torch
from torch import nn


def small_cnn(widths, hidden, dropout):
    layers, cin = [], 1
    for w in widths:
        for _ in range(2):
            layers += [nn.Conv2d(cin, w, 3, padding=1, bias=False), nn.BatchNorm2d(w, eps=1e-3), nn.ReLU()]
            cin = w
        layers.append(nn.MaxPool2d(2))
    side = 28 // (2 ** len(widths))
    layers += [nn.Flatten(), nn.Linear(cin * side * side, hidden), nn.ReLU()]
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, 10))
    return nn.Sequential(*layers)


def train_throughput(net, spec):
    samples, batch = spec["samples"], spec["batch"]
    x = torch.randn(samples, 1, 28, 28)
    y = torch.randint(0, 10, (samples,))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    epoch_ms = []
    for e in range(spec["warmup"] + spec["epochs"]):
        net.train()
        perm = torch.randperm(samples)
        t0 = time.perf_counter()
        for i in range(0, samples, batch):
            idx = perm[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
        loss.item()
        ms = (time.perf_counter() - t0) * 1000
        if e >= spec["warmup"]:
            epoch_ms.append(ms)
    return {"samplesPerSec": samples / (statistics.median(epoch_ms) / 1000), "epochMs": epoch_ms}


def inference_ms(net, batch, runs):
    net.eval()
    x = torch.randn(batch, 1, 28, 28)
    times = []
    with torch.no_grad():
        for i in range(3 + runs):
            t0 = time.perf_counter()
            net(x).numpy()
            if i >= 3:
                times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(1)
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "nets": {}}
    for n in spec["nets"]:
        net = small_cnn(n["widths"], n.get("hidden", 128), n.get("dropout", 0.3))
        r = {}
        if spec.get("train"):
            r["train"] = train_throughput(net, spec["train"])
        if spec.get("inference"):
            r["inferenceMs"] = {str(b): inference_ms(net, b, spec["inference"]["runs"]) for b in spec["inference"]["batches"]}
        out["nets"][n["name"]] = r
    print(json.dumps(out))


if __name__ == "__main__":
    main()
