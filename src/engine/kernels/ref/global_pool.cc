// Reference GlobalAveragePool, GlobalMaxPool and GlobalLpPool: one value per
// (n, c) plane over all spatial dims; output [N, C, 1, 1, ...].
#include <cmath>
#include <limits>

#include "engine/kernels/ref/common.h"

namespace inferd::ref {
namespace {

enum class GlobalKind { kAverage, kMax, kLp };

class GlobalPoolKernel final : public Kernel {
 public:
  GlobalPoolKernel(GlobalKind kind, double p, std::string op, std::string where)
      : kind_(kind), p_(p), op_(std::move(op)), where_(std::move(where)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(where_ + ": needs input X");
    if (x->rank() < 2)
      return InvalidArgument(where_ + ": input X has shape " + ShapeToString(x->shape()) + "; expected [N, C, ...]");
    Shape out_shape = x->shape();
    for (size_t d = 2; d < out_shape.size(); ++d) out_shape[d] = 1;
    const int64_t planes = x->dim(0) * x->dim(1);
    const int64_t size = planes == 0 ? 0 : x->numel() / planes;
    if (size == 0 && planes > 0)
      return InvalidArgument(where_ + ": input X " + ShapeToString(x->shape()) + " has an empty spatial extent");
    ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), out_shape));
    auto run = [&](auto tag) -> Status {
      using T = decltype(tag);
      const T* px = x->data<T>();
      T* py = y->data<T>();
      for (int64_t pl = 0; pl < planes; ++pl) {
        const T* xp = px + pl * size;
        double acc = kind_ == GlobalKind::kMax ? -std::numeric_limits<double>::infinity() : 0.0;
        for (int64_t i = 0; i < size; ++i) {
          const double v = ToDouble(xp[i]);
          switch (kind_) {
            case GlobalKind::kAverage:
              acc += v;
              break;
            case GlobalKind::kMax:
              acc = v > acc ? v : acc;
              break;
            case GlobalKind::kLp:
              acc += std::pow(std::abs(v), p_);
              break;
          }
        }
        if (kind_ == GlobalKind::kAverage) acc /= static_cast<double>(size);
        if (kind_ == GlobalKind::kLp) acc = std::pow(acc, 1.0 / p_);
        py[pl] = ConvertElement<T>(acc);
      }
      return Status::Ok();
    };
    switch (x->dtype()) {
      case DType::kFloat32:
        return run(float{});
      case DType::kFloat64:
        return run(double{});
      case DType::kFloat16:
        return run(Float16{});
      default:
        return UnsupportedType(op_, x->dtype(), "X");
    }
  }

 private:
  GlobalKind kind_;
  double p_;
  std::string op_;
  std::string where_;
};

KernelFactory GlobalFactory(GlobalKind kind, const char* op) {
  return [kind, op](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    double p = 2;
    if (kind == GlobalKind::kLp) {
      p = static_cast<double>(info.GetInt("p", 2));
      if (p <= 0) return info.Error("attribute 'p' must be positive");
    }
    return std::unique_ptr<Kernel>(std::make_unique<GlobalPoolKernel>(kind, p, op, info.node().Describe()));
  };
}

}  // namespace

INFERD_REGISTER_KERNEL(GlobalAveragePool, {"", "GlobalAveragePool", 1, 1000, 0, "ref",
                                           GlobalFactory(GlobalKind::kAverage, "GlobalAveragePool")});
INFERD_REGISTER_KERNEL(GlobalMaxPool,
                       {"", "GlobalMaxPool", 1, 1000, 0, "ref", GlobalFactory(GlobalKind::kMax, "GlobalMaxPool")});
INFERD_REGISTER_KERNEL(GlobalLpPool,
                       {"", "GlobalLpPool", 2, 1000, 0, "ref", GlobalFactory(GlobalKind::kLp, "GlobalLpPool")});

}  // namespace inferd::ref
