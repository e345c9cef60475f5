#!/usr/bin/python3
"""End-to-end tests of `inferd predict`: the real binary on files and models
written here (python3-onnx, numpy), checking outputs, errors files, exit
codes, resume after SIGKILL (byte-exact) and bounded memory.

  INFERD=build/inferd predict_test.py [TestClass ...]
"""
import gzip
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_models  # noqa: E402

INFERD = os.environ.get("INFERD", "build/inferd")
TMP = None
MODELS = None


def setUpModule():
    global TMP, MODELS
    TMP = tempfile.mkdtemp(prefix="inferd-predict-test-")
    MODELS = os.path.join(TMP, "models")
    make_models.main(MODELS)


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


def model(name):
    return os.path.join(MODELS, name + ".onnx")


def path(name):
    return os.path.join(TMP, name)


def predict(*args, timeout=60):
    """Runs inferd predict; returns (exit code, stderr)."""
    p = subprocess.run([INFERD, "predict", "--progress", "none", *args], capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stderr


def read_jsonl(p):
    with open(p) as f:
        return [json.loads(line) for line in f]


def read_progress(p):
    """The newest slot of an OUTPUT.progress file (two 4096-byte slots: JSON, checksum, padding)."""
    with open(p, "rb") as f:
        data = f.read()
    states = []
    for at in range(0, len(data), 4096):
        text = data[at:at + 4096].split(b"\n")[0]
        try:
            states.append(json.loads(text))
        except ValueError:
            pass
    return max(states, key=lambda s: s["seq"])


def write_idx(p, arr, gz=False):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.float32): 0x0D}
    head = bytes([0, 0, codes[arr.dtype], arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    data = head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()
    with (gzip.open(p, "wb") if gz else open(p, "wb")) as f:
        f.write(data)


class FormatsTest(unittest.TestCase):
    """Each input format into each output format, on a model whose results are exact."""

    X = (np.arange(40, dtype=np.float32).reshape(10, 4) - 7.5) / 4

    def expected(self):
        return self.X * 2 + 1

    def test_npy_to_npy_with_batches_that_do_not_divide(self):
        np.save(path("f.npy"), self.X)
        rc, err = predict("--model-file", model("affine"), "-i", path("f.npy"), "-o", path("f_out.npy"),
                          "--batch-size", "3")
        self.assertEqual(rc, 0, err)
        out = np.load(path("f_out.npy"))
        self.assertEqual(out.dtype, np.float32)
        np.testing.assert_array_equal(out, self.expected())
        self.assertIn("10 rows ok, 0 rows failed", err)
        self.assertFalse(os.path.exists(path("f_out.npy.progress")))
        self.assertFalse(os.path.exists(path("f_out.npy.errors.jsonl")))

    def test_npy_of_another_type_is_converted(self):
        np.save(path("f64.npy"), self.X.astype(np.float64))
        rc, err = predict("--model-file", model("affine"), "-i", path("f64.npy"), "-o", path("f64_out.npy"))
        self.assertEqual(rc, 0, err)
        np.testing.assert_array_equal(np.load(path("f64_out.npy")), self.expected())

    def test_csv_to_csv_maps_columns_by_name(self):
        with open(path("c.csv"), "w") as f:
            f.write("id,d,c,b,a\n")
            for i, r in enumerate(self.X):
                f.write(f"{i},{r[3]!r},{r[2]!r},{r[1]!r},{r[0]!r}\n")
        rc, err = predict("--model-file", model("affine"), "-i", path("c.csv"), "-o", path("c_out.csv"),
                          "--columns", "a,b,c,d", "--batch-size", "4")
        self.assertEqual(rc, 0, err)
        with open(path("c_out.csv")) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "row,y_0,y_1,y_2,y_3")
        got = np.array([[float(v) for v in line.split(",")[1:]] for line in lines[1:]], dtype=np.float32)
        np.testing.assert_array_equal(got, self.expected())
        self.assertEqual([int(line.split(",")[0]) for line in lines[1:]], list(range(10)))

    def test_csv_without_columns_needs_the_right_width(self):
        with open(path("w.csv"), "w") as f:
            f.write("a,b,c\n1,2,3\n")
        rc, err = predict("--model-file", model("affine"), "-i", path("w.csv"), "-o", path("w_out.csv"))
        self.assertEqual(rc, 1)
        self.assertIn("3 values", err)
        self.assertIn("--columns", err)

    def test_jsonl_accepts_three_forms_and_labels(self):
        rows = self.X[:3]
        with open(path("j.jsonl"), "w") as f:
            f.write(json.dumps({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32",
                                            "data": rows[0].tolist()}]}) + "\n")
            f.write(json.dumps({"x": [rows[1][:2].tolist(), rows[1][2:].tolist()]}) + "\n")
            f.write("\n")  # a blank line is not a row
            f.write(json.dumps(rows[2].tolist()) + "\n")
        with open(path("labels.txt"), "w") as f:
            f.write("zero\none\ntwo\nthree\n")
        rc, err = predict("--model-file", model("affine"), "-i", path("j.jsonl"), "-o", path("j_out.jsonl"),
                          "--labels", path("labels.txt"))
        self.assertEqual(rc, 0, err)
        out = read_jsonl(path("j_out.jsonl"))
        self.assertEqual([o["row"] for o in out], [0, 1, 2])
        np.testing.assert_array_equal(np.array([o["y"] for o in out], dtype=np.float32), rows * 2 + 1)
        # y = 2x + 1 is increasing, so the argmax of y is the argmax of x.
        names = ["zero", "one", "two", "three"]
        self.assertEqual([o["label"] for o in out], [names[int(np.argmax(r))] for r in rows])

    def test_idx_plain_and_gzip_with_reshape_and_conversion(self):
        images = np.random.default_rng(1).integers(0, 256, size=(7, 2, 2), dtype=np.uint8)
        write_idx(path("img-idx3-ubyte"), images)
        write_idx(path("img-idx3-ubyte.gz"), images, gz=True)
        for name in ["img-idx3-ubyte", "img-idx3-ubyte.gz"]:
            rc, err = predict("--model-file", model("affine"), "-i", path(name), "-o", path(name + ".npy"),
                              "--batch-size", "2")
            self.assertEqual(rc, 0, err)
            np.testing.assert_array_equal(np.load(path(name + ".npy")),
                                          images.reshape(7, 4).astype(np.float32) * 2 + 1)

    def test_npy_to_jsonl_and_csv_labels(self):
        np.save(path("l.npy"), self.X)
        with open(path("labels.txt"), "w") as f:
            f.write("zero\none\ntwo\nthree\n")
        rc, err = predict("--model-file", model("affine"), "-i", path("l.npy"), "-o", path("l_out.csv"),
                          "--labels", path("labels.txt"))
        self.assertEqual(rc, 0, err)
        with open(path("l_out.csv")) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "row,y_0,y_1,y_2,y_3,label")
        names = ["zero", "one", "two", "three"]
        self.assertEqual([line.split(",")[-1] for line in lines[1:]], [names[int(np.argmax(r))] for r in self.X])

    def test_a_huge_batch_size_on_a_small_text_file_allocates_little(self):
        with open(path("tiny.csv"), "w") as f:
            f.write("a,b,c,d\n1,2,3,4\n")
        with open(path("tiny.jsonl"), "w") as f:
            f.write("[1,2,3,4]\n")
        for src in ["tiny.csv", "tiny.jsonl"]:
            rc, err = predict("--model-file", model("affine"), "-i", path(src), "-o", path(src + ".out.npy"),
                              "--batch-size", "1000000")
            self.assertEqual(rc, 0, err)
            rss = float(re.search(r"peak RSS ([0-9.]+) MB", err).group(1))
            self.assertLess(rss, 100, err)  # not 1000000 rows x 16 bytes x the queue
            np.testing.assert_array_equal(np.load(path(src + ".out.npy")), [[3, 5, 7, 9]])

    def test_output_may_not_overwrite_the_input(self):
        np.save(path("same.npy"), self.X)
        rc, err = predict("--model-file", model("affine"), "-i", path("same.npy"), "-o", path("same.npy"))
        self.assertEqual(rc, 1)
        self.assertIn("overwrite", err)
        np.testing.assert_array_equal(np.load(path("same.npy")), self.X)

    def test_unknown_extension_and_missing_model_are_clear(self):
        np.save(path("u.npy"), self.X)
        rc, err = predict("--model-file", model("affine"), "-i", path("u.npy"), "-o", path("u.out"))
        self.assertEqual(rc, 1)
        self.assertIn("--format", err)
        rc, err = predict("-i", path("u.npy"), "-o", path("u.npy.out.npy"))
        self.assertEqual(rc, 2)
        self.assertIn("--model", err)


class ProgressTest(unittest.TestCase):
    """A redrawn line on a terminal (--progress bar forces it here), plain lines otherwise."""

    def run_progress(self, mode):
        np.save(path("p.npy"), np.ones((50, 4), dtype=np.float32))
        p = subprocess.run([INFERD, "predict", "--model-file", model("affine"), "-i", path("p.npy"), "-o",
                            path("p_out.npy"), "--batch-size", "10", "--progress", mode],
                           capture_output=True, timeout=60)  # bytes: text mode would turn \r into \n
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stderr.decode()

    def test_bar_redraws_one_line(self):
        err = self.run_progress("bar")
        self.assertIn("\rpredict: 10 of 50 rows (20%), 0 failed", err)
        self.assertIn("ETA", err)
        self.assertIn("predict: done: 50 rows ok, 0 rows failed", err)

    def test_lines_when_not_a_terminal(self):
        err = self.run_progress("auto")  # stderr is a pipe here
        self.assertNotIn("\r", err)
        self.assertIn("predict: 10 of 50 rows (20%), 0 failed", err)
        self.assertEqual(len([ln for ln in err.splitlines() if " of 50 rows " in ln]), 1)  # then one every 2 s


class BadRowsTest(unittest.TestCase):
    """Bad rows go to the errors file with their numbers; the run goes on; exit code 3."""

    def test_csv_bad_rows_are_listed_and_skipped(self):
        with open(path("bad.csv"), "w") as f:
            f.write("a,b,c,d\n"
                    "1,2,3,4\n"
                    "1,2,x,4\n"        # row 1: not a number
                    "1,2,3\n"          # row 2: wrong width
                    "\n"               # blank: not a row
                    "5,6,7,8\n"        # row 3
                    "nan,1,1,1\n"      # row 4: NaN, rejected
                    "\"9\",1,1,1\n")   # row 5: quoted number
        rc, err = predict("--model-file", model("affine"), "-i", path("bad.csv"), "-o", path("bad_out.csv"),
                          "--reject-nonfinite", "--batch-size", "2")
        self.assertEqual(rc, 3, err)
        self.assertIn("3 rows ok, 3 rows failed", err)
        errors = read_jsonl(path("bad_out.csv.errors.jsonl"))
        self.assertEqual([(e["row"], e["line"]) for e in errors], [(1, 3), (2, 4), (4, 7)])
        self.assertIn("column 'c'", errors[0]["reason"])
        self.assertIn("3 fields", errors[1]["reason"])
        self.assertIn("nan", errors[2]["reason"])
        with open(path("bad_out.csv")) as f:
            lines = f.read().splitlines()
        self.assertEqual([line.split(",")[0] for line in lines[1:]], ["0", "3", "5"])

    def test_jsonl_bad_rows(self):
        with open(path("bad.jsonl"), "w") as f:
            f.write('{"x":[1,2,3,4]}\n{"x":[1,2\n{"x":[1,2,3]}\n{"x":["a",2,3,4]}\n"hello"\n[4,3,2,1]\n')
        rc, err = predict("--model-file", model("affine"), "-i", path("bad.jsonl"), "-o", path("bad_out.jsonl"),
                          "--errors", path("bad_errors.jsonl"))
        self.assertEqual(rc, 3, err)
        errors = read_jsonl(path("bad_errors.jsonl"))
        self.assertEqual([e["row"] for e in errors], [1, 2, 3, 4])
        self.assertEqual(errors[0]["reason"], "not valid JSON")
        self.assertIn("3 values", errors[1]["reason"])
        self.assertEqual([o["row"] for o in read_jsonl(path("bad_out.jsonl"))], [0, 5])

    def test_npy_nonfinite_rows_rejected_only_when_asked(self):
        x = np.ones((6, 4), dtype=np.float32)
        x[2, 1] = np.nan
        x[4, 3] = np.inf
        np.save(path("nf.npy"), x)
        rc, err = predict("--model-file", model("affine"), "-i", path("nf.npy"), "-o", path("nf_out.npy"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(np.load(path("nf_out.npy")).shape, (6, 4))
        rc, err = predict("--model-file", model("affine"), "-i", path("nf.npy"), "-o", path("nf_out.npy"),
                          "--reject-nonfinite")
        self.assertEqual(rc, 3, err)
        self.assertEqual([e["row"] for e in read_jsonl(path("nf_out.npy.errors.jsonl"))], [2, 4])
        np.testing.assert_array_equal(np.load(path("nf_out.npy")), np.full((4, 4), 3, dtype=np.float32))

    def test_rows_the_model_fails_on_are_isolated(self):
        x = np.array([[0, 1], [2, 3], [4, 99], [1, 1], [-1, 0]], dtype=np.int64)
        np.save(path("g.npy"), x)
        rc, err = predict("--model-file", model("guard"), "-i", path("g.npy"), "-o", path("g_out.jsonl"),
                          "--batch-size", "8")
        self.assertEqual(rc, 3, err)
        errors = read_jsonl(path("g_out.jsonl.errors.jsonl"))
        self.assertEqual([e["row"] for e in errors], [2])
        self.assertTrue(errors[0]["reason"].startswith("model: "), errors[0])
        out = read_jsonl(path("g_out.jsonl"))
        self.assertEqual([o["row"] for o in out], [0, 1, 3, 4])
        table = np.arange(15, dtype=np.float32).reshape(5, 3)
        self.assertEqual(out[1]["y"], table[[2, 3]].reshape(-1).tolist())

    def test_values_that_do_not_fit_an_integer_input(self):
        with open(path("int.csv"), "w") as f:
            f.write("a,b\n1,2\n1.5,2\n1e30,0\n")
        rc, err = predict("--model-file", model("guard"), "-i", path("int.csv"), "-o", path("int_out.csv"))
        self.assertEqual(rc, 3, err)
        errors = read_jsonl(path("int_out.csv.errors.jsonl"))
        self.assertEqual([e["row"] for e in errors], [1, 2])
        self.assertIn("does not fit INT64", errors[0]["reason"])


class ResumeTest(unittest.TestCase):
    """SIGKILL mid-run, then --resume: the output equals an uninterrupted run's, byte for byte."""

    ROWS = 24000

    CSV_ROWS = 3000

    def npy_input(self):
        x = np.random.default_rng(5).standard_normal((self.ROWS, 784)).astype(np.float32)
        np.save(path("r.npy"), x)
        return path("r.npy")

    def csv_input(self):
        x = np.random.default_rng(5).standard_normal((self.CSV_ROWS, 784)).astype(np.float32)
        bad = 0
        with open(path("r.csv"), "w") as f:
            f.write(",".join(f"p{i}" for i in range(784)) + "\n")
            line = ",".join(["%.4g"] * 784) + "\n"
            for i, row in enumerate(x.tolist()):
                if i % 997 == 13:
                    f.write("oops\n")  # bad rows too, so the errors file is resumed as well
                    bad += 1
                f.write(line % tuple(row))
        return path("r.csv"), self.CSV_ROWS + bad

    def kill_mid_run(self, args, out, total_rows):
        progress = out + ".progress"
        p = subprocess.Popen([INFERD, "predict", "--progress", "none", *args], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        rows = 0
        while time.monotonic() < deadline and p.poll() is None:
            try:
                rows = read_progress(progress)["rows_read"]
            except (OSError, ValueError):
                rows = 0
            if rows > 0:  # a batch is committed; later ones are probably written but not yet committed
                break
            time.sleep(0.002)
        p.send_signal(signal.SIGKILL)
        p.wait()
        self.assertEqual(p.returncode, -signal.SIGKILL, "the run ended before it could be killed")
        state = read_progress(progress)
        self.assertGreater(state["rows_read"], 0)
        self.assertLess(state["rows_read"], total_rows)
        return state

    def check_resume(self, src, out, total_rows, extra=()):
        clean = out + ".clean" + os.path.splitext(out)[1]
        args = ["--model-file", model("mlp"), "-i", src, "--batch-size", "64", *extra]
        rc, err = predict(*args, "-o", clean)
        self.assertIn(rc, (0, 3), err)
        state = self.kill_mid_run([*args, "-o", out], out, total_rows)
        # The kill may land mid-batch: bytes past the committed length are cut on resume.
        rc2, err2 = predict(*args, "-o", out, "--resume")
        self.assertEqual(rc2, rc, err2)
        self.assertIn("resuming after row %d" % state["rows_read"], err2)
        with open(clean, "rb") as a, open(out, "rb") as b:
            self.assertEqual(a.read(), b.read(), "resumed output differs from a clean run's")
        if os.path.exists(clean + ".errors.jsonl"):
            with open(clean + ".errors.jsonl", "rb") as a, open(out + ".errors.jsonl", "rb") as b:
                self.assertEqual(a.read(), b.read())
        self.assertFalse(os.path.exists(out + ".progress"))

    def test_npy_to_npy(self):
        self.check_resume(self.npy_input(), path("r_out.npy"), self.ROWS)

    def test_csv_to_csv_with_bad_rows(self):
        src, rows = self.csv_input()
        self.check_resume(src, path("rc_out.csv"), rows)

    def test_resume_refuses_other_options(self):
        args = ["--model-file", model("mlp"), "-i", self.npy_input(), "--batch-size", "64", "-o", path("ro.npy")]
        self.kill_mid_run(args, path("ro.npy"), self.ROWS)
        rc, err = predict(*args[:-4], "--batch-size", "32", "-o", path("ro.npy"), "--resume")
        self.assertEqual(rc, 1)
        self.assertIn("cannot resume", err)


class MemoryTest(unittest.TestCase):
    """Peak RSS follows the batch size, not the input's size."""

    def peak_rss_mb(self, src, out):
        p = subprocess.Popen([INFERD, "predict", "--progress", "none", "--model-file", model("project"), "-i", src,
                              "-o", out, "--batch-size", "256"], stderr=subprocess.PIPE, text=True)
        err = p.stderr.read()
        p.stderr.close()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, for its rusage
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, err)
        self.assertIn("peak RSS", err)
        return usage.ru_maxrss / 1024

    def test_rss_does_not_grow_with_the_input(self):
        rng = np.random.default_rng(2)
        small = rng.standard_normal((4096, 256)).astype(np.float32)  # 4 MB
        np.save(path("small.npy"), small)
        big = path("big.npy")
        rows = 160 * 1024  # 160 MB
        arr = np.lib.format.open_memmap(big, mode="w+", dtype=np.float32, shape=(rows, 256))
        for i in range(0, rows, 16384):
            arr[i:i + 16384] = small[(i // 16384) % 4096]
        arr.flush()
        del arr
        small_mb = self.peak_rss_mb(path("small.npy"), path("small_out.npy"))
        big_mb = self.peak_rss_mb(big, path("big_out.npy"))
        self.assertEqual(np.load(path("big_out.npy"), mmap_mode="r").shape, (rows, 4))
        os.remove(big)
        os.remove(path("big_out.npy"))
        # 160 MB of input must not show up: allow 24 MB of noise (allocator, page cache of the output).
        self.assertLess(big_mb - small_mb, 24, f"peak RSS {small_mb:.0f} MB on 4 MB, {big_mb:.0f} MB on 160 MB")


class RegistryTest(unittest.TestCase):
    """--model NAME@ALIAS resolves in the local registry."""

    def test_alias(self):
        reg = path("registry")
        push = subprocess.run([INFERD, "model", "--registry", reg, "push", "affine", model("affine"), "--alias",
                               "prod"], capture_output=True, text=True)
        if push.returncode != 0:
            push = subprocess.run([INFERD, "model", "push", "--registry", reg, "affine", model("affine"), "--alias",
                                   "prod"], capture_output=True, text=True)
        self.assertEqual(push.returncode, 0, push.stderr)
        np.save(path("reg.npy"), np.ones((3, 4), dtype=np.float32))
        rc, err = predict("--model", "affine@prod", "--registry", reg, "-i", path("reg.npy"), "-o",
                          path("reg_out.npy"))
        self.assertEqual(rc, 0, err)
        self.assertIn("affine:1", err)
        np.testing.assert_array_equal(np.load(path("reg_out.npy")), np.full((3, 4), 3, dtype=np.float32))
        rc, err = predict("--model", "nosuch", "--registry", reg, "-i", path("reg.npy"), "-o", path("reg2.npy"))
        self.assertEqual(rc, 1)
        self.assertIn("nosuch", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
