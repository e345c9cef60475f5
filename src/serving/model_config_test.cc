#include "serving/model_config.h"

#include <gtest/gtest.h>

namespace inferd::serving {
namespace {

ModelConfig MustParse(std::string_view text, const ModelConfig& base = {}) {
  auto c = ParseModelConfigYaml(text, "serving.yaml", base);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : ModelConfig{};
}

std::string ErrorOf(std::string_view text, const ModelConfig& base = {}) {
  auto c = ParseModelConfigYaml(text, "serving.yaml", base);
  EXPECT_FALSE(c.ok()) << "accepted:\n" << text;
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  return c.status().message();
}

void ExpectSame(const ModelConfig& a, const ModelConfig& b) {
  EXPECT_EQ(a.batching.max_batch_size, b.batching.max_batch_size);
  EXPECT_EQ(a.batching.max_queue_delay_us, b.batching.max_queue_delay_us);
  EXPECT_EQ(a.batching.preferred_batch_sizes, b.batching.preferred_batch_sizes);
  EXPECT_EQ(a.batching.max_queue_size, b.batching.max_queue_size);
  EXPECT_EQ(a.batching.default_timeout_us, b.batching.default_timeout_us);
  EXPECT_EQ(a.batching.instances, b.batching.instances);
  EXPECT_EQ(a.threads, b.threads);
  EXPECT_EQ(a.warmup, b.warmup);
  EXPECT_EQ(a.version_policy.kind, b.version_policy.kind);
  if (a.version_policy.kind == VersionPolicy::Kind::kLatest) {
    EXPECT_EQ(a.version_policy.latest, b.version_policy.latest);
  }
  if (a.version_policy.kind == VersionPolicy::Kind::kSpecific) {
    EXPECT_EQ(a.version_policy.versions, b.version_policy.versions);
  }
}

TEST(ModelConfigTest, ParsesEveryKey) {
  const ModelConfig c = MustParse(R"(# the header's example
max_batch_size: 32            # 0 = batching off
max_queue_delay_us: 500
preferred_batch_sizes: [16, 8, 32]
max_queue_size: 1024
default_timeout_us: 2000
instances: 2
threads: 3
version_policy: {latest: 2}
warmup: false
)");
  EXPECT_EQ(c.batching.max_batch_size, 32);
  EXPECT_EQ(c.batching.max_queue_delay_us, 500);
  EXPECT_EQ(c.batching.preferred_batch_sizes, (std::vector<int64_t>{8, 16, 32}));
  EXPECT_EQ(c.batching.max_queue_size, 1024);
  EXPECT_EQ(c.batching.default_timeout_us, 2000);
  EXPECT_EQ(c.batching.instances, 2);
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.version_policy.kind, VersionPolicy::Kind::kLatest);
  EXPECT_EQ(c.version_policy.latest, 2);
  EXPECT_FALSE(c.warmup);
}

TEST(ModelConfigTest, EmptyTextKeepsTheBase) {
  ModelConfig base;
  base.batching.max_batch_size = 8;
  base.threads = 2;
  ExpectSame(MustParse("", base), base);
  ExpectSame(MustParse("# only a comment\n", base), base);
}

TEST(ModelConfigTest, OverrideChangesOnlyWhatItNames) {
  ModelConfig base = MustParse("max_batch_size: 16\npreferred_batch_sizes: [4, 8]\nthreads: 2\n");
  const ModelConfig c = MustParse("threads: 4\n", base);
  EXPECT_EQ(c.threads, 4);
  EXPECT_EQ(c.batching.max_batch_size, 16);
  EXPECT_EQ(c.batching.preferred_batch_sizes, (std::vector<int64_t>{4, 8}));
}

TEST(ModelConfigTest, BadValueNamesSourceLineAndKey) {
  EXPECT_EQ(ErrorOf("warmup: true\n\nmax_batch_size: abc\n"),
            "serving.yaml:3: max_batch_size: expected a non-negative integer, got \"abc\"");
  EXPECT_EQ(ErrorOf("max_batch_size: -1\n"),
            "serving.yaml:1: max_batch_size: expected a non-negative integer from 0 to 1048576, got -1");
  EXPECT_EQ(ErrorOf("max_batch_size: 1.5\n"),
            "serving.yaml:1: max_batch_size: expected a non-negative integer, got \"1.5\"");
  EXPECT_NE(ErrorOf("max_batch_size: \"8\"\n").find("drop the quotes"), std::string::npos);
  EXPECT_EQ(ErrorOf("max_batch_size: 99999999999999999999999\n").find("serving.yaml:1: max_batch_size: expected"), 0u);
  EXPECT_EQ(ErrorOf("warmup: maybe\n"), "serving.yaml:1: warmup: expected true or false, got \"maybe\"");
  EXPECT_EQ(ErrorOf("instances: 0\n").find("serving.yaml:1: instances: expected a positive integer"), 0u);
  EXPECT_EQ(ErrorOf("preferred_batch_sizes: 8\n"),
            "serving.yaml:1: preferred_batch_sizes: expected a list of positive integers, got \"8\"");
  EXPECT_EQ(ErrorOf("max_batch_size:\n"),
            "serving.yaml:1: max_batch_size: expected a non-negative integer, got nothing");
}

TEST(ModelConfigTest, UnknownKeyListsTheKnownOnes) {
  const std::string e = ErrorOf("max_batch_size: 4\nmax_batch: 8\n");
  EXPECT_EQ(e.find("serving.yaml:2: unknown key \"max_batch\" (known keys: max_batch_size,"), 0u) << e;
  EXPECT_NE(e.find("version_policy"), std::string::npos);
}

TEST(ModelConfigTest, RejectsDuplicatesAndOtherShapes) {
  EXPECT_NE(ErrorOf("threads: 1\nthreads: 2\n").find("serving.yaml:2: threads: given twice"), std::string::npos);
  EXPECT_NE(ErrorOf("[1, 2]\n").find("expected a mapping of settings"), std::string::npos);
  EXPECT_NE(ErrorOf("max_batch_size: 4\n---\nthreads: 1\n").find("more than one YAML document"), std::string::npos);
  EXPECT_NE(ErrorOf("max_batch_size: [4\n").find("serving.yaml:"), std::string::npos);
  EXPECT_NE(ErrorOf("max_batch_size: 8\npreferred_batch_sizes: [4, 4]\n").find("4 is listed twice"), std::string::npos);
}

TEST(ModelConfigTest, ValidatesCombinations) {
  EXPECT_EQ(ErrorOf("max_batch_size: 8\npreferred_batch_sizes: [4, 16]\n"),
            "serving.yaml:2: preferred_batch_sizes: 16 exceeds max_batch_size 8");
  EXPECT_NE(ErrorOf("preferred_batch_sizes: [4]\n").find("needs batching on"), std::string::npos);
  EXPECT_NE(ErrorOf("max_batch_size: 64\nmax_queue_size: 10\n").find("smaller than max_batch_size 64"),
            std::string::npos);
  EXPECT_NE(ErrorOf("threads: 1000\ninstances: 2\n").find("exceeds 1024 threads in all"), std::string::npos);
  // An override that shrinks max_batch_size below the base's preferred sizes
  // is caught too, naming the line of the key it set.
  const ModelConfig base = MustParse("max_batch_size: 32\npreferred_batch_sizes: [16, 32]\n");
  EXPECT_EQ(ErrorOf("\nmax_batch_size: 8\n", base),
            "serving.yaml:2: preferred_batch_sizes: 32 exceeds max_batch_size 8");
}

TEST(ModelConfigTest, VersionPolicyForms) {
  EXPECT_EQ(MustParse("version_policy: all\n").version_policy.kind, VersionPolicy::Kind::kAll);
  EXPECT_EQ(MustParse("version_policy: {all: {}}\n").version_policy.kind, VersionPolicy::Kind::kAll);
  const ModelConfig s = MustParse("version_policy:\n  specific: [3, 1]\n");
  EXPECT_EQ(s.version_policy.kind, VersionPolicy::Kind::kSpecific);
  EXPECT_EQ(s.version_policy.versions, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(MustParse("version_policy: {latest: 3}\n").version_policy.latest, 3);
  EXPECT_NE(ErrorOf("version_policy: {newest: 1}\n").find("unknown policy \"newest\""), std::string::npos);
  EXPECT_NE(ErrorOf("version_policy: {latest: 0}\n").find("version_policy.latest: expected a positive integer"),
            std::string::npos);
  EXPECT_NE(ErrorOf("version_policy: {specific: []}\n").find("lists no versions"), std::string::npos);
  EXPECT_NE(ErrorOf("version_policy: {latest: 1, all: {}}\n").find("expected one of latest, specific or all"),
            std::string::npos);
  EXPECT_NE(ErrorOf("version_policy: some\n").find("expected one of"), std::string::npos);
}

TEST(ModelConfigTest, SelectVersions) {
  const std::vector<int64_t> available = {1, 2, 4, 7};
  VersionPolicy p;
  p.latest = 2;
  EXPECT_EQ(p.Select(available), (std::vector<int64_t>{4, 7}));
  p.latest = 10;
  EXPECT_EQ(p.Select(available), available);
  EXPECT_TRUE(p.Select({}).empty());
  p.kind = VersionPolicy::Kind::kSpecific;
  p.versions = {2, 3, 7};
  EXPECT_EQ(p.Select(available), (std::vector<int64_t>{2, 7}));
  p.kind = VersionPolicy::Kind::kAll;
  EXPECT_EQ(p.Select({7, 1, 4}), (std::vector<int64_t>{1, 4, 7}));
}

TEST(ModelConfigTest, YamlRoundTrips) {
  ModelConfig c;
  c.batching.max_batch_size = 16;
  c.batching.max_queue_delay_us = 250;
  c.batching.preferred_batch_sizes = {4, 16};
  c.batching.max_queue_size = 64;
  c.batching.default_timeout_us = 100000;
  c.batching.instances = 3;
  c.threads = 1;
  c.warmup = false;
  c.version_policy.kind = VersionPolicy::Kind::kSpecific;
  c.version_policy.versions = {2, 5};
  ExpectSame(MustParse(ModelConfigToYaml(c)), c);
  c.version_policy.kind = VersionPolicy::Kind::kAll;
  ExpectSame(MustParse(ModelConfigToYaml(c)), c);
  c.version_policy.kind = VersionPolicy::Kind::kLatest;
  c.version_policy.latest = 4;
  ExpectSame(MustParse(ModelConfigToYaml(c)), c);
  ExpectSame(MustParse(ModelConfigToYaml(ModelConfig{})), ModelConfig{});
}

TEST(ModelConfigTest, JsonUsesTheSameKeys) {
  auto c = ParseModelConfigJson(R"({"max_batch_size": 8, "preferred_batch_sizes": [8],
                                   "version_policy": {"specific": [2]}, "warmup": false})",
                                "load request");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->batching.max_batch_size, 8);
  EXPECT_EQ(c->version_policy.versions, (std::vector<int64_t>{2}));
  EXPECT_FALSE(c->warmup);
  auto bad = ParseModelConfigJson(R"({"max_batch_size": "8"})", "load request");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("load request: max_batch_size: expected a non-negative integer"), 0u)
      << bad.status().message();
  auto unknown = ParseModelConfigJson(R"({"batch": 8})", "load request");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown key \"batch\""), std::string::npos);
  EXPECT_FALSE(ParseModelConfigJson("{not json", "load request").ok());
  EXPECT_FALSE(ParseModelConfigJson("[1]", "load request").ok());
  auto f = ParseModelConfigJson(R"({"threads": 2.5})", "load request");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("got \"2.5\""), std::string::npos);
}

TEST(ModelConfigTest, SharedAnchorsCannotBlowUp) {
  std::string text = "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int i = 1; i < 8; ++i)
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + std::string(10, ' ') + "*a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + "]\n";
  const std::string e = ErrorOf(text);
  EXPECT_NE(e.find("too large"), std::string::npos) << e;
}

}  // namespace
}  // namespace inferd::serving
