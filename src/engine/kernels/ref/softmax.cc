// Reference kernels: Softmax, LogSoftmax, Hardmax.
//
// Before opset 13 the input is coerced to 2-D at `axis` (default 1): every
// dimension from `axis` on forms one row. From opset 13 the op works along
// the single dimension `axis` (default -1). Both are expressed as an
// [outer, n, inner] walk. Values are shifted by the row maximum before exp;
// sums accumulate in double. Hardmax marks the first maximum of each row.
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/kernels/ref/common.h"

namespace inferd::ref {
namespace {

enum class SoftmaxOp { kSoftmax, kLogSoftmax, kHardmax };

template <class T>
constexpr bool kIsHalf = std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;

class SoftmaxKernel final : public Kernel {
 public:
  SoftmaxKernel(SoftmaxOp op, std::string describe, int64_t axis, bool legacy)
      : op_(op), describe_(std::move(describe)), axis_(axis), legacy_(legacy) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(describe_ + ": missing input");
    if (x->rank() == 0) return InvalidArgument(describe_ + ": input must have rank >= 1, got a scalar");
    ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, x->rank(), describe_ + ": axis"));
    int64_t outer = 1, n = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x->dim(d);
    if (legacy_) {
      for (int64_t d = axis; d < x->rank(); ++d) n *= x->dim(d);
    } else {
      n = x->dim(axis);
      for (int64_t d = axis + 1; d < x->rank(); ++d) inner *= x->dim(d);
    }
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), x->shape()));
    return DispatchAll(
        x->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          if constexpr (kIsHalf<T>) {
            // Compute in float, then round back.
            std::vector<float> in(static_cast<size_t>(x->numel())), res(in.size());
            for (size_t i = 0; i < in.size(); ++i) in[i] = x->data<T>()[i].ToFloat();
            Compute<float>(in.data(), res.data(), outer, n, inner);
            for (size_t i = 0; i < in.size(); ++i) out->data<T>()[i] = T::FromFloat(res[i]);
            return Status::Ok();
          } else if constexpr (std::is_floating_point_v<T>) {
            Compute<T>(x->data<T>(), out->data<T>(), outer, n, inner);
            return Status::Ok();
          } else {
            return UnsupportedType(describe_, x->dtype());
          }
        },
        [&] { return UnsupportedType(describe_, x->dtype()); });
  }

 private:
  template <class T>
  void Compute(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) const {
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* xr = x + o * n * inner + i;
        T* yr = y + o * n * inner + i;
        T m = -std::numeric_limits<T>::infinity();
        int64_t arg = 0;
        for (int64_t j = 0; j < n; ++j) {
          if (xr[j * inner] > m) {
            m = xr[j * inner];
            arg = j;
          }
        }
        if (op_ == SoftmaxOp::kHardmax) {
          for (int64_t j = 0; j < n; ++j) yr[j * inner] = j == arg ? T(1) : T(0);
          continue;
        }
        double sum = 0;
        for (int64_t j = 0; j < n; ++j) {
          const T e = std::exp(xr[j * inner] - m);
          if (op_ == SoftmaxOp::kSoftmax) yr[j * inner] = e;
          sum += static_cast<double>(e);
        }
        if (op_ == SoftmaxOp::kSoftmax) {
          const T inv = static_cast<T>(1.0 / sum);
          for (int64_t j = 0; j < n; ++j) yr[j * inner] *= inv;
        } else {
          const T shift = m + static_cast<T>(std::log(sum));
          for (int64_t j = 0; j < n; ++j) yr[j * inner] = xr[j * inner] - shift;
        }
      }
    }
  }

  SoftmaxOp op_;
  std::string describe_;
  int64_t axis_;
  bool legacy_;
};

KernelFactory Factory(SoftmaxOp op) {
  return [op](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    const bool legacy = info.opset() < 13;
    const int64_t axis = info.GetInt("axis", legacy ? 1 : -1);
    return std::unique_ptr<Kernel>(std::make_unique<SoftmaxKernel>(op, info.node().Describe(), axis, legacy));
  };
}

}  // namespace

INFERD_REGISTER_KERNEL(Softmax, {"", "Softmax", 1, 1000, 0, "ref", Factory(SoftmaxOp::kSoftmax)});
INFERD_REGISTER_KERNEL(LogSoftmax, {"", "LogSoftmax", 1, 1000, 0, "ref", Factory(SoftmaxOp::kLogSoftmax)});
INFERD_REGISTER_KERNEL(Hardmax, {"", "Hardmax", 1, 1000, 0, "ref", Factory(SoftmaxOp::kHardmax)});

}  // namespace inferd::ref
