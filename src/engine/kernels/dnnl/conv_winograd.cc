// Conv by Winograd F(2x2, 3x3) (fast/winograd.h) for the 3x3, stride-1,
// ungrouped convolutions inside a channel-blocked (nChw8c) region: the bulk
// of a ResNet's time, where oneDNN 2.6's AVX2 direct convolution does all 9
// multiplications per tap. The filters are transformed once at load. Runs
// the kernel cannot take (a residual that broadcasts) go to the oneDNN
// convolution, which then reorders the constant W itself.
#include <limits>

#include "engine/kernels/dnnl/conv.h"
#include "engine/kernels/dnnl/dnnl_common.h"
#include "engine/kernels/dnnl/layout.h"
#include "engine/kernels/fast/winograd.h"

namespace inferd::onednn {
namespace {

constexpr int kBlock = fast::Winograd3x3::kBlock;

struct WinogradConfig {
  int64_t pads[4] = {0, 0, 0, 0};  // top, left, bottom, right (auto_pad resolved at load)
  Tensor bias;                     // keeps epilogue.bias alive
  fast::ConvEpilogue epilogue;     // bias and relu/clip; the residual is set per run
  int sum_input = -1;
};

class WinogradConvKernel final : public Kernel {
 public:
  WinogradConvKernel(fast::Winograd3x3 wg, WinogradConfig c, std::unique_ptr<Kernel> general)
      : wg_(std::move(wg)), c_(std::move(c)), general_(std::move(general)) {}

  std::string_view name() const override { return "fast.winograd"; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr || x->dtype() != DType::kFloat32 || x->rank() != 5 || x->dim(1) * kBlock != wg_.ic() ||
        x->dim(4) != kBlock)
      return general_->Run(ctx);  // it names the problem
    const int64_t pt = c_.pads[0], pl = c_.pads[1], pb = c_.pads[2], pr = c_.pads[3];
    const int64_t n = x->dim(0), h = x->dim(2), w = x->dim(3);
    const int64_t oh = h + pt + pb - 2, ow = w + pl + pr - 2;
    if (oh <= 0 || ow <= 0) return general_->Run(ctx);
    const Shape out_shape = {n, wg_.oc() / kBlock, oh, ow, kBlock};
    fast::ConvEpilogue e = c_.epilogue;
    if (c_.sum_input >= 0) {
      const Tensor* sum = ctx.input(c_.sum_input);
      if (sum == nullptr || sum->dtype() != DType::kFloat32 || sum->shape() != out_shape) return general_->Run(ctx);
      e.sum = sum->data<float>();
    }
    // The residual's buffer when nothing else reads it (each element is read
    // before it is written); else a new one.
    Tensor* y = c_.sum_input >= 0 ? ctx.OutputInPlace(0, c_.sum_input, DType::kFloat32, out_shape) : nullptr;
    if (y == nullptr) {
      ASSIGN_OR_RETURN(y, ctx.Output(0, DType::kFloat32, out_shape));
    }
    if (n == 0) return Status::Ok();
    wg_.Run(x->data<float>(), n, h, w, pt, pl, y->data<float>(), oh, ow, e, ctx.num_threads());
    return Status::Ok();
  }

 private:
  fast::Winograd3x3 wg_;
  WinogradConfig c_;
  std::unique_ptr<Kernel> general_;
};

bool AllOnes(const std::vector<int64_t>& v) {
  for (int64_t x : v)
    if (x != 1) return false;
  return true;
}

// UNIMPLEMENTED (the oneDNN kernel takes the node) unless the node is a
// 3x3 stride-1 ungrouped FP32 convolution with constant weights whose data
// and output are blocked by 8, with at most relu or clip after it.
Result<std::unique_ptr<Kernel>> CreateWinogradConv(const KernelInfo& info) {
  const auto decline = [&](const std::string& why) { return Unimplemented(info.node().Describe() + ": " + why); };
  if (!fast::WinogradIsFast()) return decline("no AVX2 for Winograd");
  const Tensor* w = info.constant_input(1);
  if (w == nullptr || w->dtype() != DType::kFloat32 || w->rank() != 4 || w->dim(2) != 3 || w->dim(3) != 3)
    return decline("Winograd takes constant FP32 3x3 weights");
  const int64_t oc = w->dim(0), ic = w->dim(1);
  // Below 32 channels the transforms cost more than the products save.
  if (oc % kBlock != 0 || ic % kBlock != 0 || oc < 32 || ic < 32 || ic + oc > fast::Winograd3x3::kMaxChannels)
    return decline("channels not suited to Winograd");
  if (info.GetInt("group", 1) != 1 || !AllOnes(info.GetInts("strides")) || !AllOnes(info.GetInts("dilations")))
    return decline("Winograd takes stride 1, dilation 1, group 1");
  const auto kernel_shape = info.GetInts("kernel_shape");
  if (!kernel_shape.empty() && kernel_shape != std::vector<int64_t>{3, 3}) return decline("kernel_shape is not 3x3");
  ASSIGN_OR_RETURN(NodeLayout layout, ParseNodeLayout(info));
  if (!layout.src || !layout.dst || layout.block != kBlock) return decline("Winograd runs inside nChw8c regions");
  for (int i : {0, 1, 2})
    if (info.has_input(i) && info.input_dtype(i) != DType::kFloat32 && info.input_dtype(i) != DType::kUndefined)
      return decline("Winograd takes FP32");

  WinogradConfig c;
  const std::string auto_pad = info.GetString("auto_pad", "NOTSET");
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {  // 3x3, stride 1: one on every side
    for (int64_t& p : c.pads) p = 1;
  } else if (auto_pad == "NOTSET" || auto_pad.empty()) {
    const auto pads = info.GetInts("pads");
    if (!pads.empty()) {
      if (pads.size() != 4) return decline("pads must have 4 values");
      for (size_t i = 0; i < 4; ++i) {
        if (pads[i] < 0 || pads[i] > 2) return decline("pads outside 0..2");
        c.pads[i] = pads[i];
      }
    }
  } else if (auto_pad != "VALID") {
    return decline("unknown auto_pad");
  }
  if (info.has_input(2)) {
    const Tensor* b = info.constant_input(2);
    if (b == nullptr || b->dtype() != DType::kFloat32 || b->shape() != Shape{oc}) return decline("bias not constant");
    c.bias = *b;
    c.epilogue.bias = c.bias.data<float>();
  }
  ASSIGN_OR_RETURN(Activation act, ParseFusedActivation(info));
  if (act.kind == Activation::Kind::kRelu) {
    c.epilogue.clip = true;
    c.epilogue.lo = 0;
    c.epilogue.hi = std::numeric_limits<float>::infinity();
  } else if (act.kind == Activation::Kind::kClip) {
    c.epilogue.clip = true;
    c.epilogue.lo = act.alpha;
    c.epilogue.hi = act.beta;
  } else if (!act.none()) {
    return decline("activation other than relu or clip");
  }
  ASSIGN_OR_RETURN(c.sum_input, ParseSumInput(info));

  ASSIGN_OR_RETURN(std::unique_ptr<Kernel> general, CreateConvKernel(info, /*pack_weights=*/false));
  fast::Winograd3x3 wg = fast::Winograd3x3::Prepare(w->data<float>(), oc, ic, info.num_threads());
  return std::unique_ptr<Kernel>(std::make_unique<WinogradConvKernel>(std::move(wg), std::move(c), std::move(general)));
}

}  // namespace

INFERD_REGISTER_KERNEL(WinogradConv, {"", "Conv", 1, 1000, 11, "dnnl", &CreateWinogradConv});

}  // namespace inferd::onednn
