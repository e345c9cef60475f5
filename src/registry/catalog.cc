#include "registry/catalog.h"

namespace inferd::registry {
namespace {

// 1: the first catalog. 2: versions.serving_config (the YAML stored with a
// version; NULL when none). Older catalogs are migrated on open.
constexpr int kSchemaVersion = 2;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS models(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  last_version INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS versions(
  id INTEGER PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES models(id),
  number INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  opset INTEGER NOT NULL,
  opsets TEXT NOT NULL,
  producer TEXT NOT NULL,
  ir_version INTEGER NOT NULL,
  signature TEXT NOT NULL,
  ops TEXT NOT NULL,
  created_at TEXT NOT NULL,
  user TEXT NOT NULL,
  command_line TEXT NOT NULL,
  note TEXT NOT NULL,
  parent_version INTEGER,
  lineage TEXT NOT NULL,
  serving_config TEXT,
  UNIQUE(model_id, number));
CREATE TABLE IF NOT EXISTS aliases(
  model_id INTEGER NOT NULL REFERENCES models(id),
  alias TEXT NOT NULL,
  version_id INTEGER NOT NULL REFERENCES versions(id),
  updated_at TEXT NOT NULL,
  PRIMARY KEY(model_id, alias));
CREATE TABLE IF NOT EXISTS tags(
  version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
  key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(version_id, key));
CREATE TABLE IF NOT EXISTS metrics(
  version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
  key TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY(version_id, key));
CREATE TABLE IF NOT EXISTS verified(
  version_id INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
  size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, verified_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit(
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL, user TEXT NOT NULL, command_line TEXT NOT NULL,
  action TEXT NOT NULL, model TEXT NOT NULL, version INTEGER, alias TEXT NOT NULL,
  detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_model ON audit(model, id);
)sql";

constexpr const char* kVersionColumns =
    "v.id, m.name, v.number, v.sha256, v.size, v.opset, v.opsets, v.producer, v.ir_version, v.signature, v.ops, "
    "v.created_at, v.user, v.command_line, v.note, v.parent_version, v.lineage, v.serving_config";

nlohmann::json ParseJson(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

VersionRecord ReadVersion(const Statement& s) {
  VersionRecord v;
  v.id = s.Int(0);
  v.model = s.Text(1);
  v.number = s.Int(2);
  v.sha256 = s.Text(3);
  v.size = s.Int(4);
  v.opset = s.Int(5);
  const auto opsets = ParseJson(s.Text(6));
  if (opsets.is_object())
    for (auto it = opsets.begin(); it != opsets.end(); ++it)
      if (it.value().is_number_integer()) v.opsets[it.key()] = it.value().get<int64_t>();
  v.producer = s.Text(7);
  v.ir_version = s.Int(8);
  v.signature = ParseJson(s.Text(9));
  const auto ops = ParseJson(s.Text(10));
  if (ops.is_object())
    for (auto it = ops.begin(); it != ops.end(); ++it)
      if (it.value().is_number_integer()) v.ops[it.key()] = it.value().get<int64_t>();
  v.created_at = s.Text(11);
  v.user = s.Text(12);
  v.command_line = s.Text(13);
  v.note = s.Text(14);
  if (!s.IsNull(15)) v.parent = s.Int(15);
  v.lineage = ParseJson(s.Text(16));
  if (!s.IsNull(17)) v.serving_config = s.Text(17);
  return v;
}

}  // namespace

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& path, int busy_timeout_ms) {
  ASSIGN_OR_RETURN(auto db, Database::Open(path, busy_timeout_ms));
  std::unique_ptr<Catalog> catalog(new Catalog(std::move(db)));
  RETURN_IF_ERROR(catalog->CreateSchema());
  return catalog;
}

// The stored schema version; nullopt on a fresh file (no meta table yet).
Result<std::optional<int64_t>> Catalog::SchemaVersion() {
  auto probe = db_->Prepare("SELECT value FROM meta WHERE key='schema_version'");
  if (!probe.ok()) return std::optional<int64_t>();  // no meta table: a fresh file
  ASSIGN_OR_RETURN(bool has, probe->Step());
  if (!has) return std::optional<int64_t>();
  return std::optional<int64_t>(probe->Int(0));
}

Status Catalog::CreateSchema() {
  ASSIGN_OR_RETURN(auto version, SchemaVersion());
  if (version && *version == kSchemaVersion) return Status::Ok();
  // Create or migrate under the write lock; another process may have done it
  // meanwhile, so look again inside the transaction.
  ASSIGN_OR_RETURN(auto tx, Begin());
  ASSIGN_OR_RETURN(version, SchemaVersion());
  if (version && *version > kSchemaVersion)
    return FailedPrecondition("catalog \"" + db_->path() + "\" has schema version " + std::to_string(*version) +
                              "; this inferd understands versions up to " + std::to_string(kSchemaVersion) +
                              " (a newer inferd wrote it; upgrade this one)");
  if (version && *version < 1)
    return FailedPrecondition("catalog \"" + db_->path() + "\" has an unknown schema version " +
                              std::to_string(*version));
  if (!version) {
    RETURN_IF_ERROR(db_->Exec(kSchema));
    RETURN_IF_ERROR(db_->Exec("INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '" +
                              std::to_string(kSchemaVersion) + "')"));
    return tx->Commit();
  }
  if (*version == 1) RETURN_IF_ERROR(db_->Exec("ALTER TABLE versions ADD COLUMN serving_config TEXT"));
  RETURN_IF_ERROR(
      db_->Exec("UPDATE meta SET value='" + std::to_string(kSchemaVersion) + "' WHERE key='schema_version'"));
  return tx->Commit();
}

Result<std::optional<int64_t>> Catalog::FindModel(const std::string& name) {
  ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT id FROM models WHERE name=?"));
  s.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(s.Int(0));
}

Result<int64_t> Catalog::EnsureModel(const std::string& name, const std::string& now) {
  ASSIGN_OR_RETURN(auto found, FindModel(name));
  if (found) return *found;
  ASSIGN_OR_RETURN(auto s, db_->Prepare("INSERT INTO models(name, created_at) VALUES(?, ?)"));
  RETURN_IF_ERROR(s.Bind(1, name).Bind(2, now).Run());
  return db_->LastInsertRowId();
}

Result<int64_t> Catalog::AllocateVersion(int64_t model_id) {
  ASSIGN_OR_RETURN(auto s,
                   db_->Prepare("UPDATE models SET last_version=last_version+1 WHERE id=? RETURNING last_version"));
  s.Bind(1, model_id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Internal("catalog: model row " + std::to_string(model_id) + " vanished");
  const int64_t n = s.Int(0);
  ASSIGN_OR_RETURN(bool more, s.Step());
  (void)more;
  return n;
}

Result<int64_t> Catalog::LastAllocated(const std::string& name) {
  ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT last_version FROM models WHERE name=?"));
  s.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : int64_t{0};
}

Result<std::vector<ModelSummary>> Catalog::ListModels() {
  ASSIGN_OR_RETURN(
      auto s,
      db_->Prepare("SELECT m.name, m.created_at, COUNT(v.id), COALESCE(MAX(v.number), 0), "
                   "COALESCE((SELECT created_at FROM versions WHERE model_id=m.id ORDER BY number DESC LIMIT 1), '') "
                   "FROM models m LEFT JOIN versions v ON v.model_id=m.id GROUP BY m.id ORDER BY m.name"));
  std::vector<ModelSummary> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ModelSummary m;
    m.name = s.Text(0);
    m.created_at = s.Text(1);
    m.num_versions = s.Int(2);
    m.latest = s.Int(3);
    m.updated_at = s.Text(4);
    out.push_back(std::move(m));
  }
  ASSIGN_OR_RETURN(auto a,
                   db_->Prepare("SELECT m.name, a.alias, v.number FROM aliases a JOIN models m ON m.id=a.model_id "
                                "JOIN versions v ON v.id=a.version_id"));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, a.Step());
    if (!row) break;
    for (auto& m : out)
      if (m.name == a.Text(0)) m.aliases[a.Text(1)] = a.Int(2);
  }
  return out;
}

Result<int64_t> Catalog::InsertVersion(int64_t model_id, const VersionRecord& v) {
  ASSIGN_OR_RETURN(
      auto s,
      db_->Prepare("INSERT INTO versions(model_id, number, sha256, size, opset, opsets, producer, ir_version, "
                   "signature, ops, created_at, user, command_line, note, parent_version, lineage, serving_config) "
                   "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  s.Bind(1, model_id).Bind(2, v.number).Bind(3, v.sha256).Bind(4, v.size).Bind(5, v.opset);
  s.Bind(6, nlohmann::json(v.opsets).dump()).Bind(7, v.producer).Bind(8, v.ir_version);
  s.Bind(9, v.signature.dump()).Bind(10, nlohmann::json(v.ops).dump()).Bind(11, v.created_at);
  s.Bind(12, v.user).Bind(13, v.command_line).Bind(14, v.note);
  if (v.parent)
    s.Bind(15, *v.parent);
  else
    s.BindNull(15);
  s.Bind(16, v.lineage.dump());
  if (v.serving_config.empty())
    s.BindNull(17);
  else
    s.Bind(17, v.serving_config);
  RETURN_IF_ERROR(s.Run());
  return db_->LastInsertRowId();
}

Status Catalog::FillAnnotations(VersionRecord& v) {
  ASSIGN_OR_RETURN(auto t, db_->Prepare("SELECT key, value FROM tags WHERE version_id=?"));
  t.Bind(1, v.id);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, t.Step());
    if (!row) break;
    v.tags[t.Text(0)] = t.Text(1);
  }
  ASSIGN_OR_RETURN(auto m, db_->Prepare("SELECT key, value FROM metrics WHERE version_id=?"));
  m.Bind(1, v.id);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, m.Step());
    if (!row) break;
    v.metrics[m.Text(0)] = m.Double(1);
  }
  ASSIGN_OR_RETURN(v.aliases, AliasesOf(v.id));
  return Status::Ok();
}

Result<std::vector<VersionRecord>> Catalog::ListVersions(const std::string& name) {
  ASSIGN_OR_RETURN(auto s,
                   db_->Prepare(std::string("SELECT ") + kVersionColumns +
                                " FROM versions v JOIN models m ON m.id=v.model_id WHERE m.name=? ORDER BY v.number"));
  s.Bind(1, name);
  std::vector<VersionRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadVersion(s));
  }
  for (auto& v : out) RETURN_IF_ERROR(FillAnnotations(v));
  return out;
}

Result<std::optional<VersionRecord>> Catalog::GetVersion(const std::string& name, int64_t number) {
  ASSIGN_OR_RETURN(auto s,
                   db_->Prepare(std::string("SELECT ") + kVersionColumns +
                                " FROM versions v JOIN models m ON m.id=v.model_id WHERE m.name=? AND v.number=?"));
  s.Bind(1, name).Bind(2, number);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<VersionRecord>();
  VersionRecord v = ReadVersion(s);
  RETURN_IF_ERROR(FillAnnotations(v));
  return std::optional<VersionRecord>(std::move(v));
}

Status Catalog::DeleteVersion(int64_t version_id) {
  ASSIGN_OR_RETURN(auto a, db_->Prepare("DELETE FROM aliases WHERE version_id=?"));
  RETURN_IF_ERROR(a.Bind(1, version_id).Run());
  ASSIGN_OR_RETURN(auto s, db_->Prepare("DELETE FROM versions WHERE id=?"));
  return s.Bind(1, version_id).Run();
}

Result<std::vector<std::pair<std::string, int64_t>>> Catalog::AllVersionKeys() {
  ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT m.name, v.number FROM versions v JOIN models m ON m.id=v.model_id"));
  std::vector<std::pair<std::string, int64_t>> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.emplace_back(s.Text(0), s.Int(1));
  }
  return out;
}

Status Catalog::SetTag(int64_t version_id, const std::string& key, const std::string& value) {
  ASSIGN_OR_RETURN(auto s, db_->Prepare("INSERT INTO tags(version_id, key, value) VALUES(?,?,?) "
                                        "ON CONFLICT(version_id, key) DO UPDATE SET value=excluded.value"));
  return s.Bind(1, version_id).Bind(2, key).Bind(3, value).Run();
}

Status Catalog::SetMetric(int64_t version_id, const std::string& key, double value) {
  ASSIGN_OR_RETURN(auto s, db_->Prepare("INSERT INTO metrics(version_id, key, value) VALUES(?,?,?) "
                                        "ON CONFLICT(version_id, key) DO UPDATE SET value=excluded.value"));
  return s.Bind(1, version_id).Bind(2, key).Bind(3, value).Run();
}

Result<std::optional<int64_t>> Catalog::SetAlias(int64_t model_id, const std::string& alias, int64_t version_id,
                                                 const std::string& now) {
  ASSIGN_OR_RETURN(auto old, db_->Prepare("SELECT v.number FROM aliases a JOIN versions v ON v.id=a.version_id "
                                          "WHERE a.model_id=? AND a.alias=?"));
  old.Bind(1, model_id).Bind(2, alias);
  ASSIGN_OR_RETURN(bool had, old.Step());
  std::optional<int64_t> previous;
  if (had) previous = old.Int(0);
  ASSIGN_OR_RETURN(auto s, db_->Prepare("INSERT INTO aliases(model_id, alias, version_id, updated_at) VALUES(?,?,?,?) "
                                        "ON CONFLICT(model_id, alias) DO UPDATE SET version_id=excluded.version_id, "
                                        "updated_at=excluded.updated_at"));
  RETURN_IF_ERROR(s.Bind(1, model_id).Bind(2, alias).Bind(3, version_id).Bind(4, now).Run());
  return previous;
}

Result<std::optional<int64_t>> Catalog::ResolveAlias(const std::string& model, const std::string& alias) {
  ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT v.number FROM aliases a JOIN models m ON m.id=a.model_id "
                                        "JOIN versions v ON v.id=a.version_id WHERE m.name=? AND a.alias=?"));
  s.Bind(1, model).Bind(2, alias);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(s.Int(0));
}

Status Catalog::RemoveAlias(int64_t model_id, const std::string& alias) {
  ASSIGN_OR_RETURN(auto s, db_->Prepare("DELETE FROM aliases WHERE model_id=? AND alias=?"));
  return s.Bind(1, model_id).Bind(2, alias).Run();
}

Result<std::vector<std::string>> Catalog::AliasesOf(int64_t version_id) {
  ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT alias FROM aliases WHERE version_id=? ORDER BY alias"));
  s.Bind(1, version_id);
  std::vector<std::string> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(s.Text(0));
  }
  return out;
}

Result<bool> Catalog::IsVerified(int64_t version_id, int64_t size, int64_t mtime_ns) {
  ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT 1 FROM verified WHERE version_id=? AND size=? AND mtime_ns=?"));
  s.Bind(1, version_id).Bind(2, size).Bind(3, mtime_ns);
  return s.Step();
}

Status Catalog::MarkVerified(int64_t version_id, int64_t size, int64_t mtime_ns, const std::string& now) {
  ASSIGN_OR_RETURN(auto s, db_->Prepare("INSERT OR REPLACE INTO verified(version_id, size, mtime_ns, verified_at) "
                                        "VALUES(?,?,?,?)"));
  return s.Bind(1, version_id).Bind(2, size).Bind(3, mtime_ns).Bind(4, now).Run();
}

Status Catalog::AddAudit(const AuditEntry& e) {
  ASSIGN_OR_RETURN(auto s,
                   db_->Prepare("INSERT INTO audit(at, user, command_line, action, model, version, alias, detail) "
                                "VALUES(?,?,?,?,?,?,?,?)"));
  s.Bind(1, e.at).Bind(2, e.user).Bind(3, e.command_line).Bind(4, e.action).Bind(5, e.model);
  if (e.version)
    s.Bind(6, *e.version);
  else
    s.BindNull(6);
  s.Bind(7, e.alias).Bind(8, e.detail.is_null() ? std::string("{}") : e.detail.dump());
  return s.Run();
}

Result<std::vector<AuditEntry>> Catalog::Audit(const std::string& model, int64_t limit) {
  std::string sql = "SELECT id, at, user, command_line, action, model, version, alias, detail FROM audit";
  if (!model.empty()) sql += " WHERE model=?";
  sql += " ORDER BY id DESC";
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  ASSIGN_OR_RETURN(auto s, db_->Prepare(sql));
  if (!model.empty()) s.Bind(1, model);
  std::vector<AuditEntry> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    AuditEntry e;
    e.id = s.Int(0);
    e.at = s.Text(1);
    e.user = s.Text(2);
    e.command_line = s.Text(3);
    e.action = s.Text(4);
    e.model = s.Text(5);
    if (!s.IsNull(6)) e.version = s.Int(6);
    e.alias = s.Text(7);
    e.detail = ParseJson(s.Text(8));
    out.push_back(std::move(e));
  }
  return std::vector<AuditEntry>(out.rbegin(), out.rend());
}

Result<bool> Catalog::WasRemoved(const std::string& model, int64_t number) {
  ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT 1 FROM audit WHERE action='rm' AND model=? AND version=?"));
  s.Bind(1, model).Bind(2, number);
  return s.Step();
}

}  // namespace inferd::registry
