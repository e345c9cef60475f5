// What the registry records about a model file, read by loading it with the
// engine: signature, op counts, opsets, producer. Loading also compiles the
// model, so a file that the engine cannot run is refused at push time.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace inferd::registry {

struct ModelFacts {
  nlohmann::json signature;            // {"inputs":[{name,dtype,shape}],"outputs":[...]}
  std::map<std::string, int64_t> ops;  // "Conv" -> 3; other domains as "domain.Op"
  std::map<std::string, int64_t> opsets;
  int64_t opset = 0;  // ai.onnx
  int64_t ir_version = 0;
  std::string producer;
};

// Loads and compiles `path` with the engine (one thread, default passes).
// Errors say what is wrong; `display_name` replaces `path` in them (the
// registry inspects its staged copy but reports the user's file name).
Result<ModelFacts> InspectModel(const std::string& path, const std::string& display_name = "");

}  // namespace inferd::registry
