// ProgressMeter: what `inferd predict` tells the user while it runs. On a
// terminal, one line redrawn in place (rows, rows/s, ETA) at most 5 times a
// second; otherwise a plain line every `interval` (2 s by default), so logs
// of nightly jobs stay readable. The first batch is shown at once.
//
// Called from one thread (the pipeline's writer).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace inferd::batch {

enum class ProgressMode { kAuto, kBar, kLines, kNone };

class ProgressMeter {
 public:
  // `total_rows` < 0 when unknown (then the ETA comes from fraction_read).
  ProgressMeter(std::FILE* out, ProgressMode mode, int64_t total_rows,
                std::chrono::milliseconds interval = std::chrono::milliseconds(2000));
  // `rows` done so far in this process's run plus `base_rows` resumed ones.
  void Update(int64_t rows_done, int64_t rows_failed, double fraction_read);
  // Ends a bar line so later output starts on a fresh line.
  void Finish();
  void set_base_rows(int64_t rows) { base_rows_ = rows; }

  // "1.2 M rows" style helpers, exposed for the summary and tests.
  static std::string FormatDuration(double seconds);

 private:
  std::FILE* out_;
  bool bar_;
  bool enabled_;
  int64_t total_;
  int64_t base_rows_ = 0;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point start_, last_;
  bool drew_ = false;
};

}  // namespace inferd::batch
