#include "loadgen/report.h"

#include <gtest/gtest.h>

namespace inferd::loadgen {
namespace {

LevelResult Sample() {
  LevelResult r;
  r.concurrency = 16;
  r.measured_s = 2;
  r.completed = 1000;
  r.requests_per_s = 500;
  r.inferences_per_s = 2000;
  for (int i = 1; i <= 1000; ++i) r.latency.Record(static_cast<uint64_t>(i) * 10000);  // 0.01 .. 10 ms
  r.http_errors[503] = 3;
  r.connection_errors = 2;
  r.error_examples["HTTP 503"] = "{\"error\":\"queue full\"}\n";
  r.client_cpu_s = 0.00505;
  return r;
}

TEST(Report, TableHasOneRowPerLevelAndErrorDetails) {
  const std::string table = FormatTable({Sample()});
  EXPECT_NE(table.find("concurrency"), std::string::npos);
  EXPECT_NE(table.find("p99 ms"), std::string::npos);
  EXPECT_NE(table.find("500.0"), std::string::npos);
  EXPECT_NE(table.find("2000.0"), std::string::npos);
  EXPECT_NE(table.find("10.000"), std::string::npos) << table;  // max, exact
  EXPECT_NE(table.find("HTTP 503 x3: {\"error\":\"queue full\"}"), std::string::npos) << table;
  EXPECT_NE(table.find("connection errors x2"), std::string::npos) << table;
  EXPECT_EQ(ClientCpuNote({Sample()}), "generator CPU per request: 5.0 us (c=16)\n");
}

TEST(Report, JsonCarriesTheSameNumbers) {
  const nlohmann::json j = ToJson({Sample()});
  ASSERT_EQ(j["levels"].size(), 1u);
  const auto& l = j["levels"][0];
  EXPECT_EQ(l["concurrency"], 16);
  EXPECT_EQ(l["completed"], 1000);
  EXPECT_DOUBLE_EQ(l["requests_per_s"].get<double>(), 500);
  EXPECT_NEAR(l["latency_ms"]["p50"].get<double>(), 5.0, 0.02);
  EXPECT_NEAR(l["latency_ms"]["p90"].get<double>(), 9.0, 0.04);
  EXPECT_DOUBLE_EQ(l["latency_ms"]["max"].get<double>(), 10.0);
  EXPECT_EQ(l["errors"]["total"], 5);
  EXPECT_EQ(l["errors"]["http"]["503"], 3);
  EXPECT_EQ(l["errors"]["connection"], 2);
}

}  // namespace
}  // namespace inferd::loadgen
