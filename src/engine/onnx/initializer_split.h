// Splits a serialized ModelProto into its structure and its weights, so the
// weights are copied once (source -> tensor) instead of three times (file ->
// buffer -> protobuf string -> tensor).
//
// The "skeleton" is the ModelProto's bytes with the raw_data field of every
// initializer of the main graph (ModelProto.graph.initializer[i].raw_data)
// left out; parsing it gives the same message as the whole file minus those
// fields. For each initializer, in the order protobuf parses them, the split
// records where its raw_data bytes lie in the source (the last occurrence,
// as protobuf keeps the last). Lengths of the enclosing messages are
// re-encoded; every other byte is kept as it was.
//
// The walk is a plain wire-format scan, not a second parser: anything it does
// not expect (a malformed varint, a length past the end, a group, field 0, a
// second `graph` field) makes it return nullopt, and the caller parses the
// whole file with protobuf as before, so odd or broken files get exactly
// protobuf's verdict.
//
// Thread safety: a free function over a const source.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/onnx/byte_source.h"

namespace inferd {

// Where one tensor's raw_data bytes lie in the source.
struct RawDataSpan {
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct SplitModel {
  std::string skeleton;
  // One entry per main-graph initializer, in parse order; nullopt when that
  // initializer has no raw_data field.
  std::vector<std::optional<RawDataSpan>> initializer_raw_data;
};

// Fails only when the source cannot be read; nullopt means "parse the whole
// file instead".
Result<std::optional<SplitModel>> SplitInitializerRawData(const ByteSource& source);

}  // namespace inferd
