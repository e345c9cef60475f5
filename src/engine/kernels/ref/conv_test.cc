#include <gtest/gtest.h>

#include <random>

#include "engine/kernels/ref/one_op_graph_test_util.h"

namespace inferd {
namespace {

using testing::OneOpGraph;

std::vector<float> Values(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.numel()}; }

Tensor Iota(Shape shape, float start = 0) {
  auto t = Tensor::Create(DType::kFloat32, std::move(shape)).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = start + static_cast<float>(i);
  return t;
}

Tensor Random(Shape shape, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1, 1);
  auto t = Tensor::Create(DType::kFloat32, std::move(shape)).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

TEST(Conv, TwoByTwoKernelWithBias) {
  auto out = OneOpGraph("Conv").In().In().In().Run(
      {Iota({1, 1, 3, 3}), Tensor::FromVector<float>({1, 1, 1, 1}, {1, 1, 2, 2}), Tensor::FromVector<float>({1}, {1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(Values((*out)[0]), (std::vector<float>{9, 13, 21, 25}));
}

TEST(Conv, PadsAndStrides) {
  auto out = OneOpGraph("Conv")
                 .In()
                 .In()
                 .Attr("pads", std::vector<int64_t>{1, 1, 1, 1})
                 .Attr("strides", std::vector<int64_t>{2, 2})
                 .Run({Iota({1, 1, 3, 3}), Tensor::FromVector<float>(std::vector<float>(9, 1.0f), {1, 1, 3, 3})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<float>{8, 12, 20, 24}));
}

TEST(Conv, SameUpperAndSameLowerPutTheOddPadOnOppositeSides) {
  const Tensor x = Tensor::FromVector<float>({1, 2, 3}, {1, 1, 3});
  const Tensor w = Tensor::FromVector<float>({1, 10}, {1, 1, 2});
  auto upper = OneOpGraph("Conv").In().In().Attr("auto_pad", "SAME_UPPER").Run({x, w});
  auto lower = OneOpGraph("Conv").In().In().Attr("auto_pad", "SAME_LOWER").Run({x, w});
  ASSERT_TRUE(upper.ok() && lower.ok());
  EXPECT_EQ(Values((*upper)[0]), (std::vector<float>{21, 32, 3}));
  EXPECT_EQ(Values((*lower)[0]), (std::vector<float>{10, 21, 32}));
}

TEST(Conv, DepthwiseGroups) {
  auto out = OneOpGraph("Conv")
                 .In()
                 .In()
                 .Attr("group", 2)
                 .Run({Iota({1, 2, 1, 2}), Tensor::FromVector<float>({2, 3}, {2, 1, 1, 1})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<float>{0, 2, 6, 9}));
}

TEST(Conv, FusedReluAndClip) {
  const Tensor x = Tensor::FromVector<float>({1, -2, 3}, {1, 1, 3});
  const Tensor w = Tensor::FromVector<float>({2}, {1, 1, 1});
  auto relu = OneOpGraph("Conv").In().In().Attr("_activation", "Relu").Run({x, w});
  ASSERT_TRUE(relu.ok()) << relu.status().ToString();
  EXPECT_EQ(Values((*relu)[0]), (std::vector<float>{2, 0, 6}));
  auto clip = OneOpGraph("Conv")
                  .In()
                  .In()
                  .Attr("_activation", "Clip")
                  .Attr("_activation_alpha", -1.0f)
                  .Attr("_activation_beta", 3.0f)
                  .Run({x, w});
  ASSERT_TRUE(clip.ok()) << clip.status().ToString();
  EXPECT_EQ(Values((*clip)[0]), (std::vector<float>{2, -1, 3}));
}

// Direct 7-deep loop, the obviously-correct oracle for the im2col path.
std::vector<float> NaiveConv(const Tensor& x, const Tensor& w, const std::vector<float>& bias, int64_t group,
                             const std::vector<int64_t>& strides, const std::vector<int64_t>& dil,
                             const std::vector<int64_t>& pads, Shape* out_shape) {
  const int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0), cg = C / group, mg = M / group;
  const int64_t D = x.dim(2), H = x.dim(3), W = x.dim(4);
  const int64_t kd = w.dim(2), kh = w.dim(3), kw = w.dim(4);
  auto out_dim = [&](int64_t in, int64_t k, int d) {
    return (in + pads[d] + pads[d + 3] - ((k - 1) * dil[d] + 1)) / strides[d] + 1;
  };
  const int64_t OD = out_dim(D, kd, 0), OH = out_dim(H, kh, 1), OW = out_dim(W, kw, 2);
  *out_shape = {N, M, OD, OH, OW};
  std::vector<float> y;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t od = 0; od < OD; ++od)
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            double acc = bias.empty() ? 0 : bias[static_cast<size_t>(m)];
            const int64_t g = m / mg;
            for (int64_t c = 0; c < cg; ++c)
              for (int64_t a = 0; a < kd; ++a)
                for (int64_t b = 0; b < kh; ++b)
                  for (int64_t e = 0; e < kw; ++e) {
                    const int64_t id = od * strides[0] - pads[0] + a * dil[0];
                    const int64_t ih = oh * strides[1] - pads[1] + b * dil[1];
                    const int64_t iw = ow * strides[2] - pads[2] + e * dil[2];
                    if (id < 0 || id >= D || ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                    acc += static_cast<double>(x.data<float>()[(((n * C + g * cg + c) * D + id) * H + ih) * W + iw]) *
                           w.data<float>()[(((m * cg + c) * kd + a) * kh + b) * kw + e];
                  }
            y.push_back(static_cast<float>(acc));
          }
  return y;
}

TEST(Conv, MatchesDirectLoopsOnRandom3dShapes) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 12; ++trial) {
    std::uniform_int_distribution<int> small(1, 3);
    const int64_t group = small(rng), cg = small(rng), mg = small(rng) + (trial % 3 == 0 ? 8 : 0);
    const std::vector<int64_t> strides{small(rng), small(rng), small(rng)}, dil{small(rng), 1, small(rng)};
    const std::vector<int64_t> pads{small(rng) - 1, small(rng) - 1, 0, small(rng) - 1, 1, small(rng) - 1};
    const Tensor x = Random({2, group * cg, 4 + small(rng), 5 + small(rng), 6 + small(rng)}, rng);
    const Tensor w = Random({group * mg, cg, small(rng), small(rng), small(rng)}, rng);
    const Tensor b = Random({group * mg}, rng);
    Shape want_shape;
    const std::vector<float> want = NaiveConv(x, w, Values(b), group, strides, dil, pads, &want_shape);
    auto out = OneOpGraph("Conv")
                   .In()
                   .In()
                   .In()
                   .Attr("group", group)
                   .Attr("strides", strides)
                   .Attr("dilations", dil)
                   .Attr("pads", pads)
                   .Run({x, w, b}, /*threads=*/2);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ((*out)[0].shape(), want_shape) << "trial " << trial;
    const std::vector<float> got = Values((*out)[0]);
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-4) << "trial " << trial << " at " << i;
  }
}

TEST(Conv, BadShapesAreInvalidArgumentsNamingTheProblem) {
  auto run = [](OneOpGraph g, std::vector<Tensor> in) {
    auto r = g.Run(in);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    return r.status().message();
  };
  const Tensor x = Iota({1, 4, 3, 3});
  EXPECT_NE(run(OneOpGraph("Conv").In().In(), {x, Iota({2, 4, 5, 5})}).find("larger than the padded input"),
            std::string::npos);
  EXPECT_NE(run(OneOpGraph("Conv").In().In().Attr("group", 3), {x, Iota({3, 1, 1, 1})}).find("not divisible by group"),
            std::string::npos);
  EXPECT_NE(run(OneOpGraph("Conv").In().In(), {x, Iota({2, 3, 1, 1})}).find("C/group"), std::string::npos);
  EXPECT_NE(run(OneOpGraph("Conv").In().In().In(), {x, Iota({2, 4, 1, 1}), Iota({3})}).find("bias"), std::string::npos);
  EXPECT_NE(run(OneOpGraph("Conv").In().In(), {x, Iota({2, 4, 1})}).find("same rank"), std::string::npos);
  EXPECT_NE(run(OneOpGraph("Conv").In().In().Attr("strides", std::vector<int64_t>{0, 1}), {x, Iota({2, 4, 1, 1})})
                .find("strides"),
            std::string::npos);
  EXPECT_NE(
      run(OneOpGraph("Conv").In().In().Attr("pads", std::vector<int64_t>{1, 1}), {x, Iota({2, 4, 1, 1})}).find("pads"),
      std::string::npos);
  EXPECT_NE(run(OneOpGraph("Conv").In().In().Attr("kernel_shape", std::vector<int64_t>{2, 2}), {x, Iota({2, 4, 1, 1})})
                .find("kernel_shape"),
            std::string::npos);
}

TEST(Conv, HostileSizesAreRejectedBeforeAllocating) {
  // A huge pad makes the im2col buffer (and output) enormous: an error, not a crash.
  auto r = OneOpGraph("Conv")
               .In()
               .In()
               .Attr("pads", std::vector<int64_t>{1 << 20, 1 << 20, 1 << 20, 1 << 20})
               .Run({Iota({1, 1, 2, 2}), Iota({1, 1, 2, 2})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  auto big = OneOpGraph("Conv")
                 .In()
                 .In()
                 .Attr("strides", std::vector<int64_t>{int64_t{1} << 40, 1})
                 .Run({Iota({1, 1, 2, 2}), Iota({1, 1, 1, 1})});
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("larger than"), std::string::npos) << big.status().message();
  auto convt = OneOpGraph("ConvTranspose")
                   .In()
                   .In()
                   .Attr("strides", std::vector<int64_t>{1 << 24, 1 << 24})
                   .Run({Iota({1, 1, 300, 300}), Iota({1, 1, 1, 1})});
  ASSERT_FALSE(convt.ok());
  EXPECT_EQ(convt.status().code(), StatusCode::kInvalidArgument) << convt.status().ToString();
}

TEST(ConvTranspose, StridePadsAndOutputShape) {
  const Tensor x = Tensor::FromVector<float>({1, 2}, {1, 1, 2});
  const Tensor w = Tensor::FromVector<float>({1, 1, 1}, {1, 1, 3});
  auto plain = OneOpGraph("ConvTranspose").In().In().Attr("strides", std::vector<int64_t>{2}).Run({x, w});
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(Values((*plain)[0]), (std::vector<float>{1, 1, 3, 2, 2}));
  auto padded = OneOpGraph("ConvTranspose")
                    .In()
                    .In()
                    .Attr("strides", std::vector<int64_t>{2})
                    .Attr("pads", std::vector<int64_t>{1, 1})
                    .Run({x, w});
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(Values((*padded)[0]), (std::vector<float>{1, 3, 2}));
  auto shaped = OneOpGraph("ConvTranspose")
                    .In()
                    .In()
                    .Attr("strides", std::vector<int64_t>{2})
                    .Attr("output_shape", std::vector<int64_t>{6})
                    .Run({x, w});
  ASSERT_TRUE(shaped.ok());
  EXPECT_EQ(Values((*shaped)[0]), (std::vector<float>{1, 1, 3, 2, 2, 0}));
}

// ConvTranspose is Conv's adjoint: <Conv(x; W), y> == <x, ConvTranspose(y; W)>.
TEST(ConvTranspose, IsTheAdjointOfConvOnRandomShapes) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> small(1, 3);
  for (int trial = 0; trial < 10; ++trial) {
    const int64_t group = small(rng), cg = small(rng), mg = small(rng);
    const std::vector<int64_t> strides{small(rng), small(rng)}, dil{small(rng), small(rng)};
    const std::vector<int64_t> pads{small(rng) - 1, small(rng) - 1, small(rng) - 1, small(rng) - 1};
    const Tensor x = Random({2, group * cg, 6 + small(rng), 7 + small(rng)}, rng);
    const Tensor w = Random({group * mg, cg, small(rng), small(rng)}, rng);
    auto conv = OneOpGraph("Conv")
                    .In()
                    .In()
                    .Attr("group", group)
                    .Attr("strides", strides)
                    .Attr("dilations", dil)
                    .Attr("pads", pads)
                    .Run({x, w});
    ASSERT_TRUE(conv.ok()) << conv.status().ToString();
    const Tensor y = Random((*conv)[0].shape(), rng);
    // output_padding restores the input rows the forward stride skipped.
    std::vector<int64_t> output_padding(2);
    for (int d = 0; d < 2; ++d)
      output_padding[d] =
          x.dim(d + 2) - (strides[d] * (y.dim(d + 2) - 1) + (w.dim(d + 2) - 1) * dil[d] + 1 - pads[d] - pads[d + 2]);
    auto convt = OneOpGraph("ConvTranspose")
                     .In()
                     .In()
                     .Attr("group", group)
                     .Attr("strides", strides)
                     .Attr("dilations", dil)
                     .Attr("pads", pads)
                     .Attr("output_padding", output_padding)
                     .Run({y, w});
    ASSERT_TRUE(convt.ok()) << convt.status().ToString();
    ASSERT_EQ((*convt)[0].shape(), x.shape());
    double lhs = 0, rhs = 0;
    for (int64_t i = 0; i < y.numel(); ++i) lhs += double{(*conv)[0].data<float>()[i]} * y.data<float>()[i];
    for (int64_t i = 0; i < x.numel(); ++i) rhs += double{x.data<float>()[i]} * (*convt)[0].data<float>()[i];
    EXPECT_NEAR(lhs, rhs, 1e-3 * (1 + std::abs(lhs))) << "trial " << trial;
  }
}

TEST(ConvTranspose, WeightChannelMismatchIsAnError) {
  auto r = OneOpGraph("ConvTranspose").In().In().Run({Iota({1, 2, 3}), Iota({3, 1, 2})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("dim 0 must equal the input channels"), std::string::npos);
}

}  // namespace
}  // namespace inferd
