#include "serving/version_table.h"

#include <algorithm>

namespace inferd::serving {
namespace {

using registry::VersionRecord;

std::string Label(const std::string& model, int64_t version) {
  return "model \"" + model + "\" version " + std::to_string(version);
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Two loads with the same fingerprint would build the same servable.
std::string Fingerprint(const VersionRecord& record, ModelConfig config) {
  config.version_policy = VersionPolicy{};  // choosing versions does not change how one is loaded
  return std::to_string(record.id) + "/" + record.sha256 + "/" + ModelConfigToYaml(config);
}

}  // namespace

// ---- ServingSnapshot

Result<std::shared_ptr<const Servable>> ServingSnapshot::Resolve(std::string_view model,
                                                                 std::string_view version) const {
  auto it = models_.find(model);
  if (it == models_.end()) return NotFound("model \"" + std::string(model) + "\" is not served");
  const Model& m = it->second;
  const std::string name(model);
  const auto not_ready = [&](int64_t n) -> Status {
    auto nr = m.not_ready.find(n);
    if (nr == m.not_ready.end()) return NotFound(Label(name, n) + " is not served");
    return Unavailable(Label(name, n) + " is " + nr->second.first +
                       (nr->second.second.empty() ? "" : ": " + nr->second.second));
  };
  if (version.empty()) {
    if (!m.ready.empty()) return m.ready.rbegin()->second;
    if (m.not_ready.empty()) return NotFound("model \"" + name + "\" has no versions to serve");
    return not_ready(m.not_ready.rbegin()->first).WithContext("no version is READY yet");
  }
  if (AllDigits(version)) {
    if (version.size() > 18) return NotFound("model \"" + name + "\" has no version " + std::string(version));
    const int64_t n = std::stoll(std::string(version));
    if (auto r = m.ready.find(n); r != m.ready.end()) return r->second;
    return not_ready(n);
  }
  const std::string alias(version);
  if (auto a = m.aliases.find(alias); a != m.aliases.end())
    if (auto r = m.ready.find(a->second); r != m.ready.end()) return r->second;
  if (auto w = m.waiting_aliases.find(alias); w != m.waiting_aliases.end()) {
    Status s = not_ready(w->second);
    if (s.code() == StatusCode::kNotFound) s = Unavailable(Label(name, w->second) + " is not READY yet");
    return s.WithContext("alias \"" + alias + "\"");
  }
  return NotFound("model \"" + name + "\" has no alias \"" + alias + "\"");
}

std::vector<std::string> ServingSnapshot::ReadyModels() const {
  std::vector<std::string> out;
  for (const auto& [name, m] : models_)
    if (!m.ready.empty()) out.push_back(name);
  return out;
}

// ---- VersionTable

VersionTable::VersionTable(const ManagerOptions& options)
    : default_config_(options.default_config), config_overrides_(options.config_overrides) {
  served_.all = options.models.empty();
  served_.names.insert(options.models.begin(), options.models.end());
}

void VersionTable::Serve(const std::string& model, std::optional<std::string> config_json) {
  served_.names.insert(model);
  served_.excluded.erase(model);
  load_overrides_[model] = std::move(config_json);
  if (auto m = models_.find(model); m != models_.end())
    for (auto& [n, vs] : m->second.versions) vs.failed_fp.clear();
}

void VersionTable::Unserve(const std::string& model) {
  served_.names.erase(model);
  if (served_.all) served_.excluded.insert(model);
  load_overrides_.erase(model);
}

Result<ModelConfig> VersionTable::EffectiveConfig(const std::string& name, const VersionRecord& record) const {
  ModelConfig config = default_config_;
  if (!record.serving_config.empty()) {
    ASSIGN_OR_RETURN(config,
                     ParseModelConfigYaml(record.serving_config,
                                          name + ":" + std::to_string(record.number) + " serving.yaml", config));
  }
  if (auto it = config_overrides_.find(name); it != config_overrides_.end()) {
    ASSIGN_OR_RETURN(config, ParseModelConfigYaml(it->second, "--model-config " + name, config));
  }
  if (auto it = load_overrides_.find(name); it != load_overrides_.end() && it->second) {
    ASSIGN_OR_RETURN(config, ParseModelConfigJson(*it->second, "load request config for " + name, config));
  }
  return config;
}

void VersionTable::Retire(const std::string& name, VersionSlot& slot, TableChanges& out) {
  if (!slot.servable) return;
  draining_.push_back({name, slot.record.number, slot.servable});
  out.retired.push_back(std::move(slot.servable));
  slot.servable.reset();
  slot.servable_fp.clear();
  out.events.push_back({name, slot.record.number, "UNLOADING", ""});
}

void VersionTable::ConvergeModel(const std::string& name, ModelSlot& slot, const RegistryModel& reg,
                                 TableChanges& out) {
  // Versions gone from the registry go at once: their files are gone too.
  for (auto it = slot.versions.begin(); it != slot.versions.end();) {
    if (reg.versions.count(it->first)) {
      ++it;
      continue;
    }
    Retire(name, it->second, out);
    it = slot.versions.erase(it);  // a load in flight finds no slot and is dropped
  }
  if (reg.versions.empty()) {
    slot.aliases.clear();
    slot.waiting_aliases.clear();
    return;
  }
  // The newest version's config chooses which versions to serve.
  VersionPolicy policy = default_config_.version_policy;
  if (auto newest = EffectiveConfig(name, reg.versions.rbegin()->second); newest.ok()) policy = newest->version_policy;
  std::vector<int64_t> numbers;
  for (const auto& [n, r] : reg.versions) numbers.push_back(n);
  std::set<int64_t> desired;
  for (int64_t n : policy.Select(numbers)) desired.insert(n);
  for (const auto& [alias, n] : reg.aliases) desired.insert(n);

  bool all_ready = true;
  for (auto& [n, vs] : slot.versions) vs.desired = false;
  for (int64_t n : desired) {
    VersionSlot& vs = slot.versions[n];
    vs.record = reg.versions.at(n);
    vs.desired = true;
    auto config = EffectiveConfig(name, vs.record);
    if (!config.ok()) {
      const std::string fp = "config error: " + config.status().message();
      all_ready = false;
      if (vs.failed_fp != fp) {
        vs.failed_fp = fp;
        vs.reason = config.status().message();
        out.events.push_back({name, n, "UNAVAILABLE", vs.reason});
      }
      continue;
    }
    const std::string fp = Fingerprint(vs.record, *config);
    if (vs.servable && vs.servable_fp == fp) continue;
    all_ready = false;
    if (vs.loading || vs.failed_fp == fp) continue;  // in flight (even if stale), or failed as is
    vs.loading = true;
    vs.loading_fp = fp;
    out.loads.push_back(LoadTask{name, n, vs.record, std::move(*config), fp});
    out.events.push_back({name, n, "LOADING", ""});
  }

  // Aliases move only to READY versions; until then they stay where they were.
  std::map<std::string, int64_t> aliases, waiting;
  for (const auto& [alias, n] : reg.aliases) {
    auto target = slot.versions.find(n);
    if (target != slot.versions.end() && target->second.servable) {
      aliases[alias] = n;
      continue;
    }
    auto old = slot.aliases.find(alias);
    if (old != slot.aliases.end()) {
      auto was = slot.versions.find(old->second);
      if (was != slot.versions.end() && was->second.servable) {
        aliases[alias] = old->second;
        continue;
      }
    }
    waiting[alias] = n;
  }
  slot.aliases = std::move(aliases);
  slot.waiting_aliases = std::move(waiting);

  // Undesired versions: retire READY ones once every desired version is
  // READY, forget failed ones; loads in flight are judged when they finish.
  std::set<int64_t> keep = desired;
  for (const auto& [alias, n] : slot.aliases) keep.insert(n);
  for (auto it = slot.versions.begin(); it != slot.versions.end();) {
    VersionSlot& vs = it->second;
    if (keep.count(it->first) || vs.loading || (vs.servable && !all_ready)) {
      ++it;
      continue;
    }
    Retire(name, vs, out);
    it = slot.versions.erase(it);
  }
}

void VersionTable::Converge(TableChanges& out) {
  for (auto it = models_.begin(); it != models_.end();) {
    if (served_.Contains(it->first) && view_.count(it->first)) {
      ++it;
      continue;
    }
    for (auto& [n, vs] : it->second.versions) Retire(it->first, vs, out);
    it = models_.erase(it);
  }
  for (const auto& [name, reg] : view_)
    if (served_.Contains(name)) ConvergeModel(name, models_[name], reg, out);
}

VersionTable::VersionSlot* VersionTable::FindSlot(const std::string& model, int64_t version) {
  auto m = models_.find(model);
  if (m == models_.end()) return nullptr;
  auto v = m->second.versions.find(version);
  return v == m->second.versions.end() ? nullptr : &v->second;
}

bool VersionTable::Claim(const LoadTask& task) {
  VersionSlot* slot = FindSlot(task.model, task.version);
  if (slot && slot->desired && slot->loading && slot->loading_fp == task.fingerprint) return true;
  if (slot && slot->loading_fp == task.fingerprint) slot->loading = false;
  return false;
}

void VersionTable::Complete(const LoadTask& task, Result<LoadedVersion> loaded, TableChanges& out) {
  VersionSlot* slot = FindSlot(task.model, task.version);
  if (!slot || !slot->loading || slot->loading_fp != task.fingerprint) {
    if (loaded.ok()) out.retired.push_back(std::move(loaded->servable));  // nobody wants it any more
    return;
  }
  slot->loading = false;
  if (!loaded.ok()) {
    slot->failed_fp = task.fingerprint;
    slot->reason = loaded.status().message();
    out.events.push_back({task.model, task.version, "UNAVAILABLE", slot->reason});
    return;
  }
  if (slot->servable) out.retired.push_back(std::move(slot->servable));  // replaced by a reload
  slot->servable = std::move(loaded->servable);
  slot->servable_fp = task.fingerprint;
  slot->failed_fp.clear();
  slot->reason.clear();
  std::string note;
  for (const auto& w : loaded->warnings) note += (note.empty() ? "" : "; ") + w;
  out.events.push_back({task.model, task.version, "READY", note});
}

void VersionTable::RetireAll(TableChanges& out) {
  for (auto& [name, slot] : models_)
    for (auto& [n, vs] : slot.versions) Retire(name, vs, out);
  models_.clear();
}

void VersionTable::PruneDrained(TableChanges& out) {
  for (auto it = draining_.begin(); it != draining_.end();) {
    if (!it->servable.expired()) {
      ++it;
      continue;
    }
    out.events.push_back({it->model, it->version, "UNLOADED", ""});
    it = draining_.erase(it);
  }
}

std::shared_ptr<const ServingSnapshot> VersionTable::Snapshot() const {
  auto snap = std::make_shared<ServingSnapshot>();
  for (const auto& [name, slot] : models_) {
    ServingSnapshot::Model& m = snap->models_[name];
    for (const auto& [n, vs] : slot.versions) {
      if (vs.servable)
        m.ready[n] = vs.servable;
      else if (vs.loading)
        m.not_ready[n] = {"LOADING", ""};
      else if (!vs.failed_fp.empty())
        m.not_ready[n] = {"UNAVAILABLE", vs.reason};
    }
    m.aliases = slot.aliases;
    m.waiting_aliases = slot.waiting_aliases;
  }
  return snap;
}

std::vector<IndexEntry> VersionTable::Index(bool ready_only) const {
  std::map<std::pair<std::string, int64_t>, IndexEntry> entries;
  for (const auto& d : draining_)
    if (!d.servable.expired()) entries[{d.model, d.version}] = {d.model, std::to_string(d.version), "UNLOADING", ""};
  for (const auto& [name, slot] : models_)
    for (const auto& [n, vs] : slot.versions) {
      if (vs.servable)
        entries[{name, n}] = {name, std::to_string(n), "READY", ""};
      else if (vs.loading)
        entries[{name, n}] = {name, std::to_string(n), "LOADING", ""};
      else if (!vs.failed_fp.empty())
        entries[{name, n}] = {name, std::to_string(n), "UNAVAILABLE", vs.reason};
    }
  std::vector<IndexEntry> out;
  for (auto& [key, e] : entries)
    if (!ready_only || e.state == "READY") out.push_back(std::move(e));
  return out;
}

bool VersionTable::Loading(const std::string& model) const {
  auto m = models_.find(model);
  if (m == models_.end()) return false;
  for (const auto& [n, vs] : m->second.versions)
    if (vs.loading) return true;
  return false;
}

Status VersionTable::Outcome(const std::string& model) const {
  auto m = models_.find(model);
  if (m == models_.end() || m->second.versions.empty())
    return NotFound("model \"" + model + "\" has no versions to serve");
  std::string failures;
  bool any_ready = false;
  for (const auto& [n, vs] : m->second.versions) {
    if (vs.servable) any_ready = true;
    if (vs.desired && !vs.failed_fp.empty())
      failures += (failures.empty() ? "" : "; ") + Label(model, n) + ": " + vs.reason;
  }
  if (!failures.empty()) return Unavailable(failures + (any_ready ? " (the versions that loaded are served)" : ""));
  return Status::Ok();
}

}  // namespace inferd::serving
