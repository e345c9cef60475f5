#include "registry/types.h"

namespace inferd::registry {

std::vector<std::string> RecoveryReport::Describe() const {
  std::vector<std::string> lines;
  for (const auto& t : removed_temporaries) lines.push_back("removed a half-written push: " + t);
  for (const auto& t : finished_removals) lines.push_back("finished removing a deleted version's files: " + t);
  for (const auto& t : orphan_files)
    lines.push_back("orphan: " + t + " has no catalog row (an interrupted push); moved aside, safe to delete");
  for (const auto& t : missing_files)
    lines.push_back("orphan: catalog row " + t +
                    " has no artifact file; pulls of it fail until it is removed (rm --force)");
  return lines;
}

nlohmann::json ToJson(const VersionRecord& v) {
  nlohmann::json j;
  j["model"] = v.model;
  j["version"] = v.number;
  j["sha256"] = v.sha256;
  j["size"] = v.size;
  j["opset"] = v.opset;
  j["opsets"] = v.opsets;
  j["producer"] = v.producer;
  j["ir_version"] = v.ir_version;
  j["signature"] = v.signature;
  j["ops"] = v.ops;
  j["created_at"] = v.created_at;
  j["user"] = v.user;
  j["command_line"] = v.command_line;
  j["note"] = v.note;
  j["parent"] = v.parent ? nlohmann::json(*v.parent) : nlohmann::json(nullptr);
  j["lineage"] = v.lineage;
  j["tags"] = v.tags;
  j["metrics"] = v.metrics;
  j["aliases"] = v.aliases;
  j["serving_config"] = v.serving_config.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.serving_config);
  return j;
}

nlohmann::json ToJson(const ModelSummary& m) {
  return {{"name", m.name},     {"created_at", m.created_at}, {"versions", m.num_versions},
          {"latest", m.latest}, {"updated_at", m.updated_at}, {"aliases", m.aliases}};
}

nlohmann::json ToJson(const AuditEntry& e) {
  return {{"id", e.id},
          {"at", e.at},
          {"user", e.user},
          {"command_line", e.command_line},
          {"action", e.action},
          {"model", e.model},
          {"version", e.version ? nlohmann::json(*e.version) : nlohmann::json(nullptr)},
          {"alias", e.alias},
          {"detail", e.detail}};
}

nlohmann::json ToJson(const RecoveryReport& r) {
  return {{"removed_temporaries", r.removed_temporaries},
          {"finished_removals", r.finished_removals},
          {"orphan_files", r.orphan_files},
          {"missing_files", r.missing_files}};
}

}  // namespace inferd::registry
