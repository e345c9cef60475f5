// Tensor: a dtype, a shape and a reference to storage.
//
// Storage is ref-counted and may be shared by several tensors (a Reshape is a
// view: same storage, new shape). A Tensor is a cheap value type; copying it
// shares the data. Element data is row-major, 64-byte aligned. STRING tensors
// hold constructed std::string objects.
//
// Thread safety: a Tensor may be read from many threads; writing needs the
// writer to be its only user (kernels write only outputs they allocated).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/dtype.h"
#include "common/status.h"

namespace inferd {

using Shape = std::vector<int64_t>;

// Product of dims; -1 if any dim is negative or the product overflows int64.
int64_t ShapeNumel(const Shape& shape);
// "[1,3,224,224]"
std::string ShapeToString(const Shape& shape);

// Upper bound on the bytes one tensor may hold (guards hostile shapes).
inline constexpr int64_t kMaxTensorBytes = int64_t{16} << 30;

class Storage {
 public:
  // Allocates `bytes` (64-byte aligned, uninitialised; strings constructed empty).
  static std::shared_ptr<Storage> Allocate(size_t bytes, DType dtype);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t capacity() const { return capacity_; }
  DType dtype() const { return dtype_; }

 private:
  Storage() = default;
  void* data_ = nullptr;
  size_t capacity_ = 0;
  DType dtype_ = DType::kUndefined;  // kString storage destroys its strings
};

class Tensor {
 public:
  Tensor() = default;
  // Allocates a tensor; contents uninitialised (zero for kString: empty strings).
  // Fails on negative dims or sizes past kMaxTensorBytes.
  static Result<Tensor> Create(DType dtype, Shape shape);
  // As Create, but zero-filled.
  static Result<Tensor> Zeros(DType dtype, Shape shape);
  // Wraps existing storage (must hold at least offset + nbytes).
  Tensor(DType dtype, Shape shape, std::shared_ptr<Storage> storage, size_t offset = 0);

  // Scalar and vector helpers for tests and constant building.
  template <class T>
  static Tensor FromVector(const std::vector<T>& values, Shape shape);
  template <class T>
  static Tensor Scalar(T value) { return FromVector<T>({value}, {}); }

  bool defined() const { return dtype_ != DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * DTypeSize(dtype_); }

  void* raw() const {
    return storage_ ? static_cast<char*>(storage_->data()) + offset_ : nullptr;
  }
  template <class T>
  T* data() const { return static_cast<T*>(raw()); }

  const std::shared_ptr<Storage>& storage() const { return storage_; }

  // Same storage, new shape (numel must match).
  Result<Tensor> Reshaped(Shape shape) const;
  // Deep copy into fresh storage.
  Tensor Clone() const;

  // Element as double (for tests, printing; not for hot paths). 0 for strings.
  double GetAsDouble(int64_t index) const;

 private:
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  int64_t numel_ = 0;
  std::shared_ptr<Storage> storage_;
  size_t offset_ = 0;
};

template <class T>
Tensor Tensor::FromVector(const std::vector<T>& values, Shape shape) {
  auto t = Create(DTypeOf<T>::value, std::move(shape)).value();
  T* out = t.template data<T>();
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.numel(); ++i) out[i] = values[i];
  return t;
}

}  // namespace inferd
