// Reference MaxUnpool: scatters X into a zero tensor at the flat positions
// given by Indices (as produced by MaxPool). The output shape is the optional
// third input, or the size MaxPool's inverse window implies.
#include <cstring>
#include <vector>

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/conv_util.h"

namespace inferd::ref {
namespace {

class MaxUnpoolKernel final : public Kernel {
 public:
  MaxUnpoolKernel(WindowAttrs attrs, std::string where) : attrs_(std::move(attrs)), where_(std::move(where)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* ind = ctx.input(1);
    const Tensor* shape_in = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    if (x == nullptr || ind == nullptr) return InvalidArgument(where_ + ": needs inputs X and I");
    if (x->rank() < 3)
      return InvalidArgument(where_ + ": input X has shape " + ShapeToString(x->shape()) +
                             "; expected [N, C, d1, ...]");
    if (ind->dtype() != DType::kInt64 || ind->shape() != x->shape())
      return InvalidArgument(where_ + ": indices I must be int64 with X's shape " + ShapeToString(x->shape()) +
                             ", got " + std::string(DTypeOnnxName(ind->dtype())) + " " + ShapeToString(ind->shape()));
    const size_t nd = static_cast<size_t>(x->rank() - 2);
    if (attrs_.kernel_shape.size() != nd)
      return InvalidArgument(where_ + ": attribute 'kernel_shape' needs " + std::to_string(nd) + " values");
    if (!attrs_.strides.empty() && attrs_.strides.size() != nd)
      return InvalidArgument(where_ + ": attribute 'strides' needs " + std::to_string(nd) + " values");
    if (!attrs_.pads.empty() && attrs_.pads.size() != 2 * nd)
      return InvalidArgument(where_ + ": attribute 'pads' needs " + std::to_string(2 * nd) + " values");
    // Indices address the shape MaxPool's inverse window implies; an explicit
    // output_shape may be larger, and each value keeps its multi-index there
    // (what ONNX's node tests expect).
    Shape natural{x->dim(0), x->dim(1)};
    for (size_t d = 0; d < nd; ++d) {
      const int64_t s = attrs_.strides.empty() ? 1 : attrs_.strides[d];
      const int64_t pads = attrs_.pads.empty() ? 0 : attrs_.pads[d] + attrs_.pads[d + nd];
      const __int128 wide =
          static_cast<__int128>(x->dim(static_cast<int64_t>(d) + 2) - 1) * s + attrs_.kernel_shape[d] - pads;
      if (wide > (static_cast<__int128>(1) << 40))
        return InvalidArgument(where_ + ": output size in spatial dim " + std::to_string(d) + " is too large");
      const int64_t o = static_cast<int64_t>(wide);
      if (o <= 0) return InvalidArgument(where_ + ": pads leave no output in spatial dim " + std::to_string(d));
      natural.push_back(o);
    }
    Shape out_shape = natural;
    if (shape_in != nullptr) {
      ASSIGN_OR_RETURN(out_shape, ReadInts(*shape_in, where_ + " output_shape"));
      if (out_shape.size() != x->shape().size() || out_shape[0] != x->dim(0) || out_shape[1] != x->dim(1))
        return InvalidArgument(where_ + ": output_shape " + ShapeToString(out_shape) + " must have rank " +
                               std::to_string(x->rank()) + " and start with X's N and C " + ShapeToString(x->shape()));
    }
    const int64_t natural_numel = ShapeNumel(natural);
    ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), out_shape));
    if (x->dtype() == DType::kString) return UnsupportedType("MaxUnpool", x->dtype(), "X");
    const size_t es = DTypeSize(x->dtype());
    std::memset(y->raw(), 0, y->nbytes());
    const int64_t* pi = ind->data<int64_t>();
    const char* src = static_cast<const char*>(x->raw());
    char* dst = static_cast<char*>(y->raw());
    const bool same = out_shape == natural;
    for (int64_t i = 0; i < x->numel(); ++i) {
      int64_t target = pi[i];
      bool inside = target >= 0 && target < natural_numel;
      if (inside && !same) {
        int64_t rem = target, stride = 1;
        target = 0;
        for (size_t d = natural.size(); d-- > 0;) {
          const int64_t idx = rem % natural[d];
          rem /= natural[d];
          if (idx >= out_shape[d]) inside = false;
          target += idx * stride;
          stride *= out_shape[d];
        }
      }
      if (!inside)
        return InvalidArgument(where_ + ": index " + std::to_string(pi[i]) + " at position " + std::to_string(i) +
                               " is outside the unpooled shape " + ShapeToString(natural) + " / output " +
                               ShapeToString(out_shape));
      std::memcpy(dst + static_cast<size_t>(target) * es, src + static_cast<size_t>(i) * es, es);
    }
    return Status::Ok();
  }

 private:
  WindowAttrs attrs_;
  std::string where_;
};

Result<std::unique_ptr<Kernel>> CreateMaxUnpool(const KernelInfo& info) {
  ASSIGN_OR_RETURN(WindowAttrs attrs, ParseWindowAttrs(info));
  if (attrs.kernel_shape.empty()) return info.Error("attribute 'kernel_shape' is required");
  return std::unique_ptr<Kernel>(std::make_unique<MaxUnpoolKernel>(std::move(attrs), info.node().Describe()));
}

}  // namespace

INFERD_REGISTER_KERNEL(MaxUnpool, {"", "MaxUnpool", 9, 1000, 0, "ref", &CreateMaxUnpool});

}  // namespace inferd::ref
