// Reference kernels that change only a tensor's shape, never its elements:
// Reshape, Flatten, Squeeze, Unsqueeze (zero-copy views of the input), and
// Shape, Size (which read the shape). All dtypes, strings included.
#include <algorithm>

#include "engine/kernels/ref/shape_util.h"

namespace inferd::ref {
namespace {

Result<std::unique_ptr<Kernel>> MakeKernel(FunctionKernel::Fn fn) {
  return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>(std::move(fn)));
}

Result<const Tensor*> RequireInput(KernelContext& ctx, int i, const std::string& what) {
  const Tensor* t = ctx.input(i);
  if (t == nullptr) return InvalidArgument(what + " (input " + std::to_string(i) + ") is missing");
  return t;
}

// ----------------------------------------------------------------- Reshape

// The output shape of Reshape(input of `in`, `spec`): 0 copies the input's
// dim (unless allowzero), one -1 is inferred.
Result<Shape> ReshapeTarget(const Shape& in, const std::vector<int64_t>& spec, bool allowzero) {
  Shape out(spec.size());
  int infer_at = -1;
  int64_t known = 1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == -1) {
      if (infer_at >= 0) return InvalidArgument("shape " + ShapeToString(spec) + " has more than one -1");
      infer_at = static_cast<int>(i);
      continue;
    }
    if (d < -1) return InvalidArgument("shape " + ShapeToString(spec) + " has invalid dimension " + std::to_string(d));
    if (d == 0 && !allowzero) {
      if (i >= in.size())
        return InvalidArgument("shape " + ShapeToString(spec) + ": 0 at position " + std::to_string(i) +
                               " copies an input dimension, but the input " + ShapeToString(in) + " has rank " +
                               std::to_string(in.size()));
      d = in[i];
    }
    out[i] = d;
    if (d != 0 && known > INT64_MAX / d) return InvalidArgument("shape " + ShapeToString(spec) + " is too large");
    known *= d;
  }
  const int64_t numel = ShapeNumel(in);
  if (infer_at >= 0) {
    if (known == 0) {
      if (numel != 0)
        return InvalidArgument("cannot infer the -1 in shape " + ShapeToString(spec) + " for an input of shape " +
                               ShapeToString(in));
      out[static_cast<size_t>(infer_at)] = 0;
      if (allowzero) return InvalidArgument("shape " + ShapeToString(spec) + " has both 0 and -1 with allowzero=1");
    } else {
      if (numel % known != 0)
        return InvalidArgument("cannot reshape " + ShapeToString(in) + " to " + ShapeToString(spec) +
                               ": element counts differ");
      out[static_cast<size_t>(infer_at)] = numel / known;
    }
  } else if (known != numel) {
    return InvalidArgument("cannot reshape " + ShapeToString(in) + " (" + std::to_string(numel) + " elements) to " +
                           ShapeToString(out) + " (" + std::to_string(known) + " elements)");
  }
  return out;
}

Result<std::unique_ptr<Kernel>> CreateReshape(const KernelInfo& info) {
  const bool allowzero = info.GetInt("allowzero", 0) != 0;
  return MakeKernel([allowzero](KernelContext& ctx) -> Status {
    ASSIGN_OR_RETURN(const Tensor* x, RequireInput(ctx, 0, "data"));
    ASSIGN_OR_RETURN(std::vector<int64_t> spec, ReadIntsInput(ctx, 1, "shape"));
    ASSIGN_OR_RETURN(Shape out, ReshapeTarget(x->shape(), spec, allowzero));
    ASSIGN_OR_RETURN(Tensor view, x->Reshaped(std::move(out)));
    ctx.SetOutput(0, std::move(view));
    return Status::Ok();
  });
}

// ----------------------------------------------------------------- Flatten

Result<std::unique_ptr<Kernel>> CreateFlatten(const KernelInfo& info) {
  const int64_t axis = info.GetInt("axis", 1);
  return MakeKernel([axis](KernelContext& ctx) -> Status {
    ASSIGN_OR_RETURN(const Tensor* x, RequireInput(ctx, 0, "input"));
    const int64_t r = x->rank();
    if (axis < -r || axis > r)
      return InvalidArgument("axis " + std::to_string(axis) + " is out of range [" + std::to_string(-r) + ", " +
                             std::to_string(r) + "] for an input of rank " + std::to_string(r));
    const int64_t a = axis < 0 ? axis + r : axis;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < r; ++i) (i < a ? outer : inner) *= x->dim(i);
    ASSIGN_OR_RETURN(Tensor view, x->Reshaped({outer, inner}));
    ctx.SetOutput(0, std::move(view));
    return Status::Ok();
  });
}

// ------------------------------------------------------ Squeeze, Unsqueeze

// Axes come from the attribute before opset 13 and from input 1 from 13 on.
Result<std::optional<std::vector<int64_t>>> ReadAxes(KernelContext& ctx, bool from_input,
                                                     const std::optional<std::vector<int64_t>>& attr) {
  if (!from_input) return attr;
  if (ctx.input(1) == nullptr) return std::optional<std::vector<int64_t>>();
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, ReadInts(*ctx.input(1), "axes"));
  return std::optional<std::vector<int64_t>>(std::move(axes));
}

Result<std::unique_ptr<Kernel>> CreateSqueeze(const KernelInfo& info) {
  const bool from_input = info.opset() >= 13;
  std::optional<std::vector<int64_t>> attr;
  if (!from_input && info.HasAttribute("axes")) attr = info.GetInts("axes");
  return MakeKernel([from_input, attr](KernelContext& ctx) -> Status {
    ASSIGN_OR_RETURN(const Tensor* x, RequireInput(ctx, 0, "data"));
    ASSIGN_OR_RETURN(auto axes, ReadAxes(ctx, from_input, attr));
    const Shape& in = x->shape();
    std::vector<bool> drop(in.size(), false);
    if (axes) {
      ASSIGN_OR_RETURN(std::vector<int64_t> norm, NormalizeAxes(*axes, x->rank(), "axis"));
      for (int64_t a : norm) {
        if (in[static_cast<size_t>(a)] != 1)
          return InvalidArgument("cannot squeeze axis " + std::to_string(a) + " of shape " + ShapeToString(in) +
                                 ": its size is " + std::to_string(in[static_cast<size_t>(a)]) + ", not 1");
        drop[static_cast<size_t>(a)] = true;
      }
    } else {
      for (size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
    }
    Shape out;
    for (size_t i = 0; i < in.size(); ++i)
      if (!drop[i]) out.push_back(in[i]);
    ASSIGN_OR_RETURN(Tensor view, x->Reshaped(std::move(out)));
    ctx.SetOutput(0, std::move(view));
    return Status::Ok();
  });
}

Result<std::unique_ptr<Kernel>> CreateUnsqueeze(const KernelInfo& info) {
  const bool from_input = info.opset() >= 13;
  std::optional<std::vector<int64_t>> attr;
  if (!from_input) {
    ASSIGN_OR_RETURN(std::vector<int64_t> axes, info.RequireInts("axes"));
    attr = std::move(axes);
  }
  return MakeKernel([from_input, attr](KernelContext& ctx) -> Status {
    ASSIGN_OR_RETURN(const Tensor* x, RequireInput(ctx, 0, "data"));
    ASSIGN_OR_RETURN(auto axes, ReadAxes(ctx, from_input, attr));
    if (!axes) return InvalidArgument("axes (input 1) is missing");
    const int64_t out_rank = x->rank() + static_cast<int64_t>(axes->size());
    ASSIGN_OR_RETURN(std::vector<int64_t> norm, NormalizeAxes(*axes, out_rank, "axis"));
    Shape out(static_cast<size_t>(out_rank), 0);
    std::vector<bool> is_new(static_cast<size_t>(out_rank), false);
    for (int64_t a : norm) is_new[static_cast<size_t>(a)] = true;
    size_t next = 0;
    for (size_t i = 0; i < out.size(); ++i) out[i] = is_new[i] ? 1 : x->shape()[next++];
    ASSIGN_OR_RETURN(Tensor view, x->Reshaped(std::move(out)));
    ctx.SetOutput(0, std::move(view));
    return Status::Ok();
  });
}

// ------------------------------------------------------------ Shape, Size

Result<std::unique_ptr<Kernel>> CreateShape(const KernelInfo& info) {
  const int64_t start = info.GetInt("start", 0);
  const std::optional<int64_t> end =
      info.HasAttribute("end") ? std::optional<int64_t>(info.GetInt("end", 0)) : std::nullopt;
  return MakeKernel([start, end](KernelContext& ctx) -> Status {
    ASSIGN_OR_RETURN(const Tensor* x, RequireInput(ctx, 0, "data"));
    const int64_t r = x->rank();
    auto clamp = [r](int64_t v) { return std::clamp(v < 0 ? v + r : v, int64_t{0}, r); };
    const int64_t s = clamp(start), e = end ? clamp(*end) : r;
    const int64_t n = std::max<int64_t>(0, e - s);
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kInt64, {n}));
    for (int64_t i = 0; i < n; ++i) out->data<int64_t>()[i] = x->dim(s + i);
    return Status::Ok();
  });
}

Result<std::unique_ptr<Kernel>> CreateSize(const KernelInfo&) {
  return MakeKernel([](KernelContext& ctx) -> Status {
    ASSIGN_OR_RETURN(const Tensor* x, RequireInput(ctx, 0, "data"));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kInt64, {}));
    out->data<int64_t>()[0] = x->numel();
    return Status::Ok();
  });
}

}  // namespace

// Reshape-1 took the shape as an attribute; from 5 it is an input (allowzero from 14).
INFERD_REGISTER_KERNEL(Reshape, {"", "Reshape", 5, 1000, 0, "ref", &CreateReshape});
INFERD_REGISTER_KERNEL(Flatten, {"", "Flatten", 1, 1000, 0, "ref", &CreateFlatten});
INFERD_REGISTER_KERNEL(Squeeze, {"", "Squeeze", 1, 1000, 0, "ref", &CreateSqueeze});
INFERD_REGISTER_KERNEL(Unsqueeze, {"", "Unsqueeze", 1, 1000, 0, "ref", &CreateUnsqueeze});
INFERD_REGISTER_KERNEL(Shape, {"", "Shape", 1, 1000, 0, "ref", &CreateShape});
INFERD_REGISTER_KERNEL(Size, {"", "Size", 1, 1000, 0, "ref", &CreateSize});

}  // namespace inferd::ref
