#include "engine/kernels/ref/shape_util.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace inferd::ref {
namespace {

template <class T>
void StridedCopyTyped(const T* src, const StridedView& sv, T* dst, const StridedView& dv, const Shape& shape) {
  const size_t rank = shape.size();
  if (rank == 0) {
    dst[dv.offset] = src[sv.offset];
    return;
  }
  for (int64_t d : shape)
    if (d == 0) return;
  const int64_t inner = shape[rank - 1];
  const int64_t ss = sv.strides[rank - 1], ds = dv.strides[rank - 1];
  std::vector<int64_t> index(rank, 0);
  int64_t so = sv.offset, doff = dv.offset;
  while (true) {
    if constexpr (std::is_trivially_copyable_v<T>) {
      if (ss == 1 && ds == 1) {
        std::memcpy(dst + doff, src + so, static_cast<size_t>(inner) * sizeof(T));
      } else {
        for (int64_t k = 0; k < inner; ++k) dst[doff + k * ds] = src[so + k * ss];
      }
    } else {
      for (int64_t k = 0; k < inner; ++k) dst[doff + k * ds] = src[so + k * ss];
    }
    // Advance the outer dimensions (all but the last).
    size_t d = rank - 1;
    while (d-- > 0) {
      if (++index[d] < shape[d]) {
        so += sv.strides[d];
        doff += dv.strides[d];
        break;
      }
      so -= sv.strides[d] * (shape[d] - 1);
      doff -= dv.strides[d] * (shape[d] - 1);
      index[d] = 0;
    }
    if (d == static_cast<size_t>(-1)) return;
  }
}

}  // namespace

Status StridedCopy(const Tensor& src, const StridedView& src_view, Tensor& dst, const StridedView& dst_view,
                   const Shape& shape, const std::string& op) {
  if (src.dtype() != dst.dtype()) return Internal(op + ": strided copy between different types");
  return DispatchBySize(src.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    StridedCopyTyped<T>(src.data<T>(), src_view, dst.data<T>(), dst_view, shape);
    return Status::Ok();
  });
}

StridedView DenseView(const Shape& shape) { return {0, Strides(shape)}; }

void CopyElement(const Tensor& src, int64_t si, Tensor& dst, int64_t di) {
  if (src.dtype() == DType::kString) {
    dst.data<std::string>()[di] = src.data<std::string>()[si];
    return;
  }
  const size_t size = DTypeSize(src.dtype());
  std::memcpy(static_cast<char*>(dst.raw()) + static_cast<size_t>(di) * size,
              static_cast<const char*>(src.raw()) + static_cast<size_t>(si) * size, size);
}

void CopyRange(const Tensor& src, int64_t si, Tensor& dst, int64_t di, int64_t count) {
  if (count <= 0) return;
  if (src.dtype() == DType::kString) {
    std::copy_n(src.data<std::string>() + si, count, dst.data<std::string>() + di);
    return;
  }
  const size_t size = DTypeSize(src.dtype());
  std::memcpy(static_cast<char*>(dst.raw()) + static_cast<size_t>(di) * size,
              static_cast<const char*>(src.raw()) + static_cast<size_t>(si) * size, static_cast<size_t>(count) * size);
}

Result<int64_t> CheckIndex(int64_t index, int64_t dim, const std::string& what) {
  if (index < -dim || index >= dim)
    return InvalidArgument(what + " " + std::to_string(index) + " is out of range [" + std::to_string(-dim) + ", " +
                           std::to_string(dim - 1) + "]");
  return index < 0 ? index + dim : index;
}

Result<std::vector<int64_t>> ReadIntsInput(KernelContext& ctx, int i, const std::string& what) {
  const Tensor* t = ctx.input(i);
  if (t == nullptr) return InvalidArgument(what + " (input " + std::to_string(i) + ") is missing");
  return ReadInts(*t, what);
}

Result<std::vector<int64_t>> NormalizeAxes(const std::vector<int64_t>& axes, int64_t rank, const std::string& what) {
  std::vector<int64_t> out;
  std::set<int64_t> seen;
  for (int64_t a : axes) {
    if (a < -rank || a >= rank)
      return InvalidArgument(what + " " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    const int64_t n = a < 0 ? a + rank : a;
    if (!seen.insert(n).second) return InvalidArgument(what + " " + std::to_string(a) + " is repeated");
    out.push_back(n);
  }
  return out;
}

Status CheckComputedShape(const Shape& shape, DType dtype, const std::string& what) {
  for (int64_t d : shape)
    if (d < 0) return InvalidArgument(what + " " + ShapeToString(shape) + " has a negative dimension");
  const int64_t n = ShapeNumel(shape);
  const int64_t elem = std::max<int64_t>(1, static_cast<int64_t>(DTypeSize(dtype)));
  if (n < 0 || n > kMaxTensorBytes / elem)
    return InvalidArgument(what + " " + ShapeToString(shape) + " is too large (limit " +
                           std::to_string(kMaxTensorBytes) + " bytes per tensor)");
  return Status::Ok();
}

}  // namespace inferd::ref
