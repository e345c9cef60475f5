#include <gtest/gtest.h>

#include "engine/kernels/dnnl/oracle_test_util.h"

namespace inferd::onednn::testing {
namespace {

std::vector<GraphInput> Inputs(const Shape& x, std::mt19937& rng) {
  const Shape c{x[1]};
  return {{"x", RandomTensor(x, rng)},
          {"scale", RandomTensor(c, rng), true},
          {"b", RandomTensor(c, rng), true},
          {"mean", RandomTensor(c, rng), true},
          {"var", RandomTensor(c, rng, 0.1f, 2.f), true}};
}

TEST(DnnlBatchNorm, MatchesReferenceOverRanksAndEpsilons) {
  std::mt19937 rng(41);
  for (const Shape& shape : {Shape{1, 1}, Shape{4, 3}, Shape{2, 5, 7}, Shape{1, 16, 9, 9}, Shape{3, 2, 1, 1},
                             Shape{2, 3, 2, 3, 4}}) {
    for (float eps : {1e-5f, 0.1f}) {
      for (int64_t opset : {9, 15}) {
        CompareOneNode("BatchNormalization", Inputs(shape, rng), {{"epsilon", FloatAttr(eps)}},
                       ShapeToString(shape) + " eps " + std::to_string(eps), opset);
      }
    }
  }
}

TEST(DnnlBatchNorm, DynamicStatisticsMatchReference) {
  std::mt19937 rng(44);
  auto in = Inputs({2, 6, 5, 3}, rng);
  for (auto& i : in) i.constant = false;
  CompareOneNode("BatchNormalization", in, {}, "all inputs dynamic");
}

TEST(DnnlBatchNorm, TrainingIsLeftToTheReference) {
  std::mt19937 rng(42);
  auto in = Inputs({2, 3, 4}, rng);
  const std::vector<std::string> names = {"x", "scale", "b", "mean", "var"};
  auto training = CompileOrDie(
      MakeGraph({MakeNode("BatchNormalization", names, {"y"}, {{"training_mode", IntAttr(1)}})}, in), {});
  ASSERT_TRUE(training);
  EXPECT_EQ(training->step_kernel_name(0), "ref");
  auto stats = CompileOrDie(
      MakeGraph({MakeNode("BatchNormalization", names, {"y", "m", "v"}, {{"training_mode", IntAttr(1)}})}, in), {});
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->step_kernel_name(0), "ref");
}

TEST(DnnlBatchNorm, ChannelMismatchIsInvalidArgument) {
  std::mt19937 rng(43);
  const auto in = Inputs({1, 3, 2, 2}, rng);
  auto model = CompileOrDie(MakeGraph({MakeNode("BatchNormalization", {"x", "scale", "b", "mean", "var"}, {"y"})}, in), {});
  ASSERT_TRUE(model);
  EXPECT_EQ(model->step_kernel_name(0), "dnnl.batchnorm");
  auto out = model->Run({RandomTensor({1, 4, 2, 2}, rng)});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace inferd::onednn::testing
