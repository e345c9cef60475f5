// Sliding-window geometry and the im2col + GEMM core shared by the reference
// Conv, ConvTranspose, ConvInteger, QLinearConv and the pooling kernels.
//
// Attributes are parsed once at load (ParseWindowAttrs); shapes are resolved
// per run (ForwardGeometry / TransposeGeometry) because spatial sizes are only
// known then. Every user-controllable number is checked: a bad value gives an
// InvalidArgument naming the node and the attribute, never a crash.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/kernels/kernel.h"

namespace inferd::ref {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// Window attributes as written on the node; empty vectors mean "default".
struct WindowAttrs {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel_shape;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads;  // [begin..., end...]
  bool ceil_mode = false;
};

// Largest kernel_shape / strides / dilations / pads value accepted.
inline constexpr int64_t kMaxWindowAttribute = int64_t{1} << 24;

// Parses auto_pad, kernel_shape, strides, dilations, pads and ceil_mode and
// checks their values (strides/dilations/kernel > 0, pads >= 0, lengths agree).
Result<WindowAttrs> ParseWindowAttrs(const KernelInfo& info);

// Resolved geometry of one sliding window over the spatial dimensions.
struct WindowGeometry {
  std::vector<int64_t> in;      // spatial input dims
  std::vector<int64_t> kernel;  // spatial kernel dims
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pad_begin;
  std::vector<int64_t> pad_end;
  std::vector<int64_t> out;  // spatial output dims

  size_t rank() const { return in.size(); }
  int64_t in_size() const { return Product(in); }
  int64_t out_size() const { return Product(out); }
  int64_t kernel_size() const { return Product(kernel); }
  // 1x1 kernel, unit strides, no padding: im2col is the identity.
  bool IsPointwise() const;

  static int64_t Product(const std::vector<int64_t>& v) {
    int64_t p = 1;
    for (int64_t d : v) p *= d;
    return p;
  }
};

// Geometry of a forward window (Conv, pools). `in` and `kernel` are spatial
// dims; `where` prefixes errors (the node's description). Fails if the
// attribute lengths do not match the spatial rank or the window does not fit
// the (padded) input.
Result<WindowGeometry> ForwardGeometry(const WindowAttrs& attrs, const std::vector<int64_t>& in,
                                       const std::vector<int64_t>& kernel, const std::string& where);

// Geometry of ConvTranspose. The result describes the equivalent forward
// window that maps the (large) ConvTranspose output onto its (small) input:
// `in` is the ConvTranspose output, `out` its input, so Col2Im scatters into it.
Result<WindowGeometry> TransposeGeometry(const WindowAttrs& attrs, const std::vector<int64_t>& in,
                                         const std::vector<int64_t>& kernel, const std::vector<int64_t>& output_padding,
                                         const std::vector<int64_t>& output_shape, const std::string& where);

// Spatial dims of a tensor of shape [N, C, d1, d2, ...].
inline std::vector<int64_t> SpatialDims(const Shape& s) {
  return s.size() > 2 ? std::vector<int64_t>(s.begin() + 2, s.end()) : std::vector<int64_t>{};
}

// col[(c * K + k) * P + p] = x[c][input position of output p under kernel
// offset k], zero where the window reads padding. K = kernel_size, P = out_size.
template <class T>
void Im2Col(const T* x, int64_t channels, const WindowGeometry& g, T* col);

// y[c][position] += col[(c * K + k) * P + p]: the adjoint of Im2Col.
template <class T>
void Col2Im(const T* col, int64_t channels, const WindowGeometry& g, T* y);

// C[M x N] += A[M x K] * B[K x N] (row-major, leading dims lda/ldb/ldc).
// Blocked for cache and written so the inner loop vectorises; rows of C are
// split over `threads` OpenMP threads.
template <class T>
void GemmAccumulate(int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B, int64_t ldb, T* C,
                    int64_t ldc, int threads);

// Forward convolution, x: [N, C, in...], w: [M, C/group, kernel...],
// bias: [M] or nullptr, y: [N, M, out...]. `scratch` holds the im2col
// columns of one group and is resized as needed (CheckColumnBuffer first).
template <class T>
void ConvForward(const T* x, const T* w, const T* bias, T* y, int64_t batch, int64_t channels, int64_t maps,
                 int64_t group, const WindowGeometry& g, int threads, std::vector<T>& scratch);

// Fails if the im2col buffer (channels * kernel * output positions) of
// `elem_size`-byte elements would pass the tensor size limit.
Status CheckColumnBuffer(const WindowGeometry& g, int64_t channels, size_t elem_size, const std::string& where);

// Checks X [N, C, ...] and W [M, C/group, k...] against each other, the
// group and the kernel_shape attribute; fills the spatial kernel.
Status CheckConvShapes(const Shape& x, const Shape& w, int64_t group, const WindowAttrs& attrs,
                       const std::string& where, std::vector<int64_t>* kernel);

// ---------------------------------------------------------------- templates

template <class T, bool kScatter>
void WalkColumns(T* x, int64_t channels, const WindowGeometry& g, T* col) {
  const size_t nd = g.rank();
  const int64_t in_size = g.in_size(), out_size = g.out_size(), ksize = g.kernel_size();
  const size_t last = nd - 1;
  const int64_t out_last = g.out[last], in_last = g.in[last], s_last = g.strides[last];
  const int64_t outer = out_last == 0 ? 0 : out_size / out_last;
  std::vector<int64_t> kidx(nd), oidx(nd);
  for (int64_t c = 0; c < channels; ++c) {
    T* xc = x + c * in_size;
    for (int64_t k = 0; k < ksize; ++k) {
      int64_t rem = k;
      for (size_t d = nd; d-- > 0;) {
        kidx[d] = rem % g.kernel[d];
        rem /= g.kernel[d];
      }
      T* row = col + (c * ksize + k) * out_size;
      std::fill(oidx.begin(), oidx.end(), 0);
      const int64_t base_last = kidx[last] * g.dilations[last] - g.pad_begin[last];
      for (int64_t o = 0; o < outer; ++o) {
        bool valid = true;
        int64_t off = 0;
        for (size_t d = 0; d < last; ++d) {
          const int64_t i = oidx[d] * g.strides[d] - g.pad_begin[d] + kidx[d] * g.dilations[d];
          if (i < 0 || i >= g.in[d]) valid = false;
          off = off * g.in[d] + i;
        }
        T* dst = row + o * out_last;
        if (valid) {
          T* src = xc + off * in_last;
          for (int64_t ow = 0; ow < out_last; ++ow) {
            const int64_t i = ow * s_last + base_last;
            if constexpr (kScatter) {
              if (i >= 0 && i < in_last) src[i] += dst[ow];
            } else {
              dst[ow] = (i >= 0 && i < in_last) ? src[i] : T{};
            }
          }
        } else if constexpr (!kScatter) {
          std::fill(dst, dst + out_last, T{});
        }
        for (size_t d = last; d-- > 0;) {
          if (++oidx[d] < g.out[d]) break;
          oidx[d] = 0;
        }
      }
    }
  }
}

template <class T>
void Im2Col(const T* x, int64_t channels, const WindowGeometry& g, T* col) {
  WalkColumns<T, false>(const_cast<T*>(x), channels, g, col);  // reads x only
}

template <class T>
void Col2Im(const T* col, int64_t channels, const WindowGeometry& g, T* y) {
  WalkColumns<T, true>(y, channels, g, const_cast<T*>(col));  // reads col only
}

template <class T>
void GemmRows(int64_t m0, int64_t m1, int64_t N, int64_t K, const T* A, int64_t lda, const T* B, int64_t ldb, T* C,
              int64_t ldc) {
  constexpr int64_t kNB = 512, kKB = 128;
  for (int64_t n0 = 0; n0 < N; n0 += kNB) {
    const int64_t nb = std::min(kNB, N - n0);
    for (int64_t k0 = 0; k0 < K; k0 += kKB) {
      const int64_t kb = std::min(kKB, K - k0);
      int64_t m = m0;
      for (; m + 4 <= m1; m += 4) {
        T* __restrict c0 = C + m * ldc + n0;
        T* __restrict c1 = c0 + ldc;
        T* __restrict c2 = c1 + ldc;
        T* __restrict c3 = c2 + ldc;
        const T* a0 = A + m * lda + k0;
        for (int64_t k = 0; k < kb; ++k) {
          const T v0 = a0[k], v1 = a0[lda + k], v2 = a0[2 * lda + k], v3 = a0[3 * lda + k];
          const T* __restrict b = B + (k0 + k) * ldb + n0;
          for (int64_t n = 0; n < nb; ++n) {
            const T bv = b[n];
            c0[n] += v0 * bv;
            c1[n] += v1 * bv;
            c2[n] += v2 * bv;
            c3[n] += v3 * bv;
          }
        }
      }
      for (; m < m1; ++m) {
        T* __restrict c0 = C + m * ldc + n0;
        const T* a0 = A + m * lda + k0;
        for (int64_t k = 0; k < kb; ++k) {
          const T v0 = a0[k];
          const T* __restrict b = B + (k0 + k) * ldb + n0;
          for (int64_t n = 0; n < nb; ++n) c0[n] += v0 * b[n];
        }
      }
    }
  }
}

template <class T>
void GemmAccumulate(int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B, int64_t ldb, T* C,
                    int64_t ldc, int threads) {
  const int64_t flops = M * N * K;
  if (threads <= 1 || M < 8 || flops < (int64_t{1} << 20)) {
    GemmRows(0, M, N, K, A, lda, B, ldb, C, ldc);
    return;
  }
  // Split rows in multiples of 4 so every thread uses the 4-row inner loop.
  const int64_t chunks = std::min<int64_t>(threads, (M + 3) / 4);
  const int64_t per = ((M + chunks - 1) / chunks + 3) / 4 * 4;
#pragma omp parallel for num_threads(static_cast <int>(chunks)) schedule(static)
  for (int64_t t = 0; t < chunks; ++t) {
    const int64_t m0 = t * per, m1 = std::min(M, m0 + per);
    if (m0 < m1) GemmRows(m0, m1, N, K, A, lda, B, ldb, C, ldc);
  }
}

template <class T>
void ConvForward(const T* x, const T* w, const T* bias, T* y, int64_t batch, int64_t channels, int64_t maps,
                 int64_t group, const WindowGeometry& g, int threads, std::vector<T>& scratch) {
  const int64_t cg = channels / group, mg = maps / group;
  const int64_t in_size = g.in_size(), out_size = g.out_size(), ksize = g.kernel_size();
  const int64_t kdim = cg * ksize;
  const bool pointwise = g.IsPointwise();
  if (!pointwise) scratch.resize(static_cast<size_t>(kdim * out_size));
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t gi = 0; gi < group; ++gi) {
      const T* xg = x + (n * channels + gi * cg) * in_size;
      const T* col = xg;
      if (!pointwise) {
        Im2Col(xg, cg, g, scratch.data());
        col = scratch.data();
      }
      T* yg = y + (n * maps + gi * mg) * out_size;
      for (int64_t m = 0; m < mg; ++m) {
        const T b = bias != nullptr ? bias[gi * mg + m] : T{};
        std::fill(yg + m * out_size, yg + (m + 1) * out_size, b);
      }
      GemmAccumulate(mg, out_size, kdim, w + gi * mg * kdim, kdim, col, out_size, yg, out_size, threads);
    }
  }
}

}  // namespace inferd::ref
