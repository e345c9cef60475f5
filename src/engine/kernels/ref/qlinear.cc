// Reference QLinearConv and QLinearMatMul: 8-bit in, 8-bit out.
//   acc = sum (x - x_zp) * (w - w_zp)  (+ int32 bias for QLinearConv)
//   y   = saturate(round_half_even(acc * x_scale * w_scale / y_scale) + y_zp)
// Weight (QLinearConv) scales and zero points may be per output channel;
// QLinearMatMul's may be per row of a / per column of b.
#include <cmath>
#include <functional>

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/integer_compute.h"
#include "engine/kernels/ref/quant_util.h"

namespace inferd::ref {
namespace {

Result<std::vector<float>> ReadScales(const Tensor* t, int64_t allowed, const std::string& where,
                                      const std::string& name) {
  if (t == nullptr) return InvalidArgument(where + ": missing input " + name);
  if (t->dtype() != DType::kFloat32)
    return InvalidArgument(where + ": " + name + " must be float, got " + std::string(DTypeOnnxName(t->dtype())));
  if (t->numel() != 1 && t->numel() != allowed)
    return InvalidArgument(where + ": " + name + " has shape " + ShapeToString(t->shape()) + "; expected 1 or " +
                           std::to_string(allowed) + " values");
  std::vector<float> v(t->data<float>(), t->data<float>() + t->numel());
  for (float s : v)
    if (!(s > 0.0f) || !std::isfinite(s)) return InvalidArgument(where + ": " + name + " must be positive and finite");
  return v;
}

template <class V>
auto Pick(const std::vector<V>& v, int64_t i) {
  return v[v.size() == 1 ? 0 : static_cast<size_t>(i)];
}

// Writes acc requantized to y's type (the type of y_zero_point, uint8 by default).
Status Requantize(KernelContext& ctx, const Shape& shape, const std::vector<int32_t>& acc, DType out_type,
                  const std::function<double(int64_t)>& multiplier, const std::function<int32_t(int64_t)>& zero_point,
                  const std::string& where) {
  if (!IsEightBit(out_type))
    return InvalidArgument(where + ": y_zero_point must be uint8 or int8, got " + std::string(DTypeOnnxName(out_type)));
  ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, out_type, shape));
  for (size_t i = 0; i < acc.size(); ++i) {
    const int64_t j = static_cast<int64_t>(i);
    const double v = std::nearbyint(static_cast<double>(acc[i]) * multiplier(j)) + zero_point(j);
    if (out_type == DType::kUint8) {
      y->data<uint8_t>()[i] = RoundSaturate<uint8_t>(v);
    } else {
      y->data<int8_t>()[i] = RoundSaturate<int8_t>(v);
    }
  }
  return Status::Ok();
}

class QLinearConvKernel final : public Kernel {
 public:
  QLinearConvKernel(WindowAttrs attrs, int64_t group, std::string where)
      : attrs_(std::move(attrs)), group_(group), where_(std::move(where)) {}

  Status Run(KernelContext& ctx) const override {
    auto in = [&](int i) { return ctx.num_inputs() > i ? ctx.input(i) : nullptr; };
    const Tensor* x = in(0);
    const Tensor* w = in(3);
    if (x == nullptr || w == nullptr) return InvalidArgument(where_ + ": needs inputs x and w");
    const int64_t maps = w->rank() > 0 ? w->dim(0) : 1;
    ASSIGN_OR_RETURN(std::vector<float> xs, ReadScales(in(1), 1, where_, "x_scale"));
    ASSIGN_OR_RETURN(std::vector<int32_t> xzp, ReadZeroPoints(in(2), 1, where_, "x_zero_point"));
    ASSIGN_OR_RETURN(std::vector<float> ws, ReadScales(in(4), maps, where_, "w_scale"));
    ASSIGN_OR_RETURN(std::vector<int32_t> wzp, ReadZeroPoints(in(5), maps, where_, "w_zero_point"));
    ASSIGN_OR_RETURN(std::vector<float> ys, ReadScales(in(6), 1, where_, "y_scale"));
    ASSIGN_OR_RETURN(std::vector<int32_t> yzp, ReadZeroPoints(in(7), 1, where_, "y_zero_point"));
    if (in(2) != nullptr && in(2)->dtype() != x->dtype())
      return InvalidArgument(where_ + ": x_zero_point type differs from x's");
    ASSIGN_OR_RETURN(IntegerConvResult r,
                     IntegerConv(*x, xzp[0], *w, wzp, in(8), attrs_, group_, where_, ctx.num_threads()));
    const int64_t plane = r.shape.size() > 2 ? ShapeNumel(Shape(r.shape.begin() + 2, r.shape.end())) : 1;
    const DType out_type = in(7) != nullptr ? in(7)->dtype() : x->dtype();
    return Requantize(
        ctx, r.shape, r.acc, out_type,
        [&](int64_t i) {
          const int64_t m = plane == 0 ? 0 : (i / plane) % maps;
          return static_cast<double>(xs[0]) * Pick(ws, m) / ys[0];
        },
        [&](int64_t) { return yzp[0]; }, where_);
  }

 private:
  WindowAttrs attrs_;
  int64_t group_;
  std::string where_;
};

class QLinearMatMulKernel final : public Kernel {
 public:
  explicit QLinearMatMulKernel(std::string where) : where_(std::move(where)) {}

  Status Run(KernelContext& ctx) const override {
    auto in = [&](int i) { return ctx.num_inputs() > i ? ctx.input(i) : nullptr; };
    const Tensor* a = in(0);
    const Tensor* b = in(3);
    if (a == nullptr || b == nullptr) return InvalidArgument(where_ + ": needs inputs a and b");
    const int64_t rows = a->rank() >= 2 ? a->dim(a->rank() - 2) : 1;
    const int64_t cols = b->rank() >= 2 ? b->dim(b->rank() - 1) : 1;
    ASSIGN_OR_RETURN(std::vector<float> as, ReadScales(in(1), rows, where_, "a_scale"));
    ASSIGN_OR_RETURN(std::vector<int32_t> azp, ReadZeroPoints(in(2), rows, where_, "a_zero_point"));
    ASSIGN_OR_RETURN(std::vector<float> bs, ReadScales(in(4), cols, where_, "b_scale"));
    ASSIGN_OR_RETURN(std::vector<int32_t> bzp, ReadZeroPoints(in(5), cols, where_, "b_zero_point"));
    ASSIGN_OR_RETURN(std::vector<float> ys, ReadScales(in(6), rows, where_, "y_scale"));
    ASSIGN_OR_RETURN(std::vector<int32_t> yzp, ReadZeroPoints(in(7), rows, where_, "y_zero_point"));
    ASSIGN_OR_RETURN(IntegerMatMulResult r, IntegerMatMul(*a, azp, *b, bzp, where_, ctx.num_threads()));
    const int64_t M = r.rows, N = r.cols;
    const DType out_type = in(7) != nullptr ? in(7)->dtype() : a->dtype();
    return Requantize(
        ctx, r.shape, r.acc, out_type,
        [&](int64_t i) {
          const int64_t m = (i / N) % M, n = i % N;
          return static_cast<double>(Pick(as, m)) * Pick(bs, n) / Pick(ys, m);
        },
        [&](int64_t i) { return Pick(yzp, (i / N) % M); }, where_);
  }

 private:
  std::string where_;
};

Result<std::unique_ptr<Kernel>> CreateQLinearConv(const KernelInfo& info) {
  ASSIGN_OR_RETURN(WindowAttrs attrs, ParseWindowAttrs(info));
  const int64_t group = info.GetInt("group", 1);
  if (group <= 0) return info.Error("attribute 'group' must be positive, got " + std::to_string(group));
  return std::unique_ptr<Kernel>(std::make_unique<QLinearConvKernel>(std::move(attrs), group, info.node().Describe()));
}

Result<std::unique_ptr<Kernel>> CreateQLinearMatMul(const KernelInfo& info) {
  return std::unique_ptr<Kernel>(std::make_unique<QLinearMatMulKernel>(info.node().Describe()));
}

}  // namespace

INFERD_REGISTER_KERNEL(QLinearConv, {"", "QLinearConv", 10, 1000, 0, "ref", &CreateQLinearConv});
INFERD_REGISTER_KERNEL(QLinearMatMul, {"", "QLinearMatMul", 10, 1000, 0, "ref", &CreateQLinearMatMul});

}  // namespace inferd::ref
