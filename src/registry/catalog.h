// Catalog: the registry's SQLite database (WAL mode) of models, versions,
// aliases, tags, metrics, verification cache and the audit log.
//
// The catalog is the source of truth for what is published: a version exists
// when its row exists. Writers wrap their changes in a WriteTransaction
// (BEGIN IMMEDIATE, obtained with Begin()); version numbers are allocated
// inside that transaction from models.last_version, which never goes down, so
// numbers are never reused even after rm. One Catalog per thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "registry/sqlite.h"
#include "registry/types.h"

namespace inferd::registry {

class Catalog {
 public:
  static Result<std::unique_ptr<Catalog>> Open(const std::string& path, int busy_timeout_ms);

  Result<std::unique_ptr<WriteTransaction>> Begin() { return WriteTransaction::Begin(*db_); }

  // ---- models
  Result<std::optional<int64_t>> FindModel(const std::string& name);
  // Finds or creates the model row; call inside a write transaction.
  Result<int64_t> EnsureModel(const std::string& name, const std::string& now);
  // Bumps models.last_version and returns the new number (inside a transaction).
  Result<int64_t> AllocateVersion(int64_t model_id);
  Result<int64_t> LastAllocated(const std::string& name);
  Result<std::vector<ModelSummary>> ListModels();

  // ---- versions
  // Inserts the immutable part of `v` (tags, metrics, aliases separately).
  Result<int64_t> InsertVersion(int64_t model_id, const VersionRecord& v);
  // Full records (tags, metrics, aliases filled; path left empty).
  Result<std::vector<VersionRecord>> ListVersions(const std::string& name);
  Result<std::optional<VersionRecord>> GetVersion(const std::string& name, int64_t number);
  Status DeleteVersion(int64_t version_id);
  // Every (model, number) with a row, for recovery.
  Result<std::vector<std::pair<std::string, int64_t>>> AllVersionKeys();

  // ---- annotations
  Status SetTag(int64_t version_id, const std::string& key, const std::string& value);
  Status SetMetric(int64_t version_id, const std::string& key, double value);
  // Returns the version number the alias pointed at before, if any.
  Result<std::optional<int64_t>> SetAlias(int64_t model_id, const std::string& alias, int64_t version_id,
                                          const std::string& now);
  Result<std::optional<int64_t>> ResolveAlias(const std::string& model, const std::string& alias);
  Status RemoveAlias(int64_t model_id, const std::string& alias);
  Result<std::vector<std::string>> AliasesOf(int64_t version_id);

  // ---- verification cache (sha256 checked for this size and mtime)
  Result<bool> IsVerified(int64_t version_id, int64_t size, int64_t mtime_ns);
  Status MarkVerified(int64_t version_id, int64_t size, int64_t mtime_ns, const std::string& now);

  // ---- audit
  Status AddAudit(const AuditEntry& e);
  // Newest last; `model` empty = all models; limit 0 = all.
  Result<std::vector<AuditEntry>> Audit(const std::string& model, int64_t limit);
  // True when the audit log records an rm of model:number.
  Result<bool> WasRemoved(const std::string& model, int64_t number);

  Database& db() { return *db_; }

 private:
  explicit Catalog(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  Status CreateSchema();
  Result<std::optional<int64_t>> SchemaVersion();
  Status FillAnnotations(VersionRecord& v);
  std::unique_ptr<Database> db_;
};

}  // namespace inferd::registry
