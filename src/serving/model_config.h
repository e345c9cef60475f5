// ModelConfig: how one model is served (batching, versions, threads,
// warm-up), written as YAML. Stored in the registry with each version
// (`inferd model push ... --config serving.yaml`) and overridable at serve
// time (`inferd serve --model-config NAME=FILE.yaml`, or the load API's
// parameters.config JSON). Unknown keys and bad values are errors that name
// the key, the source and the line.
//
//   max_batch_size: 32            # 0 = batching off
//   max_queue_delay_us: 500
//   preferred_batch_sizes: [8, 16, 32]
//   max_queue_size: 1024
//   default_timeout_us: 0         # 0 = none
//   instances: 1
//   threads: 0                    # per instance; 0 = cores / instances
//   version_policy: {latest: 1}   # or {specific: [1, 3]} or all
//   warmup: true
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "serving/batcher.h"

namespace inferd::serving {

struct VersionPolicy {
  enum class Kind { kLatest, kSpecific, kAll };
  Kind kind = Kind::kLatest;
  int64_t latest = 1;              // kLatest: how many of the highest versions
  std::vector<int64_t> versions;   // kSpecific
  // Versions of `available` (ascending) this policy serves. Aliased
  // versions are served in addition, by the manager.
  std::vector<int64_t> Select(const std::vector<int64_t>& available) const;
};

struct ModelConfig {
  BatchingConfig batching;
  VersionPolicy version_policy;
  int threads = 0;
  bool warmup = true;
};

// Parses YAML onto a copy of `base`: keys absent from `text` keep base's
// values, so a serve-time override can change just one thing. `source`
// names the text in errors ("models/fashion/3/serving.yaml").
// Reads a config file's text, refusing files over the registry's cap
// (registry::kMaxServingConfigBytes) before reading them whole.
Result<std::string> ReadModelConfigFile(const std::string& path);

Result<ModelConfig> ParseModelConfigYaml(std::string_view text, std::string_view source,
                                         const ModelConfig& base = {});
// The same keys as a JSON object (the load API's parameters.config).
Result<ModelConfig> ParseModelConfigJson(std::string_view json, std::string_view source,
                                         const ModelConfig& base = {});
// Every key, for `inferd model show` and the model metadata's parameters.
std::string ModelConfigToYaml(const ModelConfig& config);

}  // namespace inferd::serving
