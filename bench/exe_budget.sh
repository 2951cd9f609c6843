#!/usr/bin/env bash
# The standalone executable's budgets (DESIGN/issue: stripped size <= 2 MB,
# under 20 ms from process start to the first training step, data loading
# excluded). Builds the demo's executable with the current graphc, then
# measures. Usage: bench/exe_budget.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/bin/lenet_train" --emit-graph "$work/lenet.mlir" 2> /dev/null
"$build/bin/graphc" "$work/lenet.mlir" --train --loss=cross_entropy --optimizer=adam \
  --emit=exe -o "$work/lenet"
strip -o "$work/lenet.stripped" "$work/lenet"
size=$(stat -c %s "$work/lenet.stripped")
echo "stripped size: $size bytes ($(( size / 1024 )) KiB; budget 2048 KiB)"
start=$( { /usr/bin/time -f %e "$work/lenet" --help > /dev/null; } 2>&1 )
echo "process start to exit (--help): ${start} s"
for i in 1 2 3 4 5; do
  "$work/lenet" --epochs 1 --limit-train 64 --limit-test 64 --report-startup | grep '^startup:'
done
