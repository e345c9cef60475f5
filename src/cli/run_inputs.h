// Building the inputs of `inferd run` and showing its outputs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/random_tensor.h"
#include "common/status.h"
#include "common/tensor.h"
#include "engine/ir/graph.h"
#include "engine/runtime/model.h"

namespace inferd::cli {

// Splits "NAME=FILE" (the name may itself contain '=' only if quoted away by
// the shell: the first '=' separates). Fails on a missing name or file.
Result<std::pair<std::string, std::string>> ParseInputSpec(const std::string& spec);

// The concrete shape to generate for a declared input: the first dimension,
// when symbolic, becomes `batch`; any other symbolic dimension (or an unknown
// rank) is an error naming the input, since only a file can say its size.
Result<Shape> ShapeForRandomInput(const ValueInfo& input, int64_t batch);

// Multi-line description of an output: name, dtype, shape, the first values,
// and for a 2-D float [N,C] output the argmax of each row.
std::string DescribeOutput(const std::string& name, const Tensor& t, size_t max_values = 8);

// Fills `feeds` (in the model's input order) from NAME=FILE.npy specs and,
// with `random`, seeded random data for the inputs no file covers. Each file
// is checked against the model's declaration.
Status BuildInputs(const std::vector<std::string>& input_specs, bool random, int64_t batch, uint64_t seed,
                   const CompiledModel& model, std::vector<Tensor>* feeds);

// A file name for an output: characters outside [A-Za-z0-9._-] become '_'.
std::string OutputFileName(const std::string& name);

}  // namespace inferd::cli
