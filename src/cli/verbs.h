// The verbs of the `inferd` command. Each verb lives in its own file, adds its
// subcommand and options to the CLI11 app, and returns the action main() runs
// once parsing succeeded. Actions return the process exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "common/status.h"

namespace inferd::cli {

#ifndef INFERD_VERSION
#define INFERD_VERSION "0.1.0"
#endif
inline constexpr const char* kVersion = INFERD_VERSION;

// Exit codes shared by every verb.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // the model or the data is wrong (Status message on stderr)
inline constexpr int kExitUsage = 2;  // the command line is wrong

struct Verb {
  CLI::App* command = nullptr;
  std::function<int()> action;
};

Verb AddInspectVerb(CLI::App& app);
Verb AddRunVerb(CLI::App& app);
Verb AddModelVerb(CLI::App& app);  // cli/model.cc: the model registry
Verb AddProfileVerb(CLI::App& app);  // cli/profile.cc: per-operator timing
Verb AddServeVerb(CLI::App& app);    // cli/serve.cc: the inference server
Verb AddBenchVerb(CLI::App& app);    // cli/bench.cc: load an inference server
Verb AddTraceVerb(CLI::App& app);    // cli/trace.cc: summarize request traces
Verb AddPredictVerb(CLI::App& app);  // cli/predict.cc: batch prediction over a file

// Prints "inferd: error: <message>" to stderr and returns kExitError.
int ReportError(const Status& status);
// Prints "inferd: error: <message>" and a hint to stderr; returns kExitUsage.
int ReportUsage(const std::string& message);

}  // namespace inferd::cli
