// Fast inferd.LayerNormalization (FP32): one vectorised pass per row for the
// mean, one for the variance, one to normalise (fast/vec_math.h). Scale and B
// are used in place when they already have the normalised size, else
// broadcast into a per-run copy. Stateless: safe to run from many threads.
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
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, x->shape()));
    if (cols == 0) return Status::Ok();
    LayerNormRows(x->data<float>(), s, b, out->data<float>(), x->numel() / cols, cols, eps_, ctx.num_threads());
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
  for (int i : {0, 1, 2}) {
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
