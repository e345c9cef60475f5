#include "batch/model_runner.h"

#include <cstring>

namespace inferd::batch {
namespace {

// Rows [begin, begin + n) of `t` as a view sharing its storage.
Tensor RowsView(const Tensor& t, int64_t begin, int64_t n) {
  Shape shape = t.shape();
  const int64_t per_row = t.dim(0) > 0 ? t.numel() / t.dim(0) : 0;
  shape[0] = n;
  const size_t offset = static_cast<size_t>(static_cast<char*>(t.raw()) - static_cast<char*>(t.storage()->data())) +
                        static_cast<size_t>(begin * per_row) * DTypeSize(t.dtype());
  return Tensor(t.dtype(), std::move(shape), t.storage(), offset);
}

// Stacks tensors of shape [1, ...] into [k, ...].
Result<Tensor> Stack(const std::vector<Tensor>& parts) {
  Shape shape = parts[0].shape();
  shape[0] = static_cast<int64_t>(parts.size());
  ASSIGN_OR_RETURN(Tensor out, Tensor::Create(parts[0].dtype(), shape));
  const int64_t per_row = parts[0].numel();
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].shape() != parts[0].shape() || parts[i].dtype() != parts[0].dtype())
      return InvalidArgument("the model's outputs have different shapes for different rows (" +
                             ShapeToString(parts[0].shape()) + " and " + ShapeToString(parts[i].shape()) + ")");
    if (out.dtype() == DType::kString) {
      for (int64_t j = 0; j < per_row; ++j)
        out.data<std::string>()[static_cast<int64_t>(i) * per_row + j] = parts[i].data<std::string>()[j];
    } else {
      std::memcpy(static_cast<char*>(out.raw()) + i * parts[i].nbytes(), parts[i].raw(), parts[i].nbytes());
    }
  }
  return out;
}

}  // namespace

ModelRunner::ModelRunner(std::shared_ptr<const CompiledModel> model, std::vector<size_t> output_indices)
    : model_(std::move(model)), keep_(std::move(output_indices)), ctx_(model_->NewRunContext()) {}

Status ModelRunner::CheckOutputs(const std::vector<Tensor>& outputs, int64_t n) const {
  for (size_t k : keep_) {
    const Tensor& t = outputs[k];
    if (t.rank() < 1 || t.dim(0) != n)
      return FailedPrecondition("output \"" + model_->outputs()[k].name + "\" has shape " + ShapeToString(t.shape()) +
                                " for a batch of " + std::to_string(n) +
                                " rows; predict needs outputs whose first dimension is the batch");
  }
  return Status::Ok();
}

Result<RunResult> ModelRunner::Run(const Tensor& rows, const std::vector<int64_t>& row_ids) {
  const int64_t n = static_cast<int64_t>(row_ids.size());
  RunResult result;
  if (n == 0) return result;
  auto out = model_->Run(*ctx_, std::vector<Tensor>{rows});
  if (!out.ok()) return RunRowByRow(rows, row_ids, out.status());
  RETURN_IF_ERROR(CheckOutputs(*out, n));
  result.row_ids = row_ids;
  for (size_t k : keep_) result.outputs.push_back(std::move((*out)[k]));
  rows_ok_ += n;
  return result;
}

Result<RunResult> ModelRunner::RunRowByRow(const Tensor& rows, const std::vector<int64_t>& row_ids,
                                           const Status& batch_error) {
  const int64_t n = static_cast<int64_t>(row_ids.size());
  RunResult result;
  std::vector<std::vector<Tensor>> parts(keep_.size());
  for (int64_t i = 0; i < n; ++i) {
    auto out = model_->Run(*ctx_, std::vector<Tensor>{RowsView(rows, i, 1)});
    if (!out.ok()) {
      result.errors.push_back({row_ids[static_cast<size_t>(i)], 0, "model: " + out.status().message()});
      continue;
    }
    RETURN_IF_ERROR(CheckOutputs(*out, 1));
    result.row_ids.push_back(row_ids[static_cast<size_t>(i)]);
    for (size_t k = 0; k < keep_.size(); ++k) parts[k].push_back(std::move((*out)[keep_[k]]));
  }
  // A model that fails on every row before any row worked is broken for
  // this input, not fed a few bad rows: stop instead of logging every row.
  if (result.row_ids.empty() && rows_ok_ == 0)
    return batch_error.WithContext("the model failed on every row of the first batch");
  for (auto& p : parts) {
    if (p.empty()) continue;
    ASSIGN_OR_RETURN(Tensor stacked, Stack(p));
    result.outputs.push_back(std::move(stacked));
  }
  rows_ok_ += static_cast<int64_t>(result.row_ids.size());
  return result;
}

}  // namespace inferd::batch
