#!/usr/bin/env bash
# Serving benchmark (issue 5's proofs), in one run:
#  1. batching: the MLP 784-512-256-10 at concurrency 1,4,16,64 (binary and
#     JSON tensors) and resnet18 at 1 and 8, each with batching off and on
#     (bench/serving/configs/*.yaml), measured with `inferd bench`;
#  2. overhead: the tiny model over keep-alive connections (wrk and
#     `inferd bench`) against a raw echo on the same HTTP stack
#     (inferd_serving_echo), with the server-side overhead p50 from /metrics.
# Prints the tables and a met / NOT MET line per target.
#
#   bench/serving/run.sh [--quick] [--only batching,resnet,overhead]
# --quick finishes in under 3 minutes, the full run in under 10. It builds
# nothing: it needs build/inferd and build/inferd_serving_echo
# (ninja -C build inferd inferd_serving_echo) and wrk. Models, a fresh
# registry, logs and results.json go to build/bench-serving/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$root/${INFERD_BUILD_DIR:-build}"
missing=()
for bin in inferd inferd_serving_echo; do
  [ -x "$build/$bin" ] || missing+=("$bin")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench/serving/run.sh: $build is missing ${missing[*]}; build first: ninja -C $build ${missing[*]}" >&2
  exit 2
fi
if ! command -v wrk >/dev/null; then
  echo "bench/serving/run.sh: wrk is not installed (apt-get install wrk)" >&2
  exit 2
fi
exec /usr/bin/python3 "$here/run.py" --build "$build" "$@"
