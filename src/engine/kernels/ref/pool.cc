// Reference windowed pools: MaxPool (optional Indices output, storage_order,
// ceil_mode, dilations), AveragePool (count_include_pad) and LpPool, over 1-D,
// 2-D and 3-D inputs with explicit pads or auto_pad.
//
// For each output position the window's valid input offsets are listed once
// and then reduced over every (n, c) plane; values go through double, which
// is exact for every element type these ops accept.
#include <cmath>
#include <limits>
#include <vector>

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/conv_util.h"
#include "engine/kernels/ref/fused_activation.h"

namespace inferd::ref {
namespace {

enum class PoolKind { kMax, kAverage, kLp };

// One output position's window: input offsets (row-major and column-major)
// and how many window slots fall inside the padded input.
struct Window {
  std::vector<int64_t> offsets;
  std::vector<int64_t> col_major;
  int64_t with_pad = 0;
};

void ListWindow(const WindowGeometry& g, const std::vector<int64_t>& oidx, Window* w) {
  const size_t nd = g.rank();
  w->offsets.clear();
  w->col_major.clear();
  w->with_pad = 1;
  // Per dim: valid input indices, and the count of slots inside [-pb, in + pe).
  std::vector<std::vector<int64_t>> valid(nd);
  for (size_t d = 0; d < nd; ++d) {
    int64_t padded = 0;
    for (int64_t k = 0; k < g.kernel[d]; ++k) {
      const int64_t i = oidx[d] * g.strides[d] - g.pad_begin[d] + k * g.dilations[d];
      if (i >= 0 && i < g.in[d]) valid[d].push_back(i);
      if (i >= -g.pad_begin[d] && i < g.in[d] + g.pad_end[d]) ++padded;
    }
    w->with_pad *= padded;
    if (valid[d].empty()) return;
  }
  std::vector<size_t> pos(nd, 0);
  while (true) {
    int64_t row = 0, col = 0, stride = 1;
    for (size_t d = 0; d < nd; ++d) {
      row = row * g.in[d] + valid[d][pos[d]];
      col += valid[d][pos[d]] * stride;
      stride *= g.in[d];
    }
    w->offsets.push_back(row);
    w->col_major.push_back(col);
    size_t d = nd;
    while (d-- > 0) {
      if (++pos[d] < valid[d].size()) break;
      pos[d] = 0;
    }
    if (d == static_cast<size_t>(-1)) break;
  }
}

struct PoolParams {
  PoolKind kind;
  bool count_include_pad = false;
  int64_t storage_order = 0;
  double p = 2;
  FusedActivation act;
};

template <class T>
void PoolPlanes(const PoolParams& pp, const WindowGeometry& g, const T* x, int64_t planes, T* y, int64_t* indices) {
  const size_t nd = g.rank();
  const int64_t in_size = g.in_size(), out_size = g.out_size();
  std::vector<int64_t> oidx(nd, 0);
  Window w;
  for (int64_t p = 0; p < out_size; ++p) {
    ListWindow(g, oidx, &w);
    for (int64_t plane = 0; plane < planes; ++plane) {
      const T* xp = x + plane * in_size;
      double v = 0;
      switch (pp.kind) {
        case PoolKind::kMax: {
          v = -std::numeric_limits<double>::infinity();
          int64_t arg = -1;
          for (size_t j = 0; j < w.offsets.size(); ++j) {
            const double e = ToDouble(xp[w.offsets[j]]);
            if (arg < 0 || e > v) {
              v = e;
              arg = static_cast<int64_t>(j);
            }
          }
          if (arg < 0) v = 0;  // the window lies wholly in padding
          if (indices != nullptr) {
            const int64_t spatial = arg < 0 ? 0 : (pp.storage_order == 0 ? w.offsets[arg] : w.col_major[arg]);
            indices[plane * out_size + p] = plane * in_size + spatial;
          }
          break;
        }
        case PoolKind::kAverage: {
          for (int64_t off : w.offsets) v += ToDouble(xp[off]);
          const int64_t count = pp.count_include_pad ? w.with_pad : static_cast<int64_t>(w.offsets.size());
          v = count > 0 ? v / static_cast<double>(count) : 0.0;
          break;
        }
        case PoolKind::kLp: {
          for (int64_t off : w.offsets) v += std::pow(std::abs(ToDouble(xp[off])), pp.p);
          v = std::pow(v, 1.0 / pp.p);
          break;
        }
      }
      if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>)
        ApplyActivationInPlace(&v, 1, pp.act);
      y[plane * out_size + p] = ConvertElement<T>(v);
    }
    for (size_t d = nd; d-- > 0;) {
      if (++oidx[d] < g.out[d]) break;
      oidx[d] = 0;
    }
  }
}

class PoolKernel final : public Kernel {
 public:
  PoolKernel(PoolParams params, WindowAttrs attrs, std::string op, std::string where)
      : params_(std::move(params)), attrs_(std::move(attrs)), op_(std::move(op)), where_(std::move(where)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument(where_ + ": needs input X");
    if (x->rank() < 3)
      return InvalidArgument(where_ + ": input X has shape " + ShapeToString(x->shape()) +
                             "; expected [N, C, d1, ...]");
    ASSIGN_OR_RETURN(WindowGeometry g, ForwardGeometry(attrs_, SpatialDims(x->shape()), attrs_.kernel_shape, where_));
    Shape out_shape{x->dim(0), x->dim(1)};
    out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());
    const bool want_indices = ctx.num_outputs() > 1;
    if (want_indices && params_.kind != PoolKind::kMax)
      return InvalidArgument(where_ + ": only MaxPool has an Indices output");
    ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), out_shape));
    int64_t* indices = nullptr;
    if (want_indices) {
      ASSIGN_OR_RETURN(Tensor * ind, ctx.Output(1, DType::kInt64, out_shape));
      indices = ind->data<int64_t>();
    }
    const int64_t planes = x->dim(0) * x->dim(1);
    auto run = [&](auto tag) -> Status {
      using T = decltype(tag);
      PoolPlanes<T>(params_, g, x->data<T>(), planes, y->data<T>(), indices);
      return Status::Ok();
    };
    switch (x->dtype()) {
      case DType::kFloat32:
        return run(float{});
      case DType::kFloat64:
        return run(double{});
      case DType::kFloat16:
        return run(Float16{});
      case DType::kInt8:
        if (params_.kind == PoolKind::kMax) return run(int8_t{});
        break;
      case DType::kUint8:
        if (params_.kind == PoolKind::kMax) return run(uint8_t{});
        break;
      default:
        break;
    }
    return UnsupportedType(op_, x->dtype(), "X");
  }

 private:
  PoolParams params_;
  WindowAttrs attrs_;
  std::string op_;
  std::string where_;
};

KernelFactory PoolFactory(PoolKind kind, const char* op) {
  return [kind, op](const KernelInfo& info) -> Result<std::unique_ptr<Kernel>> {
    ASSIGN_OR_RETURN(WindowAttrs attrs, ParseWindowAttrs(info));
    if (attrs.kernel_shape.empty()) return info.Error("attribute 'kernel_shape' is required");
    PoolParams pp;
    pp.kind = kind;
    pp.count_include_pad = info.GetInt("count_include_pad", 0) != 0;
    pp.storage_order = info.GetInt("storage_order", 0);
    if (pp.storage_order != 0 && pp.storage_order != 1)
      return info.Error("attribute 'storage_order' must be 0 (row major) or 1 (column major)");
    if (kind == PoolKind::kLp) {
      pp.p = static_cast<double>(info.GetInt("p", 2));
      if (pp.p <= 0) return info.Error("attribute 'p' must be positive");
    }
    if (kind != PoolKind::kMax && info.num_outputs() > 1) return info.Error("has only one output");
    ASSIGN_OR_RETURN(pp.act, ParseFusedActivation(info));
    return std::unique_ptr<Kernel>(std::make_unique<PoolKernel>(pp, std::move(attrs), op, info.node().Describe()));
  };
}

}  // namespace

INFERD_REGISTER_KERNEL(MaxPool, {"", "MaxPool", 1, 1000, 0, "ref", PoolFactory(PoolKind::kMax, "MaxPool")});
INFERD_REGISTER_KERNEL(AveragePool,
                       {"", "AveragePool", 1, 1000, 0, "ref", PoolFactory(PoolKind::kAverage, "AveragePool")});
// LpPool opset 1 had a float 'p'; opset 2+ an int.
INFERD_REGISTER_KERNEL(LpPool, {"", "LpPool", 2, 1000, 0, "ref", PoolFactory(PoolKind::kLp, "LpPool")});

}  // namespace inferd::ref
