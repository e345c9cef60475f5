// VersionTable: the ModelManager's bookkeeping and decisions, without
// threads or I/O. From the registry's view (versions and aliases per model)
// and the served set it decides which versions to load, where each alias
// may point (only at READY versions), and which versions to retire; and it
// builds the immutable ServingSnapshot that Acquire() reads.
//
// Rules it keeps:
//   - desired versions = the newest version's version_policy applied to the
//     registry's versions, plus every aliased version;
//   - an alias moves to its new target only once that target is READY;
//   - a READY version no longer desired is retired only once every desired
//     version is READY (a slow or failing new version never leaves a gap),
//     except when it is gone from the registry (its file is gone too);
//   - a failed load is not retried until its record or config changes, or
//     Serve() is called again (the load API).
//
// Not thread-safe: the ModelManager calls it under its own mutex. The
// snapshots it builds are immutable and safe to share across threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "registry/types.h"
#include "serving/lifecycle.h"
#include "serving/version_loader.h"

namespace inferd::serving {

// What the registry holds for one model.
struct RegistryModel {
  std::string fingerprint;  // of the model's summary: the versions are re-read when it changes
  std::map<int64_t, registry::VersionRecord> versions;
  std::map<std::string, int64_t> aliases;
};

struct LoadTask {
  std::string model;
  int64_t version = 0;
  registry::VersionRecord record;
  ModelConfig config;
  std::string fingerprint;  // record + config it loads
};

struct VersionEvent {
  std::string model;
  int64_t version = 0;
  std::string state;  // LOADING, READY, UNAVAILABLE, UNLOADING, UNLOADED (drained and freed)
  std::string reason;
};

// What a call decided, for the caller to act on outside its lock.
struct TableChanges {
  std::vector<LoadTask> loads;
  std::vector<std::shared_ptr<const Servable>> retired;  // drop without the lock
  std::vector<VersionEvent> events;
};

// Which models are served: every model in the registry but those unloaded,
// or an explicit list.
struct ServedSet {
  bool all = true;
  std::set<std::string> names;     // when !all
  std::set<std::string> excluded;  // when all
  bool Contains(const std::string& name) const { return all ? excluded.count(name) == 0 : names.count(name) > 0; }
};

class ServingSnapshot {
 public:
  // See ModelManager::Acquire.
  Result<std::shared_ptr<const Servable>> Resolve(std::string_view model, std::string_view version) const;
  std::vector<std::string> ReadyModels() const;

 private:
  friend class VersionTable;
  struct Model {
    std::map<int64_t, std::shared_ptr<const Servable>> ready;
    std::map<std::string, int64_t> aliases;          // effective: the target is READY
    std::map<std::string, int64_t> waiting_aliases;  // the target is not READY and nothing older is kept
    std::map<int64_t, std::pair<std::string, std::string>> not_ready;  // state, reason
  };
  std::map<std::string, Model, std::less<>> models_;
};

class VersionTable {
 public:
  explicit VersionTable(const ManagerOptions& options);

  const ServedSet& served() const { return served_; }
  // Whether the last registry view has the model.
  bool InRegistry(const std::string& model) const { return view_.count(model) > 0; }
  // Whether anything of the model is loaded, loading or failed.
  bool Tracked(const std::string& model) const { return models_.count(model) > 0; }

  // The load API: serve `model` with this config override (JSON; nullopt
  // clears a previous one) and retry its failed versions.
  void Serve(const std::string& model, std::optional<std::string> config_json);
  void Unserve(const std::string& model);
  void SetView(std::map<std::string, RegistryModel> view) { view_ = std::move(view); }

  // Decides loads, alias moves and retirements for every model.
  void Converge(TableChanges& out);
  // A load thread took `task`: false when its version is no longer wanted
  // (the task is dropped; call Converge).
  bool Claim(const LoadTask& task);
  // A load finished (the servable is dropped if nobody wants it any more).
  void Complete(const LoadTask& task, Result<LoadedVersion> loaded, TableChanges& out);
  // Unpublishes everything (Stop).
  void RetireAll(TableChanges& out);
  // UNLOADED events for retired versions whose last holder let go.
  void PruneDrained(TableChanges& out);

  std::shared_ptr<const ServingSnapshot> Snapshot() const;
  std::vector<IndexEntry> Index(bool ready_only) const;
  // Whether a load of any version of `model` is queued or running.
  bool Loading(const std::string& model) const;
  // After the model settled: OK, NOT_FOUND (no versions) or UNAVAILABLE
  // naming each desired version that failed.
  Status Outcome(const std::string& model) const;

 private:
  struct VersionSlot {
    registry::VersionRecord record;
    bool desired = false;
    std::shared_ptr<const Servable> servable;  // READY when set
    std::string servable_fp;                   // what it was loaded from
    bool loading = false;
    std::string loading_fp;
    std::string failed_fp;  // a load of exactly this failed
    std::string reason;
  };
  struct ModelSlot {
    std::map<int64_t, VersionSlot> versions;
    std::map<std::string, int64_t> aliases;
    std::map<std::string, int64_t> waiting_aliases;
  };
  struct Draining {
    std::string model;
    int64_t version;
    std::weak_ptr<const Servable> servable;
  };

  Result<ModelConfig> EffectiveConfig(const std::string& model, const registry::VersionRecord& record) const;
  void ConvergeModel(const std::string& name, ModelSlot& slot, const RegistryModel& reg, TableChanges& out);
  void Retire(const std::string& name, VersionSlot& slot, TableChanges& out);
  VersionSlot* FindSlot(const std::string& model, int64_t version);

  ModelConfig default_config_;
  std::map<std::string, std::string> config_overrides_;               // YAML, from the serve command
  std::map<std::string, std::optional<std::string>> load_overrides_;  // JSON, from the load API
  ServedSet served_;
  std::map<std::string, RegistryModel> view_;
  std::map<std::string, ModelSlot> models_;
  std::vector<Draining> draining_;
};

}  // namespace inferd::serving
