#!/usr/bin/env bash
# A LeNet exported from PyTorch (test/onnx/models/lenet.onnx, made by
# scripts/export_lenet_onnx.py after torch.manual_seed(0)) compiled by graphc
# into a standalone training executable trains on Fashion-MNIST exactly as the
# same model written in the DSL (examples/lenet_train, graphc::manualSeed(0)):
# 100 steps of SGD with momentum give the same epoch line and a checkpoint
# within 1e-4 (the initial weights are the same draws), and the checkpoint
# holds the parameters under their PyTorch names.
# Usage: lenet_train.sh GRAPHC LENET_TRAIN WORK_DIR
set -euo pipefail
graphc=$1 lenet_train=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work" && cd "$work"
train=(--train --loss=cross_entropy --optimizer=sgd --momentum=0.9 --emit=exe)
"$graphc" "$here/models/lenet.onnx" "${train[@]}" -o lenet_onnx
"$lenet_train" --emit-graph lenet.mlir 2> /dev/null
"$graphc" lenet.mlir "${train[@]}" -o lenet_dsl 2> /dev/null
flags=(--epochs 1 --batch 64 --limit-train 6400 --limit-test 512 --seed 0 --lr 0.01)
./lenet_onnx "${flags[@]}" --save onnx.safetensors | grep '^epoch 1:' | sed 's/, [0-9]* images.s//' > onnx.txt
./lenet_dsl "${flags[@]}" --save dsl.safetensors | grep '^epoch 1:' | sed 's/, [0-9]* images.s//' > dsl.txt
cat onnx.txt
diff onnx.txt dsl.txt
python3 "$here/../e2e/data_parallel/compare_checkpoints.py" onnx.safetensors dsl.safetensors --rtol 1e-4
for name in conv1.weight conv2.bias fc1.weight fc3.bias optimizer.momentum_buffer.fc2.weight; do
  head -c 8192 onnx.safetensors | grep -aq "\"$name\""
done
echo "the imported LeNet trains as the DSL's"
