#ifndef PREDICTWIRE_LOADGEN_HARNESS_MEMORY_SAMPLER_H_
#define PREDICTWIRE_LOADGEN_HARNESS_MEMORY_SAMPLER_H_

#include <atomic>
#include <thread>

#include "os/child_process.h"

namespace predictwire::loadgen {

// Samples a process's resident memory every 50 ms on a thread of its own while a load runs,
// keeping the largest. `process` must outlive the sampler.
class MemorySampler {
 public:
  explicit MemorySampler(const os::ChildProcess& process);
  ~MemorySampler();  // Stop()
  MemorySampler(const MemorySampler&) = delete;
  MemorySampler& operator=(const MemorySampler&) = delete;

  // Stops sampling; the largest resident memory seen, MiB. Idempotent.
  double Stop();

 private:
  const os::ChildProcess& process_;
  std::atomic<bool> stop_{false};
  std::atomic<double> peak_mib_{0};
  std::thread thread_;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_HARNESS_MEMORY_SAMPLER_H_
