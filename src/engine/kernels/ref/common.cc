#include "engine/kernels/ref/common.h"

namespace inferd::ref {

Result<Shape> BroadcastShapes(const std::vector<Shape>& shapes) {
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const auto& s : shapes) {
    const size_t off = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& o = out[off + i];
      const int64_t d = s[i];
      if (d == o || d == 1) continue;
      if (o == 1) {
        o = d;
        continue;
      }
      std::string msg = "shapes cannot be broadcast together:";
      for (const auto& x : shapes) msg += " " + ShapeToString(x);
      return InvalidArgument(msg);
    }
  }
  return out;
}

std::vector<int64_t> Strides(const Shape& shape) {
  std::vector<int64_t> st(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) st[i - 1] = st[i] * shape[i];
  return st;
}

std::vector<int64_t> BroadcastStrides(const Shape& in, const Shape& out) {
  std::vector<int64_t> st(out.size(), 0);
  const auto in_st = Strides(in);
  const size_t off = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) st[off + i] = in[i] == 1 ? 0 : in_st[i];
  return st;
}

BroadcastIndexer::BroadcastIndexer(const Shape& out, const std::vector<Shape>& inputs)
    : out_(out), index_(out.size(), 0), offsets_(inputs.size(), 0) {
  for (const auto& s : inputs) strides_.push_back(BroadcastStrides(s, out));
}

void BroadcastIndexer::Next() {
  for (size_t d = out_.size(); d-- > 0;) {
    if (++index_[d] < out_[d]) {
      for (size_t k = 0; k < offsets_.size(); ++k) offsets_[k] += strides_[k][d];
      return;
    }
    for (size_t k = 0; k < offsets_.size(); ++k) offsets_[k] -= strides_[k][d] * (out_[d] - 1);
    index_[d] = 0;
  }
}

Result<int64_t> NormalizeAxis(int64_t axis, int64_t rank, const std::string& what) {
  // Strict: a scalar has no axis, so callers may index dim(result) safely.
  if (axis < -rank || axis >= rank)
    return InvalidArgument(what + " " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

Result<std::vector<int64_t>> ReadInts(const Tensor& t, const std::string& what) {
  std::vector<int64_t> v(static_cast<size_t>(t.numel()));
  switch (t.dtype()) {
    case DType::kInt64:
      for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.data<int64_t>()[i];
      break;
    case DType::kInt32:
      for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.data<int32_t>()[i];
      break;
    case DType::kInt16:
      for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.data<int16_t>()[i];
      break;
    case DType::kInt8:
      for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.data<int8_t>()[i];
      break;
    case DType::kUint8:
      for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.data<uint8_t>()[i];
      break;
    case DType::kUint32:
      for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.data<uint32_t>()[i];
      break;
    case DType::kUint64:
      for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = static_cast<int64_t>(t.data<uint64_t>()[i]);
      break;
    default:
      return InvalidArgument(what + " must be an integer tensor, got " + std::string(DTypeName(t.dtype())));
  }
  return v;
}

Result<double> ReadScalar(const Tensor& t, const std::string& what) {
  if (t.numel() < 1) return InvalidArgument(what + " must hold one value, got an empty tensor");
  if (t.dtype() == DType::kString) return InvalidArgument(what + " must be numeric");
  return t.GetAsDouble(0);
}

Status UnsupportedType(const std::string& op, DType t, const std::string& what) {
  return Unimplemented(op + ": " + what + " type " + std::string(DTypeOnnxName(t)) + " is not supported");
}

}  // namespace inferd::ref
