// Bad input: a file that is not ONNX, a truncated model, unknown aliases and
// versions, names with '/' or '..', a missing parent, an aliased rm. Each must
// fail with a clear message and leave the registry exactly as it was (catalog
// contents, audit log and files).
#include <gtest/gtest.h>

#include <fstream>

#include "registry/sample_model.h"
#include "registry_test_util.h"

namespace inferd::registry::test {
namespace {

class RegistryBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path() + "/reg";
    good_ = tmp_.path() + "/good.onnx";
    ASSERT_TRUE(WriteSampleModel(good_, 1000, 1).ok());
    RegistryOptions options;
    options.root = root_;
    auto reg = Registry::Open(options);
    ASSERT_TRUE(reg.ok());
    reg_ = std::move(*reg);
    auto v = reg_->Push(Request("m", good_));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    ASSERT_TRUE(reg_->SetAlias("m", "production", 1).ok());
  }

  static PushRequest Request(std::string name, std::string file) {
    PushRequest r;
    r.name = std::move(name);
    r.file = std::move(file);
    return r;
  }

  // Everything observable: catalog contents, audit log, files under the root.
  std::string Snapshot() {
    nlohmann::json j;
    const std::vector<ModelSummary> models = reg_->List().value();
    for (const auto& m : models) {
      j["models"].push_back(ToJson(m));
      const std::vector<VersionRecord> versions = reg_->Versions(m.name).value();
      for (const auto& v : versions) j["versions"].push_back(ToJson(v));
    }
    const std::vector<AuditEntry> log = reg_->Log("").value();
    for (const auto& e : log) j["audit"].push_back(ToJson(e));
    for (const auto& e : std::filesystem::recursive_directory_iterator(root_)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("catalog.db", 0) == 0) continue;
      j["files"].push_back(e.path().string() + (e.is_regular_file() ? ":" + std::to_string(e.file_size()) : ""));
    }
    return j.dump();
  }

  void ExpectFailsUnchanged(const std::function<Status()>& fn, StatusCode code, const std::string& words) {
    const std::string before = Snapshot();
    const Status s = fn();
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_NE(s.message().find(words), std::string::npos)
        << "message \"" << s.message() << "\" lacks \"" << words << "\"";
    EXPECT_EQ(Snapshot(), before) << "the registry changed after: " << s.ToString();
  }

  TempDir tmp_;
  std::string root_, good_;
  std::unique_ptr<Registry> reg_;
};

TEST_F(RegistryBadInput, NotOnnx) {
  const std::string path = tmp_.path() + "/notes.txt";
  std::ofstream(path) << "this is not a model\n";
  ExpectFailsUnchanged([&] { return reg_->Push(Request("m", path)).status(); }, StatusCode::kInvalidArgument,
                       "not a valid ONNX model");
  ExpectFailsUnchanged([&] { return reg_->Push(Request("fresh", path)).status(); }, StatusCode::kInvalidArgument,
                       "notes.txt");
  EXPECT_FALSE(reg_->Versions("fresh").ok());  // no model row was created
}

TEST_F(RegistryBadInput, TruncatedModel) {
  std::ifstream in(good_, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string path = tmp_.path() + "/truncated.onnx";
  std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  ExpectFailsUnchanged([&] { return reg_->Push(Request("m", path)).status(); }, StatusCode::kInvalidArgument,
                       "not a valid ONNX model");
  std::ofstream(tmp_.path() + "/empty.onnx", std::ios::binary).flush();
  ExpectFailsUnchanged([&] { return reg_->Push(Request("m", tmp_.path() + "/empty.onnx")).status(); },
                       StatusCode::kInvalidArgument, "empty.onnx");
  ExpectFailsUnchanged([&] { return reg_->Push(Request("m", tmp_.path() + "/absent.onnx")).status(); },
                       StatusCode::kNotFound, "absent.onnx");
}

TEST_F(RegistryBadInput, UnknownAliasOrVersion) {
  ExpectFailsUnchanged(
      [&] {
        return reg_->Show(ModelRef{"m", 0, "staging"}).status();
      },
      StatusCode::kNotFound, "no alias \"staging\"");
  ExpectFailsUnchanged(
      [&] {
        return reg_->Show(ModelRef{"m", 9, ""}).status();
      },
      StatusCode::kNotFound, "has no version 9");
  ExpectFailsUnchanged(
      [&] {
        return reg_->Show(ModelRef{"nope", 0, ""}).status();
      },
      StatusCode::kNotFound, "no model named \"nope\"");
  ExpectFailsUnchanged([&] { return reg_->SetAlias("m", "production", 9); }, StatusCode::kNotFound, "has no version 9");
  ExpectFailsUnchanged([&] { return reg_->RemoveAlias("m", "staging"); }, StatusCode::kNotFound, "no alias");
  ExpectFailsUnchanged([&] { return reg_->SetTag("m", 5, "k", "v"); }, StatusCode::kNotFound, "has no version 5");
  ExpectFailsUnchanged([&] { return reg_->SetMetric("m", 5, "acc", 0.9); }, StatusCode::kNotFound, "has no version 5");
  ExpectFailsUnchanged(
      [&] {
        return reg_->Pull(ModelRef{"m", 3, ""}, tmp_.path() + "/out.onnx").status();
      },
      StatusCode::kNotFound, "has no version 3");
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/out.onnx"));
  ExpectFailsUnchanged([&] { return reg_->Remove("m", 4, true); }, StatusCode::kNotFound, "has no version 4");
  PushRequest with_parent = Request("m", good_);
  with_parent.parent = 42;
  ExpectFailsUnchanged([&] { return reg_->Push(with_parent).status(); }, StatusCode::kNotFound, "no version 42");
  ExpectFailsUnchanged([&] { return reg_->Remove("m", 1, false); }, StatusCode::kFailedPrecondition,
                       "alias(es) production");
}

TEST_F(RegistryBadInput, NamesThatLookLikePaths) {
  for (const std::string& name : std::vector<std::string>{"a/b", "../escape", "..", "a..b", "", ".hidden", "x\ny",
                                                          "a\\b", "m:1", "m@prod", std::string(129, 'n')}) {
    ExpectFailsUnchanged([&] { return reg_->Push(Request(name, good_)).status(); }, StatusCode::kInvalidArgument,
                         "model name");
    EXPECT_FALSE(ParseModelRef(name + ":1").ok() && name.find('/') != std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/escape"));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/escape"));
  ExpectFailsUnchanged([&] { return reg_->SetAlias("m", "../x", 1); }, StatusCode::kInvalidArgument, "alias name");
  ExpectFailsUnchanged([&] { return reg_->SetAlias("m", "7", 1); }, StatusCode::kInvalidArgument,
                       "start with a letter");
  ExpectFailsUnchanged([&] { return reg_->Versions("a/b").status(); }, StatusCode::kInvalidArgument, "path separator");
  PushRequest bad_alias = Request("m", good_);
  bad_alias.aliases = {"ok", "not ok"};
  ExpectFailsUnchanged([&] { return reg_->Push(bad_alias).status(); }, StatusCode::kInvalidArgument, "alias name");
}

#ifdef INFERD_CLI
// The same through the command line: exit code 1 or 2, an error line, no change.
TEST_F(RegistryBadInput, CommandLine) {
  const std::string cli = std::string(INFERD_CLI) + " model --registry " + root_ + " ";
  const std::string bad = tmp_.path() + "/bad.onnx";
  std::ofstream(bad) << "garbage";
  const std::string before = Snapshot();
  for (const std::string& args :
       std::vector<std::string>{"push m " + bad, "push ../x " + good_, "push a/b " + good_, "show m@nope", "show m:77",
                                "pull m:77 " + tmp_.path() + "/o.onnx", "rm m:1", "alias set m p 9"}) {
    const std::string cmd = cli + args + " 2>" + tmp_.path() + "/err.txt";
    const int rc = std::system(cmd.c_str());
    EXPECT_TRUE(WIFEXITED(rc) && (WEXITSTATUS(rc) == 1 || WEXITSTATUS(rc) == 2)) << args;
    std::ifstream err(tmp_.path() + "/err.txt");
    std::string line;
    std::getline(err, line);
    EXPECT_EQ(line.rfind("inferd: error: ", 0), 0u) << args << " -> " << line;
  }
  EXPECT_EQ(Snapshot(), before);
}
#endif

}  // namespace
}  // namespace inferd::registry::test
