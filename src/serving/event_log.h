// Structured log lines for the server (logfmt on stderr):
//   ts=2026-11-27T03:04:05.678Z level=info event=version_ready model=fashion version=3
// Values with spaces, quotes or '=' are quoted. One write() per line, so
// lines from different threads never interleave. Thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace inferd::serving {

using LogField = std::pair<std::string_view, std::string>;

void LogEvent(std::string_view level, std::string_view event, std::initializer_list<LogField> fields = {});
// Formats one line without the trailing newline (for tests).
std::string FormatLogLine(std::string_view level, std::string_view event, std::initializer_list<LogField> fields);

}  // namespace inferd::serving
