// Reference kernels: Cast (target type from the `to` attribute) and CastLike
// (target type of the second input), between every numeric type, bool and
// string.
//
// Conversion rules: floating -> integer truncates toward zero and saturates
// out-of-range values (NaN -> 0), so no input is undefined behaviour;
// integer -> integer wraps (two's complement); anything -> bool is `!= 0`;
// float -> float16/bfloat16 rounds to nearest even. Numbers print as numpy's
// str() does (shortest round-trip form); strings parse as decimal numbers,
// "nan", "inf", "+inf", "-inf" (any case), and an unparsable string is an
// InvalidArgument naming it.
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/kernels/ref/elementwise_util.h"

namespace inferd::ref {
namespace {

template <class To, class From>
To ConvertNumber(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<To, bool>) {
    return Widen(v) != 0;
  } else if constexpr (kIsHalf<To>) {
    return To::FromFloat(static_cast<float>(Widen(v)));
  } else if constexpr (std::is_integral_v<To> && kIsFloating<From>) {
    return SaturatingCast<To>(Widen(v));
  } else {
    return static_cast<To>(Widen(v));
  }
}

template <class From>
std::string NumberToString(From v) {
  if constexpr (std::is_same_v<From, bool>) {
    return v ? "True" : "False";
  } else if constexpr (std::is_integral_v<From>) {
    return std::to_string(v);
  } else {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), Widen(v));
    std::string s(buf, ec == std::errc() ? end : buf);
    // numpy writes integral floats as "1.0", not "1".
    if (s.find_first_of(".ein") == std::string::npos) s += ".0";
    return s;
  }
}

// Parses a whole string (surrounding spaces allowed) as a number of type To.
template <class To>
bool ParseNumber(const std::string& text, To& out) {
  size_t begin = text.find_first_not_of(" \t\n\r");
  size_t last = text.find_last_not_of(" \t\n\r");
  if (begin == std::string::npos) return false;
  const char* first = text.data() + begin;
  const char* end = text.data() + last + 1;
  if (*first == '+') ++first;  // from_chars takes no leading '+'
  if constexpr (std::is_integral_v<To> && !std::is_same_v<To, bool>) {
    To v{};
    auto [ptr, ec] = std::from_chars(first, end, v);
    if (ec == std::errc() && ptr == end) {
      out = v;
      return true;
    }
    // "1.5" or "1e3": parse as floating and convert.
  }
  if constexpr (std::is_same_v<To, bool>) {
    std::string word(first, end);
    for (auto& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (word == "true" || word == "false") {
      out = word == "true";
      return true;
    }
  }
  double d = 0;
  auto [ptr, ec] = std::from_chars(first, end, d);
  if (ptr != end || (ec != std::errc() && ec != std::errc::result_out_of_range)) return false;
  if (ec == std::errc::result_out_of_range) d = std::strtod(std::string(first, end).c_str(), nullptr);  // +-inf or 0
  out = ConvertNumber<To>(d);
  return true;
}

// Converts every element of `in` into `out` (already allocated as To).
template <class From, class To>
Status ConvertTensor(const std::string& op, const Tensor& in, Tensor& out) {
  const From* src = in.data<From>();
  To* dst = out.data<To>();
  const int64_t n = in.numel();
  if constexpr (std::is_same_v<From, std::string> && std::is_same_v<To, std::string>) {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
  } else if constexpr (std::is_same_v<From, std::string>) {
    for (int64_t i = 0; i < n; ++i)
      if (!ParseNumber<To>(src[i], dst[i]))
        return InvalidArgument(op + ": cannot convert string \"" + src[i] + "\" (element " + std::to_string(i) +
                               ") to " + std::string(DTypeOnnxName(DTypeOf<To>::value)));
  } else if constexpr (std::is_same_v<To, std::string>) {
    for (int64_t i = 0; i < n; ++i) dst[i] = NumberToString(src[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = ConvertNumber<To>(src[i]);
  }
  return Status::Ok();
}

Status CastTo(KernelContext& ctx, const std::string& op, const Tensor& x, DType to) {
  if (x.dtype() == to) {  // nothing to convert: share the input's storage
    ctx.SetOutput(0, x);
    return Status::Ok();
  }
  auto unsupported_from = [&] { return UnsupportedType(op, x.dtype()); };
  auto unsupported_to = [&] { return UnsupportedType(op, to, "target"); };
  return DispatchAny(
      x.dtype(),
      [&](auto from_tag) -> Status {
        using From = decltype(from_tag);
        return DispatchAny(
            to,
            [&](auto to_tag) -> Status {
              using To = decltype(to_tag);
              ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, to, x.shape()));
              return ConvertTensor<From, To>(op, x, *y);
            },
            unsupported_to);
      },
      unsupported_from);
}

bool CastableType(DType t) { return t != DType::kUndefined && DTypeSize(t) > 0; }

class CastKernel final : public Kernel {
 public:
  explicit CastKernel(DType to) : to_(to) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument("Cast needs one input");
    return CastTo(ctx, "Cast", *x, to_);
  }

 private:
  DType to_;
};

Result<std::unique_ptr<Kernel>> CreateCast(const KernelInfo& info) {
  ASSIGN_OR_RETURN(int64_t to, info.RequireInt("to"));
  if (to < 0 || to > INT32_MAX || !DTypeIsValid(static_cast<int32_t>(to)) || !CastableType(static_cast<DType>(to)))
    return info.Error("attribute to=" + std::to_string(to) + " is not a supported element type");
  return std::unique_ptr<Kernel>(std::make_unique<CastKernel>(static_cast<DType>(to)));
}

Status RunCastLike(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* like = ctx.input(1);
  if (x == nullptr || like == nullptr) return InvalidArgument("CastLike needs inputs input and target_type");
  return CastTo(ctx, "CastLike", *x, like->dtype());
}

Result<std::unique_ptr<Kernel>> CreateCastLike(const KernelInfo&) {
  return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>(&RunCastLike));
}

}  // namespace

// Cast-1..5 named the target type with a string: not registered.
INFERD_REGISTER_KERNEL(Cast, {"", "Cast", 6, 1000, 0, "ref", &CreateCast});
INFERD_REGISTER_KERNEL(CastLike, {"", "CastLike", 15, 1000, 0, "ref", &CreateCastLike});

}  // namespace inferd::ref
