#!/usr/bin/env bash
# The main job on embedded defaults: installs what is missing, builds inferd,
# trains the small Fashion-MNIST demo model once (cached), then runs it with
# inferd's engine on sample images and on all 10,000 test images.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
BUILD_DIR=${INFERD_BUILD_DIR:-build}
DEMO_DIR="$BUILD_DIR/examples/fashion_mnist"
mkdir -p "$DEMO_DIR"
/usr/bin/python3 examples/fashion_mnist/train.py "$DEMO_DIR"
"$BUILD_DIR/fashion_demo" --model-dir "$DEMO_DIR" --data /usr/share/datasets/fashion-mnist "$@"
