// Reference kernels that permute elements: Transpose, DepthToSpace,
// SpaceToDepth (the latter two are a reshape, a transpose and a reshape).
// All dtypes, strings included.
#include <numeric>

#include "engine/kernels/ref/shape_util.h"

namespace inferd::ref {
namespace {

Result<std::unique_ptr<Kernel>> MakeKernel(FunctionKernel::Fn fn) {
  return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>(std::move(fn)));
}

// Writes into `out` (already allocated, out_shape elements) the input viewed
// as `as_shape` and permuted by `perm`.
Status PermuteInto(const Tensor& x, const Shape& as_shape, const std::vector<int64_t>& perm, Tensor& out,
                   const std::string& op) {
  const auto in_strides = Strides(as_shape);
  Shape permuted(perm.size());
  StridedView src{0, std::vector<int64_t>(perm.size())};
  for (size_t i = 0; i < perm.size(); ++i) {
    permuted[i] = as_shape[static_cast<size_t>(perm[i])];
    src.strides[i] = in_strides[static_cast<size_t>(perm[i])];
  }
  return StridedCopy(x, src, out, DenseView(permuted), permuted, op);
}

Result<std::unique_ptr<Kernel>> CreateTranspose(const KernelInfo& info) {
  std::optional<std::vector<int64_t>> perm_attr;
  if (info.HasAttribute("perm")) perm_attr = info.GetInts("perm");
  return MakeKernel([perm_attr](KernelContext& ctx) -> Status {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument("data (input 0) is missing");
    const size_t r = static_cast<size_t>(x->rank());
    std::vector<int64_t> perm(r);
    if (perm_attr) {
      if (perm_attr->size() != r)
        return InvalidArgument("perm " + ShapeToString(*perm_attr) + " has " + std::to_string(perm_attr->size()) +
                               " entries but the input " + ShapeToString(x->shape()) + " has rank " + std::to_string(r));
      std::vector<bool> seen(r, false);
      for (size_t i = 0; i < r; ++i) {
        const int64_t p = (*perm_attr)[i];
        if (p < 0 || p >= static_cast<int64_t>(r) || seen[static_cast<size_t>(p)])
          return InvalidArgument("perm " + ShapeToString(*perm_attr) + " is not a permutation of 0.." +
                                 std::to_string(r - 1));
        seen[static_cast<size_t>(p)] = true;
        perm[i] = p;
      }
    } else {
      for (size_t i = 0; i < r; ++i) perm[i] = static_cast<int64_t>(r - 1 - i);
    }
    Shape out_shape(r);
    for (size_t i = 0; i < r; ++i) out_shape[i] = x->shape()[static_cast<size_t>(perm[i])];
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), out_shape));
    return PermuteInto(*x, x->shape(), perm, *out, "Transpose");
  });
}

// DepthToSpace / SpaceToDepth: input must be 4-D NCHW.
Status CheckBlockInput(const Tensor* x, int64_t b, const std::string& op) {
  if (x == nullptr) return InvalidArgument("input 0 is missing");
  if (x->rank() != 4) return InvalidArgument(op + " needs a 4-D NCHW input, got " + ShapeToString(x->shape()));
  if (b <= 0) return InvalidArgument("blocksize must be positive, got " + std::to_string(b));
  return Status::Ok();
}

Result<std::unique_ptr<Kernel>> CreateDepthToSpace(const KernelInfo& info) {
  ASSIGN_OR_RETURN(const int64_t b, info.RequireInt("blocksize"));
  if (b <= 0) return info.Error("blocksize must be positive, got " + std::to_string(b));
  const std::string mode = info.GetString("mode", "DCR");
  if (mode != "DCR" && mode != "CRD") return info.Error("mode must be DCR or CRD, got '" + mode + "'");
  const bool dcr = mode == "DCR";
  return MakeKernel([b, dcr](KernelContext& ctx) -> Status {
    const Tensor* x = ctx.input(0);
    RETURN_IF_ERROR(CheckBlockInput(x, b, "DepthToSpace"));
    const int64_t n = x->dim(0), c = x->dim(1), h = x->dim(2), w = x->dim(3);
    // Tested without forming b*b, which could overflow for a hostile blocksize.
    if (c % b != 0 || (c / b) % b != 0)
      return InvalidArgument("channels (" + std::to_string(c) + ") must be divisible by blocksize^2 (blocksize " +
                             std::to_string(b) + ")");
    const int64_t oc = c / b / b;
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), {n, oc, h * b, w * b}));
    if (dcr) return PermuteInto(*x, {n, b, b, oc, h, w}, {0, 3, 4, 1, 5, 2}, *out, "DepthToSpace");
    return PermuteInto(*x, {n, oc, b, b, h, w}, {0, 1, 4, 2, 5, 3}, *out, "DepthToSpace");
  });
}

Result<std::unique_ptr<Kernel>> CreateSpaceToDepth(const KernelInfo& info) {
  ASSIGN_OR_RETURN(const int64_t b, info.RequireInt("blocksize"));
  if (b <= 0) return info.Error("blocksize must be positive, got " + std::to_string(b));
  return MakeKernel([b](KernelContext& ctx) -> Status {
    const Tensor* x = ctx.input(0);
    RETURN_IF_ERROR(CheckBlockInput(x, b, "SpaceToDepth"));
    const int64_t n = x->dim(0), c = x->dim(1), h = x->dim(2), w = x->dim(3);
    if (h % b != 0 || w % b != 0)
      return InvalidArgument("height and width " + ShapeToString({h, w}) + " must be divisible by blocksize " +
                             std::to_string(b));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), {n, c * b * b, h / b, w / b}));
    return PermuteInto(*x, {n, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4}, *out, "SpaceToDepth");
  });
}

}  // namespace

INFERD_REGISTER_KERNEL(Transpose, {"", "Transpose", 1, 1000, 0, "ref", &CreateTranspose});
INFERD_REGISTER_KERNEL(DepthToSpace, {"", "DepthToSpace", 1, 1000, 0, "ref", &CreateDepthToSpace});
INFERD_REGISTER_KERNEL(SpaceToDepth, {"", "SpaceToDepth", 1, 1000, 0, "ref", &CreateSpaceToDepth});

}  // namespace inferd::ref
