// Reference kernels that read or write at user-given indices: Gather,
// GatherElements, GatherND, ScatterElements (and its deprecated alias
// Scatter), ScatterND. Every index is bounds-checked; negative indices count
// from the end. Gathers and plain scatters move any dtype (strings too);
// scatter reductions (add, mul, max, min) need numeric types.
#include <algorithm>

#include "engine/kernels/ref/shape_util.h"

namespace inferd::ref {
namespace {

Result<std::unique_ptr<Kernel>> MakeKernel(FunctionKernel::Fn fn) {
  return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>(std::move(fn)));
}

Status NeedInputs(KernelContext& ctx, int n) {
  for (int i = 0; i < n; ++i)
    if (ctx.input(i) == nullptr) return InvalidArgument("input " + std::to_string(i) + " is missing");
  return Status::Ok();
}

std::string AxisWhat(int64_t axis) { return "index along axis " + std::to_string(axis); }

// ------------------------------------------------------------------ Gather

Result<std::unique_ptr<Kernel>> CreateGather(const KernelInfo& info) {
  const int64_t axis = info.GetInt("axis", 0);
  return MakeKernel([axis](KernelContext& ctx) -> Status {
    RETURN_IF_ERROR(NeedInputs(ctx, 2));
    const Tensor& data = *ctx.input(0);
    if (data.rank() < 1) return InvalidArgument("data must have rank >= 1");
    ASSIGN_OR_RETURN(const int64_t a, NormalizeAxis(axis, data.rank()));
    ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadInts(*ctx.input(1), "indices"));
    const int64_t d = data.dim(a);
    for (auto& i : idx) {
      ASSIGN_OR_RETURN(i, CheckIndex(i, d, AxisWhat(a)));
    }
    Shape out_shape(data.shape().begin(), data.shape().begin() + a);
    for (int64_t s : ctx.input(1)->shape()) out_shape.push_back(s);
    out_shape.insert(out_shape.end(), data.shape().begin() + a + 1, data.shape().end());
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, data.dtype(), out_shape));
    int64_t outer = 1, inner = 1;
    for (int64_t k = 0; k < data.rank(); ++k)
      if (k < a) outer *= data.dim(k);
      else if (k > a) inner *= data.dim(k);
    const int64_t n = static_cast<int64_t>(idx.size());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < n; ++j)
        CopyRange(data, (o * d + idx[static_cast<size_t>(j)]) * inner, *out, (o * n + j) * inner, inner);
    return Status::Ok();
  });
}

// ---------------------------------------------------------- GatherElements

// Checks that indices/updates have data's rank and fit inside it off the axis.
Status CheckElementwiseShapes(const Tensor& data, const Tensor& indices, int64_t a) {
  if (indices.rank() != data.rank())
    return InvalidArgument("indices " + ShapeToString(indices.shape()) + " must have the rank of data " +
                           ShapeToString(data.shape()));
  for (int64_t k = 0; k < data.rank(); ++k)
    if (k != a && indices.dim(k) > data.dim(k))
      return InvalidArgument("indices " + ShapeToString(indices.shape()) + " exceed data " +
                             ShapeToString(data.shape()) + " in dimension " + std::to_string(k));
  return Status::Ok();
}

// Calls fn(i, data_offset) for each element i of `indices` (row-major), where
// data_offset addresses data at i's position with the axis coordinate
// replaced by the (checked) index value.
template <class Fn>
Status ForEachElementIndex(const Tensor& data, const Tensor& indices, const std::vector<int64_t>& idx, int64_t a,
                           Fn&& fn) {
  const auto ds = Strides(data.shape());
  const Shape& is = indices.shape();
  std::vector<int64_t> pos(is.size(), 0);
  for (int64_t i = 0; i < indices.numel(); ++i) {
    ASSIGN_OR_RETURN(const int64_t v, CheckIndex(idx[static_cast<size_t>(i)], data.dim(a), AxisWhat(a)));
    int64_t off = 0;
    for (size_t k = 0; k < is.size(); ++k) off += (static_cast<int64_t>(k) == a ? v : pos[k]) * ds[k];
    fn(i, off);
    for (size_t k = is.size(); k-- > 0;) {
      if (++pos[k] < is[k]) break;
      pos[k] = 0;
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<Kernel>> CreateGatherElements(const KernelInfo& info) {
  const int64_t axis = info.GetInt("axis", 0);
  return MakeKernel([axis](KernelContext& ctx) -> Status {
    RETURN_IF_ERROR(NeedInputs(ctx, 2));
    const Tensor& data = *ctx.input(0);
    const Tensor& indices = *ctx.input(1);
    if (data.rank() < 1) return InvalidArgument("data must have rank >= 1");
    ASSIGN_OR_RETURN(const int64_t a, NormalizeAxis(axis, data.rank()));
    RETURN_IF_ERROR(CheckElementwiseShapes(data, indices, a));
    ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadInts(indices, "indices"));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, data.dtype(), indices.shape()));
    return ForEachElementIndex(data, indices, idx, a,
                               [&](int64_t i, int64_t off) { CopyElement(data, off, *out, i); });
  });
}

// ---------------------------------------------------------------- GatherND

Result<std::unique_ptr<Kernel>> CreateGatherND(const KernelInfo& info) {
  const int64_t b = info.GetInt("batch_dims", 0);
  if (b < 0) return info.Error("batch_dims must be >= 0, got " + std::to_string(b));
  return MakeKernel([b](KernelContext& ctx) -> Status {
    RETURN_IF_ERROR(NeedInputs(ctx, 2));
    const Tensor& data = *ctx.input(0);
    const Tensor& indices = *ctx.input(1);
    const int64_t r = data.rank(), q = indices.rank();
    if (r < 1 || q < 1) return InvalidArgument("data and indices must have rank >= 1");
    if (b >= std::min(r, q)) return InvalidArgument("batch_dims " + std::to_string(b) + " must be less than both ranks");
    for (int64_t k = 0; k < b; ++k)
      if (data.dim(k) != indices.dim(k))
        return InvalidArgument("batch dimension " + std::to_string(k) + " differs: data " +
                               ShapeToString(data.shape()) + ", indices " + ShapeToString(indices.shape()));
    const int64_t k_len = indices.dim(q - 1);
    if (k_len < 1 || k_len > r - b)
      return InvalidArgument("indices' last dimension (" + std::to_string(k_len) + ") must be in [1, " +
                             std::to_string(r - b) + "]");
    Shape out_shape(indices.shape().begin(), indices.shape().end() - 1);
    out_shape.insert(out_shape.end(), data.shape().begin() + b + k_len, data.shape().end());
    ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadInts(indices, "indices"));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, data.dtype(), out_shape));
    const auto ds = Strides(data.shape());
    int64_t batches = 1;
    for (int64_t k = 0; k < b; ++k) batches *= data.dim(k);
    const int64_t batch_stride = b > 0 ? ds[static_cast<size_t>(b - 1)] : data.numel();
    const int64_t slice = b + k_len < r ? ds[static_cast<size_t>(b + k_len - 1)] : 1;
    const int64_t tuples = batches > 0 ? indices.numel() / k_len / batches : 0;
    for (int64_t bt = 0; bt < batches; ++bt) {
      for (int64_t t = 0; t < tuples; ++t) {
        const int64_t row = (bt * tuples + t) * k_len;
        int64_t off = bt * batch_stride;
        for (int64_t j = 0; j < k_len; ++j) {
          ASSIGN_OR_RETURN(const int64_t v, CheckIndex(idx[static_cast<size_t>(row + j)], data.dim(b + j),
                                                       AxisWhat(b + j)));
          off += v * ds[static_cast<size_t>(b + j)];
        }
        CopyRange(data, off, *out, (bt * tuples + t) * slice, slice);
      }
    }
    return Status::Ok();
  });
}

// ---------------------------------------------------------------- Scatters

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

Result<Reduction> ParseReduction(const KernelInfo& info) {
  const std::string r = info.GetString("reduction", "none");
  if (r == "none") return Reduction::kNone;
  if (r == "add") return Reduction::kAdd;
  if (r == "mul") return Reduction::kMul;
  if (r == "max") return Reduction::kMax;
  if (r == "min") return Reduction::kMin;
  return info.Error("reduction must be none, add, mul, max or min, got '" + r + "'");
}

template <class T>
T Combine(Reduction red, T a, T b) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return T::FromFloat(Combine<float>(red, a.ToFloat(), b.ToFloat()));
  } else if constexpr (std::is_same_v<T, bool>) {
    switch (red) {
      case Reduction::kAdd: case Reduction::kMax: return a || b;
      case Reduction::kMul: case Reduction::kMin: return a && b;
      default: return b;
    }
  } else {
    switch (red) {
      case Reduction::kAdd: return static_cast<T>(a + b);
      case Reduction::kMul: return static_cast<T>(a * b);
      case Reduction::kMax: return std::max(a, b);
      case Reduction::kMin: return std::min(a, b);
      default: return b;
    }
  }
}

// Writes updates[ui .. ui+count) into out[oi ..) under `red`.
Status ScatterRange(const Tensor& updates, int64_t ui, Tensor& out, int64_t oi, int64_t count, Reduction red,
                    const std::string& op) {
  if (red == Reduction::kNone) {
    CopyRange(updates, ui, out, oi, count);
    return Status::Ok();
  }
  return DispatchAll(
      out.dtype(),
      [&](auto tag) -> Status {
        using T = decltype(tag);
        const T* u = updates.data<T>() + ui;
        T* o = out.data<T>() + oi;
        for (int64_t k = 0; k < count; ++k) o[k] = Combine<T>(red, o[k], u[k]);
        return Status::Ok();
      },
      [&] { return UnsupportedType(op, out.dtype(), "reduction on data"); });
}

Result<std::unique_ptr<Kernel>> CreateScatterElements(const KernelInfo& info) {
  const int64_t axis = info.GetInt("axis", 0);
  ASSIGN_OR_RETURN(const Reduction red, ParseReduction(info));
  const std::string op = info.op_type();
  return MakeKernel([axis, red, op](KernelContext& ctx) -> Status {
    RETURN_IF_ERROR(NeedInputs(ctx, 3));
    const Tensor& data = *ctx.input(0);
    const Tensor& indices = *ctx.input(1);
    const Tensor& updates = *ctx.input(2);
    if (data.rank() < 1) return InvalidArgument("data must have rank >= 1");
    if (updates.dtype() != data.dtype()) return InvalidArgument("updates must have the type of data");
    if (updates.shape() != indices.shape())
      return InvalidArgument("updates " + ShapeToString(updates.shape()) + " must have the shape of indices " +
                             ShapeToString(indices.shape()));
    ASSIGN_OR_RETURN(const int64_t a, NormalizeAxis(axis, data.rank()));
    RETURN_IF_ERROR(CheckElementwiseShapes(data, indices, a));
    ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadInts(indices, "indices"));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, data.dtype(), data.shape()));
    CopyRange(data, 0, *out, 0, data.numel());
    Status st;
    RETURN_IF_ERROR(ForEachElementIndex(data, indices, idx, a, [&](int64_t i, int64_t off) {
      if (st.ok()) st = ScatterRange(updates, i, *out, off, 1, red, op);
    }));
    return st;
  });
}

Result<std::unique_ptr<Kernel>> CreateScatterND(const KernelInfo& info) {
  ASSIGN_OR_RETURN(const Reduction red, ParseReduction(info));
  return MakeKernel([red](KernelContext& ctx) -> Status {
    RETURN_IF_ERROR(NeedInputs(ctx, 3));
    const Tensor& data = *ctx.input(0);
    const Tensor& indices = *ctx.input(1);
    const Tensor& updates = *ctx.input(2);
    const int64_t r = data.rank(), q = indices.rank();
    if (r < 1 || q < 1) return InvalidArgument("data and indices must have rank >= 1");
    if (updates.dtype() != data.dtype()) return InvalidArgument("updates must have the type of data");
    const int64_t k_len = indices.dim(q - 1);
    if (k_len < 1 || k_len > r)
      return InvalidArgument("indices' last dimension (" + std::to_string(k_len) + ") must be in [1, " +
                             std::to_string(r) + "]");
    Shape want(indices.shape().begin(), indices.shape().end() - 1);
    want.insert(want.end(), data.shape().begin() + k_len, data.shape().end());
    if (updates.shape() != want)
      return InvalidArgument("updates have shape " + ShapeToString(updates.shape()) + ", expected " +
                             ShapeToString(want));
    ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadInts(indices, "indices"));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, data.dtype(), data.shape()));
    CopyRange(data, 0, *out, 0, data.numel());
    const auto ds = Strides(data.shape());
    const int64_t slice = k_len < r ? ds[static_cast<size_t>(k_len - 1)] : 1;
    const int64_t tuples = indices.numel() / k_len;
    for (int64_t t = 0; t < tuples; ++t) {
      int64_t off = 0;
      for (int64_t j = 0; j < k_len; ++j) {
        ASSIGN_OR_RETURN(const int64_t v,
                         CheckIndex(idx[static_cast<size_t>(t * k_len + j)], data.dim(j), AxisWhat(j)));
        off += v * ds[static_cast<size_t>(j)];
      }
      RETURN_IF_ERROR(ScatterRange(updates, t * slice, *out, off, slice, red, "ScatterND"));
    }
    return Status::Ok();
  });
}

}  // namespace

INFERD_REGISTER_KERNEL(Gather, {"", "Gather", 1, 1000, 0, "ref", &CreateGather});
INFERD_REGISTER_KERNEL(GatherElements, {"", "GatherElements", 11, 1000, 0, "ref", &CreateGatherElements});
INFERD_REGISTER_KERNEL(GatherND, {"", "GatherND", 11, 1000, 0, "ref", &CreateGatherND});
INFERD_REGISTER_KERNEL(ScatterElements, {"", "ScatterElements", 11, 1000, 0, "ref", &CreateScatterElements});
// Scatter (opset 9-10) is the deprecated name of ScatterElements without reduction.
INFERD_REGISTER_KERNEL(Scatter, {"", "Scatter", 9, 10, 0, "ref", &CreateScatterElements});
INFERD_REGISTER_KERNEL(ScatterND, {"", "ScatterND", 11, 1000, 0, "ref", &CreateScatterND});

}  // namespace inferd::ref
