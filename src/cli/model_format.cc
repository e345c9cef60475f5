#include "cli/model_format.h"

#include <algorithm>
#include <cstdio>

namespace inferd::cli {
namespace {

std::string ShapeText(const nlohmann::json& shape) {
  if (shape.is_null()) return "?";
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i].is_null() ? "?" : shape[i].is_string() ? shape[i].get<std::string>() : shape[i].dump();
  }
  return s + "]";
}

std::string Join(const std::vector<std::string>& items, const char* sep = ",") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

std::string MetricText(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

std::string HumanBytes(int64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string FormatModels(const std::vector<registry::ModelSummary>& models) {
  if (models.empty()) return "no models yet (inferd model push NAME FILE)\n";
  std::vector<std::vector<std::string>> rows = {{"NAME", "VERSIONS", "LATEST", "ALIASES", "UPDATED"}};
  for (const auto& m : models) {
    std::vector<std::string> aliases;
    for (const auto& [a, n] : m.aliases) aliases.push_back(a + "->" + std::to_string(n));
    rows.push_back({m.name, std::to_string(m.num_versions), m.latest ? std::to_string(m.latest) : "-",
                    aliases.empty() ? "-" : Join(aliases), m.updated_at.empty() ? "-" : m.updated_at});
  }
  return FormatTable(rows);
}

std::string FormatVersions(const std::vector<registry::VersionRecord>& versions) {
  if (versions.empty()) return "no versions\n";
  std::vector<std::vector<std::string>> rows = {
      {"VERSION", "CREATED", "USER", "SIZE", "SHA256", "OPSET", "ALIASES", "PARENT", "NOTE"}};
  for (const auto& v : versions)
    rows.push_back({std::to_string(v.number), v.created_at, v.user, HumanBytes(v.size), v.sha256.substr(0, 12),
                    std::to_string(v.opset), v.aliases.empty() ? "-" : Join(v.aliases),
                    v.parent ? std::to_string(*v.parent) : "-", v.note});
  return FormatTable(rows);
}

std::string FormatVersion(const registry::VersionRecord& v) {
  std::vector<std::vector<std::string>> rows = {
      {"model", v.model},
      {"version", std::to_string(v.number)},
      {"aliases", v.aliases.empty() ? "-" : Join(v.aliases, ", ")},
      {"created", v.created_at + " by " + v.user},
      {"command", v.command_line.empty() ? "-" : v.command_line},
      {"size", HumanBytes(v.size) + " (" + std::to_string(v.size) + " bytes)"},
      {"sha256", v.sha256},
      {"producer", v.producer.empty() ? "-" : v.producer},
      {"ir / opset", std::to_string(v.ir_version) + " / " + std::to_string(v.opset)},
      {"parent", v.parent ? std::to_string(*v.parent) : "-"},
      {"note", v.note.empty() ? "-" : v.note},
      {"path", v.path}};
  if (v.lineage.is_object() && v.lineage.contains("dataset") && !v.lineage["dataset"].is_null())
    rows.push_back({"dataset", v.lineage["dataset"].get<std::string>()});
  if (v.lineage.is_object() && v.lineage.contains("params") && !v.lineage["params"].empty())
    rows.push_back({"params", v.lineage["params"].dump()});
  std::string out;
  for (auto& r : rows) r[0] += ":";
  out += FormatTable(rows);
  for (const char* side : {"inputs", "outputs"}) {
    out += std::string("\n") + side + ":\n";
    std::vector<std::vector<std::string>> t;
    for (const auto& item : v.signature.value(side, nlohmann::json::array()))
      t.push_back({"  " + item.value("name", "?"), item.value("dtype", "?"), ShapeText(item["shape"])});
    out += t.empty() ? "  (none)\n" : FormatTable(t);
  }
  std::vector<std::pair<std::string, int64_t>> ops(v.ops.begin(), v.ops.end());
  std::stable_sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> op_text;
  for (const auto& [op, n] : ops) op_text.push_back(op + " x" + std::to_string(n));
  out += "\nops: " + (op_text.empty() ? std::string("-") : Join(op_text, ", ")) + "\n";
  if (!v.tags.empty()) {
    out += "\ntags:\n";
    for (const auto& [k, val] : v.tags) out += "  " + k + " = " + val + "\n";
  }
  if (!v.metrics.empty()) {
    out += "\nmetrics:\n";
    for (const auto& [k, val] : v.metrics) out += "  " + k + " = " + MetricText(val) + "\n";
  }
  if (v.serving_config.empty()) {
    out += "\nserving config: - (serving defaults)\n";
  } else {
    out += "\nserving config:\n";
    size_t start = 0;
    while (start < v.serving_config.size()) {
      size_t end = v.serving_config.find('\n', start);
      if (end == std::string::npos) end = v.serving_config.size();
      out += "  " + v.serving_config.substr(start, end - start) + "\n";
      start = end + 1;
    }
  }
  return out;
}

std::string FormatAudit(const std::vector<registry::AuditEntry>& entries) {
  if (entries.empty()) return "no changes recorded\n";
  std::vector<std::vector<std::string>> rows = {{"WHEN", "USER", "ACTION", "MODEL", "VERSION", "ALIAS", "DETAIL"}};
  for (const auto& e : entries) {
    std::string detail;
    const auto field = [&](const char* key) {
      return e.detail.is_object() && e.detail.contains(key) ? e.detail[key] : nlohmann::json();
    };
    const auto num = [](const nlohmann::json& j) { return j.is_null() ? std::string("-") : j.dump(); };
    if (e.action == "alias.set" || e.action == "alias.rm") {
      detail = num(field("from")) + " -> " + num(field("to"));
      if (field("reason").is_string()) detail += " (" + field("reason").get<std::string>() + ")";
    } else if (e.action == "push") {
      const auto sha = field("sha256");
      detail = "sha256 " + (sha.is_string() ? sha.get<std::string>().substr(0, 12) : "?") + ", " +
               HumanBytes(field("size").is_number_integer() ? field("size").get<int64_t>() : 0);
    } else if (e.action == "tag" || e.action == "metric") {
      const auto value = field("value");
      detail = (field("key").is_string() ? field("key").get<std::string>() : "?") + "=" +
               (value.is_string()   ? value.get<std::string>()
                : value.is_number() ? MetricText(value.get<double>())
                                    : "");
    } else if (e.action == "rm") {
      detail = field("force").is_boolean() && field("force").get<bool>() ? "forced" : "";
    }
    rows.push_back({e.at, e.user, e.action, e.model, e.version ? std::to_string(*e.version) : "-",
                    e.alias.empty() ? "-" : e.alias, detail});
  }
  return FormatTable(rows);
}

}  // namespace inferd::cli
