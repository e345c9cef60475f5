// Reference kernel: Where(condition, X, Y), three-way numpy broadcasting, on
// every element type including bool and string.
#include <cstring>

#include "engine/kernels/ref/elementwise_util.h"

namespace inferd::ref {
namespace {

template <class T>
using SameSizeUnsigned = std::conditional_t<
    sizeof(T) == 1, uint8_t,
    std::conditional_t<sizeof(T) == 2, uint16_t, std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;

// z[i] = c[i*sc] ? a[i*sa] : b[i*sb] as a bit mask select on the elements'
// bytes: no branch on data (a branch on random conditions mispredicts half
// the time) and a loop the compiler vectorises.
template <class T>
inline void SelectBits(const bool* c, int64_t sc, const T* a, int64_t sa, const T* b, int64_t sb, T* z, int64_t len) {
  using U = SameSizeUnsigned<T>;
  static_assert(sizeof(U) == sizeof(T) && std::is_trivially_copyable_v<T>);
  const auto* cond = reinterpret_cast<const uint8_t*>(c);  // a bool byte other than 0 counts as true
  for (int64_t i = 0; i < len; ++i) {
    U x, y;
    std::memcpy(&x, a + i * sa, sizeof(U));
    std::memcpy(&y, b + i * sb, sizeof(U));
    const U mask = cond[i * sc] != 0 ? static_cast<U>(~U{0}) : U{0};
    const U r = static_cast<U>((x & mask) | (y & static_cast<U>(~mask)));
    std::memcpy(static_cast<void*>(z + i), &r, sizeof(U));  // T is trivially copyable
  }
}

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
          if constexpr (std::is_same_v<T, std::string>) {
            for (int64_t i = 0; i < len; ++i) z[i] = c[i * st[0]] ? a[i * st[1]] : b[i * st[2]];
          } else if (st[0] != 0 && st[1] != 0 && st[2] != 0) {
            SelectBits(c, 1, a, 1, b, 1, z, len);  // constant steps let the compiler vectorise
          } else {
            SelectBits(c, st[0], a, st[1], b, st[2], z, len);
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
