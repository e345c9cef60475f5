#!/usr/bin/env bash
# Installs the Debian 12 packages inferd's build, tests and fixtures need.
# Idempotent: installs only what is missing. apt only, no downloads.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config clang libclang-rt-14-dev
  # engine
  libdnnl-dev libonnx-dev libprotobuf-dev protobuf-compiler zlib1g-dev
  # command line, logging, JSON
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  # registry: catalog, checksums, HTTP (Beast); curl for the HTTP tests
  libsqlite3-dev libssl-dev libboost-dev curl
  # serving: per-model config (YAML); wrk is the peer load generator in bench/serving
  libyaml-cpp-dev wrk
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev libonnx-testdata
  # fixtures only (never a runtime dependency)
  python3 python3-numpy python3-torch python3-torchvision python3-onnx dataset-fashion-mnist
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}"
