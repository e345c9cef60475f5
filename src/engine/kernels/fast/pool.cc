#include "engine/kernels/fast/pool.h"

#include <immintrin.h>

#include <algorithm>
#include <limits>

namespace inferd::fast {
namespace {

bool DetectAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}
const bool kAvx2 = DetectAvx2();

// First and one-past-last kernel index whose input lies in [0, in).
inline void ValidRange(int64_t origin, int64_t dilation, int64_t k, int64_t in, int64_t& k0, int64_t& k1) {
  k0 = origin >= 0 ? 0 : (-origin + dilation - 1) / dilation;
  k1 = std::min(k, (in - origin + dilation - 1) / dilation);
  if (k1 < k0) k1 = k0;
}

__attribute__((target("avx2"))) void Row(const float* plane, int64_t h, int64_t w, float* out, int64_t oy, int64_t ow,
                                         const PoolWindow& p) {
  int64_t ky0, ky1;
  const int64_t iy = oy * p.sh - p.pad_top;
  ValidRange(iy, p.dh, p.kh, h, ky0, ky1);
  for (int64_t ox = 0; ox < ow; ++ox) {
    const int64_t ix = ox * p.sw - p.pad_left;
    int64_t kx0, kx1;
    ValidRange(ix, p.dw, p.kw, w, kx0, kx1);
    __m256 m = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    for (int64_t ky = ky0; ky < ky1; ++ky) {
      const float* row = plane + ((iy + ky * p.dh) * w + ix) * 8;
      for (int64_t kx = kx0; kx < kx1; ++kx) m = _mm256_max_ps(_mm256_loadu_ps(row + kx * p.dw * 8), m);
    }
    _mm256_storeu_ps(out + ox * 8, m);
  }
}

}  // namespace

bool MaxPoolBlocked8IsFast() { return kAvx2; }

void MaxPoolBlocked8(const float* x, int64_t planes, int64_t h, int64_t w, float* y, int64_t oh, int64_t ow,
                     const PoolWindow& win, int threads) {
  const int64_t rows = planes * oh;
  // Threads only for maps big enough to pay for waking the team.
  const int team = rows * ow * win.kh * win.kw >= (int64_t{1} << 16) ? std::max(1, threads) : 1;
#pragma omp parallel for num_threads(team) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t p = r / oh, oy = r % oh;
    const float* plane = x + p * h * w * 8;
    float* out = y + (p * oh + oy) * ow * 8;
    Row(plane, h, w, out, oy, ow, win);
  }
}

}  // namespace inferd::fast
