#!/usr/bin/env bash
# Engine benchmark: inferd vs ONNX Runtime (npm onnxruntime-node, CPU) on the
# same models, inputs and threads, in one run. Usage:
#   bench/engine/run.sh [--quick] [--models mlp,resnet18] [--threads 1,2]
# --quick finishes in under 3 minutes (fewer rows and rounds).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
"$root/scripts/setup.sh" >/dev/null
"$root/scripts/build.sh" >/dev/null
build="$root/${INFERD_BUILD_DIR:-build}"
fixtures="$build/bench-fixtures"
quick=0
for a in "$@"; do [ "$a" = "--quick" ] && quick=1; done
if [ "$quick" = 1 ]; then
  /usr/bin/python3 "$root/scripts/fixtures/export_models.py" "$fixtures" --models mlp,mobilenet_v2,resnet18,transformer --batches 1,32 >&2
else
  /usr/bin/python3 "$root/scripts/fixtures/export_models.py" "$fixtures" --models mlp,mobilenet_v2,resnet18,resnet50,transformer --batches 1,8,32 >&2
fi
if [ ! -d "$here/node_modules/onnxruntime-node" ]; then
  # The CPU library ships in the package; its install script only fetches GPU parts (offline it fails).
  (cd "$here" && npm install --ignore-scripts --no-audit --no-fund >&2)
fi
exec node "$here/compare.js" --fixtures "$fixtures" --worker "$build/inferd_engine_bench_worker" "$@"
