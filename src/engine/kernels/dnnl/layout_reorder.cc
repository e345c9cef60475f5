// The reorders the layout pass inserts at the edges of a blocked region
// (internal domain "inferd", see internal_ops.h; attribute "block"):
//   ToBlockedLayout  X [N, C, H, W]        -> Y [N, C/b, H, W, b]
//   ToPlainLayout    X [N, C/b, H, W, b]   -> Y [N, C, H, W]
// through a cached oneDNN reorder. With H*W == 1 both layouts have the same
// bytes (GlobalAveragePool's output), so Y is a view of X and nothing moves.
#include "engine/kernels/dnnl/dnnl_common.h"
#include "engine/kernels/dnnl/layout.h"

namespace inferd::onednn {
namespace {

using dnnl::memory;

class LayoutReorderKernel final : public Kernel {
 public:
  LayoutReorderKernel(bool to_blocked, int block, std::string node)
      : to_blocked_(to_blocked), block_(block), node_(std::move(node)) {}

  std::string_view name() const override { return to_blocked_ ? "dnnl.to_blocked" : "dnnl.to_plain"; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(node_ + ": missing input");
    if (x->dtype() != DType::kFloat32)
      return InvalidArgument(node_ + ": reorders FP32 only, got " + std::string(DTypeName(x->dtype())));
    Shape logical;
    Shape out_shape;
    if (to_blocked_) {
      logical = x->shape();
      auto s = BlockedShape(logical, block_);
      if (!s.ok()) return s.status().WithContext(node_);
      out_shape = *s;
    } else {
      auto s = LogicalShape(x->shape(), block_);
      if (!s.ok()) return s.status().WithContext(node_);
      logical = out_shape = *s;
    }
    if (logical[2] * logical[3] == 1 || x->numel() == 0) {
      ASSIGN_OR_RETURN(Tensor view, x->Reshaped(out_shape));
      ctx.SetOutput(0, std::move(view));
      return Status::Ok();
    }
    State& st = StateOf<State>(ctx);
    Plan* plan = st.plans.Find(logical);
    if (plan == nullptr) {
      Plan p;
      RETURN_IF_ERROR(Guard(node_, [&]() -> Status {
        const memory::desc plain = PlainDesc(ToDims(logical)), blocked = BlockedDesc(logical, block_);
        p.src = memory(to_blocked_ ? plain : blocked, CpuEngine(), nullptr);
        p.dst = memory(to_blocked_ ? blocked : plain, CpuEngine(), nullptr);
        p.reorder = dnnl::reorder(p.src, p.dst);
        return Status::Ok();
      }));
      plan = &st.plans.Insert(logical, std::move(p));
    }
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, out_shape));
    return Guard(node_, [&]() -> Status {
      plan->src.set_data_handle(x->raw());
      plan->dst.set_data_handle(out->raw());
      plan->reorder.execute(st.stream(), plan->src, plan->dst);
      st.stream().wait();
      return Status::Ok();
    });
  }

 private:
  struct Plan {
    memory src, dst;
    dnnl::reorder reorder;
  };
  struct State : DnnlState {
    PlanCache<Plan> plans;
  };

  bool to_blocked_;
  int block_;
  std::string node_;
};

KernelFactory Factory(bool to_blocked) {
  return [to_blocked](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    const int64_t block = info.GetInt("block", 0);
    if (block != 8 && block != 16) return info.Error("attribute 'block' must be 8 or 16, got " + std::to_string(block));
    return std::unique_ptr<Kernel>(
        std::make_unique<LayoutReorderKernel>(to_blocked, static_cast<int>(block), info.node().Describe()));
  };
}

}  // namespace

// The only kernels for these internal ops: the layout pass inserts them only
// when the dnnl provider is in use.
INFERD_REGISTER_KERNEL(DnnlToBlockedLayout, {std::string(kInternalDomain), "ToBlockedLayout", 1, 1000, 10, "dnnl", Factory(true)});
INFERD_REGISTER_KERNEL(DnnlToPlainLayout, {std::string(kInternalDomain), "ToPlainLayout", 1, 1000, 10, "dnnl", Factory(false)});

}  // namespace inferd::onednn
