#!/usr/bin/env bash
# End-to-end test of dynamic sizes through the C ABI (CTest: e2e.dynamic_sizes).
#
# Compiles each graph beside this script with graphc into an object and a
# header, each model under its own prefix (--name) so that their symbols do
# not clash; the graphs of the training defects (1, 3, 6) a second time with
# --train --loss=mse --optimizer=sgd; defect 5 also with --batch=1. Then
# links main.c against all of them and runs it: it prints one line per check
# and "N passed, M failed", and exits non-zero if a check failed.
#
# Usage: run.sh GRAPHC CC RUNTIME_LIB_DIR RUNTIME_INCLUDE_DIR WORK_DIR [LIBOMP]
#   LIBOMP: the OpenMP runtime the generated code calls (libomp.so, as
#   GRAPHC_LIBOMP in CMake); default: the one CC knows, else LLVM 19's.
set -euo pipefail

if [[ $# -lt 5 || $# -gt 6 ]]; then
  echo "usage: $0 GRAPHC CC RUNTIME_LIB_DIR RUNTIME_INCLUDE_DIR WORK_DIR [LIBOMP]" >&2
  exit 2
fi
graphc=$1 cc=$2 libdir=$3 include=$4 work=$5 libomp=${6:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ -z $libomp ]]; then
  libomp=$("$cc" -print-file-name=libomp.so 2>/dev/null || true)
  [[ $libomp == /* && -e $libomp ]] || libomp=/usr/lib/llvm-19/lib/libomp.so
fi
if [[ ! -e $libomp ]]; then
  echo "$0: no libomp at $libomp; pass its path as the sixth argument" >&2
  exit 2
fi

mkdir -p "$work"
rm -f "$work"/*.o "$work"/*.h "$work"/*.json "$work/dynamic_sizes"

# compile NAME GRAPH [graphc flags...]: NAME.h and NAME.o in $work.
compile() {
  local name=$1 graph=$here/$2
  shift 2
  echo "graphc $(basename "$graph") --name=$name $* (header and object)" >&2
  "$graphc" "$graph" --name="$name" "$@" --emit=header -o "$work/$name.h"
  "$graphc" "$graph" --name="$name" "$@" --emit=obj -o "$work/$name.o"
}
train=(--train --loss=mse --optimizer=sgd)

compile d1 d1.mlir
compile d1t d1.mlir "${train[@]}"
compile d2 d2.mlir
compile d2c d2_concat.mlir
compile d3 d3.mlir
compile d3t d3.mlir "${train[@]}"
compile d4 d4.mlir
compile d5 d5.mlir
compile d5b1 d5.mlir --batch=1
compile d6 d6.mlir
compile d6t d6.mlir "${train[@]}"

# LDFLAGS: make test-sanitize's, to link the sanitized runtime.
# -pedantic-errors: the headers are plain C11 (a scalar's shape is {0}, not
# C23's {}).
objects=()
for name in d1 d1t d2 d2c d3 d3t d4 d5 d5b1 d6 d6t; do objects+=("$work/$name.o"); done
"$cc" -std=c11 -pedantic-errors -Wall -Wextra -I"$work" -I"$include" "$here/main.c" \
  "${objects[@]}" -L"$libdir" -lgraphc_runtime "$libomp" -Wl,-rpath,"$(dirname "$libomp")" \
  -lm -lstdc++ ${LDFLAGS:-} -o "$work/dynamic_sizes"
"$work/dynamic_sizes"
