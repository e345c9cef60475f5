#include "registry/registry.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "registry/diff.h"
#include "registry/sample_model.h"
#include "registry/sha256.h"

namespace inferd::registry {
namespace {

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/inferd-registry-unit-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    root_ = dir_ + "/reg";
    for (int i = 0; i < 3; ++i) {
      models_.push_back(dir_ + "/m" + std::to_string(i) + ".onnx");
      ASSERT_TRUE(WriteSampleModel(models_.back(), 100 + 10 * i, static_cast<uint64_t>(i)).ok());
    }
    Reopen();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Reopen() {
    reg_.reset();
    RegistryOptions options;
    options.root = root_;
    options.user = "alice";
    options.command_line = "inferd model test";
    auto reg = Registry::Open(options);
    ASSERT_TRUE(reg.ok()) << reg.status().ToString();
    reg_ = std::move(*reg);
  }
  VersionRecord Push(const std::string& name, int model, std::vector<std::string> aliases = {}) {
    PushRequest req;
    req.name = name;
    req.file = models_[static_cast<size_t>(model)];
    req.aliases = std::move(aliases);
    auto v = reg_->Push(req);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : VersionRecord{};
  }

  std::string dir_, root_;
  std::vector<std::string> models_;
  std::unique_ptr<Registry> reg_;
};

TEST_F(RegistryTest, PushRecordsEverything) {
  PushRequest req;
  req.name = "adder";
  req.file = models_[0];
  req.aliases = {"production"};
  req.tags = {{"team", "vision"}};
  req.metrics = {{"accuracy", 0.91}};
  req.note = "first";
  req.dataset = "fashion-mnist@2024";
  req.params = {{"lr", "0.01"}};
  auto v = reg_->Push(req);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->number, 1);
  EXPECT_EQ(v->sha256, *Sha256File(models_[0]));
  EXPECT_EQ(v->size, static_cast<int64_t>(std::filesystem::file_size(models_[0])));
  EXPECT_EQ(v->opset, 13);
  EXPECT_EQ(v->producer, "inferd-sample 1");
  EXPECT_EQ(v->ops.at("Add"), 1);
  EXPECT_EQ(v->signature["inputs"][0]["name"], "X");
  EXPECT_EQ(v->signature["inputs"][0]["dtype"], "FP32");
  EXPECT_EQ(v->signature["inputs"][0]["shape"][0], 100);
  EXPECT_EQ(v->user, "alice");

  Reopen();
  auto shown = reg_->Show(ModelRef{"adder", 0, "production"});
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->number, 1);
  EXPECT_EQ(shown->tags.at("team"), "vision");
  EXPECT_DOUBLE_EQ(shown->metrics.at("accuracy"), 0.91);
  EXPECT_EQ(shown->lineage["dataset"], "fashion-mnist@2024");
  EXPECT_EQ(shown->lineage["params"]["lr"], "0.01");
  EXPECT_EQ(shown->note, "first");
  EXPECT_EQ(shown->command_line, "inferd model test");
  EXPECT_EQ(shown->aliases, std::vector<std::string>{"production"});
  // The stored file is read-only and identical.
  struct stat st {};
  ASSERT_EQ(::stat(shown->path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0222, 0u);
}

TEST_F(RegistryTest, NumbersAliasesTagsMetricsAndLog) {
  Push("m", 0, {"production"});
  Push("m", 1);
  auto v3 = Push("m", 2);
  EXPECT_EQ(v3.number, 3);
  PushRequest child;
  child.name = "m";
  child.file = models_[0];
  child.parent = 2;
  auto v4 = reg_->Push(child);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->lineage["parent"], 2);

  ASSERT_TRUE(reg_->SetAlias("m", "production", 3).ok());
  EXPECT_EQ(*reg_->ResolveAlias("m", "production"), 3);
  ASSERT_TRUE(reg_->SetTag("m", 3, "stage", "prod").ok());
  ASSERT_TRUE(reg_->SetMetric("m", 3, "f1", 0.5).ok());
  ASSERT_TRUE(reg_->SetMetric("m", 3, "f1", 0.75).ok());
  auto shown = reg_->Show(ModelRef{"m", 3, ""});
  EXPECT_DOUBLE_EQ(shown->metrics.at("f1"), 0.75);
  auto latest = reg_->Show(ModelRef{"m", 0, ""});
  EXPECT_EQ(latest->number, 4);

  auto models = reg_->List();
  ASSERT_EQ(models->size(), 1u);
  EXPECT_EQ((*models)[0].num_versions, 4);
  EXPECT_EQ((*models)[0].aliases.at("production"), 3);

  auto log = reg_->Log("m");
  ASSERT_TRUE(log.ok());
  std::vector<std::string> actions;
  for (const auto& e : *log) actions.push_back(e.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"push", "alias.set", "push", "push", "push", "alias.set", "tag",
                                               "metric", "metric"}));
  const AuditEntry& move = (*log)[5];
  EXPECT_EQ(move.alias, "production");
  EXPECT_EQ(move.detail["from"], 1);
  EXPECT_EQ(move.detail["to"], 3);
  EXPECT_EQ(move.user, "alice");
}

TEST_F(RegistryTest, RemoveIsGuardedAndNumbersAreNotReused) {
  Push("m", 0, {"production"});
  Push("m", 1);
  EXPECT_EQ(reg_->Remove("m", 1, false).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(reg_->Remove("m", 2, false).ok());
  EXPECT_FALSE(std::filesystem::exists(root_ + "/models/m/2"));
  EXPECT_EQ(Push("m", 2).number, 3);
  ASSERT_TRUE(reg_->Remove("m", 1, true).ok());
  EXPECT_EQ(reg_->ResolveAlias("m", "production").status().code(), StatusCode::kNotFound);
  auto gone = reg_->Show(ModelRef{"m", 1, ""});
  EXPECT_NE(gone.status().message().find("it was removed"), std::string::npos) << gone.status().message();
  auto log = reg_->Log("m");
  EXPECT_EQ(log->back().action, "rm");
  EXPECT_EQ(log->back().detail["force"], true);
  EXPECT_EQ((*log)[log->size() - 2].action, "alias.rm");
}

TEST_F(RegistryTest, PullVerifiesAndDiffCompares) {
  Push("m", 0);
  PushRequest req;
  req.name = "m";
  req.file = models_[1];
  req.metrics = {{"acc", 0.5}};
  ASSERT_TRUE(reg_->Push(req).ok());
  auto out = reg_->Pull(ModelRef{"m", 2, ""}, dir_);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, dir_ + "/m-v2.onnx");
  EXPECT_EQ(*Sha256File(*out), *Sha256File(models_[1]));

  auto a = reg_->Show(ModelRef{"m", 1, ""}), b = reg_->Show(ModelRef{"m", 2, ""});
  const auto d = DiffVersions(*a, *b);
  EXPECT_FALSE(d["same_artifact"].get<bool>());
  EXPECT_EQ(d["size"]["delta"], b->size - a->size);
  EXPECT_TRUE(d["signature"]["inputs"].contains("X"));
  EXPECT_TRUE(d["metrics"].contains("acc"));
  EXPECT_TRUE(d["ops"].empty());
  const auto lines = DescribeDiff(d);
  ASSERT_GE(lines.size(), 3u);
  EXPECT_NE(lines[2].find("inputs \"X\": FP32 [100] -> FP32 [110]"), std::string::npos) << lines[2];
}

TEST_F(RegistryTest, CorruptionIsReported) {
  auto v = Push("m", 0);
  ASSERT_TRUE(reg_->Verify(v).ok());
  // Flip one byte in place, keeping the size; bump the mtime to be sure.
  ::chmod(v.path.c_str(), 0644);
  {
    std::fstream f(v.path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(v.size / 2);
    f.put('\x7f');
  }
  const timespec times[2] = {{0, UTIME_NOW}, {1, 0}};
  ::utimensat(AT_FDCWD, v.path.c_str(), times, 0);
  const Status s = reg_->Verify(v);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("corrupt"), std::string::npos) << s.message();
  auto pulled = reg_->Pull(ModelRef{"m", 1, ""}, dir_ + "/out.onnx");
  EXPECT_EQ(pulled.status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/out.onnx"));
}

TEST_F(RegistryTest, RecoveryCleansAndReports) {
  Push("m", 0);
  Push("m", 1);
  // A temporary left by a dead writer (pid 1 is never us; use a pid that cannot exist).
  std::filesystem::create_directories(root_ + "/.tmp-999999999-dead/");
  std::ofstream(root_ + "/.tmp-999999999-dead/model.onnx") << "half";
  // A version folder without a row (a push that died between rename and commit).
  std::filesystem::create_directories(root_ + "/models/m/7");
  // A row without its file.
  std::filesystem::permissions(root_ + "/models/m/2/model.onnx", std::filesystem::perms::owner_all);
  std::filesystem::remove_all(root_ + "/models/m/2");
  Reopen();
  const RecoveryReport& r = reg_->recovery();
  EXPECT_EQ(r.removed_temporaries, std::vector<std::string>{".tmp-999999999-dead"});
  ASSERT_EQ(r.orphan_files.size(), 1u);
  EXPECT_EQ(r.orphan_files[0].rfind("m:7 -> ", 0), 0u);
  EXPECT_EQ(r.missing_files, std::vector<std::string>{"m:2"});
  EXPECT_FALSE(std::filesystem::exists(root_ + "/models/m/7"));
  EXPECT_EQ(r.Describe().size(), 3u);
  EXPECT_EQ(reg_->Pull(ModelRef{"m", 2, ""}, dir_ + "/x.onnx").status().code(), StatusCode::kDataLoss);
  // rm --force clears the dangling row.
  EXPECT_TRUE(reg_->Remove("m", 2, true).ok());
  Reopen();
  EXPECT_FALSE(reg_->recovery().has_orphans());
}

TEST_F(RegistryTest, RootFromFlagEnvOrDefault) {
  ::unsetenv(kRootEnvVar);
  EXPECT_EQ(ResolveRoot(""), "./inferd-data");
  ::setenv(kRootEnvVar, "/srv/models", 1);
  EXPECT_EQ(ResolveRoot(""), "/srv/models");
  EXPECT_EQ(ResolveRoot("/flag"), "/flag");
  ::unsetenv(kRootEnvVar);
}

}  // namespace
}  // namespace inferd::registry
