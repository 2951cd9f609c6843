#!/bin/bash
# The CUDA target on a GPU, in one run on the lent machine (well under 10
# minutes), from the repository root with bench/gpu/artifacts carried
# (bench/gpu/build.sh makes them here):
#   1. gpu_bench: LeNet and the MLP on the GPU and on the CPU build from the
#      same initialization: the forward at initialization, the first step's
#      gradients and 200 steps' losses compared (the tensors after them
#      reported); then microseconds per train_step at batch 64 with the CUDA
#      graph, with streams only, and on the CPU; and each kernel timed alone
#      (GRAPHC_CUDA_KERNEL_PROFILE, kernels.tsv);
#   2. graphc's LeNet executable (--target=cuda): one epoch of Fashion-MNIST;
#   3. PyTorch on the same GPU, eager and with CUDA graphs (torch_bench.py);
#   4. summary.py: the verdicts against docs/gpu.md's targets.
# Results go to $OUT (JSON and text). Without a GPU it says so and exits 77.
#   bash bench/gpu/run.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
artifacts=$here/artifacts
out=${OUT:-$here/out}
mkdir -p "$out"
if [ ! -x "$artifacts/gpu_bench" ]; then
  echo "no $artifacts/gpu_bench: run bench/gpu/build.sh first (and carry bench/gpu/artifacts)"
  exit 2
fi
# Only graphc's programs get the carried libraries (PyTorch keeps its own).
with_libs() { LD_LIBRARY_PATH="$artifacts/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }
(nvidia-smi -L || true) > "$out/nvidia-smi.txt" 2>&1

# Each step has its own time limit, all together under 8 minutes; a step that
# fails leaves the others' results (the lent machine's minutes are few).
echo "== gpu_bench (self-test and timings)"
with_libs timeout 120 "$artifacts/gpu_bench" --steps 200 --timed 500 \
  > "$out/gpu_bench.json" 2> "$out/gpu_bench.err"
rc=$?
if [ $rc = 77 ]; then
  echo "SKIPPED: no usable GPU: $(cat "$out/gpu_bench.err")"
  exit 77
fi
echo "rc=$rc $(head -c 600 "$out/gpu_bench.json") $(head -c 600 "$out/gpu_bench.err")"

echo "== the kernels one by one (GRAPHC_CUDA_KERNEL_PROFILE, docs/gpu.md)"
GRAPHC_CUDA_KERNEL_PROFILE="$out/kernels.tsv" with_libs timeout 45 "$artifacts/gpu_bench" \
  --steps 2 --timed 20 > /dev/null 2> "$out/kernels.err"
echo "rc=$? $(($(cat "$out/kernels.tsv" 2>/dev/null | wc -l) - 1)) kernels"

echo "== lenet_gpu: one epoch of Fashion-MNIST"
start=$(date +%s.%N)
with_libs timeout 90 "$artifacts/lenet_gpu" --data "$artifacts/data" --epochs 1 --batch 64 \
  --metrics "$out/lenet_epoch.jsonl" > "$out/lenet_epoch.txt" 2>&1
rc=$?
end=$(date +%s.%N)
echo "rc=$rc $(tail -2 "$out/lenet_epoch.txt") ($(awk "BEGIN {print $end - $start}") s)"
echo "{\"rc\": $rc, \"seconds\": $(awk "BEGIN {print $end - $start}")}" > "$out/lenet_epoch.json"
with_libs timeout 45 "$artifacts/lenet_gpu" --data "$artifacts/data" --epochs 1 --batch 64 \
  --limit-train 12800 --no-cuda-graphs > "$out/lenet_no_graphs.txt" 2>&1
echo "--no-cuda-graphs: rc=$? $(tail -1 "$out/lenet_no_graphs.txt")"

echo "== PyTorch on the same GPU"
if [ "${GPU_BENCH_SKIP_TORCH:-0}" = 1 ]; then
  echo '{"skipped": true}' > "$out/torch.json"
else
  timeout 150 python3 "$here/torch_bench.py" --steps 500 > "$out/torch.json" 2> "$out/torch.err"
  echo "rc=$? $(head -c 600 "$out/torch.json")"
fi

python3 "$here/summary.py" "$out" | tee "$out/summary.txt"
