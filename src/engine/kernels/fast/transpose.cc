// Fast Transpose for every fixed-size dtype. The permutation is simplified
// first: size-1 dims are dropped and input dims that stay adjacent and in
// order are merged. What is left is
//   * the identity: the output is a view of the input (no copy), e.g. the
//     [S,1,D] <-> [1,S,D] transposes of a batch-1 transformer;
//   * an inner run kept contiguous: one memcpy per run;
//   * otherwise an element gather along the innermost output dim.
// Strings and invalid permutations go to the reference kernel (its errors).
// Stateless: safe to run from many threads.
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "engine/kernels/kernel.h"

namespace inferd::fast {
namespace {

struct Simplified {
  std::vector<int64_t> dims;  // merged input dims
  std::vector<int64_t> perm;  // over the merged dims
};

Simplified Simplify(const Shape& in, const std::vector<int64_t>& perm) {
  // Drop size-1 dims, renumbering the rest.
  std::vector<int64_t> index(in.size(), -1);
  std::vector<int64_t> dims;
  for (size_t d = 0; d < in.size(); ++d)
    if (in[d] != 1) {
      index[d] = static_cast<int64_t>(dims.size());
      dims.push_back(in[d]);
    }
  std::vector<int64_t> p;
  for (int64_t d : perm)
    if (index[static_cast<size_t>(d)] >= 0) p.push_back(index[static_cast<size_t>(d)]);
  // Merge runs p[i], p[i]+1, ... into one dim.
  Simplified s;
  std::vector<int64_t> group_of(dims.size(), -1);
  std::vector<int64_t> group_dims;
  for (size_t i = 0; i < p.size();) {
    size_t j = i + 1;
    int64_t size = dims[static_cast<size_t>(p[i])];
    while (j < p.size() && p[j] == p[j - 1] + 1) size *= dims[static_cast<size_t>(p[j++])];
    group_of[static_cast<size_t>(p[i])] = static_cast<int64_t>(group_dims.size());
    group_dims.push_back(size);
    i = j;
  }
  // Merged input dims in input order; perm maps output group -> input position.
  std::vector<int64_t> order;  // group ids in input order
  for (size_t d = 0; d < dims.size(); ++d)
    if (group_of[d] >= 0) order.push_back(group_of[d]);
  std::vector<int64_t> position(group_dims.size());
  for (size_t i = 0; i < order.size(); ++i) {
    position[static_cast<size_t>(order[i])] = static_cast<int64_t>(i);
    s.dims.push_back(group_dims[static_cast<size_t>(order[i])]);
  }
  for (size_t g = 0; g < group_dims.size(); ++g) s.perm.push_back(position[g]);
  return s;
}

bool DetectAvx() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx");
}
const bool kAvx = DetectAvx();

// One 8 x 8 block in registers: d[j * ld_d + i] = s[i * ld_s + j].
__attribute__((target("avx"))) void Transpose8x8(const float* s, int64_t ld_s, float* d, int64_t ld_d) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(s + i * ld_s);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(d + i * ld_d, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(d + (i + 4) * ld_d, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}

// dst[b][j][i] = src[b][i][j] for [batch, r, c] floats, in 16 x 16 blocks
// (8 x 8 register transposes with AVX); batches and row blocks split over
// threads when large.
void BlockTranspose(const float* src, float* dst, int64_t batch, int64_t r, int64_t c, int threads) {
  constexpr int64_t kB = 16;
  const int64_t row_blocks = (r + kB - 1) / kB;
  const int64_t jobs = batch * row_blocks;
  const int team = batch * r * c >= (int64_t{1} << 16) ? threads : 1;
#pragma omp parallel for num_threads(team) schedule(static) if (team > 1)
  for (int64_t job = 0; job < jobs; ++job) {
    const int64_t b = job / row_blocks, i0 = (job % row_blocks) * kB;
    const float* sb = src + b * r * c;
    float* db = dst + b * r * c;
    const int64_t i1 = std::min(r, i0 + kB);
    for (int64_t j0 = 0; j0 < c; j0 += kB) {
      const int64_t j1 = std::min(c, j0 + kB);
      int64_t i = i0;
      if (kAvx) {
        for (; i + 8 <= i1; i += 8) {
          int64_t j = j0;
          for (; j + 8 <= j1; j += 8) Transpose8x8(sb + i * c + j, c, db + j * r + i, r);
          for (int64_t ii = i; ii < i + 8; ++ii)
            for (int64_t jj = j; jj < j1; ++jj) db[jj * r + ii] = sb[ii * c + jj];
        }
      }
      for (; i < i1; ++i)
        for (int64_t j = j0; j < j1; ++j) db[j * r + i] = sb[i * c + j];
    }
  }
}

class TransposeKernel final : public Kernel {
 public:
  TransposeKernel(std::optional<std::vector<int64_t>> perm, std::unique_ptr<Kernel> ref)
      : perm_(std::move(perm)), ref_(std::move(ref)) {}
  std::string_view name() const override { return "fast.transpose"; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr || x->dtype() == DType::kString) return ref_->Run(ctx);
    const size_t r = static_cast<size_t>(x->rank());
    std::vector<int64_t> perm(r);
    if (perm_) {
      if (perm_->size() != r) return ref_->Run(ctx);
      std::vector<bool> seen(r, false);
      for (size_t i = 0; i < r; ++i) {
        const int64_t p = (*perm_)[i];
        if (p < 0 || p >= static_cast<int64_t>(r) || seen[static_cast<size_t>(p)]) return ref_->Run(ctx);
        seen[static_cast<size_t>(p)] = true;
        perm[i] = p;
      }
    } else {
      for (size_t i = 0; i < r; ++i) perm[i] = static_cast<int64_t>(r - 1 - i);
    }
    Shape out_shape(r);
    for (size_t i = 0; i < r; ++i) out_shape[i] = x->shape()[static_cast<size_t>(perm[i])];
    const Simplified s = Simplify(x->shape(), perm);
    bool identity = true;
    for (size_t i = 0; i < s.perm.size(); ++i) identity = identity && s.perm[i] == static_cast<int64_t>(i);
    if (identity || x->numel() == 0) {
      ASSIGN_OR_RETURN(Tensor view, x->Reshaped(out_shape));
      ctx.SetOutput(0, std::move(view));
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), out_shape));
    const size_t elem = DTypeSize(x->dtype());
    const size_t rank = s.dims.size();
    std::vector<int64_t> in_stride(rank, 1);
    for (size_t d = rank - 1; d-- > 0;) in_stride[d] = in_stride[d + 1] * s.dims[d + 1];
    std::vector<int64_t> out_dims(rank), src_stride(rank);
    for (size_t i = 0; i < rank; ++i) {
      out_dims[i] = s.dims[static_cast<size_t>(s.perm[i])];
      src_stride[i] = in_stride[static_cast<size_t>(s.perm[i])];
    }
    const char* src = static_cast<const char*>(x->raw());
    char* dst = static_cast<char*>(out->raw());
    // batch x [R, C] -> batch x [C, R] (e.g. attention's key transpose): in
    // square blocks, so both sides move whole cache lines.
    const bool swap_last_two = (rank == 2 && s.perm[0] == 1) ||
                               (rank == 3 && s.perm[0] == 0 && s.perm[1] == 2 && s.perm[2] == 1);
    if (swap_last_two && elem == 4) {
      const int64_t batch = rank == 3 ? s.dims[0] : 1;
      const int64_t r = s.dims[rank - 2], c = s.dims[rank - 1];
      BlockTranspose(reinterpret_cast<const float*>(src), reinterpret_cast<float*>(dst), batch, r, c,
                     ctx.num_threads());
      return Status::Ok();
    }
    // The innermost output dim: a contiguous run when it is the innermost
    // input dim, else a gather with stride src_stride[rank-1].
    const int64_t inner = out_dims[rank - 1];
    const int64_t inner_stride = src_stride[rank - 1];
    const int64_t rows = x->numel() / inner;
    // Rows [r0, r1): the source offset of r0 from its output index, then an
    // odometer over the outer output dims.
    auto copy_rows = [&](int64_t r0, int64_t r1) {
      std::vector<int64_t> idx(rank, 0);
      int64_t offset = 0;  // source element offset of the current row
      for (size_t d = rank - 1, left = static_cast<size_t>(r0); d-- > 0;) {
        idx[d] = static_cast<int64_t>(left) % out_dims[d];
        left /= static_cast<size_t>(out_dims[d]);
        offset += idx[d] * src_stride[d];
      }
      char* out_row = dst + r0 * inner * static_cast<int64_t>(elem);
      for (int64_t row = r0; row < r1; ++row) {
        if (inner_stride == 1) {
          std::memcpy(out_row, src + offset * static_cast<int64_t>(elem), static_cast<size_t>(inner) * elem);
        } else if (elem == 4) {
          const float* ps = reinterpret_cast<const float*>(src) + offset;
          float* pd = reinterpret_cast<float*>(out_row);
          for (int64_t j = 0; j < inner; ++j) pd[j] = ps[j * inner_stride];
        } else {
          for (int64_t j = 0; j < inner; ++j)
            std::memcpy(out_row + j * static_cast<int64_t>(elem),
                        src + (offset + j * inner_stride) * static_cast<int64_t>(elem), elem);
        }
        out_row += inner * static_cast<int64_t>(elem);
        for (size_t d = rank - 1; d-- > 0;) {
          offset += src_stride[d];
          if (++idx[d] < out_dims[d]) break;
          offset -= src_stride[d] * out_dims[d];
          idx[d] = 0;
        }
      }
    };
    // Threads only for copies big enough to pay for waking the team.
    const int team = x->nbytes() >= (size_t{1} << 18) ? std::max(1, ctx.num_threads()) : 1;
    if (team == 1 || rows < team) {
      copy_rows(0, rows);
    } else {
#pragma omp parallel num_threads(team)
      {
        const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
        copy_rows(rows * t / nt, rows * (t + 1) / nt);
      }
    }
    return Status::Ok();
  }

 private:
  std::optional<std::vector<int64_t>> perm_;
  std::unique_ptr<Kernel> ref_;
};

Result<std::unique_ptr<Kernel>> CreateTranspose(const KernelInfo& info) {
  ASSIGN_OR_RETURN(auto ref, CreateKernel(info, {"ref"}));
  std::optional<std::vector<int64_t>> perm;
  if (info.HasAttribute("perm")) perm = info.GetInts("perm");
  return std::unique_ptr<Kernel>(std::make_unique<TransposeKernel>(std::move(perm), std::move(ref)));
}

}  // namespace

INFERD_REGISTER_KERNEL(FastTranspose, {"", "Transpose", 1, 1000, 10, "fast", &CreateTranspose});

}  // namespace inferd::fast
