// Reference kernels: comparisons (Equal, Greater, GreaterOrEqual, Less,
// LessOrEqual -> bool; Equal also on bool and string), logic on bool (And,
// Or, Xor, Not) and BitShift on unsigned integers. Numpy broadcasting.
#include <string>

#include "engine/kernels/ref/elementwise_util.h"

namespace inferd::ref {
namespace {

enum class CompareOp { kEqual, kGreater, kGreaterOrEqual, kLess, kLessOrEqual };

// Checks two same-typed inputs, sets `b` to the second input as broadcast
// against the first (legacy rules before opset 7) and allocates the output of
// `out_type` (kUndefined: the inputs' type).
Result<Tensor*> PrepareBinary(KernelContext& ctx, const std::string& op, DType out_type, const LegacyBroadcast& legacy,
                              const Tensor*& a, Tensor& b) {
  a = ctx.input(0);
  const Tensor* b_in = ctx.input(1);
  if (a == nullptr || b_in == nullptr) return InvalidArgument(op + " needs two inputs");
  if (a->dtype() != b_in->dtype()) return TypeMismatch(op, a->dtype(), b_in->dtype());
  ASSIGN_OR_RETURN(b, legacy.Apply(op, *a, *b_in));
  ASSIGN_OR_RETURN(Shape shape, BroadcastShapes({a->shape(), b.shape()}));
  return ctx.Output(0, out_type == DType::kUndefined ? a->dtype() : out_type, std::move(shape));
}

class CompareKernel final : public Kernel {
 public:
  CompareKernel(CompareOp op, std::string name, LegacyBroadcast legacy)
      : op_(op), name_(std::move(name)), legacy_(legacy) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* a = nullptr;
    Tensor b_view;
    ASSIGN_OR_RETURN(Tensor * out, PrepareBinary(ctx, name_, DType::kBool, legacy_, a, b_view));
    const Tensor* b = &b_view;
    if ((a->dtype() == DType::kString || a->dtype() == DType::kBool) && op_ != CompareOp::kEqual)
      return UnsupportedType(name_, a->dtype());
    return DispatchAny(
        a->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          // One loop per operator so the comparison is not re-decided per element.
          auto run = [&](auto cmp) {
            if constexpr (std::is_same_v<T, std::string>) {
              BinaryMap<T, T, bool>(*a, *b, *out, [&](const T& x, const T& y) { return cmp(x, y); });
            } else {
              BinaryMapWidened<T, bool>(*a, *b, *out, cmp);
            }
          };
          switch (op_) {
            case CompareOp::kEqual: run([](const auto& x, const auto& y) { return x == y; }); break;
            case CompareOp::kGreater: run([](const auto& x, const auto& y) { return x > y; }); break;
            case CompareOp::kGreaterOrEqual: run([](const auto& x, const auto& y) { return x >= y; }); break;
            case CompareOp::kLess: run([](const auto& x, const auto& y) { return x < y; }); break;
            case CompareOp::kLessOrEqual: run([](const auto& x, const auto& y) { return x <= y; }); break;
          }
          return Status::Ok();
        },
        [&] { return UnsupportedType(name_, a->dtype()); });
  }

 private:
  CompareOp op_;
  std::string name_;
  LegacyBroadcast legacy_;
};

KernelFactory CompareFactory(CompareOp op, const char* name) {
  return [op, name](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    return std::unique_ptr<Kernel>(std::make_unique<CompareKernel>(op, name, LegacyBroadcast::FromInfo(info)));
  };
}

enum class LogicOp { kAnd, kOr, kXor };

class LogicKernel final : public Kernel {
 public:
  LogicKernel(LogicOp op, std::string name, LegacyBroadcast legacy)
      : op_(op), name_(std::move(name)), legacy_(legacy) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* a = nullptr;
    Tensor b_view;
    ASSIGN_OR_RETURN(Tensor * out, PrepareBinary(ctx, name_, DType::kBool, legacy_, a, b_view));
    const Tensor* b = &b_view;
    if (a->dtype() != DType::kBool) return UnsupportedType(name_, a->dtype());
    switch (op_) {
      case LogicOp::kAnd: BinaryMap<bool, bool, bool>(*a, *b, *out, [](bool x, bool y) { return x && y; }); break;
      case LogicOp::kOr: BinaryMap<bool, bool, bool>(*a, *b, *out, [](bool x, bool y) { return x || y; }); break;
      case LogicOp::kXor: BinaryMap<bool, bool, bool>(*a, *b, *out, [](bool x, bool y) { return x != y; }); break;
    }
    return Status::Ok();
  }

 private:
  LogicOp op_;
  std::string name_;
  LegacyBroadcast legacy_;
};

KernelFactory LogicFactory(LogicOp op, const char* name) {
  return [op, name](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    return std::unique_ptr<Kernel>(std::make_unique<LogicKernel>(op, name, LegacyBroadcast::FromInfo(info)));
  };
}

Status RunNot(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (x == nullptr) return InvalidArgument("Not needs one input");
  if (x->dtype() != DType::kBool) return UnsupportedType("Not", x->dtype());
  ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DType::kBool, x->shape()));
  UnaryMap<bool, bool>(*x, *y, [](bool v) { return !v; });
  return Status::Ok();
}

Result<std::unique_ptr<Kernel>> CreateNot(const KernelInfo&) {
  return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>(&RunNot));
}

class BitShiftKernel final : public Kernel {
 public:
  explicit BitShiftKernel(bool left) : left_(left) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* a = nullptr;
    Tensor b_view;
    ASSIGN_OR_RETURN(Tensor * out, PrepareBinary(ctx, "BitShift", DType::kUndefined, LegacyBroadcast(), a, b_view));
    const Tensor* b = &b_view;
    return DispatchArith(
        a->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          if constexpr (!std::is_unsigned_v<T>) {
            return UnsupportedType("BitShift", a->dtype());
          } else {
            // Shifting by the bit width or more is undefined in C++; every bit is shifted out, so 0.
            constexpr T kBits = static_cast<T>(sizeof(T) * 8);
            if (left_) {
              BinaryMap<T, T, T>(*a, *b, *out, [](T x, T s) { return s >= kBits ? T{0} : static_cast<T>(x << s); });
            } else {
              BinaryMap<T, T, T>(*a, *b, *out, [](T x, T s) { return s >= kBits ? T{0} : static_cast<T>(x >> s); });
            }
            return Status::Ok();
          }
        },
        [&] { return UnsupportedType("BitShift", a->dtype()); });
  }

 private:
  bool left_;
};

Result<std::unique_ptr<Kernel>> CreateBitShift(const KernelInfo& info) {
  const std::string direction = info.GetString("direction", "");
  if (direction != "LEFT" && direction != "RIGHT")
    return info.Error("attribute direction must be \"LEFT\" or \"RIGHT\", got \"" + direction + "\"");
  return std::unique_ptr<Kernel>(std::make_unique<BitShiftKernel>(direction == "LEFT"));
}

}  // namespace

// Opset 1-6 forms (legacy broadcast/axis attributes) are handled by LegacyBroadcast.
INFERD_REGISTER_KERNEL(Equal, {"", "Equal", 1, 1000, 0, "ref", CompareFactory(CompareOp::kEqual, "Equal")});
INFERD_REGISTER_KERNEL(Greater, {"", "Greater", 1, 1000, 0, "ref", CompareFactory(CompareOp::kGreater, "Greater")});
INFERD_REGISTER_KERNEL(GreaterOrEqual, {"", "GreaterOrEqual", 12, 1000, 0, "ref",
                                        CompareFactory(CompareOp::kGreaterOrEqual, "GreaterOrEqual")});
INFERD_REGISTER_KERNEL(Less, {"", "Less", 1, 1000, 0, "ref", CompareFactory(CompareOp::kLess, "Less")});
INFERD_REGISTER_KERNEL(LessOrEqual,
                       {"", "LessOrEqual", 12, 1000, 0, "ref", CompareFactory(CompareOp::kLessOrEqual, "LessOrEqual")});
INFERD_REGISTER_KERNEL(And, {"", "And", 1, 1000, 0, "ref", LogicFactory(LogicOp::kAnd, "And")});
INFERD_REGISTER_KERNEL(Or, {"", "Or", 1, 1000, 0, "ref", LogicFactory(LogicOp::kOr, "Or")});
INFERD_REGISTER_KERNEL(Xor, {"", "Xor", 1, 1000, 0, "ref", LogicFactory(LogicOp::kXor, "Xor")});
INFERD_REGISTER_KERNEL(Not, {"", "Not", 1, 1000, 0, "ref", &CreateNot});
INFERD_REGISTER_KERNEL(BitShift, {"", "BitShift", 11, 1000, 0, "ref", &CreateBitShift});

}  // namespace inferd::ref
