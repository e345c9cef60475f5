#include "registry/registry.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <set>

#include "registry/model_facts.h"
#include "registry/sha256.h"

namespace inferd::registry {
namespace {

testing::PushHook g_push_hook = nullptr;

void PushPoint(const char* point) {
  if (g_push_hook) g_push_hook(point);
}

std::string LoginName() {
  for (const char* var : {"INFERD_USER", "USER", "LOGNAME"})
    if (const char* v = std::getenv(var); v && *v) return v;
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return pw->pw_name;
  return "uid:" + std::to_string(::geteuid());
}

}  // namespace

void testing::SetPushHook(PushHook hook) { g_push_hook = hook; }

std::string NowUtc() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string ResolveRoot(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv(kRootEnvVar); env && *env) return env;
  return kDefaultRoot;
}

Result<std::unique_ptr<Registry>> Registry::Open(const RegistryOptions& options) {
  std::unique_ptr<Registry> r(new Registry());
  r->options_ = options;
  if (r->options_.user.empty()) r->options_.user = LoginName();
  if (!options.create) {
    struct stat st {};
    if (::stat((options.root + "/catalog.db").c_str(), &st) != 0)
      return NotFound("no registry at \"" + options.root +
                      "\" (push a model first, or point --registry or $INFERD_REGISTRY at one)");
  }
  ASSIGN_OR_RETURN(r->store_, ArtifactStore::Open(options.root));
  ASSIGN_OR_RETURN(r->catalog_, Catalog::Open(r->store_->CatalogPath(), options.busy_timeout_ms));
  RETURN_IF_ERROR(r->Recover());
  return r;
}

// Reconciles files and catalog under the write lock, so no push is between
// its rename and its commit while we look.
Status Registry::Recover() {
  recovery_ = RecoveryReport();
  recovery_.removed_temporaries = store_->RemoveStaleTemporaries();
  ASSIGN_OR_RETURN(auto tx, catalog_->Begin());
  ASSIGN_OR_RETURN(auto rows, catalog_->AllVersionKeys());
  ASSIGN_OR_RETURN(auto dirs, store_->ListVersionDirs());
  const std::set<std::pair<std::string, int64_t>> row_set(rows.begin(), rows.end());
  const std::set<std::pair<std::string, int64_t>> dir_set(dirs.begin(), dirs.end());
  for (const auto& [name, number] : dirs) {
    if (row_set.count({name, number})) continue;
    const std::string label = name + ":" + std::to_string(number);
    ASSIGN_OR_RETURN(bool removed, catalog_->WasRemoved(name, number));
    ASSIGN_OR_RETURN(int64_t last, catalog_->LastAllocated(name));
    if (removed && number <= last) {
      // The catalog committed an rm; the process died before deleting files.
      RETURN_IF_ERROR(store_->RemoveVersion(name, number));
      recovery_.finished_removals.push_back(label);
    } else {
      ASSIGN_OR_RETURN(std::string moved, store_->Quarantine(name, number));
      recovery_.orphan_files.push_back(label + " -> " + moved);
    }
  }
  for (const auto& [name, number] : rows) {
    struct stat st {};
    if (!dir_set.count({name, number}) || ::stat(store_->ArtifactPath(name, number).c_str(), &st) != 0)
      recovery_.missing_files.push_back(name + ":" + std::to_string(number));
  }
  return tx->Commit();
}

AuditEntry Registry::NewAudit(const std::string& action, const std::string& model) const {
  AuditEntry e;
  e.at = NowUtc();
  e.user = options_.user;
  e.command_line = options_.command_line;
  e.action = action;
  e.model = model;
  e.detail = nlohmann::json::object();
  return e;
}

Result<VersionRecord> Registry::Push(const PushRequest& req) {
  // Check everything the caller gave before touching the disk.
  RETURN_IF_ERROR(ValidateModelName(req.name));
  for (const auto& a : req.aliases) RETURN_IF_ERROR(ValidateAliasName(a));
  for (const auto& [k, v] : req.tags) RETURN_IF_ERROR(ValidateKey("tag", k));
  for (const auto& [k, v] : req.metrics) RETURN_IF_ERROR(ValidateKey("metric", k));
  for (const auto& [k, v] : req.params) RETURN_IF_ERROR(ValidateKey("param", k));
  if (req.parent && *req.parent <= 0) return InvalidArgument("parent version must be a positive integer");
  if (req.serving_config.size() > kMaxServingConfigBytes)
    return InvalidArgument("serving config is " + std::to_string(req.serving_config.size()) + " bytes; the limit is " +
                           std::to_string(kMaxServingConfigBytes));
  if (req.serving_config.find('\0') != std::string::npos)
    return InvalidArgument("serving config must be text (it holds a NUL byte)");
  if (req.parent) RETURN_IF_ERROR(Get(req.name, *req.parent).status().WithContext("--parent"));

  auto staged_or = store_->Stage(req.file);
  if (!staged_or.ok()) return staged_or.status();
  std::unique_ptr<StagedArtifact> staged = std::move(staged_or).value();
  PushPoint("staged");
  auto facts_or = InspectModel(staged->file(), req.file);
  if (!facts_or.ok()) return facts_or.status().WithContext("push");
  const ModelFacts& facts = *facts_or;
  PushPoint("validated");

  VersionRecord v;
  v.model = req.name;
  v.sha256 = staged->sha256();
  v.size = staged->size();
  v.opset = facts.opset;
  v.opsets = facts.opsets;
  v.producer = facts.producer;
  v.ir_version = facts.ir_version;
  v.signature = facts.signature;
  v.ops = facts.ops;
  v.user = options_.user;
  v.command_line = options_.command_line;
  v.note = req.note;
  v.parent = req.parent;
  v.serving_config = req.serving_config;
  v.lineage = {{"parent", req.parent ? nlohmann::json(*req.parent) : nlohmann::json(nullptr)},
               {"dataset", req.dataset.empty() ? nlohmann::json(nullptr) : nlohmann::json(req.dataset)},
               {"params", req.params},
               {"source_file", req.file}};

  // The critical section: number, rename, rows, commit.
  ASSIGN_OR_RETURN(auto tx, catalog_->Begin());
  PushPoint("locked");
  v.created_at = NowUtc();
  if (req.parent) {
    ASSIGN_OR_RETURN(auto parent, catalog_->GetVersion(req.name, *req.parent));
    if (!parent) return NotFound("--parent: model \"" + req.name + "\" has no version " + std::to_string(*req.parent));
  }
  ASSIGN_OR_RETURN(int64_t model_id, catalog_->EnsureModel(req.name, v.created_at));
  ASSIGN_OR_RETURN(v.number, catalog_->AllocateVersion(model_id));
  std::vector<std::string> moved_aside;
  RETURN_IF_ERROR(store_->Publish(*staged, req.name, v.number, &moved_aside));
  for (const auto& m : moved_aside)
    recovery_.orphan_files.push_back(req.name + ":" + std::to_string(v.number) + " -> " + m);
  PushPoint("published");
  // From here a failure must take the published folder back out.
  auto undo = [&](const Status& s) {
    (void)store_->RemoveVersion(req.name, v.number);
    return s;
  };
  auto id = catalog_->InsertVersion(model_id, v);
  if (!id.ok()) return undo(id.status());
  v.id = *id;
  auto stamp = store_->Stamp(store_->ArtifactPath(req.name, v.number));
  if (!stamp.ok()) return undo(stamp.status());
  if (Status s = catalog_->MarkVerified(v.id, stamp->size, stamp->mtime_ns, v.created_at); !s.ok()) return undo(s);
  for (const auto& [k, val] : req.tags) {
    if (Status s = catalog_->SetTag(v.id, k, val); !s.ok()) return undo(s);
    v.tags[k] = val;
  }
  for (const auto& [k, val] : req.metrics) {
    if (Status s = catalog_->SetMetric(v.id, k, val); !s.ok()) return undo(s);
    v.metrics[k] = val;
  }
  AuditEntry push = NewAudit("push", req.name);
  push.at = v.created_at;
  push.version = v.number;
  push.detail = {{"sha256", v.sha256}, {"size", v.size}, {"parent", v.lineage["parent"]}};
  if (Status s = catalog_->AddAudit(push); !s.ok()) return undo(s);
  for (const auto& a : req.aliases) {
    auto previous = catalog_->SetAlias(model_id, a, v.id, v.created_at);
    if (!previous.ok()) return undo(previous.status());
    AuditEntry e = NewAudit("alias.set", req.name);
    e.at = v.created_at;
    e.version = v.number;
    e.alias = a;
    e.detail = {{"from", *previous ? nlohmann::json(**previous) : nlohmann::json(nullptr)}, {"to", v.number}};
    if (Status s = catalog_->AddAudit(e); !s.ok()) return undo(s);
    v.aliases.push_back(a);
  }
  PushPoint("inserted");
  if (Status s = tx->Commit(); !s.ok()) return undo(s);
  PushPoint("committed");
  std::sort(v.aliases.begin(), v.aliases.end());
  v.path = store_->ArtifactPath(req.name, v.number);
  return v;
}

Result<std::vector<ModelSummary>> Registry::List() { return catalog_->ListModels(); }

Result<int64_t> Registry::RequireModel(const std::string& name) {
  RETURN_IF_ERROR(ValidateModelName(name));
  ASSIGN_OR_RETURN(auto id, catalog_->FindModel(name));
  if (!id)
    return NotFound("no model named \"" + name + "\" in the registry at \"" + root() + "\" (see: inferd model list)");
  return *id;
}

Result<std::vector<VersionRecord>> Registry::Versions(const std::string& name) {
  RETURN_IF_ERROR(RequireModel(name).status());
  ASSIGN_OR_RETURN(auto versions, catalog_->ListVersions(name));
  for (auto& v : versions) v.path = store_->ArtifactPath(name, v.number);
  return versions;
}

Result<VersionRecord> Registry::Get(const std::string& name, int64_t version) {
  RETURN_IF_ERROR(RequireModel(name).status());
  ASSIGN_OR_RETURN(auto v, catalog_->GetVersion(name, version));
  if (!v) {
    ASSIGN_OR_RETURN(int64_t last, catalog_->LastAllocated(name));
    ASSIGN_OR_RETURN(bool removed, catalog_->WasRemoved(name, version));
    std::string why = removed ? " (it was removed; see: inferd model log " + name + ")"
                              : " (latest allocated is " + std::to_string(last) + ")";
    return NotFound("model \"" + name + "\" has no version " + std::to_string(version) + why);
  }
  v->path = store_->ArtifactPath(name, version);
  return std::move(*v);
}

Result<int64_t> Registry::ResolveAlias(const std::string& name, const std::string& alias) {
  RETURN_IF_ERROR(ValidateAliasName(alias));
  RETURN_IF_ERROR(RequireModel(name).status());
  ASSIGN_OR_RETURN(auto n, catalog_->ResolveAlias(name, alias));
  if (!n) return NotFound("model \"" + name + "\" has no alias \"" + alias + "\"");
  return *n;
}

Result<VersionRecord> Registry::Show(const ModelRef& ref) {
  if (ref.has_version()) return Get(ref.name, ref.version);
  if (ref.has_alias()) {
    ASSIGN_OR_RETURN(int64_t n, ResolveAlias(ref.name, ref.alias));
    return Get(ref.name, n);
  }
  ASSIGN_OR_RETURN(auto versions, Versions(ref.name));
  if (versions.empty()) return NotFound("model \"" + ref.name + "\" has no versions");
  return versions.back();
}

Status Registry::SetAlias(const std::string& name, const std::string& alias, int64_t version) {
  RETURN_IF_ERROR(ValidateAliasName(alias));
  ASSIGN_OR_RETURN(int64_t model_id, RequireModel(name));
  ASSIGN_OR_RETURN(auto tx, catalog_->Begin());
  ASSIGN_OR_RETURN(VersionRecord v, Get(name, version));
  const std::string now = NowUtc();
  ASSIGN_OR_RETURN(auto previous, catalog_->SetAlias(model_id, alias, v.id, now));
  AuditEntry e = NewAudit("alias.set", name);
  e.at = now;
  e.version = version;
  e.alias = alias;
  e.detail = {{"from", previous ? nlohmann::json(*previous) : nlohmann::json(nullptr)}, {"to", version}};
  RETURN_IF_ERROR(catalog_->AddAudit(e));
  return tx->Commit();
}

Status Registry::RemoveAlias(const std::string& name, const std::string& alias) {
  ASSIGN_OR_RETURN(int64_t model_id, RequireModel(name));
  ASSIGN_OR_RETURN(auto tx, catalog_->Begin());
  ASSIGN_OR_RETURN(int64_t was, ResolveAlias(name, alias));
  RETURN_IF_ERROR(catalog_->RemoveAlias(model_id, alias));
  AuditEntry e = NewAudit("alias.rm", name);
  e.version = was;
  e.alias = alias;
  e.detail = {{"from", was}, {"to", nullptr}};
  RETURN_IF_ERROR(catalog_->AddAudit(e));
  return tx->Commit();
}

Status Registry::SetTag(const std::string& name, int64_t version, const std::string& key, const std::string& value) {
  RETURN_IF_ERROR(ValidateKey("tag", key));
  ASSIGN_OR_RETURN(auto tx, catalog_->Begin());
  ASSIGN_OR_RETURN(VersionRecord v, Get(name, version));
  RETURN_IF_ERROR(catalog_->SetTag(v.id, key, value));
  AuditEntry e = NewAudit("tag", name);
  e.version = version;
  auto old = v.tags.find(key);
  e.detail = {{"key", key},
              {"value", value},
              {"from", old == v.tags.end() ? nlohmann::json(nullptr) : nlohmann::json(old->second)}};
  RETURN_IF_ERROR(catalog_->AddAudit(e));
  return tx->Commit();
}

Status Registry::SetMetric(const std::string& name, int64_t version, const std::string& key, double value) {
  RETURN_IF_ERROR(ValidateKey("metric", key));
  ASSIGN_OR_RETURN(auto tx, catalog_->Begin());
  ASSIGN_OR_RETURN(VersionRecord v, Get(name, version));
  RETURN_IF_ERROR(catalog_->SetMetric(v.id, key, value));
  AuditEntry e = NewAudit("metric", name);
  e.version = version;
  auto old = v.metrics.find(key);
  e.detail = {{"key", key},
              {"value", value},
              {"from", old == v.metrics.end() ? nlohmann::json(nullptr) : nlohmann::json(old->second)}};
  RETURN_IF_ERROR(catalog_->AddAudit(e));
  return tx->Commit();
}

Status Registry::Verify(const VersionRecord& v) {
  const std::string path = store_->ArtifactPath(v.model, v.number);
  const std::string label = "\"" + v.model + "\" version " + std::to_string(v.number);
  auto stamp = store_->Stamp(path);
  if (!stamp.ok()) return DataLoss("artifact of " + label + " is missing: " + stamp.status().message());
  if (stamp->size != v.size)
    return DataLoss("artifact of " + label + " is corrupt: \"" + path + "\" has " + std::to_string(stamp->size) +
                    " bytes, the catalog recorded " + std::to_string(v.size));
  ASSIGN_OR_RETURN(bool cached, catalog_->IsVerified(v.id, stamp->size, stamp->mtime_ns));
  if (cached) return Status::Ok();
  ASSIGN_OR_RETURN(std::string digest, Sha256File(path));
  if (digest != v.sha256)
    return DataLoss("artifact of " + label + " is corrupt: \"" + path + "\" has sha256 " + digest +
                    ", the catalog recorded " + v.sha256);
  ASSIGN_OR_RETURN(auto tx, catalog_->Begin());
  RETURN_IF_ERROR(catalog_->MarkVerified(v.id, stamp->size, stamp->mtime_ns, NowUtc()));
  return tx->Commit();
}

Result<std::string> Registry::Pull(const ModelRef& ref, const std::string& out, VersionRecord* pulled) {
  ASSIGN_OR_RETURN(VersionRecord v, Show(ref));
  std::string target = out;
  struct stat st {};
  if (::stat(out.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    target = out + "/" + v.model + "-v" + std::to_string(v.number) + ".onnx";
  const std::string tmp = target + ".part-" + std::to_string(::getpid());
  const int in = ::open(v.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return DataLoss("artifact of \"" + v.model + "\" version " + std::to_string(v.number) + " is missing: \"" + v.path +
                    "\"");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    ::close(in);
    return Internal("cannot write \"" + tmp + "\": " + std::strerror(errno));
  }
  Sha256 hash;
  std::vector<char> buf(1 << 20);
  Status status;
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = Internal("reading \"" + v.path + "\": " + std::strerror(errno));
      break;
    }
    if (n == 0) break;
    hash.Update(buf.data(), static_cast<size_t>(n));
    for (ssize_t off = 0; off < n;) {
      const ssize_t w = ::write(fd, buf.data() + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        status = Internal("writing \"" + tmp + "\": " + std::strerror(errno));
        break;
      }
      off += w;
    }
    if (!status.ok()) break;
  }
  ::close(in);
  if (status.ok() && ::fsync(fd) != 0) status = Internal("fsync \"" + tmp + "\": " + std::strerror(errno));
  ::close(fd);
  if (status.ok()) {
    const std::string digest = hash.Finish();
    if (digest != v.sha256)
      status =
          DataLoss("artifact of \"" + v.model + "\" version " + std::to_string(v.number) + " is corrupt: \"" + v.path +
                   "\" has sha256 " + digest + ", the catalog recorded " + v.sha256 + "; nothing written");
  }
  if (status.ok() && ::rename(tmp.c_str(), target.c_str()) != 0)
    status = Internal("renaming \"" + tmp + "\" to \"" + target + "\": " + std::strerror(errno));
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  if (pulled) *pulled = v;
  return target;
}

Status Registry::Remove(const std::string& name, int64_t version, bool force) {
  ASSIGN_OR_RETURN(auto tx, catalog_->Begin());
  ASSIGN_OR_RETURN(VersionRecord v, Get(name, version));
  if (!v.aliases.empty() && !force) {
    std::string list;
    for (const auto& a : v.aliases) list += (list.empty() ? "" : ", ") + a;
    return FailedPrecondition("version " + std::to_string(version) + " of \"" + name + "\" is what alias(es) " + list +
                              " point at; move them first (inferd model alias set) or use --force");
  }
  for (const auto& a : v.aliases) {
    AuditEntry e = NewAudit("alias.rm", name);
    e.version = version;
    e.alias = a;
    e.detail = {{"from", version}, {"to", nullptr}, {"reason", "rm --force"}};
    RETURN_IF_ERROR(catalog_->AddAudit(e));
  }
  RETURN_IF_ERROR(catalog_->DeleteVersion(v.id));
  AuditEntry e = NewAudit("rm", name);
  e.version = version;
  e.detail = {{"sha256", v.sha256}, {"size", v.size}, {"aliases", v.aliases}, {"force", force}};
  RETURN_IF_ERROR(catalog_->AddAudit(e));
  RETURN_IF_ERROR(tx->Commit());
  // After the commit: if this fails or we die, recovery finishes it (the
  // audit log says the version was removed).
  return store_->RemoveVersion(name, version);
}

Result<std::vector<AuditEntry>> Registry::Log(const std::string& name, int64_t limit) {
  if (!name.empty()) RETURN_IF_ERROR(ValidateModelName(name));
  return catalog_->Audit(name, limit);
}

}  // namespace inferd::registry
