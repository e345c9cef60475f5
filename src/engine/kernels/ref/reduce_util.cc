#include "engine/kernels/ref/reduce_util.h"

#include "engine/kernels/ref/common.h"

namespace inferd::ref {

Result<std::vector<bool>> AxesMask(const std::vector<int64_t>& axes, int64_t rank, const std::string& what) {
  std::vector<bool> mask(static_cast<size_t>(rank), false);
  for (int64_t a : axes) {
    if (a < -rank || a >= rank)
      return InvalidArgument(what + ": axis " + std::to_string(a) + " is out of range for rank " +
                             std::to_string(rank));
    const size_t d = static_cast<size_t>(a < 0 ? a + rank : a);
    if (mask[d]) return InvalidArgument(what + ": axis " + std::to_string(a) + " is repeated");
    mask[d] = true;
  }
  return mask;
}

ReductionPlan PlanReduction(const Shape& shape, const std::vector<bool>& mask) {
  ReductionPlan plan;
  const auto strides = Strides(shape);
  // Merge runs of adjacent dims with the same kind (row-major, so a run is
  // one dim of size product and the stride of its last member).
  std::vector<int64_t> red_sizes, red_strides;
  for (size_t d = 0; d < shape.size(); ++d) {
    auto& sizes = mask[d] ? red_sizes : plan.kept_sizes;
    auto& st = mask[d] ? red_strides : plan.kept_strides;
    const bool continues = d > 0 && mask[d] == mask[d - 1] && !sizes.empty();
    if (continues) {
      sizes.back() *= shape[d];
      st.back() = strides[d];
    } else {
      sizes.push_back(shape[d]);
      st.push_back(strides[d]);
    }
  }
  for (int64_t s : plan.kept_sizes) plan.num_outputs *= s;
  int64_t count = 1;
  for (int64_t s : red_sizes) count *= s;
  plan.reduce_count = count;
  if (red_sizes.size() <= 1) {
    plan.reduce_stride = red_strides.empty() ? 0 : red_strides[0];
    return plan;
  }
  plan.reduce_offsets.resize(static_cast<size_t>(count));
  for (int64_t j = 0; j < count; ++j) {
    int64_t off = 0, r = j;
    for (size_t d = red_sizes.size(); d-- > 0;) {
      off += (r % red_sizes[d]) * red_strides[d];
      r /= red_sizes[d];
    }
    plan.reduce_offsets[static_cast<size_t>(j)] = off;
  }
  return plan;
}

Shape ReducedShape(const Shape& shape, const std::vector<bool>& mask, bool keepdims) {
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!mask[d])
      out.push_back(shape[d]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}

}  // namespace inferd::ref
