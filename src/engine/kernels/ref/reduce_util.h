// Shared helpers for reductions over a set of axes (Reduce*, ArgMax/ArgMin,
// normalisations, losses). Plain and obviously correct.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/tensor.h"

namespace inferd::ref {

// Normalises `axes` against `rank` (negative allowed), rejecting
// out-of-range and repeated axes with an error naming `what`. Returns a
// per-dimension mask: true where the dimension is reduced.
Result<std::vector<bool>> AxesMask(const std::vector<int64_t>& axes, int64_t rank, const std::string& what = "axes");

// Splits an input of `shape` into the reduced and kept parts for `mask`:
// every output element (an index over the kept dims, row-major) reduces the
// input elements at base(o) + reduce_offsets[j] for all j. Adjacent
// dimensions of the same kind are merged so the walk is cheap.
struct ReductionPlan {
  int64_t reduce_count = 1;             // elements reduced into each output
  int64_t reduce_stride = 0;            // when the reduced dims merge into one
  std::vector<int64_t> reduce_offsets;  // otherwise: flat offsets of the sub-block
  std::vector<int64_t> kept_sizes;      // merged kept dims
  std::vector<int64_t> kept_strides;    // their input strides
  int64_t num_outputs = 1;

  // Offset of the j-th reduced element relative to Base(o).
  int64_t Offset(int64_t j) const {
    return reduce_offsets.empty() ? j * reduce_stride : reduce_offsets[static_cast<size_t>(j)];
  }
  // Input offset of output element o's first reduced element.
  int64_t Base(int64_t o) const {
    int64_t off = 0;
    for (size_t d = kept_sizes.size(); d-- > 0;) {
      off += (o % kept_sizes[d]) * kept_strides[d];
      o /= kept_sizes[d];
    }
    return off;
  }
};
ReductionPlan PlanReduction(const Shape& shape, const std::vector<bool>& mask);

// Output shape of a reduction: reduced dims become 1 (keepdims) or vanish.
Shape ReducedShape(const Shape& shape, const std::vector<bool>& mask, bool keepdims);

}  // namespace inferd::ref
