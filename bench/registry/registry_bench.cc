// Registry timings for a large model: push (copy + sha256 + fsync + engine
// validation + catalog commit), show by version, alias resolve, show by
// alias, verify (cached and uncached), and pull. The peer is a plain
// `cp`-like copy of the same file in the same run, so push and pull can be
// read as a ratio over the cost of just moving the bytes.
//
//   inferd_registry_bench [--mb 100] [--dir /tmp/x] [--repeat 5]
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "registry/registry.h"
#include "registry/sample_model.h"

using namespace inferd;
using namespace inferd::registry;
using Clock = std::chrono::steady_clock;

namespace {

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Row {
  std::string what;
  std::vector<double> ms;
};

// Push phases, timed through the registry's step hook.
std::vector<std::pair<std::string, Clock::time_point>> g_steps;
void RecordStep(const char* point) { g_steps.emplace_back(point, Clock::now()); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void Die(const Status& s, const char* what) {
  std::fprintf(stderr, "registry_bench: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

void PlainCopy(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  out << in.rdbuf();
  out.flush();
  out.close();
  FILE* f = std::fopen(to.c_str(), "rb");
  if (f) {
    ::fsync(::fileno(f));
    std::fclose(f);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int64_t mb = 100;
  int repeat = 5;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--mb" && i + 1 < argc)
      mb = std::atoll(argv[++i]);
    else if (a == "--repeat" && i + 1 < argc)
      repeat = std::max(1, std::atoi(argv[++i]));
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--mb N] [--repeat K] [--dir DIR]\n", argv[0]);
      return 2;
    }
  }
  bool own_dir = dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/inferd-registry-bench-XXXXXX";
    if (!::mkdtemp(tmpl)) return 1;
    dir = tmpl;
  }
  const std::string model = dir + "/big.onnx";
  const int64_t elements = mb * 1000 * 1000 / 4;
  auto t0 = Clock::now();
  if (Status s = WriteSampleModel(model, elements, 1); !s.ok()) Die(s, "writing the model");
  struct stat st {};
  ::stat(model.c_str(), &st);
  std::printf("model: Add with a %lld-float initializer, %.1f MB, written in %.0f ms; %d rounds\n",
              static_cast<long long>(elements), st.st_size / 1e6, Ms(Clock::now() - t0), repeat);

  RegistryOptions options;
  options.root = dir + "/registry";
  options.user = "bench";
  auto reg_or = Registry::Open(options);
  if (!reg_or.ok()) Die(reg_or.status(), "opening the registry");
  Registry& reg = **reg_or;

  std::vector<Row> rows = {{"plain copy + fsync (peer)", {}},
                           {"push", {}},
                           {"open registry (recovery scan)", {}},
                           {"show NAME:V", {}},
                           {"alias resolve", {}},
                           {"show NAME@ALIAS", {}},
                           {"verify (cached)", {}},
                           {"verify (uncached: sha256)", {}},
                           {"pull (copy + sha256)", {}}};
  auto time = [&](size_t row, const std::function<void()>& fn) {
    const auto start = Clock::now();
    fn();
    rows[row].ms.push_back(Ms(Clock::now() - start));
  };
  testing::SetPushHook(&RecordStep);
  std::map<std::string, std::vector<double>> phases;
  for (int r = 0; r < repeat; ++r) {
    time(0, [&] { PlainCopy(model, dir + "/copy.onnx"); });
    ::unlink((dir + "/copy.onnx").c_str());
    PushRequest req;
    req.name = "big";
    req.file = model;
    req.aliases = {"production"};
    VersionRecord v;
    g_steps.clear();
    const auto push_start = Clock::now();
    time(1, [&] {
      auto pushed = reg.Push(req);
      if (!pushed.ok()) Die(pushed.status(), "push");
      v = *pushed;
    });
    auto previous = push_start;
    for (const auto& [step, at] : g_steps) {
      phases[step].push_back(Ms(at - previous));
      previous = at;
    }
    time(2, [&] {
      auto again = Registry::Open(options);
      if (!again.ok()) Die(again.status(), "open");
    });
    const ModelRef by_version{"big", v.number, ""};
    const ModelRef by_alias{"big", 0, "production"};
    const int lookups = 200;
    for (int i = 0; i < lookups; ++i) {
      time(3, [&] {
        if (!reg.Show(by_version).ok()) Die(Internal("show"), "show");
      });
      time(4, [&] {
        if (!reg.ResolveAlias("big", "production").ok()) Die(Internal("alias"), "alias");
      });
      time(5, [&] {
        if (!reg.Show(by_alias).ok()) Die(Internal("show@"), "show@");
      });
      time(6, [&] {
        if (Status s = reg.Verify(v); !s.ok()) Die(s, "verify");
      });
    }
    // Touch the mtime so the cache no longer vouches for the file.
    ::chmod(v.path.c_str(), 0644);
    ::utimensat(AT_FDCWD, v.path.c_str(), nullptr, 0);
    ::chmod(v.path.c_str(), 0444);
    time(7, [&] {
      if (Status s = reg.Verify(v); !s.ok()) Die(s, "verify");
    });
    time(8, [&] {
      auto out = reg.Pull(by_alias, dir + "/pulled.onnx");
      if (!out.ok()) Die(out.status(), "pull");
    });
    ::unlink((dir + "/pulled.onnx").c_str());
  }
  const double peer = Median(rows[0].ms);
  std::printf("\n%-32s %12s %12s %10s\n", "operation", "median ms", "min ms", "x copy");
  for (const Row& row : rows) {
    const double med = Median(row.ms);
    std::printf("%-32s %12.3f %12.3f %10s\n", row.what.c_str(), med, *std::min_element(row.ms.begin(), row.ms.end()),
                med > 1 ? (std::to_string(med / peer).substr(0, 5)).c_str() : "-");
  }
  std::printf("\npush phases (median ms): ");
  for (const char* step : {"staged", "validated", "locked", "published", "inserted", "committed"})
    if (phases.count(step)) std::printf("%s %.1f  ", step, Median(phases[step]));
  std::printf(
      "\n  (staged = copy + sha256 + fsync; validated = engine load + compile; locked = BEGIN IMMEDIATE;\n"
      "   published = rename + fsync; inserted = rows; committed = WAL commit + fsync)\n");
  std::printf("\n(lookups: median of %d calls per round; push/pull/copy: median of %d rounds)\n", 200 * repeat, repeat);
  if (own_dir) std::filesystem::remove_all(dir);
  return 0;
}
