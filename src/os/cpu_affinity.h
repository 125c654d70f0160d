#ifndef PREDICTWIRE_OS_CPU_AFFINITY_H_
#define PREDICTWIRE_OS_CPU_AFFINITY_H_

// Pinning threads and processes to CPUs: how the instrument keeps a server and its load
// generator on the cores a measurement names.

#include <pthread.h>
#include <sched.h>

#include <vector>

#include "absl/status/status.h"

namespace predictwire::os {

// The CPU set of `cpus`.
cpu_set_t CpuSetOf(const std::vector<int>& cpus);

// Pins the calling thread (and the threads it starts later) to `cpus`; nothing when empty.
absl::Status PinThisThread(const std::vector<int>& cpus);

// Pins the thread `thread` (std::thread::native_handle()) to `cpus`; nothing when empty.
absl::Status PinThread(pthread_t thread, const std::vector<int>& cpus);

}  // namespace predictwire::os

#endif  // PREDICTWIRE_OS_CPU_AFFINITY_H_
