// Records of the model registry, as the catalog stores them and the API,
// CLI and HTTP frontends show them. Plain values; copying is fine.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace inferd::registry {

// One published version of a model. Everything but tags, metrics and aliases
// is fixed at push time and never changes (a version is immutable).
struct VersionRecord {
  int64_t id = 0;  // catalog row id
  std::string model;
  int64_t number = 0;
  std::string sha256;
  int64_t size = 0;
  int64_t opset = 0;                      // ai.onnx opset
  std::map<std::string, int64_t> opsets;  // every domain's opset
  std::string producer;                   // "pytorch 1.13.1"
  int64_t ir_version = 0;
  nlohmann::json signature;            // {"inputs":[{name,dtype,shape}],"outputs":[...]}
  std::map<std::string, int64_t> ops;  // op type -> node count
  std::string created_at;              // ISO 8601 UTC
  std::string user;
  std::string command_line;
  std::string note;
  std::optional<int64_t> parent;  // parent version of the same model
  nlohmann::json lineage;         // {"parent":N|null,"dataset":..., "params":{...}}
  std::map<std::string, std::string> tags;
  std::map<std::string, double> metrics;
  std::vector<std::string> aliases;  // aliases pointing here
  // How to serve it (YAML, see serving/model_config.h), stored as pushed;
  // empty when it was pushed without one. Fixed at push time like the rest.
  std::string serving_config;
  std::string path;  // the artifact file
};

struct ModelSummary {
  std::string name;
  std::string created_at;
  int64_t num_versions = 0;
  int64_t latest = 0;      // highest live version number; 0 when none
  std::string updated_at;  // creation time of the latest version
  std::map<std::string, int64_t> aliases;
};

// One line of the audit trail: who did what, when, from which command.
struct AuditEntry {
  int64_t id = 0;
  std::string at;
  std::string user;
  std::string command_line;
  std::string action;  // push, alias.set, alias.rm, tag, metric, rm
  std::string model;
  std::optional<int64_t> version;
  std::string alias;
  nlohmann::json detail;  // action-specific: {"from":3,"to":4}, {"key":..,"value":..}
};

// What a recovery pass found and did when the registry was opened.
struct RecoveryReport {
  std::vector<std::string> removed_temporaries;  // half-written pushes, cleaned up
  std::vector<std::string> finished_removals;    // folders of removed versions, now deleted
  std::vector<std::string> orphan_files;         // folders without a catalog row (moved to orphans/)
  std::vector<std::string> missing_files;        // catalog rows whose artifact is missing ("name:N")
  bool has_orphans() const { return !orphan_files.empty() || !missing_files.empty(); }
  // Human lines, one per finding; empty when there is nothing to say.
  std::vector<std::string> Describe() const;
};

nlohmann::json ToJson(const VersionRecord& v);
nlohmann::json ToJson(const ModelSummary& m);
nlohmann::json ToJson(const AuditEntry& e);
nlohmann::json ToJson(const RecoveryReport& r);

}  // namespace inferd::registry
