// OpenMP's spin-wait, bounded before libgomp starts.
//
// libgomp's worker threads busy-wait between parallel regions, by default
// for a long time (GOMP_SPINCOUNT 300000). On a machine whose cores are
// shared (a server's I/O threads, a second model, another process, ONNX
// Runtime's pool in a side-by-side benchmark) a spinning worker holds a core
// while the thread it waits for is descheduled, and a 10 ms run becomes
// 100-500 ms (measured here on 2 cores); after a run, the spinners also slow
// whoever runs next. Passive waiting avoids that but pays a wake-up per
// parallel region (2-thread runs then barely beat 1 thread). A short spin
// keeps a run's back-to-back regions hot and lets the team sleep soon after:
// measured here, GOMP_SPINCOUNT=20000 gave the 2-thread speed of the default
// with the robustness of passive waiting.
//
// libgomp reads OMP_WAIT_POLICY / GOMP_SPINCOUNT once, when it is loaded,
// before main() runs; so when the user set neither, this sets
// GOMP_SPINCOUNT and re-executes the program (same pid, same arguments).
// Call first thing in main(); returns only when no re-exec happened.
#pragma once

namespace inferd {

inline constexpr const char* kDefaultGompSpinCount = "20000";

void BoundOpenMpSpinUnlessSet(char** argv);

}  // namespace inferd
