#!/usr/bin/env python3
"""Training throughput of the seeds' MLP and CNN: PyTorch (eager and
torch.compile) next to graphc's JIT (build/bin/train_bench), in one run.

    python3 bench/compare_pytorch.py [--steps 20] [--repeats 3] [--rounds 2]
                                     [--batches 64,256] [--threads 1,2]
                                     [--optimizers sgd,adam] [--micro-batch cnn=32]

Needs `pip install torch` (never needed by `make test`). Prints a table of
images/s, graphc's ratio to each PyTorch mode and to the better of the two.
Same models, loss (cross entropy), optimizer (SGD with momentum 0.9, or Adam
with PyTorch's defaults), batch sizes and thread counts on both sides; random
data, no data loading in the timed loop. Each side's rate is that of its
fastest of `repeats` timed runs of `steps` steps, after the same warm-up: the
shared machines' speed moves by 10-20 % between runs a fraction of a second
long. The three sides take turns, `rounds` times per configuration, and each
keeps its fastest round: a burst of another process lasting seconds, which
the back-to-back repeats all fall into, then costs a side one round, not its
row (graphc's CNN at batch 64 on two threads came out below its one-thread
rate in two sessions' single-round runs, 32,191 and 32,753 images/s, and at
48,000-56,000 alone).

graphc computes the CNN's steps in parts of 32 rows (`--micro-batch cnn=32`,
train_bench's --micro-batch: the same batch mean, up to rounding, with a
part's activations in the caches, and the parts on the threads;
docs/performance.md, "Micro-batches"); `--micro-batch none` runs whole
batches. The MLP's activations fit at any batch here, and its weight
gradients run faster on whole batches.
"""
import argparse
import os
import re
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mlp():
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def torch_images_per_sec(name, batch, steps, repeats, compiled, optimizer):
    torch.manual_seed(0)
    model = mlp() if name == "mlp" else LeNet5()
    shape = (batch, 784) if name == "mlp" else (batch, 1, 28, 28)
    x, y = torch.rand(*shape), torch.arange(batch) % 10
    if optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=0.001)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    # Each configuration compiles its own step: without a reset, dynamo's
    # cache of earlier configurations' steps (another model, optimizer or
    # batch) reaches its recompile limit after eight and then runs this one
    # eagerly, which understated torch.compile in the later rows.
    torch._dynamo.reset()
    fn = torch.compile(step) if compiled else step
    for _ in range(3):  # warm-up (and compilation)
        fn()
    seconds = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            fn()
        seconds = min(seconds, time.perf_counter() - start)
    return steps * batch / seconds


def graphc_images_per_sec(name, batch, steps, repeats, threads, optimizer, micro_batch):
    exe = os.path.join(ROOT, "build", "bin", "train_bench")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([exe, f"--model={name}", f"--batch={batch}", f"--steps={steps}", f"--repeats={repeats}",
                          f"--num-threads={threads}", f"--optimizer={optimizer}", f"--micro-batch={micro_batch}"],
                         capture_output=True, text=True, env=env,
                         check=True).stdout
    return float(re.search(r"(\d+) images/s", out).group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed runs per configuration and side; the fastest counts")
    parser.add_argument("--batches", default="64,256")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--optimizers", default="sgd,adam")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    parser.add_argument("--micro-batch", default="cnn=32",
                        help="graphc's rows per part of a step, MODEL=ROWS[,MODEL=ROWS] (none: whole"
                             " batches)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of graphc, eager and torch.compile per configuration, one after"
                             " another; each side's fastest round counts (a few seconds of another"
                             " process on this 2-core machine otherwise decided a side's row)")
    args = parser.parse_args()
    micro_batch = {}
    if args.micro_batch != "none":
        for setting in args.micro_batch.split(","):
            model, _, rows = setting.partition("=")
            if model not in ("mlp", "cnn") or not rows.isdigit():
                parser.error(f"--micro-batch: expected MODEL=ROWS with MODEL mlp or cnn, got '{setting}'")
            micro_batch[model] = int(rows)
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs")
    header = f"{'model':5} {'opt':4} {'batch':>5} {'thr':>3} {'graphc':>9} {'eager':>9}" \
             f" {'compile':>9} {'vs eager':>9} {'vs compile':>10} {'vs best':>8}   (images/s)"
    print("graphc's micro-batches: " + (", ".join(f"{m} {r} rows" for m, r in micro_batch.items()) or "none"))
    print(header)
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        for name in ("mlp", "cnn"):
            for optimizer in args.optimizers.split(","):
                for batch in [int(b) for b in args.batches.split(",")]:
                    g = e = c = 0.0
                    for _ in range(args.rounds):
                        g = max(g, graphc_images_per_sec(name, batch, args.steps, args.repeats,
                                                         threads, optimizer, micro_batch.get(name, 0)))
                        e = max(e, torch_images_per_sec(name, batch, args.steps, args.repeats,
                                                        False, optimizer))
                        c = float("nan") if args.no_compile else max(c, torch_images_per_sec(
                            name, batch, args.steps, args.repeats, True, optimizer))
                    best = e if args.no_compile else max(e, c)
                    print(f"{name:5} {optimizer:4} {batch:5} {threads:3} {g:9.0f} {e:9.0f}"
                          f" {c:9.0f} {g / e:9.2f} {g / c:10.2f} {g / best:8.2f}")
                    sys.stdout.flush()


if __name__ == "__main__":
    main()
