#include "engine/kernels/fast/winograd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace inferd::fast {
namespace {

std::vector<float> Random(int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

// Index of (n, c, y, x) in an [N, C/8, H, W, 8] tensor.
int64_t At(int64_t n, int64_t c, int64_t y, int64_t x, int64_t ch, int64_t h, int64_t w) {
  return (((n * (ch / 8) + c / 8) * h + y) * w + x) * 8 + c % 8;
}

struct Case {
  int64_t n, ic, oc, h, w, pt, pl, pb, pr;
};

// Direct convolution in double, in the blocked layout, as the oracle.
std::vector<float> Naive(const Case& k, const std::vector<float>& x, const std::vector<float>& wt,
                         const ConvEpilogue& e, int64_t oh, int64_t ow) {
  std::vector<float> y(static_cast<size_t>(k.n * k.oc * oh * ow));
  for (int64_t n = 0; n < k.n; ++n)
    for (int64_t o = 0; o < k.oc; ++o)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          double acc = e.bias ? e.bias[o] : 0.0;
          for (int64_t c = 0; c < k.ic; ++c)
            for (int64_t r = 0; r < 3; ++r)
              for (int64_t s = 0; s < 3; ++s) {
                const int64_t iy = oy - k.pt + r, ix = ox - k.pl + s;
                if (iy < 0 || iy >= k.h || ix < 0 || ix >= k.w) continue;
                acc += double(x[static_cast<size_t>(At(n, c, iy, ix, k.ic, k.h, k.w))]) *
                       wt[static_cast<size_t>(((o * k.ic + c) * 3 + r) * 3 + s)];
              }
          const int64_t at = At(n, o, oy, ox, k.oc, oh, ow);
          if (e.sum) acc += e.sum[at];
          if (e.clip) acc = std::min<double>(std::max<double>(acc, e.lo), e.hi);
          y[static_cast<size_t>(at)] = static_cast<float>(acc);
        }
  return y;
}

// Odd and even sizes (partial tiles at the bottom/right edges), pads 0-2 on
// each side, 1x1 and 2x3 inputs smaller than a tile, batches, enough tiles
// for the block-parallel path, with bias, residual and relu/clip, on 1 and 2
// threads.
TEST(Winograd3x3, MatchesDirectConvolution) {
  if (!WinogradIsFast()) GTEST_SKIP() << "no AVX2";
  std::mt19937 rng(7);
  const Case cases[] = {
      {1, 8, 8, 4, 4, 1, 1, 1, 1},     {1, 16, 8, 7, 7, 1, 1, 1, 1},    {2, 8, 24, 5, 6, 0, 0, 0, 0},
      {1, 8, 16, 1, 1, 1, 1, 1, 1},    {1, 24, 16, 2, 3, 2, 1, 0, 2},   {3, 16, 16, 14, 14, 1, 1, 1, 1},
      {1, 32, 40, 28, 27, 1, 2, 1, 0}, {2, 64, 64, 20, 20, 1, 1, 1, 1}, {1, 8, 8, 3, 3, 0, 0, 0, 0},
  };
  for (const Case& k : cases) {
    const int64_t oh = k.h + k.pt + k.pb - 2, ow = k.w + k.pl + k.pr - 2;
    const auto x = Random(k.n * k.ic * k.h * k.w, rng);
    const auto wt = Random(k.oc * k.ic * 9, rng);
    const auto bias = Random(k.oc, rng);
    const auto sum = Random(k.n * k.oc * oh * ow, rng);
    const Winograd3x3 wg = Winograd3x3::Prepare(wt.data(), k.oc, k.ic, 2);
    for (int variant = 0; variant < 4; ++variant) {
      ConvEpilogue e;
      if (variant & 1) e.bias = bias.data();
      if (variant & 2) e.sum = sum.data();
      if (variant == 2) e.clip = true, e.lo = 0, e.hi = std::numeric_limits<float>::infinity();
      if (variant == 3) e.clip = true, e.lo = -0.5f, e.hi = 0.5f;
      const auto want = Naive(k, x, wt, e, oh, ow);
      for (int threads : {1, 2}) {
        std::vector<float> y(want.size(), NAN);
        wg.Run(x.data(), k.n, k.h, k.w, k.pt, k.pl, y.data(), oh, ow, e, threads);
        double worst = 0;
        for (size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::fabs(double(y[i]) - want[i]));
        EXPECT_LT(worst, 1e-4 * std::sqrt(double(k.ic)))
            << "n=" << k.n << " ic=" << k.ic << " oc=" << k.oc << " " << k.h << "x" << k.w << " pads " << k.pt << k.pl
            << k.pb << k.pr << " variant " << variant << " threads " << threads;
      }
    }
  }
}

}  // namespace
}  // namespace inferd::fast
