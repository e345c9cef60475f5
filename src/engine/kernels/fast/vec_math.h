// Vectorised float loops for the fast (provider "fast") kernels: softmax,
// layer normalisation and GELU over contiguous rows.
//
// Each routine has an AVX2+FMA body chosen at run time when the CPU has it
// (the build targets baseline x86-64) and a plain scalar body otherwise. The
// vector exp/erf are polynomial approximations good to a few ulp (exp) and
// ~2e-7 absolute (erf); the scalar bodies use libm. Thread-safe: they touch
// only the memory they are given. Each splits its rows over up to `threads`
// OpenMP threads when the work is large enough to pay for it.
#pragma once

#include <cstdint>

namespace inferd::fast {

// Softmax (or log-softmax) over the middle axis of a contiguous
// [outer, n, inner] array. inner == 1 is the last-axis case.
void Softmax(const float* x, float* y, int64_t outer, int64_t n, int64_t inner, bool log, int threads = 1);

// y[r, :] = (x[r, :] - mean) / sqrt(var + eps) * scale + bias for each of
// `rows` contiguous rows of length n. `bias` may be null.
void LayerNormRows(const float* x, const float* scale, const float* bias, float* y, int64_t rows, int64_t n, float eps,
                   int threads = 1);

// y[i] = a[i] + b[i] (y may be a or b).
void AddArrays(const float* a, const float* b, float* y, int64_t n, int threads = 1);

// GELU, exact (erf) form or the tanh approximation.
void Gelu(const float* x, float* y, int64_t n, bool tanh_approximation, int threads = 1);

// Whether the AVX2 bodies are in use (for tests and profiles).
bool UsingAvx2();

}  // namespace inferd::fast
