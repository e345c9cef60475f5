// FP32 matrix product against a constant right-hand side packed once at load:
//   C[M,N] = A[M,K] @ B[K,N] (+ bias[N]) (then max(0, .) if relu)
//
// oneDNN 2.6's f32 matmul on AVX2 (gemm:jit) re-packs B on every call; for
// the small-M products of dense layers (M = batch or sequence length) that
// copy is a sizeable share of the time. Here B is stored as panels of 16
// columns (K x 16 floats, contiguous, the last panel zero-padded), read by a
// 6x16 AVX2/FMA register-blocked kernel; A is read in place.
//
// Threads: PackedMatrix is immutable after Pack and may be shared by any
// number of threads. PackedGemm splits the column panels over `threads`
// OpenMP threads (1 = the calling thread only).
#pragma once

#include <cstdint>
#include <memory>

namespace inferd::fast {

class PackedMatrix {
 public:
  static constexpr int64_t kPanel = 16;

  PackedMatrix() = default;
  // Packs B [K,N] (row stride N), or, when `transposed`, B given as its
  // transpose [N,K] (row stride K), each element times `scale`.
  static PackedMatrix Pack(const float* b, int64_t k, int64_t n, bool transposed, float scale = 1.f);

  // An unfilled K x N matrix whose panels the caller writes through
  // mutable_panel() before use (padding columns of the last panel are zero).
  static PackedMatrix Allocate(int64_t k, int64_t n);
  float* mutable_panel(int64_t p) { return data_.get() + p * k_ * kPanel; }

  bool defined() const { return data_ != nullptr; }
  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  int64_t panels() const { return (n_ + kPanel - 1) / kPanel; }
  const float* panel(int64_t p) const { return data_.get() + p * k_ * kPanel; }

 private:
  std::shared_ptr<float[]> data_;
  int64_t k_ = 0, n_ = 0;
};

// Whether this CPU runs the AVX2 kernel (otherwise PackedGemm is a plain
// loop; callers may prefer another path then).
bool PackedGemmIsFast();

// C (row stride ldc) = A (row stride lda) @ B + bias (nullable), relu
// optional. M >= 0; A has B.k() columns, C has B.n() columns.
void PackedGemm(const float* a, int64_t m, int64_t lda, const PackedMatrix& b, const float* bias, bool relu, float* c,
                int64_t ldc, int threads);

}  // namespace inferd::fast
