#!/usr/bin/env bash
# Load generator vs wrk against the same server process: the fake model "m"
# of the load generator's tests (Beast server, 2 threads, fixed answers), at
# concurrency 16 with one client thread each. Prints both and the ratio.
#
#   bench/serving/wrk/run.sh [BUILD_DIR] [SECONDS]
# Needs BUILD_DIR/inferd and BUILD_DIR/inferd_unit_tests (ninja -C build inferd inferd_unit_tests) and wrk.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-build}"
seconds="${2:-5}"
tmp="$(mktemp -d)"
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT

INFERD_ECHO_URL_FILE="$tmp/url" INFERD_ECHO_SECONDS=$((3 * seconds + 15)) \
  "$build/inferd_unit_tests" --gtest_also_run_disabled_tests --gtest_filter='LoadGenBench.DISABLED_ServeFakeModel' \
  >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [[ -s "$tmp/url" ]] && break; sleep 0.1; done
url="$(cat "$tmp/url")"
echo "server: $url (fake model m, 2 server threads), $(nproc) cores"

ours="$("$build/inferd" bench "$url" --model m --concurrency 16 --threads 1 --warmup 1 --duration "$seconds" --json)"
ours_rps="$(python3 -c 'import json,sys; print(round(json.load(sys.stdin)["levels"][0]["requests_per_s"]))' <<<"$ours")"
ours_line="$(python3 -c 'import json,sys
l=json.load(sys.stdin)["levels"][0]; m=l["latency_ms"]
print("inferd bench: %d requests, %.0f req/s, p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, errors %d, client CPU %.2f us/request" % (l["completed"], l["requests_per_s"], m["p50"], m["p90"], m["p99"], l["errors"]["total"], l["client_cpu_us_per_request"]))' <<<"$ours")"

wrk_out="$(/usr/bin/time -f 'cpu %U %S' wrk -t1 -c16 -d"${seconds}s" -s "$here/post.lua" "$url" 2>&1)"
wrk_line="$(grep '^wrk:' <<<"$wrk_out")"
wrk_rps="$(grep '^Requests/sec:' <<<"$wrk_out" | awk '{print int($2)}')"
wrk_requests="$(sed -n 's/^wrk: \([0-9]*\) requests.*/\1/p' <<<"$wrk_out")"
# wrk's CPU (user+sys, whole process incl. start-up) per request, comparable to inferd bench's client CPU.
wrk_cpu="$(awk -v n="$wrk_requests" '/^cpu /{printf "%.2f", ($2 + $3) * 1e6 / n}' <<<"$wrk_out")"
wrk_line="$wrk_line, client CPU $wrk_cpu us/request"

echo "$ours_line"
echo "$wrk_line"
python3 -c "print('inferd bench / wrk throughput: %.2f' % ($ours_rps / max(1, $wrk_rps)))"
