#include "loadgen/harness/memory_sampler.h"

#include <algorithm>
#include <chrono>

namespace predictwire::loadgen {

MemorySampler::MemorySampler(const os::ChildProcess& process) : process_(process) {
  thread_ = std::thread([this] {
    while (!stop_) {
      peak_mib_ = std::max(peak_mib_.load(), process_.ResidentMiB());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
}

MemorySampler::~MemorySampler() { Stop(); }

double MemorySampler::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return peak_mib_;
}

}  // namespace predictwire::loadgen
