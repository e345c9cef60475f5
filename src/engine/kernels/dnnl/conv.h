// The oneDNN Conv kernel, for kernels that delegate the cases they do not
// handle to it (conv_winograd.cc).
#pragma once

#include <memory>

#include "common/status.h"
#include "engine/kernels/kernel.h"

namespace inferd::onednn {

// The oneDNN convolution for `info`. With `pack_weights` false a constant W
// is not reordered at load (no second copy of the weights): a run that
// reaches oneDNN reorders it then, as for a dynamic W.
Result<std::unique_ptr<Kernel>> CreateConvKernel(const KernelInfo& info, bool pack_weights);

}  // namespace inferd::onednn
