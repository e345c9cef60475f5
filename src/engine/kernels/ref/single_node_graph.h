// Test helper: builds and runs a one-node ONNX graph, so kernel tests read as
// "op(inputs, attributes) -> outputs" without protobuf files. Test-only; not
// linked into the engine (header-only, included by *_test.cc files).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/ir/attribute_builders.h"
#include "engine/runtime/model.h"

namespace inferd::kernel_testing {

using attrs::IntAttr;
using attrs::IntsAttr;
using attrs::FloatAttr;
using attrs::StringAttr;

// One node `op` at `opset`. Inputs are fed at run time (an empty Tensor in
// `inputs` means "omitted optional input"); `constants` become initializers
// at the given input positions. `num_outputs` outputs named y0, y1, ...
struct SingleNodeGraph {
  SingleNodeGraph(std::string op_type, int64_t opset_version, std::map<std::string, Attribute> attrs = {},
                  int outputs = 1)
      : op(std::move(op_type)), opset(opset_version), attributes(std::move(attrs)), num_outputs(outputs) {}

  std::string op;
  int64_t opset = 17;
  std::map<std::string, Attribute> attributes;
  int num_outputs = 1;
  std::map<int, Tensor> constants;  // input index -> initializer

  // Compiles and runs with `inputs`; returns the outputs or the first error
  // (from load or run).
  Result<std::vector<Tensor>> Run(const std::vector<Tensor>& inputs) const {
    Graph g;
    g.opsets[""] = opset;
    Node n;
    n.op_type = op;
    n.name = "n0";
    n.attributes = attributes;
    std::vector<Tensor> fed;
    const int count = static_cast<int>(
        std::max(inputs.size(), constants.empty() ? 0 : static_cast<size_t>(constants.rbegin()->first + 1)));
    for (int i = 0; i < count; ++i) {
      const std::string name = "x" + std::to_string(i);
      auto c = constants.find(i);
      if (c != constants.end()) {
        g.initializers[name] = c->second;
        n.inputs.push_back(name);
      } else if (i < static_cast<int>(inputs.size()) && inputs[static_cast<size_t>(i)].defined()) {
        g.inputs.push_back({name, inputs[static_cast<size_t>(i)].dtype(), std::nullopt});
        fed.push_back(inputs[static_cast<size_t>(i)]);
        n.inputs.push_back(name);
      } else {
        n.inputs.push_back("");
      }
    }
    for (int i = 0; i < num_outputs; ++i) {
      n.outputs.push_back("y" + std::to_string(i));
      g.outputs.push_back({"y" + std::to_string(i), DType::kUndefined, std::nullopt});
    }
    g.nodes.push_back(n);
    ModelOptions options;
    options.providers = {"ref"};
    options.optimize = false;
    ASSIGN_OR_RETURN(auto model, CompiledModel::Compile(std::move(g), {}, options));
    return model->Run(fed);
  }
};

// Element i of t as double.
inline double At(const Tensor& t, int64_t i) { return t.GetAsDouble(i); }

}  // namespace inferd::kernel_testing
