#include "serving/lifecycle.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include "registry/registry.h"
#include "serving/version_loader.h"

// How the manager works. All control-plane state lives in Impl under `mu`:
// the last registry view, one ModelSlot per served model with a VersionSlot
// per version it knows, the load queue and the pending commands. Converge()
// (under `mu`) turns view + slots into decisions: loads to queue, aliases to
// move, versions to retire; then it publishes a fresh immutable Snapshot
// that Acquire() reads without any lock. It runs after every registry pass
// (manager thread) and after every finished load (load threads).
// Callbacks (on_state) and Servable destructors (which drain) always run
// after `mu` is released.

namespace inferd::serving {
namespace {

using registry::VersionRecord;

struct VersionSlot {
  VersionRecord record;
  bool desired = false;
  std::shared_ptr<const Servable> servable;  // READY when set
  std::string servable_fp;                   // what it was loaded from
  bool loading = false;
  std::string loading_fp;
  std::string failed_fp;  // a load of exactly this failed; not retried until it changes
  std::string reason;
};

struct ModelSlot {
  std::map<int64_t, VersionSlot> versions;
  std::map<std::string, int64_t> aliases;          // effective: target READY
  std::map<std::string, int64_t> waiting_aliases;  // registry alias whose target is not READY, nothing older to keep
};

struct RegistryModel {
  std::string fingerprint;  // of the summary: re-read the versions when it changes
  std::map<int64_t, VersionRecord> versions;
  std::map<std::string, int64_t> aliases;
};

struct Draining {
  std::string model;
  int64_t version;
  std::weak_ptr<const Servable> servable;
};

struct Event {
  std::string model;
  int64_t version;
  std::string state, reason;
};

struct LoadTask {
  std::string model;
  int64_t version;
  VersionRecord record;
  ModelConfig config;
  std::string fp;
};

struct Command {
  enum class Kind { kLoad, kUnload } kind;
  uint64_t id = 0;
  std::string model;
  std::optional<std::string> config_json;
};

struct Snapshot {
  struct Model {
    std::map<int64_t, std::shared_ptr<const Servable>> ready;
    std::map<std::string, int64_t> aliases;
    std::map<std::string, int64_t> waiting_aliases;
    std::map<int64_t, std::pair<std::string, std::string>> not_ready;  // state, reason
  };
  std::map<std::string, Model, std::less<>> models;
};

std::string Label(const std::string& model, int64_t version) {
  return "model \"" + model + "\" version " + std::to_string(version);
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

struct ModelManager::Impl {
  ManagerOptions options;
  std::unique_ptr<registry::Registry> registry;  // the manager thread's own

  mutable std::mutex mu;
  std::condition_variable manager_cv;        // wakes the manager thread
  std::condition_variable load_cv;           // wakes load threads
  mutable std::condition_variable waiters_cv;  // wakes Load/Unload/WaitForPending
  bool stop = false;

  bool serve_all = true;
  std::set<std::string> served;    // explicit (options.models, Load)
  std::set<std::string> excluded;  // Unload while serving all
  std::map<std::string, std::optional<std::string>> load_overrides;  // JSON from Load()
  std::map<std::string, RegistryModel> view;
  std::map<std::string, ModelSlot> models;
  std::vector<Draining> draining;
  std::deque<LoadTask> load_queue;
  int pending_loads = 0;  // queued + running
  int releasing = 0;      // threads in Finish (firing events, dropping servables)
  std::vector<Event> pending_events;
  std::deque<Command> commands;
  std::map<uint64_t, Status> command_results;
  uint64_t next_command = 1;
  uint64_t sync_requested = 0, sync_done = 0;
  bool first_pass_done = false;

  std::atomic<std::shared_ptr<const Snapshot>> snapshot{std::make_shared<const Snapshot>()};

  // Manager-thread only.
  std::map<std::string, RegistryModel> cache;

  std::thread manager;
  std::vector<std::thread> loaders;
  std::mutex stop_mu;
  bool stopped = false;
  mutable std::mutex fire_mu;

  bool Served(const std::string& name) const {
    return serve_all ? excluded.count(name) == 0 : served.count(name) > 0;
  }

  Result<ModelConfig> EffectiveConfig(const std::string& name, const VersionRecord& record) const {
    ModelConfig config = options.default_config;
    if (!record.serving_config.empty()) {
      ASSIGN_OR_RETURN(config, ParseModelConfigYaml(record.serving_config,
                                                    name + ":" + std::to_string(record.number) + " serving.yaml",
                                                    config));
    }
    if (auto it = options.config_overrides.find(name); it != options.config_overrides.end()) {
      ASSIGN_OR_RETURN(config, ParseModelConfigYaml(it->second, "--model-config " + name, config));
    }
    if (auto it = load_overrides.find(name); it != load_overrides.end() && it->second) {
      ASSIGN_OR_RETURN(config, ParseModelConfigJson(*it->second, "load request config for " + name, config));
    }
    return config;
  }

  static std::string Fingerprint(const VersionRecord& record, ModelConfig config) {
    config.version_policy = VersionPolicy{};  // choosing versions does not change how one is loaded
    return std::to_string(record.id) + "/" + record.sha256 + "/" + ModelConfigToYaml(config);
  }

  void Enqueue(const std::string& name, VersionSlot& slot, ModelConfig config, std::string fp,
               std::vector<Event>& events) {
    slot.loading = true;
    slot.loading_fp = fp;
    load_queue.push_back(LoadTask{name, slot.record.number, slot.record, std::move(config), std::move(fp)});
    ++pending_loads;
    load_cv.notify_one();
    events.push_back({name, slot.record.number, "LOADING", ""});
  }

  void Retire(const std::string& name, VersionSlot& slot, std::vector<std::shared_ptr<const Servable>>& retired,
              std::vector<Event>& events) {
    if (!slot.servable) return;
    draining.push_back({name, slot.record.number, slot.servable});
    retired.push_back(std::move(slot.servable));
    slot.servable.reset();
    slot.servable_fp.clear();
    events.push_back({name, slot.record.number, "UNLOADING", ""});
  }

  void ConvergeModel(const std::string& name, ModelSlot& slot, const RegistryModel& reg,
                     std::vector<std::shared_ptr<const Servable>>& retired, std::vector<Event>& events) {
    // Versions gone from the registry go at once: their files are gone too.
    for (auto it = slot.versions.begin(); it != slot.versions.end();) {
      if (reg.versions.count(it->first)) {
        ++it;
        continue;
      }
      Retire(name, it->second, retired, events);
      it = slot.versions.erase(it);  // a load in flight finds no slot and is dropped
    }
    if (reg.versions.empty()) {
      slot.aliases.clear();
      slot.waiting_aliases.clear();
      return;
    }
    // The newest version's config chooses which versions to serve.
    VersionPolicy policy = options.default_config.version_policy;
    if (auto newest = EffectiveConfig(name, reg.versions.rbegin()->second); newest.ok())
      policy = newest->version_policy;
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
          events.push_back({name, n, "UNAVAILABLE", vs.reason});
        }
        continue;
      }
      const std::string fp = Fingerprint(vs.record, *config);
      if (vs.servable && vs.servable_fp == fp) continue;
      all_ready = false;
      if (vs.loading || vs.failed_fp == fp) continue;  // in flight (even if stale), or failed as is
      Enqueue(name, vs, std::move(*config), fp, events);
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
    // READY (so a failing or slow new version never leaves a gap), forget
    // failed ones; loads in flight are judged when they finish.
    std::set<int64_t> keep = desired;
    for (const auto& [alias, n] : slot.aliases) keep.insert(n);
    for (auto it = slot.versions.begin(); it != slot.versions.end();) {
      VersionSlot& vs = it->second;
      if (keep.count(it->first) || vs.loading || (vs.servable && !all_ready)) {
        ++it;
        continue;
      }
      Retire(name, vs, retired, events);
      it = slot.versions.erase(it);
    }
  }

  // Under `mu`. Converges every model against the view and publishes.
  void Converge(std::vector<std::shared_ptr<const Servable>>& retired, std::vector<Event>& events) {
    for (auto it = models.begin(); it != models.end();) {
      auto reg = view.find(it->first);
      if (Served(it->first) && reg != view.end()) {
        ++it;
        continue;
      }
      for (auto& [n, vs] : it->second.versions) Retire(it->first, vs, retired, events);
      it = models.erase(it);
    }
    for (const auto& [name, reg] : view)
      if (Served(name)) ConvergeModel(name, models[name], reg, retired, events);
    Publish();
  }

  void Publish() {
    auto snap = std::make_shared<Snapshot>();
    for (const auto& [name, slot] : models) {
      Snapshot::Model& m = snap->models[name];
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
    snapshot.store(std::shared_ptr<const Snapshot>(std::move(snap)));
  }

  void PruneDraining(std::vector<Event>& events) {
    for (auto it = draining.begin(); it != draining.end();) {
      if (!it->servable.expired()) {
        ++it;
        continue;
      }
      events.push_back({it->model, it->version, "UNLOADED", ""});
      it = draining.erase(it);
    }
  }

  // Called with `lk` held after a change: fires the events (in the order
  // the changes were made, whichever thread made them) and drops the retired
  // servables (whose destructors drain) without `mu`, then wakes waiters,
  // who wait for `releasing` to reach 0 so they see the log and the drop.
  void Finish(std::unique_lock<std::mutex>& lk, std::vector<Event>& events,
              std::vector<std::shared_ptr<const Servable>>& retired) {
    pending_events.insert(pending_events.end(), events.begin(), events.end());
    events.clear();
    ++releasing;
    lk.unlock();
    {
      std::lock_guard<std::mutex> order(fire_mu);
      std::vector<Event> batch;
      {
        std::lock_guard<std::mutex> l(mu);
        batch.swap(pending_events);
      }
      Fire(batch);
    }
    retired.clear();
    lk.lock();
    --releasing;
    waiters_cv.notify_all();
  }

  // Under fire_mu (so on_state calls never overlap), never under `mu`.
  void Fire(const std::vector<Event>& events) const {
    if (!options.on_state) return;
    for (const auto& e : events) options.on_state(e.model, e.version, e.state, e.reason);
  }

  // Manager thread, without `mu`: reads the summaries, and the versions of
  // each wanted model whose summary changed.
  Status ReadRegistry(const std::function<bool(const std::string&)>& wanted) {
    ASSIGN_OR_RETURN(auto list, registry->List());
    std::map<std::string, RegistryModel> next;
    for (const auto& m : list) {
      if (!wanted(m.name)) continue;
      std::string fp = std::to_string(m.num_versions) + "/" + std::to_string(m.latest) + "/" + m.updated_at;
      for (const auto& [a, n] : m.aliases) fp += "/" + a + "=" + std::to_string(n);
      auto cached = cache.find(m.name);
      if (cached != cache.end() && cached->second.fingerprint == fp) {
        next[m.name] = std::move(cached->second);
        continue;
      }
      ASSIGN_OR_RETURN(auto versions, registry->Versions(m.name));
      RegistryModel& r = next[m.name];
      r.fingerprint = fp;
      for (auto& v : versions) {
        for (const auto& a : v.aliases) r.aliases[a] = v.number;
        r.versions[v.number] = std::move(v);
      }
    }
    cache = std::move(next);
    return Status::Ok();
  }

  void ManagerLoop() {
    std::unique_lock<std::mutex> lk(mu);
    uint64_t seen = 0;
    const auto interval = std::chrono::milliseconds(options.poll_interval_ms);
    auto next_poll = std::chrono::steady_clock::now();
    while (!stop) {
      const auto ready = [&] {
        return stop || sync_requested > seen || !commands.empty() ||
               (options.poll_interval_ms > 0 && std::chrono::steady_clock::now() >= next_poll);
      };
      if (options.poll_interval_ms > 0)
        manager_cv.wait_until(lk, next_poll, ready);
      else
        manager_cv.wait(lk, ready);
      if (stop) break;
      const uint64_t gen = sync_requested;
      seen = gen;
      std::deque<Command> cmds;
      cmds.swap(commands);
      std::set<std::string> loading_now;
      for (const auto& c : cmds)
        if (c.kind == Command::Kind::kLoad) loading_now.insert(c.model);
      const bool all = serve_all;
      const std::set<std::string> served_copy = served, excluded_copy = excluded;
      lk.unlock();

      const Status read = ReadRegistry([&](const std::string& name) {
        return loading_now.count(name) || (all ? excluded_copy.count(name) == 0 : served_copy.count(name) > 0);
      });

      std::vector<std::shared_ptr<const Servable>> retired;
      std::vector<Event> events;
      lk.lock();
      if (read.ok()) view = cache;
      for (auto& c : cmds) command_results[c.id] = Apply(c, read);
      Converge(retired, events);
      PruneDraining(events);
      sync_done = gen;
      first_pass_done = true;
      next_poll = std::chrono::steady_clock::now() + interval;
      Finish(lk, events, retired);
    }
  }

  // Under `mu`, after a registry read.
  Status Apply(const Command& c, const Status& read) {
    if (!read.ok()) return read.WithContext("reading the registry");
    if (c.kind == Command::Kind::kLoad) {
      if (!view.count(c.model))
        return NotFound("no model named \"" + c.model + "\" in the registry at \"" + options.registry_root + "\"");
      served.insert(c.model);
      excluded.erase(c.model);
      load_overrides[c.model] = c.config_json;
      // An explicit load retries what failed before.
      if (auto m = models.find(c.model); m != models.end())
        for (auto& [n, vs] : m->second.versions) vs.failed_fp.clear();
      return Status::Ok();
    }
    if (!Served(c.model) || !models.count(c.model))
      return NotFound("model \"" + c.model + "\" is not loaded");
    served.erase(c.model);
    if (serve_all) excluded.insert(c.model);
    load_overrides.erase(c.model);
    return Status::Ok();
  }

  void LoadLoop() {
    std::unique_ptr<registry::Registry> reg;  // this thread's own
    std::unique_lock<std::mutex> lk(mu);
    while (true) {
      load_cv.wait(lk, [&] { return stop || !load_queue.empty(); });
      if (stop) return;
      LoadTask task = std::move(load_queue.front());
      load_queue.pop_front();
      std::vector<std::shared_ptr<const Servable>> retired;
      std::vector<Event> events;
      // Skip a task whose version stopped being wanted while it queued.
      VersionSlot* slot = FindSlot(task.model, task.version);
      if (!slot || !slot->desired || !slot->loading || slot->loading_fp != task.fp) {
        if (slot && slot->loading_fp == task.fp) slot->loading = false;
        --pending_loads;
        Converge(retired, events);
        Finish(lk, events, retired);
        continue;
      }
      lk.unlock();

      Result<LoadedVersion> loaded = Status(StatusCode::kUnknown, "");
      if (!reg) {
        registry::RegistryOptions ro;
        ro.root = options.registry_root;
        ro.create = true;
        auto opened = registry::Registry::Open(ro);
        if (opened.ok())
          reg = std::move(*opened);
        else
          loaded = opened.status().WithContext("opening the registry");
      }
      if (reg) loaded = LoadVersion(*reg, task.record, task.config);

      lk.lock();
      slot = FindSlot(task.model, task.version);
      if (slot && slot->loading && slot->loading_fp == task.fp) {
        slot->loading = false;
        if (loaded.ok()) {
          if (slot->servable) retired.push_back(std::move(slot->servable));  // replaced by a reload
          slot->servable = loaded->servable;
          slot->servable_fp = task.fp;
          slot->failed_fp.clear();
          slot->reason.clear();
          std::string note;
          for (const auto& w : loaded->warnings) note += (note.empty() ? "" : "; ") + w;
          events.push_back({task.model, task.version, "READY", note});
        } else {
          slot->failed_fp = task.fp;
          slot->reason = loaded.status().message();
          events.push_back({task.model, task.version, "UNAVAILABLE", slot->reason});
        }
      } else if (loaded.ok()) {
        retired.push_back(loaded->servable);  // nobody wants it any more
      }
      loaded = Status(StatusCode::kUnknown, "");
      --pending_loads;
      Converge(retired, events);
      Finish(lk, events, retired);
    }
  }

  VersionSlot* FindSlot(const std::string& model, int64_t version) {
    auto m = models.find(model);
    if (m == models.end()) return nullptr;
    auto v = m->second.versions.find(version);
    return v == m->second.versions.end() ? nullptr : &v->second;
  }

  bool ModelLoading(const std::string& model) const {
    auto m = models.find(model);
    if (m == models.end()) return false;
    for (const auto& [n, vs] : m->second.versions)
      if (vs.loading) return true;
    return false;
  }

  // Posts a command and waits until the manager applied it; returns its
  // status and the sync generation it was applied in.
  Status RunCommand(Command c, std::unique_lock<std::mutex>& lk, uint64_t* gen) {
    if (stop) return Unavailable("the model manager is stopping");
    c.id = next_command++;
    const uint64_t id = c.id;
    commands.push_back(std::move(c));
    *gen = ++sync_requested;
    manager_cv.notify_all();
    waiters_cv.wait(lk, [&] { return stop || command_results.count(id); });
    if (!command_results.count(id)) return Unavailable("the model manager is stopping");
    Status s = command_results[id];
    command_results.erase(id);
    return s;
  }
};

Servable::~Servable() {
  // Finish queued and in-flight work before the model and batcher go away.
  if (batcher) batcher->Drain();
}

ModelManager::ModelManager(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ModelManager::~ModelManager() { Stop(); }

Result<std::unique_ptr<ModelManager>> ModelManager::Start(ManagerOptions options) {
  if (options.registry_root.empty()) return InvalidArgument("model manager: no registry folder given");
  if (options.poll_interval_ms < 0)
    return InvalidArgument("model manager: poll interval must be 0 (off) or more, got " +
                           std::to_string(options.poll_interval_ms));
  if (options.load_threads < 1 || options.load_threads > 64)
    return InvalidArgument("model manager: load threads must be 1 to 64, got " + std::to_string(options.load_threads));
  // Check the overrides now, so a typo fails the start, not every load.
  for (const auto& [name, yaml] : options.config_overrides) {
    if (Status s = registry::ValidateModelName(name); !s.ok()) return s.WithContext("--model-config");
    auto parsed = ParseModelConfigYaml(yaml, "--model-config " + name, options.default_config);
    if (!parsed.ok()) return parsed.status();
  }
  for (const auto& name : options.models) RETURN_IF_ERROR(registry::ValidateModelName(name));

  auto impl = std::make_unique<Impl>();
  registry::RegistryOptions ro;
  ro.root = options.registry_root;
  ro.create = true;  // a fresh machine serves an empty registry until models are pushed
  ASSIGN_OR_RETURN(impl->registry, registry::Registry::Open(ro));
  impl->serve_all = options.models.empty();
  impl->served.insert(options.models.begin(), options.models.end());
  impl->options = std::move(options);
  impl->sync_requested = 1;  // the first pass
  Impl* raw = impl.get();
  std::unique_ptr<ModelManager> manager(new ModelManager(std::move(impl)));
  for (int i = 0; i < raw->options.load_threads; ++i) raw->loaders.emplace_back([raw] { raw->LoadLoop(); });
  raw->manager = std::thread([raw] { raw->ManagerLoop(); });
  return manager;
}

void ModelManager::Stop() {
  Impl& d = *impl_;
  std::lock_guard<std::mutex> once(d.stop_mu);
  if (d.stopped) return;
  {
    std::lock_guard<std::mutex> lk(d.mu);
    d.stop = true;
  }
  d.manager_cv.notify_all();
  d.load_cv.notify_all();
  d.waiters_cv.notify_all();
  if (d.manager.joinable()) d.manager.join();
  for (auto& t : d.loaders)
    if (t.joinable()) t.join();
  std::vector<std::shared_ptr<const Servable>> retired;
  std::vector<Event> events;
  {
    std::lock_guard<std::mutex> lk(d.mu);
    for (auto& [name, slot] : d.models)
      for (auto& [n, vs] : slot.versions) d.Retire(name, vs, retired, events);
    d.models.clear();
    d.load_queue.clear();
    d.pending_loads = 0;
    d.Publish();
    d.stopped = true;
  }
  d.waiters_cv.notify_all();
  {
    std::lock_guard<std::mutex> order(d.fire_mu);
    d.Fire(d.pending_events);
    d.Fire(events);
  }
  retired.clear();
  d.registry.reset();
}

Result<std::shared_ptr<const Servable>> ModelManager::Acquire(std::string_view model, std::string_view version) const {
  const std::shared_ptr<const Snapshot> snap = impl_->snapshot.load();
  auto it = snap->models.find(model);
  if (it == snap->models.end()) return NotFound("model \"" + std::string(model) + "\" is not served");
  const Snapshot::Model& m = it->second;
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
  if (auto a = m.aliases.find(std::string(version)); a != m.aliases.end()) {
    if (auto r = m.ready.find(a->second); r != m.ready.end()) return r->second;
  }
  if (auto w = m.waiting_aliases.find(std::string(version)); w != m.waiting_aliases.end()) {
    Status s = not_ready(w->second);
    if (s.code() == StatusCode::kNotFound) s = Unavailable(Label(name, w->second) + " is not READY yet");
    return s.WithContext("alias \"" + std::string(version) + "\"");
  }
  return NotFound("model \"" + name + "\" has no alias \"" + std::string(version) + "\"");
}

std::vector<IndexEntry> ModelManager::Index(bool ready_only) const {
  const Impl& d = *impl_;
  std::lock_guard<std::mutex> lk(d.mu);
  std::map<std::pair<std::string, int64_t>, IndexEntry> entries;
  for (const auto& dr : d.draining)
    if (!dr.servable.expired())
      entries[{dr.model, dr.version}] = {dr.model, std::to_string(dr.version), "UNLOADING", ""};
  for (const auto& [name, slot] : d.models)
    for (const auto& [n, vs] : slot.versions) {
      IndexEntry e{name, std::to_string(n), "", ""};
      if (vs.servable)
        e.state = "READY";
      else if (vs.loading)
        e.state = "LOADING";
      else if (!vs.failed_fp.empty())
        e = {name, std::to_string(n), "UNAVAILABLE", vs.reason};
      else
        continue;
      entries[{name, n}] = e;
    }
  std::vector<IndexEntry> out;
  for (auto& [key, e] : entries)
    if (!ready_only || e.state == "READY") out.push_back(std::move(e));
  return out;
}

std::vector<std::string> ModelManager::ReadyModels() const {
  const std::shared_ptr<const Snapshot> snap = impl_->snapshot.load();
  std::vector<std::string> out;
  for (const auto& [name, m] : snap->models)
    if (!m.ready.empty()) out.push_back(name);
  return out;
}

bool ModelManager::Settled() const {
  const Impl& d = *impl_;
  std::lock_guard<std::mutex> lk(d.mu);
  return d.first_pass_done && d.pending_loads == 0 && d.commands.empty();
}

bool ModelManager::WaitForPending(std::chrono::milliseconds timeout) const {
  Impl& d = *impl_;
  std::unique_lock<std::mutex> lk(d.mu);
  if (d.stop) return false;
  // Look at the registry once more, so what was pushed before this call counts.
  const uint64_t gen = ++d.sync_requested;
  d.manager_cv.notify_all();
  const bool ok = d.waiters_cv.wait_for(lk, timeout, [&] {
    return d.stop || (d.sync_done >= gen && d.pending_loads == 0 && d.commands.empty() && d.releasing == 0);
  });
  return ok && !d.stop;
}

Status ModelManager::Load(const std::string& model, std::optional<std::string> config_json) {
  RETURN_IF_ERROR(registry::ValidateModelName(model));
  Impl& d = *impl_;
  if (config_json) {
    // Checked here so a bad override is the caller's error, not a failed version.
    ModelConfig base = d.options.default_config;
    if (auto it = d.options.config_overrides.find(model); it != d.options.config_overrides.end()) {
      auto with = ParseModelConfigYaml(it->second, "--model-config " + model, base);
      if (with.ok()) base = *with;
    }
    auto parsed = ParseModelConfigJson(*config_json, "load request config for " + model, base);
    if (!parsed.ok()) return parsed.status();
  }
  std::unique_lock<std::mutex> lk(d.mu);
  Command c;
  c.kind = Command::Kind::kLoad;
  c.model = model;
  c.config_json = std::move(config_json);
  uint64_t gen = 0;
  RETURN_IF_ERROR(d.RunCommand(std::move(c), lk, &gen));
  d.waiters_cv.wait(lk,
                    [&] { return d.stop || (d.sync_done >= gen && !d.ModelLoading(model) && d.releasing == 0); });
  if (d.stop) return Unavailable("the model manager is stopping");
  auto m = d.models.find(model);
  if (m == d.models.end() || m->second.versions.empty())
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

Status ModelManager::Unload(const std::string& model) {
  RETURN_IF_ERROR(registry::ValidateModelName(model));
  Impl& d = *impl_;
  std::unique_lock<std::mutex> lk(d.mu);
  Command c;
  c.kind = Command::Kind::kUnload;
  c.model = model;
  uint64_t gen = 0;
  return d.RunCommand(std::move(c), lk, &gen);
}

void ModelManager::Poke() {
  Impl& d = *impl_;
  std::lock_guard<std::mutex> lk(d.mu);
  ++d.sync_requested;
  d.manager_cv.notify_all();
}

}  // namespace inferd::serving
