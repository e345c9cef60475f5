#!/usr/bin/python3
"""Writes the ONNX models the predict tests and benchmark use.

  make_models.py OUT_DIR

affine.onnx  x FP32 [batch,4] -> y = x * 2 + 1 (exact in float, so outputs can
             be compared with numpy bit for bit)
project.onnx x FP32 [batch,256] -> y = x @ W [batch,4] (the memory test's model)
guard.onnx   x INT64 [batch,2] -> y = Gather(table, x) [batch,2,3]; an index past
             the table makes the model fail on that row only
mlp.onnx     input FP32 [batch,784] -> logits FP32 [batch,10] (784-512-256-10,
             ReLU; random weights, seeded): the benchmark's and resume test's model
Uses only python3-onnx and numpy (Debian packages), never inferd itself.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _serving_models():
    """tests/serving/make_models.py, loaded under its own name (this file has the same one)."""
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "serving", "make_models.py")
    spec = importlib.util.spec_from_file_location("serving_make_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The MLP is the serving tests' model, written by the same code.
mlp_model = _serving_models().mlp_model


def save(graph, path, opset=13):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="inferd-batch-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def affine_model():
    two = numpy_helper.from_array(np.array([2.0], dtype=np.float32), "two")
    one = numpy_helper.from_array(np.array([1.0], dtype=np.float32), "one")
    return helper.make_graph(
        [helper.make_node("Mul", ["x", "two"], ["t"]), helper.make_node("Add", ["t", "one"], ["y"])], "affine",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])], [two, one])


def project_model():
    w = numpy_helper.from_array(np.random.default_rng(3).standard_normal([256, 4]).astype(np.float32), "w")
    return helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "project",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 256])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])], [w])


def guard_model():
    table = numpy_helper.from_array(np.arange(15, dtype=np.float32).reshape(5, 3), "table")
    return helper.make_graph(
        [helper.make_node("Gather", ["table", "x"], ["y"], axis=0)], "guard",
        [helper.make_tensor_value_info("x", TensorProto.INT64, ["batch", 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 2, 3])], [table])


def main(out):
    os.makedirs(out, exist_ok=True)
    save(affine_model(), os.path.join(out, "affine.onnx"))
    save(project_model(), os.path.join(out, "project.onnx"))
    save(guard_model(), os.path.join(out, "guard.onnx"))
    save(mlp_model(), os.path.join(out, "mlp.onnx"))


if __name__ == "__main__":
    main(sys.argv[1])
