"""Helpers shared by the serving tests: a registry in a temp folder filled
with `inferd model push`, an `inferd serve` process on a free port, and
plain HTTP calls with Python's standard http.client."""
import http.client
import json
import os
import signal
import struct
import subprocess
import tempfile
import time

INFERD = os.environ.get("INFERD", "inferd")
MODELS = os.environ.get("INFERD_SERVING_MODELS", "")


def make_models(out):
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run(["/usr/bin/python3", os.path.join(here, "make_models.py"), out], check=True)
    return out


def inferd(*args, check=True):
    r = subprocess.run([INFERD, *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"inferd {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


def push(registry, name, path, *extra):
    return inferd("model", "--registry", registry, "push", name, path, *extra)


class Server:
    """`inferd serve` on a free loopback port; stop() sends SIGTERM."""

    def __init__(self, registry, *args, wait_ready=True, timeout=60):
        self.dir = tempfile.mkdtemp(prefix="inferd-serve-")
        self.port_file = os.path.join(self.dir, "port")
        self.log_path = os.path.join(self.dir, "server.log")
        self.log = open(self.log_path, "w")
        cmd = [INFERD, "serve", "--registry", registry, "--http-port", "0", "--port-file", self.port_file,
               "--poll-ms", "50", *args]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise AssertionError(f"inferd serve exited with {self.proc.returncode}: {self.read_log()}")
            if time.time() > deadline:
                raise AssertionError("inferd serve did not start: " + self.read_log())
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read())
        self.base = f"http://127.0.0.1:{self.port}"
        if wait_ready:
            self.wait_ready(timeout)

    def read_log(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, _, _ = self.call("GET", "/v2/health/ready")
            if status == 200:
                return
            time.sleep(0.05)
        raise AssertionError("server not ready in time: " + self.read_log())

    def wait_model(self, name, version="", timeout=30):
        path = f"/v2/models/{name}" + (f"/versions/{version}" if version else "") + "/ready"
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.call("GET", path)[0] == 200:
                return
            time.sleep(0.05)
        raise AssertionError(f"{path} not ready in time: " + self.read_log())

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def call(self, method, path, body=None, headers=None, conn=None):
        own = conn is None
        conn = conn or self.connection()
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            if own:
                conn.close()

    def json(self, method, path, body=None, headers=None):
        status, h, data = self.call(method, path, body, headers)
        return status, (json.loads(data) if data else None)

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def binary_request(inputs, outputs=None, binary_output=True, extra=None):
    """inputs: list of (name, datatype, shape, raw bytes). Returns (body, headers)."""
    header = {"inputs": [{"name": n, "datatype": dt, "shape": shape, "parameters": {"binary_data_size": len(raw)}}
                         for n, dt, shape, raw in inputs]}
    if binary_output:
        header["parameters"] = {"binary_data_output": True}
    if outputs is not None:
        header["outputs"] = outputs
    if extra:
        header.update(extra)
    js = json.dumps(header).encode()
    body = js + b"".join(raw for _, _, _, raw in inputs)
    return body, {"Inference-Header-Content-Length": str(len(js)), "Content-Type": "application/octet-stream"}


def split_binary_response(headers, body):
    """Returns (json header, {output name: raw bytes})."""
    n = int(headers.get("inference-header-content-length", len(body)))
    head = json.loads(body[:n])
    raw, off = {}, n
    for out in head["outputs"]:
        size = out.get("parameters", {}).get("binary_data_size")
        if size is not None:
            raw[out["name"]] = body[off:off + size]
            off += size
    assert off == len(body), f"binary response: {len(body) - off} bytes left over"
    return head, raw


def floats(raw):
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))
