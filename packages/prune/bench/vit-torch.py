"""Torch side of the ViT `num_heads` check (issue 14; run by bench/vit-torch.ts with Debian's
/usr/bin/python3 and torch 1.13).

Reads <dir>/vit.json (Bonsai's dense ViT weights, flat float32 lists with shapes, in Bonsai's
layouts), <dir>/input.npy and the heads Bonsai's Pruner removed; builds the same ViT as torch
modules written the way timm / Torch-Pruning's ViT examples write attention (q/k/v/proj Linear
layers and a `num_heads` attribute used by the forward's reshape); removes the same heads by hand
(rows of q/k/v, columns of proj) and sets `num_heads`, and compares its logits with Bonsai's.
Prints one JSON object on stdout.
"""
import json
import math
import sys

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


class Attention(nn.Module):
    """Self-attention with separate q/k/v projections; `num_heads` drives the reshape."""

    def __init__(self, dim, num_heads, head_dim):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = head_dim
        self.scale = head_dim ** -0.5
        inner = num_heads * head_dim
        self.q = nn.Linear(dim, inner)
        self.k = nn.Linear(dim, inner)
        self.v = nn.Linear(dim, inner)
        self.proj = nn.Linear(inner, dim)

    def forward(self, x):
        b, t, _ = x.shape
        # As timm's Attention: the head split reads self.num_heads and infers the head width.
        split = lambda z: z.reshape(b, t, self.num_heads, -1).permute(0, 2, 1, 3)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        attn = (q @ k.transpose(-2, -1)) * self.scale
        ctx = attn.softmax(dim=-1) @ v
        return self.proj(ctx.transpose(1, 2).reshape(b, t, -1))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn = Attention(dim, heads, dim // heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-5)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x)), approximate="tanh"))


class ViT(nn.Module):
    def __init__(self, patch, dim, depth, heads, hidden, tokens, classes):
        super().__init__()
        self.patch_embed = nn.Conv2d(1, dim, patch, stride=patch)
        self.pos = nn.Parameter(torch.zeros(tokens, dim))
        self.blocks = nn.ModuleList([Block(dim, heads, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-5)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):  # x: [N, 1, H, W]
        t = self.patch_embed(x).flatten(2).transpose(1, 2) + self.pos
        for blk in self.blocks:
            t = blk(t)
        return self.head(self.norm(t).mean(dim=1))


def load_weights(model, w):
    """Copies Bonsai's params (kernels [in, out], conv [kh, kw, cin, cout]) into torch layouts."""
    def get(name):
        p = w[name]
        return torch.tensor(np.asarray(p["values"], dtype=np.float32).reshape(p["shape"]))

    def linear(layer, kernel, bias):
        layer.weight.copy_(get(kernel).T)
        layer.bias.copy_(get(bias))

    def norm(layer, prefix):
        layer.weight.copy_(get(f"{prefix}/gamma"))
        layer.bias.copy_(get(f"{prefix}/beta"))

    with torch.no_grad():
        model.patch_embed.weight.copy_(get("patch_embed/kernel").permute(3, 2, 0, 1))
        model.patch_embed.bias.copy_(get("patch_embed/bias"))
        model.pos.copy_(get("pos_embed/pos"))
        for i, blk in enumerate(model.blocks, start=1):
            norm(blk.norm1, f"blk{i}_ln1")
            for r in "qkv":
                linear(getattr(blk.attn, r), f"blk{i}_attn/w{r}", f"blk{i}_attn/b{r}")
            linear(blk.attn.proj, f"blk{i}_attn/wo", f"blk{i}_attn/bo")
            norm(blk.norm2, f"blk{i}_ln2")
            linear(blk.fc1, f"blk{i}_fc1/kernel", f"blk{i}_fc1/bias")
            linear(blk.fc2, f"blk{i}_fc2/kernel", f"blk{i}_fc2/bias")
        norm(model.norm, "ln_final")
        linear(model.head, "head/kernel", "head/bias")


def remove_heads(attn, removed, patch_num_heads=True):
    """Torch-Pruning's head removal done by hand: keep the other heads' q/k/v rows and proj columns."""
    keep = [h for h in range(attn.num_heads) if h not in removed]
    idx = torch.tensor([h * attn.head_dim + j for h in keep for j in range(attn.head_dim)])
    with torch.no_grad():
        for r in "qkv":
            old = getattr(attn, r)
            new = nn.Linear(old.in_features, len(idx))
            new.weight.copy_(old.weight[idx])
            new.bias.copy_(old.bias[idx])
            setattr(attn, r, new)
        old = attn.proj
        new = nn.Linear(len(idx), old.out_features)
        new.weight.copy_(old.weight[:, idx])
        new.bias.copy_(old.bias)
        attn.proj = new
    if patch_num_heads:
        attn.num_heads = len(keep)


def main():
    d = sys.argv[1]
    spec = json.load(open(f"{d}/vit.json"))
    o = spec["model"]
    x = torch.tensor(np.load(f"{d}/input.npy")).permute(0, 3, 1, 2)  # NHWC -> NCHW
    tokens = (x.shape[2] // o["patch"]) * (x.shape[3] // o["patch"])
    hidden = round(o["mlpRatio"] * o["dim"])

    def build():
        m = ViT(o["patch"], o["dim"], o["depth"], o["heads"], hidden, tokens, o["classes"])
        load_weights(m, spec["weights"])
        return m.eval()

    def max_diff(m, ref):
        with torch.no_grad():
            return float((m(x) - torch.tensor(np.asarray(ref, dtype=np.float32))).abs().max())

    dense = build()
    out = {"torch": torch.__version__, "denseMaxDiff": max_diff(dense, spec["bonsaiDense"])}
    pruned = build()
    unpatched = build()
    for i, blk in enumerate(pruned.blocks, start=1):
        remove_heads(blk.attn, spec["removed"].get(f"blk{i}_attn", []))
    for i, blk in enumerate(unpatched.blocks, start=1):
        remove_heads(blk.attn, spec["removed"].get(f"blk{i}_attn", []), patch_num_heads=False)
    out["prunedMaxDiff"] = max_diff(pruned, spec["bonsaiPruned"])
    out["unpatchedMaxDiff"] = max_diff(unpatched, spec["bonsaiPruned"])
    out["numHeads"] = {f"blk{i}_attn": blk.attn.num_heads for i, blk in enumerate(pruned.blocks, start=1)}
    out["params"] = {
        "dense": sum(p.numel() for p in dense.parameters()),
        "pruned": sum(p.numel() for p in pruned.parameters()),
    }
    with torch.no_grad():
        out["argmaxAgree"] = float((pruned(x).argmax(1) == torch.tensor(np.asarray(spec["bonsaiPruned"])).argmax(1)).float().mean())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
