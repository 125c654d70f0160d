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
};

struct Route {
  Destination destination = Destination::kServer;
  std::chrono::nanoseconds added_rtt{0};  // kServerViaProxy
  int peer_compute_ms = 0;                // the peers' simulated model
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

  // "server and floor echo server on CPU 0, load generator on CPU 1".
  std::string Description() const;

 private:
  absl::StatusOr<std::unique_ptr<os::ChildProcess>> StartServer(const std::string& log_name) const;
  std::vector<int> ClientCpus() const;
  absl::StatusOr<std::string> UrlFor(const WireSpec& wire, const Route& route);
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
};

// A target server's addresses as the options give them: its HTTP or HTTPS port, and
// grpc_target as its gRPC one.
absl::StatusOr<ServerAddresses> TargetAddresses(const std::string& target,
                                                const std::string& grpc_target);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_HARNESS_PLACEMENT_H_
