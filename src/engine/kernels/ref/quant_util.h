// Scales and zero points of the ONNX linear quantization ops, per tensor or
// per axis, read and checked once per run; and the one rounding rule they
// all share (round half to even, then saturate to the integer type).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"

namespace inferd::ref {

struct QuantParams {
  std::vector<float> scale;         // one value, or one per channel of `axis`
  std::vector<int32_t> zero_point;  // same length as scale (zeros if absent)
  int64_t channels = 1;             // 1 for per-tensor
  int64_t inner = 1;                // elements per channel step (product of dims after axis)

  // Channel of flat element i.
  int64_t channel(int64_t i) const { return channels == 1 ? 0 : (i / inner) % channels; }
};

// Reads a scale (float) and optional zero point (int8/uint8/int32) for data
// of shape `x`. A one-element scale is per tensor; otherwise, when
// `allow_axis`, a 1-D scale of x.dim(axis) values is per axis. `what`
// names the inputs in errors ("QuantizeLinear (node 'q'): y_scale").
Result<QuantParams> ReadQuantParams(const Tensor& scale, const Tensor* zero_point, const Shape& x, int64_t axis,
                                    bool allow_axis, const std::string& where, const std::string& scale_name,
                                    const std::string& zp_name);

// Rounds half to even and saturates to Q's range.
template <class Q>
Q RoundSaturate(double v) {
  const double r = std::nearbyint(v);
  constexpr double lo = static_cast<double>(std::numeric_limits<Q>::lowest());
  constexpr double hi = static_cast<double>(std::numeric_limits<Q>::max());
  if (std::isnan(r)) return Q{0};
  return static_cast<Q>(r < lo ? lo : (r > hi ? hi : r));
}

// Value of an int8/uint8/int32 element as int32.
int32_t ReadQuantElement(const Tensor& t, int64_t i);

}  // namespace inferd::ref
