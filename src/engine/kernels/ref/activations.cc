// Reference kernels: activation functions. Relu (floating and signed
// integer types), Shrink (every numeric type), and LeakyRelu, Elu, Selu, Celu,
// Sigmoid, HardSigmoid, HardSwish, Softplus, Softsign, Tanh, ThresholdedRelu,
// Mish on floating types; PRelu with a slope broadcast to the input; Clip
// (bounds as attributes before opset 11, as optional inputs after).
// Attributes are parsed once in the factory.
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/kernels/ref/elementwise_util.h"

namespace inferd::ref {
namespace {

// Relu and Shrink also take integer types.
enum class Act {
  kRelu,
  kShrink,
  kLeakyRelu,
  kElu,
  kSelu,
  kCelu,
  kSigmoid,
  kHardSigmoid,
  kHardSwish,
  kSoftplus,
  kSoftsign,
  kTanh,
  kThresholdedRelu,
  kMish
};

// Attribute values; which ones an op reads is noted in the factory.
struct ActParams {
  float alpha = 0;
  float beta = 0;
  float gamma = 0;
};

// log(1 + exp(v)) without overflow for large v.
template <class C>
C Softplus(C v) {
  return std::max(v, C{0}) + std::log1p(std::exp(-std::abs(v)));
}

// For large negative v, exp(-v) overflows to inf and the result is the
// correct limit 0, so no branch is needed.
template <class C>
C Sigmoid(C v) {
  return C{1} / (C{1} + std::exp(-v));
}

template <class T>
Status ApplyActivation(Act op, const ActParams& p, const std::string& name, const Tensor& x, Tensor& y) {
  if constexpr (std::is_integral_v<T>) {
    switch (op) {
      case Act::kRelu:
        if constexpr (std::is_signed_v<T>) {
          UnaryMap<T, T>(x, y, [](T v) { return v > T{0} ? v : T{0}; });
        } else {
          UnaryMap<T, T>(x, y, [](T v) { return v; });
        }
        return Status::Ok();
      case Act::kShrink: {
        const double lambd = p.alpha, bias = p.beta;
        UnaryMap<T, T>(x, y, [=](T t) {
          const double v = static_cast<double>(t);
          return static_cast<T>(v < -lambd ? v + bias : (v > lambd ? v - bias : 0.0));
        });
        return Status::Ok();
      }
      default:
        return UnsupportedType(name, DTypeOf<T>::value);
    }
  } else {
    using C = ComputeType<T>;
    const C alpha = static_cast<C>(p.alpha), beta = static_cast<C>(p.beta), gamma = static_cast<C>(p.gamma);
    switch (op) {
      case Act::kRelu:
        UnaryMapWidened<T>(x, y, [](C v) { return v < C{0} ? C{0} : v; });
        break;  // NaN stays NaN
      case Act::kShrink:
        UnaryMapWidened<T>(x, y, [=](C v) { return v < -alpha ? v + beta : (v > alpha ? v - beta : C{0}); });
        break;
      case Act::kLeakyRelu:
        UnaryMapWidened<T>(x, y, [=](C v) { return v < C{0} ? alpha * v : v; });
        break;
      case Act::kElu:
        UnaryMapWidened<T>(x, y, [=](C v) { return v < C{0} ? alpha * std::expm1(v) : v; });
        break;
      case Act::kSelu:
        UnaryMapWidened<T>(x, y, [=](C v) { return v > C{0} ? gamma * v : gamma * alpha * std::expm1(v); });
        break;
      case Act::kCelu:
        UnaryMapWidened<T>(x, y, [=](C v) { return v > C{0} ? v : alpha * std::expm1(v / alpha); });
        break;
      case Act::kSigmoid:
        UnaryMapWidened<T>(x, y, [](C v) { return Sigmoid(v); });
        break;
      case Act::kHardSigmoid:
        UnaryMapWidened<T>(x, y, [=](C v) { return std::max(C{0}, std::min(C{1}, alpha * v + beta)); });
        break;
      case Act::kHardSwish:
        UnaryMapWidened<T>(x, y, [=](C v) { return v * std::max(C{0}, std::min(C{1}, alpha * v + beta)); });
        break;
      case Act::kSoftplus:
        UnaryMapWidened<T>(x, y, [](C v) { return Softplus(v); });
        break;
      case Act::kSoftsign:
        UnaryMapWidened<T>(x, y, [](C v) { return v / (C{1} + std::abs(v)); });
        break;
      case Act::kTanh:
        UnaryMapWidened<T>(x, y, [](C v) { return std::tanh(v); });
        break;
      case Act::kThresholdedRelu:
        UnaryMapWidened<T>(x, y, [=](C v) { return v > alpha ? v : C{0}; });
        break;
      case Act::kMish:
        UnaryMapWidened<T>(x, y, [](C v) { return v * std::tanh(Softplus(v)); });
        break;
    }
    return Status::Ok();
  }
}

class ActivationKernel final : public Kernel {
 public:
  ActivationKernel(Act op, std::string name, ActParams params) : op_(op), name_(std::move(name)), params_(params) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(name_ + " needs one input");
    auto unsupported = [&] { return UnsupportedType(name_, x->dtype()); };
    ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->shape()));
    return DispatchNumeric(
        x->dtype(), [&](auto tag) { return ApplyActivation<decltype(tag)>(op_, params_, name_, *x, *y); }, unsupported);
  }

 private:
  Act op_;
  std::string name_;
  ActParams params_;
};

// Builds a factory reading alpha/beta/gamma with the op's defaults.
KernelFactory Factory(Act op, const char* name, ActParams defaults = {}) {
  return [op, name, defaults](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    ActParams p = defaults;
    if (op == Act::kShrink) {
      p.alpha = info.GetFloat("lambd", defaults.alpha);
      p.beta = info.GetFloat("bias", defaults.beta);
      if (p.alpha < 0) return info.Error("lambd must not be negative, got " + std::to_string(p.alpha));
    } else {
      p.alpha = info.GetFloat("alpha", defaults.alpha);
      p.beta = info.GetFloat("beta", defaults.beta);
      p.gamma = info.GetFloat("gamma", defaults.gamma);
    }
    if (op == Act::kCelu && p.alpha == 0) return info.Error("alpha must not be 0");
    return std::unique_ptr<Kernel>(std::make_unique<ActivationKernel>(op, name, p));
  };
}

// PRelu: y = x < 0 ? slope * x : x, slope broadcast (unidirectionally) to x.
// Before opset 7 a 1-D slope of size C was per channel (axis 1), as PyTorch
// exported it; from opset 7 it broadcasts numpy style.
class PReluKernel final : public Kernel {
 public:
  explicit PReluKernel(bool channel_slope) : channel_slope_(channel_slope) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* slope_in = ctx.input(1);
    if (x == nullptr || slope_in == nullptr) return InvalidArgument("PRelu needs inputs X and slope");
    if (x->dtype() != slope_in->dtype())
      return TypeMismatch("PRelu", x->dtype(), slope_in->dtype(), "X and slope types");
    Tensor slope = *slope_in;
    if (channel_slope_ && slope.rank() == 1 && x->rank() >= 2 && slope.dim(0) == x->dim(1) && slope.dim(0) != 1) {
      Shape per_channel(static_cast<size_t>(x->rank() - 1), 1);
      per_channel[0] = slope.dim(0);
      ASSIGN_OR_RETURN(slope, slope.Reshaped(per_channel));
    }
    ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes({x->shape(), slope.shape()}));
    if (out_shape != x->shape())
      return InvalidArgument("PRelu: slope " + ShapeToString(slope.shape()) + " does not broadcast to X " +
                             ShapeToString(x->shape()));
    ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), out_shape));
    return DispatchNumeric(
        x->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          using C = ComputeType<T>;
          if constexpr (std::is_unsigned_v<T>) {
            BinaryMap<T, T, T>(*x, slope, *y, [](T v, T) { return v; });
          } else {
            BinaryMapWidened<T, T>(*x, slope, *y, [](C v, C s) { return static_cast<C>(v < C{0} ? s * v : v); });
          }
          return Status::Ok();
        },
        [&] { return UnsupportedType("PRelu", x->dtype()); });
  }

 private:
  bool channel_slope_;
};

Result<std::unique_ptr<Kernel>> CreatePRelu(const KernelInfo& info) {
  return std::unique_ptr<Kernel>(std::make_unique<PReluKernel>(info.opset() < 7));
}

// A Clip bound from an optional scalar input. (A free function: clang 14
// leaves member templates called from generic lambdas undefined.)
template <class T>
Status ReadClipBound(KernelContext& ctx, int index, const char* what, const Tensor& x, ComputeType<T>& bound) {
  const Tensor* t = ctx.input(index);
  if (t == nullptr) return Status::Ok();
  if (t->dtype() != x.dtype())
    return TypeMismatch("Clip", x.dtype(), t->dtype(), std::string("input and ") + what + " types");
  if (t->numel() != 1)
    return InvalidArgument(std::string("Clip: ") + what + " must be a scalar, got shape " +
                           ShapeToString(t->shape()));
  bound = Widen(t->data<T>()[0]);
  return Status::Ok();
}


// Clip: bounds come from attributes (opset < 11) or optional scalar inputs.
class ClipKernel final : public Kernel {
 public:
  ClipKernel(bool bounds_are_inputs, float min_attr, float max_attr)
      : bounds_are_inputs_(bounds_are_inputs), min_attr_(min_attr), max_attr_(max_attr) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument("Clip needs input X");
    return DispatchNumeric(
        x->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          using C = ComputeType<T>;
          C lo = std::numeric_limits<C>::has_infinity ? -std::numeric_limits<C>::infinity()
                                                      : std::numeric_limits<C>::lowest();
          C hi =
              std::numeric_limits<C>::has_infinity ? std::numeric_limits<C>::infinity() : std::numeric_limits<C>::max();
          if (bounds_are_inputs_) {
            RETURN_IF_ERROR(ReadClipBound<T>(ctx, 1, "min", *x, lo));
            RETURN_IF_ERROR(ReadClipBound<T>(ctx, 2, "max", *x, hi));
          } else {
            if (!std::isinf(min_attr_)) lo = static_cast<C>(min_attr_);
            if (!std::isinf(max_attr_)) hi = static_cast<C>(max_attr_);
          }
          ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->shape()));
          // As numpy.clip: min > max gives max everywhere; NaN passes through.
          UnaryMapWidened<T>(*x, *y, [=](C v) {
            const C a = v < lo ? lo : v;
            return a > hi ? hi : a;
          });
          return Status::Ok();
        },
        [&] { return UnsupportedType("Clip", x->dtype()); });
  }

 private:
  bool bounds_are_inputs_;
  float min_attr_, max_attr_;
};

Result<std::unique_ptr<Kernel>> CreateClip(const KernelInfo& info) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  if (info.opset() >= 11) return std::unique_ptr<Kernel>(std::make_unique<ClipKernel>(true, -kInf, kInf));
  return std::unique_ptr<Kernel>(
      std::make_unique<ClipKernel>(false, info.GetFloat("min", -kInf), info.GetFloat("max", kInf)));
}

}  // namespace

// Opset 1-5 forms differ only by the ignorable consumed_inputs attribute.
INFERD_REGISTER_KERNEL(Relu, {"", "Relu", 1, 1000, 0, "ref", Factory(Act::kRelu, "Relu")});
INFERD_REGISTER_KERNEL(LeakyRelu,
                       {"", "LeakyRelu", 1, 1000, 0, "ref", Factory(Act::kLeakyRelu, "LeakyRelu", {0.01f, 0, 0})});
INFERD_REGISTER_KERNEL(Elu, {"", "Elu", 1, 1000, 0, "ref", Factory(Act::kElu, "Elu", {1.0f, 0, 0})});
INFERD_REGISTER_KERNEL(Selu,
                       {"", "Selu", 1, 1000, 0, "ref",
                        Factory(Act::kSelu, "Selu", {1.67326319217681884765625f, 0, 1.05070102214813232421875f})});
INFERD_REGISTER_KERNEL(Celu, {"", "Celu", 12, 1000, 0, "ref", Factory(Act::kCelu, "Celu", {1.0f, 0, 0})});
INFERD_REGISTER_KERNEL(Sigmoid, {"", "Sigmoid", 1, 1000, 0, "ref", Factory(Act::kSigmoid, "Sigmoid")});
INFERD_REGISTER_KERNEL(HardSigmoid, {"", "HardSigmoid", 1, 1000, 0, "ref",
                                     Factory(Act::kHardSigmoid, "HardSigmoid", {0.2f, 0.5f, 0})});
INFERD_REGISTER_KERNEL(HardSwish, {"", "HardSwish", 14, 1000, 0, "ref",
                                   Factory(Act::kHardSwish, "HardSwish", {1.0f / 6.0f, 0.5f, 0})});
INFERD_REGISTER_KERNEL(Softplus, {"", "Softplus", 1, 1000, 0, "ref", Factory(Act::kSoftplus, "Softplus")});
INFERD_REGISTER_KERNEL(Softsign, {"", "Softsign", 1, 1000, 0, "ref", Factory(Act::kSoftsign, "Softsign")});
INFERD_REGISTER_KERNEL(Tanh, {"", "Tanh", 1, 1000, 0, "ref", Factory(Act::kTanh, "Tanh")});
INFERD_REGISTER_KERNEL(ThresholdedRelu, {"", "ThresholdedRelu", 10, 1000, 0, "ref",
                                         Factory(Act::kThresholdedRelu, "ThresholdedRelu", {1.0f, 0, 0})});
INFERD_REGISTER_KERNEL(Shrink, {"", "Shrink", 9, 1000, 0, "ref", Factory(Act::kShrink, "Shrink", {0.5f, 0, 0})});
INFERD_REGISTER_KERNEL(Mish, {"", "Mish", 18, 1000, 0, "ref", Factory(Act::kMish, "Mish")});
INFERD_REGISTER_KERNEL(PRelu, {"", "PRelu", 1, 1000, 0, "ref", &CreatePRelu});
INFERD_REGISTER_KERNEL(Clip, {"", "Clip", 1, 1000, 0, "ref", &CreateClip});

}  // namespace inferd::ref
