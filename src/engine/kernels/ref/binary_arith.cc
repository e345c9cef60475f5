// Reference kernels: Add, Sub, Mul, Div (numpy broadcasting, all numeric types).
#include <cmath>

#include "engine/kernels/ref/common.h"

namespace inferd::ref {
namespace {

enum class ArithOp { kAdd, kSub, kMul, kDiv };

template <class T>
T Apply(ArithOp op, T a, T b) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return T::FromFloat(static_cast<float>(Apply<float>(op, a.ToFloat(), b.ToFloat())));
  } else {
    switch (op) {
      case ArithOp::kAdd: return static_cast<T>(a + b);
      case ArithOp::kSub: return static_cast<T>(a - b);
      case ArithOp::kMul: return static_cast<T>(a * b);
      case ArithOp::kDiv:
        if constexpr (std::is_integral_v<T>) {
          return b == 0 ? T{0} : static_cast<T>(a / b);  // integer division by zero: defined as 0, never a trap
        } else {
          return a / b;
        }
    }
    return T{};
  }
}

class BinaryArithKernel final : public Kernel {
 public:
  BinaryArithKernel(ArithOp op, std::string op_name) : op_(op), op_name_(std::move(op_name)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    if (a == nullptr || b == nullptr) return InvalidArgument(op_name_ + " needs two inputs");
    if (a->dtype() != b->dtype())
      return InvalidArgument(op_name_ + ": input types differ (" + std::string(DTypeOnnxName(a->dtype())) + " and " +
                             std::string(DTypeOnnxName(b->dtype())) + ")");
    ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes({a->shape(), b->shape()}));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, a->dtype(), out_shape));
    return DispatchAll(
        a->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          if constexpr (std::is_same_v<T, bool>) {
            return UnsupportedType(op_name_, DType::kBool);
          } else {
            const T* pa = a->data<T>();
            const T* pb = b->data<T>();
            T* po = out->data<T>();
            const int64_t n = out->numel();
            if (a->shape() == b->shape()) {
              for (int64_t i = 0; i < n; ++i) po[i] = Apply<T>(op_, pa[i], pb[i]);
            } else {
              BroadcastIndexer idx(out_shape, {a->shape(), b->shape()});
              for (int64_t i = 0; i < n; ++i, idx.Next()) po[i] = Apply<T>(op_, pa[idx.offset(0)], pb[idx.offset(1)]);
            }
            return Status::Ok();
          }
        },
        [&] { return UnsupportedType(op_name_, a->dtype()); });
  }

 private:
  ArithOp op_;
  std::string op_name_;
};

KernelFactory Factory(ArithOp op, const char* name) {
  return [op, name](const KernelInfo&) -> Result<std::unique_ptr<Kernel>> {
    return std::unique_ptr<Kernel>(std::make_unique<BinaryArithKernel>(op, name));
  };
}

}  // namespace

// Opset 1-6 had legacy broadcast attributes (axis/broadcast); opset 7+ is numpy style.
INFERD_REGISTER_KERNEL(Add, {"", "Add", 7, 1000, 0, "ref", Factory(ArithOp::kAdd, "Add")});
INFERD_REGISTER_KERNEL(Sub, {"", "Sub", 7, 1000, 0, "ref", Factory(ArithOp::kSub, "Sub")});
INFERD_REGISTER_KERNEL(Mul, {"", "Mul", 7, 1000, 0, "ref", Factory(ArithOp::kMul, "Mul")});
INFERD_REGISTER_KERNEL(Div, {"", "Div", 7, 1000, 0, "ref", Factory(ArithOp::kDiv, "Div")});

}  // namespace inferd::ref
