#include "loadgen/harness/placement.h"

#include <fmt/format.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <filesystem>
#include <mutex>
#include <string_view>
#include <thread>

#include "core/default_models.h"
#include "core/status.h"
#include "loadgen/browser/browser_runner.h"
#include "loadgen/client/http1_connection.h"
#include "loadgen/client/http_response_reader.h"
#include "loadgen/client/payload.h"
#include "loadgen/harness/cut_link.h"
#include "loadgen/harness/delay_proxy.h"
#include "loadgen/harness/fleet.h"
#include "os/cpu_affinity.h"
#include "os/host_port.h"
#include "transport/common/asio_types.h"
#include "transport/common/ready_line.h"
#include "transport/common/tcp_echo.h"
#include "transport/common/tls.h"

namespace predictwire::loadgen {
namespace {

namespace asio = transport::asio;

// The size of one REST keep-alive exchange with the default payload, measured on the server at
// `address` (HOST:PORT): the floor then moves exactly as many bytes.
absl::StatusOr<std::pair<size_t, size_t>> ExchangeSizes(const std::string& address,
                                                        const std::string& model) {
  absl::StatusOr<Target> target = ParseTarget("http://" + address);
  if (!target.ok()) return target.status();
  absl::StatusOr<RequestBody> body =
      RestJsonBody({.model = model, .features = kDefaultModelFeatures});
  if (!body.ok()) return body.status();
  std::string request;
  Http1RequestWriter(*target, *body, /*close=*/false).Append(1, &request);

  asio::io_context context;
  asio::ip::tcp::resolver resolver(context);
  asio::ip::tcp::socket socket(context);
  transport::ErrorCode error;
  const auto endpoints = resolver.resolve(target->host, std::to_string(target->port), error);
  if (!error) asio::connect(socket, endpoints, error);
  if (!error) asio::write(socket, asio::buffer(request), error);
  if (error) {
    return absl::UnavailableError(
        fmt::format("cannot reach the server at {}: {}", address, error.message()));
  }
  HttpResponseReader reader;
  std::string pending;
  size_t received = 0;
  char chunk[65536];
  while (!reader.is_done()) {
    const size_t n = socket.read_some(asio::buffer(chunk), error);
    if (error || n == 0) break;
    pending.append(chunk, n);
    received += n;
    while (!pending.empty() && !reader.is_done()) {
      boost::beast::error_code parse_error;
      const size_t consumed = reader.put(asio::buffer(pending), parse_error);
      pending.erase(0, consumed);
      if (parse_error == boost::beast::http::error::need_more) break;
      if (parse_error) return absl::UnavailableError("the sizing request's reply is not HTTP");
      if (consumed == 0) break;
    }
  }
  if (!reader.is_done() || reader.status() != 200) {
    return absl::UnavailableError("no 200 reply to the sizing request");
  }
  return std::make_pair(request.size(), received);
}

}  // namespace

absl::StatusOr<ServerAddresses> TargetAddresses(const std::string& target_url,
                                                const std::string& grpc_target) {
  absl::StatusOr<Target> target = ParseTarget(target_url);
  if (!target.ok()) return target.status();
  ServerAddresses addresses;
  addresses.by_key[target->port_key] = os::FormatHostPort(target->host, target->port);
  if (!grpc_target.empty()) addresses.by_key["grpc"] = grpc_target;
  return addresses;
}

Placement::Placement(Options options) : options_(std::move(options)) {}

Placement::~Placement() {
  fleet_.reset();
  browser_.reset();  // its connections close before the server drains
  server_.reset();   // stopped before its certificate goes
  if (!certificate_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(certificate_dir_, ignored);
  }
}

std::vector<int> Placement::ClientCpus() const {
  return {options_.name == "same" ? kServerCpu : kServerCpu + 1};
}

std::string Placement::Description() const {
  return options_.name == "same"
             ? fmt::format("server, floor echo server and load generator on CPU {}", kServerCpu)
             : fmt::format("server and floor echo server on CPU {}, load generator on CPU {}",
                           kServerCpu, ClientCpus().front());
}

absl::StatusOr<Placement::Started> Placement::Start() {
  if (absl::Status pinned = os::PinThisThread(ClientCpus()); !pinned.ok()) return pinned;
  Started started;
  if (options_.target.empty()) {
    // TLS wires: a throwaway certificate for this run, deleted afterwards.
    char certificate_dir[] = "/tmp/predictwire-compare-XXXXXX";
    if (mkdtemp(certificate_dir) == nullptr) {
      return absl::InternalError("cannot create a directory for the TLS certificate");
    }
    certificate_dir_ = certificate_dir;
    if (absl::Status written = transport::WriteSelfSignedCertificate(certificate_dir_ + "/cert.pem",
                                                                     certificate_dir_ + "/key.pem");
        !written.ok()) {
      return written;
    }
    absl::StatusOr<std::unique_ptr<os::ChildProcess>> server =
        StartServer("server-" + options_.name);
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    addresses_ = ParseReadyLine(server_->ready_line());
  } else {
    absl::StatusOr<ServerAddresses> addresses =
        TargetAddresses(options_.target, options_.grpc_target);
    if (!addresses.ok()) return addresses.status();
    addresses_ = *std::move(addresses);
  }
  const auto http = addresses_.by_key.find("http");
  auto sizes =
      http == addresses_.by_key.end()
          ? absl::StatusOr<std::pair<size_t, size_t>>(
                absl::FailedPreconditionError("the server has no plain HTTP port"))
          : ExchangeSizes(http->second, options_.target.empty() ? std::string(kDefaultModelName)
                                                                : options_.model);
  if (sizes.ok()) {
    floor_.request_bytes = sizes->first;
    floor_.reply_bytes = sizes->second;
  } else {
    started.notes.push_back(fmt::format(
        "[{}] could not size a REST exchange ({}); the floor uses {} and {} bytes", options_.name,
        MessageOf(sizes.status()), floor_.request_bytes, floor_.reply_bytes));
  }
  // The floor's echo runs beside the server, on its CPU, wherever the server is.
  absl::StatusOr<std::unique_ptr<transport::TcpEchoServer>> echo =
      transport::TcpEchoServer::Start("127.0.0.1", 0, {kServerCpu});
  if (!echo.ok()) return echo.status();
  echo_ = *std::move(echo);
  addresses_.by_key["tcp-echo"] = os::FormatHostPort("127.0.0.1", echo_->port());
  // The placement's floor, back to back, for the scenarios that measure none of their own:
  // through bench's own client, like every wire.
  for (const char* wire : {"tcp", "tcp-new"}) {
    const bool fresh = std::string_view(wire) == "tcp-new";
    BenchOptions bench;
    bench.wire = *ParseWire(wire);
    bench.requests = (options_.quick ? 3000 : 5000) / (fresh ? 10 : 1);
    bench.warmup = std::chrono::milliseconds(100);
    bench.progress = false;
    absl::StatusOr<BenchOptions> prepared = Prepare(bench, {});
    if (!prepared.ok()) return prepared.status();
    absl::StatusOr<BenchResult> result = RunBench(*prepared);
    if (!result.ok()) return result.status();
    const Histogram& latency = result->latency;
    (fresh ? floor_.new_connection_p50_us : floor_.persistent_p50_us) =
        latency.ValueAtPercentile(50) / 1000.0;
    (fresh ? floor_.new_connection_p99_us : floor_.persistent_p99_us) =
        latency.ValueAtPercentile(99) / 1000.0;
  }
  started.floor = floor_;
  return started;
}

BenchOptions Placement::WithFloorBytes(BenchOptions bench) const {
  if (bench.wire.wire->floor) {
    bench.echo_request_bytes = floor_.request_bytes;
    bench.echo_reply_bytes = floor_.reply_bytes;
  }
  return bench;
}

absl::StatusOr<std::unique_ptr<os::ChildProcess>> Placement::StartServer(
    const std::string& log_name) const {
  os::ChildProcess::Options server;
  server.argv = {options_.binary, "serve", "--http", "127.0.0.1:0", "--io-threads", "1", "--grpc",
                 "127.0.0.1:0", "--grpcs", "127.0.0.1:0", "--https", "127.0.0.1:0", "--tls-cert",
                 certificate_dir_ + "/cert.pem", "--tls-key", certificate_dir_ + "/key.pem",
                 // The browser's page sends to the server's other loopback name.
                 "--cors-origin", "*"};
  for (const std::string& model : options_.server_models) {
    server.argv.push_back("--model");
    server.argv.push_back(model);
  }
  server.cpus = {kServerCpu};
  server.stderr_path = std::filesystem::path(options_.log_dir) / (log_name + ".log");
  server.ready_prefix = std::string(transport::kReadyPrefix);
  return os::ChildProcess::Start(server);
}

absl::StatusOr<std::string> Placement::UrlFor(const WireSpec& wire, const Route& route) {
  switch (route.destination) {
    case Destination::kServer:
      return WireUrl(wire, addresses_);
    case Destination::kBrowser: {
      const auto http = addresses_.by_key.find("http");
      if (http == addresses_.by_key.end()) {
        return absl::FailedPreconditionError("the browser needs the server's plain HTTP port");
      }
      return fmt::format("http://{}/", http->second);
    }
    case Destination::kServerViaProxy: {
      const std::string key(wire.port_key());
      const auto upstream = addresses_.by_key.find(key);
      if (upstream == addresses_.by_key.end()) return WireUrl(wire, addresses_);
      std::unique_ptr<DelayProxy>& proxy = proxies_[{route.added_rtt.count(), key}];
      if (!proxy) {
        auto started = DelayProxy::Start(
            {.upstream = upstream->second, .round_trip = route.added_rtt, .cpus = {kServerCpu}});
        if (!started.ok()) return started.status();
        proxy = *std::move(started);
      }
      return WireUrl(wire, ServerAddresses{.by_key = {{key, proxy->address()}}});
    }
    case Destination::kFleet:
    case Destination::kFleetDirect: {
      if (absl::Status started = StartFleet(); !started.ok()) return started;
      return route.destination == Destination::kFleet ? fleet_->BalancerUrl(wire)
                                                      : fleet_->DirectUrl(wire);
    }
    case Destination::kPeerFlask:
    case Destination::kPeerWebSockets: {
      const bool flask = route.destination == Destination::kPeerFlask;
      std::unique_ptr<os::ChildProcess>& peer = peers_[{flask, route.peer_compute_ms}];
      if (!peer) {
        os::ChildProcess::Options start;
        start.argv = {options_.python,
                      options_.peers_dir + (flask ? "/flask_server.py" : "/websockets_server.py"),
                      "--port", "0"};
        start.environment = {fmt::format("PEER_COMPUTE_MS={}", route.peer_compute_ms)};
        start.cpus = {kServerCpu};
        start.stderr_path =
            std::filesystem::path(options_.log_dir) /
            fmt::format("peer-{}-{}.log", flask ? "flask" : "websockets", options_.name);
        start.ready_prefix = "peer: listening";
        auto started = os::ChildProcess::Start(start);
        if (!started.ok()) return started.status();
        peer = *std::move(started);
      }
      // The article's servers: Flask routes /predict like ours, websockets serves on "/".
      const auto words = transport::ParseReadyLine(peer->ready_line(), "peer: listening");
      const auto address = words.find(flask ? "http" : "ws");
      if (address == words.end()) {
        return absl::InternalError(
            fmt::format("the peer's ready line names no address: {}", peer->ready_line()));
      }
      return WireUrl(
          wire, ServerAddresses{.by_key = {{"http", address->second}}, .path = flask ? "" : "/"});
    }
  }
  return absl::InternalError("unknown destination");
}

absl::StatusOr<BenchOptions> Placement::Prepare(BenchOptions bench, const Route& route) {
  absl::StatusOr<std::string> url = UrlFor(bench.wire, route);
  if (!url.ok()) return url.status();
  bench.target_url = *url;
  if (bench.model.empty()) bench.model = options_.model;
  return WithFloorBytes(std::move(bench));
}

absl::StatusOr<BenchResult> Placement::RunInBrowser(const BenchOptions& bench) {
  if (!browser_) {
    const auto http = addresses_.by_key.find("http");
    if (http == addresses_.by_key.end()) {
      return absl::FailedPreconditionError("the browser needs the server's plain HTTP port");
    }
    absl::StatusOr<std::unique_ptr<BrowserRunner>> started =
        BrowserRunner::Start({.server_address = http->second,
                              .cpus = ClientCpus(),
                              .log_path = (std::filesystem::path(options_.log_dir) /
                                           ("chromium-" + options_.name + ".log"))
                                              .string()});
    if (!started.ok()) return started.status();
    browser_ = *std::move(started);
  }
  return browser_->Run(bench);
}

absl::StatusOr<std::pair<std::unique_ptr<os::ChildProcess>, std::string>>
Placement::StartFreshServer(const WireSpec& wire, const std::string& log_name) const {
  absl::StatusOr<std::unique_ptr<os::ChildProcess>> started = StartServer(log_name);
  if (!started.ok()) return started.status();
  absl::StatusOr<std::string> url = WireUrl(wire, ParseReadyLine((*started)->ready_line()));
  if (!url.ok()) return url.status();
  return std::make_pair(*std::move(started), *std::move(url));
}

}  // namespace predictwire::loadgen

namespace predictwire::loadgen {

std::string_view FleetEventName(FleetEvent event) {
  switch (event) {
    case FleetEvent::kNone:
      return "";
    case FleetEvent::kKill:
      return "kill -9";
    case FleetEvent::kDrain:
      return "drain";
    case FleetEvent::kRollingRestart:
      return "rolling restart";
    case FleetEvent::kScaleUp:
      return "scale-up";
    case FleetEvent::kNetworkCut:
      return "network cut";
  }
  return "";
}

namespace {

// The fleet compare runs: its own server binary's backends and the balancer, on the server CPU.
FleetOptions FleetOptionsFor(const Placement::Options& options) {
  return {.binary = options.binary,
          .balancer = options.balancer,
          .deploy_dir = options.deploy_dir,
          .log_dir = options.log_dir,
          .server_models = options.server_models,
          .cpus = {kServerCpu}};
}

}  // namespace

absl::Status Placement::StartFleet() {
  if (fleet_) return absl::OkStatus();
  if (!owns_server()) {
    return absl::FailedPreconditionError("the fleet needs compare's own server binary");
  }
  absl::StatusOr<std::unique_ptr<Fleet>> started =
      Fleet::Start(FleetOptionsFor(options_), options_.backends);
  if (!started.ok()) return started.status();
  fleet_ = *std::move(started);
  return absl::OkStatus();
}

std::string Placement::FleetDescription() const {
  return fleet_ ? fmt::format("{}; load generator on CPU {}", fleet_->Description(),
                              ClientCpus().front())
                : "";
}

namespace {

// Runs `bench` on `fleet` (brought to the route's backends first) with the route's event.
absl::StatusOr<std::pair<BenchResult, FleetObservation>> RunWithEvent(Fleet& fleet,
                                                                      BenchOptions bench,
                                                                      const Route& route,
                                                                      int backends) {
  using Clock = std::chrono::steady_clock;
  using std::chrono::milliseconds;
  if (absl::Status restored = fleet.Restore(backends, route.max_connection_age); !restored.ok()) {
    return restored;
  }
  // A set of backends started afresh has new addresses: the URL is made again.
  absl::StatusOr<std::string> url = route.destination == Destination::kFleet
                                        ? fleet.BalancerUrl(bench.wire)
                                        : fleet.DirectUrl(bench.wire);
  if (!url.ok()) return url.status();
  bench.target_url = *url;

  FleetObservation seen;
  const std::vector<double> before = fleet.RequestsServed();
  std::atomic<bool> running{true};
  Clock::time_point began{}, ended{}, shared{};
  std::string error;
  std::thread event;
  if (route.event != FleetEvent::kNone) {
    // RunBench starts its load 20 ms after it is called; the event's true time is measured.
    const Clock::time_point due = Clock::now() + milliseconds(20) + bench.warmup + route.event_at;
    event = std::thread([&, due] {
      std::this_thread::sleep_until(due);
      began = Clock::now();
      absl::Status done;
      switch (route.event) {
        case FleetEvent::kKill:
          done = fleet.Kill(0);
          break;
        case FleetEvent::kNetworkCut:
          done = fleet.Cut();
          break;
        case FleetEvent::kDrain:
          done = fleet.Drain(0);
          if (done.ok()) fleet.WaitExited(0, milliseconds(30000));
          break;
        case FleetEvent::kRollingRestart:
          done = fleet.RollingRestart();
          break;
        case FleetEvent::kScaleUp: {
          done = fleet.AddBackend();
          ended = Clock::now();  // the new backend is up and the balancer reloaded
          if (!done.ok()) break;
          // How soon the new backend carries its share: its part of what the fleet answered in
          // each 100 ms, polled until the load ends.
          const size_t newest = fleet.size() - 1;
          std::vector<double> last = fleet.RequestsServed();
          int in_a_row = 0;
          Clock::time_point first_good{};
          while (running.load()) {
            std::this_thread::sleep_for(milliseconds(100));
            const std::vector<double> now = fleet.RequestsServed();
            double total = 0, mine = 0;
            for (size_t i = 0; i < now.size() && i < last.size(); ++i) {
              if (now[i] < 0 || last[i] < 0) continue;
              total += now[i] - last[i];
              if (i == newest) mine = now[i] - last[i];
            }
            last = now;
            const bool fair = total > 0 && mine / total >= 0.7 / static_cast<double>(now.size());
            if (!fair) {
              in_a_row = 0;
              continue;
            }
            if (in_a_row++ == 0) first_good = Clock::now() - milliseconds(100);
            if (in_a_row == 2) {
              shared = first_good;
              break;
            }
          }
          break;
        }
        case FleetEvent::kNone:
          break;
      }
      if (ended == Clock::time_point{}) ended = Clock::now();
      if (!done.ok()) error = std::string(done.message());
    });
  }
  absl::StatusOr<BenchResult> result = RunBench(bench);
  running = false;
  if (event.joinable()) event.join();
  if (!result.ok()) return result.status();
  const std::vector<double> after = fleet.RequestsServed();
  for (size_t i = 0; i < after.size(); ++i) {
    const double from = i < before.size() ? before[i] : 0;
    // -1: gone, or started again during the run (its count began anew).
    seen.backend_requests.push_back(after[i] < 0 || from < 0 || after[i] < from ? -1
                                                                                : after[i] - from);
  }
  const auto since_start = [&](Clock::time_point at) {
    return std::chrono::duration<double, std::milli>(at - result->measure_start).count();
  };
  if (route.event != FleetEvent::kNone) {
    seen.event = FleetEventName(route.event);
    seen.event_at_ms = since_start(began);
    seen.event_end_ms = since_start(ended);
    if (shared != Clock::time_point{}) {
      seen.share_after_ms = std::chrono::duration<double, std::milli>(shared - began).count();
    }
    seen.error = error;
  }
  return std::make_pair(*std::move(result), std::move(seen));
}

}  // namespace

absl::StatusOr<std::pair<BenchResult, FleetObservation>> Placement::RunOnFleet(BenchOptions bench,
                                                                               const Route& route) {
  const int backends = route.fleet_backends > 0 ? route.fleet_backends : options_.backends;
  if (route.event != FleetEvent::kNetworkCut) {
    if (absl::Status started = StartFleet(); !started.ok()) return started;
    return RunWithEvent(*fleet_, std::move(bench), route, backends);
  }
  // The network cut: a fleet of its own in namespaces of its own, the first backend behind a
  // link that is taken down; this run's thread (and so the load's) enters the fleet's
  // namespace, the placement's thread stays where it is.
  absl::StatusOr<std::pair<BenchResult, FleetObservation>> measured =
      absl::InternalError("not run");
  std::thread run([&] {
    absl::StatusOr<std::unique_ptr<CutLink>> link = CutLink::Create();
    if (!link.ok()) {
      measured = link.status();
      return;
    }
    if (absl::Status entered = (*link)->EnterFleetNamespace(); !entered.ok()) {
      measured = entered;
      return;
    }
    const CutLink& cut = **link;
    FleetOptions fleet_options = FleetOptionsFor(options_);
    fleet_options.cut_namespace = cut.cut_namespace();
    fleet_options.cut_host = std::string(kCutHost);
    fleet_options.cut = [&cut] { return cut.Cut(); };
    absl::StatusOr<std::unique_ptr<Fleet>> fleet = Fleet::Start(std::move(fleet_options), backends);
    if (!fleet.ok()) {
      measured = fleet.status();
      return;
    }
    measured = RunWithEvent(**fleet, std::move(bench), route, backends);
    fleet->reset();  // every process stopped before the namespaces go
  });
  run.join();
  return measured;
}

}  // namespace predictwire::loadgen
