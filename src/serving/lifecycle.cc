#include "serving/lifecycle.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "registry/registry.h"
#include "serving/version_loader.h"
#include "serving/version_table.h"

// How the manager works. The decisions live in VersionTable (no threads, no
// I/O); this file owns the threads and the lock around it:
//   - the manager thread reads the registry (its own Registry) every
//     poll_interval_ms or when poked, applies load/unload commands, and
//     converges the table;
//   - load threads (each with its own Registry) take LoadTasks, run
//     LoadVersion without the lock and report back, converging again;
//   - every change publishes the table's fresh snapshot with one atomic
//     store; Acquire reads it with one atomic load.
// on_state callbacks and the release of retired servables (whose
// destructors drain) always happen after `mu` is released.

namespace inferd::serving {
namespace {

struct Command {
  enum class Kind { kLoad, kUnload } kind;
  uint64_t id = 0;
  std::string model;
  std::optional<std::string> config_json;
};

}  // namespace

struct ModelManager::Impl {
  explicit Impl(ManagerOptions o) : options(std::move(o)), table(options) {}

  ManagerOptions options;
  std::unique_ptr<registry::Registry> registry;  // the manager thread's own

  mutable std::mutex mu;
  std::condition_variable manager_cv;          // wakes the manager thread
  std::condition_variable load_cv;             // wakes load threads
  mutable std::condition_variable waiters_cv;  // wakes Load/Unload/WaitForPending
  bool stop = false;

  VersionTable table;
  std::deque<LoadTask> load_queue;
  int pending_loads = 0;  // queued + running
  int releasing = 0;      // threads in Finish (firing events, dropping servables)
  std::vector<VersionEvent> pending_events;
  std::deque<Command> commands;
  std::map<uint64_t, Status> command_results;
  uint64_t next_command = 1;
  uint64_t sync_requested = 0, sync_done = 0;
  bool first_pass_done = false;

  std::atomic<std::shared_ptr<const ServingSnapshot>> snapshot{std::make_shared<const ServingSnapshot>()};

  std::map<std::string, RegistryModel> cache;  // manager thread only

  std::thread manager;
  std::vector<std::thread> loaders;
  std::mutex stop_mu;
  bool stopped = false;
  mutable std::mutex fire_mu;

  // Under `mu`: converge, queue the loads it asked for, publish.
  void Converge(TableChanges& changes) {
    table.Converge(changes);
    for (auto& task : changes.loads) {
      load_queue.push_back(std::move(task));
      ++pending_loads;
      load_cv.notify_one();
    }
    changes.loads.clear();
    snapshot.store(table.Snapshot());
  }

  // Called with `lk` held after a change: fires the events (in the order
  // the changes were made, whichever thread made them) and drops the retired
  // servables without `mu`, then wakes waiters, who wait for `releasing` to
  // reach 0 so they see the log and the drop.
  void Finish(std::unique_lock<std::mutex>& lk, TableChanges& changes) {
    pending_events.insert(pending_events.end(), changes.events.begin(), changes.events.end());
    changes.events.clear();
    ++releasing;
    lk.unlock();
    {
      std::lock_guard<std::mutex> order(fire_mu);
      std::vector<VersionEvent> batch;
      {
        std::lock_guard<std::mutex> l(mu);
        batch.swap(pending_events);
      }
      Fire(batch);
    }
    changes.retired.clear();
    lk.lock();
    --releasing;
    waiters_cv.notify_all();
  }

  // Under fire_mu (so on_state calls never overlap), never under `mu`.
  void Fire(const std::vector<VersionEvent>& events) const {
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

  // Under `mu`, after a registry read.
  Status Apply(const Command& c, const Status& read) {
    if (!read.ok()) return read.WithContext("reading the registry");
    if (c.kind == Command::Kind::kLoad) {
      if (!table.InRegistry(c.model))
        return NotFound("no model named \"" + c.model + "\" in the registry at \"" + options.registry_root + "\"");
      table.Serve(c.model, c.config_json);
      return Status::Ok();
    }
    if (!table.served().Contains(c.model) || !table.Tracked(c.model))
      return NotFound("model \"" + c.model + "\" is not loaded");
    table.Unserve(c.model);
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
      const ServedSet served = table.served();
      lk.unlock();

      const Status read =
          ReadRegistry([&](const std::string& name) { return loading_now.count(name) > 0 || served.Contains(name); });

      TableChanges changes;
      lk.lock();
      if (read.ok()) table.SetView(cache);
      for (auto& c : cmds) command_results[c.id] = Apply(c, read);
      Converge(changes);
      table.PruneDrained(changes);
      sync_done = gen;
      first_pass_done = true;
      next_poll = std::chrono::steady_clock::now() + interval;
      Finish(lk, changes);
    }
  }

  void LoadLoop() {
    std::unique_ptr<registry::Registry> reg;  // this thread's own
    std::unique_lock<std::mutex> lk(mu);
    while (true) {
      load_cv.wait(lk, [&] { return stop || !load_queue.empty(); });
      if (stop) return;
      LoadTask task = std::move(load_queue.front());
      load_queue.pop_front();
      TableChanges changes;
      if (!table.Claim(task)) {  // no longer wanted while it queued
        --pending_loads;
        Converge(changes);
        Finish(lk, changes);
        continue;
      }
      lk.unlock();

      Result<LoadedVersion> loaded = Unavailable("not loaded");
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
      table.Complete(task, std::move(loaded), changes);
      --pending_loads;
      Converge(changes);
      Finish(lk, changes);
    }
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

  registry::RegistryOptions ro;
  ro.root = options.registry_root;
  ro.create = true;  // a fresh machine serves an empty registry until models are pushed
  ASSIGN_OR_RETURN(auto reg, registry::Registry::Open(ro));
  auto impl = std::make_unique<Impl>(std::move(options));
  impl->registry = std::move(reg);
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
  TableChanges changes;
  {
    std::lock_guard<std::mutex> lk(d.mu);
    d.table.RetireAll(changes);
    d.load_queue.clear();
    d.pending_loads = 0;
    d.snapshot.store(d.table.Snapshot());
    d.stopped = true;
  }
  d.waiters_cv.notify_all();
  {
    std::lock_guard<std::mutex> order(d.fire_mu);
    d.Fire(d.pending_events);
    d.Fire(changes.events);
  }
  changes.retired.clear();
  d.registry.reset();
}

Result<std::shared_ptr<const Servable>> ModelManager::Acquire(std::string_view model, std::string_view version) const {
  return impl_->snapshot.load()->Resolve(model, version);
}

std::vector<IndexEntry> ModelManager::Index(bool ready_only) const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->table.Index(ready_only);
}

std::vector<std::string> ModelManager::ReadyModels() const { return impl_->snapshot.load()->ReadyModels(); }

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
  d.waiters_cv.wait(lk, [&] { return d.stop || (d.sync_done >= gen && !d.table.Loading(model) && d.releasing == 0); });
  if (d.stop) return Unavailable("the model manager is stopping");
  return d.table.Outcome(model);
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
