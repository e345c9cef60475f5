#!/usr/bin/python3
"""The Open Inference Protocol (KServe v2 REST) of `inferd serve`, end to end
over loopback with real clients (Python's http.client and curl): health,
metadata, infer with JSON and binary tensors, aliases in URLs, the model
repository extension, metrics, every validation error, and SIGTERM.

Run: INFERD=build/inferd tests/serving/protocol_test.py"""
import json
import os
import struct
import subprocess
import tempfile
import unittest

from serving_util import (Server, binary_request, floats, make_models, push, split_binary_response)


class Protocol(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="inferd-protocol-")
        cls.models = make_models(os.path.join(cls.tmp, "models"))
        cls.registry = os.path.join(cls.tmp, "registry")
        m = cls.models
        push(cls.registry, "add", f"{m}/add_v1.onnx", "--alias", "production")
        push(cls.registry, "add", f"{m}/add_v2.onnx", "--alias", "staging")
        push(cls.registry, "multi", f"{m}/multi.onnx")
        push(cls.registry, "fixed", f"{m}/fixed.onnx")
        push(cls.registry, "text", f"{m}/text.onnx")
        cfg = os.path.join(cls.tmp, "add.yaml")
        with open(cfg, "w") as f:
            f.write("max_batch_size: 4\nmax_queue_delay_us: 200\nversion_policy: {latest: 2}\n")
        cls.server = Server(cls.registry, "--model-config", f"add={cfg}", "--max-request-bytes", "100000")

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        if code != 0:
            print(cls.server.read_log())
        assert code == 0, f"inferd serve exited with {code} on SIGTERM"

    def infer(self, model, body, version=None, headers=None):
        path = f"/v2/models/{model}" + (f"/versions/{version}" if version else "") + "/infer"
        status, h, data = self.server.call("POST", path, body, headers)
        return status, h, data

    def infer_json(self, model, body, version=None):
        status, h, data = self.infer(model, body, version)
        return status, json.loads(data)

    def assert_error(self, model, body, status, *fragments, version=None, headers=None):
        got, h, data = self.infer(model, body, version, headers)
        self.assertEqual(got, status, data)
        message = json.loads(data)["error"]
        for f in fragments:
            self.assertIn(f, message)
        return message

    # -- health and metadata
    def test_health(self):
        self.assertEqual(self.server.call("GET", "/v2/health/live")[0], 200)
        self.assertEqual(self.server.call("GET", "/v2/health/ready")[0], 200)

    def test_server_metadata(self):
        status, body = self.server.json("GET", "/v2")
        self.assertEqual(status, 200)
        self.assertEqual(body["name"], "inferd")
        self.assertIn("binary_tensor_data", body["extensions"])
        self.assertIn("model_repository", body["extensions"])

    def test_model_metadata(self):
        status, body = self.server.json("GET", "/v2/models/add")
        self.assertEqual(status, 200)
        self.assertEqual(body["name"], "add")
        self.assertEqual(sorted(body["versions"]), ["1", "2"])
        self.assertEqual(body["inputs"], [{"name": "x", "datatype": "FP32", "shape": [-1, 4]}])
        self.assertEqual(body["outputs"], [{"name": "y", "datatype": "FP32", "shape": [-1, 4]}])
        status, body = self.server.json("GET", "/v2/models/multi/versions/1")
        self.assertEqual(status, 200)
        self.assertEqual([i["datatype"] for i in body["inputs"]], ["FP32", "INT64"])
        self.assertEqual([o["datatype"] for o in body["outputs"]], ["FP32", "BOOL", "FP16"])

    def test_model_ready_and_unknown(self):
        self.assertEqual(self.server.call("GET", "/v2/models/add/ready")[0], 200)
        self.assertEqual(self.server.call("GET", "/v2/models/add/versions/1/ready")[0], 200)
        self.assertEqual(self.server.call("GET", "/v2/models/add/versions/production/ready")[0], 200)
        self.assertEqual(self.server.call("GET", "/v2/models/nope/ready")[0], 404)
        self.assertEqual(self.server.call("GET", "/v2/models/add/versions/99/ready")[0], 404)
        status, body = self.server.json("GET", "/v2/models/nope")
        self.assertEqual(status, 404)
        self.assertIn("nope", body["error"])
        status, _ = self.infer_json("add", {"inputs": []}, version="canary")
        self.assertEqual(status, 404)

    def test_unknown_route_and_method(self):
        self.assertEqual(self.server.call("GET", "/v3/nothing")[0], 404)
        status, h, _ = self.server.call("GET", "/v2/models/add/infer")
        self.assertEqual(status, 405)
        self.assertEqual(h["allow"], "POST")

    # -- infer, JSON
    def test_infer_json(self):
        body = {"id": "req-7", "inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 4],
                                           "data": [1, 2, 3, 4, 5, 6, 7, 8]}]}
        status, out = self.infer_json("add", body)
        self.assertEqual(status, 200, out)
        self.assertEqual(out["id"], "req-7")
        self.assertEqual(out["model_name"], "add")
        self.assertEqual(out["model_version"], "2")  # the highest served version
        self.assertEqual(out["outputs"][0]["name"], "y")
        self.assertEqual(out["outputs"][0]["datatype"], "FP32")
        self.assertEqual(out["outputs"][0]["shape"], [2, 4])
        self.assertEqual(out["outputs"][0]["data"], [3, 4, 5, 6, 7, 8, 9, 10])

    def test_infer_nested_data_and_versions(self):
        body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [[0, 0, 0, 0]]}]}
        for version, offset in (("1", 1), ("2", 2), ("production", 1), ("staging", 2)):
            status, out = self.infer_json("add", body, version=version)
            self.assertEqual(status, 200, out)
            self.assertEqual(out["outputs"][0]["data"], [offset] * 4, version)
            self.assertEqual(out["model_version"], str(offset))
        self.assertNotIn("id", out)

    def test_infer_multi_dtypes_and_requested_outputs(self):
        body = {"inputs": [{"name": "b", "datatype": "INT64", "shape": [1, 3], "data": [10, 20, 30]},
                           {"name": "a", "datatype": "FP32", "shape": [1, 3], "data": [-1.5, 0, 2.5]}]}
        status, out = self.infer_json("multi", body)
        self.assertEqual(status, 200, out)
        outs = {o["name"]: o for o in out["outputs"]}
        self.assertEqual(outs["sum"]["data"], [8.5, 20, 32.5])
        self.assertEqual(outs["positive"]["datatype"], "BOOL")
        self.assertEqual(outs["positive"]["data"], [False, False, True])
        self.assertEqual(outs["a_half"]["datatype"], "FP16")
        self.assertEqual(outs["a_half"]["data"], [-0.75, 0, 1.25])
        body["outputs"] = [{"name": "positive"}]
        status, out = self.infer_json("multi", body)
        self.assertEqual([o["name"] for o in out["outputs"]], ["positive"])
        body["outputs"] = [{"name": "nothing"}]
        self.assert_error("multi", body, 400, "nothing")

    def test_infer_bytes(self):
        body = {"inputs": [{"name": "s", "datatype": "BYTES", "shape": [2], "data": ["hello", "wörld"]}]}
        status, out = self.infer_json("text", body)
        self.assertEqual(status, 200, out)
        self.assertEqual(out["outputs"][0]["datatype"], "BYTES")
        self.assertEqual(out["outputs"][0]["data"], ["hello", "wörld"])
        raw = b"".join(struct.pack("<I", len(s)) + s for s in (b"ab", b"", b"xyz"))
        req, headers = binary_request([("s", "BYTES", [3], raw)])
        status, h, data = self.infer("text", req, headers=headers)
        self.assertEqual(status, 200, data)
        head, outs = split_binary_response(h, data)
        self.assertEqual(outs["out"], raw)

    # -- infer, binary tensors
    def test_infer_binary(self):
        raw = struct.pack("<8f", *range(8))
        req, headers = binary_request([("x", "FP32", [2, 4], raw)], extra={"id": "b1"})
        status, h, data = self.infer("add", req, version="1", headers=headers)
        self.assertEqual(status, 200, data)
        head, outs = split_binary_response(h, data)
        self.assertEqual(head["id"], "b1")
        self.assertEqual(head["outputs"][0]["parameters"]["binary_data_size"], 32)
        self.assertEqual(floats(outs["y"]), [v + 1 for v in range(8)])
        # binary in, JSON out
        req, headers = binary_request([("x", "FP32", [2, 4], raw)], binary_output=False)
        status, h, data = self.infer("add", req, version="1", headers=headers)
        self.assertEqual(status, 200, data)
        self.assertEqual(json.loads(data)["outputs"][0]["data"], [v + 1 for v in range(8)])
        # JSON in, one output asked for as binary
        body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [0, 1, 2, 3]}],
                "outputs": [{"name": "y", "parameters": {"binary_data": True}}]}
        status, h, data = self.infer("add", json.dumps(body), version="1")
        head, outs = split_binary_response(h, data)
        self.assertEqual(floats(outs["y"]), [1, 2, 3, 4])

    def test_curl(self):
        url = self.server.base + "/v2/models/add/versions/1/infer"
        body = '{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,1,1,1]}]}'
        r = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", "-H", "Content-Type: application/json",
                            "-d", body, url], capture_output=True, text=True, check=True)
        payload, code = r.stdout.rsplit("\n", 1)
        self.assertEqual(code, "200")
        self.assertEqual(json.loads(payload)["outputs"][0]["data"], [2, 2, 2, 2])
        bin_file = os.path.join(self.tmp, "req.bin")
        req, headers = binary_request([("x", "FP32", [1, 4], struct.pack("<4f", 1, 2, 3, 4))])
        with open(bin_file, "wb") as f:
            f.write(req)
        out_file = os.path.join(self.tmp, "resp.bin")
        r = subprocess.run(["curl", "-s", "-D", "-", "-o", out_file, "-H",
                            f"Inference-Header-Content-Length: {headers['Inference-Header-Content-Length']}",
                            "--data-binary", f"@{bin_file}", url], capture_output=True, text=True, check=True)
        resp_headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip()
                        for l in r.stdout.splitlines() if ":" in l}
        with open(out_file, "rb") as f:
            _, outs = split_binary_response(resp_headers, f.read())
        self.assertEqual(floats(outs["y"]), [2, 3, 4, 5])
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", self.server.base + "/v2/health/live"],
                           capture_output=True, text=True, check=True)
        self.assertEqual(r.stdout, "200")

    # -- validation errors: each a 400 naming the input
    def test_missing_unknown_duplicate_inputs(self):
        a = {"name": "a", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}
        b = {"name": "b", "datatype": "INT64", "shape": [1, 3], "data": [1, 2, 3]}
        self.assert_error("multi", {"inputs": [a]}, 400, 'missing input "b"')
        self.assert_error("multi", {"inputs": [a, b, dict(a, name="c")]}, 400, 'unknown input "c"')
        self.assert_error("multi", {"inputs": [a, b, a]}, 400, '"a"', "twice")

    def test_wrong_datatype_rank_dims(self):
        x = {"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [1, 2, 3, 4]}
        self.assert_error("add", {"inputs": [dict(x, datatype="INT64")]}, 400, 'input "x"', "FP32", "INT64")
        self.assert_error("add", {"inputs": [dict(x, shape=[4])]}, 400, 'input "x"', "[-1,4]")
        self.assert_error("add", {"inputs": [dict(x, shape=[2, 2])]}, 400, 'input "x"')
        self.assert_error("fixed", {"inputs": [dict(x, shape=[4, 1])]}, 400, 'input "x"', "[2,2]")

    def test_data_length_and_type(self):
        x = {"name": "x", "datatype": "FP32", "shape": [1, 4]}
        self.assert_error("add", {"inputs": [dict(x, data=[1, 2, 3])]}, 400, '"x"', "3", "4")
        self.assert_error("add", {"inputs": [dict(x, data=[1, 2, "three", 4])]}, 400, '"x"')
        self.assert_error("add", {"inputs": [dict(x)]}, 400, '"x"')
        raw = struct.pack("<3f", 1, 2, 3)
        req, headers = binary_request([("x", "FP32", [1, 4], raw)])
        self.assert_error("add", req, 400, '"x"', headers=headers)
        req, headers = binary_request([("x", "FP32", [1, 4], struct.pack("<4f", 1, 2, 3, 4))])
        headers["Inference-Header-Content-Length"] = str(len(req) + 10)
        self.assert_error("add", req, 400, "Inference-Header-Content-Length", headers=headers)

    def test_batch_over_max(self):
        x = {"name": "x", "datatype": "FP32", "shape": [5, 4], "data": [0] * 20}
        self.assert_error("add", {"inputs": [x]}, 400, '"x"', "5", "4")

    def test_malformed(self):
        self.assert_error("add", "{not json", 400)
        self.assert_error("add", "[]", 400)
        self.assert_error("add", "", 400)
        self.assert_error("add", {"inputs": [{"name": "x", "datatype": "FP99", "shape": [1, 4],
                                              "data": [1, 2, 3, 4]}]}, 400, "FP99")

    def test_request_too_large(self):
        status, h, data = self.server.call("POST", "/v2/models/add/infer", b"x" * 200000)
        self.assertEqual(status, 413)
        message = json.loads(data)["error"]
        self.assertIn("100000", message)
        self.assertIn("--max-request-bytes", message)

    # -- model repository extension
    def test_repository_index_unload_load(self):
        status, index = self.server.json("POST", "/v2/repository/index", {})
        self.assertEqual(status, 200)
        entries = {(e["name"], e["version"]): e for e in index}
        self.assertEqual(entries[("add", "1")]["state"], "READY")
        self.assertEqual(entries[("fixed", "1")]["state"], "READY")
        status, _ = self.server.json("POST", "/v2/repository/models/fixed/unload", {})
        self.assertEqual(status, 200)
        self.assertNotEqual(self.server.call("GET", "/v2/models/fixed/ready")[0], 200)
        status, ready = self.server.json("POST", "/v2/repository/index", {"ready": True})
        self.assertNotIn("fixed", [e["name"] for e in ready])
        status, _ = self.server.json("POST", "/v2/repository/models/fixed/load", {})
        self.assertEqual(status, 200)
        self.assertEqual(self.server.call("GET", "/v2/models/fixed/ready")[0], 200)
        status, body = self.server.json("POST", "/v2/repository/models/nope/load", {})
        self.assertEqual(status, 404, body)

    # -- metrics
    def test_metrics(self):
        body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [0, 0, 0, 0]}]}
        self.assertEqual(self.infer_json("add", body, version="1")[0], 200)
        self.assert_error("add", {"inputs": []}, 400)
        status, h, data = self.server.call("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(h["content-type"].startswith("text/plain"))
        text = data.decode()
        self.maxDiff = 2000
        self.longMessage = False
        self.assertIn('inferd_requests_total{model="add",outcome="success",version="1"}', text)
        self.assertIn('outcome="invalid"', text)
        self.assertIn("# TYPE inferd_request_duration_seconds histogram", text)
        self.assertIn('inferd_request_duration_seconds_bucket{model="add",version="1",le="+Inf"}', text)
        self.assertIn("inferd_queue_duration_seconds_count", text)
        self.assertIn("inferd_compute_duration_seconds_count", text)
        self.assertIn("inferd_batch_size_bucket", text)
        self.assertIn("inferd_queue_depth", text)
        self.assertIn('inferd_loaded_versions{model="add"} 2', text)


class Options(unittest.TestCase):
    def test_reject_nonfinite_and_sigterm(self):
        tmp = tempfile.mkdtemp(prefix="inferd-options-")
        models = make_models(os.path.join(tmp, "models"))
        registry = os.path.join(tmp, "registry")
        push(registry, "add", f"{models}/add.onnx")
        server = Server(registry, "--reject-nonfinite")
        try:
            raw = struct.pack("<4f", 1, float("nan"), 3, 4)
            req, headers = binary_request([("x", "FP32", [1, 4], raw)])
            status, h, data = server.call("POST", "/v2/models/add/infer", req, headers)
            self.assertEqual(status, 400, data)
            self.assertIn('"x"', json.loads(data)["error"])
        finally:
            self.assertEqual(server.stop(), 0)
        with open(server.log_path) as f:
            self.assertIn("event=stopped", f.read())


class Overload(unittest.TestCase):
    """A full queue answers 429 at once with Retry-After; a request past its
    timeout answers 504; nothing waits forever and nothing else fails."""

    def test_queue_full_and_timeout(self):
        import threading
        tmp = tempfile.mkdtemp(prefix="inferd-overload-")
        models = make_models(os.path.join(tmp, "models"))
        registry = os.path.join(tmp, "registry")
        push(registry, "mlp", f"{models}/mlp.onnx")
        cfg = os.path.join(tmp, "mlp.yaml")
        with open(cfg, "w") as f:
            f.write("max_batch_size: 0\nmax_queue_size: 1\ninstances: 1\nthreads: 1\n")
        server = Server(registry, "--model-config", f"mlp={cfg}", "--http-threads", "4")
        try:
            rows = 512
            raw = struct.pack(f"<{rows * 784}f", *([0.5] * (rows * 784)))
            req, headers = binary_request([("input", "FP32", [rows, 784], raw)])
            statuses, retry_after = [], []
            lock = threading.Lock()

            def send():
                status, h, data = server.call("POST", "/v2/models/mlp/infer", req, headers)
                with lock:
                    statuses.append(status)
                    if status == 429:
                        retry_after.append(h.get("retry-after"))
                        self.assertIn("full", json.loads(data)["error"])

            threads = [threading.Thread(target=send) for _ in range(12)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertTrue(set(statuses) <= {200, 429}, statuses)
            self.assertIn(429, statuses)
            self.assertIn(200, statuses)
            self.assertTrue(all(r is not None and int(r) >= 1 for r in retry_after), retry_after)

            body = {"parameters": {"timeout": 1},
                    "inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 784], "data": [0] * 784}]}
            status, h, data = server.call("POST", "/v2/models/mlp/infer", json.dumps(body))
            self.assertEqual(status, 504, data)
            self.assertIn("timed out", json.loads(data)["error"])
            body["parameters"]["timeout"] = 10_000_000
            self.assertEqual(server.call("POST", "/v2/models/mlp/infer", json.dumps(body))[0], 200)
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
