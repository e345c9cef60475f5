#include "engine/kernels/fast/pool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace inferd::fast {
namespace {

// Windows of 1-4 with strides 1-3, dilations 1-2 and pads 0-2, output sizes
// up to the last window that still holds an input (as ceil_mode gives), on
// 1 and 2 threads, with NaNs among the inputs: against a plain loop.
TEST(MaxPoolBlocked8, MatchesPlainLoop) {
  if (!MaxPoolBlocked8IsFast()) GTEST_SKIP() << "no AVX2";
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t kh = 1 + rng() % 4, kw = 1 + rng() % 4, sh = 1 + rng() % 3, sw = 1 + rng() % 3;
    const int64_t dh = 1 + rng() % 2, dw = 1 + rng() % 2;
    const int64_t pt = rng() % 3, pl = rng() % 3;
    const int64_t h = 1 + rng() % 13, w = 1 + rng() % 13, planes = 1 + rng() % 3;
    if (pt >= (kh - 1) * dh + 1 || pl >= (kw - 1) * dw + 1) continue;  // a first window wholly in padding
    // Largest output whose last window starts inside the input.
    const int64_t oh = (h - 1 + pt) / sh + 1, ow = (w - 1 + pl) / sw + 1;
    std::vector<float> x(static_cast<size_t>(planes * h * w * 8));
    for (auto& v : x) v = rng() % 50 == 0 ? NAN : dist(rng);
    const PoolWindow win{kh, kw, sh, sw, dh, dw, pt, pl};
    for (int threads : {1, 2}) {
      std::vector<float> y(static_cast<size_t>(planes * oh * ow * 8), 123.f);
      MaxPoolBlocked8(x.data(), planes, h, w, y.data(), oh, ow, win, threads);
      for (int64_t p = 0; p < planes; ++p)
        for (int64_t oy = 0; oy < oh; ++oy)
          for (int64_t ox = 0; ox < ow; ++ox)
            for (int64_t c = 0; c < 8; ++c) {
              float want = -std::numeric_limits<float>::infinity();
              for (int64_t ky = 0; ky < kh; ++ky)
                for (int64_t kx = 0; kx < kw; ++kx) {
                  const int64_t iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                  const float v = x[static_cast<size_t>(((p * h + iy) * w + ix) * 8 + c)];
                  if (v > want) want = v;
                }
              ASSERT_EQ(y[static_cast<size_t>(((p * oh + oy) * ow + ox) * 8 + c)], want)
                  << "trial " << trial << " window " << kh << "x" << kw << " s" << sh << sw << " d" << dh << dw << " p"
                  << pt << pl << " at " << p << "," << oy << "," << ox << "," << c;
            }
    }
  }
}

}  // namespace
}  // namespace inferd::fast
