// Reference ConvTranspose: the adjoint of Conv. For each image and group,
// col = W_g^T * X_g (a GEMM), then col2im scatters col into the output.
// Handles strides, dilations, pads, output_padding, output_shape, auto_pad
// and groups.
#include <vector>

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/conv_util.h"

namespace inferd::ref {
namespace {

template <class T>
void ConvTransposeForward(const T* x, const T* w, const T* bias, T* y, int64_t batch, int64_t channels, int64_t maps,
                          int64_t group, const WindowGeometry& g, int threads) {
  const int64_t cg = channels / group, mg = maps / group;
  const int64_t ksize = g.kernel_size(), in_size = g.out_size(), out_size = g.in_size();
  const int64_t rows = mg * ksize;
  std::vector<T> wt(static_cast<size_t>(rows * cg));
  std::vector<T> col(static_cast<size_t>(rows * in_size));
  for (int64_t gi = 0; gi < group; ++gi) {
    // W_g is [cg, rows]; the GEMM wants its transpose [rows, cg].
    const T* wg = w + gi * cg * rows;
    for (int64_t c = 0; c < cg; ++c)
      for (int64_t r = 0; r < rows; ++r) wt[static_cast<size_t>(r * cg + c)] = wg[c * rows + r];
    for (int64_t n = 0; n < batch; ++n) {
      const T* xg = x + (n * channels + gi * cg) * in_size;
      T* yg = y + (n * maps + gi * mg) * out_size;
      for (int64_t m = 0; m < mg; ++m) {
        const T b = bias != nullptr ? bias[gi * mg + m] : T{};
        std::fill(yg + m * out_size, yg + (m + 1) * out_size, b);
      }
      std::fill(col.begin(), col.end(), T{});
      GemmAccumulate(rows, in_size, cg, wt.data(), cg, xg, in_size, col.data(), in_size, threads);
      Col2Im(col.data(), mg, g, yg);
    }
  }
}

class ConvTransposeKernel final : public Kernel {
 public:
  ConvTransposeKernel(WindowAttrs attrs, int64_t group, std::vector<int64_t> output_padding,
                      std::vector<int64_t> output_shape, std::string where)
      : attrs_(std::move(attrs)),
        group_(group),
        output_padding_(std::move(output_padding)),
        output_shape_(std::move(output_shape)),
        where_(std::move(where)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* w = ctx.input(1);
    const Tensor* b = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    if (x == nullptr || w == nullptr) return InvalidArgument(where_ + ": needs inputs X and W");
    if (w->dtype() != x->dtype() || (b != nullptr && b->dtype() != x->dtype()))
      return InvalidArgument(where_ + ": X, W and B must have the same type");
    if (x->rank() < 3)
      return InvalidArgument(where_ + ": input X has shape " + ShapeToString(x->shape()) +
                             "; expected [N, C, d1, ...]");
    if (w->rank() != x->rank())
      return InvalidArgument(where_ + ": weight W has shape " + ShapeToString(w->shape()) + " but X has shape " +
                             ShapeToString(x->shape()) + "; both need the same rank");
    const int64_t batch = x->dim(0), channels = x->dim(1);
    if (channels % group_ != 0)
      return InvalidArgument(where_ + ": input channels " + std::to_string(channels) + " are not divisible by group " +
                             std::to_string(group_));
    if (w->dim(0) != channels)
      return InvalidArgument(where_ + ": weight W has shape " + ShapeToString(w->shape()) +
                             "; dim 0 must equal the input channels " + std::to_string(channels));
    const int64_t maps = w->dim(1) * group_;
    const std::vector<int64_t> kernel = SpatialDims(w->shape());
    for (int64_t k : kernel)
      if (k <= 0)
        return InvalidArgument(where_ + ": weight shape " + ShapeToString(w->shape()) + " has an empty kernel");
    if (!attrs_.kernel_shape.empty() && attrs_.kernel_shape != kernel)
      return InvalidArgument(where_ + ": attribute 'kernel_shape' does not match weight shape " +
                             ShapeToString(w->shape()));
    if (b != nullptr && (b->rank() != 1 || b->dim(0) != maps))
      return InvalidArgument(where_ + ": bias B has shape " + ShapeToString(b->shape()) + "; expected [" +
                             std::to_string(maps) + "]");
    ASSIGN_OR_RETURN(WindowGeometry g, TransposeGeometry(attrs_, SpatialDims(x->shape()), kernel, output_padding_,
                                                         output_shape_, where_));
    RETURN_IF_ERROR(CheckColumnBuffer(g, maps / group_, sizeof(double), where_));
    Shape out_shape{batch, maps};
    out_shape.insert(out_shape.end(), g.in.begin(), g.in.end());
    ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), out_shape));
    if (y->numel() == 0) return Status::Ok();
    const int threads = ctx.num_threads();
    switch (x->dtype()) {
      case DType::kFloat32:
        ConvTransposeForward(x->data<float>(), w->data<float>(), b ? b->data<float>() : nullptr, y->data<float>(),
                             batch, channels, maps, group_, g, threads);
        return Status::Ok();
      case DType::kFloat64:
        ConvTransposeForward(x->data<double>(), w->data<double>(), b ? b->data<double>() : nullptr, y->data<double>(),
                             batch, channels, maps, group_, g, threads);
        return Status::Ok();
      case DType::kFloat16: {
        auto widen = [](const Tensor& t) {
          std::vector<float> v(static_cast<size_t>(t.numel()));
          for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.data<Float16>()[i].ToFloat();
          return v;
        };
        std::vector<float> xf = widen(*x), wf = widen(*w), bf = b ? widen(*b) : std::vector<float>{};
        std::vector<float> yf(static_cast<size_t>(y->numel()));
        ConvTransposeForward(xf.data(), wf.data(), b ? bf.data() : nullptr, yf.data(), batch, channels, maps, group_, g,
                             threads);
        for (int64_t i = 0; i < y->numel(); ++i) y->data<Float16>()[i] = Float16::FromFloat(yf[static_cast<size_t>(i)]);
        return Status::Ok();
      }
      default:
        return UnsupportedType("ConvTranspose", x->dtype(), "X");
    }
  }

 private:
  WindowAttrs attrs_;
  int64_t group_;
  std::vector<int64_t> output_padding_;
  std::vector<int64_t> output_shape_;
  std::string where_;
};

Result<std::unique_ptr<Kernel>> CreateConvTranspose(const KernelInfo& info) {
  ASSIGN_OR_RETURN(WindowAttrs attrs, ParseWindowAttrs(info));
  const int64_t group = info.GetInt("group", 1);
  if (group <= 0) return info.Error("attribute 'group' must be positive, got " + std::to_string(group));
  std::vector<int64_t> output_padding = info.GetInts("output_padding");
  std::vector<int64_t> output_shape = info.GetInts("output_shape");
  for (int64_t v : output_shape)
    if (v <= 0) return info.Error("attribute 'output_shape' values must be positive");
  return std::unique_ptr<Kernel>(std::make_unique<ConvTransposeKernel>(
      std::move(attrs), group, std::move(output_padding), std::move(output_shape), info.node().Describe()));
}

}  // namespace

INFERD_REGISTER_KERNEL(ConvTranspose, {"", "ConvTranspose", 1, 1000, 0, "ref", &CreateConvTranspose});

}  // namespace inferd::ref
