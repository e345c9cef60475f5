#!/usr/bin/python3
"""Writes the small ONNX models the serving tests push into a registry.

  make_models.py OUT_DIR

add.onnx       x FP32 [batch,4] -> y = x + OFFSET   (add_v{1..N}.onnx: OFFSET = N,
               so a response tells which version computed it)
multi.onnx     a FP32 [batch,3], b INT64 [batch,3] -> sum FP32 = a + b,
               positive BOOL = a > 0, a_half FP16 = a / 2
fixed.onnx     x FP32 [2,2] -> y = x * 2 (fixed shape: cannot batch)
text.onnx      s STRING [batch] -> s (Identity: exercises BYTES)
mlp.onnx       input FP32 [batch,784] -> logits FP32 [batch,10] (784-512-256-10,
               ReLU; random weights, seeded)
tiny.onnx      x FP32 [batch,16] -> y = relu(x) (the overhead benchmark's model)
Uses only python3-onnx and numpy (Debian packages), never inferd itself.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(graph, path, opset=13):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="inferd-serving-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def add_model(offset):
    c = numpy_helper.from_array(np.full([4], offset, dtype=np.float32), "offset")
    return helper.make_graph(
        [helper.make_node("Add", ["x", "offset"], ["y"], name="add")], "add",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])], [c])


def multi_model():
    zero = numpy_helper.from_array(np.zeros([1], dtype=np.float32), "zero")
    two = numpy_helper.from_array(np.array([2.0], dtype=np.float32), "two")
    nodes = [
        helper.make_node("Cast", ["b"], ["bf"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["a", "bf"], ["sum"]),
        helper.make_node("Greater", ["a", "zero"], ["positive"]),
        helper.make_node("Div", ["a", "two"], ["half32"]),
        helper.make_node("Cast", ["half32"], ["a_half"], to=TensorProto.FLOAT16),
    ]
    return helper.make_graph(
        nodes, "multi",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["batch", 3]),
         helper.make_tensor_value_info("b", TensorProto.INT64, ["batch", 3])],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["batch", 3]),
         helper.make_tensor_value_info("positive", TensorProto.BOOL, ["batch", 3]),
         helper.make_tensor_value_info("a_half", TensorProto.FLOAT16, ["batch", 3])], [zero, two])


def fixed_model():
    two = numpy_helper.from_array(np.array([2.0], dtype=np.float32), "two")
    return helper.make_graph(
        [helper.make_node("Mul", ["x", "two"], ["y"])], "fixed",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])], [two])


def text_model():
    return helper.make_graph(
        [helper.make_node("Identity", ["s"], ["out"])], "text",
        [helper.make_tensor_value_info("s", TensorProto.STRING, ["batch"])],
        [helper.make_tensor_value_info("out", TensorProto.STRING, ["batch"])])


def mlp_model():
    rng = np.random.default_rng(7)
    sizes = [784, 512, 256, 10]
    inits, nodes = [], []
    prev = "input"
    for i in range(3):
        w = (rng.standard_normal([sizes[i], sizes[i + 1]]) / np.sqrt(sizes[i])).astype(np.float32)
        b = (rng.standard_normal([sizes[i + 1]]) * 0.1).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        out = "logits" if i == 2 else f"h{i}"
        nodes.append(helper.make_node("Gemm", [prev, f"w{i}", f"b{i}"], [out if i == 2 else f"g{i}"]))
        if i < 2:
            nodes.append(helper.make_node("Relu", [f"g{i}"], [out]))
        prev = out
    return helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 784])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])], inits)


def tiny_model():
    return helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 16])])


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for n in range(1, 24):
        save(add_model(float(n)), os.path.join(out, f"add_v{n}.onnx"))
    save(add_model(1.0), os.path.join(out, "add.onnx"))
    save(multi_model(), os.path.join(out, "multi.onnx"))
    save(fixed_model(), os.path.join(out, "fixed.onnx"))
    save(text_model(), os.path.join(out, "text.onnx"))
    save(mlp_model(), os.path.join(out, "mlp.onnx"))
    save(tiny_model(), os.path.join(out, "tiny.onnx"))


if __name__ == "__main__":
    main()
