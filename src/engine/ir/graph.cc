#include "engine/ir/graph.h"

#include <functional>
#include <queue>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace inferd {

std::string ValueInfo::ShapeString() const {
  if (!dims) return "?";
  std::string s = "[";
  for (size_t i = 0; i < dims->size(); ++i) {
    if (i) s += ",";
    const Dim& d = (*dims)[i];
    if (d.fixed()) {
      s += std::to_string(d.value);
    } else {
      s += d.symbol.empty() ? "-1" : d.symbol;
    }
  }
  return s + "]";
}

std::string Node::Describe() const {
  std::string s = domain.empty() ? op_type : domain + "." + op_type;
  return s + " (node '" + (name.empty() ? (outputs.empty() ? std::string("?") : outputs[0]) : name) + "')";
}

int64_t Graph::OpsetFor(const std::string& domain) const {
  auto it = opsets.find(domain);
  if (it != opsets.end()) return it->second;
  if (domain == "ai.onnx") {
    it = opsets.find("");
    if (it != opsets.end()) return it->second;
  }
  return 0;
}

namespace {
// Names a subgraph reads from its enclosing scope (for If/Loop/Scan bodies).
void CollectOuterReads(const Graph& g, std::unordered_set<std::string>* reads) {
  std::unordered_set<std::string> local;
  for (const auto& v : g.inputs) local.insert(v.name);
  for (const auto& [name, _] : g.initializers) local.insert(name);
  for (const auto& n : g.nodes)
    for (const auto& o : n.outputs) local.insert(o);
  for (const auto& n : g.nodes) {
    for (const auto& i : n.inputs)
      if (!i.empty() && !local.count(i)) reads->insert(i);
    for (const auto& [_, a] : n.attributes) {
      std::unordered_set<std::string> inner;
      if (a.g) CollectOuterReads(*a.g, &inner);
      for (const auto& sg : a.graphs)
        if (sg) CollectOuterReads(*sg, &inner);
      for (const auto& r : inner)
        if (!local.count(r)) reads->insert(r);
    }
  }
}

std::vector<std::string> NodeReads(const Node& n) {
  std::vector<std::string> reads;
  for (const auto& i : n.inputs)
    if (!i.empty()) reads.push_back(i);
  std::unordered_set<std::string> outer;
  for (const auto& [_, a] : n.attributes) {
    if (a.g) CollectOuterReads(*a.g, &outer);
    for (const auto& sg : a.graphs)
      if (sg) CollectOuterReads(*sg, &outer);
  }
  reads.insert(reads.end(), outer.begin(), outer.end());
  return reads;
}
}  // namespace

Status Graph::TopologicalSort() {
  std::unordered_map<std::string, size_t> producer;
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const auto& o : nodes[i].outputs) {
      if (o.empty()) continue;
      if (!producer.emplace(o, i).second)
        return InvalidArgument("value '" + o + "' is produced by two nodes: " +
                               nodes[producer[o]].Describe() + " and " + nodes[i].Describe());
    }
  std::unordered_set<std::string> available;
  for (const auto& v : inputs) available.insert(v.name);
  for (const auto& [name, _] : initializers) available.insert(name);

  std::vector<std::vector<size_t>> consumers(nodes.size());
  std::vector<int> pending(nodes.size(), 0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::set<size_t> deps;
    for (const auto& in : NodeReads(nodes[i])) {
      auto it = producer.find(in);
      if (it != producer.end()) {
        if (it->second == i) return InvalidArgument(nodes[i].Describe() + " reads its own output '" + in + "' (cycle)");
        deps.insert(it->second);
      } else if (!available.count(in)) {
        // May be an outer-scope value when this graph is a subgraph; the
        // caller's Validate decides. Treat as available here.
      }
    }
    pending[i] = static_cast<int>(deps.size());
    for (size_t d : deps) consumers[d].push_back(i);
  }
  // Kahn's algorithm, stable: keeps the file order where it is already valid.
  std::vector<size_t> order;
  order.reserve(nodes.size());
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;  // smallest index first
  for (size_t i = 0; i < nodes.size(); ++i)
    if (pending[i] == 0) ready.push(i);
  while (!ready.empty()) {
    const size_t n = ready.top();
    ready.pop();
    order.push_back(n);
    for (size_t c : consumers[n])
      if (--pending[c] == 0) ready.push(c);
  }
  if (order.size() != nodes.size()) {
    for (size_t i = 0; i < nodes.size(); ++i)
      if (pending[i] > 0) return InvalidArgument("graph has a cycle through " + nodes[i].Describe());
  }
  std::vector<Node> sorted;
  sorted.reserve(nodes.size());
  for (size_t i : order) sorted.push_back(std::move(nodes[i]));
  nodes = std::move(sorted);
  return Status::Ok();
}

Status Graph::Validate() const {
  std::unordered_set<std::string> defined;
  for (const auto& v : inputs) {
    if (v.name.empty()) return InvalidArgument("graph input with an empty name");
    defined.insert(v.name);
  }
  for (const auto& [name, _] : initializers) defined.insert(name);
  for (const auto& n : nodes) {
    for (const auto& in : n.inputs) {
      if (in.empty()) continue;
      if (!defined.count(in))
        return InvalidArgument(n.Describe() + ": input '" + in +
                               "' is not a graph input, an initializer, or the output of an earlier node");
    }
    for (const auto& o : n.outputs) {
      if (o.empty()) continue;
      if (!defined.insert(o).second)
        return InvalidArgument(n.Describe() + ": output '" + o +
                               "' reuses the name of a graph input, an initializer or an earlier output");
    }
  }
  for (const auto& o : outputs)
    if (!defined.count(o.name)) return InvalidArgument("graph output '" + o.name + "' is never produced");
  return Status::Ok();
}

}  // namespace inferd
