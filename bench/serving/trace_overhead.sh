#!/usr/bin/env bash
# What request tracing costs (issue 6): the tiny model served with tracing
# off (--trace-rate 0), 1 in 100 and every request traced, against a binary
# without the tracing code when --baseline BIN is given. Builds nothing:
# needs build/inferd (ninja -C build inferd). See trace_overhead.py.
#
#   bench/serving/trace_overhead.sh [--baseline OTHER_BUILD/inferd] [--rounds 5] [--duration 3] [--concurrency 4]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$root/${INFERD_BUILD_DIR:-build}"
[ -x "$build/inferd" ] || { echo "trace_overhead.sh: build $build/inferd first (ninja -C $build inferd)" >&2; exit 2; }
exec /usr/bin/python3 "$here/trace_overhead.py" --build "$build" "$@"
