// Crash safety: a helper process pushes while we SIGKILL it, at random times
// and at each named step of a push; then the registry must open consistent:
// no partial version visible, every listed version's file matches its
// checksum and loads with the engine, every acknowledged push is there, and
// no temporaries or unreported orphans remain.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <thread>

#include "engine/runtime/model.h"
#include "registry/sample_model.h"
#include "registry/sha256.h"
#include "registry_test_util.h"

namespace inferd::registry::test {
namespace {

struct Totals {
  int kills = 0;
  int exited_before_kill = 0;
  int acknowledged = 0;
  size_t temporaries_removed = 0;
  size_t orphans = 0;
};

// Opens the registry (running recovery) and checks everything it lists.
void CheckConsistent(const std::string& root, const std::map<int64_t, std::string>& acknowledged, Totals* totals,
                     size_t* listed_out = nullptr) {
  RegistryOptions options;
  options.root = root;
  auto reg = Registry::Open(options);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  const RecoveryReport& rec = (*reg)->recovery();
  totals->temporaries_removed += rec.removed_temporaries.size();
  totals->orphans += rec.orphan_files.size();
  EXPECT_TRUE(rec.missing_files.empty()) << "rows without files after a crash";
  EXPECT_TRUE(Temporaries(root).empty()) << "recovery left temporaries";

  auto models = (*reg)->List();
  ASSERT_TRUE(models.ok());
  std::set<int64_t> numbers;
  if (!models->empty()) {
    auto versions = (*reg)->Versions("crashy");
    ASSERT_TRUE(versions.ok()) << versions.status().ToString();
    for (const auto& v : *versions) {
      EXPECT_TRUE(numbers.insert(v.number).second) << "duplicate version " << v.number;
      uint64_t size = 0;
      auto digest = Sha256File(v.path, &size);
      ASSERT_TRUE(digest.ok()) << "version " << v.number << ": " << digest.status().ToString();
      EXPECT_EQ(*digest, v.sha256) << "version " << v.number << " does not match its checksum";
      EXPECT_EQ(static_cast<int64_t>(size), v.size);
      auto model = CompiledModel::Load(v.path);
      EXPECT_TRUE(model.ok()) << "version " << v.number << " does not load: " << model.status().ToString();
      EXPECT_TRUE((*reg)->Verify(v).ok());
    }
  }
  for (const auto& [n, sha] : acknowledged) {
    EXPECT_TRUE(numbers.count(n)) << "acknowledged version " << n << " is missing";
    auto v = (*reg)->Show(ModelRef{"crashy", n, ""});
    if (v.ok()) {
      EXPECT_EQ(v->sha256, sha);
    }
  }
  // Files and catalog agree exactly (orphans were moved aside).
  std::set<int64_t> on_disk;
  const std::string dir = root + "/models/crashy";
  if (std::filesystem::exists(dir))
    for (const auto& e : std::filesystem::directory_iterator(dir))
      on_disk.insert(std::stoll(e.path().filename().string()));
  EXPECT_EQ(on_disk, numbers);
  if (listed_out) *listed_out = numbers.size();
}

TEST(RegistryCrash, KillAtEveryStepOfAPush) {
  TempDir tmp;
  const std::string root = tmp.path() + "/reg";
  std::map<int64_t, std::string> acknowledged;
  Totals totals;
  size_t committed = 0;
  for (const char* point : {"staged", "validated", "locked", "published", "inserted", "committed"}) {
    for (int round = 0; round < 2; ++round) {
      Child c = Child::Spawn({INFERD_PUSH_HELPER, root, "crashy", "1", std::to_string(round + 1), "4096", point});
      ASSERT_GT(c.pid, 0);
      const int status = c.Wait();
      totals.temporaries_removed += c.Recovered().first;
      totals.orphans += c.Recovered().second;
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << point << ": helper was not killed: " << c.out;
      ++totals.kills;
      size_t listed = 0;
      CheckConsistent(root, acknowledged, &totals, &listed);
      // Only a push killed after its commit may be visible.
      if (std::string(point) == "committed") ++committed;
      EXPECT_EQ(listed, committed) << "after a kill at \"" << point << "\"";
    }
  }
  // A kill between rename and commit leaves a folder the recovery moves aside.
  EXPECT_GE(totals.orphans, 2u);
  EXPECT_GE(totals.temporaries_removed, 4u);
  std::printf("[ crash ] step kills: %d, orphans moved aside: %zu, temporaries removed: %zu\n", totals.kills,
              totals.orphans, totals.temporaries_removed);
}

TEST(RegistryCrash, SixtyRandomKillsDuringPushes) {
  TempDir tmp;
  const std::string root = tmp.path() + "/reg";
  std::map<int64_t, std::string> acknowledged;
  Totals totals;
  std::mt19937 rng(20261127);
  // Most kills land while pushes run (after the helper opened the registry);
  // every sixth lands during start-up and recovery.
  std::uniform_int_distribution<int> delay_us(0, 150000);
  std::map<std::string, int> steps;
  const int kKills = 60;
  for (int i = 0; i < kKills; ++i) {
    Child c = Child::Spawn({INFERD_PUSH_HELPER, root, "crashy", "1000", std::to_string(1000 + i), "16384"});
    ASSERT_GT(c.pid, 0);
    if (i % 6 != 5) c.WaitFor("ready\n");
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    if (::kill(c.pid, SIGKILL) == 0) ++totals.kills;
    const int status = c.Wait();
    if (!WIFSIGNALED(status)) ++totals.exited_before_kill;
    ++steps[c.LastStep()];
    totals.temporaries_removed += c.Recovered().first;
    totals.orphans += c.Recovered().second;
    for (const auto& [n, sha] : c.Pushed()) acknowledged[n] = sha;
    // Check every few kills (and at the end) so several crashes can pile up.
    if (i % 5 == 4 || i == kKills - 1) CheckConsistent(root, acknowledged, &totals);
  }
  totals.acknowledged = static_cast<int>(acknowledged.size());
  EXPECT_GE(totals.kills, 50);
  // After all that, a push still works and gets the next number.
  RegistryOptions options;
  options.root = root;
  auto reg = Registry::Open(options);
  ASSERT_TRUE(reg.ok());
  auto last = (*reg)->Versions("crashy");
  const std::string model = tmp.path() + "/final.onnx";
  ASSERT_TRUE(WriteSampleModel(model, 64, 7).ok());
  auto v = (*reg)->Push(PushRequest{"crashy", model, {}, {}, {}, std::nullopt, "", "", {}, ""});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  if (last.ok() && !last->empty()) {
    EXPECT_GT(v->number, last->back().number);
  }
  std::printf(
      "[ crash ] random kills: %d, acknowledged pushes: %d (all present), temporaries removed: %zu, "
      "orphans moved aside: %zu\n",
      totals.kills, totals.acknowledged, totals.temporaries_removed, totals.orphans);
  for (const auto& [step, n] : steps) std::printf("[ crash ]   killed while %s: %d\n", step.c_str(), n);
}

}  // namespace
}  // namespace inferd::registry::test
