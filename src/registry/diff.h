// Differences between two versions of a model: signature, size, metrics,
// ops, opsets, producer, tags and lineage. As JSON for tools and as human
// lines for the CLI.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "registry/types.h"

namespace inferd::registry {

// {"a":N, "b":M, "same_artifact":bool, "signature":{...}, "size":{...},
//  "metrics":{key:{"a":x|null,"b":y|null,"delta":..}}, "ops":{op:{"a":n,"b":m}}, ...}
// Only keys that differ are listed in the per-key sections.
nlohmann::json DiffVersions(const VersionRecord& a, const VersionRecord& b);
std::vector<std::string> DescribeDiff(const nlohmann::json& diff);

}  // namespace inferd::registry
