#include "registry/model_facts.h"

#include "engine/onnx/loader.h"
#include "engine/runtime/model.h"

namespace inferd::registry {
namespace {

nlohmann::json DescribeValue(const ValueInfo& v) {
  nlohmann::json shape = nullptr;
  if (v.dims) {
    shape = nlohmann::json::array();
    for (const Dim& d : *v.dims) {
      if (d.fixed())
        shape.push_back(d.value);
      else if (!d.symbol.empty())
        shape.push_back(d.symbol);
      else
        shape.push_back(nullptr);
    }
  }
  return {{"name", v.name}, {"dtype", std::string(DTypeName(v.dtype))}, {"shape", shape}};
}

void CountOps(const Graph& g, std::map<std::string, int64_t>& ops) {
  for (const Node& n : g.nodes) {
    ops[n.domain.empty() || n.domain == "ai.onnx" ? n.op_type : n.domain + "." + n.op_type]++;
    for (const auto& [key, attr] : n.attributes) {
      if (attr.g) CountOps(*attr.g, ops);
      for (const auto& sub : attr.graphs)
        if (sub) CountOps(*sub, ops);
    }
  }
}

Status Rename(const Status& s, const std::string& path, const std::string& display, const std::string& prefix) {
  std::string msg = s.message();
  if (!display.empty())
    for (size_t at = msg.find(path); at != std::string::npos; at = msg.find(path, at + display.size()))
      msg.replace(at, path.size(), display);
  if (msg.find(prefix) == std::string::npos) msg = prefix + ": " + msg;
  return InvalidArgument(msg);
}

}  // namespace

Result<ModelFacts> InspectModel(const std::string& path, const std::string& display_name) {
  auto loaded = LoadOnnxFile(path);
  if (!loaded.ok()) return Rename(loaded.status(), path, display_name, "not a valid ONNX model");
  ModelFacts facts;
  const Graph& g = loaded->graph;
  if (g.outputs.empty())
    return InvalidArgument("not a valid ONNX model: it declares no graph outputs (an empty or truncated file?)");
  nlohmann::json inputs = nlohmann::json::array(), outputs = nlohmann::json::array();
  for (const ValueInfo& v : g.inputs) inputs.push_back(DescribeValue(v));
  for (const ValueInfo& v : g.outputs) outputs.push_back(DescribeValue(v));
  facts.signature = {{"inputs", inputs}, {"outputs", outputs}};
  CountOps(g, facts.ops);
  facts.opsets = g.opsets;
  facts.opset = g.OpsetFor("");
  facts.ir_version = loaded->info.ir_version;
  facts.producer = loaded->info.producer_name;
  if (!loaded->info.producer_version.empty()) facts.producer += " " + loaded->info.producer_version;
  ModelOptions options;
  options.num_threads = 1;
  auto compiled = CompiledModel::Compile(std::move(loaded->graph), std::move(loaded->info), options);
  if (!compiled.ok()) return Rename(compiled.status(), path, display_name, "the engine cannot run this model");
  return facts;
}

}  // namespace inferd::registry
