// ResumeState: the sidecar file (OUTPUT.progress) that lets `inferd predict
// --resume` continue a killed run. It is replaced (write to a temporary,
// rename) after every batch the writer committed, so it always describes a
// batch boundary: how many input rows were consumed, where the input stands,
// and how long the output and errors files were then. A resumed run cuts
// both files back to those lengths, so bytes written after the last commit
// (a batch cut short by the kill) are dropped and written again.
//
// No fsync: this guards against the process dying, not the machine.
// Free functions, no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace inferd::batch {

struct ResumeState {
  // What must match for a resume to be byte-exact (model, input, options).
  std::string fingerprint;
  int64_t rows_read = 0;  // input rows consumed (good and bad)
  int64_t rows_ok = 0;
  int64_t rows_failed = 0;
  uint64_t input_offset = 0;  // text inputs: byte where the next row starts
  int64_t input_line = 0;     // text inputs: lines read so far
  uint64_t output_bytes = 0;
  uint64_t errors_bytes = 0;
  std::vector<int64_t> row_shape;  // the rows' shape once known (empty before)
};

// Writes `state` to `path` atomically (temporary file + rename).
Status SaveResumeState(const std::string& path, const ResumeState& state);
// Reads it back; NOT_FOUND when there is none.
Result<ResumeState> LoadResumeState(const std::string& path);

}  // namespace inferd::batch
