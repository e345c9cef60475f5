// BatchBuilder: the buffer a reader fills with one batch of good rows. The
// tensor is allocated once per batch for `max_rows` rows; rows that turn out
// bad give their slot back, and Finish() returns a tensor of the good rows
// only (a view of the same storage).
//
// Used by one thread (the reader's). BufferPool is thread-safe: the runner
// gives batch buffers back once the model is done with them, so a steady
// run reuses a few buffers instead of mapping fresh pages for every batch.
#pragma once

#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include "batch/row_reader.h"

namespace inferd::batch {

class BufferPool {
 public:
  // A buffer of at least `bytes`, or null when none is free.
  std::shared_ptr<Storage> Take(size_t bytes) {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < free_.size(); ++i) {
      if (free_[i]->capacity() >= bytes) {
        auto s = std::move(free_[i]);
        free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(i));
        return s;
      }
    }
    return nullptr;
  }
  // Keeps `storage` for reuse when nobody else holds it (at most 16 kept).
  void Give(std::shared_ptr<Storage> storage) {
    if (!storage || storage.use_count() != 1 || storage->dtype() == DType::kString) return;
    std::lock_guard lock(mu_);
    if (free_.size() < 16) free_.push_back(std::move(storage));
  }

 private:
  std::mutex mu_;
  std::vector<std::shared_ptr<Storage>> free_;
};

class BatchBuilder {
 public:
  static Result<BatchBuilder> Create(DType dtype, const Shape& row_shape, int64_t max_rows, int64_t first_row,
                                     BufferPool* pool = nullptr) {
    Shape shape{max_rows};
    shape.insert(shape.end(), row_shape.begin(), row_shape.end());
    const int64_t numel = ShapeNumel(shape);
    if (pool != nullptr && numel >= 0 && dtype != DType::kString) {
      if (auto storage = pool->Take(static_cast<size_t>(numel) * DTypeSize(dtype)))
        return BatchBuilder(Tensor(dtype, std::move(shape), std::move(storage), 0), row_shape, first_row);
    }
    ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, shape));
    return BatchBuilder(std::move(t), row_shape, first_row);
  }

  // The slot of the next row; the row counts once Accept() is called.
  void* slot() const { return static_cast<char*>(buffer_.raw()) + static_cast<size_t>(good_) * row_bytes_; }
  void Accept(int64_t row) {
    batch_.row_ids.push_back(row);
    ++good_;
  }
  void Reject(int64_t row, int64_t line, std::string reason) {
    batch_.errors.push_back({row, line, std::move(reason)});
  }

  ReadBatch Finish(int64_t num_rows, uint64_t end_offset, int64_t end_line = 0) && {
    batch_.num_rows = num_rows;
    batch_.end_offset = end_offset;
    batch_.end_line = end_line;
    batch_.row_shape = row_shape_;
    if (good_ > 0) {
      Shape shape{good_};
      shape.insert(shape.end(), row_shape_.begin(), row_shape_.end());
      batch_.rows = Tensor(buffer_.dtype(), std::move(shape), buffer_.storage(), 0);
    }
    return std::move(batch_);
  }

 private:
  BatchBuilder(Tensor buffer, Shape row_shape, int64_t first_row)
      : buffer_(std::move(buffer)), row_shape_(std::move(row_shape)) {
    row_bytes_ = static_cast<size_t>(ShapeNumel(row_shape_)) * DTypeSize(buffer_.dtype());
    batch_.first_row = first_row;
  }

  Tensor buffer_;
  Shape row_shape_;
  size_t row_bytes_ = 0;
  int64_t good_ = 0;
  ReadBatch batch_;
};

}  // namespace inferd::batch
