// Batch assembly for DynamicBatcher: which requests may share a batch, and
// moving their rows in and out of one tensor along dimension 0.
//
// Pure functions on tensors; safe to call from any thread. Concatenation
// copies contiguous rows (memcpy; string elements are copied one by one);
// splitting makes views that share the batch output's storage, so it copies
// nothing (a view may start at any row, so it is element-aligned rather than
// 64-byte aligned).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"
#include "engine/ir/graph.h"

namespace inferd::serving {

// Rows of a request: the common first dimension of all its inputs, or -1
// when they have none (no inputs, a scalar, an undefined tensor) or disagree.
int64_t BatchRows(const std::vector<Tensor>& inputs);

// Requests with equal keys may be merged: same number of inputs, and each
// input has the same dtype, rank and dimensions past the first.
std::string BatchKey(const std::vector<Tensor>& inputs);

// Concatenates `parts` (all agreeing in dtype and dims past the first) along
// dimension 0 into a tensor of `total_rows` rows. `reuse`, when given, is a
// buffer kept between calls: it is used when nobody else holds it and its
// size fits, and replaced by the new buffer otherwise.
Result<Tensor> ConcatRows(const std::vector<const Tensor*>& parts, int64_t total_rows,
                          std::shared_ptr<Storage>* reuse = nullptr);

// Splits each batch output along dimension 0 into pieces of `rows[j]` rows;
// result[j] holds request j's outputs. Fails (INTERNAL, naming the output
// from `infos`) when an output's first dimension is not the batch's rows.
Result<std::vector<std::vector<Tensor>>> SplitRows(const std::vector<Tensor>& outputs, const std::vector<int64_t>& rows,
                                                   const std::vector<ValueInfo>& infos);

}  // namespace inferd::serving
