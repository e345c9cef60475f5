// FP32 3x3 convolution, stride 1, by Winograd's minimal filtering F(2x2, 3x3)
// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
//
// Each 2x2 block of outputs comes from a 4x4 input tile: V = B^T d B per input
// channel, then for each of the 16 transformed positions a matrix product
// over channels, M[xi] = V[xi] U[xi] with U = G g G^T (the filters, transformed
// and packed once at load), then Y = A^T M A. That is 16 multiplications per
// 4 outputs instead of 36, and the products run on fast::PackedGemm.
//
// Activations are channel-blocked by 8 (nChw8c: [N, C/8, H, W, 8], the layout
// the layout pass keeps in CNN regions), so a tile of 8 channels is one AVX
// register. Bias, a residual sum (same layout and shape as the output) and
// relu/clip are applied while writing the output.
//
// Threads: Winograd3x3 is immutable after Prepare and may be run by any number
// of threads at once; Run uses `threads` OpenMP threads and per-thread scratch.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/kernels/fast/packed_gemm.h"

namespace inferd::fast {

// What Run does to each output value after the convolution.
struct ConvEpilogue {
  const float* bias = nullptr;  // [OC], or null
  const float* sum = nullptr;   // residual, laid out like the output, or null
  bool clip = false;            // y = min(max(y, lo), hi) after bias and sum
  float lo = 0, hi = 0;
};

class Winograd3x3 {
 public:
  static constexpr int kBlock = 8;  // channel block of the activations
  // Per-thread scratch stays under this (tiles per block shrink as channels
  // grow); callers keep ic + oc <= kMaxChannels so a block holds >= 1 tile.
  static constexpr int64_t kMaxScratchBytes = int64_t{64} << 20;
  static constexpr int64_t kMaxChannels = kMaxScratchBytes / (16 * 4 * 2);

  Winograd3x3() = default;
  // `w` is [oc, ic, 3, 3], plain; oc and ic must be multiples of kBlock.
  // The transform runs on up to `threads` OpenMP threads.
  static Winograd3x3 Prepare(const float* w, int64_t oc, int64_t ic, int threads = 1);

  bool defined() const { return !u_.empty(); }
  int64_t oc() const { return oc_; }
  int64_t ic() const { return ic_; }

  // Needs WinogradIsFast(). x: [n, ic/8, h, w, 8]; y: [n, oc/8, oh, ow, 8] where the output pixel
  // (oy, ox) sees inputs (oy - pad_top + 0..2, ox - pad_left + 0..2), zero
  // outside the input.
  void Run(const float* x, int64_t n, int64_t h, int64_t w, int64_t pad_top, int64_t pad_left, float* y, int64_t oh,
           int64_t ow, const ConvEpilogue& e, int threads) const;

 private:
  std::vector<PackedMatrix> u_;  // 16 matrices [ic x oc], one per transformed position
  int64_t oc_ = 0, ic_ = 0;
};

// Whether this CPU runs the vectorised Winograd path (AVX2 + FMA).
bool WinogradIsFast();

}  // namespace inferd::fast
