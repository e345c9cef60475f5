// ONNX import: file bytes -> engine IR (Graph), without the ONNX checker.
//
// Accepts any IR version and opsets the kernels know; checks everything a
// hostile file could get wrong (dims, sizes, external-data paths, types)
// before allocating, and names the offending tensor, node or attribute.
// Constant nodes are folded into initializers here.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "common/tensor.h"
#include "engine/ir/graph.h"

namespace inferd {

struct LoadedGraph {
  Graph graph;
  ModelInfo info;
};

// Reads and converts an .onnx file; external data is resolved relative to the
// file's folder and may not escape it. The file is read with pread, never
// mapped (byte_source.h): the model's structure is read first, then each
// initializer's raw_data goes straight from the file into its tensor
// (initializer_split.h), so the weights are copied once and the file is never
// held whole in memory. A file truncated while loading gives DataLoss.
Result<LoadedGraph> LoadOnnxFile(const std::string& path);
// Converts serialized ModelProto bytes. `base_dir` is where external data
// lives; empty means external data is refused.
Result<LoadedGraph> LoadOnnxBytes(std::string_view bytes, const std::string& base_dir);
// As LoadOnnxBytes, but always parses the whole message with protobuf (the
// path LoadOnnxBytes falls back to): the oracle the split path is tested against.
Result<LoadedGraph> LoadOnnxBytesWholeParse(std::string_view bytes, const std::string& base_dir);
// Reads a serialized TensorProto file (as in ONNX's test data sets).
Result<Tensor> LoadTensorProtoFile(const std::string& path);
// Serializes a tensor as a TensorProto (raw_data) to `path`.
Status SaveTensorProtoFile(const Tensor& t, const std::string& path, const std::string& name = "");

}  // namespace inferd
