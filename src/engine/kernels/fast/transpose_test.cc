#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "engine/runtime/model.h"

namespace inferd {
namespace {

// Runs Transpose(perm) on `x` with all kernels and with the reference
// kernels and expects identical bytes.
void ExpectSameAsReference(const Tensor& x, const std::vector<int64_t>& perm) {
  Graph g;
  g.opsets[""] = 17;
  g.inputs = {{"x", x.dtype(), std::nullopt}};
  g.outputs = {{"y", x.dtype(), std::nullopt}};
  Node n;
  n.op_type = "Transpose";
  n.name = "t";
  n.inputs = {"x"};
  n.outputs = {"y"};
  if (!perm.empty()) {
    Attribute a;
    a.type = Attribute::Type::kInts;
    a.ints = perm;
    n.attributes["perm"] = a;
  }
  g.nodes = {n};
  ModelOptions fast, ref;
  fast.optimize = ref.optimize = false;
  fast.num_threads = 2;  // the large cases split rows over a team
  ref.providers = {"ref"};
  auto mf = CompiledModel::Compile(g, {}, fast);
  auto mr = CompiledModel::Compile(g, {}, ref);
  ASSERT_TRUE(mf.ok() && mr.ok());
  EXPECT_EQ((*mf)->step_kernel_name(0), "fast.transpose");
  auto got = (*mf)->Run({x});
  auto want = (*mr)->Run({x});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  const Tensor& a = (*got)[0];
  const Tensor& b = (*want)[0];
  ASSERT_EQ(a.shape(), b.shape()) << ShapeToString(x.shape()) << " perm " << ShapeToString(perm);
  EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.nbytes()), 0) << ShapeToString(x.shape()) << " perm " << ShapeToString(perm);
}

template <class T>
Tensor Iota(Shape shape) {
  Tensor t = Tensor::Create(DTypeOf<T>::value, shape).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<T>()[i] = static_cast<T>(i % 251);
  return t;
}

TEST(FastTranspose, MatchesReferenceForEveryPermutation) {
  for (const Shape& shape : std::vector<Shape>{{5}, {3, 4}, {2, 3, 4}, {1, 7, 5}, {4, 1, 6}, {2, 3, 1, 5}, {3, 2, 4, 5}}) {
    std::vector<int64_t> perm(shape.size());
    std::iota(perm.begin(), perm.end(), 0);
    do {
      ExpectSameAsReference(Iota<float>(shape), perm);
      ExpectSameAsReference(Iota<int64_t>(shape), perm);
      ExpectSameAsReference(Iota<uint8_t>(shape), perm);
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
  ExpectSameAsReference(Iota<float>({2, 3, 4}), {});  // default: reversed
  // Blocked 2-D transposes across block edges, and attention's key layout.
  ExpectSameAsReference(Iota<float>({37, 21}), {1, 0});
  ExpectSameAsReference(Iota<float>({3, 20, 33}), {0, 2, 1});
  ExpectSameAsReference(Iota<float>({128, 4, 64}), {1, 2, 0});
  ExpectSameAsReference(Iota<float>({2, 24, 19}), {0, 2, 1});
  ExpectSameAsReference(Iota<float>({128, 32, 64}), {1, 0, 2});  // big enough for two threads
  ExpectSameAsReference(Iota<float>({64, 3, 5, 70}), {3, 1, 0, 2});
  ExpectSameAsReference(Iota<int64_t>({37, 21}), {1, 0});
  ExpectSameAsReference(Iota<float>({0, 3}), {1, 0});
}

TEST(FastTranspose, BadPermutationIsTheReferenceError) {
  Graph g;
  g.opsets[""] = 17;
  g.inputs = {{"x", DType::kFloat32, std::nullopt}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  Node n;
  n.op_type = "Transpose";
  n.inputs = {"x"};
  n.outputs = {"y"};
  Attribute a;
  a.type = Attribute::Type::kInts;
  a.ints = {0, 0};
  n.attributes["perm"] = a;
  g.nodes = {n};
  auto m = CompiledModel::Compile(g, {}, {});
  ASSERT_TRUE(m.ok());
  auto out = (*m)->Run({Iota<float>({2, 2})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace inferd
