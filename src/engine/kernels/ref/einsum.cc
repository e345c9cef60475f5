// Reference kernel: Einsum (numpy semantics).
//
// The equation is parsed once at load into terms of labels; "..." stands for
// the broadcast dims, which are right-aligned and broadcast numpy-style
// across operands. A label repeated within a term takes the diagonal; labels
// absent from the output are summed. Implicit mode (no "->") outputs the
// ellipsis dims followed by the labels used exactly once, in alphabetical
// order. Evaluation walks every (output, summed) label combination, so the
// cost is the product of all label sizes: fine for a reference kernel.
// Floating types accumulate in double, integers in wrapping 64-bit.
#include <algorithm>
#include <array>
#include <cctype>

#include "engine/kernels/ref/common.h"

namespace inferd::ref {
namespace {

constexpr int kEllipsis = -1;  // marker in a term for "..."

struct Equation {
  std::vector<std::vector<int>> inputs;  // labels 0..51 ('a'-'z', 'A'-'Z') or kEllipsis
  std::vector<int> output;
};

int LabelOf(char c) { return std::islower(static_cast<unsigned char>(c)) ? c - 'a' : c - 'A' + 26; }

Result<std::vector<int>> ParseTerm(const std::string& term, const std::string& eq) {
  std::vector<int> labels;
  bool ellipsis = false;
  for (size_t i = 0; i < term.size(); ++i) {
    const char c = term[i];
    if (c == '.') {
      if (term.compare(i, 3, "...") != 0 || ellipsis)
        return InvalidArgument("Einsum equation '" + eq + "': a term may hold one '...', found stray '.'");
      ellipsis = true;
      labels.push_back(kEllipsis);
      i += 2;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      labels.push_back(LabelOf(c));
    } else {
      return InvalidArgument("Einsum equation '" + eq + "': unexpected character '" + std::string(1, c) + "'");
    }
  }
  return labels;
}

Result<Equation> ParseEquation(const std::string& raw) {
  std::string eq;
  for (char c : raw)
    if (!std::isspace(static_cast<unsigned char>(c))) eq.push_back(c);
  Equation e;
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  size_t start = 0;
  while (true) {
    const size_t comma = lhs.find(',', start);
    ASSIGN_OR_RETURN(auto term, ParseTerm(lhs.substr(start, comma - start), raw));
    e.inputs.push_back(std::move(term));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (arrow != std::string::npos) {
    ASSIGN_OR_RETURN(e.output, ParseTerm(eq.substr(arrow + 2), raw));
    std::array<int, 52> seen{};
    for (const auto& t : e.inputs)
      for (int l : t)
        if (l >= 0) seen[static_cast<size_t>(l)] = 1;
    std::array<int, 52> used{};
    for (int l : e.output) {
      if (l < 0) continue;
      if (!seen[static_cast<size_t>(l)])
        return InvalidArgument("Einsum equation '" + raw + "': output label not found in any input");
      if (used[static_cast<size_t>(l)]++)
        return InvalidArgument("Einsum equation '" + raw + "': output label repeated");
    }
  } else {
    std::array<int, 52> count{};
    bool any_ellipsis = false;
    for (const auto& t : e.inputs)
      for (int l : t) {
        if (l >= 0)
          ++count[static_cast<size_t>(l)];
        else
          any_ellipsis = true;
      }
    if (any_ellipsis) e.output.push_back(kEllipsis);
    std::vector<int> once;
    for (int l = 0; l < 52; ++l)
      if (count[static_cast<size_t>(l)] == 1) once.push_back(l);
    // Character order, as numpy: 'A'..'Z' before 'a'..'z'.
    std::sort(once.begin(), once.end(), [](int a, int b) {
      const char ca = static_cast<char>(a < 26 ? 'a' + a : 'A' + a - 26);
      const char cb = static_cast<char>(b < 26 ? 'a' + b : 'A' + b - 26);
      return ca < cb;
    });
    e.output.insert(e.output.end(), once.begin(), once.end());
  }
  return e;
}

template <class T>
constexpr bool kIsHalf = std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;

class EinsumKernel final : public Kernel {
 public:
  EinsumKernel(std::string describe, Equation eq) : describe_(std::move(describe)), eq_(std::move(eq)) {}

  Status Run(KernelContext& ctx) const override {
    const size_t n_in = eq_.inputs.size();
    if (static_cast<size_t>(ctx.num_inputs()) != n_in)
      return InvalidArgument(describe_ + ": equation has " + std::to_string(n_in) + " terms but the node has " +
                             std::to_string(ctx.num_inputs()) + " inputs");
    std::vector<const Tensor*> xs;
    for (size_t i = 0; i < n_in; ++i) {
      const Tensor* t = ctx.input(static_cast<int>(i));
      if (t == nullptr) return InvalidArgument(describe_ + ": missing input " + std::to_string(i));
      if (t->dtype() != ctx.input(0)->dtype()) return InvalidArgument(describe_ + ": inputs must share one type");
      xs.push_back(t);
    }
    // Axes of the walk: 0..E-1 are the ellipsis dims, E + label for labels.
    size_t ell_rank = 0;
    for (size_t i = 0; i < n_in; ++i) {
      const auto& term = eq_.inputs[i];
      const bool has_ell = std::find(term.begin(), term.end(), kEllipsis) != term.end();
      const int64_t named = static_cast<int64_t>(term.size()) - (has_ell ? 1 : 0);
      if (xs[i]->rank() < named || (!has_ell && xs[i]->rank() != named))
        return InvalidArgument(describe_ + ": input " + std::to_string(i) + " " + ShapeToString(xs[i]->shape()) +
                               " does not match its term's " + std::to_string(named) + " labels");
      if (has_ell) ell_rank = std::max(ell_rank, static_cast<size_t>(xs[i]->rank() - named));
    }
    const size_t n_axes = ell_rank + 52;
    std::vector<int64_t> size(n_axes, -1);
    for (size_t e = 0; e < ell_rank; ++e) size[e] = 1;
    // Per input, its stride for every walk axis (repeated labels add up: diagonal).
    std::vector<std::vector<int64_t>> strides(n_in, std::vector<int64_t>(n_axes, 0));
    for (size_t i = 0; i < n_in; ++i) {
      const auto& term = eq_.inputs[i];
      const auto st = Strides(xs[i]->shape());
      const size_t in_ell = static_cast<size_t>(xs[i]->rank()) - (term.size() - 1);
      size_t d = 0;
      for (int l : term) {
        if (l == kEllipsis) {
          for (size_t k = 0; k < in_ell; ++k, ++d) {
            const size_t axis = ell_rank - in_ell + k;
            const int64_t dim = xs[i]->dim(static_cast<int64_t>(d));
            if (dim != 1) {
              if (size[axis] != 1 && size[axis] != dim)
                return InvalidArgument(describe_ + ": '...' dims of the inputs do not broadcast");
              size[axis] = dim;
              strides[i][axis] += st[d];
            }
          }
          continue;
        }
        const size_t axis = ell_rank + static_cast<size_t>(l);
        const int64_t dim = xs[i]->dim(static_cast<int64_t>(d));
        if (size[axis] >= 0 && size[axis] != dim)
          return InvalidArgument(describe_ + ": label '" + LabelChar(l) + "' has sizes " + std::to_string(size[axis]) +
                                 " and " + std::to_string(dim));
        size[axis] = dim;
        strides[i][axis] += st[d];
        ++d;
      }
    }
    // Output axes in output order; every other used axis is summed.
    std::vector<size_t> out_axes, sum_axes;
    std::vector<bool> in_out(n_axes, false);
    for (int l : eq_.output) {
      if (l == kEllipsis) {
        for (size_t e = 0; e < ell_rank; ++e) out_axes.push_back(e);
      } else {
        out_axes.push_back(ell_rank + static_cast<size_t>(l));
      }
    }
    for (size_t a : out_axes) in_out[a] = true;
    for (size_t a = 0; a < n_axes; ++a)
      if (!in_out[a] && size[a] >= 0) sum_axes.push_back(a);
    Shape out_shape;
    for (size_t a : out_axes) out_shape.push_back(size[a]);
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, xs[0]->dtype(), out_shape));
    return DispatchAll(
        xs[0]->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          if constexpr (std::is_same_v<T, bool>) {
            return UnsupportedType(describe_, DType::kBool);
          } else {
            Evaluate<T>(xs, strides, size, out_axes, sum_axes, *out);
            return Status::Ok();
          }
        },
        [&] { return UnsupportedType(describe_, xs[0]->dtype()); });
  }

 private:
  static std::string LabelChar(int l) { return std::string(1, static_cast<char>(l < 26 ? 'a' + l : 'A' + l - 26)); }

  template <class T>
  static void Evaluate(const std::vector<const Tensor*>& xs, const std::vector<std::vector<int64_t>>& strides,
                       const std::vector<int64_t>& size, const std::vector<size_t>& out_axes,
                       const std::vector<size_t>& sum_axes, Tensor& out) {
    using A = std::conditional_t<std::is_floating_point_v<T> || kIsHalf<T>, double, uint64_t>;
    const size_t n_in = xs.size();
    std::vector<const T*> base(n_in);
    for (size_t i = 0; i < n_in; ++i) base[i] = xs[i]->data<T>();
    int64_t sum_count = 1;
    for (size_t a : sum_axes) sum_count *= size[a];
    std::vector<int64_t> out_idx(out_axes.size(), 0), sum_idx(sum_axes.size(), 0);
    std::vector<int64_t> out_off(n_in, 0);
    T* po = out.data<T>();
    for (int64_t o = 0; o < out.numel(); ++o) {
      A acc = 0;
      std::vector<int64_t> off = out_off;
      std::fill(sum_idx.begin(), sum_idx.end(), 0);
      for (int64_t s = 0; s < sum_count; ++s) {
        A prod = 1;
        for (size_t i = 0; i < n_in; ++i) {
          const T v = base[i][off[i]];
          if constexpr (kIsHalf<T>)
            prod *= static_cast<double>(v.ToFloat());
          else
            prod *= static_cast<A>(v);
        }
        acc += prod;
        // Next summed index (odometer), updating every input's offset.
        for (size_t k = sum_axes.size(); k-- > 0;) {
          const size_t a = sum_axes[k];
          if (++sum_idx[k] < size[a]) {
            for (size_t i = 0; i < n_in; ++i) off[i] += strides[i][a];
            break;
          }
          for (size_t i = 0; i < n_in; ++i) off[i] -= strides[i][a] * (size[a] - 1);
          sum_idx[k] = 0;
        }
      }
      if constexpr (kIsHalf<T>)
        po[o] = T::FromFloat(static_cast<float>(acc));
      else
        po[o] = static_cast<T>(acc);
      for (size_t k = out_axes.size(); k-- > 0;) {
        const size_t a = out_axes[k];
        if (++out_idx[k] < size[a]) {
          for (size_t i = 0; i < n_in; ++i) out_off[i] += strides[i][a];
          break;
        }
        for (size_t i = 0; i < n_in; ++i) out_off[i] -= strides[i][a] * (size[a] - 1);
        out_idx[k] = 0;
      }
    }
  }

  std::string describe_;
  Equation eq_;
};

Result<std::unique_ptr<Kernel>> CreateEinsum(const KernelInfo& info) {
  const std::string equation = info.GetString("equation", "");
  if (equation.empty()) return info.Error("missing required attribute 'equation'");
  auto eq = ParseEquation(equation);
  if (!eq.ok()) return info.Error(eq.status().message());
  if (eq->inputs.size() != static_cast<size_t>(info.num_inputs()))
    return info.Error("equation '" + equation + "' has " + std::to_string(eq->inputs.size()) +
                      " terms but the node has " + std::to_string(info.num_inputs()) + " inputs");
  return std::unique_ptr<Kernel>(std::make_unique<EinsumKernel>(info.node().Describe(), std::move(eq).value()));
}

}  // namespace

INFERD_REGISTER_KERNEL(Einsum, {"", "Einsum", 12, 1000, 0, "ref", &CreateEinsum});

}  // namespace inferd::ref
