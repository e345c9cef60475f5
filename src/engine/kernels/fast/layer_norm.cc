// Fast inferd.LayerNormalization (FP32): one vectorised pass per row for the
// mean, one for the variance, one to normalise (fast/vec_math.h); a Skip
// input is added into the output first, which is then normalised in place.
// Scale and B are used in place when they already have the normalised size,
// else broadcast into a per-run copy. Stateless: safe to run from many threads.
#include <vector>

#include "engine/kernels/fast/vec_math.h"
#include "engine/kernels/internal_ops.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/ref/common.h"

namespace inferd::fast {
namespace {

class LayerNormKernel final : public Kernel {
 public:
  LayerNormKernel(std::string node, int64_t axis, float eps) : node_(std::move(node)), axis_(axis), eps_(eps) {}
  std::string_view name() const override { return "fast.layernorm"; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* scale = ctx.input(1);
    const Tensor* bias = ctx.input(2);
    if (x == nullptr || scale == nullptr) return InvalidArgument(node_ + ": needs inputs X and Scale");
    for (const Tensor* t : {x, scale, bias})
      if (t != nullptr && t->dtype() != DType::kFloat32)
        return InvalidArgument(node_ + ": takes FP32 inputs, got " + std::string(DTypeName(t->dtype())));
    if (x->rank() == 0) return InvalidArgument(node_ + ": X must have rank >= 1, got a scalar");
    ASSIGN_OR_RETURN(int64_t axis, ref::NormalizeAxis(axis_, x->rank(), node_ + ": axis"));
    const Shape norm(x->shape().begin() + axis, x->shape().end());
    const int64_t cols = ShapeNumel(norm);
    std::vector<float> scale_buf, bias_buf;
    ASSIGN_OR_RETURN(const float* s, Param(*scale, norm, "Scale", scale_buf));
    const float* b = nullptr;
    if (bias != nullptr) {
      ASSIGN_OR_RETURN(b, Param(*bias, norm, "B", bias_buf));
    }
    const Tensor* skip = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    if (skip != nullptr && skip->dtype() != DType::kFloat32)
      return InvalidArgument(node_ + ": takes FP32 inputs, got Skip " + std::string(DTypeName(skip->dtype())));
    Shape out_shape = x->shape();
    if (skip != nullptr) {
      auto shape = ref::BroadcastShapes({x->shape(), skip->shape()});
      if (!shape.ok())
        return InvalidArgument(node_ + ": X " + ShapeToString(x->shape()) + " and Skip " +
                               ShapeToString(skip->shape()) + " do not broadcast");
      out_shape = *shape;
      if (Shape(out_shape.begin() + axis, out_shape.end()) != norm)
        return InvalidArgument(node_ + ": Skip " + ShapeToString(skip->shape()) +
                               " changes the normalized dims of X " + ShapeToString(x->shape()));
    }
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, out_shape));
    if (cols == 0) return Status::Ok();
    const float* in = x->data<float>();
    if (skip != nullptr) {  // X + Skip into the output, then normalised in place
      float* o = out->data<float>();
      if (skip->shape() == x->shape()) {
        AddArrays(in, skip->data<float>(), o, x->numel(), ctx.num_threads());
      } else {
        ref::BroadcastIndexer idx(out_shape, {x->shape(), skip->shape()});
        for (int64_t i = 0; i < out->numel(); ++i, idx.Next())
          o[i] = in[idx.offset(0)] + skip->data<float>()[idx.offset(1)];
      }
      in = o;
    }
    LayerNormRows(in, s, b, out->data<float>(), out->numel() / cols, cols, eps_, ctx.num_threads());
    return Status::Ok();
  }

 private:
  // The parameter as `norm`-shaped contiguous floats.
  Result<const float*> Param(const Tensor& t, const Shape& norm, const char* what, std::vector<float>& buf) const {
    auto b = ref::BroadcastShapes({t.shape(), norm});
    if (!b.ok() || *b != norm)
      return InvalidArgument(node_ + ": input '" + what + "' " + ShapeToString(t.shape()) +
                             " does not broadcast to the normalized shape " + ShapeToString(norm));
    if (t.shape() == norm) return t.data<float>();
    const int64_t n = ShapeNumel(norm);
    buf.resize(static_cast<size_t>(n));
    ref::BroadcastIndexer idx(norm, {t.shape()});
    for (int64_t i = 0; i < n; ++i, idx.Next()) buf[static_cast<size_t>(i)] = t.data<float>()[idx.offset(0)];
    return buf.data();
  }

  std::string node_;
  int64_t axis_;
  float eps_;
};

Result<std::unique_ptr<Kernel>> CreateLayerNorm(const KernelInfo& info) {
  for (int i : {0, 1, 2, 3}) {
    const DType t = info.input_dtype(i);
    if (info.has_input(i) && t != DType::kUndefined && t != DType::kFloat32)
      return Unimplemented(info.node().Describe() + ": fast.layernorm takes FP32");
  }
  return std::unique_ptr<Kernel>(std::make_unique<LayerNormKernel>(info.node().Describe(), info.GetInt("axis", -1),
                                                                   info.GetFloat("epsilon", 1e-5f)));
}

}  // namespace

INFERD_REGISTER_KERNEL(FastLayerNorm,
                       {std::string(kInternalDomain), "LayerNormalization", 0, 1000, 10, "fast", &CreateLayerNorm});

}  // namespace inferd::fast
