// Reference kernels: ArgMax, ArgMin (axis, keepdims, select_last_index).
// Ties pick the first index unless select_last_index=1; a NaN counts as the
// extreme value (the first NaN wins), as numpy's argmax/argmin do.
#include <cmath>

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/reduce_util.h"

namespace inferd::ref {
namespace {

// Values compare in their own type (exact for 64-bit integers); halves as float.
template <class T>
auto Value(T v) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>)
    return v.ToFloat();
  else
    return v;
}

template <class V>
bool IsNan(V v) {
  if constexpr (std::is_floating_point_v<V>)
    return std::isnan(v);
  else
    return false;
}

class ArgKernel final : public Kernel {
 public:
  ArgKernel(bool is_max, std::string describe, int64_t axis, bool keepdims, bool last)
      : is_max_(is_max), describe_(std::move(describe)), axis_(axis), keepdims_(keepdims), last_(last) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(describe_ + ": missing input 'data'");
    if (x->rank() == 0) return InvalidArgument(describe_ + ": input must have rank >= 1, got a scalar");
    ASSIGN_OR_RETURN(std::vector<bool> mask, AxesMask({axis_}, x->rank(), describe_ + ": axis"));
    const int64_t axis = axis_ < 0 ? axis_ + x->rank() : axis_;
    if (x->dim(axis) == 0 && ShapeNumel(ReducedShape(x->shape(), mask, true)) > 0)
      return InvalidArgument(describe_ + ": cannot take the arg" + (is_max_ ? "max" : "min") + " over an empty axis " +
                             std::to_string(axis_));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kInt64, ReducedShape(x->shape(), mask, keepdims_)));
    const ReductionPlan plan = PlanReduction(x->shape(), mask);
    int64_t* po = out->data<int64_t>();
    return DispatchAll(
        x->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          const T* px = x->data<T>();
          for (int64_t o = 0; o < plan.num_outputs; ++o) {
            const int64_t base = plan.Base(o);
            int64_t best = 0;
            auto best_v = Value(px[base]);
            for (int64_t j = 1; j < plan.reduce_count && !IsNan(best_v); ++j) {
              const auto v = Value(px[base + plan.Offset(j)]);
              const bool better =
                  IsNan(v) || (is_max_ ? (last_ ? v >= best_v : v > best_v) : (last_ ? v <= best_v : v < best_v));
              if (better) {
                best = j;
                best_v = v;
              }
            }
            po[o] = best;
          }
          return Status::Ok();
        },
        [&] { return UnsupportedType(describe_, x->dtype()); });
  }

 private:
  bool is_max_;
  std::string describe_;
  int64_t axis_;
  bool keepdims_;
  bool last_;
};

KernelFactory Factory(bool is_max) {
  return [is_max](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    const int64_t keepdims = info.GetInt("keepdims", 1);
    const int64_t last = info.GetInt("select_last_index", 0);
    if ((keepdims != 0 && keepdims != 1) || (last != 0 && last != 1))
      return info.Error("keepdims and select_last_index must be 0 or 1");
    return std::unique_ptr<Kernel>(
        std::make_unique<ArgKernel>(is_max, info.node().Describe(), info.GetInt("axis", 0), keepdims == 1, last == 1));
  };
}

}  // namespace

INFERD_REGISTER_KERNEL(ArgMax, {"", "ArgMax", 1, 1000, 0, "ref", Factory(true)});
INFERD_REGISTER_KERNEL(ArgMin, {"", "ArgMin", 1, 1000, 0, "ref", Factory(false)});

}  // namespace inferd::ref
