#include <gtest/gtest.h>

#include "engine/kernels/dnnl/oracle_test_util.h"
#include "engine/kernels/fast/vec_math.h"

namespace inferd::onednn::testing {
namespace {

TEST(DnnlSoftmax, MatchesReferenceOverShapesAxesAndOpsets) {
  std::mt19937 rng(7);
  const std::vector<Shape> shapes = {{5}, {1, 1}, {3, 7}, {2, 3, 5}, {1, 4, 1, 9}, {2, 3, 4, 5}, {4, 1000}};
  for (const std::string op : {"Softmax", "LogSoftmax"}) {
    for (int64_t opset : {11, 13}) {
      for (const Shape& shape : shapes) {
        const int64_t rank = static_cast<int64_t>(shape.size());
        for (int64_t axis = -rank; axis < rank; ++axis) {
          const std::vector<GraphInput> in = {{"x", RandomTensor(shape, rng, -5, 5)}};
          CompareOneNode(
              op, in, {{"axis", IntAttr(axis)}},
              op + " opset " + std::to_string(opset) + " " + ShapeToString(shape) + " axis " + std::to_string(axis),
              opset, 1e-4, 1e-6);
        }
      }
    }
  }
}

TEST(DnnlSoftmax, NonLastAxisMatchesReferenceOnVectorAndTailLanes) {
  // inner = 8, 19 and 128 exercise the 8-wide body and the scalar tail.
  std::mt19937 rng(17);
  for (const std::string op : {"Softmax", "LogSoftmax"}) {
    // {8, 300, 64} is big enough to be split over two threads.
    for (const Shape& shape : std::vector<Shape>{{2, 7, 8}, {3, 5, 19}, {1, 64, 128}, {4, 128, 2, 4}, {8, 300, 64}}) {
      const std::vector<GraphInput> in = {{"x", RandomTensor(shape, rng, -30, 30)}};
      CompareOneNode(op, in, {{"axis", IntAttr(1)}}, op + " " + ShapeToString(shape) + " axis 1", 13, 1e-4, 1e-6);
    }
  }
}

TEST(DnnlSoftmax, DefaultAxisDependsOnOpset) {
  std::mt19937 rng(8);
  const std::vector<GraphInput> in = {{"x", RandomTensor({2, 3, 4}, rng)}};
  CompareOneNode("Softmax", in, {}, "opset 11 default axis 1", 11);
  CompareOneNode("Softmax", in, {}, "opset 13 default axis -1", 13);
}

TEST(DnnlSoftmax, HandsUsefulErrors) {
  std::mt19937 rng(9);
  const std::vector<GraphInput> in = {{"x", RandomTensor({2, 3}, rng)}};
  auto model = CompileOrDie(MakeGraph({MakeNode("Softmax", {"x"}, {"y"}, {{"axis", IntAttr(2)}})}, in), {});
  ASSERT_TRUE(model);
  EXPECT_EQ(model->step_kernel_name(0), fast::UsingAvx2() ? "fast.softmax" : "dnnl.softmax");
  auto out = model->Run(RuntimeInputs(in));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("axis"), std::string::npos) << out.status().message();
}

TEST(DnnlSoftmax, EmptyInputGivesEmptyOutput) {
  const std::vector<GraphInput> in = {{"x", Tensor::Create(DType::kFloat32, {0, 3}).value()}};
  auto model = CompileOrDie(MakeGraph({MakeNode("Softmax", {"x"}, {"y"})}, in), {});
  ASSERT_TRUE(model);
  auto out = model->Run(RuntimeInputs(in));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{0, 3}));
}

TEST(DnnlSoftmax, NonFloatInputTakesTheReferenceFallback) {
  // The dtype of an undeclared input is unknown at load, so the dnnl kernel is
  // chosen and must hand doubles to the reference kernel at run time.
  Graph g = MakeGraph({MakeNode("Softmax", {"x"}, {"y"})}, {{"x", Tensor::FromVector<double>({1, 2, 3}, {3})}});
  g.inputs[0].dtype = DType::kUndefined;
  g.outputs[0].dtype = DType::kUndefined;
  auto model = CompileOrDie(g, {});
  ASSERT_TRUE(model);
  auto out = model->Run({Tensor::FromVector<double>({1, 2, 3}, {3})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].dtype(), DType::kFloat64);
  EXPECT_NEAR((*out)[0].data<double>()[2], 0.66524096, 1e-6);
}

}  // namespace
}  // namespace inferd::onednn::testing
