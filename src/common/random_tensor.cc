#include "common/random_tensor.h"

#include <random>
#include <type_traits>

namespace inferd {

Result<Tensor> RandomTensor(DType dtype, const Shape& shape, uint64_t seed) {
  ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, shape));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::uniform_int_distribution<int> small(0, 9);
  const int64_t n = t.numel();
  Status st = DispatchAll(
      dtype,
      [&](auto tag) -> Status {
        using T = decltype(tag);
        T* p = t.data<T>();
        for (int64_t i = 0; i < n; ++i) {
          if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
            p[i] = T::FromFloat(static_cast<float>(real(rng)));
          } else if constexpr (std::is_same_v<T, bool>) {
            p[i] = (small(rng) & 1) != 0;
          } else if constexpr (std::is_floating_point_v<T>) {
            p[i] = static_cast<T>(real(rng));
          } else {
            p[i] = static_cast<T>(small(rng));
          }
        }
        return Status::Ok();
      },
      [&] { return InvalidArgument("cannot generate random " + std::string(DTypeName(dtype)) + " data"); });
  if (!st.ok()) return st;
  return t;
}

}  // namespace inferd
