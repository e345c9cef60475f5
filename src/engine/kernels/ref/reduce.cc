// Reference kernels: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd,
// ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceSumSquare.
//
// Axes come from the "axes" attribute until the opset where they became an
// optional second input (ReduceSum: 13, the others: 18). Empty or omitted
// axes reduce everything, unless noop_with_empty_axes=1, in which case
// nothing is reduced but the per-element part still applies (|x| for L1, x^2
// for SumSquare, log for LogSum), as ONNX's reference does (onnx/onnx#7394).
// Floating types accumulate in double; integer types in 64-bit integers.
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/reduce_util.h"

namespace inferd::ref {
namespace {

enum class ReduceOp { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

template <class T>
constexpr bool kIsHalf = std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;

// Arithmetic type values of T are computed in: halves go through float.
template <class T>
using ValueOf = std::conditional_t<kIsHalf<T>, float, T>;
// Accumulator: double for floating types, 64-bit integers otherwise.
template <class V>
using AccOf =
    std::conditional_t<std::is_floating_point_v<V>, double, std::conditional_t<std::is_signed_v<V>, int64_t, uint64_t>>;

template <class T>
ValueOf<T> Load(T v) {
  if constexpr (kIsHalf<T>)
    return v.ToFloat();
  else
    return v;
}

template <class T, class A>
T Store(A v) {
  if constexpr (kIsHalf<T>)
    return T::FromFloat(static_cast<float>(v));
  else
    return static_cast<T>(v);
}

template <class T>
T ReduceOne(ReduceOp op, const T* x, const ReductionPlan& p, int64_t base) {
  using V = ValueOf<T>;
  using A = AccOf<V>;
  const int64_t n = p.reduce_count;
  auto at = [&](int64_t j) { return Load(x[base + p.Offset(j)]); };
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kMean:
    case ReduceOp::kLogSum: {
      A acc = 0;
      for (int64_t j = 0; j < n; ++j) acc += static_cast<A>(at(j));
      if (op == ReduceOp::kLogSum) return Store<T>(std::log(static_cast<double>(acc)));
      if (op == ReduceOp::kMean) {
        if constexpr (std::is_integral_v<A>)
          return Store<T>(n == 0 ? A{0} : static_cast<A>(acc / static_cast<A>(n)));
        else
          return Store<T>(acc / static_cast<double>(n));  // empty: NaN, as numpy
      }
      return Store<T>(acc);
    }
    case ReduceOp::kSumSquare:
    case ReduceOp::kL2: {
      A acc = 0;
      for (int64_t j = 0; j < n; ++j) {
        const A v = static_cast<A>(at(j));
        acc += v * v;
      }
      if (op == ReduceOp::kL2) return Store<T>(std::sqrt(static_cast<double>(acc)));
      return Store<T>(acc);
    }
    case ReduceOp::kL1: {
      A acc = 0;
      for (int64_t j = 0; j < n; ++j) {
        const V v = at(j);
        if constexpr (std::is_unsigned_v<V>)
          acc += v;
        else
          acc += static_cast<A>(v < V(0) ? -v : v);
      }
      return Store<T>(acc);
    }
    case ReduceOp::kProd: {
      A acc = 1;
      for (int64_t j = 0; j < n; ++j) acc *= static_cast<A>(at(j));
      return Store<T>(acc);
    }
    case ReduceOp::kMax:
    case ReduceOp::kMin: {
      // Empty reductions give the identity: -inf/+inf, or the type's limits.
      const bool is_max = op == ReduceOp::kMax;
      V acc;
      if constexpr (std::is_floating_point_v<V>)
        acc = is_max ? -std::numeric_limits<V>::infinity() : std::numeric_limits<V>::infinity();
      else
        acc = is_max ? std::numeric_limits<V>::lowest() : std::numeric_limits<V>::max();
      for (int64_t j = 0; j < n; ++j) {
        const V v = at(j);
        if constexpr (std::is_floating_point_v<V>) {
          if (std::isnan(v)) return Store<T>(v);  // NaN propagates, as numpy
        }
        acc = is_max ? std::max(acc, v) : std::min(acc, v);
      }
      return Store<T>(acc);
    }
    case ReduceOp::kLogSumExp: {
      double m = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < n; ++j) m = std::max(m, static_cast<double>(at(j)));
      if (!std::isfinite(m)) {
        // All -inf (or empty) -> -inf; any +inf -> +inf; NaN stays NaN.
        double s = 0;
        for (int64_t j = 0; j < n; ++j) s += std::exp(static_cast<double>(at(j)));
        return Store<T>(std::log(s));
      }
      double s = 0;
      for (int64_t j = 0; j < n; ++j) s += std::exp(static_cast<double>(at(j)) - m);
      return Store<T>(m + std::log(s));
    }
  }
  return T{};
}

class ReduceKernel final : public Kernel {
 public:
  ReduceKernel(ReduceOp op, std::string describe, bool keepdims, bool noop, bool axes_from_input,
               std::vector<int64_t> attr_axes)
      : op_(op),
        describe_(std::move(describe)),
        keepdims_(keepdims),
        noop_(noop),
        axes_from_input_(axes_from_input),
        attr_axes_(std::move(attr_axes)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(describe_ + ": missing input 'data'");
    std::vector<int64_t> axes = attr_axes_;
    if (axes_from_input_ && ctx.input(1) != nullptr) {
      ASSIGN_OR_RETURN(axes, ReadInts(*ctx.input(1), describe_ + ": input 'axes'"));
    }
    std::vector<bool> mask(static_cast<size_t>(x->rank()), !noop_);
    if (!axes.empty()) {
      ASSIGN_OR_RETURN(mask, AxesMask(axes, x->rank(), describe_ + ": axes"));
    }
    const Shape out_shape = ReducedShape(x->shape(), mask, keepdims_);
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), out_shape));
    const ReductionPlan plan = PlanReduction(x->shape(), mask);
    return DispatchAll(
        x->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          if constexpr (std::is_same_v<T, bool>) {
            // Bool (opset 20): ReduceMax is "any", ReduceMin is "all".
            if (op_ != ReduceOp::kMax && op_ != ReduceOp::kMin) return UnsupportedType(describe_, DType::kBool);
            const bool* px = x->data<bool>();
            bool* po = out->data<bool>();
            for (int64_t o = 0; o < plan.num_outputs; ++o) {
              const int64_t base = plan.Base(o);
              bool acc = op_ == ReduceOp::kMin;
              for (int64_t j = 0; j < plan.reduce_count; ++j)
                acc = op_ == ReduceOp::kMax ? (acc || px[base + plan.Offset(j)]) : (acc && px[base + plan.Offset(j)]);
              po[o] = acc;
            }
            return Status::Ok();
          } else {
            const T* px = x->data<T>();
            T* po = out->data<T>();
            for (int64_t o = 0; o < plan.num_outputs; ++o) po[o] = ReduceOne<T>(op_, px, plan, plan.Base(o));
            return Status::Ok();
          }
        },
        [&] { return UnsupportedType(describe_, x->dtype()); });
  }

 private:
  ReduceOp op_;
  std::string describe_;
  bool keepdims_;
  bool noop_;
  bool axes_from_input_;
  std::vector<int64_t> attr_axes_;
};

// `input_since`: the opset from which axes are an input rather than an attribute.
KernelFactory Factory(ReduceOp op, int64_t input_since) {
  return [op, input_since](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    const bool from_input = info.opset() >= input_since;
    if (from_input && info.HasAttribute("axes"))
      return info.Error("axes is an input since opset " + std::to_string(input_since) + ", not an attribute");
    const int64_t keepdims = info.GetInt("keepdims", 1);
    const int64_t noop = info.GetInt("noop_with_empty_axes", 0);
    if ((keepdims != 0 && keepdims != 1) || (noop != 0 && noop != 1))
      return info.Error("keepdims and noop_with_empty_axes must be 0 or 1");
    return std::unique_ptr<Kernel>(std::make_unique<ReduceKernel>(op, info.node().Describe(), keepdims == 1, noop == 1,
                                                                  from_input, info.GetInts("axes")));
  };
}

}  // namespace

INFERD_REGISTER_KERNEL(ReduceSum, {"", "ReduceSum", 1, 1000, 0, "ref", Factory(ReduceOp::kSum, 13)});
INFERD_REGISTER_KERNEL(ReduceMean, {"", "ReduceMean", 1, 1000, 0, "ref", Factory(ReduceOp::kMean, 18)});
INFERD_REGISTER_KERNEL(ReduceMax, {"", "ReduceMax", 1, 1000, 0, "ref", Factory(ReduceOp::kMax, 18)});
INFERD_REGISTER_KERNEL(ReduceMin, {"", "ReduceMin", 1, 1000, 0, "ref", Factory(ReduceOp::kMin, 18)});
INFERD_REGISTER_KERNEL(ReduceProd, {"", "ReduceProd", 1, 1000, 0, "ref", Factory(ReduceOp::kProd, 18)});
INFERD_REGISTER_KERNEL(ReduceL1, {"", "ReduceL1", 1, 1000, 0, "ref", Factory(ReduceOp::kL1, 18)});
INFERD_REGISTER_KERNEL(ReduceL2, {"", "ReduceL2", 1, 1000, 0, "ref", Factory(ReduceOp::kL2, 18)});
INFERD_REGISTER_KERNEL(ReduceLogSum, {"", "ReduceLogSum", 1, 1000, 0, "ref", Factory(ReduceOp::kLogSum, 18)});
INFERD_REGISTER_KERNEL(ReduceLogSumExp, {"", "ReduceLogSumExp", 1, 1000, 0, "ref", Factory(ReduceOp::kLogSumExp, 18)});
INFERD_REGISTER_KERNEL(ReduceSumSquare, {"", "ReduceSumSquare", 1, 1000, 0, "ref", Factory(ReduceOp::kSumSquare, 18)});

}  // namespace inferd::ref
