#include "serving/batch_assembly.h"

#include <algorithm>
#include <cstring>

namespace inferd::serving {

int64_t BatchRows(const std::vector<Tensor>& inputs) {
  if (inputs.empty()) return -1;
  int64_t rows = -1;
  for (const Tensor& t : inputs) {
    if (!t.defined() || t.rank() < 1) return -1;
    if (rows >= 0 && t.dim(0) != rows) return -1;
    rows = t.dim(0);
  }
  return rows;
}

std::string BatchKey(const std::vector<Tensor>& inputs) {
  // Binary and compact: it is compared for every queued request a batch scans.
  std::string key;
  auto put = [&key](int64_t v) { key.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
  put(static_cast<int64_t>(inputs.size()));
  for (const Tensor& t : inputs) {
    put(static_cast<int64_t>(t.dtype()));
    put(t.rank());
    for (int64_t d = 1; d < t.rank(); ++d) put(t.dim(d));
  }
  return key;
}

namespace {

bool SameRowShape(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.rank() != b.rank() || a.rank() < 1) return false;
  for (int64_t d = 1; d < a.rank(); ++d)
    if (a.dim(d) != b.dim(d)) return false;
  return true;
}

// Byte offset of t's first element within its storage.
size_t OffsetInStorage(const Tensor& t) {
  if (!t.storage() || !t.raw()) return 0;
  return static_cast<size_t>(static_cast<const char*>(t.raw()) - static_cast<const char*>(t.storage()->data()));
}

}  // namespace

Result<Tensor> ConcatRows(const std::vector<const Tensor*>& parts, int64_t total_rows,
                          std::shared_ptr<Storage>* reuse) {
  if (parts.empty()) return Internal("batch assembly: no tensors to concatenate");
  const Tensor& first = *parts.front();
  int64_t rows = 0;
  for (const Tensor* p : parts) {
    if (!SameRowShape(first, *p))
      return Internal("batch assembly: cannot concatenate " + std::string(DTypeName(p->dtype())) + " " +
                      ShapeToString(p->shape()) + " with " + std::string(DTypeName(first.dtype())) + " " +
                      ShapeToString(first.shape()));
    rows += p->dim(0);
  }
  if (rows != total_rows)
    return Internal("batch assembly: parts hold " + std::to_string(rows) + " rows, expected " +
                    std::to_string(total_rows));

  Shape shape = first.shape();
  shape[0] = total_rows;
  const DType dtype = first.dtype();
  const int64_t numel = ShapeNumel(shape);
  if (numel < 0) return InvalidArgument("batch shape " + ShapeToString(shape) + " is too large");
  const size_t bytes = static_cast<size_t>(numel) * DTypeSize(dtype);

  Tensor out;
  // Same rule as the run context's pool: free, big enough, not wastefully big.
  // String storage holds constructed objects of its own size, so never reused.
  if (reuse && *reuse && (*reuse).use_count() == 1 && dtype != DType::kString && (*reuse)->dtype() == dtype &&
      (*reuse)->capacity() >= bytes && (*reuse)->capacity() <= bytes * 2 + 4096) {
    out = Tensor(dtype, shape, *reuse, 0);
  } else {
    ASSIGN_OR_RETURN(out, Tensor::Create(dtype, shape));
    if (reuse && dtype != DType::kString) *reuse = out.storage();
  }

  if (dtype == DType::kString) {
    auto* dst = out.data<std::string>();
    for (const Tensor* p : parts) {
      const auto* src = p->data<std::string>();
      dst = std::copy(src, src + p->numel(), dst);
    }
  } else {
    char* dst = static_cast<char*>(out.raw());
    for (const Tensor* p : parts) {
      if (p->nbytes() > 0) std::memcpy(dst, p->raw(), p->nbytes());
      dst += p->nbytes();
    }
  }
  return out;
}

Result<std::vector<std::vector<Tensor>>> SplitRows(const std::vector<Tensor>& outputs, const std::vector<int64_t>& rows,
                                                   const std::vector<ValueInfo>& infos) {
  int64_t total = 0;
  for (int64_t r : rows) total += r;
  std::vector<std::vector<Tensor>> pieces(rows.size());
  for (auto& p : pieces) p.reserve(outputs.size());
  for (size_t o = 0; o < outputs.size(); ++o) {
    const Tensor& t = outputs[o];
    const std::string name = o < infos.size() ? infos[o].name : "#" + std::to_string(o);
    if (!t.defined() || t.rank() < 1 || t.dim(0) != total)
      return Internal("output \"" + name + "\" has shape " + ShapeToString(t.shape()) +
                      ", whose first dimension is not the batch's " + std::to_string(total) +
                      " rows, so it cannot be split between the batch's requests; serve this model with "
                      "max_batch_size 0");
    const size_t row_bytes = total > 0 ? t.nbytes() / static_cast<size_t>(total) : 0;
    size_t offset = OffsetInStorage(t);
    for (size_t j = 0; j < rows.size(); ++j) {
      Shape shape = t.shape();
      shape[0] = rows[j];
      if (t.storage()) {
        pieces[j].emplace_back(t.dtype(), std::move(shape), t.storage(), offset);
      } else {
        // Nothing to share (an empty output): an empty tensor of the right shape.
        ASSIGN_OR_RETURN(Tensor empty, Tensor::Create(t.dtype(), std::move(shape)));
        pieces[j].push_back(std::move(empty));
      }
      offset += static_cast<size_t>(rows[j]) * row_bytes;
    }
  }
  return pieces;
}

}  // namespace inferd::serving
