// Reference kernels that cut and join tensors along axes: Slice, Concat,
// Split. All dtypes, strings included.
#include <algorithm>

#include "engine/kernels/ref/shape_util.h"

namespace inferd::ref {
namespace {

Result<std::unique_ptr<Kernel>> MakeKernel(FunctionKernel::Fn fn) {
  return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>(std::move(fn)));
}

// ------------------------------------------------------------------- Slice

struct SliceArgs {
  std::vector<int64_t> starts, ends;
  std::optional<std::vector<int64_t>> axes, steps;
};

Status SliceRun(KernelContext& ctx, const SliceArgs& args) {
  const Tensor* x = ctx.input(0);
  if (x == nullptr) return InvalidArgument("data (input 0) is missing");
  const size_t n = args.starts.size();
  if (args.ends.size() != n || (args.axes && args.axes->size() != n) || (args.steps && args.steps->size() != n))
    return InvalidArgument("starts, ends, axes and steps must have the same length (got " + std::to_string(n) + ", " +
                           std::to_string(args.ends.size()) + ", " +
                           (args.axes ? std::to_string(args.axes->size()) : "default") + ", " +
                           (args.steps ? std::to_string(args.steps->size()) : "default") + ")");
  std::vector<int64_t> axes(n);
  if (args.axes) {
    ASSIGN_OR_RETURN(axes, NormalizeAxes(*args.axes, x->rank(), "axis"));
  } else {
    for (size_t i = 0; i < n; ++i) axes[i] = static_cast<int64_t>(i);
    if (static_cast<int64_t>(n) > x->rank())
      return InvalidArgument(std::to_string(n) + " starts given for an input of rank " + std::to_string(x->rank()));
  }
  const Shape& in = x->shape();
  Shape out_shape = in;
  const auto in_strides = Strides(in);
  StridedView src{0, in_strides};
  for (size_t i = 0; i < n; ++i) {
    const size_t a = static_cast<size_t>(axes[i]);
    const int64_t d = in[a];
    const int64_t step = args.steps ? (*args.steps)[i] : 1;
    if (step == 0) return InvalidArgument("step for axis " + std::to_string(a) + " is 0");
    int64_t start = args.starts[i], end = args.ends[i];
    if (start < 0) start += d;
    if (end < 0) end += d;
    int64_t count;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, d);
      end = std::clamp<int64_t>(end, 0, d);
      count = end > start ? (end - start - 1) / step + 1 : 0;
    } else {
      start = std::clamp<int64_t>(start, -1, d - 1);
      end = std::clamp<int64_t>(end, -1, d - 1);
      count = start > end ? (start - end - 1) / (-step) + 1 : 0;
    }
    out_shape[a] = count;
    if (count > 0) src.offset += start * in_strides[a];
    // A step past the dimension takes one element either way; clamping it keeps the stride from overflowing.
    const int64_t bound = std::max<int64_t>(d, 1);
    src.strides[a] = in_strides[a] * std::clamp(step, -bound, bound);
  }
  ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), out_shape));
  if (out->numel() == 0) return Status::Ok();
  return StridedCopy(*x, src, *out, DenseView(out_shape), out_shape, "Slice");
}

Result<std::unique_ptr<Kernel>> CreateSlice(const KernelInfo& info) {
  if (info.opset() < 10) {
    SliceArgs args;
    ASSIGN_OR_RETURN(args.starts, info.RequireInts("starts"));
    ASSIGN_OR_RETURN(args.ends, info.RequireInts("ends"));
    if (info.HasAttribute("axes")) args.axes = info.GetInts("axes");
    return MakeKernel([args](KernelContext& ctx) { return SliceRun(ctx, args); });
  }
  return MakeKernel([](KernelContext& ctx) -> Status {
    SliceArgs args;
    ASSIGN_OR_RETURN(args.starts, ReadIntsInput(ctx, 1, "starts"));
    ASSIGN_OR_RETURN(args.ends, ReadIntsInput(ctx, 2, "ends"));
    if (ctx.input(3) != nullptr) {
      ASSIGN_OR_RETURN(std::vector<int64_t> axes, ReadInts(*ctx.input(3), "axes"));
      args.axes = std::move(axes);
    }
    if (ctx.input(4) != nullptr) {
      ASSIGN_OR_RETURN(std::vector<int64_t> steps, ReadInts(*ctx.input(4), "steps"));
      args.steps = std::move(steps);
    }
    return SliceRun(ctx, args);
  });
}

// ------------------------------------------------------------------ Concat

Result<std::unique_ptr<Kernel>> CreateConcat(const KernelInfo& info) {
  // Concat-1 had an optional axis defaulting to 1; from 4 it is required.
  int64_t axis = 1;
  if (info.opset() >= 4) {
    ASSIGN_OR_RETURN(axis, info.RequireInt("axis"));
  } else {
    axis = info.GetInt("axis", 1);
  }
  return MakeKernel([axis](KernelContext& ctx) -> Status {
    std::vector<const Tensor*> xs;
    for (int i = 0; i < ctx.num_inputs(); ++i)
      if (ctx.input(i) != nullptr) xs.push_back(ctx.input(i));
    if (xs.empty()) return InvalidArgument("Concat needs at least one input");
    const Tensor& first = *xs[0];
    ASSIGN_OR_RETURN(const int64_t a, NormalizeAxis(axis, first.rank()));
    if (first.rank() == 0) return InvalidArgument("cannot concatenate scalars");
    Shape out_shape = first.shape();
    out_shape[static_cast<size_t>(a)] = 0;
    for (size_t k = 0; k < xs.size(); ++k) {
      const Tensor& t = *xs[k];
      bool ok = t.dtype() == first.dtype() && t.rank() == first.rank();
      for (int64_t d = 0; ok && d < t.rank(); ++d)
        if (d != a && t.dim(d) != first.dim(d)) ok = false;
      if (!ok)
        return InvalidArgument("input " + std::to_string(k) + " (" + std::string(DTypeOnnxName(t.dtype())) + " " +
                               ShapeToString(t.shape()) + ") does not match input 0 (" +
                               std::string(DTypeOnnxName(first.dtype())) + " " + ShapeToString(first.shape()) +
                               ") outside axis " + std::to_string(a));
      out_shape[static_cast<size_t>(a)] += t.dim(a);
    }
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, first.dtype(), out_shape));
    StridedView dst = DenseView(out_shape);
    for (const Tensor* t : xs) {
      if (t->numel() > 0) RETURN_IF_ERROR(StridedCopy(*t, DenseView(t->shape()), *out, dst, t->shape(), "Concat"));
      dst.offset += t->dim(a) * dst.strides[static_cast<size_t>(a)];
    }
    return Status::Ok();
  });
}

// ------------------------------------------------------------------- Split

struct SplitConfig {
  int64_t axis = 0;
  std::optional<std::vector<int64_t>> split_attr;  // before opset 13
  bool split_from_input = false;                   // opset 13+
  int64_t num_outputs = 0;                          // opset 18+ attribute, 0 = absent
};

Status SplitRun(KernelContext& ctx, const SplitConfig& cfg) {
  const Tensor* x = ctx.input(0);
  if (x == nullptr) return InvalidArgument("input (input 0) is missing");
  ASSIGN_OR_RETURN(const int64_t a, NormalizeAxis(cfg.axis, x->rank()));
  const int64_t d = x->dim(a);
  const int64_t outputs = ctx.num_outputs();
  std::vector<int64_t> split;
  if (cfg.split_attr) {
    split = *cfg.split_attr;
  } else if (cfg.split_from_input && ctx.input(1) != nullptr) {
    ASSIGN_OR_RETURN(split, ReadInts(*ctx.input(1), "split"));
  }
  if (split.empty()) {
    if (cfg.num_outputs > 0) {
      const int64_t chunk = (d + cfg.num_outputs - 1) / cfg.num_outputs;
      for (int64_t i = 0, left = d; i < outputs; ++i, left -= chunk) split.push_back(std::clamp<int64_t>(left, 0, chunk));
    } else {
      if (d % outputs != 0)
        return InvalidArgument("axis " + std::to_string(a) + " of size " + std::to_string(d) +
                               " cannot be split evenly into " + std::to_string(outputs) + " outputs");
      split.assign(static_cast<size_t>(outputs), d / outputs);
    }
  }
  if (static_cast<int64_t>(split.size()) != outputs)
    return InvalidArgument("split " + ShapeToString(split) + " has " + std::to_string(split.size()) +
                           " entries for " + std::to_string(outputs) + " outputs");
  int64_t total = 0;
  for (int64_t s : split) {
    if (s < 0) return InvalidArgument("split " + ShapeToString(split) + " has a negative size");
    total += s;
  }
  if (total != d)
    return InvalidArgument("split " + ShapeToString(split) + " sums to " + std::to_string(total) + " but axis " +
                           std::to_string(a) + " has size " + std::to_string(d));
  StridedView src = DenseView(x->shape());
  for (int64_t i = 0; i < outputs; ++i) {
    Shape shape = x->shape();
    shape[static_cast<size_t>(a)] = split[static_cast<size_t>(i)];
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(static_cast<int>(i), x->dtype(), shape));
    if (out->numel() > 0) RETURN_IF_ERROR(StridedCopy(*x, src, *out, DenseView(shape), shape, "Split"));
    src.offset += split[static_cast<size_t>(i)] * src.strides[static_cast<size_t>(a)];
  }
  return Status::Ok();
}

Result<std::unique_ptr<Kernel>> CreateSplit(const KernelInfo& info) {
  SplitConfig cfg;
  cfg.axis = info.GetInt("axis", 0);
  if (info.opset() < 13) {
    if (info.HasAttribute("split")) cfg.split_attr = info.GetInts("split");
  } else {
    cfg.split_from_input = true;
  }
  if (info.opset() >= 18 && info.HasAttribute("num_outputs")) {
    cfg.num_outputs = info.GetInt("num_outputs", 0);
    if (cfg.num_outputs != info.num_outputs())
      return info.Error("num_outputs is " + std::to_string(cfg.num_outputs) + " but the node has " +
                        std::to_string(info.num_outputs()) + " outputs");
  }
  if (info.num_outputs() < 1) return info.Error("Split needs at least one output");
  return MakeKernel([cfg](KernelContext& ctx) { return SplitRun(ctx, cfg); });
}

}  // namespace

// Slice-1 takes starts/ends/axes as attributes; from 10 they are inputs (with steps).
INFERD_REGISTER_KERNEL(Slice, {"", "Slice", 1, 1000, 0, "ref", &CreateSlice});
INFERD_REGISTER_KERNEL(Concat, {"", "Concat", 1, 1000, 0, "ref", &CreateConcat});
// Split-1 could take `split` as a second input; from 2 it is an attribute, from 13 an input again.
INFERD_REGISTER_KERNEL(Split, {"", "Split", 2, 1000, 0, "ref", &CreateSplit});

}  // namespace inferd::ref
