// Test helper: pushes sample models to a registry, printing one line per
// committed version ("pushed NUMBER SHA256") and flushing it, so a test that
// kills this process knows exactly which pushes were acknowledged.
//
//   inferd_registry_push_helper ROOT NAME COUNT SEED [ELEMENTS] [CRASH_POINT]
//
// CRASH_POINT (staged, validated, locked, published, inserted, committed)
// makes the process SIGKILL itself at that step of its first push.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "registry/registry.h"
#include "registry/sample_model.h"

namespace {
const char* g_crash_point = nullptr;
// Reports each step reached ("at locked"), so a test that kills us knows
// which step the kill interrupted.
void CrashHook(const char* point) {
  if (g_crash_point && std::strcmp(point, g_crash_point) == 0) ::raise(SIGKILL);
  std::printf("at %s\n", point);
  std::fflush(stdout);
}
}  // namespace

int main(int argc, char** argv) {
  using namespace inferd::registry;
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s ROOT NAME COUNT SEED [ELEMENTS] [CRASH_POINT]\n", argv[0]);
    return 2;
  }
  const std::string root = argv[1], name = argv[2];
  const int count = std::atoi(argv[3]);
  const long seed = std::atol(argv[4]);
  const long elements = argc > 5 ? std::atol(argv[5]) : 4096;
  if (argc > 6) g_crash_point = argv[6];
  testing::SetPushHook(&CrashHook);
  RegistryOptions options;
  options.root = root;
  options.user = "helper-" + std::to_string(seed);
  options.command_line = "push_helper";
  auto reg = Registry::Open(options);
  if (!reg.ok()) {
    std::fprintf(stderr, "open: %s\n", reg.status().ToString().c_str());
    return 1;
  }
  const RecoveryReport& rec = (*reg)->recovery();
  std::printf("recovered %zu %zu\n", rec.removed_temporaries.size(), rec.orphan_files.size());
  std::printf("ready\n");
  std::fflush(stdout);
  const std::string model = root + "/../helper-" + std::to_string(::getpid()) + ".onnx";
  for (int i = 0; i < count; ++i) {
    const uint64_t s = static_cast<uint64_t>(seed) * 100000 + static_cast<uint64_t>(i);
    if (auto st = WriteSampleModel(model, elements, s); !st.ok()) {
      std::fprintf(stderr, "model: %s\n", st.ToString().c_str());
      return 1;
    }
    PushRequest req;
    req.name = name;
    req.file = model;
    req.tags = {{"seed", std::to_string(s)}};
    auto v = (*reg)->Push(req);
    if (!v.ok()) {
      std::fprintf(stderr, "push: %s\n", v.status().ToString().c_str());
      return 1;
    }
    std::printf("pushed %lld %s\n", static_cast<long long>(v->number), v->sha256.c_str());
    std::fflush(stdout);
  }
  ::unlink(model.c_str());
  return 0;
}
