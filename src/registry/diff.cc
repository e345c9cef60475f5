#include "registry/diff.h"

#include <cstdio>
#include <map>
#include <set>

namespace inferd::registry {
namespace {

// Signature entries keyed by tensor name.
std::map<std::string, nlohmann::json> ByName(const nlohmann::json& list) {
  std::map<std::string, nlohmann::json> out;
  if (list.is_array())
    for (const auto& item : list)
      if (item.contains("name")) out[item["name"].get<std::string>()] = item;
  return out;
}

nlohmann::json DiffTensors(const nlohmann::json& a, const nlohmann::json& b) {
  nlohmann::json out = nlohmann::json::object();
  const auto ma = ByName(a), mb = ByName(b);
  std::set<std::string> names;
  for (const auto& [k, v] : ma) names.insert(k);
  for (const auto& [k, v] : mb) names.insert(k);
  for (const auto& n : names) {
    auto ia = ma.find(n), ib = mb.find(n);
    const nlohmann::json va = ia == ma.end() ? nlohmann::json(nullptr) : ia->second;
    const nlohmann::json vb = ib == mb.end() ? nlohmann::json(nullptr) : ib->second;
    if (va != vb) out[n] = {{"a", va}, {"b", vb}};
  }
  return out;
}

template <class Map>
nlohmann::json DiffMaps(const Map& a, const Map& b, bool numeric_delta) {
  nlohmann::json out = nlohmann::json::object();
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  for (const auto& k : keys) {
    auto ia = a.find(k), ib = b.find(k);
    if (ia != a.end() && ib != b.end() && ia->second == ib->second) continue;
    nlohmann::json entry = {{"a", ia == a.end() ? nlohmann::json(nullptr) : nlohmann::json(ia->second)},
                            {"b", ib == b.end() ? nlohmann::json(nullptr) : nlohmann::json(ib->second)}};
    if constexpr (std::is_arithmetic_v<typename Map::mapped_type>)
      if (numeric_delta && ia != a.end() && ib != b.end()) entry["delta"] = ib->second - ia->second;
    out[k] = entry;
  }
  return out;
}

std::string Short(const nlohmann::json& j) {
  return j.is_null() ? "-" : j.is_string() ? j.get<std::string>() : j.dump();
}

std::string TensorText(const nlohmann::json& t) {
  if (t.is_null()) return "(absent)";
  return t.value("dtype", "?") + " " + (t["shape"].is_null() ? std::string("?") : t["shape"].dump());
}

}  // namespace

nlohmann::json DiffVersions(const VersionRecord& a, const VersionRecord& b) {
  nlohmann::json d;
  d["model"] = a.model;
  d["a"] = a.number;
  d["b"] = b.number;
  d["same_artifact"] = a.sha256 == b.sha256;
  d["sha256"] = {{"a", a.sha256}, {"b", b.sha256}};
  d["size"] = {{"a", a.size}, {"b", b.size}, {"delta", b.size - a.size}};
  d["signature"] = {{"inputs", DiffTensors(a.signature.value("inputs", nlohmann::json::array()),
                                           b.signature.value("inputs", nlohmann::json::array()))},
                    {"outputs", DiffTensors(a.signature.value("outputs", nlohmann::json::array()),
                                            b.signature.value("outputs", nlohmann::json::array()))}};
  d["metrics"] = DiffMaps(a.metrics, b.metrics, true);
  d["ops"] = DiffMaps(a.ops, b.ops, true);
  d["opsets"] = DiffMaps(a.opsets, b.opsets, false);
  d["tags"] = DiffMaps(a.tags, b.tags, false);
  d["producer"] = {{"a", a.producer}, {"b", b.producer}};
  d["lineage"] = {{"a", a.lineage}, {"b", b.lineage}};
  d["serving_config"] = {
      {"a", a.serving_config}, {"b", b.serving_config}, {"same", a.serving_config == b.serving_config}};
  return d;
}

std::vector<std::string> DescribeDiff(const nlohmann::json& d) {
  std::vector<std::string> lines;
  const std::string a = "v" + d["a"].dump(), b = "v" + d["b"].dump();
  lines.push_back(d["model"].get<std::string>() + ": " + a + " -> " + b +
                  (d["same_artifact"].get<bool>() ? " (identical artifact)" : ""));
  char buf[160];
  std::snprintf(buf, sizeof buf, "size: %lld -> %lld bytes (%+lld)", d["size"]["a"].get<long long>(),
                d["size"]["b"].get<long long>(), d["size"]["delta"].get<long long>());
  lines.push_back(buf);
  for (const char* side : {"inputs", "outputs"}) {
    const auto& s = d["signature"][side];
    if (s.empty()) {
      lines.push_back(std::string(side) + ": same");
      continue;
    }
    for (auto it = s.begin(); it != s.end(); ++it)
      lines.push_back(std::string(side) + " \"" + it.key() + "\": " + TensorText(it.value()["a"]) + " -> " +
                      TensorText(it.value()["b"]));
  }
  for (const char* section : {"metrics", "ops", "opsets", "tags"}) {
    const auto& s = d[section];
    if (s.empty()) {
      lines.push_back(std::string(section) + ": same");
      continue;
    }
    for (auto it = s.begin(); it != s.end(); ++it) {
      std::string line =
          std::string(section) + " " + it.key() + ": " + Short(it.value()["a"]) + " -> " + Short(it.value()["b"]);
      if (it.value().contains("delta")) {
        const auto& delta = it.value()["delta"];
        if (delta.is_number_float())
          std::snprintf(buf, sizeof buf, " (%+g)", delta.get<double>());
        else
          std::snprintf(buf, sizeof buf, " (%+lld)", delta.get<long long>());
        line += buf;
      }
      lines.push_back(line);
    }
  }
  if (d["producer"]["a"] != d["producer"]["b"])
    lines.push_back("producer: " + Short(d["producer"]["a"]) + " -> " + Short(d["producer"]["b"]));
  if (d.contains("serving_config") && !d["serving_config"]["same"].get<bool>())
    lines.push_back("serving config: differs (see: inferd model show)");
  return lines;
}

}  // namespace inferd::registry
