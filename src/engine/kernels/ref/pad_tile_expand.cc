// Reference kernels that grow a tensor by repeating or padding it: Expand,
// Tile, Pad (constant, reflect, edge, wrap). Output shapes come from data and
// are validated (no negative dims, within the tensor size limit) before
// anything is allocated. All dtypes, strings included.
#include <algorithm>

#include "engine/kernels/ref/shape_util.h"

namespace inferd::ref {
namespace {

Result<std::unique_ptr<Kernel>> MakeKernel(FunctionKernel::Fn fn) {
  return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>(std::move(fn)));
}

// ------------------------------------------------------------------ Expand

Result<std::unique_ptr<Kernel>> CreateExpand(const KernelInfo&) {
  return MakeKernel([](KernelContext& ctx) -> Status {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument("input (input 0) is missing");
    ASSIGN_OR_RETURN(std::vector<int64_t> shape, ReadIntsInput(ctx, 1, "shape"));
    for (int64_t d : shape)
      if (d < 0) return InvalidArgument("shape " + ShapeToString(shape) + " has a negative dimension");
    ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes({x->shape(), shape}));
    RETURN_IF_ERROR(CheckComputedShape(out_shape, x->dtype(), "output shape"));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), out_shape));
    if (out->numel() == 0) return Status::Ok();
    return StridedCopy(*x, {0, BroadcastStrides(x->shape(), out_shape)}, *out, DenseView(out_shape), out_shape,
                       "Expand");
  });
}

// -------------------------------------------------------------------- Tile

Result<std::unique_ptr<Kernel>> CreateTile(const KernelInfo&) {
  return MakeKernel([](KernelContext& ctx) -> Status {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument("input (input 0) is missing");
    ASSIGN_OR_RETURN(std::vector<int64_t> repeats, ReadIntsInput(ctx, 1, "repeats"));
    if (static_cast<int64_t>(repeats.size()) != x->rank())
      return InvalidArgument("repeats has " + std::to_string(repeats.size()) + " entries but the input " +
                             ShapeToString(x->shape()) + " has rank " + std::to_string(x->rank()));
    for (int64_t r : repeats)
      if (r < 0) return InvalidArgument("repeats " + ShapeToString(repeats) + " has a negative entry");
    // View the output as [r0, d0, r1, d1, ...] reading the input with stride 0 over each r.
    Shape out_shape, split_shape;
    StridedView src;
    const auto in_strides = Strides(x->shape());
    for (size_t i = 0; i < repeats.size(); ++i) {
      const int64_t d = x->shape()[i];
      if (d != 0 && repeats[i] > INT64_MAX / d)
        return InvalidArgument("tiling " + ShapeToString(x->shape()) + " by " + ShapeToString(repeats) + " overflows");
      out_shape.push_back(d * repeats[i]);
      split_shape.push_back(repeats[i]);
      split_shape.push_back(d);
      src.strides.push_back(0);
      src.strides.push_back(in_strides[i]);
    }
    RETURN_IF_ERROR(CheckComputedShape(out_shape, x->dtype(), "output shape"));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), out_shape));
    if (out->numel() == 0) return Status::Ok();
    return StridedCopy(*x, src, *out, DenseView(split_shape), split_shape, "Tile");
  });
}

// --------------------------------------------------------------------- Pad

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

struct PadConfig {
  PadMode mode = PadMode::kConstant;
  bool from_inputs = false;         // opset 11+: pads, constant_value, axes are inputs
  std::vector<int64_t> pads_attr;   // opset 2-10
  float value_attr = 0;             // opset 2-10
};

// Source coordinate for output coordinate `i` of a dim of size `d` padded by
// `before`, or -1 where the constant is used.
int64_t SourceCoord(int64_t i, int64_t before, int64_t d, PadMode mode) {
  int64_t s = i - before;
  if (s >= 0 && s < d) return s;
  switch (mode) {
    case PadMode::kConstant: return -1;
    case PadMode::kEdge: return std::clamp<int64_t>(s, 0, d - 1);
    case PadMode::kWrap: return ((s % d) + d) % d;
    case PadMode::kReflect: {
      if (d == 1) return 0;
      const int64_t period = 2 * (d - 1);
      s = ((s % period) + period) % period;
      return s < d ? s : period - s;
    }
  }
  return -1;
}

// Constant mode: fill everything, then copy the part of the input that survives
// (negative pads crop) into its place with one strided copy.
Status PadConstant(const Tensor& x, const Tensor& fill, const std::vector<int64_t>& before,
                   const std::vector<int64_t>& after, Tensor& out) {
  RETURN_IF_ERROR(DispatchBySize(x.dtype(), "Pad", [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::fill_n(out.data<T>(), out.numel(), fill.data<T>()[0]);
    return Status::Ok();
  }));
  const Shape& in = x.shape();
  const auto in_strides = Strides(in);
  const auto out_strides = Strides(out.shape());
  StridedView src{0, in_strides}, dst{0, out_strides};
  Shape copy(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const int64_t skip_front = std::max<int64_t>(0, -before[i]);
    copy[i] = std::max<int64_t>(0, in[i] - skip_front - std::max<int64_t>(0, -after[i]));
    src.offset += skip_front * in_strides[i];
    dst.offset += std::max<int64_t>(0, before[i]) * out_strides[i];
  }
  if (ShapeNumel(copy) == 0) return Status::Ok();
  return StridedCopy(x, src, out, dst, copy, "Pad");
}

Status PadRun(KernelContext& ctx, const PadConfig& cfg) {
  const Tensor* x = ctx.input(0);
  if (x == nullptr) return InvalidArgument("data (input 0) is missing");
  const int64_t r = x->rank();
  std::vector<int64_t> pads = cfg.pads_attr;
  std::vector<int64_t> axes;
  Tensor fill;
  if (cfg.from_inputs) {
    ASSIGN_OR_RETURN(pads, ReadIntsInput(ctx, 1, "pads"));
    if (const Tensor* v = ctx.input(2); v != nullptr && v->numel() > 0) {
      if (v->dtype() != x->dtype()) return InvalidArgument("constant_value must have the type of data");
      fill = *v;
    }
    if (const Tensor* a = ctx.input(3); a != nullptr) {
      ASSIGN_OR_RETURN(std::vector<int64_t> raw, ReadInts(*a, "axes"));
      ASSIGN_OR_RETURN(axes, NormalizeAxes(raw, r, "axis"));
    }
  }
  if (!fill.defined()) {
    ASSIGN_OR_RETURN(fill, Tensor::Zeros(x->dtype(), {}));
    if (cfg.value_attr != 0) {
      RETURN_IF_ERROR(DispatchAll(
          x->dtype(),
          [&](auto tag) -> Status {
            using T = decltype(tag);
            fill.data<T>()[0] = ConvertElement<T>(cfg.value_attr);
            return Status::Ok();
          },
          [&] { return UnsupportedType("Pad", x->dtype(), "a non-zero value for data"); }));
    }
  }
  if (axes.empty() && !(cfg.from_inputs && ctx.input(3) != nullptr))
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  if (pads.size() != 2 * axes.size())
    return InvalidArgument("pads " + ShapeToString(pads) + " must have " + std::to_string(2 * axes.size()) +
                           " entries (two per padded axis) for data " + ShapeToString(x->shape()));
  std::vector<int64_t> before(static_cast<size_t>(r), 0), after(static_cast<size_t>(r), 0);
  for (size_t k = 0; k < axes.size(); ++k) {
    before[static_cast<size_t>(axes[k])] = pads[k];
    after[static_cast<size_t>(axes[k])] = pads[k + axes.size()];
  }
  Shape out_shape(static_cast<size_t>(r));
  for (size_t i = 0; i < out_shape.size(); ++i) {
    const int64_t d = x->shape()[i];
    if (before[i] < -kMaxTensorBytes || before[i] > kMaxTensorBytes || after[i] < -kMaxTensorBytes ||
        after[i] > kMaxTensorBytes)
      return InvalidArgument("pads " + ShapeToString(pads) + " are too large");
    out_shape[i] = d + before[i] + after[i];
    if (out_shape[i] < 0)
      return InvalidArgument("pads " + ShapeToString(pads) + " remove more than dimension " + std::to_string(i) +
                             " of " + ShapeToString(x->shape()) + " holds");
    if (d == 0 && out_shape[i] > 0 && cfg.mode != PadMode::kConstant)
      return InvalidArgument("cannot pad an empty dimension " + std::to_string(i) + " in this mode");
  }
  RETURN_IF_ERROR(CheckComputedShape(out_shape, x->dtype(), "output shape"));
  ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), out_shape));
  if (cfg.mode == PadMode::kConstant) return PadConstant(*x, fill, before, after, *out);
  // Per dimension, the source offset contribution of each output coordinate (-1: constant).
  const auto in_strides = Strides(x->shape());
  std::vector<std::vector<int64_t>> contrib(static_cast<size_t>(r));
  for (size_t i = 0; i < contrib.size(); ++i) {
    contrib[i].resize(static_cast<size_t>(out_shape[i]));
    for (int64_t o = 0; o < out_shape[i]; ++o) {
      const int64_t s = SourceCoord(o, before[i], x->shape()[i], cfg.mode);
      contrib[i][static_cast<size_t>(o)] = s < 0 ? -1 : s * in_strides[i];
    }
  }
  std::vector<int64_t> pos(static_cast<size_t>(r), 0);
  for (int64_t n = 0; n < out->numel(); ++n) {
    int64_t off = 0;
    bool inside = true;
    for (size_t i = 0; i < pos.size() && inside; ++i) {
      const int64_t c = contrib[i][static_cast<size_t>(pos[i])];
      if (c < 0) inside = false;
      off += c;
    }
    if (inside) CopyElement(*x, off, *out, n);
    else CopyElement(fill, 0, *out, n);
    for (size_t i = pos.size(); i-- > 0;) {
      if (++pos[i] < out_shape[i]) break;
      pos[i] = 0;
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<Kernel>> CreatePad(const KernelInfo& info) {
  PadConfig cfg;
  const std::string mode = info.GetString("mode", "constant");
  if (mode == "constant") cfg.mode = PadMode::kConstant;
  else if (mode == "reflect") cfg.mode = PadMode::kReflect;
  else if (mode == "edge") cfg.mode = PadMode::kEdge;
  else if (mode == "wrap") cfg.mode = PadMode::kWrap;
  else return info.Error("mode must be constant, reflect, edge or wrap, got '" + mode + "'");
  cfg.from_inputs = info.opset() >= 11;
  if (!cfg.from_inputs) {
    ASSIGN_OR_RETURN(cfg.pads_attr, info.RequireInts("pads"));
    cfg.value_attr = info.GetFloat("value", 0.0f);
  }
  return MakeKernel([cfg](KernelContext& ctx) { return PadRun(ctx, cfg); });
}

}  // namespace

INFERD_REGISTER_KERNEL(Expand, {"", "Expand", 8, 1000, 0, "ref", &CreateExpand});
// Tile-1 took (tiles, axis) inputs; from 6 it takes one repeats input.
INFERD_REGISTER_KERNEL(Tile, {"", "Tile", 6, 1000, 0, "ref", &CreateTile});
// Pad-1 used a `paddings` attribute; 2-10 `pads`/`value` attributes; from 11 inputs.
INFERD_REGISTER_KERNEL(Pad, {"", "Pad", 2, 1000, 0, "ref", &CreatePad});

}  // namespace inferd::ref
