// Test helper for the elementwise kernel tests: runs one node on runtime
// tensors, an undefined Tensor() standing for an omitted optional input.
//
//   auto out = RunElementwise("Clip", {x, Tensor(), max}, {}, 13);
//
// A shorthand over op_test_util.h's RunOp; only included by *_test.cc files.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/kernels/ref/op_test_util.h"

namespace inferd::testing {

inline Result<std::vector<Tensor>> RunElementwise(const std::string& op, const std::vector<Tensor>& inputs,
                                                  std::map<std::string, Attribute> attrs = {}, int64_t opset = 17,
                                                  int num_outputs = 1) {
  std::vector<OpInput> in;
  for (const auto& t : inputs) in.push_back(t.defined() ? In(t) : Omitted());
  return RunOp(op, opset, std::move(in), std::move(attrs), num_outputs);
}

}  // namespace inferd::testing
