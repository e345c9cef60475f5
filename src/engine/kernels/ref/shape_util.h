// Helpers shared by the shape and data-movement reference kernels (Reshape,
// Transpose, Slice, Gather, Pad, Tile, ...): type dispatch by element size,
// a strided copy that most of these ops reduce to, and checked reading of
// the small integer inputs (shapes, axes, indices) that users send.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/kernels/ref/common.h"

namespace inferd::ref {

template <class T>
struct TypeTag {
  using type = T;
};

// For pure data movement the meaning of an element does not matter, only its
// size: calls fn(TypeTag<T>{}) with T an unsigned integer of the element's
// size, or std::string for STRING tensors. Returns fn's Status.
template <class Fn>
Status DispatchBySize(DType t, const std::string& op, Fn&& fn) {
  if (t == DType::kString) return fn(TypeTag<std::string>{});
  if (t == DType::kUndefined) return UnsupportedType(op, t);
  switch (DTypeSize(t)) {
    case 1: return fn(TypeTag<uint8_t>{});
    case 2: return fn(TypeTag<uint16_t>{});
    case 4: return fn(TypeTag<uint32_t>{});
    case 8: return fn(TypeTag<uint64_t>{});
    default: return UnsupportedType(op, t);
  }
}

// A view of a tensor's elements as a strided N-d array.
struct StridedView {
  int64_t offset = 0;            // element offset of index (0, ..., 0)
  std::vector<int64_t> strides;  // element stride per dimension (may be 0 or negative)
};

// Copies `shape`-many elements: dst[dst_view(i)] = src[src_view(i)] for every
// index i of `shape`. Both views must stay inside their tensors (callers
// compute them from validated shapes). src and dst must have the same dtype.
Status StridedCopy(const Tensor& src, const StridedView& src_view, Tensor& dst, const StridedView& dst_view,
                   const Shape& shape, const std::string& op);

// The plain row-major view of a tensor of `shape`.
StridedView DenseView(const Shape& shape);

// Copies element `si` of `src` to element `di` of `dst` (same dtype).
void CopyElement(const Tensor& src, int64_t si, Tensor& dst, int64_t di);
// Copies `count` consecutive elements from `src` at `si` to `dst` at `di`.
void CopyRange(const Tensor& src, int64_t si, Tensor& dst, int64_t di, int64_t count);

// Normalises a user-given index into a dimension of size `dim` (negative
// counts from the end). Error: "<what> 7 is out of range [-3, 2]".
Result<int64_t> CheckIndex(int64_t index, int64_t dim, const std::string& what);

// Reads integer input `i` (shape, axes, pads, ...). Error if missing and required.
Result<std::vector<int64_t>> ReadIntsInput(KernelContext& ctx, int i, const std::string& what);

// Normalises axes against `rank`, rejecting out-of-range and repeated ones.
Result<std::vector<int64_t>> NormalizeAxes(const std::vector<int64_t>& axes, int64_t rank, const std::string& what = "axis");

// Validates a shape computed from data: no negative dims, numel within
// int64 and within the tensor size limit for `dtype`.
Status CheckComputedShape(const Shape& shape, DType dtype, const std::string& what);

}  // namespace inferd::ref
