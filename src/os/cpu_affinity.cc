#include "os/cpu_affinity.h"

#include <fmt/format.h>

#include <cstring>

namespace predictwire::os {
namespace {

absl::Status PinError(const std::vector<int>& cpus, int error) {
  return absl::InternalError(
      fmt::format("cannot pin to CPUs {}: {}", fmt::join(cpus, ","), std::strerror(error)));
}

}  // namespace

cpu_set_t CpuSetOf(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) CPU_SET(cpu, &set);
  return set;
}

absl::Status PinThisThread(const std::vector<int>& cpus) {
  if (cpus.empty()) return absl::OkStatus();
  const cpu_set_t set = CpuSetOf(cpus);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) return PinError(cpus, errno);
  return absl::OkStatus();
}

absl::Status PinThread(pthread_t thread, const std::vector<int>& cpus) {
  if (cpus.empty()) return absl::OkStatus();
  const cpu_set_t set = CpuSetOf(cpus);
  if (const int error = pthread_setaffinity_np(thread, sizeof(set), &set); error != 0) {
    return PinError(cpus, error);
  }
  return absl::OkStatus();
}

}  // namespace predictwire::os
