// Turning one registry version into a ready Servable: checksum, compile,
// batcher, warm-up. The ModelManager calls this on its load threads; it is
// also usable alone (a tool that serves one file).
//
// Stateless functions; safe from any thread. The Registry passed in must be
// the calling thread's own (see registry.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"
#include "registry/registry.h"
#include "serving/lifecycle.h"

namespace inferd::serving {

struct LoadedVersion {
  std::shared_ptr<Servable> servable;
  // Things the operator should know that did not stop the load ("batching
  // off: ..."), for the log.
  std::vector<std::string> warnings;
};

// Verifies `record`'s artifact against its sha256, compiles it with
// config.threads (0: cores / instances), creates its DynamicBatcher (turning
// batching off with a warning when the model cannot batch) and, when
// config.warmup, runs warm-up inputs through it. Errors say which step failed.
Result<LoadedVersion> LoadVersion(registry::Registry& registry, const registry::VersionRecord& record,
                                  const ModelConfig& config);

// Zero-filled inputs shaped from the declaration: fixed dims as declared,
// the first symbolic dim `batch` when `batch` > 0, any other symbolic dim 1.
// FAILED_PRECONDITION when an input has no declared rank.
Result<std::vector<Tensor>> WarmupInputs(const std::vector<ValueInfo>& inputs, int64_t batch);

}  // namespace inferd::serving
