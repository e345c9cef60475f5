#include "engine/kernels/fast/packed_gemm.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstring>

namespace inferd::fast {
namespace {

constexpr int64_t kNr = PackedMatrix::kPanel;
constexpr int64_t kMr = 6;
constexpr int64_t kKc = 256;  // K block: a 16 KB slice of a panel stays in L1

bool DetectAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
const bool kAvx2 = DetectAvx2();

// What the kernel does with C for one K block.
struct Epilogue {
  bool first;  // C = bias (or 0) + product; else C += product
  bool last;   // apply relu after adding
  bool relu;
  const float* bias;  // this panel's 16 bias values (zero-padded), or null
};

// One MR x 16 tile over kc steps. `cols` <= 16 valid columns of C.
template <int MR>
__attribute__((target("avx2,fma"))) void Tile(const float* a, int64_t lda, const float* bp, int64_t kc, float* c,
                                               int64_t ldc, int64_t cols, const Epilogue& e) {
  // Fully unrolled so the 2*MR accumulators stay in registers (a rolled loop
  // makes GCC keep them in memory and store them every step).
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(bp + k * kNr);
    const __m256 b1 = _mm256_loadu_ps(bp + k * kNr + 8);
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r * lda + k);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  alignas(32) float result[MR][kNr];
#pragma GCC unroll 6
  for (int r = 0; r < MR; ++r) {
    _mm256_store_ps(result[r], acc[r][0]);
    _mm256_store_ps(result[r] + 8, acc[r][1]);
  }
  const __m256 zero = _mm256_setzero_ps();
  for (int r = 0; r < MR; ++r) {
    float* cr = c + r * ldc;
    alignas(32) float tmp[kNr];
    __m256 v0 = _mm256_load_ps(result[r]), v1 = _mm256_load_ps(result[r] + 8);
    if (e.first) {
      if (e.bias != nullptr) {
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(e.bias));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(e.bias + 8));
      }
    } else if (cols == kNr) {
      v0 = _mm256_add_ps(v0, _mm256_loadu_ps(cr));
      v1 = _mm256_add_ps(v1, _mm256_loadu_ps(cr + 8));
    } else {
      std::memcpy(tmp, cr, static_cast<size_t>(cols) * sizeof(float));
      v0 = _mm256_add_ps(v0, _mm256_load_ps(tmp));
      v1 = _mm256_add_ps(v1, _mm256_load_ps(tmp + 8));
    }
    if (e.last && e.relu) {
      v0 = _mm256_max_ps(v0, zero);
      v1 = _mm256_max_ps(v1, zero);
    }
    if (cols == kNr) {
      _mm256_storeu_ps(cr, v0);
      _mm256_storeu_ps(cr + 8, v1);
    } else {
      _mm256_store_ps(tmp, v0);
      _mm256_store_ps(tmp + 8, v1);
      std::memcpy(cr, tmp, static_cast<size_t>(cols) * sizeof(float));
    }
  }
}

using TileFn = void (*)(const float*, int64_t, const float*, int64_t, float*, int64_t, int64_t, const Epilogue&);
constexpr TileFn kTiles[kMr + 1] = {nullptr, &Tile<1>, &Tile<2>, &Tile<3>, &Tile<4>, &Tile<5>, &Tile<6>};

// Every row of A against one column panel.
void PanelAvx2(const float* a, int64_t m, int64_t lda, const PackedMatrix& b, int64_t p, const float* bias16,
               bool relu, float* c, int64_t ldc) {
  const int64_t k = b.k();
  const int64_t col0 = p * kNr;
  const int64_t cols = std::min(kNr, b.n() - col0);
  const float* panel = b.panel(p);
  // Equal K blocks of at most kKc (784 -> 4 x 196, not 3 x 256 + 16).
  const int64_t blocks = std::max<int64_t>(1, (k + kKc - 1) / kKc);
  const int64_t kb = (k + blocks - 1) / blocks;
  for (int64_t k0 = 0; k0 < k || k0 == 0; k0 += kb) {
    const int64_t kc = std::min(kb, k - k0);
    const Epilogue e{k0 == 0, k0 + kc >= k, relu, bias16};
    for (int64_t i = 0, mr = 0; i < m; i += mr) {
      // 6-row tiles; a left-over 7 or 8 rows as 4 + 3 or 4 + 4, since a
      // 1- or 2-row tile has too few accumulators to hide the FMA latency.
      const int64_t left = m - i;
      mr = (left == 7 || left == 8) ? 4 : std::min(kMr, left);
      kTiles[mr](a + i * lda + k0, lda, panel + k0 * kNr, kc, c + i * ldc + col0, ldc, cols, e);
    }
    if (k == 0) break;
  }
}

void PanelScalar(const float* a, int64_t m, int64_t lda, const PackedMatrix& b, int64_t p, const float* bias16,
                 bool relu, float* c, int64_t ldc) {
  const int64_t col0 = p * kNr;
  const int64_t cols = std::min(kNr, b.n() - col0);
  const float* panel = b.panel(p);
  for (int64_t i = 0; i < m; ++i) {
    float acc[kNr] = {};
    for (int64_t kk = 0; kk < b.k(); ++kk)
      for (int64_t j = 0; j < kNr; ++j) acc[j] += a[i * lda + kk] * panel[kk * kNr + j];
    for (int64_t j = 0; j < cols; ++j) {
      float v = acc[j] + (bias16 ? bias16[j] : 0.f);
      c[i * ldc + col0 + j] = relu ? std::max(v, 0.f) : v;
    }
  }
}

}  // namespace

PackedMatrix PackedMatrix::Allocate(int64_t k, int64_t n) {
  PackedMatrix out;
  out.k_ = k;
  out.n_ = n;
  const int64_t panels = (n + kNr - 1) / kNr;
  const int64_t size = std::max<int64_t>(panels * k * kNr, 1);
  out.data_ = std::shared_ptr<float[]>(new float[static_cast<size_t>(size)]);  // not zeroed: written next
  if (const int64_t cols = n - (panels - 1) * kNr; panels > 0 && cols < kNr) {
    float* last = out.data_.get() + (panels - 1) * k * kNr;
    for (int64_t kk = 0; kk < k; ++kk) std::fill(last + kk * kNr + cols, last + (kk + 1) * kNr, 0.f);
  }
  return out;
}

PackedMatrix PackedMatrix::Pack(const float* b, int64_t k, int64_t n, bool transposed, float scale) {
  PackedMatrix out = Allocate(k, n);
  const int64_t panels = out.panels();
  // Loops that read B in order (large weights are packed at every load).
  for (int64_t p = 0; p < panels; ++p) {
    float* dst = out.data_.get() + p * k * kNr;
    const int64_t col0 = p * kNr, cols = std::min(kNr, n - col0);
    if (transposed) {
      for (int64_t j = 0; j < cols; ++j) {
        const float* src = b + (col0 + j) * k;
        for (int64_t kk = 0; kk < k; ++kk) dst[kk * kNr + j] = scale * src[kk];
      }
    } else {
      for (int64_t kk = 0; kk < k; ++kk) {
        const float* src = b + kk * n + col0;
        for (int64_t j = 0; j < cols; ++j) dst[kk * kNr + j] = scale * src[j];
      }
    }
  }
  return out;
}

bool PackedGemmIsFast() { return kAvx2; }

void PackedGemm(const float* a, int64_t m, int64_t lda, const PackedMatrix& b, const float* bias, bool relu, float* c,
                int64_t ldc, int threads) {
  if (m <= 0 || b.n() <= 0) return;
  const int64_t panels = b.panels();
  // Rows in blocks whose slice of A (rows x K floats) stays in a 256 KB
  // share of L2 while every column panel streams past it; without this a
  // tall A (batch 8 x 128 tokens) is re-read from L3 for each panel.
  const int64_t mc = std::clamp<int64_t>((int64_t{64} << 10) / std::max<int64_t>(b.k(), 1) / kMr * kMr, 4 * kMr, 64 * kMr);
  auto run = [&](int64_t p0, int64_t p1) {
    for (int64_t i0 = 0; i0 < m; i0 += mc) {
      // Never leave a last block of 1-2 rows: it joins this one.
      const int64_t i1 = m - (i0 + mc) < 3 ? m : i0 + mc;
      for (int64_t p = p0; p < p1; ++p) {
        alignas(32) float bias16[kNr] = {};
        const float* pb = nullptr;
        if (bias != nullptr) {
          const int64_t col0 = p * kNr;
          std::memcpy(bias16, bias + col0, static_cast<size_t>(std::min(kNr, b.n() - col0)) * sizeof(float));
          pb = bias16;
        }
        if (kAvx2) {
          PanelAvx2(a + i0 * lda, i1 - i0, lda, b, p, pb, relu, c + i0 * ldc, ldc);
        } else {
          PanelScalar(a + i0 * lda, i1 - i0, lda, b, p, pb, relu, c + i0 * ldc, ldc);
        }
      }
      if (i1 == m) break;
    }
  };
  // Threads only when each gets enough work to pay for waking the team; each
  // thread owns a contiguous range of column panels.
  const int64_t flops = 2 * m * b.k() * b.n();
  const int team = static_cast<int>(std::min<int64_t>(threads, panels));
  if (team <= 1 || flops < (int64_t{1} << 22)) return run(0, panels);
#pragma omp parallel num_threads(team)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    run(panels * t / nt, panels * (t + 1) / nt);
  }
}

}  // namespace inferd::fast
