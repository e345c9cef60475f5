#include "registry/names.h"

#include <gtest/gtest.h>

namespace inferd::registry {
namespace {

TEST(RegistryNames, ModelNames) {
  for (const char* ok : {"resnet50", "bert-base_v2", "a.b", "Fraud Model", "ü-model"})
    EXPECT_TRUE(ValidateModelName(ok).ok()) << ok;
  for (const std::string& bad :
       std::vector<std::string>{"", "a/b", "/abs", "..", "../x", "a..b", ".hidden", "a\\b", "tab\there", "m:3",
                                "m@prod", " lead", std::string(129, 'x')}) {
    const Status s = ValidateModelName(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("model name"), std::string::npos) << s.message();
  }
  EXPECT_TRUE(ValidateModelName(std::string(128, 'x')).ok());
  EXPECT_NE(ValidateModelName("x\x01y").message().find("\\x01"), std::string::npos);
}

TEST(RegistryNames, AliasNames) {
  EXPECT_TRUE(ValidateAliasName("production").ok());
  EXPECT_TRUE(ValidateAliasName("canary-2.b_x").ok());
  for (const char* bad : {"", "7", "-x", "a b", "a/b", "x..y"}) EXPECT_FALSE(ValidateAliasName(bad).ok()) << bad;
}

TEST(RegistryNames, References) {
  auto r = ParseModelRef("net:12");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->name, "net");
  EXPECT_EQ(r->version, 12);
  r = ParseModelRef("net@prod");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->alias, "prod");
  EXPECT_EQ(r->ToString(), "net@prod");
  r = ParseModelRef("net");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_version() || r->has_alias());
  for (const char* bad : {"net:", "net:0", "net:-1", "net:v2", "net:1@a", "net@", "../net:1", ":3"})
    EXPECT_FALSE(ParseModelRef(bad).ok()) << bad;
}

TEST(RegistryNames, KeyValuesAndMetrics) {
  auto kv = ParseKeyValue("tag", "team=vision=1");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "team");
  EXPECT_EQ(kv->second, "vision=1");
  EXPECT_FALSE(ParseKeyValue("tag", "novalue").ok());
  EXPECT_FALSE(ParseKeyValue("tag", "=v").ok());
  EXPECT_DOUBLE_EQ(*ParseMetricValue("acc", "0.93"), 0.93);
  for (const char* bad : {"", "abc", "1.5x", "nan", "inf", "1e999"})
    EXPECT_FALSE(ParseMetricValue("acc", bad).ok()) << bad;
}

}  // namespace
}  // namespace inferd::registry
