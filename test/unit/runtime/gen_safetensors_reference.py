#!/usr/bin/env python3
"""Regenerates reference.safetensors with the official safetensors library.

safetensors_test.cc loads it (interop: a file written by PyTorch's tooling
loads into graphc) and checks that graphc's writer, given the same tensors
and metadata, produces the identical bytes. The test needs neither Python
nor torch; rerun only when changing the tensors below (keep them in sync
with ReferenceTensors() in safetensors_test.cc):

    python3 test/unit/runtime/gen_safetensors_reference.py
"""

import os

import torch
from safetensors.torch import load_file, save_file

TENSORS = {
    "conv1.weight": (torch.arange(8, dtype=torch.float32) * 0.5 - 1).reshape(2, 1, 2, 2),
    "conv1.bias": torch.tensor([0.25, -0.25], dtype=torch.float32),
    "fc.weight": torch.tensor([[1.5, -2.0, 3.25], [0.0, 1e-3, -1e10]], dtype=torch.float64),
    "step": torch.tensor(7, dtype=torch.int64),
    "labels": torch.tensor([0, 1, 2, -3], dtype=torch.int32),
    "mask": torch.tensor([True, False, True]),
    "empty": torch.zeros(0, 3, dtype=torch.float32),
}
# One entry only: safetensors writes several in hash order.
METADATA = {"format": "pt"}


def main():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.safetensors")
    save_file(TENSORS, path, metadata=METADATA)
    loaded = load_file(path)
    for name, tensor in TENSORS.items():
        assert torch.equal(loaded[name], tensor), name
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
