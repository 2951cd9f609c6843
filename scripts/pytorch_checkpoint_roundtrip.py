#!/usr/bin/env python3
"""Loads a graphc checkpoint of `lenet_train --model convnet_bn` (or of the
executable graphc builds from its graph) into the same model written in
PyTorch, with PyTorch's strict load_state_dict, evaluates it in eval mode (the
BatchNorm running statistics) on the first N Fashion-MNIST test images, and
writes the PyTorch state_dict back as safetensors for `--load`:

  python3 scripts/pytorch_checkpoint_roundtrip.py CHECKPOINT [--limit-test N] [--out FILE]

It prints `test loss L, accuracy A% (N images)`, the line graphc's
`--eval-only` prints, so the two can be compared. Needs torch and
safetensors (never `make test`)."""
import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_goldens import read_idx  # noqa: E402  (the IDX reader the goldens use)


class ConvNetBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.drop = nn.Dropout(0.25)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(self.drop(torch.flatten(x, 1)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint")
    parser.add_argument("--limit-test", type=int, default=0)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    tensors = load_file(args.checkpoint)
    state = {k: v for k, v in tensors.items() if not k.startswith("optimizer.")}
    model = ConvNetBN()
    model.load_state_dict(state, strict=True)  # raises on a missing or extra key
    model.eval()
    images = read_idx(args.data + "/t10k-images-idx3-ubyte.gz")
    labels = read_idx(args.data + "/t10k-labels-idx1-ubyte.gz")
    if args.limit_test:
        images, labels = images[:args.limit_test], labels[:args.limit_test]
    images = (images - 0.5) / 0.5  # Normalize((0.5,), (0.5,))
    with torch.no_grad():
        logits = model(images)
        loss = F.cross_entropy(logits, labels, reduction="sum").item() / len(labels)
        correct = (logits.argmax(1) == labels).sum().item()
    print(f"test loss {loss:.4f}, accuracy {100 * correct / len(labels):.2f}% ({len(labels)} images)")
    if args.out:
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
