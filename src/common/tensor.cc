#include "common/tensor.h"

#include <cstdlib>
#include <limits>
#include <new>

namespace inferd {

int64_t ShapeNumel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return -1;
    n *= d;
  }
  return n;
}

std::string ShapeToString(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::shared_ptr<Storage> Storage::Allocate(size_t bytes, DType dtype) {
  auto s = std::shared_ptr<Storage>(new Storage());
  const size_t rounded = (bytes + 63) / 64 * 64;
  s->capacity_ = bytes;
  s->dtype_ = dtype;
  if (rounded > 0) {
    s->data_ = std::aligned_alloc(64, rounded);
    if (s->data_ == nullptr) throw std::bad_alloc();
  }
  if (dtype == DType::kString) {
    auto* p = static_cast<std::string*>(s->data_);
    for (size_t i = 0; i < bytes / sizeof(std::string); ++i) new (p + i) std::string();
  }
  return s;
}

Storage::~Storage() {
  if (dtype_ == DType::kString && data_ != nullptr) {
    auto* p = static_cast<std::string*>(data_);
    for (size_t i = 0; i < capacity_ / sizeof(std::string); ++i) p[i].~basic_string();
  }
  std::free(data_);
}

Tensor::Tensor(DType dtype, Shape shape, std::shared_ptr<Storage> storage, size_t offset)
    : dtype_(dtype), shape_(std::move(shape)), storage_(std::move(storage)), offset_(offset) {
  numel_ = ShapeNumel(shape_);
}

Result<Tensor> Tensor::Create(DType dtype, Shape shape) {
  const int64_t n = ShapeNumel(shape);
  if (n < 0) return InvalidArgument("invalid tensor shape " + ShapeToString(shape));
  const size_t elem = DTypeSize(dtype);
  if (elem == 0) return InvalidArgument("cannot allocate a tensor of undefined type");
  if (n > kMaxTensorBytes / static_cast<int64_t>(elem))
    return ResourceExhausted("tensor of shape " + ShapeToString(shape) + " and type " +
                             std::string(DTypeName(dtype)) + " exceeds the " +
                             std::to_string(kMaxTensorBytes >> 30) + " GiB tensor limit");
  auto storage = Storage::Allocate(static_cast<size_t>(n) * elem, dtype);
  return Tensor(dtype, std::move(shape), std::move(storage), 0);
}

Result<Tensor> Tensor::Zeros(DType dtype, Shape shape) {
  ASSIGN_OR_RETURN(Tensor t, Create(dtype, std::move(shape)));
  if (dtype != DType::kString && t.nbytes() > 0) std::memset(t.raw(), 0, t.nbytes());
  return t;
}

Result<Tensor> Tensor::Reshaped(Shape shape) const {
  const int64_t n = ShapeNumel(shape);
  if (n != numel_)
    return InvalidArgument("cannot reshape " + ShapeToString(shape_) + " to " + ShapeToString(shape));
  return Tensor(dtype_, std::move(shape), storage_, offset_);
}

Tensor Tensor::Clone() const {
  if (!defined()) return {};
  Tensor t = Create(dtype_, shape_).value();
  if (dtype_ == DType::kString) {
    for (int64_t i = 0; i < numel_; ++i) t.data<std::string>()[i] = data<std::string>()[i];
  } else if (nbytes() > 0) {
    std::memcpy(t.raw(), raw(), nbytes());
  }
  return t;
}

double Tensor::GetAsDouble(int64_t i) const {
  return DispatchAll(
      dtype_,
      [&](auto tag) -> double {
        using T = decltype(tag);
        const T v = data<T>()[i];
        if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
          return v.ToFloat();
        } else {
          return static_cast<double>(v);
        }
      },
      [] { return 0.0; });
}

}  // namespace inferd
