#include "engine/kernels/fast/packed_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
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

// Odd and block-crossing sizes: M around the 6-row tile, K around the
// 256 block, N around the 16-column panel; with and without bias and relu,
// on 1 and 2 threads.
TEST(PackedGemm, MatchesNaiveProductOverShapes) {
  std::mt19937 rng(3);
  for (int64_t m : {1, 5, 6, 7, 32, 128})
    for (int64_t k : {0, 1, 7, 256, 300, 784})
      for (int64_t n : {1, 10, 16, 17, 40}) {
        for (bool transposed : {false, true}) {
          const auto a = Random(m * k, rng), b = Random(k * n, rng), bias = Random(n, rng);
          const PackedMatrix pb = PackedMatrix::Pack(b.data(), k, n, transposed, 0.5f);
          for (int variant = 0; variant < 4; ++variant) {
            const bool with_bias = variant & 1, relu = variant & 2;
            std::vector<float> c(static_cast<size_t>(m * n), NAN);
            PackedGemm(a.data(), m, k, pb, with_bias ? bias.data() : nullptr, relu, c.data(), n, 1 + variant % 2);
            for (int64_t i = 0; i < m; ++i)
              for (int64_t j = 0; j < n; ++j) {
                double want = with_bias ? bias[static_cast<size_t>(j)] : 0.0;
                for (int64_t kk = 0; kk < k; ++kk)
                  want += 0.5 * a[static_cast<size_t>(i * k + kk)] *
                          b[static_cast<size_t>(transposed ? j * k + kk : kk * n + j)];
                if (relu) want = std::max(want, 0.0);
                ASSERT_NEAR(c[static_cast<size_t>(i * n + j)], want, 1e-4 * (1 + std::sqrt(static_cast<double>(k))))
                    << "m=" << m << " k=" << k << " n=" << n << " transposed=" << transposed << " variant=" << variant
                    << " at " << i << "," << j;
              }
          }
        }
      }
}

}  // namespace
}  // namespace inferd::fast
