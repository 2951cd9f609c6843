#!/usr/bin/env python3
"""Exports the seeds' LeNet (examples/lenet_train/LeNet5.h: the 5x5 `Net` of
seed 001 with conv1 padded for 28x28 Fashion-MNIST) from PyTorch to ONNX, as
a user would: torch.manual_seed(0), the model built, torch.onnx.export with
a dynamic batch. The initial weights are then the ones graphc's DSL draws
after graphc::manualSeed(0), so the imported model and the DSL's train the
same (test/onnx/lenet_train.sh).

  python3 scripts/export_lenet_onnx.py test/onnx/models/lenet.onnx

Needs torch (pip install torch); make test does not: the .onnx is committed.
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def main():
    torch.manual_seed(0)
    model = Net()
    example = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(model, (example,), sys.argv[1], input_names=["images"],
                      output_names=["logits"], dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=17, dynamo=False)


if __name__ == "__main__":
    main()
