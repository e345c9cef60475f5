// Reference kernels: Pow (base and exponent of different types since opset
// 12; the result has the base's type) and Mod (fmod=0: the result takes the
// divisor's sign, as Python's %; fmod=1: the dividend's, as C's fmod).
// Numpy broadcasting.
#include <cmath>
#include <limits>

#include "engine/kernels/ref/elementwise_util.h"

namespace inferd::ref {
namespace {

// Integer power by squaring. Overflow wraps (two's complement), as numpy's
// integer power does. A negative exponent gives the truncated 1 / x^-e.
template <class T>
T IntegerPow(T base, int64_t e) {
  if (e < 0) {
    if (base == T{1}) return T{1};
    if constexpr (std::is_signed_v<T>) {
      if (base == T{-1}) return (e % 2 == 0) ? T{1} : T{-1};
    }
    return T{0};
  }
  using U = std::make_unsigned_t<T>;
  U result = 1, b = static_cast<U>(base);
  auto n = static_cast<uint64_t>(e);
  while (n != 0) {
    if (n & 1u) result = static_cast<U>(result * b);
    b = static_cast<U>(b * b);
    n >>= 1;
  }
  return static_cast<T>(result);
}

// Exponent element as int64 (for integer bases) or as the compute type.
template <class TE>
int64_t ExponentAsInt(TE e) {
  if constexpr (std::is_integral_v<TE>) {
    if constexpr (std::is_unsigned_v<TE>) {
      constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
      return static_cast<uint64_t>(e) > static_cast<uint64_t>(kMax) ? kMax : static_cast<int64_t>(e);
    } else {
      return static_cast<int64_t>(e);
    }
  } else {
    return SaturatingCast<int64_t>(static_cast<double>(Widen(e)));
  }
}

template <class TB, class TE>
void PowTyped(const Tensor& a, const Tensor& b, Tensor& out) {
  if constexpr (kIsFloating<TB>) {
    using C = ComputeType<TB>;
    if (b.numel() == 1 && ToDouble(b.data<TE>()[0]) == 2.0) {  // x^2, common in normalisation layers
      UnaryMapWidened<TB>(a, out, [](C x) { return x * x; });
      return;
    }
    BinaryMap<TB, TE, TB>(
        a, b, out, [](TB x, TE e) { return Narrow<TB>(static_cast<C>(std::pow(Widen(x), static_cast<C>(Widen(e))))); });
  } else if constexpr (std::is_integral_v<TE>) {
    BinaryMap<TB, TE, TB>(a, b, out, [](TB x, TE e) { return IntegerPow<TB>(x, ExponentAsInt(e)); });
  } else {
    // Integer base, floating exponent: computed in double, truncated toward zero.
    BinaryMap<TB, TE, TB>(a, b, out, [](TB x, TE e) {
      if (std::floor(Widen(e)) == Widen(e)) {
        // An integral exponent stays exact for large bases.
        return IntegerPow<TB>(x, ExponentAsInt(e));
      }
      return SaturatingCast<TB>(std::pow(static_cast<double>(x), static_cast<double>(Widen(e))));
    });
  }
}

bool PowBaseType(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16 ||
         t == DType::kInt32 || t == DType::kInt64;
}

Status RunPow(KernelContext& ctx, const LegacyBroadcast& legacy) {
  const Tensor* a = ctx.input(0);
  const Tensor* b_in = ctx.input(1);
  if (a == nullptr || b_in == nullptr) return InvalidArgument("Pow needs inputs X and Y");
  if (!PowBaseType(a->dtype())) return UnsupportedType("Pow", a->dtype(), "base (X)");
  ASSIGN_OR_RETURN(Tensor b_view, legacy.Apply("Pow", *a, *b_in));
  const Tensor* b = &b_view;
  ASSIGN_OR_RETURN(Shape shape, BroadcastShapes({a->shape(), b->shape()}));
  ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, a->dtype(), std::move(shape)));
  auto unsupported_exponent = [&] { return UnsupportedType("Pow", b->dtype(), "exponent (Y)"); };
  return DispatchNumeric(
      a->dtype(),
      [&](auto base_tag) -> Status {
        using TB = decltype(base_tag);
        if constexpr (std::is_same_v<TB, float> || std::is_same_v<TB, double> || std::is_same_v<TB, int32_t> ||
                      std::is_same_v<TB, int64_t> || kIsHalf<TB>) {
          return DispatchNumeric(
              b->dtype(),
              [&](auto exp_tag) -> Status {
                PowTyped<TB, decltype(exp_tag)>(*a, *b, *out);
                return Status::Ok();
              },
              unsupported_exponent);
        } else {
          return UnsupportedType("Pow", a->dtype(), "base (X)");
        }
      },
      [&] { return UnsupportedType("Pow", a->dtype(), "base (X)"); });
}

Result<std::unique_ptr<Kernel>> CreatePow(const KernelInfo& info) {
  const LegacyBroadcast legacy = LegacyBroadcast::FromInfo(info);
  if (info.opset() < 7) {  // Pow-1 required equal types
    const DType a = info.input_dtype(0), b = info.input_dtype(1);
    if (a != DType::kUndefined && b != DType::kUndefined && a != b) return TypeMismatch("Pow", a, b);
  }
  return std::unique_ptr<Kernel>(
      std::make_unique<FunctionKernel>([legacy](KernelContext& ctx) { return RunPow(ctx, legacy); }));
}

// Integer remainder without traps: x % 0 is 0, and min % -1 (which overflows) is 0.
template <class T>
T IntegerRemainder(T x, T y, bool fmod) {
  if (y == T{0}) return T{0};
  if constexpr (std::is_signed_v<T>) {
    if (y == T{-1}) return T{0};
    T r = static_cast<T>(x % y);
    if (!fmod && r != T{0} && ((r < T{0}) != (y < T{0}))) r = static_cast<T>(r + y);
    return r;
  } else {
    return static_cast<T>(x % y);
  }
}

class ModKernel final : public Kernel {
 public:
  explicit ModKernel(bool fmod) : fmod_(fmod) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    if (a == nullptr || b == nullptr) return InvalidArgument("Mod needs inputs A and B");
    if (a->dtype() != b->dtype()) return TypeMismatch("Mod", a->dtype(), b->dtype());
    ASSIGN_OR_RETURN(Shape shape, BroadcastShapes({a->shape(), b->shape()}));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, a->dtype(), std::move(shape)));
    const bool fmod = fmod_;
    return DispatchNumeric(
        a->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          using C = ComputeType<T>;
          if constexpr (std::is_integral_v<T>) {
            BinaryMap<T, T, T>(*a, *b, *out, [fmod](T x, T y) { return IntegerRemainder<T>(x, y, fmod); });
          } else {
            // fmod=0 on floats (which the spec forbids) is answered as numpy.mod would.
            BinaryMapWidened<T, T>(*a, *b, *out, [fmod](C x, C y) {
              C r = std::fmod(x, y);
              if (!fmod && r != C{0} && ((r < C{0}) != (y < C{0}))) r += y;
              return r;
            });
          }
          return Status::Ok();
        },
        [&] { return UnsupportedType("Mod", a->dtype()); });
  }

 private:
  bool fmod_;
};

Result<std::unique_ptr<Kernel>> CreateMod(const KernelInfo& info) {
  const int64_t fmod = info.GetInt("fmod", 0);
  if (fmod != 0 && fmod != 1) return info.Error("attribute fmod must be 0 or 1, got " + std::to_string(fmod));
  return std::unique_ptr<Kernel>(std::make_unique<ModKernel>(fmod == 1));
}

}  // namespace

// Pow-1 (legacy broadcast/axis attributes) is handled by LegacyBroadcast.
INFERD_REGISTER_KERNEL(Pow, {"", "Pow", 1, 1000, 0, "ref", &CreatePow});
INFERD_REGISTER_KERNEL(Mod, {"", "Mod", 10, 1000, 0, "ref", &CreateMod});

}  // namespace inferd::ref
