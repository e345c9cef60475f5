// The engine's own graph IR, independent of the ONNX protobuf types so that
// passes and kernels never include protobuf headers.
//
// A Graph owns its nodes, initializers and value infos. Values are named by
// strings (as in ONNX); an empty input name means an omitted optional input.
// Nodes are kept in topological order once Graph::TopologicalSort succeeds.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"

namespace inferd {

struct Graph;

struct Attribute {
  enum class Type { kUndefined, kFloat, kInt, kString, kTensor, kGraph, kFloats, kInts, kStrings, kTensors, kGraphs };
  Type type = Type::kUndefined;
  float f = 0;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::shared_ptr<Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<Tensor> tensors;
  std::vector<std::shared_ptr<Graph>> graphs;
};

// One dimension of a declared shape: a fixed value, or symbolic (value < 0,
// with the symbol's name when the model gave one).
struct Dim {
  int64_t value = -1;
  std::string symbol;
  bool fixed() const { return value >= 0; }
};

struct ValueInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  // Declared shape; nullopt when the model gives no shape (rank unknown).
  std::optional<std::vector<Dim>> dims;
  // "[batch,3,224,224]" style; "?" when rank unknown.
  std::string ShapeString() const;
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" is ai.onnx
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attributes;

  const Attribute* FindAttribute(const std::string& key) const {
    auto it = attributes.find(key);
    return it == attributes.end() ? nullptr : &it->second;
  }
  // "Conv (node 'conv1')" for error messages.
  std::string Describe() const;
};

struct Graph {
  std::string name;
  std::vector<Node> nodes;
  std::vector<ValueInfo> inputs;   // graph inputs, excluding initializers
  std::vector<ValueInfo> outputs;
  std::map<std::string, ValueInfo> value_infos;  // intermediate annotations
  std::map<std::string, Tensor> initializers;
  // Operator set version per domain ("" = ai.onnx). Subgraphs share the model's.
  std::map<std::string, int64_t> opsets;

  int64_t OpsetFor(const std::string& domain) const;
  // Orders nodes so every node comes after the producers of its inputs.
  // Fails naming a node on a cycle, or an input nobody produces.
  Status TopologicalSort();
  // Checks that every node input is a graph input, initializer or an earlier
  // node's output, and that no value is produced twice. Requires sorted nodes.
  Status Validate() const;
};

// Model-level facts kept for `inspect` and the registry.
struct ModelInfo {
  int64_t ir_version = 0;
  std::string producer_name;
  std::string producer_version;
  std::string domain;
  int64_t model_version = 0;
  std::string doc_string;
  std::map<std::string, std::string> metadata;
};

}  // namespace inferd
