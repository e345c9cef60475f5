#include "loadgen/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace inferd::loadgen {
namespace {

constexpr int kSubBits = 8;                   // 256 linear steps below 256 ns ...
constexpr uint64_t kLinear = 1u << kSubBits;  // ... and per power of two above,
constexpr uint64_t kHalf = kLinear / 2;       // of which the upper half is used.
constexpr size_t kBuckets = kLinear + (64 - kSubBits) * kHalf;

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, 0) {}

size_t LatencyHistogram::BucketOf(uint64_t v) {
  if (v < kLinear) return static_cast<size_t>(v);
  const int e = 63 - __builtin_clzll(v);  // >= kSubBits
  const int shift = e - (kSubBits - 1);   // keeps the top kSubBits bits
  const uint64_t mantissa = v >> shift;   // in [kHalf, kLinear)
  return static_cast<size_t>(kLinear + static_cast<uint64_t>(e - kSubBits) * kHalf + (mantissa - kHalf));
}

uint64_t LatencyHistogram::BucketLow(size_t b) {
  if (b < kLinear) return b;
  const uint64_t k = b - kLinear;
  const int e = static_cast<int>(k / kHalf) + kSubBits;
  const uint64_t mantissa = kHalf + k % kHalf;
  return mantissa << (e - (kSubBits - 1));
}

uint64_t LatencyHistogram::BucketWidth(size_t b) {
  if (b < kLinear) return 1;
  const int e = static_cast<int>((b - kLinear) / kHalf) + kSubBits;
  return uint64_t{1} << (e - (kSubBits - 1));
}

void LatencyHistogram::Record(uint64_t nanos) {
  ++counts_[BucketOf(nanos)];
  ++count_;
  sum_ += nanos;
  min_ = std::min(min_, nanos);
  max_ = std::max(max_, nanos);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::Clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  sum_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
}

uint64_t LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  if (q >= 1.0) return max_;
  q = std::max(q, 0.0);
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t b = 0; b < kBuckets; ++b) {
    seen += counts_[b];
    if (seen >= rank) {
      const uint64_t mid = BucketLow(b) + BucketWidth(b) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

}  // namespace inferd::loadgen
