// Test helper for kernel unit tests: runs one ONNX node through the real
// compile-and-run path with only the reference kernels. Two spellings:
//   RunOp("Reshape", 13, {In(x), Const(shape)}, {{"allowzero", IntAttr(1)}});
//   RunOp("Clip", {x, Tensor(), max}, {{"foo", AttrInt(1)}}, 13);  // Tensor() = omitted input
// Only included by *_test.cc files.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/ir/attribute_builders.h"
#include "engine/runtime/model.h"

namespace inferd::testing {

using attrs::IntAttr;
using attrs::FloatAttr;
using attrs::StringAttr;
using attrs::IntsAttr;
using attrs::FloatsAttr;
using attrs::TensorAttr;

// One input of the node: a runtime value, an initializer, or omitted.
struct OpInput {
  Tensor value;
  bool constant = false;
  bool omitted = false;
};
inline OpInput In(Tensor t) { return {std::move(t), false, false}; }
inline OpInput Const(Tensor t) { return {std::move(t), true, false}; }
inline OpInput Omitted() { return {Tensor(), false, true}; }

// Runs `op` at `opset` on `inputs`, returning its `num_outputs` outputs.
// Load-time errors (factory) and run-time errors both come back as a status.
inline Result<std::vector<Tensor>> RunOp(const std::string& op, int64_t opset, std::vector<OpInput> inputs,
                                         std::map<std::string, Attribute> attrs = {}, int num_outputs = 1) {
  Graph g;
  g.opsets[""] = opset;
  Node n;
  n.op_type = op;
  n.name = "n0";
  n.attributes = std::move(attrs);
  std::vector<Tensor> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].omitted) {
      n.inputs.push_back("");
      continue;
    }
    const std::string name = "x" + std::to_string(i);
    n.inputs.push_back(name);
    if (inputs[i].constant) {
      g.initializers[name] = inputs[i].value;
    } else {
      g.inputs.push_back({name, inputs[i].value.dtype(), std::nullopt});
      feeds.push_back(inputs[i].value);
    }
  }
  for (int i = 0; i < num_outputs; ++i) {
    const std::string name = "y" + std::to_string(i);
    n.outputs.push_back(name);
    g.outputs.push_back({name, DType::kUndefined, std::nullopt});
  }
  g.nodes.push_back(n);
  ModelOptions options;
  options.optimize = false;
  options.providers = {"ref"};
  auto model = CompiledModel::Compile(std::move(g), {}, options);
  if (!model.ok()) return model.status();
  return (*model)->Run(feeds);
}

// All inputs fed at run time; an undefined Tensor() is an omitted input.
inline Result<std::vector<Tensor>> RunOp(const std::string& op, const std::vector<Tensor>& inputs,
                                         const std::map<std::string, Attribute>& attributes = {}, int64_t opset = 17,
                                         int num_outputs = 1) {
  std::vector<OpInput> wrapped;
  for (const Tensor& t : inputs) wrapped.push_back(t.defined() ? In(t) : Omitted());
  return RunOp(op, opset, std::move(wrapped), attributes, num_outputs);
}

inline Attribute AttrInt(int64_t v) { return IntAttr(v); }
inline Attribute AttrFloat(float v) { return FloatAttr(v); }
inline Attribute AttrString(std::string v) { return StringAttr(std::move(v)); }

// Output values as doubles, for compact EXPECT_EQ against a list.
inline std::vector<double> Values(const Tensor& t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.push_back(t.GetAsDouble(i));
  return v;
}

inline bool Contains(const Status& s, const std::string& text) { return s.message().find(text) != std::string::npos; }

}  // namespace inferd::testing
