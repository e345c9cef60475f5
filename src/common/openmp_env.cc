#include "common/openmp_env.h"

#include <unistd.h>

#include <cstdlib>

namespace inferd {

void BoundOpenMpSpinUnlessSet(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  if (::setenv("GOMP_SPINCOUNT", kDefaultGompSpinCount, 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  // exec failed (no /proc?): carry on with libgomp's defaults.
}

}  // namespace inferd
