#!/usr/bin/env python3
"""Compares the tensors of two safetensors checkpoints (not their metadata,
which records the number of processes).

  compare_checkpoints.py A B --exact        every tensor the same bytes
  compare_checkpoints.py A B --rtol 1e-5    every float tensor within rtol of
                                            A's largest magnitude, per tensor

Reads the format with the standard library only (an 8-byte little-endian
header length, a JSON header, the raw bytes), so that make test needs no
numpy or safetensors package; it shares no code with graphc's reader.
"""
import argparse
import array
import json
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    header.pop("__metadata__", None)
    base = 8 + length
    return {name: (info["dtype"], info["shape"], data[base + info["data_offsets"][0] : base + info["data_offsets"][1]])
            for name, info in header.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--exact", action="store_true")
    mode.add_argument("--rtol", type=float)
    args = parser.parse_args()
    a, b = read(args.a), read(args.b)
    if sorted(a) != sorted(b):
        print(f"different tensors: {sorted(set(a) ^ set(b))}")
        return 1
    failures, worst = 0, (0.0, "")
    for name in sorted(a):
        (dtype_a, shape_a, bytes_a), (dtype_b, shape_b, bytes_b) = a[name], b[name]
        if (dtype_a, shape_a) != (dtype_b, shape_b):
            print(f"{name}: {dtype_a} {shape_a} vs {dtype_b} {shape_b}")
            failures += 1
            continue
        if args.exact or dtype_a != "F32":
            if bytes_a != bytes_b:
                differing = sum(x != y for x, y in zip(bytes_a, bytes_b))
                print(f"{name}: {differing} of {len(bytes_a)} bytes differ")
                failures += 1
            continue
        x, y = array.array("f", bytes_a), array.array("f", bytes_b)
        scale = max((abs(v) for v in x), default=0.0) or 1.0
        error = max((abs(p - q) for p, q in zip(x, y)), default=0.0) / scale
        worst = max(worst, (error, name))
        if error > args.rtol:
            print(f"{name}: differs by {error:.3g} of its largest magnitude (allowed {args.rtol})")
            failures += 1
    if failures:
        print(f"{args.a} and {args.b}: {failures} of {len(a)} tensors differ")
        return 1
    what = "the same bytes" if args.exact else f"within {args.rtol} (largest {worst[0]:.3g}, {worst[1]})"
    print(f"{len(a)} tensors {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
