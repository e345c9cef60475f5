// Reference kernel: TopK. k is an attribute before opset 10 and a 1-element
// int64 input from opset 10; "largest" and "sorted" exist from opset 11.
// Results are always sorted (also for sorted=0, which leaves order open), and
// equal values keep ascending index order, as ONNX's tests expect. NaN ranks
// above every number (first for largest, last for smallest), as numpy sorts.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/kernels/ref/common.h"

namespace inferd::ref {
namespace {

class TopKKernel final : public Kernel {
 public:
  TopKKernel(std::string describe, int64_t axis, bool largest, int64_t attr_k)
      : describe_(std::move(describe)), axis_(axis), largest_(largest), attr_k_(attr_k) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(describe_ + ": missing input 'X'");
    if (x->rank() == 0) return InvalidArgument(describe_ + ": X must have rank >= 1, got a scalar");
    int64_t k = attr_k_;
    if (k < 0) {  // from the K input
      const Tensor* kt = ctx.input(1);
      if (kt == nullptr) return InvalidArgument(describe_ + ": missing input 'K'");
      ASSIGN_OR_RETURN(auto kv, ReadInts(*kt, describe_ + ": input 'K'"));
      if (kv.size() != 1)
        return InvalidArgument(describe_ + ": input 'K' must hold one value, got " + ShapeToString(kt->shape()));
      k = kv[0];
    }
    ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, x->rank(), describe_ + ": axis"));
    const int64_t n = x->dim(axis);
    if (k < 0 || k > n)
      return InvalidArgument(describe_ + ": k = " + std::to_string(k) + " is out of range for axis " +
                             std::to_string(axis) + " of size " + std::to_string(n) + " in X " +
                             ShapeToString(x->shape()));
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x->dim(d);
    for (int64_t d = axis + 1; d < x->rank(); ++d) inner *= x->dim(d);
    Shape out_shape = x->shape();
    out_shape[static_cast<size_t>(axis)] = k;
    ASSIGN_OR_RETURN(Tensor * values, ctx.Output(0, x->dtype(), out_shape));
    ASSIGN_OR_RETURN(Tensor * indices, ctx.Output(1, DType::kInt64, out_shape));
    return DispatchAll(
        x->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          const T* px = x->data<T>();
          T* pv = values->data<T>();
          int64_t* pi = indices->data<int64_t>();
          // Values compare in their own type (exact for 64-bit integers); halves as float.
          using V = std::conditional_t<std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>, float, T>;
          auto value = [](T v) -> V {
            if constexpr (std::is_same_v<V, T>)
              return v;
            else
              return v.ToFloat();
          };
          auto is_nan = [](V v) {
            if constexpr (std::is_floating_point_v<V>)
              return std::isnan(v);
            else
              return false;
          };
          std::vector<V> row(static_cast<size_t>(n));
          std::vector<int64_t> order(static_cast<size_t>(n));
          // a before b: strictly better value, or equal value and lower index.
          auto before = [&](int64_t a, int64_t b) {
            const V va = row[static_cast<size_t>(a)], vb = row[static_cast<size_t>(b)];
            const bool na = is_nan(va), nb = is_nan(vb);
            if (na || nb) {
              if (na && nb) return a < b;
              return largest_ ? na : nb;
            }
            if (va != vb) return largest_ ? va > vb : va < vb;
            return a < b;
          };
          for (int64_t o = 0; o < outer; ++o)
            for (int64_t i = 0; i < inner; ++i) {
              const int64_t base = o * n * inner + i;
              for (int64_t j = 0; j < n; ++j) row[static_cast<size_t>(j)] = value(px[base + j * inner]);
              std::iota(order.begin(), order.end(), int64_t{0});
              std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
              const int64_t obase = o * k * inner + i;
              for (int64_t j = 0; j < k; ++j) {
                const int64_t src = order[static_cast<size_t>(j)];
                pv[obase + j * inner] = px[base + src * inner];
                pi[obase + j * inner] = src;
              }
            }
          return Status::Ok();
        },
        [&] { return UnsupportedType(describe_, x->dtype()); });
  }

 private:
  std::string describe_;
  int64_t axis_;
  bool largest_;
  int64_t attr_k_;  // -1: k comes from input 1
};

Result<std::unique_ptr<Kernel>> CreateTopK(const KernelInfo& info) {
  int64_t k = -1;
  if (info.opset() < 10) {
    ASSIGN_OR_RETURN(k, info.RequireInt("k"));
    if (k < 0) return info.Error("k must be >= 0, got " + std::to_string(k));
  }
  const int64_t largest = info.GetInt("largest", 1);
  if (largest != 0 && largest != 1) return info.Error("largest must be 0 or 1");
  if (info.num_outputs() != 2) return info.Error("TopK has two outputs (Values, Indices)");
  return std::unique_ptr<Kernel>(
      std::make_unique<TopKKernel>(info.node().Describe(), info.GetInt("axis", -1), largest == 1, k));
}

}  // namespace

INFERD_REGISTER_KERNEL(TopK, {"", "TopK", 1, 1000, 0, "ref", &CreateTopK});

}  // namespace inferd::ref
