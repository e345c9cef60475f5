// ModelManager: decides which model versions are served and makes it so.
//
// Sources of desired state: the registry (polled; a new version, a moved
// alias or a removed version is noticed within poll_interval_ms), each
// model's version policy and aliases, and the load/unload API. One manager
// thread converges the loaded set to the desired set:
//   - a new version is loaded on a load thread (never an I/O or instance
//     thread, so loading cannot stall other models' requests), verified
//     against its sha256, compiled, given a DynamicBatcher, warmed up with
//     real-shaped inputs (batch 1 and max batch), and only then published;
//   - publishing swaps one immutable snapshot (version table + aliases) in
//     a single atomic step; readers holding the old snapshot are unaffected;
//   - a version leaving the desired set is unpublished first, then drained
//     (its batcher finishes queued and in-flight work, held by the
//     shared_ptr of whoever acquired it), then freed;
//   - a failed load leaves whatever was served in place; the version shows
//     UNAVAILABLE with the reason in Index() and the log.
//
// Acquire() is the hot path: one atomic load of the snapshot, a map lookup,
// no lock held while the caller runs. Everything else is control-plane.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/runtime/model.h"
#include "serving/batcher.h"
#include "serving/model_config.h"
#include "serving/validation.h"

namespace inferd::serving {

// One loaded model version; immutable once published.
struct Servable {
  std::string model;
  int64_t version = 0;
  std::string sha256;
  ModelConfig config;
  ModelSignature signature;  // max_batch_size from config.batching
  std::shared_ptr<const CompiledModel> compiled;
  std::unique_ptr<DynamicBatcher> batcher;
  std::chrono::steady_clock::time_point loaded_at;
  ~Servable();  // drains the batcher
};

struct IndexEntry {
  std::string name;
  std::string version;  // a number as text
  std::string state;    // "LOADING", "READY", "UNLOADING", "UNAVAILABLE"
  std::string reason;   // why UNAVAILABLE (or "" )
};

struct ManagerOptions {
  std::string registry_root;
  // Models to serve; empty = every model in the registry.
  std::vector<std::string> models;
  // Serve-time config overrides by model name (YAML text, applied over the
  // config stored with each version).
  std::map<std::string, std::string> config_overrides;
  // Base config for versions stored without one.
  ModelConfig default_config;
  int poll_interval_ms = 500;  // 0: no polling (load API only)
  int load_threads = 1;
  // Called for every state change (for the log): model, version, state, reason.
  std::function<void(const std::string&, int64_t, const std::string&, const std::string&)> on_state;
};

class ModelManager {
 public:
  // Opens the registry, starts the manager and load threads and begins
  // loading; returns without waiting for loads (see WaitForPending).
  static Result<std::unique_ptr<ModelManager>> Start(ManagerOptions options);
  ~ModelManager();  // Stop()

  // `version`: "" (the highest served version), a number ("3"), or an
  // alias ("production"). NOT_FOUND for an unknown model, version or alias;
  // UNAVAILABLE when it exists but is not (yet) READY.
  Result<std::shared_ptr<const Servable>> Acquire(std::string_view model, std::string_view version) const;

  // Every known version of the served models and its state.
  std::vector<IndexEntry> Index(bool ready_only) const;
  // Models currently having at least one READY version.
  std::vector<std::string> ReadyModels() const;
  // True when nothing is pending: every desired version is READY or failed.
  bool Settled() const;
  // Blocks until Settled() or the timeout passes; false on timeout.
  bool WaitForPending(std::chrono::milliseconds timeout) const;

  // Load API: adds `model` to the served set (if it was not) with an
  // optional config override (JSON), and waits until its desired versions
  // are READY or failed. NOT_FOUND if the registry has no such model.
  Status Load(const std::string& model, std::optional<std::string> config_json);
  // Removes `model` from the served set and waits until its versions are
  // unpublished (draining continues in the background).
  Status Unload(const std::string& model);

  // Re-reads the registry now instead of at the next poll (tests, load API).
  void Poke();
  // Stops polling, unpublishes everything, drains and joins. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit ModelManager(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace inferd::serving
