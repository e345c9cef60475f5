// 2-D max pooling over channel-blocked (nChw8c) activations: each output is
// the maximum of its window's valid inputs, 8 channels per AVX register.
// oneDNN 2.6's AVX2 max pooling took 0.8 ms for resnet's first MaxPool here
// (64 x 112 x 112, 3x3 stride 2), several times a plain vectorised loop.
//
// Threads: stateless; `threads` OpenMP threads split the output rows.
#pragma once

#include <cstdint>

namespace inferd::fast {

struct PoolWindow {
  int64_t kh, kw, sh, sw, dh, dw, pad_top, pad_left;
};

// x: [planes, h, w, 8] (planes = N * C/8); y: [planes, oh, ow, 8]. Every
// window must hold at least one input (callers reject windows wholly in
// padding). NaN inputs are skipped, as the reference kernel's `>` does.
// Needs MaxPoolBlocked8IsFast() (callers take another path without AVX2).
void MaxPoolBlocked8(const float* x, int64_t planes, int64_t h, int64_t w, float* y, int64_t oh, int64_t ow,
                     const PoolWindow& win, int threads);

// Whether this CPU can run MaxPoolBlocked8 (AVX2).
bool MaxPoolBlocked8IsFast();

}  // namespace inferd::fast
