#include "common/openmp_env.h"

#include <unistd.h>

#include <cstdlib>

namespace inferd {

void UsePassiveOpenMpWaitUnlessSet(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  if (::setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  // exec failed (no /proc?): carry on with libgomp's defaults.
}

}  // namespace inferd
