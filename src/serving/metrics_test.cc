#include "serving/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <thread>

namespace inferd::serving {
namespace {

// A strict reader of the text format for the subset Render() emits: the
// test fails on anything it does not understand, so it checks the syntax.
struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
};

struct Parsed {
  std::vector<Sample> samples;
  std::map<std::string, std::string> types;
  std::map<std::string, std::string> helps;
  std::vector<std::string> family_order;
};

double ParseValue(const std::string& s) {
  if (s == "+Inf") return INFINITY;
  if (s == "-Inf") return -INFINITY;
  if (s == "NaN") return NAN;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  EXPECT_EQ(*end, '\0') << "bad number " << s;
  return v;
}

#define ADD_FAILURE_IF_HASH(line) EXPECT_NE((line).rfind('#', 0), 0u) << "unexpected comment: " << (line)

Parsed Parse(const std::string& text) {
  Parsed p;
  std::istringstream in(text);
  std::string line;
  EXPECT_TRUE(text.empty() || text.back() == '\n');
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      std::string rest = line.substr(7);
      size_t sp = rest.find(' ');
      p.helps[rest.substr(0, sp)] = sp == std::string::npos ? "" : rest.substr(sp + 1);
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      size_t sp = rest.find(' ');
      p.types[rest.substr(0, sp)] = rest.substr(sp + 1);
      p.family_order.push_back(rest.substr(0, sp));
      continue;
    }
    ADD_FAILURE_IF_HASH(line);
    Sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') s.name += line[i++];
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (line.at(i) != '}') {
        std::string key;
        while (line.at(i) != '=') key += line[i++];
        ++i;
        EXPECT_EQ(line.at(i), '"');
        ++i;
        std::string value;
        while (line.at(i) != '"') {
          if (line[i] == '\\') {
            ++i;
            char c = line.at(i);
            EXPECT_TRUE(c == '\\' || c == '"' || c == 'n') << line;
            value += c == 'n' ? '\n' : c;
          } else {
            value += line[i];
          }
          ++i;
        }
        ++i;
        s.labels.emplace_back(key, value);
        if (line.at(i) == ',') ++i;
      }
      ++i;
    }
    EXPECT_EQ(line.at(i), ' ') << line;
    s.value = ParseValue(line.substr(i + 1));
    p.samples.push_back(s);
  }
  return p;
}

TEST(MetricsTest, CounterAndGaugeRender) {
  Metrics m;
  m.GetCounter("requests_total", "Requests served.", {{"model", "b"}}).Inc();
  m.GetCounter("requests_total", "Requests served.", {{"model", "a"}}).Inc(2);
  m.GetGauge("loaded_versions", "Loaded versions.").Set(3);
  EXPECT_EQ(m.Render(),
            "# HELP loaded_versions Loaded versions.\n"
            "# TYPE loaded_versions gauge\n"
            "loaded_versions 3\n"
            "# HELP requests_total Requests served.\n"
            "# TYPE requests_total counter\n"
            "requests_total{model=\"a\"} 2\n"
            "requests_total{model=\"b\"} 1\n");
}

TEST(MetricsTest, SameSeriesWhateverLabelOrder) {
  Metrics m;
  Counter& a = m.GetCounter("c", "h", {{"x", "1"}, {"y", "2"}});
  Counter& b = m.GetCounter("c", "h", {{"y", "2"}, {"x", "1"}});
  EXPECT_EQ(&a, &b);
  a.Inc(0.5);
  a.Inc(-4);  // counters never go down
  EXPECT_EQ(b.value(), 0.5);
  EXPECT_NE(m.Render().find("c{x=\"1\",y=\"2\"} 0.5\n"), std::string::npos);
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  Metrics m;
  m.GetGauge("g", "line one\nback\\slash \"quoted\"", {{"path", "a\\b\"c\nd"}}).Set(-1.5);
  const std::string text = m.Render();
  EXPECT_NE(text.find("# HELP g line one\\nback\\\\slash \"quoted\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g{path=\"a\\\\b\\\"c\\nd\"} -1.5\n"), std::string::npos) << text;
  Parsed p = Parse(text);
  ASSERT_EQ(p.samples.size(), 1u);
  ASSERT_EQ(p.samples[0].labels.size(), 1u);
  EXPECT_EQ(p.samples[0].labels[0].second, "a\\b\"c\nd");
  EXPECT_EQ(p.samples[0].value, -1.5);
}

TEST(MetricsTest, SpecialValuesParse) {
  Metrics m;
  m.GetGauge("g", "h", {{"k", "inf"}}).Set(INFINITY);
  m.GetGauge("g", "h", {{"k", "ninf"}}).Set(-INFINITY);
  m.GetGauge("g", "h", {{"k", "nan"}}).Set(NAN);
  m.GetGauge("g", "h", {{"k", "small"}}).Set(1e-7);
  m.GetGauge("g", "h", {{"k", "big"}}).Set(1e300);
  const std::string text = m.Render();
  EXPECT_NE(text.find("g{k=\"inf\"} +Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g{k=\"ninf\"} -Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g{k=\"nan\"} NaN\n"), std::string::npos) << text;
  Parsed p = Parse(text);
  ASSERT_EQ(p.samples.size(), 5u);
  std::map<std::string, double> by;
  for (const auto& s : p.samples) by[s.labels[0].second] = s.value;
  EXPECT_EQ(by["small"], 1e-7);
  EXPECT_EQ(by["big"], 1e300);
  EXPECT_TRUE(std::isnan(by["nan"]));
}

TEST(MetricsTest, HistogramCumulativeBuckets) {
  Metrics m;
  Histogram& h = m.GetHistogram("latency_seconds", "Latency.", {0.001, 0.01, 0.1}, {{"model", "m"}});
  for (double v : {0.0005, 0.001, 0.002, 0.05, 0.05, 3.0}) h.Observe(v);
  EXPECT_EQ(h.bucket_counts(), (std::vector<uint64_t>{2, 1, 2, 1}));
  const std::string text = m.Render();
  Parsed p = Parse(text);
  EXPECT_EQ(p.types["latency_seconds"], "histogram");
  std::vector<std::pair<std::string, double>> buckets;
  double sum = -1, count = -1;
  for (const auto& s : p.samples) {
    if (s.name == "latency_seconds_bucket") {
      ASSERT_EQ(s.labels.size(), 2u);
      EXPECT_EQ(s.labels[0], (std::pair<std::string, std::string>{"model", "m"}));
      EXPECT_EQ(s.labels[1].first, "le");
      buckets.emplace_back(s.labels[1].second, s.value);
    } else if (s.name == "latency_seconds_sum") {
      sum = s.value;
    } else if (s.name == "latency_seconds_count") {
      count = s.value;
    } else {
      ADD_FAILURE() << "unexpected sample " << s.name;
    }
  }
  ASSERT_EQ(buckets.size(), 4u);
  EXPECT_EQ(buckets[0], (std::pair<std::string, double>{"0.001", 2}));
  EXPECT_EQ(buckets[1], (std::pair<std::string, double>{"0.01", 3}));
  EXPECT_EQ(buckets[2], (std::pair<std::string, double>{"0.1", 5}));
  EXPECT_EQ(buckets[3], (std::pair<std::string, double>{"+Inf", 6}));
  EXPECT_EQ(count, 6);
  EXPECT_DOUBLE_EQ(sum, 0.0005 + 0.001 + 0.002 + 0.05 + 0.05 + 3.0);
}

TEST(MetricsTest, ConcurrentObserveSumsExactly) {
  Metrics m;
  Histogram& h = m.GetHistogram("h", "h", {1, 2, 4, 8});
  Counter& c = m.GetCounter("c_total", "c");
  constexpr int kThreads = 8, kPer = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        h.Observe(static_cast<double>((i + t) % 10));  // integers: the double sum is exact
        c.Inc();
      }
    });
  }
  // Render concurrently: every snapshot must be internally consistent.
  for (int r = 0; r < 20; ++r) {
    Parsed p = Parse(m.Render());
    double prev = 0, inf = -1, count = -2;
    for (const auto& s : p.samples) {
      if (s.name == "h_bucket") {
        EXPECT_GE(s.value, prev);
        prev = s.value;
        if (s.labels.back().second == "+Inf") inf = s.value;
      }
      if (s.name == "h_count") count = s.value;
    }
    EXPECT_EQ(inf, count);
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.count(), uint64_t{kThreads} * kPer);
  EXPECT_EQ(c.value(), double{kThreads} * kPer);
  // Each thread observes every residue 0..9 exactly kPer/10 times.
  EXPECT_EQ(h.sum(), double{kThreads} * (kPer / 10) * 45);
  uint64_t total = 0;
  for (uint64_t n : h.bucket_counts()) total += n;
  EXPECT_EQ(total, h.count());
  // <=1: {0,1}; <=2: {2}; <=4: {3,4}; <=8: {5..8}; +Inf: {9}
  const uint64_t tenth = uint64_t{kThreads} * kPer / 10;
  EXPECT_EQ(h.bucket_counts(), (std::vector<uint64_t>{2 * tenth, tenth, 2 * tenth, 4 * tenth, tenth}));
}

TEST(MetricsTest, FamiliesSortedAndStable) {
  Metrics m;
  m.GetCounter("zeta", "z").Inc();
  m.GetGauge("alpha", "a").Set(1);
  m.GetHistogram("mid", "m", {1}).Observe(0.5);
  m.AddGaugeCallback("beta", "b", [] {
    return std::vector<std::pair<Labels, double>>{{{{"v", "2"}}, 20}, {{{"v", "1"}}, 10}};
  });
  const std::string first = m.Render();
  EXPECT_EQ(first, m.Render());
  Parsed p = Parse(first);
  EXPECT_EQ(p.family_order, (std::vector<std::string>{"alpha", "beta", "mid", "zeta"}));
  EXPECT_NE(first.find("beta{v=\"1\"} 10\nbeta{v=\"2\"} 20\n"), std::string::npos) << first;
}

TEST(MetricsTest, TypeMismatchIsDetached) {
  Metrics m;
  m.GetCounter("x", "x").Inc();
  Gauge& g = m.GetGauge("x", "x");
  g.Set(42);
  EXPECT_EQ(g.value(), 42);
  Counter& bad = m.GetCounter("bad name", "x");
  bad.Inc();
  Histogram& le = m.GetHistogram("h", "h", {1}, {{"le", "1"}});
  le.Observe(1);
  const std::string text = m.Render();
  EXPECT_EQ(text.find("42"), std::string::npos) << text;
  EXPECT_EQ(text.find("bad"), std::string::npos) << text;
  EXPECT_EQ(text.find("h_"), std::string::npos) << text;
  EXPECT_EQ(text.find("TYPE h "), std::string::npos) << text;
  EXPECT_NE(text.find("x 1\n"), std::string::npos) << text;
}

TEST(MetricsTest, BucketHelpers) {
  EXPECT_EQ(BatchSizeBuckets(1), (std::vector<double>{1}));
  EXPECT_EQ(BatchSizeBuckets(8), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_EQ(BatchSizeBuckets(24), (std::vector<double>{1, 2, 4, 8, 16, 24}));
  EXPECT_EQ(BatchSizeBuckets(0), (std::vector<double>{1}));
  auto lat = LatencyBucketsSeconds();
  ASSERT_GE(lat.size(), 20u);
  EXPECT_DOUBLE_EQ(lat.front(), 25e-6);
  EXPECT_GT(lat.back(), 30.0);
  EXPECT_LE(lat.back(), 60.0);
  for (size_t i = 1; i < lat.size(); ++i) EXPECT_DOUBLE_EQ(lat[i] / lat[i - 1], 2.0);
  Metrics m;
  m.GetHistogram("l", "l", lat).Observe(0.001);
  EXPECT_NE(m.Render().find("l_bucket{le=\"0.0016\"} 1\n"), std::string::npos) << m.Render();
}

}  // namespace
}  // namespace inferd::serving
