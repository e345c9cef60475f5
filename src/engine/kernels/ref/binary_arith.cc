// Reference kernels: Add, Sub, Mul, Div (numpy broadcasting, all numeric
// types; before opset 7, the legacy broadcast/axis attributes).
#include <cmath>

#include "engine/kernels/ref/elementwise_util.h"

namespace inferd::ref {
namespace {

enum class ArithOp { kAdd, kSub, kMul, kDiv };

// Integer arithmetic wraps (two's complement, as numpy) instead of
// overflowing, which is undefined for signed types; it is done in uint64 so
// that small unsigned types do not promote to a signed int.
template <class T>
T Apply(ArithOp op, T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    const uint64_t ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
    switch (op) {
      case ArithOp::kAdd: return static_cast<T>(ua + ub);
      case ArithOp::kSub: return static_cast<T>(ua - ub);
      case ArithOp::kMul: return static_cast<T>(ua * ub);
      case ArithOp::kDiv:
        if (b == 0) return T{0};  // integer division by zero: defined as 0, never a trap
        if constexpr (std::is_signed_v<T>) {
          if (b == -1) return static_cast<T>(uint64_t{0} - ua);  // min / -1 would trap
        }
        return static_cast<T>(a / b);
    }
    return T{};
  } else {
    switch (op) {
      case ArithOp::kAdd: return a + b;
      case ArithOp::kSub: return a - b;
      case ArithOp::kMul: return a * b;
      case ArithOp::kDiv: return a / b;
    }
    return T{};
  }
}

class BinaryArithKernel final : public Kernel {
 public:
  BinaryArithKernel(ArithOp op, std::string op_name, LegacyBroadcast legacy)
      : op_(op), op_name_(std::move(op_name)), legacy_(legacy) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b_in = ctx.input(1);
    if (a == nullptr || b_in == nullptr) return InvalidArgument(op_name_ + " needs two inputs");
    if (a->dtype() != b_in->dtype()) return TypeMismatch(op_name_, a->dtype(), b_in->dtype());
    ASSIGN_OR_RETURN(Tensor b, legacy_.Apply(op_name_, *a, *b_in));
    ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes({a->shape(), b.shape()}));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, a->dtype(), out_shape));
    return DispatchNumeric(
        a->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          using C = ComputeType<T>;
          // One loop per operator so the operator is not re-decided per element.
          switch (op_) {
            case ArithOp::kAdd:
              BinaryMapWidened<T, T>(*a, b, *out, [](C x, C y) { return Apply<C>(ArithOp::kAdd, x, y); });
              break;
            case ArithOp::kSub:
              BinaryMapWidened<T, T>(*a, b, *out, [](C x, C y) { return Apply<C>(ArithOp::kSub, x, y); });
              break;
            case ArithOp::kMul:
              BinaryMapWidened<T, T>(*a, b, *out, [](C x, C y) { return Apply<C>(ArithOp::kMul, x, y); });
              break;
            case ArithOp::kDiv:
              BinaryMapWidened<T, T>(*a, b, *out, [](C x, C y) { return Apply<C>(ArithOp::kDiv, x, y); });
              break;
          }
          return Status::Ok();
        },
        [&] { return UnsupportedType(op_name_, a->dtype()); });
  }

 private:
  ArithOp op_;
  std::string op_name_;
  LegacyBroadcast legacy_;
};

KernelFactory Factory(ArithOp op, const char* name) {
  return [op, name](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    return std::unique_ptr<Kernel>(std::make_unique<BinaryArithKernel>(op, name, LegacyBroadcast::FromInfo(info)));
  };
}

}  // namespace

// Opset 1-6 had legacy broadcast attributes (axis/broadcast), handled by
// LegacyBroadcast; opset 7+ is numpy style.
INFERD_REGISTER_KERNEL(Add, {"", "Add", 1, 1000, 0, "ref", Factory(ArithOp::kAdd, "Add")});
INFERD_REGISTER_KERNEL(Sub, {"", "Sub", 1, 1000, 0, "ref", Factory(ArithOp::kSub, "Sub")});
INFERD_REGISTER_KERNEL(Mul, {"", "Mul", 1, 1000, 0, "ref", Factory(ArithOp::kMul, "Mul")});
INFERD_REGISTER_KERNEL(Div, {"", "Div", 1, 1000, 0, "ref", Factory(ArithOp::kDiv, "Div")});

}  // namespace inferd::ref
