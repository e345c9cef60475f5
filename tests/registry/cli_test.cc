// `inferd model ...` end to end through the real binary: push with lineage,
// list/versions/show (--json), alias moves, tags, metrics, diff, pull, rm,
// log, and the root taken from INFERD_REGISTRY.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "registry/sample_model.h"
#include "registry/sha256.h"
#include "registry_test_util.h"

#ifdef INFERD_CLI
namespace inferd::registry::test {
namespace {

struct CliRun {
  int code = -1;
  std::string out;
};

CliRun Cli(const std::string& args) {
  CliRun r;
  FILE* p = ::popen((std::string(INFERD_CLI) + " model " + args + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(RegistryCli, PushOfAMissingFileLeavesNoRegistryBehind) {
  TempDir tmp;
  const std::string root = tmp.path() + "/reg";
  CliRun r = Cli("push --registry " + root + " fraud " + tmp.path() + "/missing.onnx");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("missing.onnx"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(root)) << root << " was created";
}

TEST(RegistryCli, FullWorkflow) {
  TempDir tmp;
  const std::string reg = "--registry " + tmp.path() + "/reg ";
  const std::string a = tmp.path() + "/a.onnx", b = tmp.path() + "/b.onnx";
  ASSERT_TRUE(WriteSampleModel(a, 100, 1).ok());
  ASSERT_TRUE(WriteSampleModel(b, 200, 2).ok());

  CliRun r = Cli("push " + reg + "fraud " + a +
                 " --alias production --tag team=risk --metric auc=0.91 --note 'first cut'"
                 " --dataset 'tx-2024' --param lr=0.1");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("pushed fraud:1"), std::string::npos) << r.out;
  r = Cli("push " + reg + "fraud " + b + " --parent 1 --metric auc=0.94");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("pushed fraud:2"), std::string::npos);

  r = Cli("list " + reg);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("production->1"), std::string::npos) << r.out;
  r = Cli("versions " + reg + "fraud --json");
  ASSERT_EQ(r.code, 0);
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["parent"], 1);
  EXPECT_EQ(j[0]["lineage"]["dataset"], "tx-2024");
  EXPECT_EQ(j[0]["lineage"]["params"]["lr"], "0.1");
  EXPECT_NE(j[0]["command_line"].get<std::string>().find("--alias production"), std::string::npos);

  r = Cli("show " + reg + "fraud@production --json");
  ASSERT_EQ(r.code, 0) << r.out;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["sha256"], *Sha256File(a));
  r = Cli("show " + reg + "fraud");
  EXPECT_NE(r.out.find("version:"), std::string::npos);
  EXPECT_NE(r.out.find("auc = 0.94"), std::string::npos) << r.out;

  EXPECT_EQ(Cli("alias set " + reg + "fraud production 2").code, 0);
  EXPECT_EQ(Cli("tag " + reg + "fraud:2 reviewed=yes").code, 0);
  EXPECT_EQ(Cli("metric " + reg + "fraud:2 latency_ms=3.5").code, 0);
  r = Cli("diff " + reg + "fraud 1 2");
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("metrics auc: 0.91 -> 0.94"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FP32 [100] -> FP32 [200]"), std::string::npos) << r.out;

  r = Cli("pull " + reg + "fraud@production " + tmp.path() + "/out.onnx");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(*Sha256File(tmp.path() + "/out.onnx"), *Sha256File(b));

  r = Cli("rm " + reg + "fraud:2");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("--force"), std::string::npos) << r.out;
  EXPECT_EQ(Cli("rm " + reg + "fraud:1").code, 0);
  r = Cli("log " + reg + "fraud");
  ASSERT_EQ(r.code, 0);
  for (const char* action : {"push", "alias.set", "tag", "metric", "rm"})
    EXPECT_NE(r.out.find(action), std::string::npos) << action << "\n" << r.out;
  EXPECT_NE(r.out.find("1 -> 2"), std::string::npos) << r.out;
  EXPECT_EQ(Cli("check " + reg).code, 0);

  // A serving config is validated before anything is stored, then shown.
  {
    std::ofstream(tmp.path() + "/bad.yaml") << "max_batch_size: 8\nthreads: many\n";
    r = Cli("push " + reg + "fraud " + a + " --config " + tmp.path() + "/bad.yaml");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("bad.yaml:2: threads: expected a non-negative integer, got \"many\""), std::string::npos)
        << r.out;
    std::ofstream(tmp.path() + "/good.yaml") << "max_batch_size: 8\nversion_policy: {latest: 2}\n";
    r = Cli("push " + reg + "fraud " + a + " --config " + tmp.path() + "/good.yaml");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("pushed fraud:3"), std::string::npos) << r.out;  // the bad push took no number
    r = Cli("show " + reg + "fraud:3");
    EXPECT_NE(r.out.find("serving config:\n  max_batch_size: 8\n  version_policy: {latest: 2}\n"), std::string::npos)
        << r.out;
    r = Cli("show " + reg + "fraud:3 --json");
    EXPECT_EQ(nlohmann::json::parse(r.out)["serving_config"], "max_batch_size: 8\nversion_policy: {latest: 2}\n");
    r = Cli("push " + reg + "fraud " + a + " --config " + tmp.path() + "/missing.yaml");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("cannot open"), std::string::npos) << r.out;
  }

  // INFERD_REGISTRY picks the root when --registry is absent.
  ::setenv("INFERD_REGISTRY", (tmp.path() + "/reg").c_str(), 1);
  r = Cli("versions fraud");
  ::unsetenv("INFERD_REGISTRY");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("VERSION"), std::string::npos) << r.out;

  // Read-only commands do not create a registry where there is none.
  r = Cli("list --registry " + tmp.path() + "/nowhere");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("no registry at"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/nowhere"));
}

}  // namespace
}  // namespace inferd::registry::test
#endif
