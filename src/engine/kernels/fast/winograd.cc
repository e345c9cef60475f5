#include "engine/kernels/fast/winograd.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace inferd::fast {
namespace {

constexpr int64_t kB = Winograd3x3::kBlock;
constexpr int kPositions = 16;  // 4x4 transformed tile

bool DetectAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
const bool kAvx2 = DetectAvx2();

// Where the tiles of one run are and what they read and write.
struct Geometry {
  const float* x;
  int64_t h, w, pad_top, pad_left, ic;
  float* y;
  int64_t oh, ow, oc;
  int64_t tiles_h, tiles_w;  // per image
  const ConvEpilogue* e;
};

struct TileCoord {
  int64_t n, oy, ox;  // image and top-left output pixel
};
TileCoord Coord(const Geometry& g, int64_t t) {
  const int64_t per_image = g.tiles_h * g.tiles_w;
  const int64_t n = t / per_image, r = t % per_image;
  return {n, (r / g.tiles_w) * 2, (r % g.tiles_w) * 2};
}

// V[xi][t][c] (xi stride `vs`, tile stride ic) for tiles [t0, t0 + nt) and
// channel blocks [cb0, cb1).
__attribute__((target("avx2,fma"))) void InputTransform(const Geometry& g, int64_t t0, int64_t nt, int64_t cb0,
                                                        int64_t cb1, float* v, int64_t vs) {
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t i = 0; i < nt; ++i) {
    const TileCoord tc = Coord(g, t0 + i);
    const int64_t iy0 = tc.oy - g.pad_top, ix0 = tc.ox - g.pad_left;
    const bool inside = iy0 >= 0 && ix0 >= 0 && iy0 + 4 <= g.h && ix0 + 4 <= g.w;
    for (int64_t cb = cb0; cb < cb1; ++cb) {
      const float* plane = g.x + ((tc.n * (g.ic / kB) + cb) * g.h) * g.w * kB;
      __m256 d[4][4];
      if (inside) {
        const float* p = plane + (iy0 * g.w + ix0) * kB;
#pragma GCC unroll 4
        for (int r = 0; r < 4; ++r)
#pragma GCC unroll 4
          for (int c = 0; c < 4; ++c) d[r][c] = _mm256_loadu_ps(p + (r * g.w + c) * kB);
      } else {
        for (int r = 0; r < 4; ++r)
          for (int c = 0; c < 4; ++c) {
            const int64_t yy = iy0 + r, xx = ix0 + c;
            d[r][c] =
                (yy >= 0 && yy < g.h && xx >= 0 && xx < g.w) ? _mm256_loadu_ps(plane + (yy * g.w + xx) * kB) : zero;
          }
      }
      // B^T d: rows (d0 - d2, d1 + d2, d2 - d1, d1 - d3); then the same on columns.
      __m256 t[4][4];
#pragma GCC unroll 4
      for (int c = 0; c < 4; ++c) {
        t[0][c] = _mm256_sub_ps(d[0][c], d[2][c]);
        t[1][c] = _mm256_add_ps(d[1][c], d[2][c]);
        t[2][c] = _mm256_sub_ps(d[2][c], d[1][c]);
        t[3][c] = _mm256_sub_ps(d[1][c], d[3][c]);
      }
      float* out = v + i * g.ic + cb * kB;
#pragma GCC unroll 4
      for (int r = 0; r < 4; ++r) {
        _mm256_storeu_ps(out + (r * 4 + 0) * vs, _mm256_sub_ps(t[r][0], t[r][2]));
        _mm256_storeu_ps(out + (r * 4 + 1) * vs, _mm256_add_ps(t[r][1], t[r][2]));
        _mm256_storeu_ps(out + (r * 4 + 2) * vs, _mm256_sub_ps(t[r][2], t[r][1]));
        _mm256_storeu_ps(out + (r * 4 + 3) * vs, _mm256_sub_ps(t[r][1], t[r][3]));
      }
    }
  }
}

// Y = A^T M A for tiles [t0, t0 + nt) and output channel blocks [ob0, ob1),
// with the epilogue, into the output.
__attribute__((target("avx2,fma"))) void OutputTransform(const Geometry& g, int64_t t0, int64_t nt, int64_t ob0,
                                                         int64_t ob1, const float* m, int64_t ms) {
  const ConvEpilogue& e = *g.e;
  const __m256 lo = _mm256_set1_ps(e.lo), hi = _mm256_set1_ps(e.hi);
  for (int64_t i = 0; i < nt; ++i) {
    const TileCoord tc = Coord(g, t0 + i);
    const bool full = tc.oy + 2 <= g.oh && tc.ox + 2 <= g.ow;
    for (int64_t ob = ob0; ob < ob1; ++ob) {
      const float* in = m + i * g.oc + ob * kB;
      __m256 s[2][4];
#pragma GCC unroll 4
      for (int c = 0; c < 4; ++c) {
        const __m256 m0 = _mm256_loadu_ps(in + (0 * 4 + c) * ms), m1 = _mm256_loadu_ps(in + (1 * 4 + c) * ms);
        const __m256 m2 = _mm256_loadu_ps(in + (2 * 4 + c) * ms), m3 = _mm256_loadu_ps(in + (3 * 4 + c) * ms);
        s[0][c] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
        s[1][c] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
      }
      const __m256 bias = e.bias != nullptr ? _mm256_loadu_ps(e.bias + ob * kB) : _mm256_setzero_ps();
      __m256 out[2][2];
#pragma GCC unroll 2
      for (int r = 0; r < 2; ++r) {
        out[r][0] = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s[r][0], s[r][1]), s[r][2]), bias);
        out[r][1] = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s[r][1], s[r][2]), s[r][3]), bias);
      }
      const int64_t plane = ((tc.n * (g.oc / kB) + ob) * g.oh) * g.ow * kB;
      for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 2; ++c) {
          if (!full && (tc.oy + r >= g.oh || tc.ox + c >= g.ow)) continue;
          const int64_t at = plane + ((tc.oy + r) * g.ow + tc.ox + c) * kB;
          __m256 val = out[r][c];
          if (e.sum != nullptr) val = _mm256_add_ps(val, _mm256_loadu_ps(e.sum + at));
          if (e.clip) val = _mm256_min_ps(_mm256_max_ps(val, lo), hi);
          _mm256_storeu_ps(g.y + at, val);
        }
    }
  }
}

// Scratch for one block of `nt` tiles: V then M.
float* Scratch(int64_t floats) {
  thread_local std::vector<float> buf;
  if (static_cast<int64_t>(buf.size()) < floats) buf.resize(static_cast<size_t>(floats));
  return buf.data();
}

}  // namespace

bool WinogradIsFast() { return kAvx2; }

Winograd3x3 Winograd3x3::Prepare(const float* w, int64_t oc, int64_t ic, int threads) {
  Winograd3x3 out;
  out.oc_ = oc;
  out.ic_ = ic;
  // U = G g G^T with G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]],
  // for each position xi as B = U^T [ic x oc], written straight into the
  // packed panels: for one input channel, the 16 filters of a panel are
  // transformed side by side, so each position's row is one 64-byte store.
  for (int xi = 0; xi < kPositions; ++xi) out.u_.push_back(PackedMatrix::Allocate(ic, oc));
  constexpr int64_t kPanel = PackedMatrix::kPanel;
  const int64_t panels = (oc + kPanel - 1) / kPanel;
  // Threads for big layers (the first touch of the panels is much of the cost).
  const int team = oc * ic >= (int64_t{1} << 16) ? std::max(1, threads) : 1;
#pragma omp parallel for num_threads(team) schedule(static)
  for (int64_t p = 0; p < panels; ++p) {
    float* panel[kPositions];
    for (int xi = 0; xi < kPositions; ++xi) panel[xi] = out.u_[static_cast<size_t>(xi)].mutable_panel(p);
    const int64_t cols = std::min(kPanel, oc - p * kPanel);
    for (int64_t c = 0; c < ic; ++c) {
      float g[9][kPanel] = {};  // tap t of filter j (zero past the last filter)
      for (int64_t j = 0; j < cols; ++j) {
        const float* src = w + ((p * kPanel + j) * ic + c) * 9;
        for (int t = 0; t < 9; ++t) g[t][j] = src[t];
      }
      float gt[4][3][kPanel];  // G g (exact: the halves are powers of two)
      for (int s = 0; s < 3; ++s)
        for (int64_t j = 0; j < kPanel; ++j) {
          gt[0][s][j] = g[s][j];
          gt[1][s][j] = 0.5f * (g[s][j] + g[3 + s][j] + g[6 + s][j]);
          gt[2][s][j] = 0.5f * (g[s][j] - g[3 + s][j] + g[6 + s][j]);
          gt[3][s][j] = g[6 + s][j];
        }
      const int64_t at = c * kPanel;
      for (int r = 0; r < 4; ++r)
        for (int64_t j = 0; j < kPanel; ++j) {
          panel[r * 4 + 0][at + j] = gt[r][0][j];
          panel[r * 4 + 1][at + j] = 0.5f * (gt[r][0][j] + gt[r][1][j] + gt[r][2][j]);
          panel[r * 4 + 2][at + j] = 0.5f * (gt[r][0][j] - gt[r][1][j] + gt[r][2][j]);
          panel[r * 4 + 3][at + j] = gt[r][2][j];
        }
    }
  }
  return out;
}

void Winograd3x3::Run(const float* x, int64_t n, int64_t h, int64_t w, int64_t pad_top, int64_t pad_left, float* y,
                      int64_t oh, int64_t ow, const ConvEpilogue& e, int threads) const {
  const Geometry g{x, h, w, pad_top, pad_left, ic_, y, oh, ow, oc_, (oh + 1) / 2, (ow + 1) / 2, &e};
  const int64_t total = n * g.tiles_h * g.tiles_w;
  if (total == 0) return;
  // Tiles per block: enough rows that each packed U panel is reused well,
  // few enough that a block's V and M stay near the core (and the scratch
  // within kMaxScratchBytes however many channels there are).
  const int64_t target = std::clamp<int64_t>(kMaxScratchBytes / (kPositions * (ic_ + oc_) * 4) / 2, 1, 48);
  threads = std::max(1, threads);
  int64_t blocks = (total + target - 1) / target;
  if (threads > 1) blocks = (blocks + threads - 1) / threads * threads;
  const int64_t tb = (total + blocks - 1) / blocks;
  blocks = (total + tb - 1) / tb;

  // One block, start to end, on the calling thread.
  auto block = [&](int64_t b) {
    const int64_t t0 = b * tb, nt = std::min(tb, total - t0);
    float* v = Scratch(kPositions * nt * (ic_ + oc_));
    float* m = v + kPositions * nt * ic_;
    InputTransform(g, t0, nt, 0, ic_ / kB, v, nt * ic_);
    for (int xi = 0; xi < kPositions; ++xi)
      PackedGemm(v + xi * nt * ic_, nt, ic_, u_[static_cast<size_t>(xi)], nullptr, false, m + xi * nt * oc_, oc_, 1);
    OutputTransform(g, t0, nt, 0, oc_ / kB, m, nt * oc_);
  };
  if (threads == 1) {
    for (int64_t b = 0; b < blocks; ++b) block(b);
    return;
  }
  if (blocks >= 2 * threads || total > 2 * target) {  // (the second keeps one block's scratch bounded)
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t b = 0; b < blocks; ++b) block(b);
    return;
  }
  // Few tiles (a small map at a small batch): all of them as one block, each
  // phase split over the team.
  float* v = Scratch(kPositions * total * (ic_ + oc_));
  float* m = v + kPositions * total * ic_;
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t icb = ic_ / kB, ocb = oc_ / kB;
    InputTransform(g, 0, total, icb * t / nt, icb * (t + 1) / nt, v, total * ic_);
#pragma omp barrier
    for (int64_t xi = kPositions * t / nt; xi < kPositions * (t + 1) / nt; ++xi)
      PackedGemm(v + xi * total * ic_, total, ic_, u_[static_cast<size_t>(xi)], nullptr, false, m + xi * total * oc_,
                 oc_, 1);
#pragma omp barrier
    OutputTransform(g, 0, total, ocb * t / nt, ocb * (t + 1) / nt, m, total * oc_);
  }
}

}  // namespace inferd::fast
