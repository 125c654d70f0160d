#ifndef PREDICTWIRE_LOADGEN_HARNESS_PLACEMENT_H_
#define PREDICTWIRE_LOADGEN_HARNESS_PLACEMENT_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/client/wire.h"
#include "loadgen/driver/bench.h"
#include "os/child_process.h"

namespace predictwire::transport {
class TcpEchoServer;
}  // namespace predictwire::transport

namespace predictwire::loadgen {

class BrowserRunner;
class DelayProxy;
class Fleet;

// The CPU the instrument pins its server (and the floor's echo) to; the load generator runs on
// the next one in the split placement, on this one in the same placement.
inline constexpr int kServerCpu = 0;

// The raw TCP floor measured in the same run and placement: a ping-pong with the same request
// and reply sizes as a REST keep-alive exchange, on one persistent connection and with a new
// connection per exchange.
struct Floor {
  double persistent_p50_us = 0;
  double persistent_p99_us = 0;
  double new_connection_p50_us = 0;
  double new_connection_p99_us = 0;
  size_t request_bytes = 0;
  size_t reply_bytes = 0;
};

// Where a run's requests go, within one placement.
enum class Destination {
  kServer,          // the placement's server (one the instrument started, or --target's)
  kServerViaProxy,  // the same, through a delay proxy adding Route::added_rtt
  kPeerFlask,       // the article's Flask server (peers/)
  kPeerWebSockets,  // the article's websockets server
  kBrowser,         // headless Chromium on the server's page (RunInBrowser); a browser wire
  kFleet,           // the placement's fleet (fleet.h), through its balancer (RunOnFleet)
  kFleetDirect,     // the same fleet's first backend, straight (RunOnFleet)
};

// What happens to the fleet during a run on it (RunOnFleet).
enum class FleetEvent {
  kNone,
  kKill,            // kill -9 of one backend
  kDrain,           // SIGTERM of one backend, which drains for its --drain-delay
  kRollingRestart,  // every backend drained and started again, in turn
  kScaleUp,         // one more backend started, the balancer re-rendered and reloaded
  // One backend's link taken down (it runs in a network namespace of its own, cut_link.h): no
  // reset reaches the balancer or the backend.
  kNetworkCut,
};

struct Route {
  Destination destination = Destination::kServer;
  std::chrono::nanoseconds added_rtt{0};  // kServerViaProxy
  int peer_compute_ms = 0;                // the peers' simulated model
  // kFleet, kFleetDirect: the backends running as the run starts (0: the fleet's default),
  // their --max-connection-age (empty: none), and the event at `event_at` after the measured
  // window opens.
  int fleet_backends = 0;
  std::string max_connection_age;
  FleetEvent event = FleetEvent::kNone;
  std::chrono::nanoseconds event_at{0};
};

// "kill -9", "drain", "rolling restart", "scale-up"; "" for none.
std::string_view FleetEventName(FleetEvent event);

// What a run on the fleet saw besides its load's result.
struct FleetObservation {
  std::string event;  // FleetEventName of the run's event; empty: none
  // Inference requests each backend answered during the run (rounds added up), in the order
  // of the backends; -1 for a backend that could not tell (it was killed).
  std::vector<double> backend_requests;
  // The event, from the measured window's start, ms (-1: none): when it began and when the
  // fleet was whole again (the rolling restart's last backend routed, a drained backend gone).
  double event_at_ms = -1;
  double event_end_ms = -1;
  // Scale-up: from the new backend's start to the first of two 100 ms polls in a row in which
  // it answered at least 70% of its fair share (1/N of the requests); -1: not in the run.
  double share_after_ms = -1;
  std::string error;  // the event could not be carried out: why
};

// Everything running for one CPU placement of a measurement: the server (started here, or an
// already running --target), the floor's echo on the server CPU and the placement's floor, and
// the delay proxies, the article's peers and the browser, started the first time a run needs
// them. Used on the thread that runs the placement's loads.
class Placement {
 public:
  struct Options {
    std::string name = "split";  // "same": the load generator shares the server's CPU
    bool quick = false;          // a shorter floor measurement
    std::string log_dir = ".";   // server, peer and browser logs
    // The server to start: this predictwire binary with these --model flags...
    std::string binary;
    std::vector<std::string> server_models;
    // ... or an already running one: its URL (http://HOST:PORT or https://), its gRPC
    // HOST:PORT, and the model runs ask when they name none.
    std::string target;
    std::string grpc_target;
    std::string model;
    // The article's servers, started when a run goes to one.
    std::string peers_dir;
    std::string python = "/usr/bin/python3";
    // The scale-out scenario's fleet, started the first time a run goes to it.
    std::string balancer = "haproxy";
    int backends = 3;
    std::string deploy_dir;
  };

  // What Start measured, and what the reader must know of it.
  struct Started {
    Floor floor;
    std::vector<std::string> notes;
  };

  explicit Placement(Options options);
  ~Placement();
  Placement(const Placement&) = delete;
  Placement& operator=(const Placement&) = delete;

  // Pins this thread to the placement's client CPU, starts the server (or reads --target's
  // addresses), sizes a REST exchange, starts the floor's echo and measures the floor.
  absl::StatusOr<Started> Start();

  // Whether the server is the placement's own (and so fresh ones can be started).
  bool owns_server() const { return server_ != nullptr; }
  // The placement's own server; null with a target.
  os::ChildProcess* server() { return server_.get(); }

  // `bench` as this placement runs it on `route`: its URL (starting proxies and peers the first
  // time), the model when it names none, and the floor's byte counts for the tcp wires.
  absl::StatusOr<BenchOptions> Prepare(BenchOptions bench, const Route& route);
  // A fresh server of the placement's own, logging to LOG_NAME.log, and the URL `wire` sends to
  // on it.
  absl::StatusOr<std::pair<std::unique_ptr<os::ChildProcess>, std::string>> StartFreshServer(
      const WireSpec& wire, const std::string& log_name) const;
  // Runs `bench` (a browser wire, prepared for Destination::kBrowser) in headless Chromium,
  // started the first time and pinned to the placement's client CPU.
  absl::StatusOr<BenchResult> RunInBrowser(const BenchOptions& bench);

  // Runs `bench` (prepared for Destination::kFleet or kFleetDirect) on the fleet, first brought
  // to the route's backends, with the route's event carried out as the load runs.
  absl::StatusOr<std::pair<BenchResult, FleetObservation>> RunOnFleet(BenchOptions bench,
                                                                      const Route& route);
  // "3 backends behind HAProxy ..."; empty before a run went to the fleet.
  std::string FleetDescription() const;

  // "server and floor echo server on CPU 0, load generator on CPU 1".
  std::string Description() const;

 private:
  absl::StatusOr<std::unique_ptr<os::ChildProcess>> StartServer(const std::string& log_name) const;
  std::vector<int> ClientCpus() const;
  absl::StatusOr<std::string> UrlFor(const WireSpec& wire, const Route& route);
  absl::Status StartFleet();
  BenchOptions WithFloorBytes(BenchOptions bench) const;

  const Options options_;
  std::unique_ptr<os::ChildProcess> server_;
  std::unique_ptr<transport::TcpEchoServer> echo_;  // the tcp wires' echo, on the server CPU
  Floor floor_ = {.request_bytes = 640, .reply_bytes = 200};  // sizes until measured
  ServerAddresses addresses_;    // the placement's server's, or the target's
  std::string certificate_dir_;  // the throwaway certificate of a server started here
  std::map<std::pair<int64_t, std::string>, std::unique_ptr<DelayProxy>> proxies_;  // RTT, port
  std::map<std::pair<bool, int>, std::unique_ptr<os::ChildProcess>> peers_;
  std::unique_ptr<BrowserRunner> browser_;
  std::unique_ptr<Fleet> fleet_;
};

// A target server's addresses as the options give them: its HTTP or HTTPS port, and
// grpc_target as its gRPC one.
absl::StatusOr<ServerAddresses> TargetAddresses(const std::string& target,
                                                const std::string& grpc_target);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_HARNESS_PLACEMENT_H_
