#include "engine/kernels/ref/gemm_core.h"

#include <algorithm>
#include <cstring>

namespace inferd::ref {
namespace {

constexpr int64_t kBlockK = 256;  // rows of B kept hot per pass
constexpr int64_t kBlockN = 512;  // columns of B/C per pass (a B panel of 512 KB in float)
constexpr int64_t kBlockM = 32;   // rows per parallel task

// 16-byte vector types (GCC/Clang extension; SSE2 is the x86-64 baseline).
typedef float V4f __attribute__((vector_size(16)));
typedef double V2d __attribute__((vector_size(16)));
typedef int64_t V2l __attribute__((vector_size(16)));
typedef uint64_t V2ul __attribute__((vector_size(16)));
template <class T>
struct VecOf;
template <>
struct VecOf<float> {
  using type = V4f;
};
template <>
struct VecOf<double> {
  using type = V2d;
};
template <>
struct VecOf<int64_t> {
  using type = V2l;
};
template <>
struct VecOf<uint64_t> {
  using type = V2ul;
};

// One MR x (NV vectors) tile of C over rows k0..k1 of B, the accumulators
// held in registers as GCC/Clang vector types (16 bytes: SSE2 baseline).
template <class T, int MR, int NV>
void Tile(int64_t i, int64_t j, int64_t k0, int64_t k1, const T* A, int64_t lda, const T* B, int64_t ldb, T* C,
          int64_t ldc) {
  using V = typename VecOf<T>::type;
  constexpr int kLanes = 16 / sizeof(T);
  V acc[MR][NV] = {};
  const T* a_rows[MR];
  for (int r = 0; r < MR; ++r) a_rows[r] = A + (i + r) * lda;
  for (int64_t k = k0; k < k1; ++k) {
    const T* b = B + k * ldb + j;
    V bv[NV];
    for (int c = 0; c < NV; ++c) std::memcpy(&bv[c], b + c * kLanes, sizeof(V));
    for (int r = 0; r < MR; ++r) {
      const T a = a_rows[r][k];
      for (int c = 0; c < NV; ++c) acc[r][c] += a * bv[c];
    }
  }
  for (int r = 0; r < MR; ++r) {
    T* out = C + (i + r) * ldc + j;
    for (int c = 0; c < NV; ++c) {
      V o;
      std::memcpy(&o, out + c * kLanes, sizeof(V));
      o += acc[r][c];
      std::memcpy(out + c * kLanes, &o, sizeof(V));
    }
  }
}

// Rows i0..i1 and columns j0..j0+nlen of C, over rows k0..k1 of B: whole
// tiles first, then the ragged right and bottom edges with plain i-k-j loops.
template <class T>
void Panel(int64_t i0, int64_t i1, int64_t k0, int64_t k1, int64_t j0, int64_t nlen, const T* A, int64_t lda,
           const T* B, int64_t ldb, T* C, int64_t ldc) {
  constexpr int MR = 4, NV = 2;
  constexpr int64_t NR = NV * static_cast<int64_t>(16 / sizeof(T));
  const int64_t i_tiles_end = i0 + (i1 - i0) / MR * MR;
  const int64_t j_tiles_end = j0 + nlen / NR * NR;
  for (int64_t i = i0; i < i_tiles_end; i += MR)
    for (int64_t j = j0; j < j_tiles_end; j += NR) Tile<T, MR, NV>(i, j, k0, k1, A, lda, B, ldb, C, ldc);
  auto edge = [&](int64_t ra, int64_t rb, int64_t ja, int64_t jb) {
    for (int64_t i = ra; i < rb; ++i) {
      T* __restrict c = C + i * ldc;
      for (int64_t k = k0; k < k1; ++k) {
        const T a = A[i * lda + k];
        const T* __restrict b = B + k * ldb;
        for (int64_t j = ja; j < jb; ++j) c[j] += a * b[j];
      }
    }
  };
  edge(i0, i_tiles_end, j_tiles_end, j0 + nlen);  // right edge of the tiled rows
  edge(i_tiles_end, i1, j0, j0 + nlen);           // bottom rows, full width
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
template void GemmAccumulate<double>(int64_t, int64_t, int64_t, const double*, int64_t, const double*, int64_t, double*,
                                     int64_t, int);
template void GemmAccumulate<int64_t>(int64_t, int64_t, int64_t, const int64_t*, int64_t, const int64_t*, int64_t,
                                      int64_t*, int64_t, int);
template void GemmAccumulate<uint64_t>(int64_t, int64_t, int64_t, const uint64_t*, int64_t, const uint64_t*, int64_t,
                                       uint64_t*, int64_t, int);
template void TransposeMatrix<float>(const float*, int64_t, int64_t, float*);
template void TransposeMatrix<double>(const double*, int64_t, int64_t, double*);
template void TransposeMatrix<int64_t>(const int64_t*, int64_t, int64_t, int64_t*);
template void TransposeMatrix<uint64_t>(const uint64_t*, int64_t, int64_t, uint64_t*);

}  // namespace inferd::ref
