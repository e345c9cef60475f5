// LatencyHistogram: latencies in nanoseconds in log-linear buckets (the idea
// of HdrHistogram: 256 linear steps per power of two), so any quantile is
// reported within 0.4% of the true sample while memory stays fixed (~60 KB)
// however long a run lasts. Min, max, count and sum are exact.
//
// Thread safety: none; each load-generator thread fills its own and the
// results are merged afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace inferd::loadgen {

class LatencyHistogram {
 public:
  LatencyHistogram();

  void Record(uint64_t nanos);
  void Merge(const LatencyHistogram& other);
  void Clear();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // The value at quantile q in [0, 1] (nearest rank), as the midpoint of its
  // bucket clamped to [min, max] (q >= 1: max exactly); 0 when empty.
  uint64_t Quantile(double q) const;

  // Bucket arithmetic, exposed for tests.
  static size_t BucketOf(uint64_t nanos);
  static uint64_t BucketLow(size_t bucket);
  static uint64_t BucketWidth(size_t bucket);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  uint64_t sum_ = 0;
};

}  // namespace inferd::loadgen
