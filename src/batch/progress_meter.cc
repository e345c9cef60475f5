#include "batch/progress_meter.h"

#include <unistd.h>

#include <cmath>

namespace inferd::batch {

ProgressMeter::ProgressMeter(std::FILE* out, ProgressMode mode, int64_t total_rows, std::chrono::milliseconds interval)
    : out_(out), total_(total_rows), interval_(interval) {
  const bool tty = isatty(fileno(out)) != 0;
  bar_ = mode == ProgressMode::kBar || (mode == ProgressMode::kAuto && tty);
  enabled_ = mode != ProgressMode::kNone;
  if (bar_) interval_ = std::chrono::milliseconds(200);
  start_ = std::chrono::steady_clock::now();
  last_ = start_ - interval_;  // the first update shows at once
}

std::string ProgressMeter::FormatDuration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  char buf[32];
  const long long t = std::llround(s);
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, (t / 60) % 60);
  else if (t >= 60)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

void ProgressMeter::Update(int64_t rows_done, int64_t rows_failed, double fraction_read) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < interval_) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(rows_done) / elapsed : 0;
  const int64_t all = base_rows_ + rows_done;
  double remaining = NAN;
  std::string of;
  if (total_ >= 0) {
    of = " of " + std::to_string(total_);
    if (rate > 0) remaining = static_cast<double>(total_ - all) / rate;
    fraction_read = total_ > 0 ? static_cast<double>(all) / static_cast<double>(total_) : 1.0;
  } else if (fraction_read > 0 && elapsed > 0) {
    remaining = elapsed * (1 - fraction_read) / fraction_read;
  }
  char line[256];
  std::snprintf(line, sizeof line, "predict: %lld%s rows (%.0f%%), %lld failed, %.0f rows/s, ETA %s",
                static_cast<long long>(all), of.c_str(), 100.0 * fraction_read, static_cast<long long>(rows_failed),
                rate, FormatDuration(remaining).c_str());
  if (bar_) {
    std::fprintf(out_, "\r%s\x1b[K", line);
    drew_ = true;
  } else {
    std::fprintf(out_, "%s\n", line);
  }
  std::fflush(out_);
}

void ProgressMeter::Finish() {
  if (bar_ && drew_) {
    std::fprintf(out_, "\r\x1b[K");
    std::fflush(out_);
  }
}

}  // namespace inferd::batch
