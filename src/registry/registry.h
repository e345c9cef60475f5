// Registry: the model store's API. Push validated ONNX models as numbered,
// immutable versions; name versions with aliases; annotate them with tags
// and metrics; follow their lineage; pull them back with their checksum
// verified; and keep an audit trail of every change.
//
// One Registry object per thread (it owns a SQLite connection); any number of
// processes may open the same root at once: every change is one catalog
// write transaction (BEGIN IMMEDIATE, with a busy timeout), and version
// numbers are allocated inside it, so concurrent pushes get distinct,
// gap-free numbers. Every call either changes what it says or nothing.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "registry/artifact_store.h"
#include "registry/catalog.h"
#include "registry/names.h"
#include "registry/types.h"

namespace inferd::registry {

// The folder used when neither --registry nor INFERD_REGISTRY says otherwise.
inline constexpr const char* kDefaultRoot = "./inferd-data";
inline constexpr const char* kRootEnvVar = "INFERD_REGISTRY";
// `flag` if non-empty, else $INFERD_REGISTRY if set and non-empty, else kDefaultRoot.
std::string ResolveRoot(const std::string& flag);

struct RegistryOptions {
  std::string root = kDefaultRoot;
  // Recorded in versions and the audit log; empty = the login name / "".
  std::string user;
  std::string command_line;
  // How long a writer waits for another process's catalog transaction.
  int busy_timeout_ms = 60000;
  // Create the folder and catalog when missing; false makes Open fail with
  // NOT_FOUND instead (read-only commands should not leave folders behind).
  bool create = true;
};

struct PushRequest {
  std::string name;
  std::string file;
  std::vector<std::string> aliases;
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<std::pair<std::string, double>> metrics;
  std::optional<int64_t> parent;
  std::string note;
  std::string dataset;
  std::map<std::string, std::string> params;
  // Serving config (YAML text), stored as given: the registry does not parse
  // it (serving does; `inferd model push --config` validates it first).
  std::string serving_config;
};

// Largest serving config a version may carry.
inline constexpr size_t kMaxServingConfigBytes = size_t{64} * 1024;

class Registry {
 public:
  // Opens (creating if needed) the registry at options.root and runs the
  // recovery pass; recovery() says what it found.
  static Result<std::unique_ptr<Registry>> Open(const RegistryOptions& options);

  const RecoveryReport& recovery() const { return recovery_; }
  // Who the audit log names for the following changes (the HTTP API sets
  // the client's address per request).
  void SetActor(std::string user, std::string command_line) {
    options_.user = std::move(user);
    options_.command_line = std::move(command_line);
  }
  const std::string& root() const { return store_->root(); }

  Result<VersionRecord> Push(const PushRequest& request);

  Result<std::vector<ModelSummary>> List();
  Result<std::vector<VersionRecord>> Versions(const std::string& name);
  // NAME (latest version), NAME:N or NAME@ALIAS; `path` is filled in.
  Result<VersionRecord> Show(const ModelRef& ref);
  // Resolves an alias to its version number.
  Result<int64_t> ResolveAlias(const std::string& name, const std::string& alias);

  Status SetAlias(const std::string& name, const std::string& alias, int64_t version);
  Status RemoveAlias(const std::string& name, const std::string& alias);
  Status SetTag(const std::string& name, int64_t version, const std::string& key, const std::string& value);
  Status SetMetric(const std::string& name, int64_t version, const std::string& key, double value);

  // Checks the artifact against its sha256 (skipped when the catalog already
  // verified this size and mtime); DATA_LOSS names the file when it differs.
  Status Verify(const VersionRecord& version);
  // Copies the artifact to `out` (a file path, or a folder: NAME-vN.onnx in
  // it), checking the sha256 of the bytes copied. Returns the path written.
  Result<std::string> Pull(const ModelRef& ref, const std::string& out, VersionRecord* pulled = nullptr);

  // Deletes a version. Refused while an alias points at it unless `force`
  // (which removes those aliases too). Numbers are never reused.
  Status Remove(const std::string& name, int64_t version, bool force);

  // Audit trail, oldest first; `name` empty = every model; limit 0 = all.
  Result<std::vector<AuditEntry>> Log(const std::string& name, int64_t limit = 0);

 private:
  Registry() = default;
  Status Recover();
  Result<VersionRecord> Get(const std::string& name, int64_t version);
  Result<int64_t> RequireModel(const std::string& name);
  AuditEntry NewAudit(const std::string& action, const std::string& model) const;

  RegistryOptions options_;
  std::unique_ptr<ArtifactStore> store_;
  std::unique_ptr<Catalog> catalog_;
  RecoveryReport recovery_;
};

namespace testing {
// Called by Push at each step ("staged", "validated", "locked", "published",
// "inserted", "committed") when set; the crash test kills its own process
// there. Not for production use; nullptr clears it.
using PushHook = void (*)(const char* point);
void SetPushHook(PushHook hook);
}  // namespace testing

// ISO 8601 UTC with milliseconds: 2026-11-27T01:02:03.456Z
std::string NowUtc();

}  // namespace inferd::registry
