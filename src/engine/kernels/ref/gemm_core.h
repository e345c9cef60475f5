// The reference matrix-multiply core shared by MatMul, Gemm (and any other
// reference kernel that lowers to a matrix product, e.g. im2col convolution).
//
// C[M,N] += A[M,K] * B[K,N], all row-major with leading dimensions lda, ldb,
// ldc. Blocked i-k-j loops with a 4-row register block: the inner loop runs
// along contiguous rows of B and C, so it vectorises without reassociating
// sums. float accumulates in float, double in double, integers in their own
// (64-bit, see callers) type. `threads` > 1 splits rows across an OpenMP team.
// Thread-safe: touches only the memory it is given.
#pragma once

#include <cstdint>

namespace inferd::ref {

template <class T>
void GemmAccumulate(int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B, int64_t ldb, T* C,
                    int64_t ldc, int threads = 1);

// Row-major transpose of a [rows, cols] matrix into dst [cols, rows].
template <class T>
void TransposeMatrix(const T* src, int64_t rows, int64_t cols, T* dst);

extern template void GemmAccumulate<float>(int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t,
                                           float*, int64_t, int);
extern template void GemmAccumulate<double>(int64_t, int64_t, int64_t, const double*, int64_t, const double*, int64_t,
                                            double*, int64_t, int);
extern template void GemmAccumulate<int64_t>(int64_t, int64_t, int64_t, const int64_t*, int64_t, const int64_t*,
                                             int64_t, int64_t*, int64_t, int);
extern template void GemmAccumulate<uint64_t>(int64_t, int64_t, int64_t, const uint64_t*, int64_t, const uint64_t*,
                                              int64_t, uint64_t*, int64_t, int);
extern template void TransposeMatrix<float>(const float*, int64_t, int64_t, float*);
extern template void TransposeMatrix<double>(const double*, int64_t, int64_t, double*);
extern template void TransposeMatrix<int64_t>(const int64_t*, int64_t, int64_t, int64_t*);
extern template void TransposeMatrix<uint64_t>(const uint64_t*, int64_t, int64_t, uint64_t*);

}  // namespace inferd::ref
