#!/usr/bin/env bash
# Configures (once) and builds inferd into build/ (Release). Used by the
# quickstart and test commands; safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${INFERD_BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$BUILD_DIR" -j "${INFERD_JOBS:-$(nproc)}"
