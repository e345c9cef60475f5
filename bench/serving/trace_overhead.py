#!/usr/bin/python3
"""What request tracing costs: the tiny model (x FP32 [1,16] -> relu, JSON)
served by

  baseline      a binary without the tracing code (--baseline BIN, e.g. main
                before tracing landed, built in another folder)
  rate 0        this build, --trace-rate 0 (the default: tracing off)
  rate 100      this build, 1 request in 100 traced
  rate 1        this build, every request traced (files written)

each loaded by `inferd bench -c C` for D seconds, in interleaved rounds (so
every configuration sees the same machine load), reporting the median
inferences/s, p50 latency and server CPU microseconds per request, and the
ratio to the baseline (or to rate 0 when there is no baseline).

  bench/serving/trace_overhead.sh [--baseline BIN] [--rounds N] [--duration S] [--concurrency C]

On a shared machine throughput varies by +-20% from run to run, more than
any difference here; --callgrind instead counts the server's instructions
(valgrind's callgrind, all threads) for 200 and for 1200 sequential
requests on one keep-alive connection: the difference / 1000 is the
instructions per request, a figure that does not depend on the load.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(binary, registry, work, name, extra, prefix=()):
    port_file = os.path.join(work, f"{name}.port")
    if os.path.exists(port_file):
        os.remove(port_file)
    log = open(os.path.join(work, f"{name}.log"), "w")
    proc = subprocess.Popen([*prefix, binary, "serve", "--registry", registry, "--http-port", "0", "--port-file", port_file,
                             "--http-threads", "1", "--model", "tiny", "--model-config",
                             f"tiny={os.path.join(HERE, 'configs', 'tiny.yaml')}", *extra],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while not os.path.exists(port_file):
        if proc.poll() is not None or time.time() > deadline:
            sys.exit(f"{name}: inferd serve did not start; see {log.name}")
        time.sleep(0.02)
    with open(port_file) as f:
        port = int(f.read())
    return proc, log, port


def run_one(bench_bin, binary, registry, work, name, extra, args):
    proc, log, port = serve(binary, registry, work, name, extra)
    try:
        url = f"http://127.0.0.1:{port}"
        # Wait until the model answers (bench exits 1 otherwise).
        for _ in range(200):
            r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"{url}/v2/models/tiny/ready"],
                               capture_output=True, text=True)
            if r.stdout == "200":
                break
            time.sleep(0.05)
        cpu0 = cpu_seconds(proc.pid)
        r = subprocess.run([bench_bin, "bench", url, "--model", "tiny", "--concurrency", str(args.concurrency),
                            "--duration", str(args.duration), "--warmup", "0.5", "--json"],
                           capture_output=True, text=True)
        cpu = cpu_seconds(proc.pid) - cpu0
        if r.returncode != 0:
            sys.exit(f"{name}: inferd bench failed: {r.stderr}")
        level = json.loads(r.stdout)["levels"][0]
        # The warm-up's requests are not in `completed`: the CPU figure is a slight overestimate, equally for all.
        return {"ips": level["inferences_per_s"], "p50_us": level["latency_ms"]["p50"] * 1000,
                "cpu_us": cpu * 1e6 / max(1, level["completed"]), "errors": level["errors"]["total"]}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        log.close()


def instructions(binary, registry, work, name, extra, requests):
    """Callgrind's instruction total of a server that answered `requests` infers."""
    out = os.path.join(work, f"{name}.callgrind")
    proc, log, port = serve(binary, registry, work, name, [*extra, "--poll-ms", "0"],
                            ("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for _ in range(600):
            conn.request("GET", "/v2/models/tiny/ready")
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                break
            time.sleep(0.1)
        body = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 16],
                                       "data": [float(i) - 8 for i in range(16)]}]})
        for _ in range(requests):
            conn.request("POST", "/v2/models/tiny/infer", body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                sys.exit(f"{name}: infer answered {r.status}")
        conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(120)
        log.close()
    with open(out) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    sys.exit(f"{name}: no instruction total in {out}")


def callgrind_table(configs, registry, work):
    print("\ninstructions per infer request (callgrind, server process, all threads; "
          "(I(1200 requests) - I(200 requests)) / 1000), tiny model, JSON")
    print(f"{'configuration':28} {'instr/request':>14} {'vs first':>9}")
    ref = None
    for i, (name, binary, extra) in enumerate(configs):
        low = instructions(binary, registry, work, f"cg{i}a", extra, 200)
        high = instructions(binary, registry, work, f"cg{i}b", extra, 1200)
        per = (high - low) / 1000
        ref = ref or per
        print(f"{name:28} {per:14.0f} {100 * (per - ref) / ref:+8.2f}%", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--baseline", help="an inferd binary without tracing (another build folder)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=float, default=3)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--callgrind", action="store_true", help="count instructions per request instead of timing")
    ap.add_argument("--only", default="baseline,0,100,1",
                    help="configurations to run: baseline and trace rates, e.g. baseline,0")
    args = ap.parse_args()
    inferd = os.path.join(args.build, "inferd")
    work = tempfile.mkdtemp(prefix="inferd-trace-bench-")
    models = os.path.join(work, "models")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests", "serving", "make_models.py"), models], check=True)
    registry = os.path.join(work, "registry")
    subprocess.run([inferd, "model", "--registry", registry, "push", "tiny", os.path.join(models, "tiny.onnx")],
                   check=True, capture_output=True)
    traces = os.path.join(work, "traces")
    only = args.only.split(",")
    configs = []
    if args.baseline and "baseline" in only:
        configs.append(("baseline (no tracing code)", args.baseline, []))
    labels = {"0": "rate 0 (off)", "1": "rate 1 (all)"}
    for rate in [x for x in only if x != "baseline"]:
        configs.append((labels.get(rate, f"rate {rate}"), inferd, ["--trace-rate", rate, "--trace-dir", traces]))
    if args.callgrind:
        callgrind_table(configs, registry, work)
        shutil.rmtree(work, ignore_errors=True)
        return
    results = {name: [] for name, _, _ in configs}
    for r in range(args.rounds):
        order = configs if r % 2 == 0 else list(reversed(configs))
        for i, (name, binary, extra) in enumerate(order):
            results[name].append(run_one(inferd, binary, registry, work, f"r{r}c{i}", extra, args))
            print(f"round {r + 1}/{args.rounds} {name}: {results[name][-1]}", file=sys.stderr)
    med = {name: {k: statistics.median(x[k] for x in runs) for k in ("ips", "p50_us", "cpu_us")}
           for name, runs in results.items()}
    ref = configs[0][0]
    print(f"\ntiny model, inferd bench -c{args.concurrency}, {args.duration:g} s x {args.rounds} interleaved rounds "
          f"(medians), --http-threads 1, {os.cpu_count()} cores")
    print("ratios: the median over rounds of (this configuration / the first one in the same round)")
    print(f"{'configuration':28} {'infer/s':>9} {'ratio':>7} {'p50 us':>8} {'server CPU us/req':>18} {'ratio':>7}")
    for name, _, _ in configs:
        m = med[name]
        ips_ratio = statistics.median(x["ips"] / y["ips"] for x, y in zip(results[name], results[ref]))
        cpu_ratio = statistics.median(x["cpu_us"] / y["cpu_us"] for x, y in zip(results[name], results[ref]))
        print(f"{name:28} {m['ips']:9.0f} {ips_ratio:7.3f} {m['p50_us']:8.1f} {m['cpu_us']:18.2f} {cpu_ratio:7.3f}")
    spread = {name: (min(x["ips"] for x in runs), max(x["ips"] for x in runs)) for name, runs in results.items()}
    print("infer/s range per configuration (min..max over rounds): " +
          "; ".join(f"{n}: {lo:.0f}..{hi:.0f}" for n, (lo, hi) in spread.items()))
    errors = sum(x["errors"] for runs in results.values() for x in runs)
    if errors:
        print(f"request errors: {errors}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
