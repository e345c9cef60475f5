// inferd: inspect and run ONNX models from the command line.
#include <iostream>

#include "cli/verbs.h"
#include "common/openmp_env.h"

namespace inferd::cli {

int ReportError(const Status& status) {
  std::cerr << "inferd: error: " << status.message() << "\n";
  return kExitError;
}

int ReportUsage(const std::string& message) {
  std::cerr << "inferd: error: " << message << "\nRun with --help for more information.\n";
  return kExitUsage;
}

}  // namespace inferd::cli

int main(int argc, char** argv) {
  inferd::BoundOpenMpSpinUnlessSet(argv);
  using namespace inferd::cli;
  CLI::App app{"inferd: an ONNX inference engine", "inferd"};
  app.set_version_flag("--version", std::string("inferd ") + kVersion);
  app.require_subcommand(1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("inferd: error: ") + e.what() + "\nRun with --help for more information.\n";
  });
  const Verb verbs[] = {AddInspectVerb(app), AddRunVerb(app),   AddProfileVerb(app), AddModelVerb(app),
                        AddServeVerb(app),   AddBenchVerb(app), AddTraceVerb(app),   AddPredictVerb(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here too, with exit code 0.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  for (const Verb& verb : verbs)
    if (verb.command->parsed()) return verb.action();
  return kExitUsage;
}
