#include "engine/kernels/fast/vec_math.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace inferd::fast {
namespace {

bool DetectAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

const bool kAvx2 = DetectAvx2();

// ------------------------------------------------------------ scalar bodies

float GeluScalar(float v, bool tanh_form) {
  if (tanh_form) {
    const float u = 0.7978845608f * (v + 0.044715f * v * v * v);
    return 0.5f * v * (1.f + std::tanh(u));
  }
  return 0.5f * v * (1.f + std::erf(v * 0.70710678f));
}

// Softmax of n values px[0], px[stride], ... into py with the same stride.
void SoftmaxColumn(const float* px, float* py, int64_t n, int64_t stride, bool log) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < n; ++j) m = std::max(m, px[j * stride]);
  float sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    const float e = std::exp(px[j * stride] - m);
    sum += e;
    if (!log) py[j * stride] = e;
  }
  if (log) {
    const float ls = std::log(sum);
    for (int64_t j = 0; j < n; ++j) py[j * stride] = px[j * stride] - m - ls;
  } else {
    const float inv = 1.f / sum;
    for (int64_t j = 0; j < n; ++j) py[j * stride] *= inv;
  }
}

void SoftmaxScalar(const float* x, float* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) SoftmaxColumn(x + o * n * inner + i, y + o * n * inner + i, n, inner, log);
}

void LayerNormScalar(const float* x, const float* scale, const float* bias, float* y, int64_t rows, int64_t n,
                     float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* px = x + r * n;
    float* py = y + r * n;
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) sum += px[j];
    const float mean = static_cast<float>(sum / static_cast<double>(n));
    double sq = 0;
    for (int64_t j = 0; j < n; ++j) sq += static_cast<double>(px[j] - mean) * (px[j] - mean);
    const float inv = static_cast<float>(1.0 / std::sqrt(sq / static_cast<double>(n) + eps));
    for (int64_t j = 0; j < n; ++j) py[j] = (px[j] - mean) * inv * scale[j] + (bias ? bias[j] : 0.f);
  }
}

// ---------------------------------------------------------------- AVX2 bodies

#define INFERD_AVX2 __attribute__((target("avx2,fma")))

INFERD_AVX2 inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

INFERD_AVX2 inline float HorizontalMax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// e^x: x = n ln2 + r with |r| <= ln2/2, e^r by a degree-6 polynomial, 2^n
// built in the exponent bits. Inputs are clamped to the normal float range.
INFERD_AVX2 inline __m256 Exp(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.37f));
  const __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  __m256 y = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
  y = _mm256_add_ps(y, _mm256_set1_ps(1.f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

INFERD_AVX2 void SoftmaxLastAxisAvx2(const float* x, float* y, int64_t rows, int64_t n, bool log) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* px = x + r * n;
    float* py = y + r * n;
    int64_t j = 0;
    __m256 vm = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    for (; j + 8 <= n; j += 8) vm = _mm256_max_ps(vm, _mm256_loadu_ps(px + j));
    float m = HorizontalMax(vm);
    for (; j < n; ++j) m = std::max(m, px[j]);
    const __m256 vmax = _mm256_set1_ps(m);
    __m256 vs = _mm256_setzero_ps();
    j = 0;
    for (; j + 8 <= n; j += 8) {
      const __m256 e = Exp(_mm256_sub_ps(_mm256_loadu_ps(px + j), vmax));
      vs = _mm256_add_ps(vs, e);
      if (!log) _mm256_storeu_ps(py + j, e);
    }
    float sum = HorizontalSum(vs);
    for (; j < n; ++j) {
      const float e = std::exp(px[j] - m);
      sum += e;
      if (!log) py[j] = e;
    }
    if (log) {
      // (x - max) - log(sum): subtracting max first keeps the small results exact.
      const float ls = std::log(sum);
      const __m256 vls = _mm256_set1_ps(ls);
      for (j = 0; j + 8 <= n; j += 8)
        _mm256_storeu_ps(py + j, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(px + j), vmax), vls));
      for (; j < n; ++j) py[j] = (px[j] - m) - ls;
    } else {
      const float inv = 1.f / sum;
      const __m256 vinv = _mm256_set1_ps(inv);
      for (j = 0; j + 8 <= n; j += 8) _mm256_storeu_ps(py + j, _mm256_mul_ps(_mm256_loadu_ps(py + j), vinv));
      for (; j < n; ++j) py[j] *= inv;
    }
  }
}

// Softmax over the middle axis with inner > 1: eight inner positions at a
// time, walking the reduced axis with stride `inner`.
INFERD_AVX2 void SoftmaxStridedAvx2(const float* x, float* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  for (int64_t o = 0; o < outer; ++o) {
    const float* base_x = x + o * n * inner;
    float* base_y = y + o * n * inner;
    int64_t i = 0;
    for (; i + 8 <= inner; i += 8) {
      const float* px = base_x + i;
      float* py = base_y + i;
      __m256 vm = _mm256_loadu_ps(px);
      for (int64_t j = 1; j < n; ++j) vm = _mm256_max_ps(vm, _mm256_loadu_ps(px + j * inner));
      __m256 vs = _mm256_setzero_ps();
      for (int64_t j = 0; j < n; ++j) {
        const __m256 e = Exp(_mm256_sub_ps(_mm256_loadu_ps(px + j * inner), vm));
        vs = _mm256_add_ps(vs, e);
        if (!log) _mm256_storeu_ps(py + j * inner, e);
      }
      if (log) {
        alignas(32) float s[8];
        _mm256_store_ps(s, vs);
        for (int k = 0; k < 8; ++k) s[k] = std::log(s[k]);
        const __m256 vls = _mm256_load_ps(s);
        for (int64_t j = 0; j < n; ++j)
          _mm256_storeu_ps(py + j * inner, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(px + j * inner), vm), vls));
      } else {
        const __m256 vinv = _mm256_div_ps(_mm256_set1_ps(1.f), vs);
        for (int64_t j = 0; j < n; ++j)
          _mm256_storeu_ps(py + j * inner, _mm256_mul_ps(_mm256_loadu_ps(py + j * inner), vinv));
      }
    }
    for (; i < inner; ++i) SoftmaxColumn(base_x + i, base_y + i, n, inner, log);  // the last < 8
  }
}

INFERD_AVX2 void LayerNormAvx2(const float* x, const float* scale, const float* bias, float* y, int64_t rows,
                               int64_t n, float eps) {
  const float inv_n = 1.f / static_cast<float>(n);
  for (int64_t r = 0; r < rows; ++r) {
    const float* px = x + r * n;
    float* py = y + r * n;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) {
      s0 = _mm256_add_ps(s0, _mm256_loadu_ps(px + j));
      s1 = _mm256_add_ps(s1, _mm256_loadu_ps(px + j + 8));
    }
    for (; j + 8 <= n; j += 8) s0 = _mm256_add_ps(s0, _mm256_loadu_ps(px + j));
    float sum = HorizontalSum(_mm256_add_ps(s0, s1));
    for (; j < n; ++j) sum += px[j];
    const float mean = sum * inv_n;
    const __m256 vmean = _mm256_set1_ps(mean);
    s0 = _mm256_setzero_ps();
    s1 = _mm256_setzero_ps();
    for (j = 0; j + 16 <= n; j += 16) {
      const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(px + j), vmean);
      const __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(px + j + 8), vmean);
      s0 = _mm256_fmadd_ps(d0, d0, s0);
      s1 = _mm256_fmadd_ps(d1, d1, s1);
    }
    for (; j + 8 <= n; j += 8) {
      const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(px + j), vmean);
      s0 = _mm256_fmadd_ps(d, d, s0);
    }
    float sq = HorizontalSum(_mm256_add_ps(s0, s1));
    for (; j < n; ++j) sq += (px[j] - mean) * (px[j] - mean);
    const float inv = 1.f / std::sqrt(sq * inv_n + eps);
    const __m256 vinv = _mm256_set1_ps(inv);
    for (j = 0; j + 8 <= n; j += 8) {
      const __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(px + j), vmean), vinv);
      const __m256 b = bias ? _mm256_loadu_ps(bias + j) : _mm256_setzero_ps();
      _mm256_storeu_ps(py + j, _mm256_fmadd_ps(d, _mm256_loadu_ps(scale + j), b));
    }
    for (; j < n; ++j) py[j] = (px[j] - mean) * inv * scale[j] + (bias ? bias[j] : 0.f);
  }
}

// erf(z) by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
INFERD_AVX2 inline __m256 Erf(__m256 z) {
  const __m256 sign_mask = _mm256_set1_ps(-0.f);
  const __m256 sign = _mm256_and_ps(z, sign_mask);
  const __m256 a = _mm256_andnot_ps(sign_mask, z);
  const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), a, _mm256_set1_ps(1.f)));
  __m256 p = _mm256_set1_ps(1.061405429f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
  p = _mm256_mul_ps(p, t);
  const __m256 e = Exp(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(a, a)));
  const __m256 r = _mm256_fnmadd_ps(p, e, _mm256_set1_ps(1.f));
  return _mm256_or_ps(r, sign);
}

INFERD_AVX2 void GeluAvx2(const float* x, float* y, int64_t n, bool tanh_form) {
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.f);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 v = _mm256_loadu_ps(x + j);
    __m256 g;
    if (tanh_form) {
      // tanh(u) = 1 - 2 / (e^{2u} + 1); |u| clamped to 9 (tanh(9) == 1 in float).
      __m256 u = _mm256_mul_ps(_mm256_set1_ps(0.7978845608f),
                               _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(0.044715f), v), _mm256_mul_ps(v, v), v));
      u = _mm256_min_ps(_mm256_max_ps(u, _mm256_set1_ps(-9.f)), _mm256_set1_ps(9.f));
      const __m256 e = Exp(_mm256_add_ps(u, u));
      g = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.f), _mm256_add_ps(e, one)));
    } else {
      g = Erf(_mm256_mul_ps(v, _mm256_set1_ps(0.70710678f)));
    }
    _mm256_storeu_ps(y + j, _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, g)));
  }
  for (; j < n; ++j) y[j] = GeluScalar(x[j], tanh_form);
}

}  // namespace

// Splits `rows` over up to `threads` OpenMP threads when there is enough
// work (`row_cost` elements each) to pay for waking the team.
template <class Fn>
void ForRows(int64_t rows, int64_t row_cost, int threads, Fn&& fn) {
  constexpr int64_t kMinPerThread = 65536;  // ~20 us: below that a fork-join costs more than it saves
  const int64_t team = std::min<int64_t>({static_cast<int64_t>(threads), rows, rows * row_cost / kMinPerThread});
  if (team <= 1) return fn(0, rows);
#pragma omp parallel num_threads(static_cast<int>(team))
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t begin = rows * t / nt, end = rows * (t + 1) / nt;
    if (begin < end) fn(begin, end);
  }
}

bool UsingAvx2() { return kAvx2; }

void Softmax(const float* x, float* y, int64_t outer, int64_t n, int64_t inner, bool log, int threads) {
  if (outer <= 0 || n <= 0 || inner <= 0) return;
  ForRows(outer, n * inner, threads, [&](int64_t begin, int64_t end) {
    const float* px = x + begin * n * inner;
    float* py = y + begin * n * inner;
    if (!kAvx2) return SoftmaxScalar(px, py, end - begin, n, inner, log);
    if (inner == 1) return SoftmaxLastAxisAvx2(px, py, end - begin, n, log);
    SoftmaxStridedAvx2(px, py, end - begin, n, inner, log);
  });
}

void LayerNormRows(const float* x, const float* scale, const float* bias, float* y, int64_t rows, int64_t n, float eps,
                   int threads) {
  if (rows <= 0 || n <= 0) return;
  ForRows(rows, n, threads, [&](int64_t begin, int64_t end) {
    if (kAvx2) return LayerNormAvx2(x + begin * n, scale, bias, y + begin * n, end - begin, n, eps);
    LayerNormScalar(x + begin * n, scale, bias, y + begin * n, end - begin, n, eps);
  });
}

void AddArrays(const float* a, const float* b, float* y, int64_t n, int threads) {
  if (n <= 0) return;
  constexpr int64_t kChunk = 4096;
  ForRows((n + kChunk - 1) / kChunk, kChunk, threads, [&](int64_t begin, int64_t end) {
    const int64_t lo = begin * kChunk, hi = std::min(n, end * kChunk);
    for (int64_t j = lo; j < hi; ++j) y[j] = a[j] + b[j];  // auto-vectorised (SSE2 baseline)
  });
}

void Gelu(const float* x, float* y, int64_t n, bool tanh_approximation, int threads) {
  if (n <= 0) return;
  constexpr int64_t kChunk = 4096;
  ForRows((n + kChunk - 1) / kChunk, kChunk, threads, [&](int64_t begin, int64_t end) {
    const int64_t lo = begin * kChunk, hi = std::min(n, end * kChunk);
    if (kAvx2) return GeluAvx2(x + lo, y + lo, hi - lo, tanh_approximation);
    for (int64_t j = lo; j < hi; ++j) y[j] = GeluScalar(x[j], tanh_approximation);
  });
}

}  // namespace inferd::fast
