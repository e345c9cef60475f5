// ResumeState: the sidecar file (OUTPUT.progress) that lets `inferd predict
// --resume` continue a killed run. It is rewritten after batches the writer
// committed, so it always describes a batch boundary: how many input rows
// were consumed, where the input stands, and how long the output and errors
// files were then. A resumed run cuts both files back to those lengths, so
// bytes written after the last save (batches cut short by the kill) are
// dropped and written again.
//
// The file holds two fixed-size slots written alternately in place (one
// pwrite each; no rename, which on ext4 starts a writeback of the file and
// can stall the writer for milliseconds); each slot carries a sequence
// number and a checksum, and the newest intact slot wins, so even a torn
// write leaves the previous state readable. No fsync: this guards against
// the process dying, not the machine.
//
// ResumeStateFile is used by one thread (the writer); LoadResumeState has
// no shared state.
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
  uint64_t seq = 0;                // which save this was (set by Save and LoadResumeState)
};

class ResumeStateFile {
 public:
  // Opens (creating) the file at `path`; saves are numbered after
  // `last_seq` (a loaded state's seq when resuming, so its slot is never
  // the older one). A fresh run removes any old file first.
  static Result<ResumeStateFile> Open(const std::string& path, uint64_t last_seq);
  ResumeStateFile(ResumeStateFile&&) noexcept;
  ResumeStateFile& operator=(ResumeStateFile&&) = delete;
  ~ResumeStateFile();
  Status Save(const ResumeState& state);

 private:
  ResumeStateFile() = default;
  int fd_ = -1;
  uint64_t seq_ = 0;
  std::string path_;
};

// Reads the newest intact state; NOT_FOUND when there is no file.
Result<ResumeState> LoadResumeState(const std::string& path);

}  // namespace inferd::batch
