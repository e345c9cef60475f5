// The inferd side of the engine benchmark (bench/engine/compare.js).
//
//   inferd_engine_bench_worker MODEL INPUT.npy THREADS OUTPUT.npy
// loads MODEL with THREADS threads, runs it once on INPUT and writes the
// output to OUTPUT.npy (for the agreement check), then prints
//   ready load_ms=<ms>
// and answers commands on stdin, one per line:
//   run N   -> runs N times, prints "times t1 ... tN" (milliseconds)
//   quit    -> exits
// Staying alive between rounds lets the driver alternate inferd and the peer
// without reloading either.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

#include "common/npy.h"
#include "engine/runtime/model.h"
#include "common/openmp_env.h"

using namespace inferd;

int main(int argc, char** argv) {
  inferd::UsePassiveOpenMpWaitUnlessSet(argv);
  if (argc != 5) {
    std::fprintf(stderr, "usage: inferd_engine_bench_worker MODEL INPUT.npy THREADS OUTPUT.npy\n");
    return 2;
  }
  ModelOptions options;
  options.num_threads = std::atoi(argv[3]);
  const auto t0 = std::chrono::steady_clock::now();
  auto model = CompiledModel::Load(argv[1], options);
  const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!model.ok()) {
    std::printf("error %s\n", model.status().ToString().c_str());
    return 1;
  }
  auto input = LoadNpyFile(argv[2]);
  if (!input.ok()) {
    std::printf("error %s\n", input.status().ToString().c_str());
    return 1;
  }
  auto ctx = (*model)->NewRunContext();
  std::vector<Tensor> inputs = {*input};
  auto out = (*model)->Run(*ctx, inputs);
  if (!out.ok()) {
    std::printf("error %s\n", out.status().ToString().c_str());
    return 1;
  }
  if (Status s = SaveNpyFile((*out)[0], argv[4]); !s.ok()) {
    std::printf("error %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("ready load_ms=%.3f\n", load_ms);
  std::fflush(stdout);
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream cmd(line);
    std::string verb;
    cmd >> verb;
    if (verb == "quit") break;
    if (verb != "run") {
      std::printf("error unknown command '%s'\n", verb.c_str());
      std::fflush(stdout);
      continue;
    }
    int n = 1;
    cmd >> n;
    std::string reply = "times";
    for (int i = 0; i < n; ++i) {
      const auto s = std::chrono::steady_clock::now();
      auto r = (*model)->Run(*ctx, inputs);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count();
      if (!r.ok()) {
        reply = "error " + r.status().ToString();
        break;
      }
      char buf[32];
      std::snprintf(buf, sizeof buf, " %.4f", ms);
      reply += buf;
    }
    std::printf("%s\n", reply.c_str());
    std::fflush(stdout);
  }
  return 0;
}
