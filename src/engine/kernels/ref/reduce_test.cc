#include <gtest/gtest.h>

#include <cmath>

#include "engine/kernels/ref/single_node_graph.h"

namespace inferd {
namespace {

using kernel_testing::IntAttr;
using kernel_testing::IntsAttr;
using kernel_testing::SingleNodeGraph;

Tensor X23() { return Tensor::FromVector<float>({1, -2, 3, 4, 5, -6}, {2, 3}); }

TEST(Reduce, SumAxesInputOpset13KeepDims) {
  SingleNodeGraph g{"ReduceSum", 13};
  auto out = g.Run({X23(), Tensor::FromVector<int64_t>({1}, {1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 1}));
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], 2);
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[1], 3);
}

TEST(Reduce, MeanAttrAxesNoKeepDimsOpset13) {
  SingleNodeGraph g{"ReduceMean", 13, {{"axes", IntsAttr({0})}, {"keepdims", IntAttr(0)}}};
  auto out = g.Run({X23()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{3}));
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], 2.5f);
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[2], -1.5f);
}

TEST(Reduce, Opset18TakesAxesAsInput) {
  SingleNodeGraph g{"ReduceMax", 18, {{"keepdims", IntAttr(0)}}};
  auto out = g.Run({X23(), Tensor::FromVector<int64_t>({-1}, {1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{2}));
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], 3);
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[1], 5);
}

TEST(Reduce, EmptyAxesReducesAllUnlessNoop) {
  SingleNodeGraph all{"ReduceProd", 18};
  auto out = all.Run({X23()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{1, 1}));
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], 1 * -2 * 3 * 4 * 5 * -6);

  SingleNodeGraph noop{"ReduceSumSquare", 18, {{"noop_with_empty_axes", IntAttr(1)}}};
  out = noop.Run({X23(), Tensor::FromVector<int64_t>({}, {0})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 3}));
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[1], 4);  // squared, not reduced
}

TEST(Reduce, NormsAndLogs) {
  auto run = [](const char* op) {
    SingleNodeGraph g{op, 13, {{"axes", IntsAttr({1})}, {"keepdims", IntAttr(0)}}};
    auto out = g.Run({Tensor::FromVector<double>({3, -4, 1, 1}, {2, 2})});
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return (*out)[0];
  };
  EXPECT_DOUBLE_EQ(run("ReduceL1").data<double>()[0], 7);
  EXPECT_DOUBLE_EQ(run("ReduceL2").data<double>()[0], 5);
  EXPECT_DOUBLE_EQ(run("ReduceMin").data<double>()[0], -4);
  EXPECT_DOUBLE_EQ(run("ReduceLogSum").data<double>()[1], std::log(2.0));
  EXPECT_NEAR(run("ReduceLogSumExp").data<double>()[0], std::log(std::exp(3.0) + std::exp(-4.0)), 1e-12);
}

TEST(Reduce, LogSumExpIsStableForLargeValues) {
  SingleNodeGraph g{"ReduceLogSumExp", 13};
  auto out = g.Run({Tensor::FromVector<float>({1000, 1000}, {2})});
  ASSERT_TRUE(out.ok());
  EXPECT_NEAR((*out)[0].data<float>()[0], 1000 + std::log(2.0f), 1e-3);
}

TEST(Reduce, Int64SumIsExact) {
  SingleNodeGraph g{"ReduceSum", 13, {{"keepdims", IntAttr(0)}}};
  const int64_t big = (int64_t{1} << 60) + 1;
  auto out = g.Run({Tensor::FromVector<int64_t>({big, 1}, {2})});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].shape(), Shape{});
  EXPECT_EQ((*out)[0].data<int64_t>()[0], big + 1);
}

TEST(Reduce, EmptyReducedDimGivesIdentity) {
  SingleNodeGraph g{"ReduceMax", 13, {{"axes", IntsAttr({1})}}};
  auto out = g.Run({Tensor::Create(DType::kFloat32, {2, 0}).value()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 1}));
  EXPECT_TRUE(std::isinf((*out)[0].data<float>()[0]));
}

TEST(Reduce, NonContiguousAxes) {
  SingleNodeGraph g{"ReduceSum", 13, {{"keepdims", IntAttr(0)}}};
  std::vector<float> v(24);
  for (int i = 0; i < 24; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  auto out = g.Run({Tensor::FromVector<float>(v, {2, 3, 4}), Tensor::FromVector<int64_t>({0, 2}, {2})});
  ASSERT_TRUE(out.ok());
  ASSERT_EQ((*out)[0].shape(), (Shape{3}));
  // j=0: (0+1+2+3) + (12+13+14+15) = 60; each j adds 8*4.
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], 60);
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[2], 60 + 64);
}

TEST(Reduce, BadAxesAreInvalidArgument) {
  SingleNodeGraph g{"ReduceSum", 13};
  auto out = g.Run({X23(), Tensor::FromVector<int64_t>({2}, {1})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("out of range"), std::string::npos) << out.status().message();
  out = g.Run({X23(), Tensor::FromVector<int64_t>({1, -1}, {2})});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("repeated"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace inferd

namespace inferd {
namespace {

TEST(Reduce, BoolMaxIsAnyMinIsAll) {
  auto bools = [] {
    Tensor t = Tensor::Create(DType::kBool, {2, 2}).value();
    bool* p = t.data<bool>();
    p[0] = true, p[1] = false, p[2] = true, p[3] = true;
    return t;
  };
  kernel_testing::SingleNodeGraph mx("ReduceMax", 20, {{"keepdims", kernel_testing::IntAttr(0)}});
  auto out = mx.Run({bools(), Tensor::FromVector<int64_t>({1}, {1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE((*out)[0].data<bool>()[0]);
  EXPECT_TRUE((*out)[0].data<bool>()[1]);
  kernel_testing::SingleNodeGraph mn("ReduceMin", 20, {{"keepdims", kernel_testing::IntAttr(0)}});
  out = mn.Run({bools(), Tensor::FromVector<int64_t>({1}, {1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FALSE((*out)[0].data<bool>()[0]);
  EXPECT_TRUE((*out)[0].data<bool>()[1]);
  kernel_testing::SingleNodeGraph sum("ReduceSum", 20);
  out = sum.Run({bools()});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace inferd
