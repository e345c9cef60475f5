// Shared helpers for reference kernels: broadcasting, axes, reading shape
// inputs, converting elements. Plain and obviously correct, not fast.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"
#include "engine/kernels/kernel.h"

namespace inferd::ref {

// Numpy-style multidirectional broadcast of shapes; error names both shapes.
Result<Shape> BroadcastShapes(const std::vector<Shape>& shapes);

// Row-major strides of `shape`.
std::vector<int64_t> Strides(const Shape& shape);

// For an input of shape `in` broadcast to `out`: strides over `out`'s rank
// with 0 for broadcast dimensions.
std::vector<int64_t> BroadcastStrides(const Shape& in, const Shape& out);

// Walks every index of `out` and yields, for each of N inputs, the flat offset
// into that input. Usage:
//   BroadcastIndexer idx(out_shape, {a.shape(), b.shape()});
//   for (int64_t i = 0; i < n; ++i, idx.Next()) out[i] = f(pa[idx.offset(0)], pb[idx.offset(1)]);
class BroadcastIndexer {
 public:
  BroadcastIndexer(const Shape& out, const std::vector<Shape>& inputs);
  int64_t offset(size_t input) const { return offsets_[input]; }
  void Next();

 private:
  Shape out_;
  std::vector<std::vector<int64_t>> strides_;  // per input, over out_'s rank
  std::vector<int64_t> index_;
  std::vector<int64_t> offsets_;
};

// Normalises a possibly negative axis against `rank`; error if out of range.
Result<int64_t> NormalizeAxis(int64_t axis, int64_t rank, const std::string& what = "axis");

// Reads an integer tensor (int32/int64/...) into int64 values.
Result<std::vector<int64_t>> ReadInts(const Tensor& t, const std::string& what);
// Reads a numeric tensor's first element as double (scalars like Clip's min).
Result<double> ReadScalar(const Tensor& t, const std::string& what);

// Element conversion used by Cast and mixed-type kernels.
template <class To, class From>
To ConvertElement(From v) {
  if constexpr (std::is_same_v<From, Float16> || std::is_same_v<From, BFloat16>) {
    return ConvertElement<To>(v.ToFloat());
  } else if constexpr (std::is_same_v<To, Float16> || std::is_same_v<To, BFloat16>) {
    return To::FromFloat(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From{};
  } else {
    return static_cast<To>(v);
  }
}

// Float value of any arithmetic or half element.
template <class T>
double ToDouble(T v) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return v.ToFloat();
  } else {
    return static_cast<double>(v);
  }
}

// A status for "this kernel does not support dtype X for input i".
Status UnsupportedType(const std::string& op, DType t, const std::string& what = "input");

}  // namespace inferd::ref
