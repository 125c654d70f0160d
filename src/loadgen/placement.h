#ifndef PREDICTWIRE_LOADGEN_PLACEMENT_H_
#define PREDICTWIRE_LOADGEN_PLACEMENT_H_

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "loadgen/bench.h"
#include "loadgen/child_process.h"
#include "loadgen/compare.h"
#include "loadgen/report.h"
#include "loadgen/scenarios.h"
#include "loadgen/wire.h"

namespace predictwire::transport {
class TcpEchoServer;
}  // namespace predictwire::transport

namespace predictwire::loadgen {

class BrowserRunner;
class DelayProxy;

// The CPU compare pins its server (and the floor's echo) to; the load generator runs on the
// next one in the split placement, on this one in the same placement.
inline constexpr int kServerCpu = 0;

// Everything running for one placement of a compare run: compare's own server (or --target's
// addresses), the floor's echo on the server CPU and the placement's floor, and the delay
// proxies, the article's peers and the browser, started the first time a run needs them. Used on
// the thread that runs the placement's scenarios.
class Placement {
 public:
  Placement(const CompareOptions& options, std::string name, Report& report);
  ~Placement();
  // Pins this thread to the placement's client CPU, starts compare's server (or reads
  // --target's addresses), sizes a REST exchange, starts the floor's echo and measures the
  // placement's floor (report.floors).
  absl::Status Start();
  // Whether compare started the server (and so can start fresh ones).
  bool owns_server() const { return server_ != nullptr; }
  // The bench options of one round of `run`: its URL, the floor's byte counts, TLS trust for
  // compare's certificate, and its share of the run's duration or requests (later rounds warm
  // up briefly: their connections only need opening again).
  absl::StatusOr<BenchOptions> RoundOptions(const PlannedRun& run, int round, int rounds);
  // A fresh `predictwire serve` for one run, and the URL the run sends to on it.
  absl::StatusOr<std::pair<std::unique_ptr<ChildProcess>, std::string>> StartFreshServer(
      const PlannedRun& run, const std::string& log_name) const;
  // compare's own server; null with --target.
  ChildProcess* server() { return server_.get(); }
  // Runs one round of a browser run (RunTarget::kBrowser) in headless Chromium, started the
  // first time and pinned to the placement's client CPU.
  absl::StatusOr<BenchResult> RunInBrowser(const BenchOptions& bench);

 private:
  // `bench` as this placement runs it: its URL unless it has one, the floor's byte counts for
  // the tcp wires.
  BenchOptions ForPlacement(BenchOptions bench) const;
  // A `predictwire serve` of compare's own, pinned to the server CPU, logging to LOG_NAME.log.
  absl::StatusOr<std::unique_ptr<ChildProcess>> StartServer(const std::string& log_name) const;
  // The CPUs the load generator (and the browser) run on.
  std::vector<int> ClientCpus() const;
  // The URL a planned run goes to, starting proxies and peers the first time they are needed.
  absl::StatusOr<std::string> UrlFor(const PlannedRun& run);

  const CompareOptions& options_;
  const std::string name_;
  Report& report_;
  std::unique_ptr<ChildProcess> server_;
  std::unique_ptr<transport::TcpEchoServer> echo_;  // the tcp wires' echo, on the server CPU
  Floor floor_ = {.request_bytes = 640, .reply_bytes = 200};  // sizes until measured
  ServerAddresses addresses_;    // compare's server's, or --target's (and --grpc-target's)
  std::string certificate_dir_;  // the throwaway certificate for a server compare started
  std::map<std::pair<double, std::string>, std::unique_ptr<DelayProxy>> proxies_;  // RTT, port
  std::map<std::pair<bool, int>, std::unique_ptr<ChildProcess>> peers_;
  std::unique_ptr<BrowserRunner> browser_;
};

// With --target: the server's addresses as the options give them (its HTTP or HTTPS port, and
// --grpc-target as its gRPC one).
absl::StatusOr<ServerAddresses> TargetAddresses(const CompareOptions& options);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_PLACEMENT_H_
