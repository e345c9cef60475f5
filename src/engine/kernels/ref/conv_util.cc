#include "engine/kernels/ref/conv_util.h"

namespace inferd::ref {
namespace {

std::string Join(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

// Attribute `values` must be empty or have `rank` entries (2*rank for pads).
Status CheckLength(const std::vector<int64_t>& values, size_t want, const char* name, const std::string& where) {
  if (values.empty() || values.size() == want) return Status::Ok();
  return InvalidArgument(where + ": attribute '" + name + "' has " + std::to_string(values.size()) +
                         " values, expected " + std::to_string(want) + " for the input's spatial rank");
}

std::vector<int64_t> OrDefault(const std::vector<int64_t>& v, size_t n, int64_t def) {
  return v.empty() ? std::vector<int64_t>(n, def) : v;
}

}  // namespace

Result<WindowAttrs> ParseWindowAttrs(const KernelInfo& info) {
  WindowAttrs a;
  const std::string auto_pad = info.GetString("auto_pad", "NOTSET");
  if (auto_pad == "NOTSET" || auto_pad.empty()) {
    a.auto_pad = AutoPad::kNotSet;
  } else if (auto_pad == "SAME_UPPER") {
    a.auto_pad = AutoPad::kSameUpper;
  } else if (auto_pad == "SAME_LOWER") {
    a.auto_pad = AutoPad::kSameLower;
  } else if (auto_pad == "VALID") {
    a.auto_pad = AutoPad::kValid;
  } else {
    return info.Error("attribute 'auto_pad' is '" + auto_pad + "'; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID");
  }
  a.kernel_shape = info.GetInts("kernel_shape");
  a.strides = info.GetInts("strides");
  a.dilations = info.GetInts("dilations");
  a.pads = info.GetInts("pads");
  a.ceil_mode = info.GetInt("ceil_mode", 0) != 0;
  for (int64_t k : a.kernel_shape)
    if (k <= 0) return info.Error("attribute 'kernel_shape' " + Join(a.kernel_shape) + " must be positive");
  for (int64_t s : a.strides)
    if (s <= 0) return info.Error("attribute 'strides' " + Join(a.strides) + " must be positive");
  for (int64_t d : a.dilations)
    if (d <= 0) return info.Error("attribute 'dilations' " + Join(a.dilations) + " must be positive");
  for (int64_t p : a.pads)
    if (p < 0) return info.Error("attribute 'pads' " + Join(a.pads) + " must not be negative");
  if (a.pads.size() % 2 != 0) return info.Error("attribute 'pads' " + Join(a.pads) + " must have an even length");
  // Caps keep every size computed from these (e.g. stride * (in - 1) + span) far from int64 overflow.
  for (const auto* v : {&a.kernel_shape, &a.strides, &a.dilations, &a.pads})
    for (int64_t x : *v)
      if (x > kMaxWindowAttribute)
        return info.Error("window attribute value " + std::to_string(x) + " is larger than " +
                          std::to_string(kMaxWindowAttribute));
  return a;
}

bool WindowGeometry::IsPointwise() const {
  for (size_t d = 0; d < rank(); ++d)
    if (kernel[d] != 1 || strides[d] != 1 || pad_begin[d] != 0 || pad_end[d] != 0 || in[d] != out[d]) return false;
  return true;
}

Result<WindowGeometry> ForwardGeometry(const WindowAttrs& attrs, const std::vector<int64_t>& in,
                                       const std::vector<int64_t>& kernel, const std::string& where) {
  const size_t nd = in.size();
  if (nd == 0) return InvalidArgument(where + ": input needs at least one spatial dimension (shape [N, C, d1, ...])");
  if (kernel.size() != nd)
    return InvalidArgument(where + ": kernel " + Join(kernel) + " has rank " + std::to_string(kernel.size()) +
                           " but the input has " + std::to_string(nd) + " spatial dimensions");
  RETURN_IF_ERROR(CheckLength(attrs.strides, nd, "strides", where));
  RETURN_IF_ERROR(CheckLength(attrs.dilations, nd, "dilations", where));
  RETURN_IF_ERROR(CheckLength(attrs.pads, 2 * nd, "pads", where));
  WindowGeometry g;
  g.in = in;
  g.kernel = kernel;
  g.strides = OrDefault(attrs.strides, nd, 1);
  g.dilations = OrDefault(attrs.dilations, nd, 1);
  g.pad_begin.assign(nd, 0);
  g.pad_end.assign(nd, 0);
  g.out.assign(nd, 0);
  for (size_t d = 0; d < nd; ++d) {
    if (in[d] <= 0) return InvalidArgument(where + ": spatial input dims " + Join(in) + " must be positive");
    const int64_t s = g.strides[d];
    const int64_t span = (kernel[d] - 1) * g.dilations[d] + 1;  // dilated kernel extent
    switch (attrs.auto_pad) {
      case AutoPad::kSameUpper:
      case AutoPad::kSameLower: {
        g.out[d] = (in[d] + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (g.out[d] - 1) * s + span - in[d]);
        const int64_t small = total / 2, big = total - small;
        g.pad_begin[d] = attrs.auto_pad == AutoPad::kSameUpper ? small : big;
        g.pad_end[d] = attrs.auto_pad == AutoPad::kSameUpper ? big : small;
        break;
      }
      case AutoPad::kValid:
      case AutoPad::kNotSet: {
        if (attrs.auto_pad == AutoPad::kNotSet && !attrs.pads.empty()) {
          g.pad_begin[d] = attrs.pads[d];
          g.pad_end[d] = attrs.pads[d + nd];
        }
        const int64_t padded = in[d] + g.pad_begin[d] + g.pad_end[d];
        if (span > padded)
          return InvalidArgument(where + ": kernel " + Join(kernel) + " (dilated extent " + std::to_string(span) +
                                 ") is larger than the padded input " + std::to_string(padded) + " in spatial dim " +
                                 std::to_string(d) + " of input " + Join(in));
        if (attrs.ceil_mode) {
          g.out[d] = (padded - span + s - 1) / s + 1;
          // The last window must start inside the input or its left padding.
          if ((g.out[d] - 1) * s >= in[d] + g.pad_begin[d]) --g.out[d];
        } else {
          g.out[d] = (padded - span) / s + 1;
        }
        break;
      }
    }
  }
  return g;
}

Result<WindowGeometry> TransposeGeometry(const WindowAttrs& attrs, const std::vector<int64_t>& in,
                                         const std::vector<int64_t>& kernel, const std::vector<int64_t>& output_padding,
                                         const std::vector<int64_t>& output_shape, const std::string& where) {
  const size_t nd = in.size();
  if (nd == 0) return InvalidArgument(where + ": input needs at least one spatial dimension (shape [N, C, d1, ...])");
  if (kernel.size() != nd)
    return InvalidArgument(where + ": kernel " + Join(kernel) + " has rank " + std::to_string(kernel.size()) +
                           " but the input has " + std::to_string(nd) + " spatial dimensions");
  RETURN_IF_ERROR(CheckLength(attrs.strides, nd, "strides", where));
  RETURN_IF_ERROR(CheckLength(attrs.dilations, nd, "dilations", where));
  RETURN_IF_ERROR(CheckLength(attrs.pads, 2 * nd, "pads", where));
  RETURN_IF_ERROR(CheckLength(output_padding, nd, "output_padding", where));
  if (!output_shape.empty() && output_shape.size() != nd && output_shape.size() != nd + 2)
    return InvalidArgument(where + ": attribute 'output_shape' " + Join(output_shape) + " needs " + std::to_string(nd) +
                           " spatial values");
  // In the returned geometry `in` is the ConvTranspose output and `out` its input.
  WindowGeometry g;
  g.out = in;
  g.kernel = kernel;
  g.strides = OrDefault(attrs.strides, nd, 1);
  g.dilations = OrDefault(attrs.dilations, nd, 1);
  g.pad_begin.assign(nd, 0);
  g.pad_end.assign(nd, 0);
  g.in.assign(nd, 0);
  for (size_t d = 0; d < nd; ++d) {
    if (in[d] <= 0) return InvalidArgument(where + ": spatial input dims " + Join(in) + " must be positive");
    const int64_t s = g.strides[d];
    const int64_t op = output_padding.empty() ? 0 : output_padding[d];
    if (op < 0 || (op >= s && op >= g.dilations[d]))
      return InvalidArgument(where + ": output_padding " + Join(output_padding) +
                             " must be non-negative and smaller than the stride or dilation");
    const int64_t span = (kernel[d] - 1) * g.dilations[d] + 1;
    const __int128 wide = static_cast<__int128>(s) * (in[d] - 1) + op + span;
    if (wide > (static_cast<__int128>(1) << 40))
      return InvalidArgument(where + ": output size in spatial dim " + std::to_string(d) + " is too large");
    const int64_t full = static_cast<int64_t>(wide);  // output size with no padding
    if (!output_shape.empty() || attrs.auto_pad == AutoPad::kSameUpper || attrs.auto_pad == AutoPad::kSameLower) {
      const int64_t want = !output_shape.empty() ? output_shape[output_shape.size() - nd + d] : in[d] * s;
      const int64_t total = full - want;
      if (want <= 0)
        return InvalidArgument(where + ": requested output size " + std::to_string(want) + " in spatial dim " +
                               std::to_string(d) + " must be positive");
      // A requested size past the unpadded one extends the end with zeros (as output_padding does).
      const int64_t small = total < 0 ? 0 : total / 2, big = total - small;
      g.pad_begin[d] = attrs.auto_pad == AutoPad::kSameLower ? big : small;
      g.pad_end[d] = attrs.auto_pad == AutoPad::kSameLower ? small : big;
      g.in[d] = want;
    } else {
      if (attrs.auto_pad == AutoPad::kNotSet && !attrs.pads.empty()) {
        g.pad_begin[d] = attrs.pads[d];
        g.pad_end[d] = attrs.pads[d + nd];
      }
      g.in[d] = full - g.pad_begin[d] - g.pad_end[d];
      if (g.in[d] <= 0)
        return InvalidArgument(where + ": pads " + Join(attrs.pads) + " leave no output in spatial dim " +
                               std::to_string(d) + " (unpadded size " + std::to_string(full) + ")");
    }
  }
  return g;
}

Status CheckColumnBuffer(const WindowGeometry& g, int64_t channels, size_t elem_size, const std::string& where) {
  __int128 bytes = static_cast<__int128>(channels) * static_cast<__int128>(elem_size);
  for (size_t d = 0; d < g.rank() && bytes <= kMaxTensorBytes; ++d)
    bytes *= static_cast<__int128>(g.kernel[d]) * g.out[d];
  if (bytes > kMaxTensorBytes)
    return InvalidArgument(where + ": the im2col buffer for kernel " + Join(g.kernel) + " over output " + Join(g.out) +
                           " would exceed " + std::to_string(kMaxTensorBytes >> 30) + " GiB");
  return Status::Ok();
}

Status CheckConvShapes(const Shape& x, const Shape& w, int64_t group, const WindowAttrs& attrs,
                       const std::string& where, std::vector<int64_t>* kernel) {
  if (x.size() < 3)
    return InvalidArgument(where + ": input X has shape " + ShapeToString(x) + "; expected [N, C, d1, ...]");
  if (w.size() != x.size())
    return InvalidArgument(where + ": weight W has shape " + ShapeToString(w) + " but X has shape " + ShapeToString(x) +
                           "; both need the same rank");
  if (group <= 0) return InvalidArgument(where + ": attribute 'group' must be positive, got " + std::to_string(group));
  if (x[1] % group != 0)
    return InvalidArgument(where + ": input channels " + std::to_string(x[1]) + " are not divisible by group " +
                           std::to_string(group));
  if (w[0] % group != 0)
    return InvalidArgument(where + ": output channels (W dim 0 = " + std::to_string(w[0]) +
                           ") are not divisible by group " + std::to_string(group));
  *kernel = SpatialDims(w);
  if (!attrs.kernel_shape.empty() && attrs.kernel_shape != *kernel)
    return InvalidArgument(where + ": attribute 'kernel_shape' " + Join(attrs.kernel_shape) +
                           " does not match weight shape " + ShapeToString(w));
  for (int64_t k : *kernel)
    if (k <= 0) return InvalidArgument(where + ": weight shape " + ShapeToString(w) + " has an empty kernel");
  return Status::Ok();
}

}  // namespace inferd::ref
