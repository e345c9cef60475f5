// Names and references of the model registry.
//
// A model name becomes a folder name and a URL path segment, so it is checked
// before anything touches the disk: no '/', '\\', "..", control characters,
// leading '.', ':' or '@' (those two separate a name from a version or alias in
// a reference), at most 128 bytes. Alias names are stricter (letters, digits,
// '.', '_', '-', starting with a letter) so they never look like a version.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace inferd::registry {

inline constexpr size_t kMaxNameLength = 128;

Status ValidateModelName(std::string_view name);
Status ValidateAliasName(std::string_view alias);
// Tag keys, metric keys, parameter keys: non-empty, printable, <= 128 bytes.
Status ValidateKey(std::string_view what, std::string_view key);

// "NAME", "NAME:7" or "NAME@production".
struct ModelRef {
  std::string name;
  int64_t version = 0;  // > 0 when given
  std::string alias;    // non-empty when given
  bool has_version() const { return version > 0; }
  bool has_alias() const { return !alias.empty(); }
  std::string ToString() const;
};

Result<ModelRef> ParseModelRef(std::string_view text);
// A version number: a positive decimal integer ("3", not "v3", "0" or "-1").
Result<int64_t> ParseVersionNumber(std::string_view text);
// "key=value" (value may be empty, may contain '='); key checked by ValidateKey.
Result<std::pair<std::string, std::string>> ParseKeyValue(std::string_view what, std::string_view text);
// A finite number for a metric value.
Result<double> ParseMetricValue(std::string_view key, std::string_view text);

}  // namespace inferd::registry
