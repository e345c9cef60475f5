// Reference kernels that make new tensors from a few parameters:
// ConstantOfShape, Range, EyeLike, OneHot. Sizes come from data, so each is
// validated (non-negative, within the tensor size limit) before allocating.
#include <algorithm>
#include <cmath>

#include "engine/kernels/ref/shape_util.h"

namespace inferd::ref {
namespace {

Result<std::unique_ptr<Kernel>> MakeKernel(FunctionKernel::Fn fn) {
  return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>(std::move(fn)));
}

// --------------------------------------------------------- ConstantOfShape

Result<std::unique_ptr<Kernel>> CreateConstantOfShape(const KernelInfo& info) {
  Tensor value;
  if (const Tensor* v = info.GetTensor("value"); v != nullptr) {
    if (v->numel() != 1) return info.Error("value must hold exactly one element, got " + ShapeToString(v->shape()));
    value = *v;
  } else {
    value = Tensor::Scalar<float>(0.0f);
  }
  return MakeKernel([value](KernelContext& ctx) -> Status {
    ASSIGN_OR_RETURN(std::vector<int64_t> shape, ReadIntsInput(ctx, 0, "shape"));
    RETURN_IF_ERROR(CheckComputedShape(shape, value.dtype(), "output shape"));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, value.dtype(), shape));
    for (int64_t i = 0; i < out->numel(); ++i) CopyElement(value, 0, *out, i);
    return Status::Ok();
  });
}

// ------------------------------------------------------------------- Range

// Number of elements of Range(start, limit, delta): max(ceil((limit - start) / delta), 0).
template <class T>
Result<int64_t> RangeCount(T start, T limit, T delta) {
  if (delta == T{0}) return InvalidArgument("delta must not be zero");
  if constexpr (std::is_integral_v<T>) {
    const __int128 span = static_cast<__int128>(limit) - static_cast<__int128>(start);
    const __int128 d = delta;
    __int128 n = span / d;                                  // truncates toward zero
    if (n * d != span && (span > 0) == (d > 0)) ++n;        // ceil for a positive quotient
    return static_cast<int64_t>(std::clamp<__int128>(n, 0, INT64_MAX));
  } else {
    const double n = std::ceil((static_cast<double>(limit) - static_cast<double>(start)) / static_cast<double>(delta));
    if (std::isnan(n)) return InvalidArgument("start, limit and delta give no finite element count");
    if (n <= 0) return int64_t{0};
    if (n >= 9.2e18) return int64_t{INT64_MAX};
    return static_cast<int64_t>(n);
  }
}

Result<std::unique_ptr<Kernel>> CreateRange(const KernelInfo&) {
  return MakeKernel([](KernelContext& ctx) -> Status {
    const Tensor* s = ctx.input(0);
    const Tensor* l = ctx.input(1);
    const Tensor* d = ctx.input(2);
    if (s == nullptr || l == nullptr || d == nullptr) return InvalidArgument("Range needs start, limit and delta");
    if (s->dtype() != l->dtype() || s->dtype() != d->dtype())
      return InvalidArgument("start, limit and delta must have one type");
    if (s->numel() != 1 || l->numel() != 1 || d->numel() != 1)
      return InvalidArgument("start, limit and delta must be scalars");
    return DispatchArith(
        s->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          const T start = s->data<T>()[0], delta = d->data<T>()[0];
          ASSIGN_OR_RETURN(const int64_t n, RangeCount<T>(start, l->data<T>()[0], delta));
          RETURN_IF_ERROR(CheckComputedShape({n}, s->dtype(), "Range output"));
          ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, s->dtype(), {n}));
          T* o = out->data<T>();
          for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(start + static_cast<T>(i) * delta);
          return Status::Ok();
        },
        [&] { return UnsupportedType("Range", s->dtype()); });
  });
}

// ----------------------------------------------------------------- EyeLike

Result<std::unique_ptr<Kernel>> CreateEyeLike(const KernelInfo& info) {
  const int64_t k = info.GetInt("k", 0);
  std::optional<DType> dtype;
  if (info.HasAttribute("dtype")) {
    const int64_t raw = info.GetInt("dtype", 0);
    if (raw < INT32_MIN || raw > INT32_MAX || !DTypeIsValid(static_cast<int32_t>(raw)) || raw == 0)
      return info.Error("dtype " + std::to_string(raw) + " is not a known type");
    dtype = static_cast<DType>(raw);
  }
  return MakeKernel([k, dtype](KernelContext& ctx) -> Status {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument("input (input 0) is missing");
    if (x->rank() != 2) return InvalidArgument("EyeLike needs a 2-D input, got " + ShapeToString(x->shape()));
    const DType t = dtype.value_or(x->dtype());
    const int64_t rows = x->dim(0), cols = x->dim(1);
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, t, x->shape()));
    return DispatchAll(
        t,
        [&](auto tag) -> Status {
          using T = decltype(tag);
          T* o = out->data<T>();
          for (int64_t i = 0; i < rows * cols; ++i) o[i] = ConvertElement<T>(0);
          for (int64_t i = 0; i < rows; ++i)
            if (i + k >= 0 && i + k < cols) o[i * cols + i + k] = ConvertElement<T>(1);
          return Status::Ok();
        },
        [&] { return UnsupportedType("EyeLike", t, "output"); });
  });
}

// ------------------------------------------------------------------ OneHot

// Reads any numeric tensor as int64 (OneHot allows float indices and depth);
// fractions are truncated, values beyond int64 saturate.
Result<std::vector<int64_t>> ReadAsInt64(const Tensor& t, const std::string& what) {
  if (t.dtype() == DType::kString || t.dtype() == DType::kBool)
    return InvalidArgument(what + " must be numeric, got " + std::string(DTypeName(t.dtype())));
  if (t.dtype() == DType::kInt64) return ReadInts(t, what);
  std::vector<int64_t> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double x = t.GetAsDouble(i);
    if (std::isnan(x)) return InvalidArgument(what + " holds NaN");
    v[static_cast<size_t>(i)] = x >= 9.2e18 ? INT64_MAX : x <= -9.2e18 ? INT64_MIN : static_cast<int64_t>(x);
  }
  return v;
}

Result<std::unique_ptr<Kernel>> CreateOneHot(const KernelInfo& info) {
  const int64_t axis = info.GetInt("axis", -1);
  return MakeKernel([axis](KernelContext& ctx) -> Status {
    const Tensor* indices = ctx.input(0);
    const Tensor* depth_t = ctx.input(1);
    const Tensor* values = ctx.input(2);
    if (indices == nullptr || depth_t == nullptr || values == nullptr)
      return InvalidArgument("OneHot needs indices, depth and values");
    if (values->numel() != 2)
      return InvalidArgument("values must hold [off_value, on_value], got shape " + ShapeToString(values->shape()));
    if (depth_t->numel() != 1) return InvalidArgument("depth must be a scalar, got " + ShapeToString(depth_t->shape()));
    ASSIGN_OR_RETURN(std::vector<int64_t> depth_v, ReadAsInt64(*depth_t, "depth"));
    const int64_t depth = depth_v[0];
    if (depth < 1) return InvalidArgument("depth must be positive, got " + std::to_string(depth));
    const int64_t r = indices->rank() + 1;
    if (axis < -r || axis >= r)
      return InvalidArgument("axis " + std::to_string(axis) + " is out of range for output rank " + std::to_string(r));
    const int64_t a = axis < 0 ? axis + r : axis;
    Shape out_shape = indices->shape();
    out_shape.insert(out_shape.begin() + a, depth);
    RETURN_IF_ERROR(CheckComputedShape(out_shape, values->dtype(), "output shape"));
    ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadAsInt64(*indices, "indices"));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, values->dtype(), out_shape));
    int64_t outer = 1, inner = 1;
    for (int64_t k = 0; k < indices->rank(); ++k) (k < a ? outer : inner) *= indices->dim(k);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t dd = 0; dd < depth; ++dd) {
        for (int64_t in = 0; in < inner; ++in) {
          int64_t v = idx[static_cast<size_t>(o * inner + in)];
          if (v < 0 && v >= -depth) v += depth;  // out-of-range indices give an all-off row
          CopyElement(*values, v == dd ? 1 : 0, *out, (o * depth + dd) * inner + in);
        }
      }
    }
    return Status::Ok();
  });
}

}  // namespace

INFERD_REGISTER_KERNEL(ConstantOfShape, {"", "ConstantOfShape", 9, 1000, 0, "ref", &CreateConstantOfShape});
INFERD_REGISTER_KERNEL(Range, {"", "Range", 11, 1000, 0, "ref", &CreateRange});
INFERD_REGISTER_KERNEL(EyeLike, {"", "EyeLike", 9, 1000, 0, "ref", &CreateEyeLike});
INFERD_REGISTER_KERNEL(OneHot, {"", "OneHot", 9, 1000, 0, "ref", &CreateOneHot});

}  // namespace inferd::ref
