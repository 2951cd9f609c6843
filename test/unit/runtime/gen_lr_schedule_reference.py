#!/usr/bin/env python3
"""Writes lr_schedule_reference.json: the learning rate PyTorch's StepLR and
CosineAnnealingLR give each epoch (scheduler.step() after every epoch), for
lr_schedule_test.cc. Needs torch; the test does not."""
import json
import os

import torch

EPOCHS = 25
CASES = {
    "step:3": lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=3),
    "step:2:0.5": lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5),
    "cosine:10": lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10),
    "cosine:7:0.001": lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=7,
                                                                             eta_min=0.001),
}

out = {"base_lr": 0.1, "torch": torch.__version__, "schedules": {}}
for name, make in CASES.items():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=out["base_lr"])
    scheduler = make(opt)
    rates = []
    for _ in range(EPOCHS):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    out["schedules"][name] = rates
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lr_schedule_reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
