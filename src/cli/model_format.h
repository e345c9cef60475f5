// Human output of `inferd model ...`: tables and detail views of registry
// records. JSON output uses registry::ToJson directly.
#pragma once

#include <string>
#include <vector>

#include "registry/types.h"

namespace inferd::cli {

std::string HumanBytes(int64_t bytes);
// Left-aligned columns separated by two spaces; the first row is the header.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);
std::string FormatModels(const std::vector<registry::ModelSummary>& models);
std::string FormatVersions(const std::vector<registry::VersionRecord>& versions);
std::string FormatVersion(const registry::VersionRecord& v);
std::string FormatAudit(const std::vector<registry::AuditEntry>& entries);

}  // namespace inferd::cli
