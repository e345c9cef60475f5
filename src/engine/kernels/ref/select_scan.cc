// Reference kernels that select, mask, reorder or scan elements along axes:
// Compress, NonZero, Trilu, ReverseSequence, CumSum.
#include <algorithm>

#include "engine/kernels/ref/shape_util.h"

namespace inferd::ref {
namespace {

Result<std::unique_ptr<Kernel>> MakeKernel(FunctionKernel::Fn fn) {
  return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>(std::move(fn)));
}

// Whether element i of a numeric or bool tensor is non-zero.
Result<std::vector<bool>> NonZeroMask(const Tensor& t, const std::string& what) {
  std::vector<bool> mask(static_cast<size_t>(t.numel()));
  RETURN_IF_ERROR(DispatchAll(
      t.dtype(),
      [&](auto tag) -> Status {
        using T = decltype(tag);
        const T* p = t.data<T>();
        for (int64_t i = 0; i < t.numel(); ++i) mask[static_cast<size_t>(i)] = ToDouble(p[i]) != 0.0;
        return Status::Ok();
      },
      [&] { return UnsupportedType("", t.dtype(), what); }));
  return mask;
}

// ---------------------------------------------------------------- Compress

Result<std::unique_ptr<Kernel>> CreateCompress(const KernelInfo& info) {
  std::optional<int64_t> axis;
  if (info.HasAttribute("axis")) axis = info.GetInt("axis", 0);
  return MakeKernel([axis](KernelContext& ctx) -> Status {
    const Tensor* x = ctx.input(0);
    const Tensor* cond = ctx.input(1);
    if (x == nullptr || cond == nullptr) return InvalidArgument("Compress needs input and condition");
    if (cond->rank() != 1) return InvalidArgument("condition must be 1-D, got " + ShapeToString(cond->shape()));
    ASSIGN_OR_RETURN(std::vector<bool> keep, NonZeroMask(*cond, "condition"));
    // Without an axis the input is flattened first.
    Shape shape = axis ? x->shape() : Shape{x->numel()};
    int64_t a = 0;
    if (axis) {
      if (x->rank() < 1) return InvalidArgument("cannot compress a scalar along an axis");
      ASSIGN_OR_RETURN(a, NormalizeAxis(*axis, x->rank()));
    }
    const int64_t d = shape[static_cast<size_t>(a)];
    for (size_t i = static_cast<size_t>(std::max<int64_t>(d, 0)); i < keep.size(); ++i)
      if (keep[i])
        return InvalidArgument("condition selects entry " + std::to_string(i) + " but the axis has size " +
                               std::to_string(d));
    std::vector<int64_t> chosen;
    for (int64_t i = 0; i < std::min<int64_t>(d, static_cast<int64_t>(keep.size())); ++i)
      if (keep[static_cast<size_t>(i)]) chosen.push_back(i);
    Shape out_shape = shape;
    out_shape[static_cast<size_t>(a)] = static_cast<int64_t>(chosen.size());
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), out_shape));
    int64_t outer = 1, inner = 1;
    for (size_t k = 0; k < shape.size(); ++k)
      if (static_cast<int64_t>(k) < a) outer *= shape[k];
      else if (static_cast<int64_t>(k) > a) inner *= shape[k];
    const int64_t n = static_cast<int64_t>(chosen.size());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < n; ++j)
        CopyRange(*x, (o * d + chosen[static_cast<size_t>(j)]) * inner, *out, (o * n + j) * inner, inner);
    return Status::Ok();
  });
}

// ----------------------------------------------------------------- NonZero

Result<std::unique_ptr<Kernel>> CreateNonZero(const KernelInfo&) {
  return MakeKernel([](KernelContext& ctx) -> Status {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument("input (input 0) is missing");
    ASSIGN_OR_RETURN(std::vector<bool> mask, NonZeroMask(*x, "input"));
    const int64_t nnz = std::count(mask.begin(), mask.end(), true);
    const int64_t r = x->rank();
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kInt64, {r, nnz}));
    int64_t* o = out->data<int64_t>();
    std::vector<int64_t> pos(static_cast<size_t>(r), 0);
    int64_t col = 0;
    for (int64_t i = 0; i < x->numel(); ++i) {
      if (mask[static_cast<size_t>(i)]) {
        for (int64_t k = 0; k < r; ++k) o[k * nnz + col] = pos[static_cast<size_t>(k)];
        ++col;
      }
      for (int64_t k = r; k-- > 0;) {
        if (++pos[static_cast<size_t>(k)] < x->dim(k)) break;
        pos[static_cast<size_t>(k)] = 0;
      }
    }
    return Status::Ok();
  });
}

// ------------------------------------------------------------------- Trilu

Result<std::unique_ptr<Kernel>> CreateTrilu(const KernelInfo& info) {
  const bool upper = info.GetInt("upper", 1) != 0;
  return MakeKernel([upper](KernelContext& ctx) -> Status {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument("input (input 0) is missing");
    if (x->rank() < 2) return InvalidArgument("Trilu needs rank >= 2, got " + ShapeToString(x->shape()));
    int64_t k = 0;
    if (const Tensor* kt = ctx.input(1); kt != nullptr) {
      ASSIGN_OR_RETURN(std::vector<int64_t> kv, ReadInts(*kt, "k"));
      if (kv.size() != 1) return InvalidArgument("k must be a scalar");
      k = kv[0];
    }
    ASSIGN_OR_RETURN(Tensor zero, Tensor::Zeros(x->dtype(), {}));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), x->shape()));
    const int64_t rows = x->dim(x->rank() - 2), cols = x->dim(x->rank() - 1);
    const int64_t mats = rows * cols == 0 ? 0 : x->numel() / (rows * cols);
    for (int64_t m = 0; m < mats; ++m) {
      for (int64_t i = 0; i < rows; ++i) {
        for (int64_t j = 0; j < cols; ++j) {
          // Compare in a form that cannot overflow for any k.
          const bool keep = upper ? (j - i >= k) : (j - i <= k);
          const int64_t off = (m * rows + i) * cols + j;
          if (keep) CopyElement(*x, off, *out, off);
          else CopyElement(zero, 0, *out, off);
        }
      }
    }
    return Status::Ok();
  });
}

// --------------------------------------------------------- ReverseSequence

Result<std::unique_ptr<Kernel>> CreateReverseSequence(const KernelInfo& info) {
  const int64_t batch_axis = info.GetInt("batch_axis", 1);
  const int64_t time_axis = info.GetInt("time_axis", 0);
  if ((batch_axis != 0 && batch_axis != 1) || (time_axis != 0 && time_axis != 1) || batch_axis == time_axis)
    return info.Error("batch_axis and time_axis must be 0 and 1 in some order, got " + std::to_string(batch_axis) +
                      " and " + std::to_string(time_axis));
  return MakeKernel([batch_axis, time_axis](KernelContext& ctx) -> Status {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument("input (input 0) is missing");
    if (x->rank() < 2) return InvalidArgument("input must have rank >= 2, got " + ShapeToString(x->shape()));
    ASSIGN_OR_RETURN(std::vector<int64_t> lens, ReadIntsInput(ctx, 1, "sequence_lens"));
    const int64_t batch = x->dim(batch_axis), steps = x->dim(time_axis);
    if (static_cast<int64_t>(lens.size()) != batch)
      return InvalidArgument("sequence_lens has " + std::to_string(lens.size()) + " entries for a batch of " +
                             std::to_string(batch));
    for (size_t b = 0; b < lens.size(); ++b)
      if (lens[b] < 0 || lens[b] > steps)
        return InvalidArgument("sequence_lens[" + std::to_string(b) + "] = " + std::to_string(lens[b]) +
                               " is out of range [0, " + std::to_string(steps) + "]");
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), x->shape()));
    const auto st = Strides(x->shape());
    const int64_t inner = st[1];  // elements per (dim0, dim1) pair
    const int64_t bs = st[static_cast<size_t>(batch_axis)], ts = st[static_cast<size_t>(time_axis)];
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t len = lens[static_cast<size_t>(b)];
      for (int64_t t = 0; t < steps; ++t) {
        const int64_t src_t = t < len ? len - 1 - t : t;
        CopyRange(*x, b * bs + src_t * ts, *out, b * bs + t * ts, inner);
      }
    }
    return Status::Ok();
  });
}

// ------------------------------------------------------------------ CumSum

// a + b; integers wrap (as numpy does) instead of overflowing.
template <class Acc>
Acc WrapAdd(Acc a, Acc b) {
  if constexpr (std::is_integral_v<Acc>) {
    using U = std::make_unsigned_t<Acc>;
    return static_cast<Acc>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return a + b;
  }
}

Result<std::unique_ptr<Kernel>> CreateCumSum(const KernelInfo& info) {
  const bool exclusive = info.GetInt("exclusive", 0) != 0;
  const bool reverse = info.GetInt("reverse", 0) != 0;
  return MakeKernel([exclusive, reverse](KernelContext& ctx) -> Status {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument("x (input 0) is missing");
    ASSIGN_OR_RETURN(std::vector<int64_t> axis_v, ReadIntsInput(ctx, 1, "axis"));
    if (axis_v.size() != 1) return InvalidArgument("axis must be a scalar");
    if (x->rank() < 1) return InvalidArgument("CumSum needs rank >= 1");
    ASSIGN_OR_RETURN(const int64_t a, NormalizeAxis(axis_v[0], x->rank()));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), x->shape()));
    const int64_t d = x->dim(a);
    int64_t outer = 1, inner = 1;
    for (int64_t k = 0; k < x->rank(); ++k)
      if (k < a) outer *= x->dim(k);
      else if (k > a) inner *= x->dim(k);
    return DispatchAll(
        x->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          if constexpr (std::is_same_v<T, bool>) {
            return UnsupportedType("CumSum", DType::kBool);
          } else {
            // Floats accumulate in double, integers in their own type (wrapping like numpy).
            using Acc = std::conditional_t<std::is_integral_v<T>, T, double>;
            const T* p = x->data<T>();
            T* o = out->data<T>();
            for (int64_t ou = 0; ou < outer; ++ou) {
              for (int64_t in = 0; in < inner; ++in) {
                Acc acc{};
                for (int64_t s = 0; s < d; ++s) {
                  const int64_t i = reverse ? d - 1 - s : s;
                  const int64_t off = (ou * d + i) * inner + in;
                  const Acc v = ConvertElement<Acc>(p[off]);
                  if (!exclusive) acc = WrapAdd(acc, v);
                  o[off] = ConvertElement<T>(acc);
                  if (exclusive) acc = WrapAdd(acc, v);
                }
              }
            }
            return Status::Ok();
          }
        },
        [&] { return UnsupportedType("CumSum", x->dtype()); });
  });
}

}  // namespace

INFERD_REGISTER_KERNEL(Compress, {"", "Compress", 9, 1000, 0, "ref", &CreateCompress});
INFERD_REGISTER_KERNEL(NonZero, {"", "NonZero", 9, 1000, 0, "ref", &CreateNonZero});
INFERD_REGISTER_KERNEL(Trilu, {"", "Trilu", 14, 1000, 0, "ref", &CreateTrilu});
INFERD_REGISTER_KERNEL(ReverseSequence, {"", "ReverseSequence", 10, 1000, 0, "ref", &CreateReverseSequence});
INFERD_REGISTER_KERNEL(CumSum, {"", "CumSum", 11, 1000, 0, "ref", &CreateCumSum});

}  // namespace inferd::ref
