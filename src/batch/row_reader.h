// Readers of `inferd predict`'s input files: each turns a file into batches
// of rows shaped and typed for the model's one input.
//
// A row is one example: the first dimension of an .npy or IDX array, one
// data line of a CSV file, one line of a JSON Lines file. A row that cannot
// become model input (unparseable, wrong width, a value the input type cannot
// hold, a non-finite number when those are rejected) is not an error of the
// run: it is reported in the batch's `errors` with its row number and the
// reason, and reading goes on. Errors of the file itself (missing, wrong
// magic, a header that does not fit the model) fail Open or Next.
//
// Memory: a reader holds at most one batch it is building plus a small read
// buffer; .npy files are memory-mapped and the pages of rows already read
// are dropped from the process (MADV_DONTNEED), so resident memory does not
// grow with the file.
//
// A RowReader is used by one thread at a time (the pipeline's reader thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"

namespace inferd::batch {

class BufferPool;  // batch_builder.h

// A row that did not become model input.
struct RowError {
  int64_t row = 0;   // 0-based index among the input's rows (data lines for text)
  int64_t line = 0;  // 1-based line of a text file; 0 for binary formats
  std::string reason;
};

// What the model's input wants of each row.
struct RowTarget {
  std::string input_name;  // the model's input (and the JSON key looked up)
  DType dtype = DType::kFloat32;
  // The input's dimensions after the first; -1 for a symbolic one. Unset
  // when the model does not declare its input's rank.
  bool rank_known = false;
  Shape row_dims;
  // CSV: the header columns to read, in order (empty = every column).
  std::vector<std::string> columns;
  bool reject_nonfinite = false;
};

struct ReadBatch {
  int64_t first_row = 0;         // row number of the batch's first input row
  int64_t num_rows = 0;          // input rows consumed (good and bad); 0 = end of input
  Tensor rows;                   // [good rows, row shape...]; undefined when no row was good
  std::vector<int64_t> row_ids;  // row number of each good row, ascending
  std::vector<RowError> errors;
  uint64_t end_offset = 0;   // where the next batch starts (Seek's `offset`)
  int64_t end_line = 0;      // text formats: the last line read (Seek's `line`)
  Shape row_shape;           // the shape of each row; empty when not yet known
  double fraction_read = 0;  // the reader's fraction_read() after this batch (set by the pipeline)
};

enum class InputFormat { kNpy, kCsv, kJsonl, kIdx };

// From --input-format ("npy", "csv", "jsonl", "idx") or, when `flag` is
// empty, from the file name (.npy, .csv, .jsonl/.ndjson, *-idx*-ubyte[.gz]).
Result<InputFormat> InputFormatFor(const std::string& path, const std::string& flag);

class RowReader {
 public:
  virtual ~RowReader() = default;
  // Reads up to `max_rows` input rows.
  virtual Result<ReadBatch> Next(int64_t max_rows) = 0;
  // Continues a resumed run at row `row`, whose data begins at `offset`
  // after line `line` (a previous batch's end_offset and end_line).
  virtual Status Seek(int64_t row, uint64_t offset, int64_t line) = 0;
  // Rows in the file when the format says so up front, else -1.
  virtual int64_t total_rows() const = 0;
  // Share of the input read so far, 0..1 (for the ETA of text formats).
  virtual double fraction_read() const = 0;
  // Batch buffers are taken from `pool` when it has one free (the pipeline
  // gives them back after the model ran); null = always allocate.
  void set_buffer_pool(BufferPool* pool) { pool_ = pool; }

  // The shape every row of the batch has (after Open for binary formats,
  // after the first good row for text formats with an open dimension).
  virtual Shape row_shape() const = 0;
  // A resumed run restores the row shape the interrupted one had settled on
  // (text formats with an open dimension take it from the first good row,
  // which a resumed run may not see). Binary formats ignore it.
  virtual void RestoreRowShape(const Shape& shape) {}

 protected:
  BufferPool* pool_ = nullptr;
};

Result<std::unique_ptr<RowReader>> OpenRowReader(InputFormat format, const std::string& path, const RowTarget& target);

// Per-format openers (each in its own file).
Result<std::unique_ptr<RowReader>> OpenNpyReader(const std::string& path, const RowTarget& target);
Result<std::unique_ptr<RowReader>> OpenIdxReader(const std::string& path, const RowTarget& target);
Result<std::unique_ptr<RowReader>> OpenCsvReader(const std::string& path, const RowTarget& target);
Result<std::unique_ptr<RowReader>> OpenJsonlReader(const std::string& path, const RowTarget& target);

// The row shape for data whose own row shape is `data_row` (binary formats):
// the target's dims with open ones taken from the data; a data row with the
// same element count as a fully fixed target is reshaped ([784] -> [1,28,28]).
Result<Shape> ResolveRowShape(const RowTarget& target, const Shape& data_row);
// The row shape for `width` values per row (text formats): a fully fixed
// target must have `width` elements; one open dimension is solved for.
Result<Shape> ResolveRowShapeForWidth(const RowTarget& target, int64_t width);

}  // namespace inferd::batch
