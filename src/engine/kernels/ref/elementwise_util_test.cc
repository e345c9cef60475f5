#include "engine/kernels/ref/elementwise_util.h"

#include <gtest/gtest.h>

#include <random>

namespace inferd::ref {
namespace {

// A random shape of rank <= 4 with dims in [1, 4], sometimes 0.
Shape RandomShape(std::mt19937& rng, bool allow_empty) {
  std::uniform_int_distribution<int> rank_dist(0, 4), dim_dist(1, 4), zero(0, 19);
  Shape s(static_cast<size_t>(rank_dist(rng)));
  for (auto& d : s) d = (allow_empty && zero(rng) == 0) ? 0 : dim_dist(rng);
  return s;
}

// Makes `s` broadcastable against `base` by setting random dims to 1 or
// dropping leading ones.
Shape BroadcastPartner(std::mt19937& rng, const Shape& base) {
  std::uniform_int_distribution<int> coin(0, 2);
  Shape s = base;
  for (auto& d : s)
    if (coin(rng) == 0) d = 1;
  while (!s.empty() && coin(rng) == 0) s.erase(s.begin());
  return s;
}

Tensor RandomTensor(std::mt19937& rng, const Shape& shape) {
  Tensor t = Tensor::Create(DType::kInt32, shape).value();
  std::uniform_int_distribution<int32_t> v(-1000, 1000);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int32_t>()[i] = v(rng);
  return t;
}

// BinaryMap (merged runs, step specialisations) against BroadcastIndexer
// (one element at a time) on random shapes, in both operand orders.
TEST(ElementwiseUtil, BinaryMapMatchesBroadcastIndexer) {
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 500; ++iter) {
    const Shape base = RandomShape(rng, true);
    Shape sa = BroadcastPartner(rng, base), sb = BroadcastPartner(rng, base);
    if (iter % 2) std::swap(sa, sb);
    const Tensor a = RandomTensor(rng, sa), b = RandomTensor(rng, sb);
    const Shape out_shape = BroadcastShapes({sa, sb}).value();
    Tensor out = Tensor::Create(DType::kInt32, out_shape).value();
    BinaryMap<int32_t, int32_t, int32_t>(a, b, out, [](int32_t x, int32_t y) { return x * 3 - y; });
    BroadcastIndexer idx(out_shape, {sa, sb});
    for (int64_t i = 0; i < out.numel(); ++i, idx.Next()) {
      const int32_t want = a.data<int32_t>()[idx.offset(0)] * 3 - b.data<int32_t>()[idx.offset(1)];
      ASSERT_EQ(out.data<int32_t>()[i], want) << "a " << ShapeToString(sa) << " b " << ShapeToString(sb) << " at " << i;
    }
  }
}

TEST(ElementwiseUtil, ThreeInputRunsMatchBroadcastIndexer) {
  std::mt19937 rng(99);
  for (int iter = 0; iter < 300; ++iter) {
    const Shape base = RandomShape(rng, false);
    const Shape s0 = BroadcastPartner(rng, base), s1 = BroadcastPartner(rng, base), s2 = BroadcastPartner(rng, base);
    const Shape out = BroadcastShapes({s0, s1, s2}).value();
    BroadcastRuns<3> runs(out, {&s0, &s1, &s2});
    BroadcastIndexer idx(out, {s0, s1, s2});
    int64_t visited = 0;
    runs.ForEach([&](int64_t o, const std::array<int64_t, 3>& in, int64_t len) {
      for (int64_t i = 0; i < len; ++i, idx.Next(), ++visited) {
        ASSERT_EQ(o + i, visited);
        for (size_t k = 0; k < 3; ++k) ASSERT_EQ(in[k] + i * runs.steps()[k], idx.offset(k)) << "input " << k;
      }
    });
    EXPECT_EQ(visited, ShapeNumel(out));
  }
}

TEST(ElementwiseUtil, SameShapeAndScalarAreOneRun) {
  const Shape s{2, 3, 4}, scalar{};
  BroadcastRuns<2> runs(s, {&s, &scalar});
  EXPECT_EQ(runs.run_length(), 24);
  EXPECT_EQ(runs.steps()[0], 1);
  EXPECT_EQ(runs.steps()[1], 0);
}

TEST(ElementwiseUtil, SaturatingCastIsDefinedEverywhere) {
  EXPECT_EQ(SaturatingCast<int32_t>(3.9), 3);
  EXPECT_EQ(SaturatingCast<int32_t>(-3.9), -3);
  EXPECT_EQ(SaturatingCast<int32_t>(1e20), INT32_MAX);
  EXPECT_EQ(SaturatingCast<int64_t>(9.3e18f), INT64_MAX);
  EXPECT_EQ(SaturatingCast<uint8_t>(-1.0), 0);
  EXPECT_EQ(SaturatingCast<int16_t>(std::nan("")), 0);
}

}  // namespace
}  // namespace inferd::ref
