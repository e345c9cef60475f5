// `inferd predict (--model NAME[:VERSION|@ALIAS] [--registry DIR] | --model-file MODEL.onnx)
//  --input FILE --output FILE [--batch-size N] [--threads N] [--labels FILE] [--errors FILE]
//  [--resume] ...`: batch prediction over a file (src/batch/predictor.h).
//
// Exit codes: 0 every row predicted; 1 the run stopped on an error (the
// message says which; with the progress file left, --resume continues);
// 2 the command line is wrong; 3 the run finished but some rows failed (they
// are listed in the errors file).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "batch/predictor.h"
#include "cli/verbs.h"
#include "registry/registry.h"

namespace inferd::cli {
namespace {

constexpr int kExitRowsFailed = 3;

struct PredictArgs {
  std::string model_ref;
  std::string model_file;
  std::string registry_root;
  std::string progress = "auto";
  batch::PredictOptions options;
};

// Resolves --model in the local registry: the artifact's path, checked
// against its sha256, and an identity naming the exact version.
Status ResolveModel(PredictArgs& a) {
  if (!a.model_file.empty()) {
    a.options.model_path = a.model_file;
    a.options.model_identity = "file:" + a.model_file;
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(registry::ModelRef ref, registry::ParseModelRef(a.model_ref));
  registry::RegistryOptions ro;
  ro.root = registry::ResolveRoot(a.registry_root);
  ro.create = false;
  auto reg = registry::Registry::Open(ro);
  if (!reg.ok()) return reg.status().WithContext("registry \"" + ro.root + "\"");
  ASSIGN_OR_RETURN(registry::VersionRecord v, (*reg)->Show(ref));
  RETURN_IF_ERROR((*reg)->Verify(v));
  a.options.model_path = v.path;
  a.options.model_identity = v.model + ":" + std::to_string(v.number) + "@sha256:" + v.sha256;
  std::fprintf(stderr, "predict: model %s resolved to %s:%lld\n", ref.ToString().c_str(), v.model.c_str(),
               static_cast<long long>(v.number));
  return Status::Ok();
}

int Predict(PredictArgs& a) {
  if (a.model_ref.empty() == a.model_file.empty()) return ReportUsage("give exactly one of --model and --model-file");
  if (!a.registry_root.empty() && a.model_ref.empty()) return ReportUsage("--registry goes with --model");
  if (a.progress == "auto")
    a.options.progress = batch::ProgressMode::kAuto;
  else if (a.progress == "bar")
    a.options.progress = batch::ProgressMode::kBar;
  else if (a.progress == "lines")
    a.options.progress = batch::ProgressMode::kLines;
  else if (a.progress == "none")
    a.options.progress = batch::ProgressMode::kNone;
  else
    return ReportUsage("--progress must be auto, bar, lines or none");
  if (Status st = ResolveModel(a); !st.ok()) return ReportError(st);

  auto result = batch::RunPredict(a.options);
  if (!result.ok()) {
    const int code = ReportError(result.status());
    std::error_code ec;
    if (std::filesystem::exists(a.options.output + ".progress", ec))
      std::cerr << "inferd: note: rows committed so far are kept; rerun with --resume to continue\n";
    return code;
  }
  const batch::PredictSummary& s = *result;
  const double rate = s.seconds > 0 ? static_cast<double>(s.rows_this_run) / s.seconds : 0;
  std::fprintf(stderr,
               "predict: done: %lld rows ok, %lld rows failed%s; %lld rows in %.2f s (%.0f rows/s, batch %lld, "
               "model load %.2f s, in the model %.2f s); peak RSS %.1f MB\n",
               static_cast<long long>(s.rows_ok), static_cast<long long>(s.rows_failed),
               s.resumed_rows > 0 ? (" (resumed after row " + std::to_string(s.resumed_rows) + ")").c_str() : "",
               static_cast<long long>(s.rows_this_run), s.seconds, rate, static_cast<long long>(s.batch_size),
               s.load_seconds, s.model_seconds, static_cast<double>(s.peak_rss_bytes) / 1e6);
  std::fprintf(stderr, "predict: output %s\n", a.options.output.c_str());
  if (s.rows_failed > 0) {
    std::fprintf(stderr, "predict: %lld rows failed; see %s\n", static_cast<long long>(s.rows_failed),
                 s.errors_path.c_str());
    return kExitRowsFailed;
  }
  return kExitOk;
}

}  // namespace

Verb AddPredictVerb(CLI::App& app) {
  auto a = std::make_shared<PredictArgs>();
  batch::PredictOptions& o = a->options;
  CLI::App* cmd = app.add_subcommand("predict", "Batch prediction over a file (.npy, .csv, .jsonl, IDX)");
  cmd->footer(
      "Exit codes: 0 all rows predicted, 1 error (rerun with --resume to continue), 2 usage, "
      "3 finished but some rows failed (see the errors file).");
  cmd->add_option("-m,--model", a->model_ref, "A registry model: NAME, NAME:VERSION or NAME@ALIAS")->type_name("REF");
  cmd->add_option("--registry", a->registry_root, "Registry folder (default $INFERD_REGISTRY or ./inferd-data)")
      ->type_name("DIR");
  cmd->add_option("--model-file", a->model_file, "An .onnx file instead of a registry model")->type_name("FILE");
  cmd->add_option("-i,--input", o.input, "Rows: .npy, .csv, .jsonl or IDX (*-ubyte[.gz])")->required();
  cmd->add_option("-o,--output", o.output, "Results: .npy, .csv or .jsonl")->required();
  cmd->add_option("--input-format", o.input_format, "npy, csv, jsonl or idx (default: from the input's name)");
  cmd->add_option("--format", o.output_format, "Output format: npy, csv or jsonl (default: from the output's name)");
  cmd->add_option("-b,--batch-size", o.batch_size, "Rows per model run")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
      ->capture_default_str();
  cmd->add_option("--threads", o.threads, "Threads per model run (0 = all cores)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd->add_option("--queue", o.queue_batches, "Batches waiting between stages (memory is about 2 x this x a batch)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--labels", o.labels, "Class names, one per line: adds the argmax label to each row")
      ->type_name("FILE");
  cmd->add_option("--errors", o.errors, "Where bad rows are listed (default OUTPUT.errors.jsonl)")->type_name("FILE");
  cmd->add_flag("--resume", o.resume, "Continue an interrupted run from OUTPUT.progress");
  cmd->add_option("--input-name", o.input_name,
                  "The name rows are found under in JSON Lines (default: the model input's name)");
  cmd->add_option("--columns", o.columns, "CSV columns to read, in order (default: all)")
      ->delimiter(',')
      ->type_name("A,B,...");
  cmd->add_option("--output-name", o.output_names, "Outputs to write (repeatable; default all, .npy the first)")
      ->type_name("NAME");
  cmd->add_flag("--reject-nonfinite", o.reject_nonfinite, "Treat rows holding NaN or infinity as bad rows");
  cmd->add_option("--progress", a->progress, "auto (a bar on a terminal, lines every 2 s otherwise), bar, lines, none")
      ->capture_default_str();
  return {cmd, [a] { return Predict(*a); }};
}

}  // namespace inferd::cli
