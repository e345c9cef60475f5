// ModelRunner: runs the model on a batch of rows for `inferd predict`, and
// when the model refuses the batch, runs its rows one at a time so that only
// the rows it fails on are reported (with the model's message).
//
// One ModelRunner per thread (it owns a RunContext).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "batch/row_reader.h"
#include "engine/runtime/model.h"

namespace inferd::batch {

struct RunResult {
  std::vector<int64_t> row_ids;  // rows that have outputs
  std::vector<Tensor> outputs;   // the chosen outputs, [row_ids.size(), ...]
  std::vector<RowError> errors;  // rows the model failed on
};

class ModelRunner {
 public:
  // `output_indices`: which of the model's outputs to keep, in order.
  ModelRunner(std::shared_ptr<const CompiledModel> model, std::vector<size_t> output_indices);
  // Runs `rows` ([n, ...], n == row_ids.size()). A failure of the run itself
  // (not of rows) is an error Status.
  Result<RunResult> Run(const Tensor& rows, const std::vector<int64_t>& row_ids);
  // Rows the model has succeeded on so far.
  int64_t rows_ok() const { return rows_ok_; }

 private:
  Status CheckOutputs(const std::vector<Tensor>& outputs, int64_t n) const;
  Result<RunResult> RunRowByRow(const Tensor& rows, const std::vector<int64_t>& row_ids, const Status& batch_error);

  std::shared_ptr<const CompiledModel> model_;
  std::vector<size_t> keep_;
  std::unique_ptr<RunContext> ctx_;
  int64_t rows_ok_ = 0;
};

}  // namespace inferd::batch
