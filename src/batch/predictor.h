// RunPredict: `inferd predict`'s pipeline. Three stages on their own threads,
// joined by bounded queues of whole batches:
//
//   reader (RowReader) -> queue -> runner (CompiledModel::Run) -> queue -> writer (RowWriter)
//
// so reading and converting rows, running the model and formatting results
// overlap, and at most (2 x queue_batches + 3) batches are in memory at once
// whatever the input's size. The writer commits whole batches: output rows,
// then error lines, then the resume state (resume_state.h), so a run killed
// at any point can be continued with `resume` and ends byte-identical to an
// uninterrupted one (given the same model, input, options and thread count).
//
// Bad rows never stop the run: readers report unreadable rows, and a batch
// the model refuses is retried row by row so only the rows it fails on are
// reported. Each goes to the errors file as
//   {"row":N,"line":L,"reason":"..."}  (line only for text inputs)
// Failed rows are left out of the output (CSV and JSON Lines rows carry
// their input row number). Errors of the run itself (files, model, a model
// that fails on every row of the first batch) stop it with a Status.
//
// RunPredict may be called from any thread; it owns everything it starts.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "batch/progress_meter.h"
#include "common/status.h"

namespace inferd::batch {

struct PredictOptions {
  std::string model_path;
  // Names the model for the resume check (a registry reference with its
  // sha256, or the file's path); the file's size and mtime are added.
  std::string model_identity;
  std::string input;
  std::string output;
  std::string errors;                     // default: OUTPUT.errors.jsonl
  std::string labels;                     // a text file, one label per line
  std::string input_format;               // "" = from the input's name
  std::string output_format;              // "" = from the output's name
  std::string input_name;                 // JSON key / "inputs" entry name; default the model input's name
  std::vector<std::string> columns;       // CSV columns, in order
  std::vector<std::string> output_names;  // outputs written; default all (.npy: the first)
  int64_t batch_size = 256;
  int threads = 1;
  int queue_batches = 8;
  bool resume = false;
  bool reject_nonfinite = false;
  ProgressMode progress = ProgressMode::kAuto;
  std::FILE* log = stderr;  // progress and notes
};

struct PredictSummary {
  int64_t rows_ok = 0;  // over the whole job, resumed part included
  int64_t rows_failed = 0;
  int64_t resumed_rows = 0;  // input rows a resumed run skipped
  double seconds = 0;        // this process's pipeline time (model load excluded)
  double load_seconds = 0;
  double model_seconds = 0;  // time inside the model's runs (the rest is waiting for rows or the writer)
  int64_t rows_this_run = 0;
  uint64_t peak_rss_bytes = 0;  // VmHWM of this process
  std::string errors_path;      // empty when no row failed
  int64_t batch_size = 0;       // as run (a model with a fixed batch of 1 forces 1)
};

Result<PredictSummary> RunPredict(const PredictOptions& options);

// Peak resident set size of this process (VmHWM), 0 if unknown.
uint64_t PeakRssBytes();

}  // namespace inferd::batch
