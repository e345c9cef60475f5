#include "engine/kernels/ref/integer_compute.h"

#include "engine/kernels/ref/common.h"
#include "engine/kernels/ref/quant_util.h"

namespace inferd::ref {

bool IsEightBit(DType t) { return t == DType::kUint8 || t == DType::kInt8; }

Result<std::vector<int32_t>> ReadZeroPoints(const Tensor* zp, int64_t allowed, const std::string& where,
                                            const std::string& name) {
  if (zp == nullptr) return std::vector<int32_t>{0};
  if (!IsEightBit(zp->dtype()) && zp->dtype() != DType::kInt32)
    return InvalidArgument(where + ": " + name + " must be uint8 or int8, got " +
                           std::string(DTypeOnnxName(zp->dtype())));
  if (zp->numel() != 1 && zp->numel() != allowed)
    return InvalidArgument(where + ": " + name + " has shape " + ShapeToString(zp->shape()) + "; expected 1 or " +
                           std::to_string(allowed) + " values");
  std::vector<int32_t> v(static_cast<size_t>(zp->numel()));
  for (int64_t i = 0; i < zp->numel(); ++i) v[static_cast<size_t>(i)] = ReadQuantElement(*zp, i);
  return v;
}

Result<IntegerConvResult> IntegerConv(const Tensor& x, int32_t x_zp, const Tensor& w, const std::vector<int32_t>& w_zp,
                                      const Tensor* bias, const WindowAttrs& attrs, int64_t group,
                                      const std::string& where, int threads) {
  if (!IsEightBit(x.dtype()) || !IsEightBit(w.dtype()))
    return InvalidArgument(where + ": x and w must be uint8 or int8, got " + std::string(DTypeOnnxName(x.dtype())) +
                           " and " + std::string(DTypeOnnxName(w.dtype())));
  std::vector<int64_t> kernel;
  RETURN_IF_ERROR(CheckConvShapes(x.shape(), w.shape(), group, attrs, where, &kernel));
  const int64_t batch = x.dim(0), channels = x.dim(1), maps = w.dim(0);
  if (w.dim(1) != channels / group)
    return InvalidArgument(where + ": weight w has shape " + ShapeToString(w.shape()) +
                           "; dim 1 must be C/group = " + std::to_string(channels / group));
  if (w_zp.size() != 1 && static_cast<int64_t>(w_zp.size()) != maps)
    return InvalidArgument(where + ": weight zero point has " + std::to_string(w_zp.size()) +
                           " values; expected 1 or " + std::to_string(maps));
  if (bias != nullptr && (bias->dtype() != DType::kInt32 || bias->rank() != 1 || bias->dim(0) != maps))
    return InvalidArgument(where + ": bias must be int32 [" + std::to_string(maps) + "], got " +
                           std::string(DTypeOnnxName(bias->dtype())) + " " + ShapeToString(bias->shape()));
  ASSIGN_OR_RETURN(WindowGeometry g, ForwardGeometry(attrs, SpatialDims(x.shape()), kernel, where));
  RETURN_IF_ERROR(CheckColumnBuffer(g, channels / group, sizeof(int32_t), where));
  IntegerConvResult r;
  r.shape = {batch, maps};
  r.shape.insert(r.shape.end(), g.out.begin(), g.out.end());
  const int64_t numel = ShapeNumel(r.shape);
  if (numel < 0 || numel > kMaxTensorBytes / 4)
    return InvalidArgument(where + ": output " + ShapeToString(r.shape) + " is too large");
  std::vector<int32_t> xi(static_cast<size_t>(x.numel())), wi(static_cast<size_t>(w.numel()));
  for (int64_t i = 0; i < x.numel(); ++i) xi[static_cast<size_t>(i)] = ReadQuantElement(x, i) - x_zp;
  const int64_t per_map = maps == 0 ? 0 : w.numel() / maps;
  for (int64_t i = 0; i < w.numel(); ++i)
    wi[static_cast<size_t>(i)] = ReadQuantElement(w, i) - w_zp[w_zp.size() == 1 ? 0 : static_cast<size_t>(i / per_map)];
  r.acc.resize(static_cast<size_t>(numel));
  std::vector<int32_t> scratch;
  if (numel > 0)
    ConvForward<int32_t>(xi.data(), wi.data(), bias ? bias->data<int32_t>() : nullptr, r.acc.data(), batch, channels,
                         maps, group, g, threads, scratch);
  return r;
}

Result<IntegerMatMulResult> IntegerMatMul(const Tensor& a, const std::vector<int32_t>& a_zp, const Tensor& b,
                                          const std::vector<int32_t>& b_zp, const std::string& where, int threads) {
  if (!IsEightBit(a.dtype()) || !IsEightBit(b.dtype()))
    return InvalidArgument(where + ": A and B must be uint8 or int8, got " + std::string(DTypeOnnxName(a.dtype())) +
                           " and " + std::string(DTypeOnnxName(b.dtype())));
  if (a.rank() == 0 || b.rank() == 0) return InvalidArgument(where + ": A and B must have rank >= 1");
  // Numpy matmul: 1-D A is a row [1, K], 1-D B a column [K, 1]; both extra dims are dropped after.
  Shape as = a.shape(), bs = b.shape();
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  if (bs[bs.size() - 2] != K)
    return InvalidArgument(where + ": inner dimensions differ: A " + ShapeToString(a.shape()) + ", B " +
                           ShapeToString(b.shape()));
  if (a_zp.size() != 1 && static_cast<int64_t>(a_zp.size()) != M)
    return InvalidArgument(where + ": A's zero point needs 1 or " + std::to_string(M) + " (per row) values");
  if (b_zp.size() != 1 && static_cast<int64_t>(b_zp.size()) != N)
    return InvalidArgument(where + ": B's zero point needs 1 or " + std::to_string(N) + " (per column) values");
  const Shape a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  ASSIGN_OR_RETURN(Shape batch, BroadcastShapes({a_batch, b_batch}));
  IntegerMatMulResult r;
  r.rows = M;
  r.cols = N;
  r.shape = batch;
  if (a.rank() > 1) r.shape.push_back(M);
  if (b.rank() > 1) r.shape.push_back(N);
  const int64_t nb = ShapeNumel(batch);
  r.acc.assign(static_cast<size_t>(nb * M * N), 0);
  std::vector<int32_t> ai(static_cast<size_t>(M * K)), bi(static_cast<size_t>(K * N));
  BroadcastIndexer idx(batch, {a_batch, b_batch});
  for (int64_t i = 0; i < nb; ++i, idx.Next()) {
    const int64_t ao = idx.offset(0) * M * K, bo = idx.offset(1) * K * N;
    for (int64_t m = 0; m < M; ++m)
      for (int64_t k = 0; k < K; ++k)
        ai[static_cast<size_t>(m * K + k)] =
            ReadQuantElement(a, ao + m * K + k) - a_zp[a_zp.size() == 1 ? 0 : static_cast<size_t>(m)];
    for (int64_t k = 0; k < K; ++k)
      for (int64_t n = 0; n < N; ++n)
        bi[static_cast<size_t>(k * N + n)] =
            ReadQuantElement(b, bo + k * N + n) - b_zp[b_zp.size() == 1 ? 0 : static_cast<size_t>(n)];
    GemmAccumulate<int32_t>(M, N, K, ai.data(), K, bi.data(), N, r.acc.data() + i * M * N, N, threads);
  }
  return r;
}

}  // namespace inferd::ref
