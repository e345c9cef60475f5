#!/usr/bin/python3
"""Serving benchmark: batching on vs off, and inferd's HTTP overhead vs a raw
echo on the same HTTP stack. Started by bench/serving/run.sh (see there).

  run.py --build DIR [--quick] [--only batching,resnet,overhead]

Everything it writes goes under DIR/bench-serving/ (models, a fresh
registry, server logs, raw results in results.json).
"""
import argparse
import http.client
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CONFIGS = os.path.join(HERE, "configs")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ------------------------------------------------------------ processes ---

class Proc:
    """A server process on a free loopback port (written to a port file)."""

    def __init__(self, cmd, workdir, name, ready_path=None, timeout=120):
        self.name = name
        self.port_file = os.path.join(workdir, name + ".port")
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        self.log_path = os.path.join(workdir, name + ".log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd + ["--port-file", self.port_file], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while not os.path.exists(self.port_file):
            self.check(deadline)
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read())
        self.url = f"http://127.0.0.1:{self.port}"
        if ready_path:
            while call(self.port, "GET", ready_path)[0] != 200:
                self.check(deadline)
                time.sleep(0.05)

    def check(self, deadline):
        if self.proc.poll() is not None:
            sys.exit(f"{self.name} exited with {self.proc.returncode}:\n{self.read_log()}")
        if time.time() > deadline:
            self.stop()
            sys.exit(f"{self.name} did not get ready in time:\n{self.read_log()}")

    def cpu_seconds(self):
        """User + system CPU the process has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def read_log(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()[-4000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def call(port, method, path, body=None, headers=None):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    except OSError:
        return 0, {}, b""


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


# -------------------------------------------------------------- metrics ---

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(port):
    """{(name, frozenset(labels)): value} from /metrics."""
    status, _, data = call(port, "GET", "/metrics")
    out = {}
    if status != 200:
        return out
    for line in data.decode().splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            continue
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        try:
            out[(m.group(1), labels)] = float(m.group(3))
        except ValueError:
            pass
    return out


def histogram(before, after, name, model):
    """(sorted [(le, cumulative count)], sum, count) of `name` for `model`
    between two scrapes (all versions added)."""
    buckets, total_sum, total_count = {}, 0.0, 0.0
    for (n, labels), v in after.items():
        d = dict(labels)
        if d.get("model") != model:
            continue
        delta = v - before.get((n, labels), 0.0)
        if n == name + "_bucket":
            le = float("inf") if d["le"] == "+Inf" else float(d["le"])
            buckets[le] = buckets.get(le, 0.0) + delta
        elif n == name + "_sum":
            total_sum += delta
        elif n == name + "_count":
            total_count += delta
    return sorted(buckets.items()), total_sum, total_count


def quantile(buckets, q):
    """Linear interpolation inside the bucket holding the q-quantile (as
    Prometheus' histogram_quantile does); None without observations."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    prev_le, prev_count = 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if le == float("inf"):
                return prev_le
            if count == prev_count:
                return le
            return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count)
        prev_le, prev_count = le, count
    return prev_le


def mean(h):
    _, s, c = h
    return s / c if c else None


# --------------------------------------------------------------- models ---

def prepare(build, out, inferd, want_resnet):
    models = os.path.join(out, "models")
    maker = os.path.join(ROOT, "tests", "serving", "make_models.py")
    if not os.path.exists(maker):
        sys.exit(f"{maker} is missing (it comes with the serving tests)")
    run(["/usr/bin/python3", maker, models])
    registry = os.path.join(out, "registry")
    shutil.rmtree(registry, ignore_errors=True)
    os.makedirs(registry)
    push = lambda name, path: run([inferd, "model", "--registry", registry, "push", name, path])
    push("mlp", os.path.join(models, "mlp.onnx"))
    push("tiny", os.path.join(models, "tiny.onnx"))
    if want_resnet:
        # The engine benchmark's cache: the export script skips what is current.
        fixtures = os.path.join(build, "bench-fixtures")
        t = time.time()
        run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "fixtures", "export_models.py"), fixtures,
             "--models", "resnet18", "--batches", "1"])
        log(f"resnet18 export/cache check: {time.time() - t:.1f}s")
        push("resnet18", os.path.join(fixtures, "resnet18.onnx"))
    return registry


def serve_cmd(inferd, registry, model, config, http_threads):
    return [inferd, "serve", "--registry", registry, "--http-port", "0", "--poll-ms", "0",
            "--http-threads", str(http_threads), "--model", model, "--model-config", f"{model}={config}"]


def bench(inferd, url, model, levels, duration, warmup, binary):
    cmd = [inferd, "bench", url, "--model", model, "--concurrency", ",".join(map(str, levels)),
           "--duration", str(duration), "--warmup", str(warmup), "--json"]
    if binary:
        cmd.append("--binary")
    doc = json.loads(run(cmd))
    return {lvl["concurrency"]: lvl for lvl in doc["levels"]}


# ------------------------------------------------------------- batching ---

def fmt(v, digits=0):
    return "-" if v is None else f"{v:,.{digits}f}"


def ratio(a, b):
    return a / b if a and b else None


def batching(args, inferd, registry, work, results, model, levels, encodings, duration, warmup, rounds):
    """Alternates off/on servers `rounds` times, one `inferd bench` per level;
    keeps each cell's best run (the machine is shared: the best run is the
    one least disturbed)."""
    configs = {mode: os.path.join(CONFIGS, f"{model}_batch_{mode}.yaml") for mode in ("off", "on")}
    cells = {}  # (mode, encoding, c) -> dict
    for r in range(rounds):
        for mode in ("off", "on"):
            with Proc(serve_cmd(inferd, registry, model, configs[mode], args.http_threads), work,
                      f"{model}-{mode}", f"/v2/models/{model}/ready") as server:
                for enc in encodings:
                    for c in levels:
                        before, cpu0 = scrape(server.port), server.cpu_seconds()
                        lvl = bench(inferd, server.url, model, [c], duration, warmup, enc == "binary")[c]
                        cpu, after = server.cpu_seconds() - cpu0, scrape(server.port)
                        batch = mean(histogram(before, after, "inferd_batch_size", model))
                        compute = mean(histogram(before, after, "inferd_compute_duration_seconds", model))
                        # Server CPU includes the unmeasured warm-up: divide by all it answered.
                        answered = histogram(before, after, "inferd_request_duration_seconds", model)[2]
                        cell = {"infer_per_s": lvl["inferences_per_s"], "p50_ms": lvl["latency_ms"]["p50"],
                                "p99_ms": lvl["latency_ms"]["p99"], "errors": lvl["errors"]["total"],
                                "mean_batch": batch,
                                "compute_us_per_row": _us(compute / batch) if compute and batch else None,
                                "server_cpu_us_per_infer": cpu * 1e6 / answered if answered else None,
                                "client_cpu_us_per_infer": lvl.get("client_cpu_us_per_request")}
                        key = (mode, enc, c)
                        if key not in cells or cell["infer_per_s"] > cells[key]["infer_per_s"]:
                            cells[key] = cell
            log(f"{model} round {r + 1}/{rounds}: batching {mode} done")
    print(f"\n{model}: batching off vs on ({os.path.relpath(configs['off'], ROOT)} vs "
          f"{os.path.relpath(configs['on'], ROOT)}; inferd serve --http-threads {args.http_threads}; "
          f"inferd bench, {duration}s per level, best of {rounds})")
    head = (f"{'encoding':8}  {'conc':>4}  {'off infer/s':>11}  {'on infer/s':>10}  {'on/off':>6}  {'off p50 ms':>10}  "
            f"{'on p50 ms':>9}  {'on batch':>8}  {'compute us/row off|on':>21}  {'server CPU us/inf off|on':>24}  "
            f"{'errors':>6}")
    print(head)
    print("-" * len(head))
    rows = []
    for enc in encodings:
        for c in levels:
            off, on = cells.get(("off", enc, c)), cells.get(("on", enc, c))
            r = ratio(on and on["infer_per_s"], off and off["infer_per_s"])
            errors = sum(x["errors"] for x in (off, on) if x)
            get = lambda x, k, d=0: fmt(x and x[k], d)
            print(f"{enc:8}  {c:>4}  {get(off, 'infer_per_s'):>11}  {get(on, 'infer_per_s'):>10}  {fmt(r, 2):>6}  "
                  f"{get(off, 'p50_ms', 2):>10}  {get(on, 'p50_ms', 2):>9}  {get(on, 'mean_batch', 1):>8}  "
                  f"{get(off, 'compute_us_per_row') + ' | ' + get(on, 'compute_us_per_row'):>21}  "
                  f"{get(off, 'server_cpu_us_per_infer') + ' | ' + get(on, 'server_cpu_us_per_infer'):>24}  "
                  f"{errors:>6}")
            rows.append({"encoding": enc, "concurrency": c, "off": off, "on": on, "ratio": r})
    print("(compute us/row: model run time per row, from /metrics; server CPU: user+system CPU of inferd per "
          "inference; client CPU per inference is in results.json)")
    results[model] = rows
    return rows


# ------------------------------------------------------------- overhead ---

def tiny_request():
    data = [round(((i * 7) % 11 - 5) / 4, 2) for i in range(16)]
    return json.dumps({"inputs": [{"name": "x", "shape": [1, 16], "datatype": "FP32", "data": data}]})


def wrk(url, path, body_file, threads, conns, duration):
    lua = os.path.join(HERE, "wrk", "post.lua")
    env = dict(os.environ, WRK_BODY_FILE=body_file, WRK_PATH=path)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "-s", lua, url],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"wrk failed ({r.returncode}): {r.stderr}")
    m = re.search(r"^Requests/sec:\s+([\d.]+)", r.stdout, re.M)
    e = re.search(r"^wrk: .* p50 ([\d.]+) ms.* errors (\d+)", r.stdout, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    requests = re.search(r"^wrk: (\d+) requests", r.stdout, re.M)
    n = int(requests.group(1)) if requests else 0
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"client_cpu_us": cpu * 1e6 / n if n else None, "requests": n,
            "rps": float(m.group(1)) if m else 0.0, "p50_ms": float(e.group(1)) if e else None,
            "errors": (int(e.group(2)) if e else 0) + (int(non2xx.group(1)) if non2xx else 0)}


def overhead(args, inferd, echo, registry, work, results, duration, http_threads_list, wrk_threads_list, conns):
    config = os.path.join(CONFIGS, "tiny.yaml")
    body_file = os.path.join(work, "tiny_request.json")
    with open(body_file, "w") as f:
        f.write(tiny_request())
    path = "/v2/models/tiny/infer"
    rows = []

    def measured(proc, fn):
        """fn()'s result with the server's CPU microseconds per request added."""
        cpu0 = proc.cpu_seconds()
        r = fn()
        cpu = proc.cpu_seconds() - cpu0
        r["server_cpu_us"] = cpu * 1e6 / r["requests"] if r["requests"] else None
        return r

    def loadgen(url, conns=conns):
        lvl = bench(inferd, url, "tiny", [conns], duration, 0.5, False)[conns]
        return {"rps": lvl["inferences_per_s"], "p50_ms": lvl["latency_ms"]["p50"], "errors": lvl["errors"]["total"],
                "requests": lvl["completed"] + 0, "client_cpu_us": lvl.get("client_cpu_us_per_request")}

    for ht in http_threads_list:
        with Proc(serve_cmd(inferd, registry, "tiny", config, ht), work, f"tiny-h{ht}",
                  "/v2/models/tiny/ready") as server:
            with open(body_file, "rb") as f:
                status, headers, answer = call(server.port, "POST", path, f.read(),
                                               {"Content-Type": "application/json"})
            if status != 200:
                sys.exit(f"tiny infer answered {status}: {answer[:300]}")
            _, _, metadata = call(server.port, "GET", "/v2/models/tiny")
            answer_file = os.path.join(work, "tiny_response.body")
            with open(answer_file, "wb") as f:
                f.write(answer)
            meta_file = os.path.join(work, "tiny_metadata.json")
            with open(meta_file, "wb") as f:
                f.write(metadata)
            with Proc([echo, "--body-file", answer_file, "--metadata-file", meta_file, "--content-type",
                       headers.get("content-type", "application/json"), "--http-threads", str(ht)], work,
                      f"echo-h{ht}") as peer:
                clients = [(f"wrk -t{wt} -c{conns}", lambda url, wt=wt: wrk(url, path, body_file, wt, conns, duration))
                           for wt in wrk_threads_list]
                # inferd bench's --warmup is not measured by the server-side
                # CPU figure; its 0.5 s warm-up makes that figure a slight overestimate.
                clients.append((f"inferd bench -c{conns}", loadgen))
                # One connection: no queueing, so the overhead is the per-request cost alone.
                clients.append(("inferd bench -c1", lambda url: loadgen(url, 1)))
                for name, client in clients:
                    # inferd then echo, back to back, so both see the same machine load.
                    before = scrape(server.port)
                    mine = measured(server, lambda: client(server.url))
                    after = scrape(server.port)
                    peer_run = measured(peer, lambda: client(peer.url))
                    oh = histogram(before, after, "inferd_server_overhead_seconds", "tiny")
                    rows.append({
                        "client": name, "http_threads": ht, "inferd": mine, "echo": peer_run,
                        "overhead_p50_us": _us(quantile(oh[0], 0.5)), "overhead_mean_us": _us(mean(oh)),
                        "overhead_count": oh[2],
                        "request_mean_us": _us(mean(histogram(before, after, "inferd_request_duration_seconds", "tiny"))),
                        "queue_mean_us": _us(mean(histogram(before, after, "inferd_queue_duration_seconds", "tiny"))),
                        "compute_mean_us": _us(mean(histogram(before, after, "inferd_compute_duration_seconds",
                                                              "tiny")))})
        log(f"overhead with --http-threads {ht} done")
    print(f"\nOverhead: tiny (x FP32 [1,16] -> relu, JSON, {len(answer)}-byte response) vs inferd_serving_echo "
          f"(same src/http server and threads, same response bytes); {duration}s per run, {conns} keep-alive "
          f"connections, config {os.path.relpath(config, ROOT)}")
    head = (f"{'client':20}  {'http thr':>8}  {'inferd infer/s':>14}  {'echo req/s':>10}  {'ratio':>5}  "
            f"{'p50 ms':>6}  {'overhead p50 us':>15}  {'server CPU us/req':>17}  {'client CPU us/req':>17}  "
            f"{'errors':>6}")
    print(head)
    print("-" * len(head))
    for r in rows:
        i, e = r["inferd"], r["echo"]
        print(f"{r['client']:20}  {r['http_threads']:>8}  {fmt(i['rps']):>14}  {fmt(e['rps']):>10}  "
              f"{fmt(ratio(i['rps'], e['rps']), 2):>5}  {fmt(i['p50_ms'], 2):>6}  {fmt(r['overhead_p50_us'], 1):>15}  "
              f"{fmt(i['server_cpu_us'], 1):>8} / {fmt(e['server_cpu_us'], 1):<6}  "
              f"{fmt(i['client_cpu_us'], 1):>17}  {i['errors'] + e['errors']:>6}")
    print("(server CPU: inferd / echo, user+system CPU of the server process per request; ratio: inferd/echo)")
    best = max(rows, key=lambda r: r["inferd"]["rps"])
    best["c1"] = next((r for r in rows if r["client"] == "inferd bench -c1" and
                       r["http_threads"] == best["http_threads"]), None)
    print(f"best: {best['client']} with --http-threads {best['http_threads']}: {fmt(best['inferd']['rps'])} "
          f"infer/s (echo {fmt(best['echo']['rps'])} req/s)")
    for r in rows:
        if r["overhead_count"]:
            print(f"  {r['client']}, --http-threads {r['http_threads']}: server time per request mean "
                  f"{fmt(r['request_mean_us'], 1)} us = queue {fmt(r['queue_mean_us'], 1)} + compute "
                  f"{fmt(r['compute_mean_us'], 1)} + rest; overhead mean {fmt(r['overhead_mean_us'], 1)} us, "
                  f"p50 {fmt(r['overhead_p50_us'], 1)} us")
    # What 2 otherwise idle cores would sustain: cores / (server + client CPU per request).
    cores = os.cpu_count() or 1
    cpu_rows = [r for r in rows if all(r[k]["server_cpu_us"] and r[k]["client_cpu_us"] for k in ("inferd", "echo"))]
    if cpu_rows:
        r = min(cpu_rows, key=lambda r: r["inferd"]["server_cpu_us"] + r["inferd"]["client_cpu_us"])
        i, e = r["inferd"], r["echo"]
        print(f"CPU-bound ceiling on {cores} idle cores ({r['client']}, --http-threads {r['http_threads']}): inferd "
              f"{fmt(cores * 1e6 / (i['server_cpu_us'] + i['client_cpu_us']))}/s, echo "
              f"{fmt(cores * 1e6 / (e['server_cpu_us'] + e['client_cpu_us']))}/s "
              f"(= cores / (server + client CPU per request))")
    results["overhead"] = rows
    return rows, best


def _us(seconds):
    return None if seconds is None else seconds * 1e6


# ----------------------------------------------------------------- main ---

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="batching,resnet,overhead")
    ap.add_argument("--http-threads", type=int, default=2, help="inferd serve --http-threads for the batching runs")
    args = ap.parse_args()
    only = set(args.only.split(","))
    build = os.path.abspath(args.build)
    inferd = os.path.join(build, "inferd")
    echo = os.path.join(build, "inferd_serving_echo")
    out = os.path.join(build, "bench-serving")
    work = os.path.join(out, "run")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    started = time.time()
    load = os.getloadavg()
    print(f"inferd serving benchmark ({'quick' if args.quick else 'full'}): {os.cpu_count()} cores, "
          f"load average {load[0]:.1f} at start (the clients share the cores with the server)")
    registry = prepare(build, out, inferd, "resnet" in only)
    results = {}
    verdicts = []
    q = args.quick
    if "batching" in only:
        rows = batching(args, inferd, registry, work, results, "mlp", [1, 4, 16, 64], ["binary", "json"],
                        1.5 if q else 4, 0.5 if q else 1, 2 if q else 3)
        for enc in ("binary", "json"):
            r = next(x["ratio"] for x in rows if x["encoding"] == enc and x["concurrency"] == 64)
            verdicts.append((f"MLP batching on/off at concurrency 64 ({enc}) >= 5x", r is not None and r >= 5,
                             f"{fmt(r, 2)}x"))
    if "resnet" in only:
        rows = batching(args, inferd, registry, work, results, "resnet18", [1, 8], ["binary"],
                        3 if q else 6, 1 if q else 2, 1 if q else 2)
        for x in rows:
            # "No slower": within measurement noise of 3%.
            verdicts.append((f"resnet18 batching on no slower than off at concurrency {x['concurrency']}",
                             x["ratio"] is not None and x["ratio"] >= 0.97, f"{fmt(x['ratio'], 2)}x (>= 0.97)"))
    if "overhead" in only:
        rows, best = overhead(args, inferd, echo, registry, work, results, 2 if q else 5,
                              [1, 2], [1, 2], 32)
        verdicts.append(("tiny model >= 30,000 inferences/s on this machine (best configuration)",
                         best["inferd"]["rps"] >= 30000, f"{fmt(best['inferd']['rps'])}/s ({best['client']}, "
                         f"--http-threads {best['http_threads']})"))
        c1 = best["c1"] and best["c1"]["overhead_p50_us"]
        verdicts.append((f"server-side overhead p50 < 50 us, one connection (--http-threads {best['http_threads']})",
                         c1 is not None and c1 < 50, f"{fmt(c1, 1)} us"))
        bestp = best["overhead_p50_us"]
        verdicts.append(("server-side overhead p50 < 50 us in the best-throughput run (includes queueing "
                         f"behind {best['client'].split('-c')[-1]} connections)",
                         bestp is not None and bestp < 50, f"{fmt(bestp, 1)} us"))
    print("\nTargets" + (" (--quick: short runs on a shared machine; the full run repeats more)" if q else "") + ":")
    for name, ok, detail in verdicts:
        print(f"  {'met    ' if ok else 'NOT MET'}  {name}: {detail}")
    print(f"\n{time.time() - started:.0f}s; raw numbers in {os.path.relpath(os.path.join(out, 'results.json'), ROOT)}")
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"results": results, "targets": verdicts, "load_average": load}, f, indent=1, default=str)


if __name__ == "__main__":
    main()
