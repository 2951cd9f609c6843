#!/bin/bash
# Gathers what bench/gpu/run.sh needs on the lent GPU machine, which has
# CUDA's driver, PyTorch and Python but no LLVM, MLIR, MPI or data set:
# bench/gpu/artifacts/ (ignored by git; the device tool's `carry` takes it):
#   gpu_bench            the kernels against the CPU build, and the timings
#   lenet_gpu            graphc's LeNet executable for --target=cuda
#   lib/                 the shared libraries the executable links (Open MPI
#                        and what it needs, libz, libstdc++), from this machine
#   data/                Fashion-MNIST (Debian's dataset-fashion-mnist)
# Run from the repository root after a build (build/).
#   bash bench/gpu/build.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
artifacts=bench/gpu/artifacts
cmake --build "$build" -j2 --target gpu_bench graphc > /dev/null
rm -rf "$artifacts"
mkdir -p "$artifacts/lib" "$artifacts/data"
cp "$build/bin/gpu_bench" "$artifacts/"
"$build/bin/graphc" test/Tools/graphc/Inputs/lenet.mlirbc --train --target=cuda --emit=exe \
  -o "$artifacts/lenet_gpu"
# Every library the executable loads but the C library itself.
ldd "$artifacts/lenet_gpu" | awk '/=> \// {print $3}' | while read -r library; do
  case "$(basename "$library")" in
    libc.so.*|libm.so.*|ld-linux*|libpthread.so.*|libdl.so.*|librt.so.*) ;;
    *) cp -L "$library" "$artifacts/lib/" ;;
  esac
done
cp /usr/share/datasets/fashion-mnist/*.gz "$artifacts/data/"
echo "bench/gpu/artifacts: $(du -sh "$artifacts" | cut -f1) (the device tool carries 64 MiB at most)"
