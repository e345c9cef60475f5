#!/usr/bin/python3
"""Request timelines of `inferd serve`, end to end: opt-in by parameter and
by header, sampling by --trace-rate, GET /v2/trace/{id}, the trace files'
Chrome JSON (spans nest and add up: phases inside the request, in order,
without overlap; assembly and run inside the batch; operators inside the
run), batched requests sharing one batch's spans, rotation of the trace
folder, the per-phase histograms in /metrics, and `inferd trace summarize`
on the traces of a loaded server.

Run: INFERD=build/inferd tests/serving/trace_test.py"""
import glob
import json
import os
import random
import shutil
import struct
import tempfile
import threading
import time
import unittest

from serving_util import Server, inferd, make_models, push

EPS = 0.0015  # us: ts and dur are printed with three decimals

PHASE_ORDER = ["receive", "parse", "validate", "queue", "batch", "handoff", "serialize", "send"]


def mlp_body(rows=1, seed=0, trace=None):
    rng = random.Random(seed)
    body = {"inputs": [{"name": "input", "datatype": "FP32", "shape": [rows, 784],
                        "data": [rng.uniform(-1, 1) for _ in range(rows * 784)]}]}
    if trace is not None:
        body["parameters"] = {"trace": trace}
    return body


def spans(doc):
    return [e for e in doc["traceEvents"] if e.get("ph") == "X"]


def inside(child, parent):
    return child["ts"] >= parent["ts"] - EPS and child["ts"] + child["dur"] <= parent["ts"] + parent["dur"] + EPS


def check_trace(test, doc, expect_ops=True):
    """Asserts the nesting and accounting rules; returns {phase name: event}."""
    events = spans(doc)
    roots = [e for e in events if e["cat"] == "request"]
    test.assertEqual(len(roots), 1, "one request span per trace")
    root = roots[0]
    for e in events:
        test.assertEqual((e["pid"], e["tid"]), (root["pid"], root["tid"]), "one track")
        test.assertGreaterEqual(e["dur"], 0)
        test.assertTrue(inside(e, root), f"{e['name']} [{e['ts']}, +{e['dur']}] outside the request {root}")
    phases = [e for e in events if e["cat"] == "phase"]
    names = [p["name"] for p in phases]
    test.assertEqual(names, [n for n in PHASE_ORDER if n in names], "phases in the order a request meets them")
    test.assertEqual(len(set(names)), len(names))
    for a, b in zip(phases, phases[1:]):
        test.assertLessEqual(a["ts"] + a["dur"], b["ts"] + EPS, f"{a['name']} overlaps {b['name']}")
    test.assertLessEqual(sum(p["dur"] for p in phases), root["dur"] + EPS, "phases add up to at most the request")
    by_name = {p["name"]: p for p in phases}
    if "batch" in by_name:
        batch = by_name["batch"]
        parts = [e for e in events if e["cat"] == "batch"]
        test.assertEqual([p["name"] for p in parts], ["assemble", "run"])
        for p in parts:
            test.assertTrue(inside(p, batch), f"{p['name']} outside the batch")
        test.assertLessEqual(parts[0]["ts"] + parts[0]["dur"], parts[1]["ts"] + EPS)
        run = parts[1]
        ops = [e for e in events if e["cat"] == "op"]
        if expect_ops:
            test.assertGreater(len(ops), 0, "operator spans")
        test.assertEqual(run["args"]["ops"], len(ops))
        for a, b in zip(ops, ops[1:]):
            test.assertLessEqual(a["ts"] + a["dur"], b["ts"] + EPS, "operators run one after another")
        for op in ops:
            test.assertTrue(inside(op, run), f"op {op['name']} outside the run")
            for key in ("node", "kernel", "shapes"):
                test.assertIn(key, op["args"])
        test.assertLessEqual(sum(o["dur"] for o in ops), run["dur"] + EPS)
    return root, by_name


class Trace(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="inferd-trace-")
        cls.models = make_models(os.path.join(cls.tmp, "models"))
        cls.registry = os.path.join(cls.tmp, "registry")
        push(cls.registry, "mlp", f"{cls.models}/mlp.onnx")
        cls.cfg = os.path.join(cls.tmp, "mlp.yaml")
        with open(cls.cfg, "w") as f:
            f.write("max_batch_size: 16\nmax_queue_delay_us: 20000\n")
        cls.trace_dir = os.path.join(cls.tmp, "traces")
        cls.server = Server(cls.registry, "--model-config", f"mlp={cls.cfg}", "--trace-dir", cls.trace_dir)

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        if code != 0:
            print(cls.server.read_log())
        assert code == 0, f"inferd serve exited with {code} on SIGTERM"

    def infer(self, body, headers=None, server=None):
        return (server or self.server).call("POST", "/v2/models/mlp/infer", body, headers)

    def get_trace(self, trace_id, server=None):
        status, _, data = (server or self.server).call("GET", f"/v2/trace/{trace_id}")
        self.assertEqual(status, 200, data)
        return json.loads(data)

    def test_untraced_request_has_no_trace(self):
        status, h, data = self.infer(mlp_body(seed=1))
        self.assertEqual(status, 200, data)
        self.assertNotIn("inferd-trace-id", h)
        status, h, data = self.infer(mlp_body(seed=1, trace=False))
        self.assertEqual(status, 200, data)
        self.assertNotIn("inferd-trace-id", h)

    def test_parameter_opt_in_and_get_by_id(self):
        status, h, data = self.infer(mlp_body(seed=2, trace=True) | {"id": "req-7"})
        self.assertEqual(status, 200, data)
        trace_id = h["inferd-trace-id"]
        self.assertRegex(trace_id, r"^[0-9a-f]{16}$")
        doc = self.get_trace(trace_id)
        root, phases = check_trace(self, doc)
        self.assertEqual(root["args"]["trace_id"], trace_id)
        self.assertEqual(root["args"]["request_id"], "req-7")
        self.assertEqual(root["args"]["sampled_by"], "parameter")
        self.assertEqual(root["args"]["model"], "mlp")
        self.assertEqual(root["args"]["version"], "1")
        self.assertEqual(root["args"]["response_bytes"], len(data))
        for p in ["receive", "parse", "validate", "queue", "batch", "handoff", "serialize", "send"]:
            self.assertIn(p, phases)
        # The 20 ms queue delay: a lone request waits it out in the queue.
        self.assertGreaterEqual(phases["queue"]["dur"], 15000)
        self.assertGreater(phases["queue"]["dur"], 0.5 * root["dur"])
        ops = [e for e in spans(doc) if e["cat"] == "op"]
        self.assertEqual([o["name"].split("+")[0] for o in ops], ["Gemm", "Gemm", "Gemm"])
        self.assertIn("[1,784]", ops[0]["args"]["shapes"])
        # The same trace lands in the trace folder, byte for byte.
        path = self.wait_file(trace_id)
        with open(path) as f:
            self.assertEqual(json.load(f), doc)

    def wait_file(self, trace_id, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = glob.glob(os.path.join(self.trace_dir, f"trace-*-{trace_id}.json"))
            if found:
                return found[0]
            time.sleep(0.02)
        self.fail(f"no file for trace {trace_id} in {self.trace_dir}")

    def test_header_opt_in(self):
        status, h, data = self.infer(mlp_body(seed=3), {"Inferd-Trace": "1"})
        self.assertEqual(status, 200, data)
        root, _ = check_trace(self, self.get_trace(h["inferd-trace-id"]))
        self.assertEqual(root["args"]["sampled_by"], "header")

    def test_unknown_trace_is_404(self):
        status, _, data = self.server.call("GET", "/v2/trace/0123456789abcdef")
        self.assertEqual(status, 404, data)
        self.assertIn("no trace 0123456789abcdef", json.loads(data)["error"])
        self.assertEqual(self.server.call("POST", "/v2/trace/0123456789abcdef")[0], 405)

    def test_rejected_request_is_traced_without_queue(self):
        body = {"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}],
                "parameters": {"trace": True}}
        status, h, data = self.infer(body)
        self.assertEqual(status, 400, data)
        root, phases = check_trace(self, self.get_trace(h["inferd-trace-id"]))
        self.assertEqual(root["args"]["outcome"], "invalid")
        self.assertIn("input", root["args"]["error"])
        self.assertIn("parse", phases)
        self.assertNotIn("queue", phases)
        self.assertIn("send", phases)

    def test_batched_requests_share_the_batch_spans(self):
        n = 6
        results = [None] * n
        barrier = threading.Barrier(n)

        def one(i):
            conn = self.server.connection()
            barrier.wait()
            results[i] = self.server.call("POST", "/v2/models/mlp/infer", mlp_body(seed=10 + i, trace=True), conn=conn)
            conn.close()

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        docs = []
        for status, h, data in results:
            self.assertEqual(status, 200, data)
            docs.append(self.get_trace(h["inferd-trace-id"]))
        by_batch = {}
        for doc in docs:
            _, phases = check_trace(self, doc)
            by_batch.setdefault(phases["batch"]["args"]["batch_id"], []).append(doc)
        # 6 requests sent at once within a 20 ms window: at least two shared a batch.
        shared = max(by_batch.values(), key=len)
        self.assertGreaterEqual(len(shared), 2, {k: len(v) for k, v in by_batch.items()})
        batch_args = [check_trace(self, d)[1]["batch"]["args"] for d in shared]
        self.assertTrue(all(a["batch_requests"] >= len(shared) for a in batch_args), batch_args)
        self.assertEqual(len({a["batch_size"] for a in batch_args}), 1)
        # The operators of the shared run carry the batch's shape.
        rows = batch_args[0]["batch_size"]
        for d in shared:
            ops = [e for e in spans(d) if e["cat"] == "op"]
            self.assertIn(f"[{rows},784]", ops[0]["args"]["shapes"])
        # summarize counts the shared run's operators once.
        only = tempfile.mkdtemp(prefix="inferd-trace-shared-")
        for d in shared:
            trace_id = check_trace(self, d)[0]["args"]["trace_id"]
            shutil.copy(self.wait_file(trace_id), only)
        out = inferd("trace", "summarize", only).stdout
        self.assertIn(f"{len(shared)} traces", out)
        gemm = [ln.split() for ln in out.splitlines() if ln.startswith("Gemm")]
        self.assertEqual(len(gemm), 3, out)
        self.assertEqual([g[-2] for g in gemm], ["1", "1", "1"], out)

    def test_phase_histograms_in_metrics(self):
        for i in range(3):
            self.assertEqual(self.infer(mlp_body(seed=20 + i))[0], 200)
        status, _, data = self.server.call("GET", "/metrics")
        text = data.decode()
        for phase in ["parse", "validate", "queue", "batch", "handoff", "serialize"]:
            line = [ln for ln in text.splitlines()
                    if ln.startswith("inferd_phase_duration_seconds_count{") and f'phase="{phase}"' in ln
                    and 'model="mlp"' in ln]
            self.assertEqual(len(line), 1, phase)
            self.assertGreaterEqual(float(line[0].split()[-1]), 3)


class LoadedServer(unittest.TestCase):
    """--trace-rate under load: sampling, rotation, and summarize."""

    def test_rate_rotation_and_summarize(self):
        tmp = tempfile.mkdtemp(prefix="inferd-trace-load-")
        models = make_models(os.path.join(tmp, "models"))
        registry = os.path.join(tmp, "registry")
        push(registry, "mlp", f"{models}/mlp.onnx")
        cfg = os.path.join(tmp, "mlp.yaml")
        with open(cfg, "w") as f:
            f.write("max_batch_size: 8\nmax_queue_delay_us: 500\n")
        trace_dir = os.path.join(tmp, "traces")
        # A file of an earlier run counts toward the cap and goes first.
        os.makedirs(trace_dir)
        stale = os.path.join(trace_dir, "trace-0000000000001-aaaaaaaaaaaaaaaa.json")
        with open(stale, "w") as f:
            f.write('{"traceEvents":[]}')
        server = Server(registry, "--model-config", f"mlp={cfg}", "--trace-dir", trace_dir, "--trace-rate", "3",
                        "--trace-max-files", "12")
        try:
            total, workers = 60, 4
            traced, lock = [], threading.Lock()

            def worker(k):
                conn = server.connection()
                for i in range(k, total, workers):
                    status, h, data = server.call("POST", "/v2/models/mlp/infer", mlp_body(seed=i), conn=conn)
                    self.assertEqual(status, 200, data)
                    if "inferd-trace-id" in h:
                        with lock:
                            traced.append(h["inferd-trace-id"])
                conn.close()

            threads = [threading.Thread(target=worker, args=(k,)) for k in range(workers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(len(traced), total // 3, "one request in 3 is traced")
            # Rotation: 20 traces written, 12 files kept, the stale one deleted first.
            deadline = time.time() + 10
            while time.time() < deadline:
                status, _, data = server.call("GET", "/metrics")
                if 'inferd_traces{state="written"} 20' in data.decode():
                    break
                time.sleep(0.02)
            self.assertIn('inferd_traces{state="written"} 20', data.decode())
            files = sorted(glob.glob(os.path.join(trace_dir, "trace-*.json")))
            self.assertEqual(len(files), 12, files)
            self.assertNotIn(stale, files)
            kept = {os.path.basename(f)[-21:-5] for f in files}
            self.assertTrue(kept <= set(traced))
            oldest = [t for t in traced if t not in kept]
            self.assertEqual(len(oldest), 8)
            self.assertEqual(server.call("GET", f"/v2/trace/{oldest[0]}")[0], 404)
            for f in files:
                with open(f) as fh:
                    check_trace(self, json.load(fh))
        finally:
            self.assertEqual(server.stop(), 0, server.read_log())

        r = inferd("trace", "summarize", trace_dir)
        print(r.stdout)
        out = r.stdout
        self.assertIn("12 traces", out)
        rows = {ln.split()[0]: ln.split() for ln in out.splitlines() if ln and not ln.startswith(" ") and
                ln.split()[0] in ("parse", "validate", "queue", "batch", "handoff", "serialize", "send", "request",
                                  "(gaps)")}
        for p in ["parse", "validate", "queue", "batch", "serialize", "send", "request", "(gaps)"]:
            self.assertIn(p, rows, out)
            self.assertEqual(rows[p][-1], "12", p)
        self.assertEqual(rows["request"][1], "100.0%")
        top_level = ["parse", "validate", "queue", "batch", "handoff", "serialize", "send", "(gaps)"]
        self.assertAlmostEqual(sum(float(rows[p][1].rstrip("%")) for p in top_level if p in rows), 100.0, delta=0.6)
        self.assertIn("top operators", out)
        self.assertIn("Gemm", out)
        # Not a trace folder: a clear error.
        r = inferd("trace", "summarize", os.path.join(tmp, "models"), check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no request traces", r.stderr)


if __name__ == "__main__":
    unittest.main()
