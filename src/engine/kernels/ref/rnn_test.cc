// Tests for the recurrent ops: RNN, GRU, LSTM (shared driver in rnn_common).
#include <gtest/gtest.h>

#include <cmath>

#include "engine/kernels/ref/one_op_graph_test_util.h"

namespace inferd {
namespace {

using testing::OneOpGraph;

std::vector<float> Values(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.numel()}; }
Tensor F(std::vector<float> v, Shape s) { return Tensor::FromVector<float>(v, std::move(s)); }

void ExpectInvalid(const Result<std::vector<Tensor>>& r, const std::string& text) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  EXPECT_NE(r.status().message().find(text), std::string::npos) << r.status().message();
}

// Hidden 1, input 1, W = R = 1, Relu: h_t = relu(x_t + h_{t-1}).
OneOpGraph ReluRnn(const char* direction) {
  return OneOpGraph("RNN")
      .In()
      .Const(F({1}, {1, 1, 1}))
      .Const(F({1}, {1, 1, 1}))
      .Attr("hidden_size", 1)
      .Attr("activations", std::vector<std::string>{"Relu"})
      .Attr("direction", direction)
      .Outputs(2);
}

TEST(RNN, ForwardAndReverse) {
  const Tensor x = F({1, 2}, {2, 1, 1});
  auto fwd = ReluRnn("forward").Run({x});
  ASSERT_TRUE(fwd.ok()) << fwd.status().ToString();
  EXPECT_EQ((*fwd)[0].shape(), (Shape{2, 1, 1, 1}));
  EXPECT_EQ(Values((*fwd)[0]), (std::vector<float>{1, 3}));
  EXPECT_EQ(Values((*fwd)[1]), (std::vector<float>{3}));
  auto rev = ReluRnn("reverse").Run({x});
  ASSERT_TRUE(rev.ok());
  EXPECT_EQ(Values((*rev)[0]), (std::vector<float>{3, 2}));
  EXPECT_EQ(Values((*rev)[1]), (std::vector<float>{3}));
}

TEST(RNN, SequenceLensZeroThePaddedSteps) {
  // Two directions sharing one activation list, batch 2 with lengths 2 and 1.
  auto out = OneOpGraph("RNN")
                 .In()
                 .Const(F({1, 1}, {2, 1, 1}))
                 .Const(F({1, 1}, {2, 1, 1}))
                 .Omit()
                 .In()
                 .Attr("hidden_size", 1)
                 .Attr("activations", std::vector<std::string>{"Relu"})
                 .Attr("direction", "bidirectional")
                 .Outputs(2)
                 .Run({F({1, 10, 2, 20}, {2, 2, 1}), Tensor::FromVector<int32_t>({2, 1}, {2})});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].shape(), (Shape{2, 2, 2, 1}));  // [seq, dirs, batch, hidden]
  // t0: fwd {1, 10}, rev {3, 10}; t1: fwd {3, 0}, rev {2, 0}.
  EXPECT_EQ(Values((*out)[0]), (std::vector<float>{1, 10, 3, 10, 3, 0, 2, 0}));
  EXPECT_EQ(Values((*out)[1]), (std::vector<float>{3, 10, 3, 10}));  // [dirs, batch, hidden]
}

TEST(RNN, BatchFirstLayout) {
  auto out = OneOpGraph("RNN", 14)
                 .In()
                 .Const(F({1}, {1, 1, 1}))
                 .Const(F({1}, {1, 1, 1}))
                 .Attr("hidden_size", 1)
                 .Attr("activations", std::vector<std::string>{"Relu"})
                 .Attr("layout", 1)
                 .Outputs(2)
                 .Run({F({1, 2, 10, 20}, {2, 2, 1})});  // [batch, seq, input]
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 2, 1, 1}));  // [batch, seq, dirs, hidden]
  EXPECT_EQ(Values((*out)[0]), (std::vector<float>{1, 3, 10, 30}));
  EXPECT_EQ((*out)[1].shape(), (Shape{2, 1, 1}));
  EXPECT_EQ(Values((*out)[1]), (std::vector<float>{3, 30}));
}

TEST(GRU, LinearBeforeResetChangesWhereTheResetGateApplies) {
  // Only Rh = 1 and Rbh = 1 are non-zero, so z = r = 0.5 and x plays no part.
  const Tensor w = F(std::vector<float>(3, 0), {1, 3, 1});
  const Tensor r = F({0, 0, 1}, {1, 3, 1});
  const Tensor b = F({0, 0, 0, 0, 0, 1}, {1, 6});
  auto run = [&](int lbr) {
    return OneOpGraph("GRU")
        .In()
        .Const(w)
        .Const(r)
        .Const(b)
        .Omit()
        .Const(F({2}, {1, 1, 1}))
        .Attr("hidden_size", 1)
        .Attr("linear_before_reset", lbr)
        .Outputs(2)
        .Run({F({0}, {1, 1, 1})});
  };
  auto before = run(0), after = run(1);
  ASSERT_TRUE(before.ok() && after.ok()) << before.status().ToString();
  EXPECT_NEAR(Values((*before)[1])[0], 0.5 * std::tanh(2.0) + 1.0, 1e-6);
  EXPECT_NEAR(Values((*after)[1])[0], 0.5 * std::tanh(1.5) + 1.0, 1e-6);
}

TEST(LSTM, ForgetGatePeepholeAndCellOutput) {
  const Tensor w = F(std::vector<float>(4, 0), {1, 4, 1});
  const Tensor r = F(std::vector<float>(4, 0), {1, 4, 1});
  const Tensor c0 = F({1}, {1, 1, 1});
  auto plain = OneOpGraph("LSTM")
                   .In()
                   .Const(w)
                   .Const(r)
                   .Omit()
                   .Omit()
                   .Omit()
                   .Const(c0)
                   .Attr("hidden_size", 1)
                   .Outputs(3)
                   .Run({F({0}, {1, 1, 1})});
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_NEAR(Values((*plain)[2])[0], 0.5, 1e-6);                   // C = f * c0 = 0.5
  EXPECT_NEAR(Values((*plain)[1])[0], 0.5 * std::tanh(0.5), 1e-6);  // H = o * tanh(C)
  auto peep = OneOpGraph("LSTM")
                  .In()
                  .Const(w)
                  .Const(r)
                  .Omit()
                  .Omit()
                  .Omit()
                  .Const(c0)
                  .Const(F({0, 0, 2}, {1, 3}))
                  .Attr("hidden_size", 1)
                  .Outputs(3)
                  .Run({F({0}, {1, 1, 1})});
  ASSERT_TRUE(peep.ok()) << peep.status().ToString();
  const double c = 1.0 / (1.0 + std::exp(-2.0));
  EXPECT_NEAR(Values((*peep)[2])[0], c, 1e-6);
  EXPECT_NEAR(Values((*peep)[1])[0], 0.5 * std::tanh(c), 1e-6);
}

TEST(Recurrent, BadShapesAndAttributes) {
  const Tensor x = F({1, 2}, {2, 1, 1});
  ExpectInvalid(
      OneOpGraph("RNN").In().Const(F({1, 1}, {1, 2, 1})).Const(F({1}, {1, 1, 1})).Attr("hidden_size", 1).Run({x}),
      "input W");
  ExpectInvalid(ReluRnn("sideways").Run({x}), "direction");
  ExpectInvalid(OneOpGraph("RNN")
                    .In()
                    .Const(F({1}, {1, 1, 1}))
                    .Const(F({1}, {1, 1, 1}))
                    .Attr("activations", std::vector<std::string>{"Swish"})
                    .Run({x}),
                "unknown activation");
  ExpectInvalid(OneOpGraph("LSTM")
                    .In()
                    .Const(F({0, 0, 0, 0}, {1, 4, 1}))
                    .Const(F({0, 0, 0, 0}, {1, 4, 1}))
                    .Attr("activations", std::vector<std::string>{"Sigmoid"})
                    .Run({x}),
                "activations");
  ExpectInvalid(OneOpGraph("RNN")
                    .In()
                    .Const(F({1}, {1, 1, 1}))
                    .Const(F({1}, {1, 1, 1}))
                    .Omit()
                    .In()
                    .Run({x, Tensor::FromVector<int32_t>({3}, {1})}),
                "sequence_lens");
}

}  // namespace
}  // namespace inferd
