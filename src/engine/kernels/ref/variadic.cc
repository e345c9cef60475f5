// Reference kernels: the variadic reductions across inputs Max, Min, Sum,
// Mean (one or more inputs, numpy broadcasting across all of them). The
// output starts as the first input broadcast to the result shape and each
// further input is folded into it in place.
#include <cmath>

#include "engine/kernels/ref/elementwise_util.h"

namespace inferd::ref {
namespace {

enum class VariadicOp { kMax, kMin, kSum, kMean };

// NaN wins, as numpy.maximum / numpy.minimum. (Free functions: clang 14
// leaves member templates called from generic lambdas undefined.)
template <class C>
C NanMax(C a, C b) {
  if constexpr (std::is_floating_point_v<C>) {
    if (std::isnan(a) || std::isnan(b)) return a + b;
  }
  return a < b ? b : a;
}
template <class C>
C NanMin(C a, C b) {
  if constexpr (std::is_floating_point_v<C>) {
    if (std::isnan(a) || std::isnan(b)) return a + b;
  }
  return b < a ? b : a;
}

class VariadicKernel final : public Kernel {
 public:
  VariadicKernel(VariadicOp op, std::string name) : op_(op), name_(std::move(name)) {}

  Status Run(KernelContext& ctx) const override {
    const int n = ctx.num_inputs();
    std::vector<Shape> shapes;
    std::vector<const Tensor*> inputs;
    for (int i = 0; i < n; ++i) {
      const Tensor* t = ctx.input(i);
      if (t == nullptr) return InvalidArgument(name_ + ": input " + std::to_string(i) + " is missing");
      if (!inputs.empty() && t->dtype() != inputs[0]->dtype())
        return TypeMismatch(name_, inputs[0]->dtype(), t->dtype(),
                            "input types (input 0 and " + std::to_string(i) + ")");
      inputs.push_back(t);
      shapes.push_back(t->shape());
    }
    if (inputs.empty()) return InvalidArgument(name_ + " needs at least one input");
    const DType dtype = inputs[0]->dtype();
    const bool floating_only = op_ == VariadicOp::kSum || op_ == VariadicOp::kMean;
    ASSIGN_OR_RETURN(Shape shape, BroadcastShapes(shapes));
    auto unsupported = [&] { return UnsupportedType(name_, dtype); };
    return DispatchNumeric(
        dtype,
        [&](auto tag) -> Status {
          using T = decltype(tag);
          using C = ComputeType<T>;
          if constexpr (!kIsFloating<T>) {
            if (floating_only) return unsupported();
          }
          ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, dtype, shape));
          BroadcastCopy<T>(*inputs[0], *out);
          for (size_t k = 1; k < inputs.size(); ++k) {
            switch (op_) {
              case VariadicOp::kMax:
                BinaryMapWidened<T, T>(*out, *inputs[k], *out, [](C a, C b) { return NanMax(a, b); });
                break;
              case VariadicOp::kMin:
                BinaryMapWidened<T, T>(*out, *inputs[k], *out, [](C a, C b) { return NanMin(a, b); });
                break;
              case VariadicOp::kSum:
              case VariadicOp::kMean:
                BinaryMapWidened<T, T>(*out, *inputs[k], *out, [](C a, C b) { return static_cast<C>(a + b); });
                break;
            }
          }
          if (op_ == VariadicOp::kMean && inputs.size() > 1) {
            const C count = static_cast<C>(inputs.size());
            UnaryMapWidened<T>(*out, *out, [count](C v) { return v / count; });
          }
          return Status::Ok();
        },
        unsupported);
  }

 private:
  VariadicOp op_;
  std::string name_;
};

KernelFactory Factory(VariadicOp op, const char* name) {
  return [op, name](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    if (info.num_inputs() < 1) return info.Error("needs at least one input");
    return std::unique_ptr<Kernel>(std::make_unique<VariadicKernel>(op, name));
  };
}

}  // namespace

// Opset 1-7 forms required equal shapes (a subset of broadcasting); opset 1-5
// also carried the ignorable consumed_inputs attribute.
INFERD_REGISTER_KERNEL(Max, {"", "Max", 1, 1000, 0, "ref", Factory(VariadicOp::kMax, "Max")});
INFERD_REGISTER_KERNEL(Min, {"", "Min", 1, 1000, 0, "ref", Factory(VariadicOp::kMin, "Min")});
INFERD_REGISTER_KERNEL(Sum, {"", "Sum", 1, 1000, 0, "ref", Factory(VariadicOp::kSum, "Sum")});
INFERD_REGISTER_KERNEL(Mean, {"", "Mean", 1, 1000, 0, "ref", Factory(VariadicOp::kMean, "Mean")});

}  // namespace inferd::ref
