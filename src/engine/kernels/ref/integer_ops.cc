// Reference MatMulInteger and ConvInteger: 8-bit inputs with zero points,
// exact int32 outputs.
#include <algorithm>

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/integer_compute.h"

namespace inferd::ref {
namespace {

Status CopyOut(KernelContext& ctx, const Shape& shape, const std::vector<int32_t>& acc) {
  ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DType::kInt32, shape));
  std::copy(acc.begin(), acc.end(), y->data<int32_t>());
  return Status::Ok();
}

class MatMulIntegerKernel final : public Kernel {
 public:
  explicit MatMulIntegerKernel(std::string where) : where_(std::move(where)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    if (a == nullptr || b == nullptr) return InvalidArgument(where_ + ": needs inputs A and B");
    const Tensor* azp = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    const Tensor* bzp = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    const int64_t rows = a->rank() >= 2 ? a->dim(a->rank() - 2) : 1;
    const int64_t cols = b->rank() >= 2 ? b->dim(b->rank() - 1) : 1;
    ASSIGN_OR_RETURN(std::vector<int32_t> a_zp, ReadZeroPoints(azp, rows, where_, "a_zero_point"));
    ASSIGN_OR_RETURN(std::vector<int32_t> b_zp, ReadZeroPoints(bzp, cols, where_, "b_zero_point"));
    ASSIGN_OR_RETURN(IntegerMatMulResult r, IntegerMatMul(*a, a_zp, *b, b_zp, where_, ctx.num_threads()));
    return CopyOut(ctx, r.shape, r.acc);
  }

 private:
  std::string where_;
};

class ConvIntegerKernel final : public Kernel {
 public:
  ConvIntegerKernel(WindowAttrs attrs, int64_t group, std::string where)
      : attrs_(std::move(attrs)), group_(group), where_(std::move(where)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* w = ctx.input(1);
    if (x == nullptr || w == nullptr) return InvalidArgument(where_ + ": needs inputs x and w");
    const Tensor* xzp = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    const Tensor* wzp = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    ASSIGN_OR_RETURN(std::vector<int32_t> x_zp, ReadZeroPoints(xzp, 1, where_, "x_zero_point"));
    const int64_t maps = w->rank() > 0 ? w->dim(0) : 1;
    ASSIGN_OR_RETURN(std::vector<int32_t> w_zp, ReadZeroPoints(wzp, maps, where_, "w_zero_point"));
    ASSIGN_OR_RETURN(IntegerConvResult r,
                     IntegerConv(*x, x_zp[0], *w, w_zp, nullptr, attrs_, group_, where_, ctx.num_threads()));
    return CopyOut(ctx, r.shape, r.acc);
  }

 private:
  WindowAttrs attrs_;
  int64_t group_;
  std::string where_;
};

Result<std::unique_ptr<Kernel>> CreateMatMulInteger(const KernelInfo& info) {
  return std::unique_ptr<Kernel>(std::make_unique<MatMulIntegerKernel>(info.node().Describe()));
}

Result<std::unique_ptr<Kernel>> CreateConvInteger(const KernelInfo& info) {
  ASSIGN_OR_RETURN(WindowAttrs attrs, ParseWindowAttrs(info));
  const int64_t group = info.GetInt("group", 1);
  if (group <= 0) return info.Error("attribute 'group' must be positive, got " + std::to_string(group));
  return std::unique_ptr<Kernel>(std::make_unique<ConvIntegerKernel>(std::move(attrs), group, info.node().Describe()));
}

}  // namespace

INFERD_REGISTER_KERNEL(MatMulInteger, {"", "MatMulInteger", 10, 1000, 0, "ref", &CreateMatMulInteger});
INFERD_REGISTER_KERNEL(ConvInteger, {"", "ConvInteger", 10, 1000, 0, "ref", &CreateConvInteger});

}  // namespace inferd::ref
