// Reference kernel of inferd.TransposedMatMul: plain loops over the strided
// views, accumulated in double. FP32 only (the fusion pass creates it for
// the FP32 attention products).
#include "engine/kernels/ref/transposed_matmul.h"

#include "engine/kernels/internal_ops.h"
#include "engine/kernels/kernel.h"

namespace inferd::ref {
namespace {

Status CheckPerm(const std::string& node, const char* what, const std::vector<int64_t>& perm) {
  if (perm.empty()) return Status::Ok();
  bool seen[3] = {false, false, false};
  bool ok = perm.size() == 3;
  for (size_t i = 0; ok && i < 3; ++i) {
    ok = perm[i] >= 0 && perm[i] < 3 && !seen[perm[i]];
    if (ok) seen[perm[i]] = true;
  }
  if (!ok)
    return InvalidArgument(node + ": " + what + " must be a permutation of [0, 1, 2], got " + ShapeToString(perm));
  return Status::Ok();
}

// Logical dims and element strides of `physical` (row-major) read through `perm`.
void View(const Shape& physical, const std::vector<int64_t>& perm, int64_t dims[3], int64_t strides[3]) {
  const int64_t row_major[3] = {physical[1] * physical[2], physical[2], 1};
  for (int i = 0; i < 3; ++i) {
    const int64_t p = perm.empty() ? i : perm[static_cast<size_t>(i)];
    dims[i] = physical[static_cast<size_t>(p)];
    strides[i] = row_major[p];
  }
}

}  // namespace

Result<TransposedMatMulGeometry> TransposedMatMulShapes(const std::string& node, const Shape& a, const Shape& b,
                                                        const std::vector<int64_t>& perm_a,
                                                        const std::vector<int64_t>& perm_b,
                                                        const std::vector<int64_t>& perm_y) {
  RETURN_IF_ERROR(CheckPerm(node, "perm_a", perm_a));
  RETURN_IF_ERROR(CheckPerm(node, "perm_b", perm_b));
  RETURN_IF_ERROR(CheckPerm(node, "perm_y", perm_y));
  if (a.size() != 3 || b.size() != 3)
    return InvalidArgument(node + ": takes rank-3 A and B, got " + ShapeToString(a) + " and " + ShapeToString(b));
  TransposedMatMulGeometry g;
  int64_t ad[3], bd[3];
  View(a, perm_a, ad, g.a_strides);
  View(b, perm_b, bd, g.b_strides);
  if (ad[2] != bd[1])
    return InvalidArgument(node + ": A " + ShapeToString(a) + " and B " + ShapeToString(b) +
                           " (as transposed) have mismatched inner dimensions " + std::to_string(ad[2]) + " and " +
                           std::to_string(bd[1]));
  if (ad[0] != bd[0] && ad[0] != 1 && bd[0] != 1)
    return InvalidArgument(node + ": batch dims " + std::to_string(ad[0]) + " and " + std::to_string(bd[0]) + " of A " +
                           ShapeToString(a) + " and B " + ShapeToString(b) + " do not broadcast");
  g.a_batch = ad[0];
  g.b_batch = bd[0];
  g.batch = ad[0] == 1 ? bd[0] : ad[0];
  g.m = ad[1];
  g.k = ad[2];
  g.n = bd[2];
  const int64_t y[3] = {g.batch, g.m, g.n};
  // Physical output: y_shape[i] = y[perm_y[i]], row-major; logical dim
  // perm_y[i] lives at physical position i.
  g.y_shape.resize(3);
  for (int i = 0; i < 3; ++i)
    g.y_shape[static_cast<size_t>(i)] = y[perm_y.empty() ? i : perm_y[static_cast<size_t>(i)]];
  const int64_t row_major[3] = {g.y_shape[1] * g.y_shape[2], g.y_shape[2], 1};
  for (int i = 0; i < 3; ++i) g.y_strides[perm_y.empty() ? i : perm_y[static_cast<size_t>(i)]] = row_major[i];
  return g;
}

namespace {

class TransposedMatMulKernel final : public Kernel {
 public:
  TransposedMatMulKernel(std::string node, std::vector<int64_t> pa, std::vector<int64_t> pb, std::vector<int64_t> py)
      : node_(std::move(node)), pa_(std::move(pa)), pb_(std::move(pb)), py_(std::move(py)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    if (a == nullptr || b == nullptr) return InvalidArgument(node_ + ": needs inputs A and B");
    if (a->dtype() != DType::kFloat32 || b->dtype() != DType::kFloat32)
      return InvalidArgument(node_ + ": takes FP32 A and B, got " + std::string(DTypeName(a->dtype())) + " and " +
                             std::string(DTypeName(b->dtype())));
    ASSIGN_OR_RETURN(TransposedMatMulGeometry g, TransposedMatMulShapes(node_, a->shape(), b->shape(), pa_, pb_, py_));
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DType::kFloat32, g.y_shape));
    const float* pa = a->data<float>();
    const float* pb = b->data<float>();
    float* py = out->data<float>();
    for (int64_t s = 0; s < g.batch; ++s) {
      const float* as = pa + (g.a_batch == 1 ? 0 : s * g.a_strides[0]);
      const float* bs = pb + (g.b_batch == 1 ? 0 : s * g.b_strides[0]);
      for (int64_t i = 0; i < g.m; ++i)
        for (int64_t j = 0; j < g.n; ++j) {
          double acc = 0;
          for (int64_t q = 0; q < g.k; ++q)
            acc += static_cast<double>(as[i * g.a_strides[1] + q * g.a_strides[2]]) *
                   bs[q * g.b_strides[1] + j * g.b_strides[2]];
          py[s * g.y_strides[0] + i * g.y_strides[1] + j * g.y_strides[2]] = static_cast<float>(acc);
        }
    }
    return Status::Ok();
  }

 private:
  std::string node_;
  std::vector<int64_t> pa_, pb_, py_;
};

Result<std::unique_ptr<Kernel>> CreateTransposedMatMul(const KernelInfo& info) {
  return std::unique_ptr<Kernel>(std::make_unique<TransposedMatMulKernel>(
      info.node().Describe(), info.GetInts("perm_a"), info.GetInts("perm_b"), info.GetInts("perm_y")));
}

}  // namespace

INFERD_REGISTER_KERNEL(InternalTransposedMatMul,
                       {std::string(kInternalDomain), "TransposedMatMul", 0, 1000, 0, "ref", &CreateTransposedMatMul});

}  // namespace inferd::ref
