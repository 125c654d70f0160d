#ifndef PREDICTWIRE_LOADGEN_HARNESS_FLEET_H_
#define PREDICTWIRE_LOADGEN_HARNESS_FLEET_H_

// A fleet on loopback for the scale-out scenario: N `predictwire serve` backends behind HAProxy
// or nginx, the balancer's configuration rendered from deploy/'s template (balancer_config.h),
// as tests/e2e/support/fleet.py starts one for the fleet tests. Everything it starts it stops,
// by PID; the balancer's configuration and run files live in a directory of its own, removed at
// the end.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/client/wire.h"
#include "os/child_process.h"

namespace predictwire::loadgen {

struct FleetOptions {
  std::string binary;                      // predictwire, to start the backends
  std::string balancer = "haproxy";        // or nginx
  std::string balancer_binary;             // its path (BalancerBinary)
  std::string deploy_dir;                  // the checkout's deploy/
  std::string log_dir = ".";               // backend-*.log, balancer-*.log
  std::vector<std::string> server_models;  // --model flags of each backend
  std::vector<int> cpus;                   // backends and balancer
  // HAProxy's readiness check period (a backend is out after 2 failed checks, back after 2
  // good ones), and the backends' --drain-delay, which must exceed 2 checks.
  std::chrono::milliseconds check_interval{200};
  std::chrono::milliseconds drain_delay{600};
  // The network cut: the first backend runs in this network namespace (`ip netns exec`) at
  // CUT_HOST:8000, and `cut` takes its link down (cut_link.h); empty: every backend on loopback.
  std::string cut_namespace;
  std::string cut_host;
  std::function<absl::Status()> cut;
};

// The path of the balancer `name` (haproxy, nginx) where Debian installs it; empty when it is
// not installed.
std::string BalancerBinary(const std::string& name);

class Fleet {
 public:
  // Starts `backends` backends and the balancer in front of them, and waits until the balancer
  // accepts and (HAProxy) its checks see every backend up.
  static absl::StatusOr<std::unique_ptr<Fleet>> Start(FleetOptions options, int backends);
  ~Fleet();  // stops the balancer and every backend
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // Where `wire` sends through the balancer, and straight to the first backend (the same port
  // the balancer sends to: a backend's --http port answers every plain wire).
  absl::StatusOr<std::string> BalancerUrl(const WireSpec& wire) const;
  absl::StatusOr<std::string> DirectUrl(const WireSpec& wire) const;

  size_t size() const { return backends_.size(); }
  // Inference requests each backend has answered (predictwire_requests_total, every protocol
  // and outcome), from its /metrics; -1 for one that does not answer.
  std::vector<double> RequestsServed() const;

  // The events. Kill: SIGKILL. Drain: SIGTERM (the backend turns not-ready, serves on for its
  // --drain-delay, then lets every connection go and exits); returns at once. With nginx, which
  // checks no readiness, the balancer is re-rendered without it and reloaded, as
  // `deploy/render.py watch` does. RollingRestart: each backend in turn drained, started again
  // on its port, and waited for until it is routed; returns when all are.
  absl::Status Kill(size_t backend);
  // The first backend's network cut (FleetOptions::cut).
  absl::Status Cut();
  absl::Status Drain(size_t backend);
  absl::Status RollingRestart();
  // Waits up to `timeout` for backend `backend` to have exited (after Kill or Drain).
  bool WaitExited(size_t backend, std::chrono::milliseconds timeout);
  // Starts one more backend, renders the balancer's configuration with it and reloads.
  absl::Status AddBackend();

  // Back to `backends` backends, all ready and routed, started with `max_connection_age`
  // (empty: none): those gone started again on their ports; a different count or age starts a
  // new set.
  absl::Status Restore(int backends, const std::string& max_connection_age = "");

  // "3 backends behind HAProxy (/usr/sbin/haproxy), all on CPU 0".
  std::string Description() const;

 private:
  struct Backend {
    std::string address;  // 127.0.0.1:PORT, kept across restarts
    bool in_cut_namespace = false;
    std::unique_ptr<os::ChildProcess> process;
  };

  explicit Fleet(FleetOptions options) : options_(std::move(options)) {}
  absl::Status StartBackend(Backend& backend);
  absl::Status StartBalancer();
  absl::Status Render(const std::vector<std::string>& addresses);
  absl::Status Reload();
  bool Accepting() const;
  // HAProxy: whether its checks see every backend in `names` up (nginx: true).
  bool Routed(const std::vector<std::string>& names) const;
  absl::Status WaitRouted(std::chrono::milliseconds timeout);
  std::vector<std::string> Addresses() const;
  void StopBalancer();

  const FleetOptions options_;
  std::string run_dir_;
  std::string config_path_;
  std::string listen_;      // HTTP/1.1 (and h2c/gRPC with HAProxy)
  std::string listen_h2c_;  // nginx's h2c and gRPC port
  std::vector<Backend> backends_;
  std::unique_ptr<os::ChildProcess> balancer_;
  std::string max_connection_age_;
  int next_log_ = 0;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_HARNESS_FLEET_H_
