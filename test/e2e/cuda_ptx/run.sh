#!/bin/bash
# Every kernel graphc --target=cuda makes for the seeds' MLP and LeNet (the
# forward, and with --train the loss, its gradient, train_step and eval)
# assembles with CUDA's ptxas for sm_90: no GPU needed. ptxas catches what
# only a real assembler sees (unresolved libdevice calls, bad PTX).
#   run.sh GRAPHC MLP_TRAIN LENET_GRAPH PTXAS WORKDIR
set -euo pipefail
graphc=$1 mlp_train=$2 lenet=$3 ptxas=$4 work=$5
if [ ! -x "$ptxas" ]; then
  echo "SKIPPED: no ptxas (the CUDA toolkit's, /usr/local/cuda/bin/ptxas); cannot check the PTX"
  exit 77
fi
mkdir -p "$work"
"$mlp_train" --emit-graph="$work/mlp.mlir" > /dev/null
for model in "$work/mlp.mlir" "$lenet"; do
  for mode in forward train; do
    flags=()
    [ "$mode" = train ] && flags=(--train)
    name=$(basename "$model" | sed 's/\..*//')-$mode
    "$graphc" "$model" "${flags[@]}" --target=cuda --emit=ptx -o "$work/$name.ptx"
    kernels=$(grep -c '^\.visible \.entry' "$work/$name.ptx")
    if ! "$ptxas" -arch=sm_90 "$work/$name.ptx" -o "$work/$name.cubin" 2> "$work/$name.log"; then
      echo "FAIL: ptxas refuses the kernels of $name:"
      head -20 "$work/$name.log"
      exit 1
    fi
    echo "$name: $kernels kernels, ptxas -arch=sm_90 accepts them"
    # The launches of one training step, as graphc makes them today (docs/
    # gpu.md): a bound that catches a pass that stops fusing or folding.
    if [ "$mode" = train ]; then
      steps=$(grep -c '^\.visible \.entry train_step_kernel' "$work/$name.ptx" || true)
      case "$name" in lenet-*) bound=108 ;; mlp-*) bound=61 ;; *) bound=1000000 ;; esac
      if [ "$steps" -gt "$bound" ]; then
        echo "FAIL: $name: train_step is $steps kernels, more than the $bound it was"
        exit 1
      fi
      echo "$name: train_step is $steps kernels (at most $bound)"
    fi
  done
done
