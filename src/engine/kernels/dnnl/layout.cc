#include "engine/kernels/dnnl/layout.h"

#include <utility>

#include "engine/kernels/dnnl/dnnl_common.h"
#include "engine/kernels/ref/fused_activation.h"

namespace inferd::onednn {

int PreferredChannelBlock() {
  static const int block = [] {
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    const auto avx512 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
    return (isa & avx512) == avx512 ? 16 : 8;
  }();
  return block;
}

Result<NodeLayout> ParseNodeLayout(const KernelInfo& info) {
  NodeLayout l;
  l.src = info.GetInt("_layout_src", 0) != 0;
  l.dst = info.GetInt("_layout_dst", 0) != 0;
  if (!l.any()) return l;
  l.block = static_cast<int>(info.GetInt("_layout_block", 0));
  if (l.block != 8 && l.block != 16) return info.Error("_layout_block must be 8 or 16, got " + std::to_string(l.block));
  return l;
}

Result<Shape> BlockedShape(const Shape& logical, int block) {
  if (logical.size() != 4 || block <= 0 || logical[1] % block != 0)
    return InvalidArgument("cannot block " + ShapeToString(logical) + " by " + std::to_string(block) +
                           " channels: needs [N, C, H, W] with C a multiple of " + std::to_string(block));
  return Shape{logical[0], logical[1] / block, logical[2], logical[3], block};
}

Result<Shape> LogicalShape(const Shape& blocked, int block) {
  if (blocked.size() != 5 || blocked[4] != block)
    return InvalidArgument("expected a channel-blocked tensor [N, C/" + std::to_string(block) + ", H, W, " +
                           std::to_string(block) + "], got " + ShapeToString(blocked));
  return Shape{blocked[0], blocked[1] * block, blocked[2], blocked[3]};
}

dnnl::memory::desc BlockedDesc(const Shape& logical, int block) {
  return dnnl::memory::desc(ToDims(logical), dnnl::memory::data_type::f32,
                            block == 16 ? dnnl::memory::format_tag::nChw16c : dnnl::memory::format_tag::nChw8c);
}

void BlockChannels(const float* plain, float* blocked, const Shape& logical, int block) {
  const int64_t n = logical[0], c = logical[1], s = logical[2] * logical[3];
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float* src = plain + (i * c + ch) * s;
      float* dst = blocked + (i * c + ch / block * block) * s + ch % block;
      for (int64_t p = 0; p < s; ++p) dst[p * block] = src[p];
    }
}

void UnblockChannels(const float* blocked, float* plain, const Shape& logical, int block) {
  const int64_t n = logical[0], c = logical[1], s = logical[2] * logical[3];
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float* src = blocked + (i * c + ch / block * block) * s + ch % block;
      float* dst = plain + (i * c + ch) * s;
      for (int64_t p = 0; p < s; ++p) dst[p] = src[p * block];
    }
}

// ------------------------------------------------------- PlainLayoutContext

PlainLayoutContext::PlainLayoutContext(KernelContext& base, std::vector<bool> blocked_inputs, bool dst_blocked,
                                       int block)
    : base_(base),
      blocked_inputs_(std::move(blocked_inputs)),
      dst_blocked_(dst_blocked),
      block_(block),
      plain_inputs_(static_cast<size_t>(base.num_inputs())) {}

const Tensor* PlainLayoutContext::input(int i) const {
  const Tensor* t = base_.input(i);
  if (t == nullptr || i >= static_cast<int>(blocked_inputs_.size()) || !blocked_inputs_[static_cast<size_t>(i)])
    return t;
  Tensor& plain = plain_inputs_[static_cast<size_t>(i)];
  if (plain.defined()) return &plain;
  if (t->dtype() != DType::kFloat32) {
    status_ = Internal("blocked input " + std::to_string(i) + " is not FP32");
    return nullptr;
  }
  auto logical = LogicalShape(t->shape(), block_);
  if (!logical.ok()) {
    status_ = logical.status();
    return nullptr;
  }
  auto made = Tensor::Create(DType::kFloat32, *logical);
  if (!made.ok()) {
    status_ = made.status();
    return nullptr;
  }
  plain = std::move(made).value();
  UnblockChannels(t->data<float>(), plain.data<float>(), *logical, block_);
  return &plain;
}

Result<Tensor*> PlainLayoutContext::Output(int i, DType dtype, Shape shape) {
  if (i != 0) return base_.Output(i, dtype, std::move(shape));
  if (!dst_blocked_) {
    ASSIGN_OR_RETURN(Tensor * t, base_.Output(i, dtype, std::move(shape)));
    out_ = *t;  // shares the storage: finishing out_ finishes the real output
    out_is_base_ = true;
    return &out_;
  }
  ASSIGN_OR_RETURN(out_, Tensor::Create(dtype, std::move(shape)));
  return &out_;
}

void PlainLayoutContext::SetOutput(int i, Tensor t) {
  if (i == 0 && dst_blocked_) {
    out_ = std::move(t);
    return;
  }
  if (i == 0) out_ = Tensor();  // a view: never finished in place
  base_.SetOutput(i, std::move(t));
}

Status PlainLayoutContext::Commit() {
  if (!dst_blocked_ || out_is_base_) return Status::Ok();
  if (!out_.defined() || out_.dtype() != DType::kFloat32)
    return Internal("the plain-layout kernel gave no FP32 output to block");
  ASSIGN_OR_RETURN(Shape shape, BlockedShape(out_.shape(), block_));
  ASSIGN_OR_RETURN(Tensor * dst, base_.Output(0, DType::kFloat32, std::move(shape)));
  BlockChannels(out_.data<float>(), dst->data<float>(), out_.shape(), block_);
  return Status::Ok();
}

// ------------------------------------------------------------ BlockedRef

namespace {

class BlockedRefKernel final : public Kernel {
 public:
  BlockedRefKernel(NodeLayout layout, ref::FusedActivation act, int sum_input, std::string node, RefFallback fallback)
      : layout_(layout),
        act_(std::move(act)),
        sum_input_(sum_input),
        node_(std::move(node)),
        fallback_(std::move(fallback)) {}

  std::string_view name() const override { return "ref.blocked"; }

  Status Run(KernelContext& ctx) const override {
    std::vector<bool> blocked(static_cast<size_t>(ctx.num_inputs()), false);
    if (!blocked.empty()) blocked[0] = layout_.src;
    if (sum_input_ >= 0) blocked[static_cast<size_t>(sum_input_)] = layout_.dst;
    PlainLayoutContext plain(ctx, std::move(blocked), layout_.dst, layout_.block);
    auto& st = *static_cast<DnnlState*>(ctx.state([] { return std::make_unique<DnnlState>(); }));
    const Status why = Unimplemented(node_ + ": no kernel for its blocked layout");
    Status run = fallback_.Run(plain, st.fallback_state(), why);
    RETURN_IF_ERROR(plain.status());
    RETURN_IF_ERROR(run);
    const Tensor* sum = sum_input_ >= 0 ? plain.input(sum_input_) : nullptr;
    RETURN_IF_ERROR(plain.status());
    if (sum != nullptr || act_.active()) {
      Tensor* out = plain.plain_output();
      if (out == nullptr || out->dtype() != DType::kFloat32)
        return Internal(node_ + ": reference kernel gave no FP32 output to finish");
      if (sum != nullptr) RETURN_IF_ERROR(FinishFused(node_, *out, sum, Activation{}));
      ref::ApplyActivationInPlace(out->data<float>(), out->numel(), act_);
    }
    return plain.Commit();
  }

 private:
  NodeLayout layout_;
  ref::FusedActivation act_;
  int sum_input_;
  std::string node_;
  RefFallback fallback_;
};

}  // namespace

Result<std::unique_ptr<Kernel>> MakeBlockedRefKernel(const KernelInfo& info) {
  ASSIGN_OR_RETURN(NodeLayout layout, ParseNodeLayout(info));
  ASSIGN_OR_RETURN(ref::FusedActivation act, ref::ParseFusedActivation(info));
  ASSIGN_OR_RETURN(int sum_input, ParseSumInput(info));
  return std::unique_ptr<Kernel>(std::make_unique<BlockedRefKernel>(layout, std::move(act), sum_input,
                                                                    info.node().Describe(), RefFallback::Create(info)));
}

KernelFactory LayoutAware(KernelFactory factory) {
  return [factory = std::move(factory)](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    auto made = factory(info);
    if (made.ok() || made.status().code() != StatusCode::kUnimplemented) return made;
    ASSIGN_OR_RETURN(NodeLayout layout, ParseNodeLayout(info));
    if (!layout.any()) return made;
    return MakeBlockedRefKernel(info);
  };
}

}  // namespace inferd::onednn
