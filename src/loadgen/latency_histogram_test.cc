#include "loadgen/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace inferd::loadgen {
namespace {

TEST(LatencyHistogram, BucketsCoverEveryValueWithinHalfAPercent) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const uint64_t v = rng() >> (rng() % 64);
    const size_t b = LatencyHistogram::BucketOf(v);
    const uint64_t low = LatencyHistogram::BucketLow(b), width = LatencyHistogram::BucketWidth(b);
    ASSERT_GE(v, low) << v;
    ASSERT_LT(v - low, width) << v;
    ASSERT_LE(static_cast<double>(width) / 2, std::max(1.0, static_cast<double>(v) * 0.004)) << v;
  }
  EXPECT_EQ(LatencyHistogram::BucketOf(255), 255u);
  EXPECT_EQ(LatencyHistogram::BucketOf(256), 256u);
  EXPECT_LT(LatencyHistogram::BucketOf(UINT64_MAX), 7424u);
}

TEST(LatencyHistogram, QuantilesMatchSortedSamplesWithinOnePercent) {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> dist(std::log(2e6), 0.8);  // around 2 ms, long tail
  std::vector<uint64_t> samples;
  LatencyHistogram h, a, b;
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<uint64_t>(dist(rng));
    samples.push_back(v);
    (i % 2 ? a : b).Record(v);
  }
  h.Merge(a);
  h.Merge(b);
  std::sort(samples.begin(), samples.end());
  ASSERT_EQ(h.count(), samples.size());
  EXPECT_EQ(h.max(), samples.back());
  EXPECT_EQ(h.min(), samples.front());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto exact = static_cast<double>(samples[static_cast<size_t>(std::ceil(q * samples.size())) - 1]);
    EXPECT_NEAR(static_cast<double>(h.Quantile(q)), exact, exact * 0.01) << q;
  }
  EXPECT_EQ(h.Quantile(1.0), samples.back());
}

TEST(LatencyHistogram, EmptyAndClear) {
  LatencyHistogram h;
  EXPECT_EQ(h.Quantile(0.5), 0u);
  h.Record(1000);
  EXPECT_EQ(h.Quantile(0.5), 1000u);
  h.Clear();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max(), 0u);
}

}  // namespace
}  // namespace inferd::loadgen
