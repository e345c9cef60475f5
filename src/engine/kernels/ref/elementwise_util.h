// Shared machinery for the elementwise reference kernels: half-type
// widening, type dispatch for the families ONNX uses, and a broadcast walker
// that visits the output in contiguous runs so the inner loops stay plain
// (and vectorisable) for the common cases: same shapes, a scalar operand, a
// row or column vector.
//
// Everything here is header-only templates; nothing keeps state, so kernels
// built on it are safe to run from many threads at once.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "common/dtype.h"
#include "common/status.h"
#include "common/tensor.h"
#include "engine/kernels/ref/common.h"

namespace inferd::ref {

// ---------------------------------------------------------------- element types

template <class T>
inline constexpr bool kIsHalf = std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;

// The type arithmetic on T is done in: float for the half types, T otherwise.
template <class T>
using ComputeType = std::conditional_t<kIsHalf<T>, float, T>;

template <class T>
inline ComputeType<T> Widen(T v) {
  if constexpr (kIsHalf<T>) {
    return v.ToFloat();
  } else {
    return v;
  }
}

template <class T>
inline T Narrow(ComputeType<T> v) {
  if constexpr (kIsHalf<T>) {
    return T::FromFloat(v);
  } else {
    return v;
  }
}

// Floating types including the half types.
template <class T>
inline constexpr bool kIsFloating = std::is_floating_point_v<T> || kIsHalf<T>;

// Converts a floating value to the integer type T without undefined
// behaviour: truncates toward zero, saturates out-of-range values, NaN -> 0.
template <class T, class F>
inline T SaturatingCast(F v) {
  static_assert(std::is_integral_v<T> && std::is_floating_point_v<F>);
  if (std::isnan(v)) return T{0};
  if (v <= static_cast<F>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  // max() may round up when converted to F (e.g. 2^63 - 1 -> 2^63): compare with >=.
  if (v >= static_cast<F>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

// ---------------------------------------------------------------- dispatch

// float, double, float16, bfloat16.
template <class Fn, class Unsupported>
auto DispatchFloating(DType t, Fn&& fn, Unsupported&& unsupported) {
  switch (t) {
    case DType::kFloat32: return fn(float{});
    case DType::kFloat64: return fn(double{});
    case DType::kFloat16: return fn(Float16{});
    case DType::kBFloat16: return fn(BFloat16{});
    default: return unsupported();
  }
}

// Every numeric type: integers, floats and the half types (no bool, no string).
template <class Fn, class Unsupported>
auto DispatchNumeric(DType t, Fn&& fn, Unsupported&& unsupported) {
  switch (t) {
    case DType::kFloat16: return fn(Float16{});
    case DType::kBFloat16: return fn(BFloat16{});
    default: return DispatchArith(t, fn, unsupported);
  }
}

// Every numeric type plus bool and string (for ops that only move or compare
// values, such as Where or Equal).
template <class Fn, class Unsupported>
auto DispatchAny(DType t, Fn&& fn, Unsupported&& unsupported) {
  if (t == DType::kString) return fn(std::string{});
  return DispatchAll(t, fn, unsupported);
}

// "Op: input types differ (float and int64)".
inline Status TypeMismatch(const std::string& op, DType a, DType b, const std::string& what = "input types") {
  return InvalidArgument(op + ": " + what + " differ (" + std::string(DTypeOnnxName(a)) + " and " +
                         std::string(DTypeOnnxName(b)) + ")");
}

// ---------------------------------------------------------------- broadcasting

// Binary ops before opset 7 (Add, Sub, Mul, Div, Pow, And, Or, Xor, Equal,
// Greater, Less) broadcast the old way: only B may broadcast, and only when
// the attribute broadcast=1; `axis` says where B's dimensions line up with
// A's (default: at the end, as numpy). Without broadcast=1 the shapes must
// be equal. Apply() turns B into a view that numpy broadcasting treats the
// same way; for opset >= 7 it returns B unchanged.
class LegacyBroadcast {
 public:
  LegacyBroadcast() = default;
  static LegacyBroadcast FromInfo(const KernelInfo& info) {
    LegacyBroadcast lb;
    if (info.opset() >= 7) return lb;
    lb.legacy_ = true;
    lb.broadcast_ = info.GetInt("broadcast", 0) != 0;
    lb.has_axis_ = info.HasAttribute("axis");
    lb.axis_ = info.GetInt("axis", 0);
    return lb;
  }

  Result<Tensor> Apply(const std::string& op, const Tensor& a, const Tensor& b) const {
    if (!legacy_) return b;
    if (!broadcast_) {
      if (a.shape() == b.shape()) return b;
      return InvalidArgument(op + ": shapes " + ShapeToString(a.shape()) + " and " + ShapeToString(b.shape()) +
                             " differ and the node does not set broadcast=1 (required before opset 7)");
    }
    Tensor view = b;
    if (has_axis_) {
      const int64_t rank = a.rank();
      int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
      if (axis < 0 || axis + b.rank() > rank)
        return InvalidArgument(op + ": axis " + std::to_string(axis_) + " cannot place B " + ShapeToString(b.shape()) +
                               " within A " + ShapeToString(a.shape()));
      Shape shape = b.shape();
      shape.resize(static_cast<size_t>(rank - axis), 1);
      ASSIGN_OR_RETURN(view, b.Reshaped(shape));
    }
    ASSIGN_OR_RETURN(Shape out, BroadcastShapes({a.shape(), view.shape()}));
    if (out != a.shape())
      return InvalidArgument(op + ": B " + ShapeToString(b.shape()) + " does not broadcast to A " +
                             ShapeToString(a.shape()));
    return view;
  }

 private:
  bool legacy_ = false;
  bool broadcast_ = false;
  bool has_axis_ = false;
  int64_t axis_ = 0;
};

// Walks the output of a numpy-style broadcast of N inputs in runs of
// contiguous output elements. Dimensions of size 1 are dropped and adjacent
// dimensions that are laid out contiguously for every input are merged, so a
// same-shape or scalar-operand broadcast is a single run. Within a run, input
// k advances by steps()[k] (1, or 0 when broadcast along the run).
// Every input shape must broadcast to `out` (check with BroadcastShapes).
template <size_t N>
class BroadcastRuns {
 public:
  BroadcastRuns(const Shape& out, const std::array<const Shape*, N>& inputs) {
    numel_ = 1;
    for (int64_t d : out) numel_ *= d;
    std::vector<std::vector<int64_t>> per_input(N);
    for (size_t k = 0; k < N; ++k) per_input[k] = BroadcastStrides(*inputs[k], out);
    // Innermost first.
    for (size_t d = out.size(); d-- > 0;) {
      if (out[d] == 1) continue;
      std::array<int64_t, N> st{};
      for (size_t k = 0; k < N; ++k) st[k] = per_input[k][d];
      if (!dims_.empty()) {
        bool contiguous = true;
        for (size_t k = 0; k < N; ++k) contiguous = contiguous && st[k] == strides_.back()[k] * dims_.back();
        if (contiguous) {
          dims_.back() *= out[d];
          continue;
        }
      }
      dims_.push_back(out[d]);
      strides_.push_back(st);
    }
    if (!dims_.empty()) steps_ = strides_.front();
  }

  int64_t numel() const { return numel_; }
  // Per-input step along a run: 1, or 0 when that input is broadcast.
  const std::array<int64_t, N>& steps() const { return steps_; }
  // Length of every run.
  int64_t run_length() const { return dims_.empty() ? 1 : dims_.front(); }

  // Calls body(out_offset, in_offsets, length) for each run, in output order.
  template <class Body>
  void ForEach(Body&& body) const {
    if (numel_ <= 0) return;
    const int64_t len = run_length();
    const int64_t runs = numel_ / len;
    std::vector<int64_t> index(dims_.size(), 0);
    std::array<int64_t, N> offsets{};
    int64_t out_offset = 0;
    for (int64_t r = 0; r < runs; ++r, out_offset += len) {
      body(out_offset, offsets, len);
      for (size_t d = 1; d < dims_.size(); ++d) {
        if (++index[d] < dims_[d]) {
          for (size_t k = 0; k < N; ++k) offsets[k] += strides_[d][k];
          break;
        }
        index[d] = 0;
        for (size_t k = 0; k < N; ++k) offsets[k] -= strides_[d][k] * (dims_[d] - 1);
      }
    }
  }

 private:
  int64_t numel_ = 0;
  std::vector<int64_t> dims_;                    // merged dims, innermost first
  std::vector<std::array<int64_t, N>> strides_;  // per merged dim, per input
  std::array<int64_t, N> steps_{};
};

// out[i] = f(a[..], b[..]) over the broadcast of a and b; `out` must already
// have the broadcast shape. f takes the raw element types (TA, TB) and returns
// TO. `out` may be `a` itself when a has the output's shape (in place).
template <class TA, class TB, class TO, class F>
void BinaryMap(const Tensor& a, const Tensor& b, Tensor& out, F&& f) {
  const TA* pa = a.data<TA>();
  const TB* pb = b.data<TB>();
  TO* po = out.data<TO>();
  BroadcastRuns<2> runs(out.shape(), {&a.shape(), &b.shape()});
  const auto steps = runs.steps();
  runs.ForEach([&](int64_t o, const std::array<int64_t, 2>& in, int64_t len) {
    const TA* x = pa + in[0];
    const TB* y = pb + in[1];
    TO* z = po + o;
    if (steps[0] != 0 && steps[1] != 0) {
      for (int64_t i = 0; i < len; ++i) z[i] = f(x[i], y[i]);
    } else if (steps[0] != 0) {
      const TB yv = *y;
      for (int64_t i = 0; i < len; ++i) z[i] = f(x[i], yv);
    } else if (steps[1] != 0) {
      const TA xv = *x;
      for (int64_t i = 0; i < len; ++i) z[i] = f(xv, y[i]);
    } else {
      const TO v = f(*x, *y);
      for (int64_t i = 0; i < len; ++i) z[i] = v;
    }
  });
}

// As BinaryMap for two inputs of type T producing TO, with f called on the
// compute type (float for the half types): f(ComputeType<T>, ComputeType<T>).
// TO is T (arithmetic) or bool (comparisons); a T result is narrowed back.
template <class T, class TO, class F>
void BinaryMapWidened(const Tensor& a, const Tensor& b, Tensor& out, F&& f) {
  if constexpr (kIsHalf<T>) {
    BinaryMap<T, T, TO>(a, b, out, [&](T x, T y) -> TO {
      if constexpr (std::is_same_v<TO, T>) {
        return T::FromFloat(f(x.ToFloat(), y.ToFloat()));
      } else {
        return f(x.ToFloat(), y.ToFloat());
      }
    });
  } else {
    BinaryMap<T, T, TO>(a, b, out, f);
  }
}

// Copies `in` broadcast to `out`'s shape (same element type).
template <class T>
void BroadcastCopy(const Tensor& in, Tensor& out) {
  const T* pi = in.data<T>();
  T* po = out.data<T>();
  BroadcastRuns<1> runs(out.shape(), {&in.shape()});
  const int64_t step = runs.steps()[0];
  runs.ForEach([&](int64_t o, const std::array<int64_t, 1>& off, int64_t len) {
    for (int64_t i = 0; i < len; ++i) po[o + i] = pi[off[0] + i * step];
  });
}

// out[i] = f(in[i]) for same-shaped tensors; f maps the raw element types.
template <class TI, class TO, class F>
void UnaryMap(const Tensor& in, Tensor& out, F&& f) {
  const TI* x = in.data<TI>();
  TO* y = out.data<TO>();
  const int64_t n = in.numel();
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

// As UnaryMap from T to T with f on the compute type (float for half types).
template <class T, class F>
void UnaryMapWidened(const Tensor& in, Tensor& out, F&& f) {
  if constexpr (kIsHalf<T>) {
    UnaryMap<T, T>(in, out, [&](T v) { return T::FromFloat(static_cast<float>(f(v.ToFloat()))); });
  } else {
    UnaryMap<T, T>(in, out, [&](T v) { return static_cast<T>(f(v)); });
  }
}

}  // namespace inferd::ref
