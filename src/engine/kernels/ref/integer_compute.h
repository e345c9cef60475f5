// Exact int32 accumulation for the integer and QLinear ops: zero points are
// subtracted first, so padding contributes 0 and the GEMM is plain int32.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"
#include "engine/kernels/ref/conv_util.h"

namespace inferd::ref {

// acc[N, M, out...] = conv(x - x_zp, w - w_zp[m]) (+ bias[m] if given).
// x, w: uint8 or int8; w_zp has 1 or M values; bias is int32 [M] or nullptr.
struct IntegerConvResult {
  Shape shape;
  std::vector<int32_t> acc;
};
Result<IntegerConvResult> IntegerConv(const Tensor& x, int32_t x_zp, const Tensor& w, const std::vector<int32_t>& w_zp,
                                      const Tensor* bias, const WindowAttrs& attrs, int64_t group,
                                      const std::string& where, int threads);

// Numpy-style matmul of 8-bit tensors with zero points subtracted:
// a_zp has 1 value or one per row of a (M), b_zp 1 or one per column of b (N).
struct IntegerMatMulResult {
  Shape shape;
  std::vector<int32_t> acc;
  int64_t rows = 0;  // M
  int64_t cols = 0;  // N
};
Result<IntegerMatMulResult> IntegerMatMul(const Tensor& a, const std::vector<int32_t>& a_zp, const Tensor& b,
                                          const std::vector<int32_t>& b_zp, const std::string& where, int threads);

// Reads an optional zero-point tensor (uint8/int8/int32; any rank) as int32
// values; absent -> {0}. Checks that it has 1 or `allowed` values.
Result<std::vector<int32_t>> ReadZeroPoints(const Tensor* zp, int64_t allowed, const std::string& where,
                                            const std::string& name);

bool IsEightBit(DType t);

}  // namespace inferd::ref
