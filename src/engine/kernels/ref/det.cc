// Reference kernel: Det. X [*, M, M] -> [*]; LU decomposition with partial
// pivoting, in double.
#include <cmath>

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/float_io.h"

namespace inferd::ref {
namespace {

double Determinant(std::vector<double> a, int64_t m) {
  double det = 1;
  for (int64_t c = 0; c < m; ++c) {
    int64_t pivot = c;
    for (int64_t r = c + 1; r < m; ++r)
      if (std::abs(a[static_cast<size_t>(r * m + c)]) > std::abs(a[static_cast<size_t>(pivot * m + c)])) pivot = r;
    const double p = a[static_cast<size_t>(pivot * m + c)];
    if (p == 0) return 0;
    if (pivot != c) {
      for (int64_t j = 0; j < m; ++j)
        std::swap(a[static_cast<size_t>(pivot * m + j)], a[static_cast<size_t>(c * m + j)]);
      det = -det;
    }
    det *= p;
    for (int64_t r = c + 1; r < m; ++r) {
      const double f = a[static_cast<size_t>(r * m + c)] / p;
      for (int64_t j = c; j < m; ++j) a[static_cast<size_t>(r * m + j)] -= f * a[static_cast<size_t>(c * m + j)];
    }
  }
  return det;
}

Status RunDet(KernelContext& ctx, const std::string& describe) {
  const Tensor* x = ctx.input(0);
  if (x == nullptr) return InvalidArgument(describe + ": missing input 'X'");
  if (x->rank() < 2 || x->dim(x->rank() - 1) != x->dim(x->rank() - 2))
    return InvalidArgument(describe + ": X must be [*, M, M], got " + ShapeToString(x->shape()));
  ASSIGN_OR_RETURN(auto xs, ReadDoubles(*x, describe + ": input 'X'"));
  const int64_t m = x->dim(x->rank() - 1);
  const Shape out_shape(x->shape().begin(), x->shape().end() - 2);
  const int64_t count = ShapeNumel(out_shape);
  std::vector<double> dets(static_cast<size_t>(count));
  for (int64_t b = 0; b < count; ++b) {
    std::vector<double> a(xs.begin() + b * m * m, xs.begin() + (b + 1) * m * m);
    dets[static_cast<size_t>(b)] = Determinant(std::move(a), m);
  }
  ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), out_shape));
  WriteDoubles(dets, *out);
  return Status::Ok();
}

Result<std::unique_ptr<Kernel>> CreateDet(const KernelInfo& info) {
  std::string describe = info.node().Describe();
  return std::unique_ptr<Kernel>(
      std::make_unique<FunctionKernel>([describe](KernelContext& ctx) { return RunDet(ctx, describe); }));
}

}  // namespace

INFERD_REGISTER_KERNEL(Det, {"", "Det", 11, 1000, 0, "ref", &CreateDet});

}  // namespace inferd::ref
