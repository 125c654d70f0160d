#ifndef PREDICTWIRE_LOADGEN_HARNESS_DELAY_PROXY_H_
#define PREDICTWIRE_LOADGEN_HARNESS_DELAY_PROXY_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace predictwire::loadgen {

// A userspace TCP proxy on loopback that delays every byte by half a round-trip time in each
// direction, so loopback behaves like a network with that RTT (this machine has no netem).
// Connection set-up pays the delay too: the proxy connects upstream only when the client has
// connected, and the client's first bytes wait like any others. Runs its own thread.
class DelayProxy {
 public:
  struct Options {
    std::string upstream;  // HOST:PORT
    std::chrono::nanoseconds round_trip{std::chrono::milliseconds(20)};
    std::vector<int> cpus;  // where the proxy thread runs
  };

  static absl::StatusOr<std::unique_ptr<DelayProxy>> Start(const Options& options);
  ~DelayProxy();

  // "127.0.0.1:PORT" clients connect to.
  std::string address() const;

 private:
  struct Impl;
  explicit DelayProxy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_HARNESS_DELAY_PROXY_H_
