// Reference kernels for Resize (opset 10, 11, 13+) and the deprecated
// Upsample (opset 7-9): nearest, linear and cubic interpolation, separable
// over every axis, following the ONNX reference implementation (the one the
// backend test data was generated with). Computation is in double; any
// numeric dtype is accepted.
#include <algorithm>
#include <array>
#include <cmath>

#include "engine/kernels/ref/shape_util.h"

namespace inferd::ref {
namespace {

enum class Mode { kNearest, kLinear, kCubic };
enum class Coord { kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfHalfPixelForNN, kTfCropAndResize };
// kSimple is Resize-10 / Upsample: floor when upsampling, ceil when downsampling (as ONNX Runtime does).
enum class Nearest { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };

struct ResizeConfig {
  Mode mode = Mode::kNearest;
  Coord coord = Coord::kHalfPixel;
  Nearest nearest = Nearest::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0.0;
  // Where the inputs are: scales/sizes/roi input index, -1 if not an input.
  int roi_input = -1, scales_input = -1, sizes_input = -1;
  std::vector<float> scales_attr;  // Upsample-7
};

// The input samples and weights one output coordinate reads along one axis.
struct Taps {
  int n = 0;
  std::array<int64_t, 4> index{};
  std::array<double, 4> weight{};
  bool outside = false;  // tf_crop_and_resize: the coordinate falls outside the input
};

std::array<double, 4> CubicCoeffs(double r, double a) {
  const double s = 1 - r;
  return {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a, ((a + 2) * r - (a + 3)) * r * r + 1,
          ((a + 2) * s - (a + 3)) * s * s + 1, ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a};
}

// Input coordinate for output coordinate x along an axis (see the Resize spec).
double OriginalCoord(const ResizeConfig& c, double x, double scale, int64_t in_len, double roi_start,
                     double roi_end) {
  const double out_width = scale * static_cast<double>(in_len);
  switch (c.coord) {
    case Coord::kHalfPixel: return (x + 0.5) / scale - 0.5;
    case Coord::kPytorchHalfPixel: return out_width == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
    case Coord::kAlignCorners:
      return out_width == 1 ? 0.0 : x * static_cast<double>(in_len - 1) / (out_width - 1);
    case Coord::kAsymmetric: return x / scale;
    case Coord::kTfHalfPixelForNN: return (x + 0.5) / scale;
    case Coord::kTfCropAndResize: {
      const double span = (roi_end - roi_start) * static_cast<double>(in_len - 1);
      const double v = out_width == 1 ? span / 2 : x * span / (out_width - 1);
      return v + roi_start * static_cast<double>(in_len - 1);
    }
  }
  return 0;
}

Taps AxisTaps(const ResizeConfig& c, int64_t x, double scale, int64_t in_len, int64_t out_len, double roi_start,
              double roi_end) {
  Taps t;
  const double xo = OriginalCoord(c, static_cast<double>(x), scale, in_len, roi_start, roi_end);
  if (c.coord == Coord::kTfCropAndResize && (xo < 0 || xo > static_cast<double>(in_len - 1))) {
    t.outside = true;
    return t;
  }
  auto clamp = [&](int64_t i) { return std::clamp<int64_t>(i, 0, in_len - 1); };
  if (!std::isfinite(xo)) {
    t.n = 1;
    t.index[0] = xo > 0 ? in_len - 1 : 0;
    t.weight[0] = 1;
    return t;
  }
  // As the reference: an integral coordinate is treated as ratio 1 from the sample below it.
  const double fl = std::floor(xo);
  const bool integral = fl == xo;
  const int64_t base = static_cast<int64_t>(std::clamp(fl, -1e15, 1e15)) - (integral ? 1 : 0);
  const double ratio = integral ? 1.0 : xo - fl;
  if (c.mode == Mode::kNearest) {
    bool up = integral;
    if (!integral) {
      switch (c.nearest) {
        case Nearest::kRoundPreferFloor: up = ratio > 0.5; break;
        case Nearest::kRoundPreferCeil: up = ratio >= 0.5; break;
        case Nearest::kFloor: up = false; break;
        case Nearest::kCeil: up = true; break;
        case Nearest::kSimple: up = scale < 1; break;
      }
    }
    t.n = 1;
    t.index[0] = clamp(base + (up ? 1 : 0));
    t.weight[0] = 1;
    return t;
  }
  std::array<double, 4> w{};
  std::array<int64_t, 4> idx{};
  int n = 0;
  if (c.mode == Mode::kLinear) {
    n = 2;
    w = {1 - ratio, ratio, 0, 0};
    idx = {base, base + 1, 0, 0};
  } else {
    n = 4;
    w = CubicCoeffs(ratio, c.cubic_a);
    idx = {base - 1, base, base + 1, base + 2};
  }
  if (c.exclude_outside) {
    double sum = 0;
    for (int k = 0; k < n; ++k) {
      if (idx[static_cast<size_t>(k)] < 0 || idx[static_cast<size_t>(k)] >= in_len) w[static_cast<size_t>(k)] = 0;
      sum += w[static_cast<size_t>(k)];
    }
    if (sum != 0)
      for (int k = 0; k < n; ++k) w[static_cast<size_t>(k)] /= sum;
  }
  for (int k = 0; k < n; ++k) {
    if (w[static_cast<size_t>(k)] == 0) continue;  // skip dead taps: keeps 1:1 axes cheap
    t.index[static_cast<size_t>(t.n)] = clamp(idx[static_cast<size_t>(k)]);
    t.weight[static_cast<size_t>(t.n)] = w[static_cast<size_t>(k)];
    ++t.n;
  }
  (void)out_len;
  return t;
}

Result<std::vector<double>> ReadFloats(const Tensor& t, const std::string& what) {
  if (t.dtype() != DType::kFloat32 && t.dtype() != DType::kFloat64 && t.dtype() != DType::kFloat16)
    return InvalidArgument(what + " must be a float tensor, got " + std::string(DTypeName(t.dtype())));
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.GetAsDouble(i);
  return v;
}

Status ResizeRun(KernelContext& ctx, const ResizeConfig& c) {
  const Tensor* x = ctx.input(0);
  if (x == nullptr) return InvalidArgument("X (input 0) is missing");
  const size_t r = static_cast<size_t>(x->rank());
  const Shape& in = x->shape();
  std::vector<double> scales;
  Shape out_shape(r);
  const Tensor* sizes_t = c.sizes_input >= 0 ? ctx.input(c.sizes_input) : nullptr;
  const Tensor* scales_t = c.scales_input >= 0 ? ctx.input(c.scales_input) : nullptr;
  if (sizes_t != nullptr && sizes_t->numel() > 0) {
    if (scales_t != nullptr && scales_t->numel() > 0) return InvalidArgument("only one of scales and sizes may be given");
    ASSIGN_OR_RETURN(std::vector<int64_t> sizes, ReadInts(*sizes_t, "sizes"));
    if (sizes.size() != r)
      return InvalidArgument("sizes " + ShapeToString(sizes) + " must have one entry per input dimension (" +
                             std::to_string(r) + ")");
    for (size_t i = 0; i < r; ++i) {
      if (sizes[i] < 0) return InvalidArgument("sizes " + ShapeToString(sizes) + " has a negative entry");
      if (in[i] == 0 && sizes[i] != 0) return InvalidArgument("cannot resize an empty dimension to a non-empty one");
      out_shape[i] = sizes[i];
      scales.push_back(in[i] == 0 ? 1.0 : static_cast<double>(sizes[i]) / static_cast<double>(in[i]));
    }
  } else {
    if (scales_t != nullptr) {
      ASSIGN_OR_RETURN(scales, ReadFloats(*scales_t, "scales"));
    } else if (!c.scales_attr.empty()) {
      scales.assign(c.scales_attr.begin(), c.scales_attr.end());
    } else {
      return InvalidArgument("one of scales and sizes must be given");
    }
    if (scales.size() != r)
      return InvalidArgument("scales has " + std::to_string(scales.size()) + " entries for an input of rank " +
                             std::to_string(r));
    for (size_t i = 0; i < r; ++i) {
      if (!(scales[i] > 0) || !std::isfinite(scales[i]))
        return InvalidArgument("scales must be positive and finite, got " + std::to_string(scales[i]));
      const double n = std::floor(static_cast<double>(in[i]) * scales[i]);
      if (n > 9.2e18) return InvalidArgument("output size along axis " + std::to_string(i) + " is too large");
      out_shape[i] = static_cast<int64_t>(n);
    }
  }
  std::vector<double> roi(2 * r, 0.0);
  for (size_t i = 0; i < r; ++i) roi[r + i] = 1.0;
  if (c.coord == Coord::kTfCropAndResize) {
    const Tensor* roi_t = c.roi_input >= 0 ? ctx.input(c.roi_input) : nullptr;
    if (roi_t == nullptr || roi_t->numel() == 0) return InvalidArgument("tf_crop_and_resize needs roi");
    ASSIGN_OR_RETURN(roi, ReadFloats(*roi_t, "roi"));
    if (roi.size() != 2 * r)
      return InvalidArgument("roi must have " + std::to_string(2 * r) + " entries, got " + std::to_string(roi.size()));
  }
  RETURN_IF_ERROR(CheckComputedShape(out_shape, x->dtype(), "output shape"));
  ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), out_shape));
  if (out->numel() == 0) return Status::Ok();

  std::vector<std::vector<Taps>> taps(r);
  for (size_t i = 0; i < r; ++i)
    for (int64_t o = 0; o < out_shape[i]; ++o)
      taps[i].push_back(AxisTaps(c, o, scales[i], in[i], out_shape[i], roi[i], roi[r + i]));
  const auto strides = Strides(in);

  return DispatchAll(
      x->dtype(),
      [&](auto tag) -> Status {
        using T = decltype(tag);
        if constexpr (std::is_same_v<T, bool>) {
          return UnsupportedType("Resize", DType::kBool);
        } else {
          const T* p = x->data<T>();
          T* o = out->data<T>();
          std::vector<int64_t> pos(r, 0);
          std::vector<const Taps*> cur(r);
          // Sum over the product of every axis's taps.
          std::function<double(size_t, int64_t, double)> sum = [&](size_t axis, int64_t off, double w) -> double {
            if (axis == r) return w * ToDouble(p[off]);
            double s = 0;
            const Taps& t = *cur[axis];
            for (int k = 0; k < t.n; ++k)
              s += sum(axis + 1, off + t.index[static_cast<size_t>(k)] * strides[axis], w * t.weight[static_cast<size_t>(k)]);
            return s;
          };
          for (int64_t n = 0; n < out->numel(); ++n) {
            bool outside = false;
            for (size_t i = 0; i < r; ++i) {
              cur[i] = &taps[i][static_cast<size_t>(pos[i])];
              outside = outside || cur[i]->outside;
            }
            const double v = outside ? c.extrapolation : sum(0, 0, 1.0);
            if constexpr (std::is_integral_v<T>) {
              // Integer outputs round to nearest and saturate, never overflow.
              const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
              const double hi = static_cast<double>(std::numeric_limits<T>::max());
              const double rv = std::nearbyint(std::clamp(v, lo, hi));
              o[n] = rv >= hi ? std::numeric_limits<T>::max() : static_cast<T>(rv);
            } else {
              o[n] = ConvertElement<T>(v);
            }
            for (size_t i = r; i-- > 0;) {
              if (++pos[i] < out_shape[i]) break;
              pos[i] = 0;
            }
          }
          return Status::Ok();
        }
      },
      [&] { return UnsupportedType("Resize", x->dtype()); });
}

Result<Mode> ParseMode(const KernelInfo& info) {
  const std::string m = info.GetString("mode", "nearest");
  if (m == "nearest") return Mode::kNearest;
  if (m == "linear" || m == "bilinear" || m == "trilinear") return Mode::kLinear;
  if (m == "cubic" && info.op_type() == "Resize" && info.opset() >= 11) return Mode::kCubic;
  return info.Error("unsupported mode '" + m + "'");
}

Result<std::unique_ptr<Kernel>> CreateResize(const KernelInfo& info) {
  ResizeConfig c;
  ASSIGN_OR_RETURN(c.mode, ParseMode(info));
  if (info.opset() < 11) {
    // Resize-10: (X, scales); the coordinates of Upsample.
    c.coord = Coord::kAsymmetric;
    c.nearest = Nearest::kSimple;
    c.scales_input = 1;
  } else {
    c.roi_input = 1;
    c.scales_input = 2;
    c.sizes_input = 3;
    const std::string ctm = info.GetString("coordinate_transformation_mode", "half_pixel");
    if (ctm == "half_pixel") c.coord = Coord::kHalfPixel;
    else if (ctm == "pytorch_half_pixel") c.coord = Coord::kPytorchHalfPixel;
    else if (ctm == "align_corners") c.coord = Coord::kAlignCorners;
    else if (ctm == "asymmetric") c.coord = Coord::kAsymmetric;
    else if (ctm == "tf_half_pixel_for_nn") c.coord = Coord::kTfHalfPixelForNN;
    else if (ctm == "tf_crop_and_resize") c.coord = Coord::kTfCropAndResize;
    else if (ctm == "half_pixel_symmetric") return Unimplemented("Resize: coordinate_transformation_mode half_pixel_symmetric is not supported");
    else return info.Error("unknown coordinate_transformation_mode '" + ctm + "'");
    const std::string nm = info.GetString("nearest_mode", "round_prefer_floor");
    if (nm == "round_prefer_floor") c.nearest = Nearest::kRoundPreferFloor;
    else if (nm == "round_prefer_ceil") c.nearest = Nearest::kRoundPreferCeil;
    else if (nm == "floor") c.nearest = Nearest::kFloor;
    else if (nm == "ceil") c.nearest = Nearest::kCeil;
    else return info.Error("unknown nearest_mode '" + nm + "'");
    c.cubic_a = info.GetFloat("cubic_coeff_a", -0.75f);
    c.exclude_outside = info.GetInt("exclude_outside", 0) != 0;
    c.extrapolation = info.GetFloat("extrapolation_value", 0.0f);
    // Opset 18 additions this kernel does not implement.
    if (info.GetInt("antialias", 0) != 0) return Unimplemented("Resize: antialias is not supported");
    if (info.HasAttribute("axes")) return Unimplemented("Resize: the axes attribute is not supported");
    if (info.GetString("keep_aspect_ratio_policy", "stretch") != "stretch")
      return Unimplemented("Resize: keep_aspect_ratio_policy other than stretch is not supported");
  }
  return std::unique_ptr<Kernel>(
      std::make_unique<FunctionKernel>([c](KernelContext& ctx) { return ResizeRun(ctx, c); }));
}

Result<std::unique_ptr<Kernel>> CreateUpsample(const KernelInfo& info) {
  ResizeConfig c;
  ASSIGN_OR_RETURN(c.mode, ParseMode(info));
  c.coord = Coord::kAsymmetric;
  c.nearest = Nearest::kSimple;
  if (info.opset() < 9) {
    ASSIGN_OR_RETURN(auto scales, [&]() -> Result<std::vector<float>> {
      if (!info.HasAttribute("scales")) return info.Error("scales attribute is required");
      return info.GetFloats("scales");
    }());
    c.scales_attr = std::move(scales);
  } else {
    c.scales_input = 1;
  }
  return std::unique_ptr<Kernel>(
      std::make_unique<FunctionKernel>([c](KernelContext& ctx) { return ResizeRun(ctx, c); }));
}

}  // namespace

INFERD_REGISTER_KERNEL(Resize, {"", "Resize", 10, 1000, 0, "ref", &CreateResize});
// Upsample-7 (scales attribute) and -9 (scales input); deprecated from 10 in favour of Resize.
INFERD_REGISTER_KERNEL(Upsample, {"", "Upsample", 7, 9, 0, "ref", &CreateUpsample});

}  // namespace inferd::ref
