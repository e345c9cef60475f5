// `inferd run MODEL [--input NAME=FILE.npy ...] [--random] [--batch N]
//  [--repeat N] [--warmup N] [--threads N] [--output DIR] [--reference]`:
// runs a model once (or N times, timed) and prints or saves its outputs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "cli/run_inputs.h"
#include "cli/verbs.h"
#include "common/npy.h"
#include "engine/runtime/model.h"

namespace inferd::cli {
namespace {

struct RunArgs {
  std::string model;
  std::vector<std::string> inputs;  // NAME=FILE.npy
  bool random = false;
  int64_t batch = 1;
  uint64_t seed = 0;
  int repeat = 1;
  bool repeat_given = false;
  int warmup = 1;
  int threads = 1;
  std::string output_dir;
  bool reference = false;
};

void PrintLatency(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  const double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  // Nearest-rank percentile.
  const size_t p90 = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n))) - 1;
  std::printf("latency over %zu runs: min %.3f ms, median %.3f ms, p90 %.3f ms\n", n, ms[0], median, ms[p90]);
}

Status WriteOutputs(const std::string& dir, const CompiledModel& model, const std::vector<Tensor>& outputs) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return NotFound("cannot create output folder '" + dir + "': " + ec.message());
  std::set<std::string> used;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string& name = model.outputs()[i].name;
    std::string file = OutputFileName(name);
    // Two names may map to one file ("a/b" and "a_b"): keep both.
    for (int k = 1; used.count(file); ++k) file = OutputFileName(name + "_" + std::to_string(k));
    used.insert(file);
    const std::string path = (std::filesystem::path(dir) / file).string();
    auto st = SaveNpyFile(outputs[i], path);
    if (!st.ok()) return st.WithContext("output \"" + name + "\"");
    std::cout << "wrote " << path << "  " << DTypeName(outputs[i].dtype()) << " " << ShapeToString(outputs[i].shape())
              << "\n";
  }
  return Status::Ok();
}

int Run(const RunArgs& args) {
  for (const auto& spec : args.inputs) {
    auto parsed = ParseInputSpec(spec);
    if (!parsed.ok()) return ReportUsage(parsed.status().message());
  }
  ModelOptions options;
  options.num_threads = args.threads;
  if (args.reference) options.providers = {"ref"};
  auto model = CompiledModel::Load(args.model, options);
  if (!model.ok()) return ReportError(model.status());

  std::vector<Tensor> feeds;
  Status st = BuildInputs(args.inputs, args.random, args.batch, args.seed, **model, &feeds);
  if (!st.ok()) return ReportError(st);

  auto ctx = (*model)->NewRunContext();
  const int warmup = args.repeat_given ? args.warmup : 0;
  for (int i = 0; i < warmup; ++i) {
    auto r = (*model)->Run(*ctx, feeds);
    if (!r.ok()) return ReportError(r.status());
  }
  std::vector<double> ms;
  std::vector<Tensor> outputs;
  for (int i = 0; i < args.repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto r = (*model)->Run(*ctx, feeds);
    const auto end = std::chrono::steady_clock::now();
    if (!r.ok()) return ReportError(r.status());
    ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    outputs = std::move(r).value();
  }

  if (!args.output_dir.empty()) {
    st = WriteOutputs(args.output_dir, **model, outputs);
    if (!st.ok()) return ReportError(st);
  } else {
    for (size_t i = 0; i < outputs.size(); ++i) std::cout << DescribeOutput((*model)->outputs()[i].name, outputs[i]);
  }
  if (args.repeat_given) PrintLatency(ms);
  return kExitOk;
}

}  // namespace

Verb AddRunVerb(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a model on .npy inputs or random data");
  cmd->add_option("MODEL", args->model, "The .onnx file")->required();
  cmd->add_option("-i,--input", args->inputs, "Input data as NAME=FILE.npy (repeat for each input)")
      ->allow_extra_args(false)
      ->type_name("NAME=FILE");
  cmd->add_flag("--random", args->random,
                "Fill inputs without a file with seeded uniform random data (floats in [-1,1), integers in [0,10))");
  cmd->add_option("--batch", args->batch, "Size of a symbolic first dimension for random inputs")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed for --random")->capture_default_str();
  cmd->add_option("--repeat", args->repeat, "Time N runs and print min/median/p90 latency")
      ->check(CLI::Range(1, 1000000))
      ->each([args](const std::string&) { args->repeat_given = true; });
  cmd->add_option("--warmup", args->warmup, "Untimed runs before the timed ones (with --repeat)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads per run (0 = all cores)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd->add_option("-o,--output", args->output_dir, "Write each output to DIR/NAME.npy instead of printing it")
      ->type_name("DIR");
  cmd->add_flag("--reference", args->reference, "Use only the reference kernels");
  return {cmd, [args] { return Run(*args); }};
}

}  // namespace inferd::cli
