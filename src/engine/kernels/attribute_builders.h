// Attribute builders for tests that assemble graphs in code. Test-only:
// header-only, included by the one-node-graph test helpers.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/ir/graph.h"

namespace inferd::test_attrs {

inline Attribute IntAttr(int64_t v) {
  Attribute a;
  a.type = Attribute::Type::kInt;
  a.i = v;
  return a;
}
inline Attribute IntsAttr(std::vector<int64_t> v) {
  Attribute a;
  a.type = Attribute::Type::kInts;
  a.ints = std::move(v);
  return a;
}
inline Attribute FloatAttr(float v) {
  Attribute a;
  a.type = Attribute::Type::kFloat;
  a.f = v;
  return a;
}
inline Attribute FloatsAttr(std::vector<float> v) {
  Attribute a;
  a.type = Attribute::Type::kFloats;
  a.floats = std::move(v);
  return a;
}
inline Attribute StringAttr(std::string v) {
  Attribute a;
  a.type = Attribute::Type::kString;
  a.s = std::move(v);
  return a;
}
inline Attribute TensorAttr(Tensor t) {
  Attribute a;
  a.type = Attribute::Type::kTensor;
  a.t = std::move(t);
  return a;
}

}  // namespace inferd::test_attrs
