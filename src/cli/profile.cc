// `inferd profile MODEL [--input NAME=FILE.npy ...] [--batch N] [--threads N]
//  [--repeat N] [--warmup N] [--trace FILE.json] [--top N] [--reference]`:
// runs a model N times under the per-operator profiler and prints where the
// time went (op, node, kernel, shapes, total and mean time, share of the
// run), optionally writing a Chrome trace that Perfetto opens.
#include <cstdio>
#include <memory>

#include "cli/run_inputs.h"
#include "cli/verbs.h"
#include "engine/runtime/profiler.h"

namespace inferd::cli {
namespace {

struct ProfileArgs {
  std::string model;
  std::vector<std::string> inputs;
  int64_t batch = 1;
  uint64_t seed = 0;
  int repeat = 20;
  int warmup = 3;
  int threads = 1;
  size_t top = 30;
  std::string trace;
  bool reference = false;
};

int Profile(const ProfileArgs& args) {
  for (const auto& spec : args.inputs)
    if (auto parsed = ParseInputSpec(spec); !parsed.ok()) return ReportUsage(parsed.status().message());
  ModelOptions options;
  options.num_threads = args.threads;
  if (args.reference) options.providers = {"ref"};
  auto model = CompiledModel::Load(args.model, options);
  if (!model.ok()) return ReportError(model.status());
  std::vector<Tensor> feeds;
  if (Status st = BuildInputs(args.inputs, /*random=*/true, args.batch, args.seed, **model, &feeds); !st.ok())
    return ReportError(st);

  auto ctx = (*model)->NewRunContext();
  for (int i = 0; i < args.warmup; ++i)  // caches and pools warm, not profiled
    if (auto r = (*model)->Run(*ctx, feeds); !r.ok()) return ReportError(r.status());
  OpProfiler profiler(**model);
  ctx->set_observer(&profiler);
  for (int i = 0; i < args.repeat; ++i)
    if (auto r = (*model)->Run(*ctx, feeds); !r.ok()) return ReportError(r.status());
  ctx->set_observer(nullptr);

  std::printf("%s: batch %lld, %d threads, %d profiled runs after %d warm-up runs\n\n", args.model.c_str(),
              static_cast<long long>(args.batch), args.threads, args.repeat, args.warmup);
  std::fputs(profiler.FormatTable(args.top).c_str(), stdout);
  if (!args.trace.empty()) {
    if (Status st = profiler.WriteChromeTrace(args.trace); !st.ok()) return ReportError(st);
    std::printf("wrote %s (open in https://ui.perfetto.dev or chrome://tracing)\n", args.trace.c_str());
  }
  return kExitOk;
}

}  // namespace

Verb AddProfileVerb(CLI::App& app) {
  auto args = std::make_shared<ProfileArgs>();
  CLI::App* cmd = app.add_subcommand("profile", "Time each operator of a model and optionally write a Chrome trace");
  cmd->add_option("MODEL", args->model, "The .onnx file")->required();
  cmd->add_option("-i,--input", args->inputs, "Input data as NAME=FILE.npy (others are random)")
      ->allow_extra_args(false)
      ->type_name("NAME=FILE");
  cmd->add_option("--batch", args->batch, "Size of a symbolic first dimension for random inputs")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed for random inputs")->capture_default_str();
  cmd->add_option("--repeat", args->repeat, "Profiled runs")->check(CLI::Range(1, 1000000))->capture_default_str();
  cmd->add_option("--warmup", args->warmup, "Unprofiled runs first")->check(CLI::Range(0, 1000000))->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads per run (0 = all cores)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd->add_option("--top", args->top, "Rows in the table")->capture_default_str();
  cmd->add_option("--trace", args->trace, "Write a Chrome trace event JSON file")->type_name("FILE.json");
  cmd->add_flag("--reference", args->reference, "Use only the reference kernels");
  return {cmd, [args] { return Profile(*args); }};
}

}  // namespace inferd::cli
