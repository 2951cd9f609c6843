#!/bin/bash
# The standalone executable graphc builds with --target=cuda, without a GPU:
# against the stand-in driver (test/fake_cuda, whose kernels compute nothing
# but which refuses host pointers in kernels, host access to device memory
# and synchronization under capture) it trains with the CPU build's flags and
# prints the same lines; its steps are captured into CUDA graphs and
# replayed (none with --no-cuda-graphs); its checkpoint loads into the CPU
# build; two processes under mpirun run data-parallel; and with no driver
# at all it exits 1 saying why.
#   run.sh GRAPHC LENET_GRAPH FAKE_LIBCUDA WORKDIR
set -euo pipefail
graphc=$1 lenet=$2 fake=$3 work=$4
mkdir -p "$work"
cd "$work"
"$graphc" "$lenet" --train --target=cuda --emit=exe -o lenet_gpu
"$graphc" "$lenet" --train --emit=exe -o lenet_cpu
flags=(--limit-train 256 --limit-test 100 --batch 64 --epochs 2)

fail() { echo "FAIL: $*"; exit 1; }
# The lines with every number replaced: the same output, whatever the values.
shape() { sed -E 's/lenet_(gpu|cpu)/lenet/g; s/-?[0-9]+(\.[0-9]+)?/N/g' "$1"; }

./lenet_cpu "${flags[@]}" --save cpu.safetensors > cpu.out
FAKE_CUDA_REPORT=graphs.report GRAPHC_LIBCUDA="$fake" \
  ./lenet_gpu "${flags[@]}" --save gpu.safetensors > gpu.out
diff <(shape cpu.out) <(shape gpu.out) || fail "the GPU executable prints other lines than the CPU's"
value() { sed -n "s/^$2=//p" "$1"; }
[ -z "$(value graphs.report errors)" ] || fail "the driver saw errors: $(value graphs.report first_error)"
[ "$(value graphs.report module_loads)" = 1 ] || fail "the PTX module was loaded $(value graphs.report module_loads) times"
replays=$(value graphs.report graph_replays)
# 2 epochs of 4 steps: step 1 warms up, 2 is captured, 7 more replay (and eval's).
[ "${replays:-0}" -ge 7 ] || fail "only ${replays:-0} CUDA graph replays"
echo "GPU executable: same output as the CPU's; module loaded once; $replays graph replays"

FAKE_CUDA_REPORT=plain.report GRAPHC_LIBCUDA="$fake" \
  ./lenet_gpu "${flags[@]}" --no-cuda-graphs > plain.out
[ -z "$(value plain.report graph_replays)" ] || fail "--no-cuda-graphs still replayed graphs"
[ -z "$(value plain.report errors)" ] || fail "the driver saw errors: $(value plain.report first_error)"
echo "--no-cuda-graphs: $(value plain.report launches) launches, no graph"

./lenet_cpu --load gpu.safetensors --eval-only --limit-test 100 > load.out ||
  fail "the CPU build cannot load the GPU build's checkpoint"
echo "the CPU build evaluates the GPU build's checkpoint: $(tail -1 load.out)"

# Data-parallel on GPU programs (two processes, gradients through the host):
# runs, and no driver check fails in either process (the last one's report).
if command -v mpirun > /dev/null; then
  mpirun=(mpirun --oversubscribe --mca btl self,vader --mca btl_vader_single_copy_mechanism none)
  [ "$(id -u)" -eq 0 ] && mpirun+=(--allow-run-as-root)
  # Open MPI does not free its own state at MPI_Finalize (LeakSanitizer
  # reports its allocations under make test-sanitize): no leak check for the
  # processes mpirun starts; heap and UB checks stay on.
  mpirun+=(-x "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
  "${mpirun[@]}" -np 2 -x GRAPHC_LIBCUDA="$fake" -x FAKE_CUDA_REPORT="$work/dp.report" \
    ./lenet_gpu "${flags[@]}" --epochs 1 > dp.out 2>&1 || fail "two processes: $(tail -3 dp.out)"
  [ -z "$(value dp.report errors)" ] || fail "two processes: $(value dp.report first_error)"
  echo "two processes (mpirun): $(tail -1 dp.out)"
fi

set +e
GRAPHC_LIBCUDA=/nonexistent/libcuda.so.1 ./lenet_gpu "${flags[@]}" > nodriver.out 2> nodriver.err
rc=$?
set -e
[ $rc = 1 ] || fail "without a driver the executable exited $rc, not 1"
grep -q "model 'lenet_gpu' was compiled for CUDA (--target=cuda) and needs a GPU: no CUDA driver: cannot load /nonexistent/libcuda.so.1" nodriver.err ||
  fail "without a driver: $(cat nodriver.err)"
echo "without a driver: $(cat nodriver.err)"
