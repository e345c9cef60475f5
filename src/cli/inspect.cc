// `inferd inspect MODEL [--json]`: what a model takes, gives and contains.
//
// Works from the imported graph, not a compiled model, so models with
// operators the engine cannot run yet can still be inspected.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/verbs.h"
#include "engine/onnx/loader.h"

namespace inferd::cli {
namespace {

struct InspectArgs {
  std::string model;
  bool json = false;
};

struct ModelSummary {
  uint64_t file_bytes = 0;
  std::map<std::string, int64_t> ops;  // "Conv" or "com.microsoft.Attention" -> count
  int64_t nodes = 0;
  int64_t parameters = 0;  // elements in initializers (Constant nodes included: the loader folds them)
  uint64_t initializer_bytes = 0;
  int64_t initializers = 0;
};

uint64_t TensorBytes(const Tensor& t) {
  if (t.dtype() != DType::kString) return t.nbytes();
  uint64_t n = 0;
  for (int64_t i = 0; i < t.numel(); ++i) n += t.data<std::string>()[i].size();
  return n;
}

// Counts nodes and initializers, subgraphs (If/Loop/Scan bodies) included.
void Summarize(const Graph& g, ModelSummary* s) {
  for (const auto& [name, t] : g.initializers) {
    s->parameters += t.numel();
    s->initializer_bytes += TensorBytes(t);
    ++s->initializers;
  }
  for (const Node& n : g.nodes) {
    ++s->nodes;
    ++s->ops[n.domain.empty() ? n.op_type : n.domain + "." + n.op_type];
    for (const auto& [_, a] : n.attributes) {
      if (a.g) Summarize(*a.g, s);
      for (const auto& sub : a.graphs)
        if (sub) Summarize(*sub, s);
    }
  }
}

std::vector<std::pair<std::string, int64_t>> OpsByCount(const ModelSummary& s) {
  std::vector<std::pair<std::string, int64_t>> ops(s.ops.begin(), s.ops.end());
  std::stable_sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return ops;
}

std::string OpsetName(const std::string& domain) { return domain.empty() ? "ai.onnx" : domain; }

std::string HumanBytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string Grouped(int64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

nlohmann::ordered_json ValueJson(const ValueInfo& v) {
  nlohmann::ordered_json j;
  j["name"] = v.name;
  j["dtype"] = v.dtype == DType::kUndefined ? nullptr : nlohmann::ordered_json(DTypeName(v.dtype));
  if (!v.dims) {
    j["shape"] = nullptr;  // rank unknown
  } else {
    auto shape = nlohmann::ordered_json::array();
    for (const Dim& d : *v.dims) {
      if (d.fixed())
        shape.push_back(d.value);
      else
        shape.push_back(d.symbol.empty() ? "?" : d.symbol);
    }
    j["shape"] = std::move(shape);
  }
  return j;
}

void PrintJson(const InspectArgs& args, const LoadedGraph& m, const ModelSummary& s) {
  nlohmann::ordered_json j;
  j["model"] = args.model;
  j["file_bytes"] = s.file_bytes;
  j["ir_version"] = m.info.ir_version;
  j["producer"] = {{"name", m.info.producer_name}, {"version", m.info.producer_version}};
  auto opsets = nlohmann::ordered_json::object();
  for (const auto& [domain, version] : m.graph.opsets) opsets[OpsetName(domain)] = version;
  j["opsets"] = std::move(opsets);
  auto inputs = nlohmann::ordered_json::array();
  for (const auto& v : m.graph.inputs) inputs.push_back(ValueJson(v));
  j["inputs"] = std::move(inputs);
  auto outputs = nlohmann::ordered_json::array();
  for (const auto& v : m.graph.outputs) outputs.push_back(ValueJson(v));
  j["outputs"] = std::move(outputs);
  j["nodes"] = s.nodes;
  auto ops = nlohmann::ordered_json::object();
  for (const auto& [op, count] : OpsByCount(s)) ops[op] = count;
  j["ops"] = std::move(ops);
  j["parameters"] = s.parameters;
  j["initializers"] = s.initializers;
  j["initializer_bytes"] = s.initializer_bytes;
  // Names in hostile files need not be UTF-8: replace rather than throw.
  std::cout << j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

std::string ValueLine(const ValueInfo& v) {
  return v.name + "  " + std::string(v.dtype == DType::kUndefined ? "?" : DTypeName(v.dtype)) + " " + v.ShapeString();
}

void PrintText(const InspectArgs& args, const LoadedGraph& m, const ModelSummary& s) {
  std::cout << "model         " << args.model << " (" << HumanBytes(s.file_bytes) << ")\n";
  std::cout << "ir_version    " << m.info.ir_version << "\n";
  std::string producer = m.info.producer_name.empty() ? "(none)" : m.info.producer_name;
  if (!m.info.producer_version.empty()) producer += " " + m.info.producer_version;
  std::cout << "producer      " << producer << "\n";
  std::cout << "opsets       ";
  for (const auto& [domain, version] : m.graph.opsets) std::cout << " " << OpsetName(domain) << " " << version;
  std::cout << "\n";
  std::cout << "inputs        " << m.graph.inputs.size() << "\n";
  for (const auto& v : m.graph.inputs) std::cout << "  " << ValueLine(v) << "\n";
  std::cout << "outputs       " << m.graph.outputs.size() << "\n";
  for (const auto& v : m.graph.outputs) std::cout << "  " << ValueLine(v) << "\n";
  std::cout << "parameters    " << Grouped(s.parameters) << " in " << s.initializers << " initializers ("
            << HumanBytes(s.initializer_bytes) << ")\n";
  std::cout << "nodes         " << s.nodes << "\n";
  size_t width = 0;
  for (const auto& [op, _] : s.ops) width = std::max(width, op.size());
  for (const auto& [op, count] : OpsByCount(s))
    std::cout << "  " << op << std::string(width - op.size() + 2, ' ') << count << "\n";
}

int Inspect(const InspectArgs& args) {
  auto loaded = LoadOnnxFile(args.model);
  if (!loaded.ok()) return ReportError(loaded.status());
  ModelSummary s;
  std::error_code ec;
  s.file_bytes = std::filesystem::file_size(args.model, ec);
  Summarize(loaded->graph, &s);
  if (args.json)
    PrintJson(args, *loaded, s);
  else
    PrintText(args, *loaded, s);
  return kExitOk;
}

}  // namespace

Verb AddInspectVerb(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show a model's inputs, outputs, opsets, operators and size");
  cmd->add_option("MODEL", args->model, "The .onnx file")->required();
  cmd->add_flag("--json", args->json, "Print JSON instead of text");
  return {cmd, [args] { return Inspect(*args); }};
}

}  // namespace inferd::cli
