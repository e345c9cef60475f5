// inferd.TransposedMatMul (kernels/internal_ops.h): Y = MatMul(A', B') with
// A' = Transpose(A, perm_a), B' = Transpose(B, perm_b), then stored as
// Transpose(Y, perm_y), all rank 3. The geometry is shared by the reference
// kernel and the oneDNN one, which reads and writes through these strides
// instead of moving the data.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"

namespace inferd::ref {

struct TransposedMatMulGeometry {
  int64_t batch = 0, m = 0, k = 0, n = 0;
  int64_t a_batch = 0, b_batch = 0;  // A' and B' batch sizes (1 broadcasts)
  // Element strides of the logical dims [batch, rows, cols] in each buffer
  // (a batch of 1 has stride 0 when broadcast).
  int64_t a_strides[3] = {}, b_strides[3] = {}, y_strides[3] = {};
  Shape y_shape;  // the output tensor's (physical) shape
};

// Checks the ranks (3), the permutations (empty = identity), the inner
// dimensions and the batch broadcast; errors name `node`.
Result<TransposedMatMulGeometry> TransposedMatMulShapes(const std::string& node, const Shape& a, const Shape& b,
                                                        const std::vector<int64_t>& perm_a,
                                                        const std::vector<int64_t>& perm_b,
                                                        const std::vector<int64_t>& perm_y);

}  // namespace inferd::ref
