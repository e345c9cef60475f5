// The serving config stored with a version: pushed as text, returned as
// pushed, in the JSON manifest, and catalogs written before it existed
// (schema version 1) are migrated when opened.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "registry/registry.h"
#include "registry/sample_model.h"
#include "registry/sqlite.h"

namespace inferd::registry {
namespace {

class ServingConfigStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/inferd-registry-config-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    root_ = dir_ + "/reg";
    model_ = dir_ + "/m.onnx";
    ASSERT_TRUE(WriteSampleModel(model_, 16, 1).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<Registry> Open() {
    RegistryOptions options;
    options.root = root_;
    auto reg = Registry::Open(options);
    EXPECT_TRUE(reg.ok()) << reg.status().ToString();
    return reg.ok() ? std::move(*reg) : nullptr;
  }
  Result<VersionRecord> Push(Registry& reg, const std::string& config) {
    PushRequest req;
    req.name = "m";
    req.file = model_;
    req.serving_config = config;
    return reg.Push(req);
  }
  std::string dir_, root_, model_;
};

TEST_F(ServingConfigStoreTest, StoredAsPushedAndShown) {
  auto reg = Open();
  ASSERT_TRUE(reg);
  const std::string yaml = "max_batch_size: 8  # comment kept\nwarmup: false\n";
  auto v1 = Push(*reg, yaml);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  auto v2 = Push(*reg, "");
  ASSERT_TRUE(v2.ok());
  auto versions = reg->Versions("m");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].serving_config, yaml);
  EXPECT_EQ((*versions)[1].serving_config, "");
  EXPECT_EQ(ToJson((*versions)[0])["serving_config"], yaml);
  EXPECT_TRUE(ToJson((*versions)[1])["serving_config"].is_null());
}

TEST_F(ServingConfigStoreTest, RefusesOversizedOrBinaryConfig) {
  auto reg = Open();
  ASSERT_TRUE(reg);
  auto big = Push(*reg, std::string(kMaxServingConfigBytes + 1, '#'));
  EXPECT_EQ(big.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(big.status().message().find("the limit is 65536"), std::string::npos) << big.status().message();
  EXPECT_EQ(Push(*reg, std::string("a\0b", 3)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reg->List()->size(), 0u);  // nothing was stored
}

TEST_F(ServingConfigStoreTest, MigratesASchemaOneCatalog) {
  {
    auto reg = Open();
    ASSERT_TRUE(reg);
    ASSERT_TRUE(Push(*reg, "").ok());
  }
  {
    // Turn it back into what the previous build wrote.
    auto db = Database::Open(root_ + "/catalog.db", 1000);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("ALTER TABLE versions DROP COLUMN serving_config").ok());
    ASSERT_TRUE((*db)->Exec("UPDATE meta SET value='1' WHERE key='schema_version'").ok());
  }
  auto reg = Open();
  ASSERT_TRUE(reg);
  auto old = reg->Show(ModelRef{"m", 1, ""});
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->serving_config, "");
  auto v2 = Push(*reg, "threads: 2\n");
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  reg.reset();
  reg = Open();
  ASSERT_TRUE(reg);
  EXPECT_EQ(reg->Show(ModelRef{"m", 2, ""})->serving_config, "threads: 2\n");
}

TEST_F(ServingConfigStoreTest, RefusesANewerCatalog) {
  ASSERT_TRUE(Open());
  {
    auto db = Database::Open(root_ + "/catalog.db", 1000);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("UPDATE meta SET value='99' WHERE key='schema_version'").ok());
  }
  RegistryOptions options;
  options.root = root_;
  auto reg = Registry::Open(options);
  ASSERT_FALSE(reg.ok());
  EXPECT_EQ(reg.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(reg.status().message().find("schema version 99"), std::string::npos) << reg.status().message();
}

}  // namespace
}  // namespace inferd::registry
