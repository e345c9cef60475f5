// VersionTable's rules without threads, files or models: bare Servables
// stand in for loaded versions.
#include "serving/version_table.h"

#include <gtest/gtest.h>

namespace inferd::serving {
namespace {

registry::VersionRecord Record(int64_t n) {
  registry::VersionRecord r;
  r.id = n;
  r.model = "m";
  r.number = n;
  r.sha256 = "sha" + std::to_string(n);
  return r;
}

RegistryModel View(std::vector<int64_t> numbers, std::map<std::string, int64_t> aliases = {}) {
  RegistryModel m;
  for (int64_t n : numbers) m.versions[n] = Record(n);
  m.aliases = std::move(aliases);
  return m;
}

Result<LoadedVersion> Loaded(const LoadTask& t) {
  LoadedVersion l;
  l.servable = std::make_shared<Servable>();
  l.servable->model = t.model;
  l.servable->version = t.version;
  return l;
}

int64_t Resolve(const VersionTable& table, const std::string& version) {
  auto s = table.Snapshot()->Resolve("m", version);
  return s.ok() ? (*s)->version : -static_cast<int64_t>(s.status().code());
}

TEST(VersionTableTest, AliasWaitsForReadyAndOldVersionWaitsForTheNew) {
  VersionTable table{ManagerOptions{}};
  table.SetView({{"m", View({1}, {{"prod", 1}})}});
  TableChanges c;
  table.Converge(c);
  ASSERT_EQ(c.loads.size(), 1u);
  const LoadTask t1 = c.loads[0];
  EXPECT_EQ(Resolve(table, "prod"), -static_cast<int64_t>(StatusCode::kUnavailable));
  ASSERT_TRUE(table.Claim(t1));
  table.Complete(t1, Loaded(t1), c);
  table.Converge(c);
  EXPECT_EQ(Resolve(table, "prod"), 1);

  table.SetView({{"m", View({1, 2}, {{"prod", 2}})}});
  TableChanges c2;
  table.Converge(c2);
  ASSERT_EQ(c2.loads.size(), 1u);
  EXPECT_EQ(c2.loads[0].version, 2);
  EXPECT_TRUE(c2.retired.empty());
  EXPECT_EQ(Resolve(table, "prod"), 1);  // still the old one while 2 loads
  EXPECT_EQ(Resolve(table, ""), 1);
  EXPECT_EQ(Resolve(table, "2"), -static_cast<int64_t>(StatusCode::kUnavailable));
  EXPECT_TRUE(table.Loading("m"));

  const LoadTask t2 = c2.loads[0];
  TableChanges c3;
  table.Complete(t2, Loaded(t2), c3);
  table.Converge(c3);
  EXPECT_EQ(Resolve(table, "prod"), 2);
  ASSERT_EQ(c3.retired.size(), 1u);
  EXPECT_EQ(c3.retired[0]->version, 1);
  EXPECT_EQ(Resolve(table, "1"), -static_cast<int64_t>(StatusCode::kNotFound));
  // Version 1 drains while someone holds it, then is reported gone.
  TableChanges c4;
  table.PruneDrained(c4);
  EXPECT_TRUE(c4.events.empty());
  EXPECT_EQ(table.Index(false).front().state, "UNLOADING");
  c3.retired.clear();
  table.PruneDrained(c4);
  ASSERT_EQ(c4.events.size(), 1u);
  EXPECT_EQ(c4.events[0].state, "UNLOADED");
}

TEST(VersionTableTest, FailedVersionIsNotRetriedUntilServedAgain) {
  VersionTable table{ManagerOptions{}};
  table.SetView({{"m", View({1})}});
  TableChanges c;
  table.Converge(c);
  const LoadTask t1 = c.loads[0];
  table.Complete(t1, Loaded(t1), c);
  table.SetView({{"m", View({1, 2})}});
  TableChanges c2;
  table.Converge(c2);
  const LoadTask t2 = c2.loads.at(0);
  table.Complete(t2, Status(StatusCode::kDataLoss, "artifact is corrupt"), c2);
  TableChanges c3;
  table.Converge(c3);
  EXPECT_TRUE(c3.loads.empty());    // no retry loop
  EXPECT_TRUE(c3.retired.empty());  // 1 keeps serving
  EXPECT_EQ(Resolve(table, ""), 1);
  EXPECT_EQ(table.Outcome("m").code(), StatusCode::kUnavailable);
  table.Serve("m", std::nullopt);
  table.Converge(c3);
  EXPECT_EQ(c3.loads.size(), 1u);
}

TEST(VersionTableTest, QueuedLoadOfAVersionNoLongerWantedIsDropped) {
  VersionTable table{ManagerOptions{}};
  table.SetView({{"m", View({1})}});
  TableChanges c;
  table.Converge(c);
  const LoadTask t1 = c.loads[0];
  table.SetView({{"m", View({1, 2})}});  // latest: 1 now wants 2 instead
  table.Converge(c);
  EXPECT_FALSE(table.Claim(t1));
  table.Converge(c);
  const auto index = table.Index(false);
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index[0].version, "2");
  EXPECT_EQ(index[0].state, "LOADING");
}

TEST(VersionTableTest, UnservedModelsAreRetired) {
  ManagerOptions o;
  o.models = {"m"};
  VersionTable table{o};
  table.SetView({{"m", View({1})}, {"other", View({1})}});
  TableChanges c;
  table.Converge(c);
  ASSERT_EQ(c.loads.size(), 1u);  // "other" is not served
  const LoadTask t1 = c.loads[0];
  table.Complete(t1, Loaded(t1), c);
  table.Converge(c);
  table.Unserve("m");
  TableChanges c2;
  table.Converge(c2);
  EXPECT_EQ(c2.retired.size(), 1u);
  EXPECT_FALSE(table.Tracked("m"));
  EXPECT_EQ(table.Snapshot()->Resolve("m", "").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace inferd::serving
