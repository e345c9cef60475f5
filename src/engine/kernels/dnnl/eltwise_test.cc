#include <gtest/gtest.h>

#include <limits>

#include "engine/kernels/dnnl/oracle_test_util.h"
#include "engine/kernels/ref/fused_activation.h"

namespace inferd::onednn::testing {
namespace {

// Second oracle: the reference activation helper the fused kernels use.
Tensor Expected(const Tensor& x, ref::ActivationKind kind, float alpha, float beta) {
  Tensor y = x.Clone();
  ref::FusedActivation act;
  act.kind = kind;
  act.alpha = alpha;
  act.beta = beta;
  ref::ApplyActivationInPlace(y.data<float>(), y.numel(), act);
  return y;
}

struct EltCase {
  std::string op;
  std::map<std::string, Attribute> attrs;
  ref::ActivationKind kind;
  float alpha, beta;
  int64_t opset = 17;
};

TEST(DnnlEltwise, MatchesReferenceActivations) {
  std::mt19937 rng(51);
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<EltCase> cases = {
      {"Relu", {}, ref::ActivationKind::kRelu, 0, 0},
      {"Sigmoid", {}, ref::ActivationKind::kSigmoid, 0, 0},
      {"Tanh", {}, ref::ActivationKind::kTanh, 0, 0},
      {"LeakyRelu", {}, ref::ActivationKind::kLeakyRelu, 0.01f, 0},
      {"LeakyRelu", {{"alpha", FloatAttr(0.3f)}}, ref::ActivationKind::kLeakyRelu, 0.3f, 0},
      {"Elu", {}, ref::ActivationKind::kElu, 1.f, 0},
      {"Elu", {{"alpha", FloatAttr(0.5f)}}, ref::ActivationKind::kElu, 0.5f, 0},
      {"HardSigmoid", {}, ref::ActivationKind::kHardSigmoid, 0.2f, 0.5f},
      {"HardSigmoid", {{"alpha", FloatAttr(0.4f)}, {"beta", FloatAttr(0.1f)}}, ref::ActivationKind::kHardSigmoid,
       0.4f, 0.1f},
      {"HardSwish", {}, ref::ActivationKind::kHardSwish, 0, 0},
      {"Clip", {{"min", FloatAttr(-1.f)}, {"max", FloatAttr(2.f)}}, ref::ActivationKind::kClip, -1.f, 2.f, 6},
      {"Clip", {}, ref::ActivationKind::kClip, -inf, inf, 6},
  };
  for (const EltCase& c : cases) {
    for (const Shape& shape : {Shape{1}, Shape{7}, Shape{3, 5, 17}, Shape{2, 64, 9, 9}}) {
      const Tensor x = RandomTensor(shape, rng, -8.f, 8.f);
      // Against the reference kernel of the op, and the activation helper.
      CompareOneNode(c.op, {{"x", x}}, c.attrs, c.op + " vs ref " + ShapeToString(shape), c.opset, 1e-5, 1e-6);
      auto model = CompileOrDie(MakeGraph({MakeNode(c.op, {"x"}, {"y"}, c.attrs)}, {{"x", x}}, "y", c.opset), {});
      ASSERT_TRUE(model);
      ASSERT_EQ(model->step_kernel_name(0).substr(0, 5), "dnnl.") << c.op;
      auto ctx = model->NewRunContext();
      for (int pass = 0; pass < 2; ++pass) {
        auto got = model->Run(*ctx, {x});
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        ExpectClose((*got)[0], Expected(x, c.kind, c.alpha, c.beta), c.op + " " + ShapeToString(shape), 1e-5, 1e-6);
      }
    }
  }
}

TEST(DnnlEltwise, ClipWithConstantInputBounds) {
  std::mt19937 rng(52);
  const Tensor x = RandomTensor({4, 9}, rng, -3.f, 3.f);
  for (const bool with_min : {false, true}) {
    for (const bool with_max : {false, true}) {
      std::vector<GraphInput> in = {{"x", x}};
      if (with_min) in.push_back({"lo", Tensor::Scalar<float>(-0.5f), true});
      if (with_max) in.push_back({"hi", Tensor::Scalar<float>(1.25f), true});
      auto model = CompileOrDie(
          MakeGraph({MakeNode("Clip", {"x", with_min ? "lo" : "", with_max ? "hi" : ""}, {"y"})}, in), {});
      ASSERT_TRUE(model);
      EXPECT_EQ(model->step_kernel_name(0), "dnnl.clip");
      auto got = model->Run({x});
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      const float inf = std::numeric_limits<float>::infinity();
      ExpectClose((*got)[0],
                  Expected(x, ref::ActivationKind::kClip, with_min ? -0.5f : -inf, with_max ? 1.25f : inf),
                  "Clip", 0, 0);
    }
  }
}

TEST(DnnlEltwise, DynamicClipBoundsAndEmptyInputs) {
  std::mt19937 rng(53);
  // Non-constant bounds: not for dnnl.
  const std::vector<GraphInput> in = {{"x", RandomTensor({3}, rng)}, {"lo", Tensor::Scalar<float>(0.f)}};
  ModelOptions options;
  options.optimize = false;
  auto dynamic = CompiledModel::Compile(MakeGraph({MakeNode("Clip", {"x", "lo"}, {"y"})}, in), {}, options);
  ASSERT_TRUE(dynamic.ok()) << dynamic.status().ToString();
  EXPECT_EQ((*dynamic)->step_kernel_name(0), "ref");
  auto relu = CompileOrDie(MakeGraph({MakeNode("Relu", {"x"}, {"y"})}, {{"x", RandomTensor({3}, rng)}}), {});
  ASSERT_TRUE(relu);
  auto out = relu->Run({Tensor::Create(DType::kFloat32, {2, 0}).value()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 0}));
}

}  // namespace
}  // namespace inferd::onednn::testing
