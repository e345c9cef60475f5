// Concurrency: 4 processes push 25 versions each to one model at the same
// time; the catalog must hold exactly versions 1..100, each number handed to
// exactly one pusher, each with the bytes that pusher sent.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "registry_test_util.h"

namespace inferd::registry::test {
namespace {

TEST(RegistryConcurrency, FourProcessesTwentyFivePushesEach) {
  TempDir tmp;
  const std::string root = tmp.path() + "/reg";
  constexpr int kProcs = 4, kPushes = 25;
  std::vector<Child> children;
  for (int p = 0; p < kProcs; ++p)
    children.push_back(
        Child::Spawn({INFERD_PUSH_HELPER, root, "shared", std::to_string(kPushes), std::to_string(p + 1)}));
  std::map<int64_t, std::string> handed_out;  // number -> sha256
  int duplicates = 0;
  for (auto& c : children) {
    ASSERT_GT(c.pid, 0);
    const int status = c.Wait();
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "helper failed: " << c.out;
    const auto pushed = c.Pushed();
    EXPECT_EQ(pushed.size(), static_cast<size_t>(kPushes));
    for (const auto& [n, sha] : pushed)
      if (!handed_out.emplace(n, sha).second) ++duplicates;
  }
  EXPECT_EQ(duplicates, 0);
  ASSERT_EQ(handed_out.size(), static_cast<size_t>(kProcs * kPushes));
  EXPECT_EQ(handed_out.begin()->first, 1);
  EXPECT_EQ(handed_out.rbegin()->first, kProcs * kPushes);

  RegistryOptions options;
  options.root = root;
  auto reg = Registry::Open(options);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_FALSE((*reg)->recovery().has_orphans());
  auto versions = (*reg)->Versions("shared");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), static_cast<size_t>(kProcs * kPushes));
  int gaps = 0, mismatches = 0;
  for (size_t i = 0; i < versions->size(); ++i) {
    const auto& v = (*versions)[i];
    if (v.number != static_cast<int64_t>(i) + 1) ++gaps;
    if (handed_out[v.number] != v.sha256) ++mismatches;
    EXPECT_TRUE((*reg)->Verify(v).ok());
  }
  EXPECT_EQ(gaps, 0);
  EXPECT_EQ(mismatches, 0);
  auto log = (*reg)->Log("shared");
  ASSERT_TRUE(log.ok());
  int pushes = 0;
  for (const auto& e : *log) pushes += e.action == "push";
  EXPECT_EQ(pushes, kProcs * kPushes);
  std::printf("[ concurrency ] %d processes x %d pushes: %zu versions, numbers %lld..%lld, %d gaps, %d duplicates\n",
              kProcs, kPushes, versions->size(), static_cast<long long>(versions->front().number),
              static_cast<long long>(versions->back().number), gaps, duplicates);
}

}  // namespace
}  // namespace inferd::registry::test
