#include "engine/kernels/ref/gemm_core.h"

#include <algorithm>

namespace inferd::ref {
namespace {

constexpr int64_t kBlockK = 256;  // rows of B kept hot per pass
constexpr int64_t kBlockN = 512;  // columns of B/C per pass (a B panel of 512 KB in float)
constexpr int64_t kBlockM = 32;   // rows per parallel task

template <class T>
void Panel(int64_t i0, int64_t i1, int64_t k0, int64_t k1, int64_t j0, int64_t nlen, const T* A, int64_t lda,
           const T* B, int64_t ldb, T* C, int64_t ldc) {
  int64_t i = i0;
  for (; i + 4 <= i1; i += 4) {
    T* __restrict c0 = C + i * ldc + j0;
    T* __restrict c1 = c0 + ldc;
    T* __restrict c2 = c1 + ldc;
    T* __restrict c3 = c2 + ldc;
    for (int64_t k = k0; k < k1; ++k) {
      const T a0 = A[i * lda + k], a1 = A[(i + 1) * lda + k], a2 = A[(i + 2) * lda + k], a3 = A[(i + 3) * lda + k];
      const T* __restrict b = B + k * ldb + j0;
      for (int64_t j = 0; j < nlen; ++j) {
        const T bj = b[j];
        c0[j] += a0 * bj;
        c1[j] += a1 * bj;
        c2[j] += a2 * bj;
        c3[j] += a3 * bj;
      }
    }
  }
  for (; i < i1; ++i) {
    T* __restrict c = C + i * ldc + j0;
    for (int64_t k = k0; k < k1; ++k) {
      const T a = A[i * lda + k];
      const T* __restrict b = B + k * ldb + j0;
      for (int64_t j = 0; j < nlen; ++j) c[j] += a * b[j];
    }
  }
}

}  // namespace

template <class T>
void GemmAccumulate(int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B, int64_t ldb, T* C,
                    int64_t ldc, int threads) {
  if (M <= 0 || N <= 0 || K <= 0) return;
  const int64_t m_blocks = (M + kBlockM - 1) / kBlockM;
  // Only worth a team when there is real work per thread.
  const bool parallel = threads > 1 && m_blocks > 1 && M * N * K > (int64_t{1} << 18);
  for (int64_t j0 = 0; j0 < N; j0 += kBlockN) {
    const int64_t nlen = std::min(kBlockN, N - j0);
    for (int64_t k0 = 0; k0 < K; k0 += kBlockK) {
      const int64_t k1 = std::min(K, k0 + kBlockK);
#pragma omp parallel for num_threads(threads) schedule(static) if (parallel)
      for (int64_t mb = 0; mb < m_blocks; ++mb) {
        const int64_t i0 = mb * kBlockM;
        Panel(i0, std::min(M, i0 + kBlockM), k0, k1, j0, nlen, A, lda, B, ldb, C, ldc);
      }
    }
  }
}

template <class T>
void TransposeMatrix(const T* src, int64_t rows, int64_t cols, T* dst) {
  constexpr int64_t kTile = 32;
  for (int64_t r0 = 0; r0 < rows; r0 += kTile)
    for (int64_t c0 = 0; c0 < cols; c0 += kTile)
      for (int64_t r = r0; r < std::min(rows, r0 + kTile); ++r)
        for (int64_t c = c0; c < std::min(cols, c0 + kTile); ++c) dst[c * rows + r] = src[r * cols + c];
}

template void GemmAccumulate<float>(int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float*,
                                    int64_t, int);
template void GemmAccumulate<double>(int64_t, int64_t, int64_t, const double*, int64_t, const double*, int64_t,
                                     double*, int64_t, int);
template void GemmAccumulate<int64_t>(int64_t, int64_t, int64_t, const int64_t*, int64_t, const int64_t*, int64_t,
                                      int64_t*, int64_t, int);
template void GemmAccumulate<uint64_t>(int64_t, int64_t, int64_t, const uint64_t*, int64_t, const uint64_t*, int64_t,
                                       uint64_t*, int64_t, int);
template void TransposeMatrix<float>(const float*, int64_t, int64_t, float*);
template void TransposeMatrix<double>(const double*, int64_t, int64_t, double*);
template void TransposeMatrix<int64_t>(const int64_t*, int64_t, int64_t, int64_t*);
template void TransposeMatrix<uint64_t>(const uint64_t*, int64_t, int64_t, uint64_t*);

}  // namespace inferd::ref
