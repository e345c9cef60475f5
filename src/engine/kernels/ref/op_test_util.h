// Test helper for kernel unit tests: runs one ONNX node on given tensors
// through the real compile-and-run path, with only the reference kernels.
//
//   auto out = RunOp("Clip", {x, Tensor(), max}, {{"foo", AttrInt(1)}}, 13);
//
// An undefined Tensor() in `inputs` is an omitted optional input. Not for
// production code: header-only, included by *_test.cc files.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/runtime/model.h"

namespace inferd::testing {

inline Attribute AttrInt(int64_t v) {
  Attribute a;
  a.type = Attribute::Type::kInt;
  a.i = v;
  return a;
}
inline Attribute AttrFloat(float v) {
  Attribute a;
  a.type = Attribute::Type::kFloat;
  a.f = v;
  return a;
}
inline Attribute AttrString(std::string v) {
  Attribute a;
  a.type = Attribute::Type::kString;
  a.s = std::move(v);
  return a;
}

// Runs `op` (ai.onnx domain at `opset`) on `inputs`, producing `num_outputs`
// outputs. Errors from compiling (the kernel factory) or running come back as
// the status.
inline Result<std::vector<Tensor>> RunOp(const std::string& op, const std::vector<Tensor>& inputs,
                                         const std::map<std::string, Attribute>& attributes = {}, int64_t opset = 17,
                                         int num_outputs = 1) {
  Graph g;
  g.opsets[""] = opset;
  Node n;
  n.op_type = op;
  n.name = "n0";
  n.attributes = attributes;
  std::vector<Tensor> fed;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) {
      n.inputs.push_back("");
      continue;
    }
    const std::string name = "x" + std::to_string(i);
    g.inputs.push_back({name, inputs[i].dtype(), std::nullopt});
    n.inputs.push_back(name);
    fed.push_back(inputs[i]);
  }
  for (int i = 0; i < num_outputs; ++i) {
    const std::string name = "y" + std::to_string(i);
    g.outputs.push_back({name, DType::kUndefined, std::nullopt});
    n.outputs.push_back(name);
  }
  g.nodes.push_back(n);
  ModelOptions options;
  options.providers = {"ref"};
  options.optimize = false;
  ASSIGN_OR_RETURN(auto model, CompiledModel::Compile(std::move(g), {}, options));
  return model->Run(fed);
}

// All elements as doubles, for compact expectations.
inline std::vector<double> Values(const Tensor& t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.push_back(t.GetAsDouble(i));
  return v;
}

}  // namespace inferd::testing
