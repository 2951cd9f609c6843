#!/usr/bin/env bash
# Installs every system package graphc needs to build and test, with apt-get.
# Idempotent and fast when everything is present: it only calls apt-get for
# the packages dpkg does not already list as installed.
set -euo pipefail

packages=(
  cmake ninja-build ccache g++ python3
  llvm-19-dev libmlir-19-dev mlir-19-tools clang-19 lld-19 llvm-19-tools libomp-19-dev
  libzstd-dev zlib1g-dev libxml2-dev libedit-dev libcurl4-openssl-dev libffi-dev libncurses-dev
  nlohmann-json3-dev libgtest-dev
  dataset-fashion-mnist
  libclang-rt-19-dev
  libopenmpi-dev openmpi-bin
  libonnx-dev libprotobuf-dev libonnx-testdata
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
log=$(mktemp)
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  cat "$log"; echo "bootstrap: apt-get install failed" >&2; exit 1
fi
rm -f "$log"
