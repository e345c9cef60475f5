#include "engine/runtime/profiler.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace inferd {
namespace {

std::shared_ptr<const CompiledModel> TwoAddModel() {
  Graph g;
  g.opsets[""] = 17;
  g.inputs = {{"x", DType::kFloat32, std::nullopt}};
  g.outputs = {{"z", DType::kFloat32, std::nullopt}};
  Node a;
  a.op_type = "Add";
  a.name = "first";
  a.inputs = {"x", "x"};
  a.outputs = {"y"};
  Node b = a;
  b.name = "second";
  b.inputs = {"y", "x"};
  b.outputs = {"z"};
  g.nodes = {a, b};
  return CompiledModel::Compile(g, {}, {}).value();
}

TEST(OpProfiler, RecordsEveryOpOfEveryRunAndWritesANestedTrace) {
  auto model = TwoAddModel();
  auto ctx = model->NewRunContext();
  OpProfiler profiler(*model);
  ctx->set_observer(&profiler);
  Tensor x = Tensor::FromVector<float>({1, 2, 3}, {3});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(model->Run(*ctx, {x}).ok());
  EXPECT_EQ(profiler.runs(), 3u);
  auto stats = profiler.Summary();
  ASSERT_EQ(stats.size(), 2u);
  for (const auto& s : stats) {
    EXPECT_EQ(s.calls, 3);
    EXPECT_EQ(s.op_type, "Add");
    EXPECT_EQ(s.shapes, "[3] x [3] -> [3]");
  }
  EXPECT_NE(profiler.FormatTable().find("second"), std::string::npos);

  const auto path = (std::filesystem::temp_directory_path() / "inferd_profiler_test.json").string();
  ASSERT_TRUE(profiler.WriteChromeTrace(path).ok());
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string json = ss.str();
  // 3 run spans + 6 op spans.
  size_t x_events = 0;
  for (size_t pos = 0; (pos = json.find("\"ph\":\"X\"", pos)) != std::string::npos; ++pos) ++x_events;
  EXPECT_EQ(x_events, 9u);
  EXPECT_NE(json.find("\"kernel\":\"ref\""), std::string::npos);
}

TEST(OpProfiler, DetachedContextRecordsNothing) {
  auto model = TwoAddModel();
  auto ctx = model->NewRunContext();
  OpProfiler profiler(*model);
  ASSERT_TRUE(model->Run(*ctx, {Tensor::FromVector<float>({1}, {1})}).ok());
  EXPECT_EQ(profiler.runs(), 0u);
}

}  // namespace
}  // namespace inferd
