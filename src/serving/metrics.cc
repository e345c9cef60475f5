#include "serving/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>

namespace inferd::serving {

// ------------------------------------------------------------------- series

void Counter::Inc(double v) {
  // A counter only goes up; a negative or NaN step would make rate() lie.
  if (!(v > 0.0)) return;
  value_.fetch_add(v, std::memory_order_relaxed);
}
double Counter::value() const { return value_.load(std::memory_order_relaxed); }

void Gauge::Set(double v) { value_.store(v, std::memory_order_relaxed); }
void Gauge::Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
double Gauge::value() const { return value_.load(std::memory_order_relaxed); }

namespace {
// Ascending, unique, finite bounds (+Inf is implicit, NaN meaningless).
std::vector<double> CleanBounds(std::vector<double> bounds) {
  bounds.erase(std::remove_if(bounds.begin(), bounds.end(), [](double b) { return !std::isfinite(b); }), bounds.end());
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  return bounds;
}
}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(CleanBounds(std::move(bounds))), buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  if (std::isnan(v)) return;  // would poison _sum forever
  // Bucket i counts v <= bounds_[i] (Prometheus "le"); past the last, +Inf.
  const size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::bucket_counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}
uint64_t Histogram::count() const { return count_.load(std::memory_order_relaxed); }
double Histogram::sum() const { return sum_.load(std::memory_order_relaxed); }

std::vector<double> LatencyBucketsSeconds() {
  // 25 us * 2^k: exact scalings of one double, so each prints short ("0.0016").
  std::vector<double> b;
  for (double v = 25e-6; v <= 60.0; v *= 2) b.push_back(v);
  return b;
}

std::vector<double> BatchSizeBuckets(int64_t max) {
  std::vector<double> b;
  if (max < 1) max = 1;
  int64_t v = 1;
  for (; v < max && v <= (int64_t{1} << 61); v *= 2) b.push_back(static_cast<double>(v));
  b.push_back(static_cast<double>(max));
  return b;
}

// ------------------------------------------------------------------ metrics

namespace {

enum class FamilyType { kCounter, kGauge, kHistogram };

const char* TypeName(FamilyType t) {
  switch (t) {
    case FamilyType::kCounter:
      return "counter";
    case FamilyType::kGauge:
      return "gauge";
    case FamilyType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

bool ValidMetricName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool ValidLabelName(std::string_view s) {
  if (s.empty() || s.substr(0, 2) == "__") return false;  // "__" is reserved for Prometheus itself
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// Series are keyed by labels sorted by name, so {a,b} and {b,a} are one series.
// Empty optional means the labels are unusable (bad or repeated names).
std::optional<Labels> NormalizeLabels(const Labels& labels, bool histogram) {
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (!ValidLabelName(sorted[i].first)) return std::nullopt;
    if (histogram && sorted[i].first == "le") return std::nullopt;
    if (i > 0 && sorted[i].first == sorted[i - 1].first) return std::nullopt;
  }
  return sorted;
}

void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// Shortest text that reads back as the same double; Prometheus (Go's
// ParseFloat) accepts it, and +Inf/-Inf/NaN as spelled here.
void AppendNumber(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, res.ptr);
  }
}

void AppendLabels(std::string& out, const Labels& labels, const std::pair<std::string, std::string>* extra) {
  if (labels.empty() && !extra) return;
  out += '{';
  bool first = true;
  auto one = [&](const std::string& k, const std::string& v) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    AppendEscaped(out, v, true);
    out += '"';
  };
  for (const auto& [k, v] : labels) one(k, v);
  if (extra) one(extra->first, extra->second);
  out += '}';
}

void AppendSample(std::string& out, std::string_view name, std::string_view suffix, const Labels& labels, double value,
                  const std::pair<std::string, std::string>* extra = nullptr) {
  out += name;
  out += suffix;
  AppendLabels(out, labels, extra);
  out += ' ';
  AppendNumber(out, value);
  out += '\n';
}

}  // namespace

struct Metrics::Impl {
  struct Family {
    FamilyType type = FamilyType::kCounter;
    std::string help;
    std::vector<double> bounds;  // histograms: every series uses the first caller's bounds
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
    std::vector<GaugeCallback> callbacks;
  };

  mutable std::mutex mu;
  std::map<std::string, Family, std::less<>> families;
  // Series handed out on misuse: kept alive (references stay valid), never rendered.
  // One shared counter and gauge suffice (their values mean nothing);
  // histograms keep the caller's bounds, so one per misuse.
  Counter detached_counter;
  Gauge detached_gauge;
  std::vector<std::unique_ptr<Histogram>> detached_histograms;
  std::set<std::string, std::less<>> warned;

  // Returns the family to add a series to, or null (misuse: logged once per name).
  Family* FamilyFor(std::string_view name, std::string_view help, FamilyType type) {
    if (!ValidMetricName(name)) {
      Warn(name, "is not a valid Prometheus metric name");
      return nullptr;
    }
    auto it = families.find(name);
    if (it == families.end()) {
      it = families.emplace(std::string(name), Family{}).first;
      it->second.type = type;
      it->second.help = std::string(help);
    } else if (it->second.type != type) {
      Warn(name, std::string("is a ") + TypeName(it->second.type) + ", asked for as a " + TypeName(type));
      return nullptr;
    }
    return &it->second;
  }

  void Warn(std::string_view name, const std::string& what) {
    if (!warned.emplace(std::string(name)).second) return;
    std::fprintf(stderr, "metrics: \"%.*s\" %s; the series will not be exported\n", static_cast<int>(name.size()),
                 name.data(), what.c_str());
  }
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

Counter& Metrics::GetCounter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(impl_->mu);
  auto key = NormalizeLabels(labels, false);
  if (!key) impl_->Warn(name, "has invalid or repeated label names");
  Impl::Family* f = key ? impl_->FamilyFor(name, help, FamilyType::kCounter) : nullptr;
  if (!f || !key) return impl_->detached_counter;
  auto& slot = f->counters[*key];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Metrics::GetGauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(impl_->mu);
  auto key = NormalizeLabels(labels, false);
  if (!key) impl_->Warn(name, "has invalid or repeated label names");
  Impl::Family* f = key ? impl_->FamilyFor(name, help, FamilyType::kGauge) : nullptr;
  if (!f || !key) return impl_->detached_gauge;
  auto& slot = f->gauges[*key];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Metrics::GetHistogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                                 const Labels& labels) {
  std::lock_guard lock(impl_->mu);
  const bool is_new = impl_->families.find(name) == impl_->families.end();
  auto key = NormalizeLabels(labels, true);
  if (!key) impl_->Warn(name, "has invalid or repeated label names (\"le\" is reserved)");
  Impl::Family* f = key ? impl_->FamilyFor(name, help, FamilyType::kHistogram) : nullptr;
  if (!f || !key) return *impl_->detached_histograms.emplace_back(std::make_unique<Histogram>(bounds));
  if (is_new) f->bounds = CleanBounds(bounds);
  auto& slot = f->histograms[*key];
  if (!slot) slot = std::make_unique<Histogram>(f->bounds);
  return *slot;
}

void Metrics::AddGaugeCallback(std::string_view name, std::string_view help, GaugeCallback fn) {
  if (!fn) return;
  std::lock_guard lock(impl_->mu);
  Impl::Family* f = impl_->FamilyFor(name, help, FamilyType::kGauge);
  if (f) f->callbacks.push_back(std::move(fn));
}

std::string Metrics::Render() const {
  // Callbacks run without the lock (they may take their own locks, or even
  // register series), so copy them out first.
  std::map<std::string, std::vector<GaugeCallback>> callbacks;
  {
    std::lock_guard lock(impl_->mu);
    for (const auto& [name, f] : impl_->families)
      if (!f.callbacks.empty()) callbacks[name] = f.callbacks;
  }
  std::map<std::string, std::map<Labels, double>> computed;
  for (const auto& [name, fns] : callbacks) {
    auto& series = computed[name];
    for (const auto& fn : fns) {
      for (auto& [labels, value] : fn()) {
        auto key = NormalizeLabels(labels, false);
        if (key) series.emplace(std::move(*key), value);  // first value wins on a repeat
      }
    }
  }

  std::string out;
  std::lock_guard lock(impl_->mu);
  for (const auto& [name, f] : impl_->families) {
    out += "# HELP ";
    out += name;
    out += ' ';
    AppendEscaped(out, f.help, false);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += TypeName(f.type);
    out += '\n';
    switch (f.type) {
      case FamilyType::kCounter:
        for (const auto& [labels, c] : f.counters) AppendSample(out, name, "", labels, c->value());
        break;
      case FamilyType::kGauge: {
        std::map<Labels, double> all;
        for (const auto& [labels, g] : f.gauges) all.emplace(labels, g->value());
        auto it = computed.find(name);
        if (it != computed.end()) all.insert(it->second.begin(), it->second.end());
        for (const auto& [labels, v] : all) AppendSample(out, name, "", labels, v);
        break;
      }
      case FamilyType::kHistogram:
        for (const auto& [labels, h] : f.histograms) {
          // _count is the +Inf bucket as read here, so the two always agree
          // even while other threads observe.
          const std::vector<uint64_t> counts = h->bucket_counts();
          uint64_t cumulative = 0;
          std::pair<std::string, std::string> le{"le", ""};
          for (size_t i = 0; i < counts.size(); ++i) {
            cumulative += counts[i];
            le.second.clear();
            AppendNumber(le.second, i < h->bounds().size() ? h->bounds()[i] : INFINITY);
            AppendSample(out, name, "_bucket", labels, static_cast<double>(cumulative), &le);
          }
          AppendSample(out, name, "_sum", labels, h->sum());
          AppendSample(out, name, "_count", labels, static_cast<double>(cumulative));
        }
        break;
    }
  }
  return out;
}

}  // namespace inferd::serving
