// Test helper: builds and runs a graph of one node with the reference
// kernels, so kernel tests read as "op, attributes, inputs -> outputs".
//   auto out = OneOpGraph("Conv").Attr("pads", {1, 1, 1, 1}).Run({x, w});
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/runtime/model.h"

namespace inferd::testing {

class OneOpGraph {
 public:
  explicit OneOpGraph(std::string op, int64_t opset = 17) : opset_(opset) {
    node_.op_type = std::move(op);
    node_.name = "n0";
  }
  OneOpGraph& Attr(const std::string& k, int64_t v) {
    return Set(k, Attribute::Type::kInt, [&](Attribute& a) { a.i = v; });
  }
  OneOpGraph& Attr(const std::string& k, int v) { return Attr(k, static_cast<int64_t>(v)); }
  OneOpGraph& Attr(const std::string& k, float v) {
    return Set(k, Attribute::Type::kFloat, [&](Attribute& a) { a.f = v; });
  }
  OneOpGraph& Attr(const std::string& k, const char* v) {
    return Set(k, Attribute::Type::kString, [&](Attribute& a) { a.s = v; });
  }
  OneOpGraph& Attr(const std::string& k, std::vector<int64_t> v) {
    return Set(k, Attribute::Type::kInts, [&](Attribute& a) { a.ints = v; });
  }
  OneOpGraph& Attr(const std::string& k, std::vector<float> v) {
    return Set(k, Attribute::Type::kFloats, [&](Attribute& a) { a.floats = v; });
  }
  OneOpGraph& Attr(const std::string& k, std::vector<std::string> v) {
    return Set(k, Attribute::Type::kStrings, [&](Attribute& a) { a.strings = v; });
  }
  // Node inputs in order: runtime inputs (Run's arguments, in order), constants, or omitted.
  OneOpGraph& In() { return Named("in" + std::to_string(node_.inputs.size()), false); }
  OneOpGraph& Const(Tensor t) {
    Named("c" + std::to_string(node_.inputs.size()), true);
    consts_[node_.inputs.back()] = std::move(t);
    return *this;
  }
  OneOpGraph& Omit() {
    node_.inputs.push_back("");
    return *this;
  }
  OneOpGraph& Outputs(int n) {
    outputs_ = n;
    return *this;
  }

  Result<std::vector<Tensor>> Run(const std::vector<Tensor>& inputs, int threads = 1) const {
    Graph g;
    g.opsets[""] = opset_;
    Node n = node_;
    size_t next = 0;
    for (const std::string& name : n.inputs) {
      if (name.empty() || consts_.count(name)) continue;
      if (next >= inputs.size()) return InvalidArgument("test: too few inputs");
      g.inputs.push_back({name, inputs[next++].dtype(), std::nullopt});
    }
    for (const auto& [name, t] : consts_) g.initializers[name] = t;
    for (int i = 0; i < outputs_; ++i) {
      n.outputs.push_back("y" + std::to_string(i));
      g.outputs.push_back({n.outputs.back(), DType::kUndefined, std::nullopt});
    }
    g.nodes.push_back(n);
    ModelOptions options;
    options.providers = {"ref"};
    options.num_threads = threads;
    auto model = CompiledModel::Compile(std::move(g), {}, options);
    if (!model.ok()) return model.status();
    return (*model)->Run(inputs);
  }

 private:
  template <class F>
  OneOpGraph& Set(const std::string& k, Attribute::Type type, F fill) {
    Attribute a;
    a.type = type;
    fill(a);
    node_.attributes[k] = a;
    return *this;
  }
  OneOpGraph& Named(std::string name, bool) {
    node_.inputs.push_back(std::move(name));
    return *this;
  }

  int64_t opset_;
  Node node_;
  std::map<std::string, Tensor> consts_;
  int outputs_ = 1;
};

}  // namespace inferd::testing
