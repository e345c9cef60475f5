#include "engine/kernels/dnnl/dnnl_common.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/fused_activation.h"

namespace inferd::onednn {

const dnnl::engine& CpuEngine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::memory::dims ToDims(const Shape& shape) { return dnnl::memory::dims(shape.begin(), shape.end()); }

dnnl::memory::desc PlainDesc(const dnnl::memory::dims& dims) {
  dnnl::memory::dims strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * std::max<int64_t>(dims[i], 1);
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, strides);
}

dnnl::memory WrapMemory(const dnnl::memory::desc& desc, const void* data) {
  return dnnl::memory(desc, CpuEngine(), const_cast<void*>(data));
}

Result<PackedWeights> PackedWeights::Pack(const dnnl::memory::desc& from, const void* data,
                                          const dnnl::memory::desc& to) {
  PackedWeights packed;
  Status st = Guard("packing weights", [&]() -> Status {
    packed.desc_ = to;
    packed.storage_ = Storage::Allocate(std::max<size_t>(to.get_size(), 1), DType::kFloat32);
    dnnl::memory src = WrapMemory(from, data);
    dnnl::memory dst = WrapMemory(to, packed.storage_->data());
    dnnl::stream stream(CpuEngine());
    dnnl::reorder(src, dst).execute(stream, src, dst);
    stream.wait();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return packed;
}

Result<dnnl::memory> WeightsFor(const dnnl::memory::desc& want, const PackedWeights& packed) {
  if (packed.desc() == want) return packed.Memory();
  dnnl::memory out(want, CpuEngine());
  dnnl::memory src = packed.Memory();
  dnnl::stream stream(CpuEngine());
  dnnl::reorder(src, out).execute(stream, src, out);
  stream.wait();
  return out;
}

// ---------------------------------------------------------------- activation

Result<Activation> MakeActivation(std::string_view name, float alpha, float beta) {
  Activation a;
  a.alpha = alpha;
  a.beta = beta;
  if (name == "Relu") {
    a.kind = Activation::Kind::kRelu;
  } else if (name == "LeakyRelu") {
    a.kind = Activation::Kind::kLeakyRelu;
  } else if (name == "Clip") {
    a.kind = Activation::Kind::kClip;
  } else if (name == "Sigmoid") {
    a.kind = Activation::Kind::kSigmoid;
  } else if (name == "Tanh") {
    a.kind = Activation::Kind::kTanh;
  } else if (name == "Elu") {
    a.kind = Activation::Kind::kElu;
  } else if (name == "HardSigmoid") {
    a.kind = Activation::Kind::kHardSigmoid;
  } else if (name == "HardSwish") {
    a.kind = Activation::Kind::kHardSwish;
  } else if (name == "Selu") {
    a.kind = Activation::Kind::kSelu;
  } else if (name == "Softplus") {
    a.kind = Activation::Kind::kSoftplus;
  } else {
    return Unimplemented("dnnl: fused activation \"" + std::string(name) + "\" is not supported");
  }
  return a;
}

Result<Activation> ParseFusedActivation(const KernelInfo& info) {
  // One parser for the attributes, shared with the reference kernels, so both
  // read the same defaults and reject the same values.
  ASSIGN_OR_RETURN(ref::FusedActivation fused, ref::ParseFusedActivation(info));
  if (!fused.active()) return Activation{};
  if (fused.kind == ref::ActivationKind::kClip && !(fused.alpha <= fused.beta))
    return Unimplemented(info.node().Describe() + ": fused Clip with min > max");
  return MakeActivation(fused.name, fused.alpha, fused.beta);
}

std::vector<EltwiseStep> EltwiseSteps(const Activation& act) {
  using A = dnnl::algorithm;
  switch (act.kind) {
    case Activation::Kind::kNone: return {};
    case Activation::Kind::kRelu: return {{A::eltwise_relu, 0.f, 0.f}};
    case Activation::Kind::kLeakyRelu: return {{A::eltwise_relu, act.alpha, 0.f}};
    case Activation::Kind::kClip: return {{A::eltwise_clip, act.alpha, act.beta}};
    case Activation::Kind::kSigmoid: return {{A::eltwise_logistic, 0.f, 0.f}};
    case Activation::Kind::kTanh: return {{A::eltwise_tanh, 0.f, 0.f}};
    case Activation::Kind::kElu: return {{A::eltwise_elu, act.alpha, 0.f}};
    case Activation::Kind::kHardSigmoid: return {{A::eltwise_linear, act.alpha, act.beta}, {A::eltwise_clip, 0.f, 1.f}};
    case Activation::Kind::kHardSwish: return {{A::eltwise_hardswish, 0.f, 0.f}};
    case Activation::Kind::kSelu: return {{A::eltwise_elu, act.alpha, 0.f}, {A::eltwise_linear, act.beta, 0.f}};
    case Activation::Kind::kSoftplus: return {{A::eltwise_soft_relu, 0.f, 0.f}};
  }
  return {};
}

void AppendActivation(dnnl::post_ops& ops, const Activation& act) {
  for (const EltwiseStep& s : EltwiseSteps(act)) ops.append_eltwise(1.0f, s.alg, s.alpha, s.beta);
}

float ApplyActivation(const Activation& act, float x) {
  switch (act.kind) {
    case Activation::Kind::kNone: return x;
    case Activation::Kind::kRelu: return x > 0 ? x : 0.f;
    case Activation::Kind::kLeakyRelu: return x >= 0 ? x : act.alpha * x;
    case Activation::Kind::kClip: return std::min(std::max(x, act.alpha), act.beta);
    case Activation::Kind::kSigmoid: return 1.f / (1.f + std::exp(-x));
    case Activation::Kind::kTanh: return std::tanh(x);
    case Activation::Kind::kElu: return x >= 0 ? x : act.alpha * (std::exp(x) - 1.f);
    case Activation::Kind::kHardSigmoid: return std::min(std::max(act.alpha * x + act.beta, 0.f), 1.f);
    case Activation::Kind::kHardSwish: return x * std::min(std::max(x / 6.f + 0.5f, 0.f), 1.f);
    case Activation::Kind::kSelu: return x > 0 ? act.beta * x : act.beta * act.alpha * (std::exp(x) - 1.f);
    case Activation::Kind::kSoftplus: return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  }
  return x;
}

// ---------------------------------------------------------------- fallback

namespace {

// Forwards everything to the real context except the state slot, so the
// reference kernel's state never collides with the dnnl kernel's, and maps
// inputs so the reference kernel never sees the fused "_sum_input".
class FallbackContext final : public KernelContext {
 public:
  FallbackContext(KernelContext& base, std::unique_ptr<KernelState>& slot, const std::vector<int>& input_map)
      : base_(base), slot_(slot), input_map_(input_map) {}
  int num_inputs() const override { return static_cast<int>(input_map_.size()); }
  int num_outputs() const override { return base_.num_outputs(); }
  const Tensor* input(int i) const override {
    if (i < 0 || i >= num_inputs()) return nullptr;
    return base_.input(input_map_[static_cast<size_t>(i)]);
  }
  Result<Tensor*> Output(int i, DType dtype, Shape shape) override {
    auto out = base_.Output(i, dtype, std::move(shape));
    if (i == 0 && out.ok()) out0_ = *out;
    return out;
  }
  void SetOutput(int i, Tensor t) override {
    if (i == 0) out0_ = nullptr;  // a view of an input: never written in place
    base_.SetOutput(i, std::move(t));
  }
  bool output_wanted(int i) const override { return base_.output_wanted(i); }
  KernelState* state(const std::function<std::unique_ptr<KernelState>()>& make) override {
    if (!slot_) slot_ = make();
    return slot_.get();
  }
  int num_threads() const override { return base_.num_threads(); }
  Tensor* out0() const { return out0_; }

 private:
  KernelContext& base_;
  std::unique_ptr<KernelState>& slot_;
  const std::vector<int>& input_map_;
  Tensor* out0_ = nullptr;
};

bool Verbose() {
  static const bool verbose = [] {
    const char* v = std::getenv("INFERD_DNNL_VERBOSE");
    return v != nullptr && *v != '\0' && std::string_view(v) != "0";
  }();
  return verbose;
}

}  // namespace

RefFallback RefFallback::Create(const KernelInfo& info) {
  RefFallback f;
  auto node = std::make_shared<Node>(info.node());
  const int sum_input = static_cast<int>(info.GetInt("_sum_input", -1));
  for (auto it = node->attributes.begin(); it != node->attributes.end();)
    it = it->first.starts_with("_") ? node->attributes.erase(it) : std::next(it);
  std::vector<const Tensor*> constants;
  std::vector<DType> dtypes;
  std::vector<std::string> inputs;
  for (int i = 0; i < info.num_inputs(); ++i) {
    if (i == sum_input) continue;
    f.input_map_.push_back(i);
    inputs.push_back(info.node().inputs[static_cast<size_t>(i)]);
    constants.push_back(info.constant_input(i));
    dtypes.push_back(info.input_dtype(i));
  }
  node->inputs = std::move(inputs);
  KernelInfo stripped(*node, info.opset(), std::move(constants), std::move(dtypes), info.num_threads());
  auto kernel = CreateKernel(stripped, {"ref"});
  if (kernel.ok()) {
    f.kernel_ = std::shared_ptr<const Kernel>(std::move(kernel).value());
    f.node_ = std::move(node);
  }
  return f;
}

Status RefFallback::Run(KernelContext& ctx, std::unique_ptr<KernelState>& slot, const Status& why,
                        Tensor** out0) const {
  if (!kernel_) return why;
  FallbackContext fctx(ctx, slot, input_map_);
  RETURN_IF_ERROR(kernel_->Run(fctx));
  if (out0 != nullptr) *out0 = fctx.out0();
  return Status::Ok();
}

Result<int> ParseSumInput(const KernelInfo& info) {
  if (!info.HasAttribute("_sum_input")) return -1;
  const int64_t index = info.GetInt("_sum_input", -1);
  if (index < 0 || index >= info.num_inputs() || !info.has_input(static_cast<int>(index)))
    return info.Error("_sum_input " + std::to_string(index) + " names no input");
  return static_cast<int>(index);
}

Status FinishFused(const std::string& what, Tensor& out, const Tensor* sum, const Activation& act) {
  if (out.dtype() != DType::kFloat32) return Internal(what + ": fused output is not FP32");
  float* y = out.data<float>();
  const int64_t n = out.numel();
  if (sum != nullptr) {
    if (sum->dtype() != DType::kFloat32)
      return InvalidArgument(what + ": fused sum input must be FP32, got " + std::string(DTypeName(sum->dtype())));
    auto shape = ref::BroadcastShapes({out.shape(), sum->shape()});
    if (!shape.ok() || *shape != out.shape())
      return InvalidArgument(what + ": fused sum input " + ShapeToString(sum->shape()) +
                             " does not broadcast to the output " + ShapeToString(out.shape()));
    const float* s = sum->data<float>();
    if (sum->shape() == out.shape()) {
      for (int64_t i = 0; i < n; ++i) y[i] += s[i];
    } else {
      ref::BroadcastIndexer idx(out.shape(), {sum->shape()});
      for (int64_t i = 0; i < n; ++i, idx.Next()) y[i] += s[idx.offset(0)];
    }
  }
  if (!act.none())
    for (int64_t i = 0; i < n; ++i) y[i] = ApplyActivation(act, y[i]);
  return Status::Ok();
}

Status AcceptFloatInputs(const KernelInfo& info, std::initializer_list<int> inputs) {
  for (int i : inputs) {
    if (!info.has_input(i)) continue;
    const DType t = info.input_dtype(i);
    if (t != DType::kFloat32 && t != DType::kUndefined)
      return Unimplemented(info.node().Describe() + ": dnnl kernels take FP32 only, input " + std::to_string(i) +
                           " is " + std::string(DTypeName(t)));
  }
  return Status::Ok();
}

void LogPrimitive(std::string_view kernel, const std::string& node, const Shape& shape,
                  const dnnl::primitive_desc_base& pd) {
  if (!Verbose()) return;
  std::fprintf(stderr, "inferd dnnl: %.*s %s %s: %s\n", static_cast<int>(kernel.size()), kernel.data(),
               node.c_str(), ShapeToString(shape).c_str(), pd.impl_info_str());
}

void LogFallback(std::string_view kernel, const std::string& node, const Status& why) {
  if (!Verbose()) return;
  std::fprintf(stderr, "inferd dnnl: %.*s %s: reference fallback: %s\n", static_cast<int>(kernel.size()),
               kernel.data(), node.c_str(), why.ToString().c_str());
}

}  // namespace inferd::onednn
