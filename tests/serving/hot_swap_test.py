#!/usr/bin/python3
"""Zero-downtime hot swap: a steady load of infer requests runs while 20 new
versions are pushed to the registry and the `production` alias moves after
each; the server follows the registry on its own. Checks:
  - no request fails (every response is a 200);
  - every response names a version that was READY at some moment while the
    request was in flight (a monitor polls the repository index), and its
    output was computed by that version (version N adds N);
  - the load averaged at least 200 requests/s;
  - the server's memory after the swaps is within 10% of after the first.

Run: INFERD=build/inferd tests/serving/hot_swap_test.py"""
import bisect
import json
import os
import struct
import tempfile
import threading
import time
import unittest

from serving_util import Server, inferd, make_models, push

SWAPS = int(os.environ.get("INFERD_HOT_SWAPS", "20"))
CLIENTS = 6


class HotSwap(unittest.TestCase):
    def test_swaps_under_load(self):
        tmp = tempfile.mkdtemp(prefix="inferd-hotswap-")
        models = make_models(os.path.join(tmp, "models"))
        registry = os.path.join(tmp, "registry")
        push(registry, "add", f"{models}/add_v1.onnx", "--alias", "production")
        server = Server(registry)
        stop = threading.Event()
        samples = []  # (time, frozenset of READY versions)
        results = []  # (t_send, t_recv, path, status, version, value)
        lock = threading.Lock()

        def monitor():
            conn = server.connection()
            while not stop.is_set():
                status, _, data = server.call("POST", "/v2/repository/index", "{}", conn=conn)
                t = time.monotonic()
                if status == 200:
                    ready = frozenset(int(e["version"]) for e in json.loads(data)
                                      if e["name"] == "add" and e["state"] == "READY")
                    samples.append((t, ready))
                time.sleep(0.005)
            conn.close()

        body = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [0, 0, 0, 0]}]})

        def client(i):
            conn = server.connection()
            paths = ["/v2/models/add/infer", "/v2/models/add/versions/production/infer"]
            n = 0
            while not stop.is_set():
                path = paths[(n + i) % 2]
                n += 1
                t0 = time.monotonic()
                try:
                    status, _, data = server.call("POST", path, body, conn=conn)
                except Exception as e:  # a dropped connection is a failure too
                    with lock:
                        results.append((t0, time.monotonic(), path, -1, None, str(e)))
                    conn = server.connection()
                    continue
                t1 = time.monotonic()
                version = value = None
                if status == 200:
                    out = json.loads(data)
                    version = int(out["model_version"])
                    value = out["outputs"][0]["data"][0]
                else:
                    value = data[:200]
                with lock:
                    results.append((t0, t1, path, status, version, value))
            conn.close()

        threads = [threading.Thread(target=monitor)] + [threading.Thread(target=client, args=(i,))
                                                          for i in range(CLIENTS)]
        for t in threads:
            t.start()
        rss_after_first = None
        start = time.monotonic()
        time.sleep(1.5)  # steady state before the first swap, for the latency comparison
        swaps_began = time.monotonic()
        try:
            for n in range(2, SWAPS + 2):
                push(registry, "add", f"{models}/add_v{n}.onnx")
                server.wait_model("add", str(n))
                inferd("model", "--registry", registry, "alias", "set", "add", "production", str(n - 1))
                time.sleep(0.15)
                if n == 2:
                    time.sleep(0.5)
                    rss_after_first = server.rss_kb()
            # let the last alias move and unloads settle
            time.sleep(1.0)
            rss_end = server.rss_kb()
        finally:
            stop.set()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - start
            code = server.stop()
        self.assertEqual(code, 0, server.read_log())

        failed = [r for r in results if r[3] != 200]
        self.assertEqual(failed[:5], [], f"{len(failed)} of {len(results)} requests failed")
        rate = len(results) / elapsed

        def p99_ms(rows):
            lat = sorted(r[1] - r[0] for r in rows)
            return 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else float("nan")

        steady = [r for r in results if r[0] < swaps_began]
        during = [r for r in results if r[0] >= swaps_began]
        print(f"\nhot swap: {len(results)} requests in {elapsed:.1f} s ({rate:.0f}/s) across {SWAPS} swaps, "
              f"0 failed; p99 {p99_ms(steady):.2f} ms steady ({len(steady)} requests), "
              f"{p99_ms(during):.2f} ms during swaps ({len(during)}); "
              f"RSS after first swap {rss_after_first} kB, after all {rss_end} kB")
        self.assertGreaterEqual(rate, 200, "load below 200 requests/s")

        times = [s[0] for s in samples]
        wrong = []
        for t0, t1, path, status, version, value in results:
            if value != float(version):
                wrong.append(("output", version, value))
                continue
            lo = bisect.bisect_left(times, t0 - 0.05)
            hi = bisect.bisect_right(times, t1 + 0.05)
            if not any(version in samples[k][1] for k in range(max(0, lo - 1), min(len(samples), hi + 1))):
                wrong.append(("not live", version, path, t0, t1))
        self.assertEqual(wrong[:5], [], f"{len(wrong)} responses from versions not live at the time")
        versions_seen = {r[4] for r in results}
        self.assertGreaterEqual(len(versions_seen), SWAPS // 2, "the load did not see the swaps")
        self.assertLessEqual(rss_end, rss_after_first * 1.10,
                             f"RSS grew from {rss_after_first} kB to {rss_end} kB across the swaps")


if __name__ == "__main__":
    unittest.main(verbosity=2)
