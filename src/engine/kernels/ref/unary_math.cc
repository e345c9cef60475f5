// Reference kernels: unary math functions. Abs, Neg, Sign on every numeric
// type; Exp, Log, Sqrt, Reciprocal, Floor, Ceil, Round, the trigonometric and
// hyperbolic functions and Erf on floating types (Erf also on integers, as
// opset 13 allows); IsNaN and IsInf (floating -> bool).
#include <cmath>
#include <limits>

#include "engine/kernels/ref/elementwise_util.h"

namespace inferd::ref {
namespace {

// Abs, Neg, Sign and Erf also take integer types (AcceptsIntegers).
enum class UnaryOp {
  kAbs,
  kNeg,
  kSign,
  kExp,
  kLog,
  kSqrt,
  kReciprocal,
  kFloor,
  kCeil,
  kRound,
  kSin,
  kCos,
  kTan,
  kAsin,
  kAcos,
  kAtan,
  kSinh,
  kCosh,
  kAsinh,
  kAcosh,
  kAtanh,
  kErf
};

bool AcceptsIntegers(UnaryOp op) {
  return op == UnaryOp::kAbs || op == UnaryOp::kNeg || op == UnaryOp::kSign || op == UnaryOp::kErf;
}

// Applies `op` to every element; T is the tensor's element type.
template <class T>
Status ApplyUnary(UnaryOp op, const std::string& name, const Tensor& x, Tensor& y) {
  using C = ComputeType<T>;
  if constexpr (std::is_integral_v<T>) {
    switch (op) {
      case UnaryOp::kAbs:
        if constexpr (std::is_signed_v<T>) {
          using U = std::make_unsigned_t<T>;  // |min| wraps to min, as numpy does, without overflow
          UnaryMap<T, T>(x, y, [](T v) { return v < 0 ? static_cast<T>(U{0} - static_cast<U>(v)) : v; });
        } else {
          UnaryMap<T, T>(x, y, [](T v) { return v; });
        }
        return Status::Ok();
      case UnaryOp::kNeg:
        if constexpr (std::is_signed_v<T>) {
          // Negating the minimum wraps (as two's complement hardware and numpy do).
          using U = std::make_unsigned_t<T>;
          UnaryMap<T, T>(x, y, [](T v) { return static_cast<T>(U{0} - static_cast<U>(v)); });
          return Status::Ok();
        } else {
          return UnsupportedType(name, DTypeOf<T>::value);
        }
      case UnaryOp::kSign:
        UnaryMap<T, T>(x, y, [](T v) { return static_cast<T>((T{0} < v) - (v < T{0})); });
        return Status::Ok();
      case UnaryOp::kErf:
        UnaryMap<T, T>(x, y, [](T v) { return static_cast<T>(std::erf(static_cast<double>(v))); });
        return Status::Ok();
      default: return UnsupportedType(name, DTypeOf<T>::value);
    }
  } else {
    switch (op) {
      case UnaryOp::kAbs: UnaryMapWidened<T>(x, y, [](C v) { return std::abs(v); }); break;
      case UnaryOp::kNeg: UnaryMapWidened<T>(x, y, [](C v) { return -v; }); break;
      case UnaryOp::kSign:
        // NaN stays NaN; zeros keep their value.
        UnaryMapWidened<T>(x, y, [](C v) { return v > C{0} ? C{1} : (v < C{0} ? C{-1} : v); });
        break;
      case UnaryOp::kExp: UnaryMapWidened<T>(x, y, [](C v) { return std::exp(v); }); break;
      case UnaryOp::kLog: UnaryMapWidened<T>(x, y, [](C v) { return std::log(v); }); break;
      case UnaryOp::kSqrt: UnaryMapWidened<T>(x, y, [](C v) { return std::sqrt(v); }); break;
      case UnaryOp::kReciprocal: UnaryMapWidened<T>(x, y, [](C v) { return C{1} / v; }); break;
      case UnaryOp::kFloor: UnaryMapWidened<T>(x, y, [](C v) { return std::floor(v); }); break;
      case UnaryOp::kCeil: UnaryMapWidened<T>(x, y, [](C v) { return std::ceil(v); }); break;
      // Halves round to the even neighbour (the default FP rounding mode).
      case UnaryOp::kRound: UnaryMapWidened<T>(x, y, [](C v) { return std::nearbyint(v); }); break;
      case UnaryOp::kSin: UnaryMapWidened<T>(x, y, [](C v) { return std::sin(v); }); break;
      case UnaryOp::kCos: UnaryMapWidened<T>(x, y, [](C v) { return std::cos(v); }); break;
      case UnaryOp::kTan: UnaryMapWidened<T>(x, y, [](C v) { return std::tan(v); }); break;
      case UnaryOp::kAsin: UnaryMapWidened<T>(x, y, [](C v) { return std::asin(v); }); break;
      case UnaryOp::kAcos: UnaryMapWidened<T>(x, y, [](C v) { return std::acos(v); }); break;
      case UnaryOp::kAtan: UnaryMapWidened<T>(x, y, [](C v) { return std::atan(v); }); break;
      case UnaryOp::kSinh: UnaryMapWidened<T>(x, y, [](C v) { return std::sinh(v); }); break;
      case UnaryOp::kCosh: UnaryMapWidened<T>(x, y, [](C v) { return std::cosh(v); }); break;
      case UnaryOp::kAsinh: UnaryMapWidened<T>(x, y, [](C v) { return std::asinh(v); }); break;
      case UnaryOp::kAcosh: UnaryMapWidened<T>(x, y, [](C v) { return std::acosh(v); }); break;
      case UnaryOp::kAtanh: UnaryMapWidened<T>(x, y, [](C v) { return std::atanh(v); }); break;
      case UnaryOp::kErf: UnaryMapWidened<T>(x, y, [](C v) { return std::erf(v); }); break;
    }
    return Status::Ok();
  }
}

class UnaryMathKernel final : public Kernel {
 public:
  UnaryMathKernel(UnaryOp op, std::string name) : op_(op), name_(std::move(name)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(name_ + " needs one input");
    auto unsupported = [&] { return UnsupportedType(name_, x->dtype()); };
    if (!AcceptsIntegers(op_) && !IsFloatingType(x->dtype())) return unsupported();
    ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->shape()));
    return DispatchNumeric(
        x->dtype(), [&](auto tag) { return ApplyUnary<decltype(tag)>(op_, name_, *x, *y); }, unsupported);
  }

 private:
  static bool IsFloatingType(DType t) {
    return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16;
  }
  UnaryOp op_;
  std::string name_;
};

KernelFactory Factory(UnaryOp op, const char* name) {
  return [op, name](const KernelInfo&) -> Result<std::unique_ptr<Kernel>> {
    return std::unique_ptr<Kernel>(std::make_unique<UnaryMathKernel>(op, name));
  };
}

// IsNaN, and IsInf with its detect_negative / detect_positive attributes.
class FloatClassKernel final : public Kernel {
 public:
  FloatClassKernel(std::string name, bool nan, bool neg_inf, bool pos_inf)
      : name_(std::move(name)), nan_(nan), neg_inf_(neg_inf), pos_inf_(pos_inf) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(name_ + " needs one input");
    return DispatchFloating(
        x->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DType::kBool, x->shape()));
          const bool nan = nan_, neg = neg_inf_, pos = pos_inf_;
          UnaryMap<T, bool>(*x, *y, [=](T t) {
            const auto v = Widen(t);
            if (std::isnan(v)) return nan;
            if (std::isinf(v)) return v < 0 ? neg : pos;
            return false;
          });
          return Status::Ok();
        },
        [&] { return UnsupportedType(name_, x->dtype()); });
  }

 private:
  std::string name_;
  bool nan_, neg_inf_, pos_inf_;
};

Result<std::unique_ptr<Kernel>> CreateIsNaN(const KernelInfo&) {
  return std::unique_ptr<Kernel>(std::make_unique<FloatClassKernel>("IsNaN", true, false, false));
}

Result<std::unique_ptr<Kernel>> CreateIsInf(const KernelInfo& info) {
  const bool neg = info.GetInt("detect_negative", 1) != 0;
  const bool pos = info.GetInt("detect_positive", 1) != 0;
  return std::unique_ptr<Kernel>(std::make_unique<FloatClassKernel>("IsInf", false, neg, pos));
}

}  // namespace

// Opset 1-5 forms differ only by the ignorable consumed_inputs attribute.
INFERD_REGISTER_KERNEL(Abs, {"", "Abs", 1, 1000, 0, "ref", Factory(UnaryOp::kAbs, "Abs")});
INFERD_REGISTER_KERNEL(Neg, {"", "Neg", 1, 1000, 0, "ref", Factory(UnaryOp::kNeg, "Neg")});
INFERD_REGISTER_KERNEL(Sign, {"", "Sign", 9, 1000, 0, "ref", Factory(UnaryOp::kSign, "Sign")});
INFERD_REGISTER_KERNEL(Exp, {"", "Exp", 1, 1000, 0, "ref", Factory(UnaryOp::kExp, "Exp")});
INFERD_REGISTER_KERNEL(Log, {"", "Log", 1, 1000, 0, "ref", Factory(UnaryOp::kLog, "Log")});
INFERD_REGISTER_KERNEL(Sqrt, {"", "Sqrt", 1, 1000, 0, "ref", Factory(UnaryOp::kSqrt, "Sqrt")});
INFERD_REGISTER_KERNEL(Reciprocal, {"", "Reciprocal", 1, 1000, 0, "ref", Factory(UnaryOp::kReciprocal, "Reciprocal")});
INFERD_REGISTER_KERNEL(Floor, {"", "Floor", 1, 1000, 0, "ref", Factory(UnaryOp::kFloor, "Floor")});
INFERD_REGISTER_KERNEL(Ceil, {"", "Ceil", 1, 1000, 0, "ref", Factory(UnaryOp::kCeil, "Ceil")});
INFERD_REGISTER_KERNEL(Round, {"", "Round", 11, 1000, 0, "ref", Factory(UnaryOp::kRound, "Round")});
INFERD_REGISTER_KERNEL(Sin, {"", "Sin", 7, 1000, 0, "ref", Factory(UnaryOp::kSin, "Sin")});
INFERD_REGISTER_KERNEL(Cos, {"", "Cos", 7, 1000, 0, "ref", Factory(UnaryOp::kCos, "Cos")});
INFERD_REGISTER_KERNEL(Tan, {"", "Tan", 7, 1000, 0, "ref", Factory(UnaryOp::kTan, "Tan")});
INFERD_REGISTER_KERNEL(Asin, {"", "Asin", 7, 1000, 0, "ref", Factory(UnaryOp::kAsin, "Asin")});
INFERD_REGISTER_KERNEL(Acos, {"", "Acos", 7, 1000, 0, "ref", Factory(UnaryOp::kAcos, "Acos")});
INFERD_REGISTER_KERNEL(Atan, {"", "Atan", 7, 1000, 0, "ref", Factory(UnaryOp::kAtan, "Atan")});
INFERD_REGISTER_KERNEL(Sinh, {"", "Sinh", 9, 1000, 0, "ref", Factory(UnaryOp::kSinh, "Sinh")});
INFERD_REGISTER_KERNEL(Cosh, {"", "Cosh", 9, 1000, 0, "ref", Factory(UnaryOp::kCosh, "Cosh")});
INFERD_REGISTER_KERNEL(Asinh, {"", "Asinh", 9, 1000, 0, "ref", Factory(UnaryOp::kAsinh, "Asinh")});
INFERD_REGISTER_KERNEL(Acosh, {"", "Acosh", 9, 1000, 0, "ref", Factory(UnaryOp::kAcosh, "Acosh")});
INFERD_REGISTER_KERNEL(Atanh, {"", "Atanh", 9, 1000, 0, "ref", Factory(UnaryOp::kAtanh, "Atanh")});
INFERD_REGISTER_KERNEL(Erf, {"", "Erf", 9, 1000, 0, "ref", Factory(UnaryOp::kErf, "Erf")});
INFERD_REGISTER_KERNEL(IsNaN, {"", "IsNaN", 9, 1000, 0, "ref", &CreateIsNaN});
INFERD_REGISTER_KERNEL(IsInf, {"", "IsInf", 10, 1000, 0, "ref", &CreateIsInf});

}  // namespace inferd::ref
