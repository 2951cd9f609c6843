#!/usr/bin/env python3
"""Writes the PyTorch golden files graphc's tests compare against.

Run once after changing a golden model (needs `pip install torch safetensors`;
`make test` never needs torch). Outputs go to test/goldens/:

  lenet_forward.safetensors  seed-000 Net (3x3 convs): state_dict after
                             torch.manual_seed(0), an input batch and its output
  mlp_forward.safetensors    seed-003 MLP (784-128-64-10, LogSoftmax): the same
  lenet_forward.txt          what examples/lenet_forward prints, from PyTorch
  mlp_init.safetensors       MLP state_dict after torch.manual_seed(0) only
  linear_regression.txt      what examples/linear_regression prints (seed 004)
  autograd_basics.txt        what examples/autograd_basics prints (seed 002)
  mlp_fashion.safetensors    the MLP's state_dict after one PyTorch epoch (SGD, momentum
                             0.9) on the first 10,000 Fashion-MNIST training images;
  mlp_fashion_eval.txt       the line `mlp_train --load ... --eval-only` must print for it
                             (loss and accuracy over all 10,000 test images)
  losses.safetensors         every loss (mean and sum) on fixed inputs, with the
                             gradient of the mean loss with respect to the input
  mlp_train.safetensors      100 training steps of the MLP (NLLLoss on LogSoftmax)
                             from mlp_init, cycling over 2 fixed batches: the labels,
                             the loss of every step and the final parameters, for
                             SGD (lr 0.01, momentum 0.9) and Adam (lr 1e-3). The
                             images are torch.rand(2, 64, 784) after manual_seed(1),
                             which graphc's generator reproduces, so they are not stored.
  nn_modules.safetensors     the activations, LayerNorm and the further losses (L1,
                             SmoothL1, Huber, cross-entropy with ignore_index and
                             label_smoothing) on fixed float64 inputs: values and
                             the gradients of every input and parameter
  optimizers.safetensors     mlp_train's 100 steps for RMSprop and Adagrad (plain,
                             and with every option: momentum, centered, lr_decay,
                             initial_accumulator_value, weight_decay). The learning
                             rates keep the runs well conditioned: RMSprop at 1e-3
                             (no bias correction: its first steps are 10 lr per
                             weight) is chaotic, PyTorch's own float32 and float64
                             runs part by 1.6% in loss within 100 steps.

  batch_norm.safetensors     BatchNorm1d/2d (momentum 0.1, None and 0.3; without running
                             statistics; without affine) in float64: every train-mode
                             call's input, output and gradients, the state_dict after
                             them, and an eval-mode call; and a Linear-BatchNorm1d-ReLU-
                             Linear classifier's 20 SGD steps (its initial and final
                             state_dict with the running statistics, the losses, and
                             its eval-mode output)

  embedding.safetensors      F.embedding of a float64 [7, 3] table at [2, 4] indices with
                             repeats: the output, and the table's gradient for a random
                             upstream gradient without and with padding_idx=2

`python3 scripts/make_goldens.py --only nn_modules optimizers batch_norm embedding` rewrites
just those.

The forward files use a random-normal input batch (not graphc's generator) so
that the comparison exercises the model on data graphc did not produce.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "goldens")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 16, 3)
        self.fc1 = nn.Linear(16 * 6 * 6, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)

    def num_flat_features(self, x):
        n = 1
        for s in x.size()[1:]:
            n *= s
        return n


def mlp():
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10), nn.LogSoftmax(dim=1))


def forward_golden(name, model, input_shape):
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    torch.manual_seed(1234)
    x = torch.randn(*input_shape)
    with torch.no_grad():
        y = model(x)
    tensors = dict(state)
    tensors["input"] = x.contiguous()
    tensors["output"] = y.contiguous()
    save_file(tensors, os.path.join(OUT, name + ".safetensors"),
              metadata={"generator": "scripts/make_goldens.py", "torch": torch.__version__})


class SimpleModel(nn.Module):
    def __init__(self):
        super(SimpleModel, self).__init__()
        self.layer1 = nn.Linear(2, 3)
        self.layer2 = nn.ReLU()
        self.layer3 = nn.Linear(3, 1)

    def forward(self, x):
        return self.layer3(self.layer2(self.layer1(x)))


def linear_regression_golden():
    torch.manual_seed(0)
    model = SimpleModel()
    lines = [str(model)]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    criterion = nn.MSELoss()
    for epoch in range(10):
        inputs = torch.rand(1, 2)
        targets = torch.rand(1, 1)
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
        lines.append(f"Epoch {epoch+1}, Loss: {loss.item()}")
    with open(os.path.join(OUT, "linear_regression.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def autograd_golden():
    """Seed 002, printed in order."""
    out = []
    x = torch.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]])
    out.append(str(x.shape))
    X = torch.tensor([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.], [10., 11., 12.]], requires_grad=True)
    out.append(str(X) + "\n")
    x = torch.tensor(1., requires_grad=True)
    w, b = torch.tensor(2.), torch.tensor(3.)
    out.append(str(x.grad))
    y = w * x + b
    y.backward(torch.tensor(1.))
    out.append(str(x.grad) + "\n")
    x = torch.tensor(4., requires_grad=True)
    w = torch.tensor(2., requires_grad=True)
    b = torch.tensor(3., requires_grad=True)
    out += [str(x.grad), str(w.grad), str(b.grad)]
    y = w * x + b
    y.backward(torch.tensor(1.))
    out += [str(x.grad), str(w.grad), str(b.grad) + "\n"]
    X = torch.tensor([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.], [10., 11., 12.]], requires_grad=True)
    W = torch.tensor([[1., 2.], [4., 5.], [7., 8.]], requires_grad=True)
    b = torch.tensor([4., 5.], requires_grad=True)
    y = (X.matmul(W) + b).sum()
    y.backward(torch.tensor(1.))
    out += [str(X.grad), str(W.grad), str(b.grad) + "\n"]
    X = torch.tensor([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.], [10., 11., 12.]], requires_grad=True)
    W = torch.tensor([[1., 2.], [4., 5.], [7., 8.]], requires_grad=True)
    X.matmul(W).sum().backward(torch.tensor(1.))
    out.append(str(X.grad))
    X = torch.tensor([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.], [10., 11., 12.]], requires_grad=True)
    W = torch.tensor([[1., 2.], [4., 5.], [7., 8.]], requires_grad=True)
    Z = X.matmul(W)
    Z.backward(torch.ones(Z.shape))
    out.append(str(X.grad))
    with open(os.path.join(OUT, "autograd_basics.txt"), "w") as f:
        f.write("\n".join(out) + "\n")


def read_idx(path):
    import gzip
    import numpy as np
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = int.from_bytes(data[0:4], "big"), int.from_bytes(data[4:8], "big")
    if magic == 0x801:
        return torch.from_numpy(np.frombuffer(data, np.uint8, count, 8).astype(np.int64))
    rows, cols = int.from_bytes(data[8:12], "big"), int.from_bytes(data[12:16], "big")
    pixels = np.frombuffer(data, np.uint8, count * rows * cols, 16).reshape(count, 1, rows, cols)
    return torch.from_numpy(pixels.astype(np.float32) / 255.0)


def fashion_golden():
    root = "/usr/share/datasets/fashion-mnist"
    train_x = (read_idx(f"{root}/train-images-idx3-ubyte.gz")[:10000] - 0.5) / 0.5
    train_y = read_idx(f"{root}/train-labels-idx1-ubyte.gz")[:10000]
    test_x = (read_idx(f"{root}/t10k-images-idx3-ubyte.gz") - 0.5) / 0.5
    test_y = read_idx(f"{root}/t10k-labels-idx1-ubyte.gz")
    torch.manual_seed(0)
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    criterion = nn.NLLLoss()
    order = torch.randperm(10000)
    for start in range(0, 10000, 64):
        idx = order[start:start + 64]
        opt.zero_grad()
        criterion(model(train_x[idx].view(len(idx), -1)), train_y[idx]).backward()
        opt.step()
    with torch.no_grad():
        logp = model(test_x.view(10000, -1))
        loss = nn.NLLLoss(reduction="sum")(logp, test_y).item() / 10000
        accuracy = (logp.argmax(1) == test_y).float().mean().item()
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              os.path.join(OUT, "mlp_fashion.safetensors"))
    with open(os.path.join(OUT, "mlp_fashion_eval.txt"), "w") as f:
        f.write(f"test loss {loss:.4f}, accuracy {100 * accuracy:.2f}% (10000 images)\n")


def losses_golden():
    torch.manual_seed(2)
    out = {
        "logits": torch.randn(5, 4, dtype=torch.float64) * 3,
        "classes": torch.tensor([0, 3, 1, 3, 2]),
        "prediction": torch.randn(5, 3, dtype=torch.float64),
        "regression_target": torch.randn(5, 3, dtype=torch.float64),
        "binary_target": (torch.rand(5, 3, dtype=torch.float64) > 0.5).double(),
    }
    cases = {
        "mse": (nn.MSELoss, "prediction", "regression_target"),
        "cross_entropy": (nn.CrossEntropyLoss, "logits", "classes"),
        "nll": (nn.NLLLoss, "log_probabilities", "classes"),
        "bce_with_logits": (nn.BCEWithLogitsLoss, "prediction", "binary_target"),
    }
    out["log_probabilities"] = F.log_softmax(out["logits"], dim=1)
    for name, (cls, inp, tgt) in cases.items():
        for reduction in ("mean", "sum"):
            x = out[inp].clone().requires_grad_(True)
            value = cls(reduction=reduction)(x, out[tgt])
            out[name + "." + reduction] = value.detach().reshape(())
            if reduction == "mean":
                value.backward()
                out[name + ".grad"] = x.grad.detach()
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(OUT, "losses.safetensors"))


def train_mlp_goldens(images, labels, optimizers, out):
    """For each name -> optimizer factory: 100 NLLLoss steps of the MLP from
    manual_seed(0), cycling over the 2 batches; every step's loss and the
    final state_dict go into `out` under `name.`."""
    for name, make in optimizers.items():
        torch.manual_seed(0)
        model = mlp()
        opt = make(model.parameters())
        criterion = nn.NLLLoss()
        losses = []
        for step in range(100):
            x, y = images[step % 2], labels[step % 2]
            opt.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        out[name + ".losses"] = torch.tensor(losses, dtype=torch.float64)
        for k, v in model.state_dict().items():
            out[name + "." + k] = v.detach().contiguous()


def train_golden():
    torch.manual_seed(1)
    images = torch.rand(2, 64, 784)
    labels = torch.randint(0, 10, (2, 64))
    out = {"labels": labels.contiguous()}
    train_mlp_goldens(images, labels, {
        "sgd": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
        "adam": lambda p: torch.optim.Adam(p, lr=1e-3),
    }, out)
    save_file(out, os.path.join(OUT, "mlp_train.safetensors"),
              metadata={"generator": "scripts/make_goldens.py", "torch": torch.__version__})


def grads_of(fn, inputs, upstream):
    """fn's value at `inputs` and the gradient of sum(fn * upstream) for each."""
    leaves = [t.clone().requires_grad_(True) for t in inputs]
    y = fn(*leaves)
    y.backward(upstream if upstream is not None else torch.ones_like(y))
    return y.detach(), [t.grad.detach() for t in leaves]


def nn_modules_golden():
    torch.manual_seed(3)
    x = torch.randn(4, 6, dtype=torch.float64) * 3
    x[0, 0] = 0.0    # every activation's kink
    x[0, 1] = 30.0   # past softplus's threshold
    x[0, 2] = -30.0  # far into the flat side
    upstream = torch.randn(4, 6, dtype=torch.float64)
    out = {"x": x, "upstream": upstream}
    activations = {
        "leaky_relu": lambda t: F.leaky_relu(t),
        "leaky_relu_0.2": lambda t: F.leaky_relu(t, 0.2),
        "gelu": lambda t: F.gelu(t),
        "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
        "silu": F.silu,
        "softplus": lambda t: F.softplus(t),
        "softplus_2_5": lambda t: F.softplus(t, beta=2, threshold=5),
        "elu": lambda t: F.elu(t),
        "elu_0.5": lambda t: F.elu(t, alpha=0.5),
    }
    for name, fn in activations.items():
        y, (dx,) = grads_of(fn, [x], upstream)
        out[name], out[name + ".grad"] = y, dx

    ln_x = torch.randn(3, 4, 5, dtype=torch.float64) * 2 + 1
    ln_up = torch.randn(3, 4, 5, dtype=torch.float64)
    out["ln.x"], out["ln.upstream"] = ln_x, ln_up
    for name, shape in (("ln_last", (5,)), ("ln_two", (4, 5))):
        w = torch.randn(*shape, dtype=torch.float64)
        b = torch.randn(*shape, dtype=torch.float64)
        y, (dx, dw, db) = grads_of(lambda t, w, b: F.layer_norm(t, shape, w, b, 1e-5),
                                   [ln_x, w, b], ln_up)
        out.update({name + ".weight": w, name + ".bias": b, name: y, name + ".grad_x": dx,
                    name + ".grad_weight": dw, name + ".grad_bias": db})

    prediction = torch.randn(6, 3, dtype=torch.float64) * 1.5
    target = torch.randn(6, 3, dtype=torch.float64)
    out["prediction"], out["target"] = prediction, target
    regression = {
        "l1": lambda r: (lambda a, b: F.l1_loss(a, b, reduction=r)),
        "smooth_l1": lambda r: (lambda a, b: F.smooth_l1_loss(a, b, reduction=r)),
        "smooth_l1_0.5": lambda r: (lambda a, b: F.smooth_l1_loss(a, b, reduction=r, beta=0.5)),
        "smooth_l1_0": lambda r: (lambda a, b: F.smooth_l1_loss(a, b, reduction=r, beta=0.0)),
        "huber": lambda r: (lambda a, b: F.huber_loss(a, b, reduction=r)),
        "huber_2": lambda r: (lambda a, b: F.huber_loss(a, b, reduction=r, delta=2.0)),
    }
    for name, make in regression.items():
        for reduction in ("mean", "sum"):
            y, (dx, _) = grads_of(make(reduction), [prediction, target], None)
            out[name + "." + reduction] = y.reshape(())
            if reduction == "mean":
                out[name + ".grad"] = dx

    logits = torch.randn(6, 5, dtype=torch.float64) * 2
    classes = torch.tensor([0, -100, 2, 4, 2, 1])
    out["logits"], out["classes"] = logits, classes
    classification = {
        "ce_ignore": dict(),
        "ce_smooth": dict(label_smoothing=0.1),
        "ce_ignore2_smooth": dict(ignore_index=2, label_smoothing=0.25),
    }
    for name, kwargs in classification.items():
        for reduction in ("mean", "sum", "none"):
            labels = classes if name != "ce_ignore2_smooth" else classes.clamp(min=0)
            y, (dx,) = grads_of(lambda a: F.cross_entropy(a, labels, reduction=reduction, **kwargs),
                                [logits], None if reduction != "none" else torch.ones(6, dtype=torch.float64))
            out[name + "." + reduction] = y
            if reduction == "mean":
                out[name + ".grad"] = dx
    logp = F.log_softmax(logits, dim=1)
    out["log_probabilities"] = logp
    y, (dx,) = grads_of(lambda a: F.nll_loss(a, classes), [logp], None)
    out["nll_ignore.mean"], out["nll_ignore.grad"] = y, dx
    save_file({k: v.contiguous() for k, v in out.items()},
              os.path.join(OUT, "nn_modules.safetensors"),
              metadata={"generator": "scripts/make_goldens.py", "torch": torch.__version__})


def optimizers_golden():
    torch.manual_seed(1)
    images = torch.rand(2, 64, 784)
    labels = torch.randint(0, 10, (2, 64))
    out = {"labels": labels.contiguous()}
    configs = {
        "rmsprop": lambda p: torch.optim.RMSprop(p, lr=1e-4),
        "rmsprop_all": lambda p: torch.optim.RMSprop(p, lr=1e-4, alpha=0.9, eps=1e-6,
                                                     weight_decay=0.01, momentum=0.5,
                                                     centered=True),
        "adagrad": lambda p: torch.optim.Adagrad(p, lr=1e-3),
        "adagrad_all": lambda p: torch.optim.Adagrad(p, lr=0.01, lr_decay=0.01,
                                                     weight_decay=0.001,
                                                     initial_accumulator_value=0.1, eps=1e-8),
    }
    train_mlp_goldens(images, labels, configs, out)
    save_file(out, os.path.join(OUT, "optimizers.safetensors"),
              metadata={"generator": "scripts/make_goldens.py", "torch": torch.__version__})


def batch_norm_golden():
    torch.manual_seed(4)
    out = {}
    cases = {
        # name: (module, input shape, calls in train mode)
        "bn2d": (nn.BatchNorm2d(3), (4, 3, 5, 5), 2),
        "bn1d_cumulative": (nn.BatchNorm1d(5, momentum=None), (8, 5), 3),
        "bn1d_3d": (nn.BatchNorm1d(4, eps=1e-3, momentum=0.3), (6, 4, 7), 2),
        "bn2d_no_stats": (nn.BatchNorm2d(2, track_running_stats=False), (3, 2, 4, 4), 1),
        "bn2d_no_affine": (nn.BatchNorm2d(2, affine=False), (3, 2, 4, 4), 1),
    }
    for name, (module, shape, calls) in cases.items():
        module = module.double()
        if module.affine:
            with torch.no_grad():
                module.weight.copy_(torch.randn_like(module.weight))
                module.bias.copy_(torch.randn_like(module.bias))
            out[name + ".weight"] = module.weight.detach().clone()
            out[name + ".bias"] = module.bias.detach().clone()
        for call in range(calls):
            x = (torch.randn(*shape, dtype=torch.float64) * 2 + 0.5).requires_grad_(True)
            upstream = torch.randn(*shape, dtype=torch.float64)
            module.zero_grad()
            y = module(x)
            y.backward(upstream)
            tag = f"{name}.{call}"
            out.update({tag + ".x": x.detach(), tag + ".upstream": upstream, tag + ".y": y.detach(),
                        tag + ".grad_x": x.grad.detach()})
            if module.affine:
                out[tag + ".grad_weight"] = module.weight.grad.detach().clone()
                out[tag + ".grad_bias"] = module.bias.grad.detach().clone()
        for k, v in module.state_dict().items():
            out[name + ".state." + k] = v.detach().clone()
        module.eval()
        x = torch.randn(*shape, dtype=torch.float64)
        with torch.no_grad():
            out[name + ".eval.x"], out[name + ".eval.y"] = x, module(x)

    # A small classifier with BatchNorm1d trained 20 SGD steps (momentum 0.9):
    # the training step updates the running statistics too.
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 10),
                          nn.LogSoftmax(dim=1))
    torch.manual_seed(1)
    images = torch.rand(2, 64, 784)
    labels = torch.randint(0, 10, (2, 64))
    out["train.labels"] = labels
    for k, v in model.state_dict().items():
        out["train.init." + k] = v.detach().clone()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for step in range(20):
        opt.zero_grad()
        loss = F.nll_loss(model(images[step % 2]), labels[step % 2])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out["train.losses"] = torch.tensor(losses, dtype=torch.float64)
    for k, v in model.state_dict().items():
        out["train.final." + k] = v.detach().clone()
    model.eval()
    with torch.no_grad():
        out["train.eval_output"] = model(images[0])
    save_file({k: v.contiguous() for k, v in out.items()},
              os.path.join(OUT, "batch_norm.safetensors"),
              metadata={"generator": "scripts/make_goldens.py", "torch": torch.__version__})


def embedding_golden():
    torch.manual_seed(6)
    weight = torch.randn(7, 3, dtype=torch.float64)
    indices = torch.tensor([[0, 2, 2, 6], [1, 2, 5, 0]])
    upstream = torch.randn(2, 4, 3, dtype=torch.float64)
    out = {"weight": weight, "indices": indices, "upstream": upstream}
    for name, padding in (("plain", None), ("padding", 2)):
        w = weight.clone().requires_grad_(True)
        y = F.embedding(indices, w, padding_idx=padding)
        y.backward(upstream)
        out[name + ".y"], out[name + ".grad_weight"] = y.detach(), w.grad.detach()
    save_file({k: v.contiguous() for k, v in out.items()},
              os.path.join(OUT, "embedding.safetensors"),
              metadata={"generator": "scripts/make_goldens.py", "torch": torch.__version__})


ONLY = {"nn_modules": nn_modules_golden, "optimizers": optimizers_golden,
        "batch_norm": batch_norm_golden, "embedding": embedding_golden}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    if len(sys.argv) > 2 and sys.argv[1] == "--only":
        for name in sys.argv[2:]:
            if name not in ONLY:
                sys.exit(f"make_goldens.py: --only takes {', '.join(ONLY)}, got '{name}'")
            ONLY[name]()
        return

    # The LeNet walk-through, printed exactly as examples/lenet_forward prints it.
    torch.manual_seed(0)
    net = Net()
    params = list(net.parameters())
    x = torch.rand(1, 1, 32, 32)
    with torch.no_grad():
        out = net(x)
    with open(os.path.join(OUT, "lenet_forward.txt"), "w") as f:
        f.write(f"{net}\n{len(params)}\n{params[0].size()}\n{out}\n")
    forward_golden("lenet_forward", net, (5, 1, 32, 32))

    torch.manual_seed(0)
    model = mlp()
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              os.path.join(OUT, "mlp_init.safetensors"))
    forward_golden("mlp_forward", model, (64, 784))
    train_golden()
    losses_golden()
    linear_regression_golden()
    autograd_golden()
    fashion_golden()
    nn_modules_golden()
    optimizers_golden()
    batch_norm_golden()
    embedding_golden()
    print("wrote goldens to", os.path.normpath(OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
