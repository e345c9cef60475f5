// OpenMP's wait policy, chosen before libgomp starts.
//
// libgomp's worker threads busy-wait between parallel regions by default.
// On a machine whose cores are shared (a server's I/O threads, a second
// model, another process, ONNX Runtime's spinning pool in a side-by-side
// benchmark) a spinning worker holds a core while the thread it waits for is
// descheduled, and a 10 ms run becomes 100-500 ms (measured here on 2 cores).
// Passive waiting costs a few microseconds per parallel region instead.
//
// libgomp reads OMP_WAIT_POLICY / GOMP_SPINCOUNT once, when it is loaded,
// before main() runs; so when the user set neither, this sets
// OMP_WAIT_POLICY=passive and re-executes the program (same pid, same
// arguments). Set OMP_WAIT_POLICY=active to keep spinning on a dedicated
// machine. Call first thing in main(); returns only when no re-exec happened.
#pragma once

namespace inferd {

void UsePassiveOpenMpWaitUnlessSet(char** argv);

}  // namespace inferd
