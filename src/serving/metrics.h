// Metrics: Prometheus counters, gauges and histograms with labels, rendered
// in the text exposition format (version 0.0.4) for GET /metrics.
//
// Thread-safe. Get* creates a series on first use and returns a reference
// that stays valid for the life of the Metrics object; hot paths look a
// series up once and keep the reference, after which Inc/Set/Observe are
// lock-free (atomics). Render() may run while others update.
//
// Latencies are in seconds (Prometheus convention); histograms are
// cumulative so a p99 can be computed across replicas with
// histogram_quantile().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inferd::serving {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Inc(double v = 1.0);
  double value() const;

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void Set(double v);
  void Add(double v);
  double value() const;

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // `bounds`: ascending upper bounds; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Per-bucket (not cumulative) counts, the +Inf bucket last.
  std::vector<uint64_t> bucket_counts() const;
  uint64_t count() const;
  double sum() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0.0};
  std::atomic<uint64_t> count_{0};
};

// Buckets for request latencies: 25 us to ~60 s, roughly x2 apart.
std::vector<double> LatencyBucketsSeconds();
// Buckets for batch sizes: 1, 2, 4, ... up to and including max (>= 1).
std::vector<double> BatchSizeBuckets(int64_t max);

class Metrics {
 public:
  Metrics();
  ~Metrics();
  // A family's type and help are fixed by its first Get*; asking for the same
  // name with another type is a programming error (returns a detached series
  // that is not rendered, and logs once).
  Counter& GetCounter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& GetHistogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                          const Labels& labels = {});
  // A gauge computed at render time (queue depth, loaded versions); `fn`
  // returns (labels, value) pairs and must be thread-safe.
  using GaugeCallback = std::function<std::vector<std::pair<Labels, double>>()>;
  void AddGaugeCallback(std::string_view name, std::string_view help, GaugeCallback fn);

  std::string Render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace inferd::serving
