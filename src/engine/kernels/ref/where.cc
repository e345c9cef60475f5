// Reference kernel: Where(condition, X, Y), three-way numpy broadcasting, on
// every element type including bool and string.
#include "engine/kernels/ref/elementwise_util.h"

namespace inferd::ref {
namespace {

Status RunWhere(KernelContext& ctx) {
  const Tensor* cond = ctx.input(0);
  const Tensor* x = ctx.input(1);
  const Tensor* y = ctx.input(2);
  if (cond == nullptr || x == nullptr || y == nullptr) return InvalidArgument("Where needs inputs condition, X and Y");
  if (cond->dtype() != DType::kBool)
    return InvalidArgument("Where: condition must be bool, got " + std::string(DTypeOnnxName(cond->dtype())));
  if (x->dtype() != y->dtype()) return TypeMismatch("Where", x->dtype(), y->dtype(), "X and Y types");
  ASSIGN_OR_RETURN(Shape shape, BroadcastShapes({cond->shape(), x->shape(), y->shape()}));
  ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), shape));
  return DispatchAny(
      x->dtype(),
      [&](auto tag) -> Status {
        using T = decltype(tag);
        const bool* pc = cond->data<bool>();
        const T* px = x->data<T>();
        const T* py = y->data<T>();
        T* po = out->data<T>();
        BroadcastRuns<3> runs(shape, {&cond->shape(), &x->shape(), &y->shape()});
        const auto st = runs.steps();
        runs.ForEach([&](int64_t o, const std::array<int64_t, 3>& in, int64_t len) {
          const bool* c = pc + in[0];
          const T* a = px + in[1];
          const T* b = py + in[2];
          T* z = po + o;
          if (st[0] != 0 && st[1] != 0 && st[2] != 0) {
            for (int64_t i = 0; i < len; ++i) z[i] = c[i] ? a[i] : b[i];
          } else {
            for (int64_t i = 0; i < len; ++i) z[i] = c[i * st[0]] ? a[i * st[1]] : b[i * st[2]];
          }
        });
        return Status::Ok();
      },
      [&] { return UnsupportedType("Where", x->dtype()); });
}

Result<std::unique_ptr<Kernel>> CreateWhere(const KernelInfo&) {
  return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>(&RunWhere));
}

}  // namespace

INFERD_REGISTER_KERNEL(Where, {"", "Where", 9, 1000, 0, "ref", &CreateWhere});

}  // namespace inferd::ref
