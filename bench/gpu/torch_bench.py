#!/usr/bin/env python3
"""PyTorch's side of bench/gpu/run.sh: microseconds per training step of the
seeds' LeNet and MLP on the GPU at batch 64, as gpu_bench measures graphc's:
Adam (lr 1e-3) on cross-entropy, the batch copied from pinned host memory
each step and the loss read back (loss.item()), once eager and once with the
whole step (forward, backward, optimizer) captured in a CUDA graph
(torch.cuda.graph, Adam(capturable=True)) and replayed. Prints one JSON
object. Needs torch with CUDA; the models are bench/compare_pytorch.py's."""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from compare_pytorch import LeNet5, mlp  # noqa: E402


def batches(shape, batch, count):
    g = torch.Generator().manual_seed(1234)
    return [(torch.rand((batch,) + shape, generator=g).pin_memory(),
             (torch.arange(batch) % 10).pin_memory()) for _ in range(count)]


def time_steps(step, data, count):
    for i in range(max(count // 10, 3)):
        step(*data[i % len(data)])
    torch.cuda.synchronize()
    micros = []
    start_all = time.perf_counter()
    for i in range(count):
        start = time.perf_counter()
        step(*data[i % len(data)])
        micros.append((time.perf_counter() - start) * 1e6)
    mean = (time.perf_counter() - start_all) * 1e6 / count
    return {"median": round(statistics.median(micros), 1), "mean": round(mean, 1)}


def eager(make, shape, batch, count):
    model = make().cuda()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(x, y):
        x, y = x.cuda(non_blocking=True), y.cuda(non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return time_steps(step, batches(shape, batch, 16), count)


def cuda_graph(make, shape, batch, count):
    model = make().cuda()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, capturable=True)
    static_x = torch.zeros((batch,) + shape, device="cuda")
    static_y = torch.zeros(batch, dtype=torch.long, device="cuda")
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm-up, as the recipe in torch.cuda.graph's docs
        for _ in range(3):
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(static_x), static_y).backward()
            optimizer.step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    optimizer.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        static_loss = F.cross_entropy(model(static_x), static_y)
        static_loss.backward()
        optimizer.step()

    def step(x, y):
        static_x.copy_(x, non_blocking=True)
        static_y.copy_(y, non_blocking=True)
        graph.replay()
        return static_loss.item()

    return time_steps(step, batches(shape, batch, 16), count)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"error": "torch.cuda.is_available() is False"}))
        return 1
    result = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0)}
    for name, make, shape in (("lenet", LeNet5, (1, 28, 28)), ("mlp", mlp, (784,))):
        result[name] = {"eager_us": eager(make, shape, args.batch, args.steps),
                        "cuda_graph_us": cuda_graph(make, shape, args.batch, args.steps),
                        "batch": args.batch}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
