// Before/after tests for the passes that fuse exported transformer pieces
// (layer_norm_fusion, gelu_fusion, matmul_bias_fusion), and the fast kernels
// of the internal ops against their reference kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/kernels/fast/packed_gemm.h"
#include "engine/kernels/internal_ops.h"
#include "engine/passes/pattern_util.h"
#include "engine/runtime/model.h"

namespace inferd {
namespace {

Node MakeNode(const std::string& op, std::vector<std::string> in, std::vector<std::string> out,
              std::map<std::string, Attribute> attrs = {}, const std::string& domain = "") {
  Node n;
  n.op_type = op;
  n.domain = domain;
  n.name = op + "_" + out[0];
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attrs);
  return n;
}

Attribute Ints(std::vector<int64_t> v) {
  Attribute a;
  a.type = Attribute::Type::kInts;
  a.ints = std::move(v);
  return a;
}

Tensor Random(Shape shape, uint32_t seed, float lo = -1, float hi = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t = Tensor::Create(DType::kFloat32, std::move(shape)).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

Tensor Scalar(float v) { return Tensor::FromVector<float>({v}, {1}); }

// Runs `g` unoptimized on the reference kernels and optimized on all
// kernels, and expects the same outputs.
void ExpectSameValues(const Graph& g, const std::vector<Tensor>& inputs, double tol = 1e-4) {
  ModelOptions plain;
  plain.optimize = false;
  plain.providers = {"ref"};
  auto reference = CompiledModel::Compile(g, {}, plain);
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  auto optimized = CompiledModel::Compile(g, {}, {});
  ASSERT_TRUE(optimized.ok()) << optimized.status().ToString();
  auto want = (*reference)->Run(inputs);
  auto got = (*optimized)->Run(inputs);
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const Tensor& a = (*want)[0];
  const Tensor& b = (*got)[0];
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.numel(); ++i)
    ASSERT_NEAR(a.data<float>()[i], b.data<float>()[i], tol * (1 + std::abs(a.data<float>()[i]))) << "element " << i;
}

// The decomposed LayerNorm as PyTorch 1.13 exports it (opset 14).
Graph DecomposedLayerNorm(Shape x_shape, bool affine) {
  Graph g;
  g.opsets[""] = 14;
  g.inputs = {{"x", DType::kFloat32, std::nullopt}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  const int64_t d = x_shape.back();
  g.initializers["two"] = Scalar(2.f);
  g.initializers["eps"] = Scalar(1e-5f);
  g.initializers["gamma"] = Random({d}, 1, 0.5f, 1.5f);
  g.initializers["beta"] = Random({d}, 2);
  const std::string n_out = affine ? "n" : "y";
  g.nodes = {MakeNode("ReduceMean", {"x"}, {"m"}, {{"axes", Ints({-1})}}),
             MakeNode("Sub", {"x", "m"}, {"d"}),
             MakeNode("Pow", {"d", "two"}, {"p"}),
             MakeNode("ReduceMean", {"p"}, {"v"}, {{"axes", Ints({-1})}}),
             MakeNode("Add", {"v", "eps"}, {"e"}),
             MakeNode("Sqrt", {"e"}, {"s"}),
             MakeNode("Div", {"d", "s"}, {n_out})};
  if (affine) {
    g.nodes.push_back(MakeNode("Mul", {"n", "gamma"}, {"n1"}));
    g.nodes.push_back(MakeNode("Add", {"n1", "beta"}, {"y"}));
  }
  return g;
}

TEST(LayerNormFusion, NineNodesBecomeOneLayerNormalization) {
  Graph g = DecomposedLayerNorm({2, 3, 16}, true);
  ASSERT_TRUE(OptimizeGraph(g).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  const Node& ln = g.nodes[0];
  EXPECT_EQ(ln.domain, kInternalDomain);
  EXPECT_EQ(ln.op_type, "LayerNormalization");
  EXPECT_EQ(ln.inputs, (std::vector<std::string>{"x", "gamma", "beta"}));
  EXPECT_EQ(ln.outputs[0], "y");
  EXPECT_EQ(ln.FindAttribute("axis")->i, -1);
  EXPECT_FLOAT_EQ(ln.FindAttribute("epsilon")->f, 1e-5f);
  ExpectSameValues(DecomposedLayerNorm({2, 3, 16}, true), {Random({2, 3, 16}, 3, -3, 3)});
  ExpectSameValues(DecomposedLayerNorm({5, 259}, true), {Random({5, 259}, 4, -3, 3)});
}

TEST(LayerNormFusion, WithoutScaleAndBiasGetsAUnitScale) {
  Graph g = DecomposedLayerNorm({4, 8}, false);
  ASSERT_TRUE(OptimizeGraph(g).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].inputs.size(), 2u);
  ExpectSameValues(DecomposedLayerNorm({4, 8}, false), {Random({4, 8}, 5, -2, 2)});
}

TEST(LayerNormFusion, LeavesThePatternWhenAnIntermediateIsNeededElsewhere) {
  Graph g = DecomposedLayerNorm({2, 8}, true);
  g.outputs.push_back({"d", DType::kFloat32, std::nullopt});
  ASSERT_TRUE(OptimizeGraph(g).ok());
  for (const Node& n : g.nodes) EXPECT_NE(n.op_type, "LayerNormalization");

  Graph h = DecomposedLayerNorm({2, 8}, true);
  h.nodes[0].attributes["axes"] = Ints({0});  // not the trailing axis
  ASSERT_TRUE(OptimizeGraph(h).ok());
  for (const Node& n : h.nodes) EXPECT_NE(n.op_type, "LayerNormalization");
}

// A post-norm residual: y = LayerNorm(x + r).
Graph ResidualLayerNorm(Shape x_shape, bool affine) {
  Graph g = DecomposedLayerNorm(x_shape, affine);
  g.inputs.push_back({"r", DType::kFloat32, std::nullopt});
  for (Node& n : g.nodes)
    for (std::string& in : n.inputs)
      if (in == "x") in = "t";
  g.nodes.insert(g.nodes.begin(), MakeNode("Add", {"x", "r"}, {"t"}));
  return g;
}

TEST(SkipLayerNormFusion, ResidualAddFoldsIntoTheLayerNormalization) {
  Graph g = ResidualLayerNorm({2, 3, 16}, true);
  ASSERT_TRUE(OptimizeGraph(g).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].inputs, (std::vector<std::string>{"x", "gamma", "beta", "r"}));
  ExpectSameValues(ResidualLayerNorm({2, 3, 16}, true),
                   {Random({2, 3, 16}, 6, -3, 3), Random({2, 3, 16}, 7, -3, 3)});
  // No affine part: B is left empty; a Skip that broadcasts.
  Graph h = ResidualLayerNorm({4, 8}, false);
  ASSERT_TRUE(OptimizeGraph(h).ok());
  ASSERT_EQ(h.nodes.size(), 1u);
  EXPECT_EQ(h.nodes[0].inputs, (std::vector<std::string>{"x", "y/layer_norm_scale", "", "r"}));
  ExpectSameValues(ResidualLayerNorm({4, 8}, false), {Random({4, 8}, 8, -2, 2), Random({8}, 9, -2, 2)});
}

TEST(SkipLayerNormFusion, LeavesASumThatIsReadElsewhere) {
  Graph g = ResidualLayerNorm({2, 8}, true);
  g.outputs.push_back({"t", DType::kFloat32, std::nullopt});
  ASSERT_TRUE(OptimizeGraph(g).ok());
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].op_type, "Add");
}

// Attention's products as PyTorch's multi-head attention exports them:
// q, k, v [S, H, D] -> scores = q' k'^T, softmax, (scores v') transposed back.
Graph Attention(bool transpose_is_output) {
  Graph g;
  g.opsets[""] = 14;
  for (const char* name : {"q", "k", "v"})
    g.inputs.push_back({name, DType::kFloat32, std::vector<Dim>{{5, ""}, {3, ""}, {4, ""}}});
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  g.nodes = {MakeNode("Transpose", {"q"}, {"qt"}, {{"perm", Ints({1, 0, 2})}}),
             MakeNode("Transpose", {"k"}, {"kt"}, {{"perm", Ints({1, 2, 0})}}),
             MakeNode("MatMul", {"qt", "kt"}, {"s"}),
             MakeNode("Softmax", {"s"}, {"p"}, {{"axis", pattern::IntAttr(-1)}}),
             MakeNode("Transpose", {"v"}, {"vt"}, {{"perm", Ints({1, 0, 2})}}),
             MakeNode("MatMul", {"p", "vt"}, {"o"}),
             MakeNode("Transpose", {"o"}, {"y"}, {{"perm", Ints({1, 0, 2})}})};
  if (transpose_is_output) g.outputs.push_back({"kt", DType::kFloat32, std::nullopt});
  return g;
}

TEST(TransposeMatMulFusion, AttentionTransposesFoldIntoTheProducts) {
  Graph g = Attention(false);
  ASSERT_TRUE(OptimizeGraph(g).ok());
  int fused = 0, transposes = 0;
  for (const Node& n : g.nodes) {
    fused += n.op_type == "TransposedMatMul";
    transposes += n.op_type == "Transpose";
  }
  EXPECT_EQ(fused, 2);
  EXPECT_EQ(transposes, 1);  // V's: a strided B and a strided output together are slow
  const std::vector<Tensor> in = {Random({5, 3, 4}, 60), Random({5, 3, 4}, 61), Random({5, 3, 4}, 62)};
  ExpectSameValues(Attention(false), in);
  // A Transpose that is also a graph output stays; the rest still fold.
  Graph h = Attention(true);
  ASSERT_TRUE(OptimizeGraph(h).ok());
  bool kt_kept = false;
  for (const Node& n : h.nodes) kt_kept = kt_kept || (n.op_type == "Transpose" && n.outputs[0] == "kt");
  EXPECT_TRUE(kt_kept);
  ExpectSameValues(Attention(true), in);
}

TEST(TransposeMatMulFusion, LeavesAProductWhoseRankIsUnknown) {
  Graph g;
  g.opsets[""] = 14;
  g.inputs = {{"a", DType::kFloat32, std::nullopt}, {"b", DType::kFloat32, std::nullopt}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  g.nodes = {MakeNode("Transpose", {"b"}, {"bt"}, {{"perm", Ints({0, 2, 1})}}), MakeNode("MatMul", {"a", "bt"}, {"y"})};
  ASSERT_TRUE(OptimizeGraph(g).ok());
  for (const Node& n : g.nodes) EXPECT_NE(n.op_type, "TransposedMatMul");
}

// GELU as PyTorch exports nn.GELU(): x * (erf(x / sqrt 2) + 1) * 0.5.
Graph DecomposedGelu(bool half_first) {
  Graph g;
  g.opsets[""] = 14;
  g.inputs = {{"x", DType::kFloat32, std::nullopt}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  g.initializers["sqrt2"] = Scalar(1.4142135f);
  g.initializers["one"] = Scalar(1.f);
  g.initializers["half"] = Scalar(0.5f);
  g.nodes = {MakeNode("Div", {"x", "sqrt2"}, {"a"}), MakeNode("Erf", {"a"}, {"b"}), MakeNode("Add", {"b", "one"}, {"c"})};
  if (half_first) {
    g.nodes.push_back(MakeNode("Mul", {"x", "half"}, {"xh"}));
    g.nodes.push_back(MakeNode("Mul", {"xh", "c"}, {"y"}));
  } else {
    g.nodes.push_back(MakeNode("Mul", {"x", "c"}, {"xc"}));
    g.nodes.push_back(MakeNode("Mul", {"xc", "half"}, {"y"}));
  }
  return g;
}

TEST(GeluFusion, BothExportOrdersBecomeOneGelu) {
  for (bool half_first : {false, true}) {
    Graph g = DecomposedGelu(half_first);
    ASSERT_TRUE(OptimizeGraph(g).ok());
    ASSERT_EQ(g.nodes.size(), 1u) << half_first;
    EXPECT_EQ(g.nodes[0].domain, kInternalDomain);
    EXPECT_EQ(g.nodes[0].op_type, "Gelu");
    EXPECT_EQ(g.nodes[0].inputs[0], "x");
    EXPECT_EQ(g.nodes[0].outputs[0], "y");
    ExpectSameValues(DecomposedGelu(half_first), {Random({3, 37}, 6, -6, 6)});
  }
}

TEST(GeluFusion, LeavesOtherConstantsAlone) {
  Graph g = DecomposedGelu(false);
  g.initializers["half"] = Scalar(0.25f);
  ASSERT_TRUE(OptimizeGraph(g).ok());
  EXPECT_EQ(g.nodes.size(), 5u);
}

Graph MatMulBiasRelu(Shape a_shape, int64_t n, bool bias_first) {
  Graph g;
  g.opsets[""] = 14;
  g.inputs = {{"a", DType::kFloat32, std::nullopt}};
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  g.initializers["w"] = Random({a_shape.back(), n}, 7);
  g.initializers["bias"] = Random({n}, 8);
  g.nodes = {MakeNode("MatMul", {"a", "w"}, {"mm"}),
             bias_first ? MakeNode("Add", {"bias", "mm"}, {"z"}) : MakeNode("Add", {"mm", "bias"}, {"z"}),
             MakeNode("Relu", {"z"}, {"y"})};
  return g;
}

TEST(MatMulBiasFusion, MatMulAddReluBecomeOneFusedMatMul) {
  for (bool bias_first : {false, true}) {
    Graph g = MatMulBiasRelu({2, 5, 12}, 7, bias_first);
    ASSERT_TRUE(OptimizeGraph(g).ok());
    ASSERT_EQ(g.nodes.size(), 1u);
    const Node& mm = g.nodes[0];
    EXPECT_EQ(mm.domain, kInternalDomain);
    EXPECT_EQ(mm.op_type, "FusedMatMul");
    EXPECT_EQ(mm.inputs, (std::vector<std::string>{"a", "w", "bias"}));
    ASSERT_NE(mm.FindAttribute("_activation"), nullptr);
    EXPECT_EQ(mm.FindAttribute("_activation")->s, "Relu");
    EXPECT_EQ(mm.outputs[0], "y");
    ExpectSameValues(MatMulBiasRelu({2, 5, 12}, 7, bias_first), {Random({2, 5, 12}, 9)});
  }
  ExpectSameValues(MatMulBiasRelu({12}, 3, false), {Random({12}, 10)});
  ExpectSameValues(MatMulBiasRelu({0, 12}, 3, false), {Tensor::Create(DType::kFloat32, {0, 12}).value()});
}

TEST(MatMulBiasFusion, LeavesABiasThatWouldBroadcastTheOutput) {
  Graph g = MatMulBiasRelu({2, 5, 12}, 7, false);
  g.initializers["bias"] = Random({5, 7}, 11);
  ASSERT_TRUE(OptimizeGraph(g).ok());
  for (const Node& n : g.nodes) EXPECT_NE(n.op_type, "FusedMatMul");
}

// Attention's packed QKV projection as PyTorch exports it: one MatMul + bias,
// three Slices on the last axis, the query reshaped to heads, transposed and
// divided by sqrt(head_dim).
Graph PackedQkv() {
  Graph g;
  g.opsets[""] = 14;
  g.inputs = {{"a", DType::kFloat32, std::nullopt}};
  g.outputs = {{"q", DType::kFloat32, std::nullopt}, {"k", DType::kFloat32, std::nullopt},
               {"v", DType::kFloat32, std::nullopt}};
  g.initializers["w"] = Random({12, 24}, 60);
  g.initializers["bias"] = Random({24}, 61);
  g.initializers["eight"] = Tensor::Scalar<float>(8.f);
  g.initializers["axes"] = Tensor::FromVector<int64_t>({-1}, {1});
  for (int64_t i : {0, 8, 16, 24}) g.initializers["at" + std::to_string(i)] = Tensor::FromVector<int64_t>({i}, {1});
  g.initializers["heads"] = Tensor::FromVector<int64_t>({2, 5, 2, 4}, {4});
  g.nodes = {MakeNode("MatMul", {"a", "w"}, {"mm"}),
             MakeNode("Add", {"bias", "mm"}, {"qkv"}),
             MakeNode("Slice", {"qkv", "at0", "at8", "axes"}, {"q0"}),
             MakeNode("Slice", {"qkv", "at8", "at16", "axes"}, {"k"}),
             MakeNode("Slice", {"qkv", "at16", "at24", "axes"}, {"v"}),
             MakeNode("Reshape", {"q0", "heads"}, {"q1"}),
             MakeNode("Transpose", {"q1"}, {"q2"}, {{"perm", Ints({0, 2, 1, 3})}}),
             MakeNode("Div", {"q2", "eight"}, {"q"})};
  return g;
}

TEST(MatMulSliceSplitAndScaleIntoWeights, PackedQkvBecomesThreeProjectionsWithoutDiv) {
  Graph g = PackedQkv();
  ASSERT_TRUE(OptimizeGraph(g).ok());
  int fused = 0;
  for (const Node& n : g.nodes) {
    fused += n.op_type == "FusedMatMul";
    EXPECT_NE(n.op_type, "Slice");
    EXPECT_NE(n.op_type, "Div");
  }
  EXPECT_EQ(fused, 3);
  EXPECT_EQ(g.nodes.size(), 5u);  // 3 projections, Reshape, Transpose

  ModelOptions plain;
  plain.optimize = false;
  plain.providers = {"ref"};
  auto reference = CompiledModel::Compile(PackedQkv(), {}, plain);
  auto optimized = CompiledModel::Compile(PackedQkv(), {}, {});
  ASSERT_TRUE(reference.ok() && optimized.ok());
  const Tensor a = Random({2, 5, 12}, 62);
  auto want = (*reference)->Run({a});
  auto got = (*optimized)->Run({a});
  ASSERT_TRUE(want.ok() && got.ok());
  for (size_t o = 0; o < 3; ++o) {
    ASSERT_EQ((*want)[o].shape(), (*got)[o].shape()) << o;
    for (int64_t i = 0; i < (*want)[o].numel(); ++i)
      ASSERT_NEAR((*want)[o].data<float>()[i], (*got)[o].data<float>()[i], 1e-5) << "output " << o << " element " << i;
  }
}

TEST(MatMulSliceSplitAndScaleIntoWeights, LeaveAProjectionReadWhole) {
  Graph g = PackedQkv();
  g.outputs.push_back({"qkv", DType::kFloat32, std::nullopt});
  ASSERT_TRUE(OptimizeGraph(g).ok());
  int slices = 0;
  for (const Node& n : g.nodes) slices += n.op_type == "Slice";
  EXPECT_EQ(slices, 3);
}

// The fast kernel of an internal op against its reference kernel, one node.
void CompareInternalOp(const std::string& op, std::map<std::string, Attribute> attrs, const std::vector<Tensor>& inputs,
                       const std::map<int, Tensor>& constants, const std::string& want_kernel) {
  Graph g;
  g.opsets[""] = 17;
  g.opsets[std::string(kInternalDomain)] = 1;
  Node n = MakeNode(op, {}, {"y"}, std::move(attrs), std::string(kInternalDomain));
  std::vector<Tensor> fed;
  const size_t count = inputs.size() + constants.size();
  for (size_t i = 0, next = 0; i < count; ++i) {
    const std::string name = "x" + std::to_string(i);
    n.inputs.push_back(name);
    if (auto c = constants.find(static_cast<int>(i)); c != constants.end()) {
      g.initializers[name] = c->second;
    } else {
      g.inputs.push_back({name, DType::kFloat32, std::nullopt});
      fed.push_back(inputs[next++]);
    }
  }
  g.outputs = {{"y", DType::kFloat32, std::nullopt}};
  g.nodes = {n};
  ModelOptions ref_only, fast;
  ref_only.optimize = fast.optimize = false;
  ref_only.providers = {"ref"};
  auto oracle = CompiledModel::Compile(g, {}, ref_only);
  auto model = CompiledModel::Compile(g, {}, fast);
  ASSERT_TRUE(oracle.ok() && model.ok());
  EXPECT_EQ((*model)->step_kernel_name(0), want_kernel);
  auto want = (*oracle)->Run(fed);
  auto got = (*model)->Run(fed);
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ((*got)[0].shape(), (*want)[0].shape());
  for (int64_t i = 0; i < (*want)[0].numel(); ++i) {
    const float w = (*want)[0].data<float>()[i];
    ASSERT_NEAR((*got)[0].data<float>()[i], w, 2e-5 * (1 + std::abs(w))) << op << " element " << i;
  }
}

TEST(InternalOps, FastLayerNormMatchesReference) {
  uint32_t seed = 20;
  // {300, 512} is big enough to be split over the two threads of the test models.
  for (const Shape& shape : std::vector<Shape>{{1, 1}, {3, 7}, {2, 5, 256}, {4, 33}, {2, 3, 4, 5}, {300, 512}}) {
    for (int64_t axis : {int64_t{-1}, int64_t{1} - static_cast<int64_t>(shape.size())}) {
      const Shape norm(shape.end() + axis, shape.end());
      CompareInternalOp("LayerNormalization", {{"axis", pattern::IntAttr(axis)}, {"epsilon", pattern::FloatAttr(1e-5f)}},
                        {Random(shape, seed++, -4, 4)}, {{1, Random(norm, seed++)}, {2, Random(norm, seed++)}},
                        "fast.layernorm");
    }
  }
  // A scalar scale broadcast over the normalised dims.
  CompareInternalOp("LayerNormalization", {}, {Random({3, 10}, 30)}, {{1, Scalar(2.f)}}, "fast.layernorm");
  // With Skip: the same shape (the fused residual), and one that broadcasts.
  CompareInternalOp("LayerNormalization", {}, {Random({300, 512}, 31, -4, 4), Random({300, 512}, 32, -4, 4)},
                    {{1, Random({512}, 33)}, {2, Random({512}, 34)}}, "fast.layernorm");
  CompareInternalOp("LayerNormalization", {}, {Random({5, 40}, 35, -4, 4), Random({40}, 36, -4, 4)},
                    {{1, Random({40}, 37)}, {2, Random({40}, 38)}}, "fast.layernorm");
}

TEST(InternalOps, FastGeluMatchesReference) {
  Attribute none, tanh_form;
  none.type = tanh_form.type = Attribute::Type::kString;
  none.s = "none";
  tanh_form.s = "tanh";
  CompareInternalOp("Gelu", {{"approximate", none}}, {Random({5, 131}, 40, -8, 8)}, {}, "fast.gelu");
  CompareInternalOp("Gelu", {{"approximate", tanh_form}}, {Random({5, 131}, 41, -8, 8)}, {}, "fast.gelu");
}

TEST(InternalOps, DnnlTransposedMatMulMatchesReference) {
  const std::vector<std::vector<int64_t>> perms = {{}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}};
  uint32_t seed = 70;
  for (const auto& pa : perms)
    for (const auto& pb : perms)
      for (const auto& py : std::vector<std::vector<int64_t>>{{}, {1, 0, 2}}) {
        // Logical A' [3, 5, 7], B' [3, 7, 4]: the physical inputs are their
        // inverse permutations.
        auto physical = [](const Shape& logical, const std::vector<int64_t>& perm) {
          if (perm.empty()) return logical;
          Shape p(3);
          for (size_t i = 0; i < 3; ++i) p[static_cast<size_t>(perm[i])] = logical[i];
          return p;
        };
        std::map<std::string, Attribute> attrs;
        if (!pa.empty()) attrs["perm_a"] = Ints(pa);
        if (!pb.empty()) attrs["perm_b"] = Ints(pb);
        if (!py.empty()) attrs["perm_y"] = Ints(py);
        CompareInternalOp("TransposedMatMul", attrs,
                          {Random(physical({3, 5, 7}, pa), seed++), Random(physical({3, 7, 4}, pb), seed++)}, {},
                          "dnnl.matmul_t");
      }
  // A batch of 1 broadcast against 3.
  CompareInternalOp("TransposedMatMul", {{"perm_b", Ints({0, 2, 1})}}, {Random({1, 5, 7}, 90), Random({3, 4, 7}, 91)},
                    {}, "dnnl.matmul_t");
}

TEST(InternalOps, DnnlFusedMatMulMatchesReference) {
  CompareInternalOp("FusedMatMul", {}, {Random({2, 9, 33}, 50)}, {{1, Random({33, 17}, 51)}, {2, Random({17}, 52)}},
                    fast::PackedGemmIsFast() ? "fast.gemm" : "dnnl.matmul");
  CompareInternalOp("FusedMatMul", {}, {Random({33}, 53)}, {{1, Random({33, 5}, 54)}, {2, Random({5}, 55)}},
                    fast::PackedGemmIsFast() ? "fast.gemm" : "dnnl.matmul");
}

}  // namespace
}  // namespace inferd
