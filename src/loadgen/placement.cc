#include "loadgen/placement.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/http/error.hpp>
#include <cstdio>
#include <filesystem>
#include <string_view>

#include "core/status.h"
#include "loadgen/browser_runner.h"
#include "loadgen/delay_proxy.h"
#include "loadgen/http1_connection.h"
#include "loadgen/http_response_reader.h"
#include "loadgen/payload.h"
#include "transport/common/tcp_echo.h"
#include "transport/common/tls.h"

namespace predictwire::loadgen {
namespace {

// The size of one REST keep-alive exchange with the default payload, measured on the server:
// the floor then moves exactly as many bytes.
absl::StatusOr<std::pair<size_t, size_t>> ExchangeSizes(const std::string& address,
                                                        const std::string& model) {
  absl::StatusOr<Target> target = ParseTarget("http://" + address);
  if (!target.ok()) return target.status();
  absl::StatusOr<RequestBody> body = RestJsonBody({.model = model, .features = 30});
  if (!body.ok()) return body.status();
  std::string request;
  Http1RequestWriter(*target, *body, /*close=*/false).Append(1, &request);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in socket_address{};
  socket_address.sin_family = AF_INET;
  socket_address.sin_port = htons(target->port);
  inet_pton(AF_INET, target->host.c_str(), &socket_address.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&socket_address), sizeof(socket_address)) != 0 ||
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::UnavailableError(fmt::format("cannot reach the server at {}", address));
  }
  HttpResponseReader reader;
  std::string pending;
  size_t received = 0;
  char chunk[65536];
  bool failed = false;
  while (!reader.is_done() && !failed) {
    const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) break;
    pending.append(chunk, static_cast<size_t>(n));
    received += static_cast<size_t>(n);
    while (!pending.empty() && !reader.is_done()) {
      boost::beast::error_code error;
      const size_t consumed = reader.put(boost::asio::buffer(pending), error);
      pending.erase(0, consumed);
      if (error == boost::beast::http::error::need_more) break;
      if (error) failed = true;
      if (error || consumed == 0) break;
    }
  }
  close(fd);
  if (!reader.is_done() || reader.status() != 200) {
    return absl::UnavailableError("no 200 reply to the sizing request");
  }
  return std::make_pair(request.size(), received);
}

}  // namespace

absl::StatusOr<ServerAddresses> TargetAddresses(const CompareOptions& options) {
  absl::StatusOr<Target> target = ParseTarget(options.target);
  if (!target.ok()) return target.status();
  const bool v6 = target->host.find(':') != std::string::npos;
  ServerAddresses addresses;
  addresses.by_key[target->port_key] =
      fmt::format("{}{}{}:{}", v6 ? "[" : "", target->host, v6 ? "]" : "", target->port);
  if (!options.grpc_target.empty()) addresses.by_key["grpc"] = options.grpc_target;
  return addresses;
}

Placement::Placement(const CompareOptions& options, std::string name, Report& report)
    : options_(options), name_(std::move(name)), report_(report) {}

Placement::~Placement() {
  browser_.reset();  // its connections close before the server drains
  server_.reset();   // stopped before its certificate goes
  if (!certificate_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(certificate_dir_, ignored);
  }
}

std::vector<int> Placement::ClientCpus() const {
  return {name_ == "same" ? kServerCpu : kServerCpu + 1};
}

absl::Status Placement::Start() {
  if (absl::Status pinned = PinThisThread(ClientCpus()); !pinned.ok()) return pinned;
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
    absl::StatusOr<std::unique_ptr<ChildProcess>> started = StartServer("server-" + name_);
    if (!started.ok()) return started.status();
    server_ = *std::move(started);
    addresses_ = ParseReadyLine(server_->ready_line());
  } else {
    absl::StatusOr<ServerAddresses> addresses = TargetAddresses(options_);
    if (!addresses.ok()) return addresses.status();
    addresses_ = *std::move(addresses);
  }
  const auto http = addresses_.by_key.find("http");
  auto sizes =
      http == addresses_.by_key.end()
          ? absl::StatusOr<std::pair<size_t, size_t>>(
                absl::FailedPreconditionError("the server has no plain HTTP port"))
          : ExchangeSizes(http->second, options_.target.empty() ? "breast_cancer" : options_.model);
  if (sizes.ok()) {
    floor_.request_bytes = sizes->first;
    floor_.reply_bytes = sizes->second;
  } else {
    report_.notes.push_back(
        fmt::format("[{}] could not size a REST exchange ({}); the floor uses {} and {} bytes",
                    name_, MessageOf(sizes.status()), floor_.request_bytes, floor_.reply_bytes));
  }
  // The floor's echo runs beside the server, on its CPU, wherever the server is.
  absl::StatusOr<std::unique_ptr<transport::TcpEchoServer>> echo =
      transport::TcpEchoServer::Start("127.0.0.1", 0, {kServerCpu});
  if (!echo.ok()) return echo.status();
  echo_ = *std::move(echo);
  addresses_.by_key["tcp-echo"] = fmt::format("127.0.0.1:{}", echo_->port());
  // The placement's floor, back to back, for the scenarios that measure none of their own:
  // through bench's own client, like every wire.
  for (const char* wire : {"tcp", "tcp-new"}) {
    const bool fresh = std::string_view(wire) == "tcp-new";
    BenchOptions bench;
    bench.wire = *ParseWire(wire);
    bench.requests = (options_.quick ? 3000 : 5000) / (fresh ? 10 : 1);
    bench.warmup = std::chrono::milliseconds(100);
    bench.progress = false;
    absl::StatusOr<BenchResult> result = RunBench(ForPlacement(bench));
    if (!result.ok()) return result.status();
    const Histogram& latency = result->latency;
    (fresh ? floor_.new_connection_p50_us : floor_.persistent_p50_us) =
        latency.ValueAtPercentile(50) / 1000.0;
    (fresh ? floor_.new_connection_p99_us : floor_.persistent_p99_us) =
        latency.ValueAtPercentile(99) / 1000.0;
  }
  report_.floors[name_] = floor_;
  std::fprintf(stderr,
               "[%s] TCP floor (%zu B → %zu B): persistent p50 %.1f µs, new connection p50 "
               "%.1f µs\n",
               name_.c_str(), floor_.request_bytes, floor_.reply_bytes, floor_.persistent_p50_us,
               floor_.new_connection_p50_us);
  return absl::OkStatus();
}

BenchOptions Placement::ForPlacement(BenchOptions bench) const {
  if (bench.target_url.empty()) {
    if (absl::StatusOr<std::string> url = WireUrl(bench.wire, addresses_); url.ok()) {
      bench.target_url = *url;
    }
  }
  if (bench.wire.wire->floor) {
    bench.echo_request_bytes = floor_.request_bytes;
    bench.echo_reply_bytes = floor_.reply_bytes;
  }
  return bench;
}

absl::StatusOr<std::unique_ptr<ChildProcess>> Placement::StartServer(
    const std::string& log_name) const {
  ChildProcess::Options server;
  server.argv = {options_.binary, "serve", "--http", "127.0.0.1:0", "--io-threads", "1", "--grpc",
                 "127.0.0.1:0", "--grpcs", "127.0.0.1:0", "--https", "127.0.0.1:0", "--tls-cert",
                 certificate_dir_ + "/cert.pem", "--tls-key", certificate_dir_ + "/key.pem",
                 // The browser scenario's page sends to the server's other loopback name.
                 "--cors-origin", "*"};
  for (const std::string& model : ServerModels(options_.models_dir)) {
    server.argv.push_back("--model");
    server.argv.push_back(model);
  }
  server.cpus = {kServerCpu};
  server.stderr_path = std::filesystem::path(options_.out_dir) / (log_name + ".log");
  server.ready_prefix = "predictwire: listening";
  return ChildProcess::Start(server);
}

absl::StatusOr<std::string> Placement::UrlFor(const PlannedRun& run) {
  switch (run.target) {
    case RunTarget::kServer:
      return WireUrl(run.bench.wire, addresses_);
    case RunTarget::kBrowser: {
      const auto http = addresses_.by_key.find("http");
      if (http == addresses_.by_key.end()) {
        return absl::FailedPreconditionError("the browser needs the server's plain HTTP port");
      }
      return fmt::format("http://{}/", http->second);
    }
    case RunTarget::kServerViaProxy: {
      const std::string key(run.bench.wire.port_key());
      const auto upstream = addresses_.by_key.find(key);
      if (upstream == addresses_.by_key.end()) return WireUrl(run.bench.wire, addresses_);
      std::unique_ptr<DelayProxy>& proxy = proxies_[{run.sweep_value, key}];
      if (!proxy) {
        auto started = DelayProxy::Start(
            {.upstream = upstream->second,
             .round_trip = std::chrono::microseconds(static_cast<int64_t>(run.sweep_value * 1000)),
             .cpus = {kServerCpu}});
        if (!started.ok()) return started.status();
        proxy = *std::move(started);
      }
      return WireUrl(run.bench.wire, ServerAddresses{.by_key = {{key, proxy->address()}}});
    }
    case RunTarget::kPeerFlask:
    case RunTarget::kPeerWebSockets: {
      const bool flask = run.target == RunTarget::kPeerFlask;
      std::unique_ptr<ChildProcess>& peer = peers_[{flask, run.peer_compute_ms}];
      if (!peer) {
        ChildProcess::Options start;
        start.argv = {options_.python,
                      options_.peers_dir + (flask ? "/flask_server.py" : "/websockets_server.py"),
                      "--port", "0"};
        start.environment = {fmt::format("PEER_COMPUTE_MS={}", run.peer_compute_ms)};
        start.cpus = {kServerCpu};
        start.stderr_path =
            std::filesystem::path(options_.out_dir) / fmt::format("{}-{}.log", run.wire, name_);
        start.ready_prefix = "peer: listening";
        start.address_key = flask ? "http=" : "ws=";
        auto started = ChildProcess::Start(start);
        if (!started.ok()) return started.status();
        peer = *std::move(started);
      }
      // The article's servers: Flask routes /predict like ours, websockets serves on "/".
      return WireUrl(run.bench.wire, ServerAddresses{.by_key = {{"http", peer->address()}},
                                                     .path = flask ? "" : "/"});
    }
  }
  return absl::InternalError("unknown target");
}

absl::StatusOr<BenchOptions> Placement::RoundOptions(const PlannedRun& run, int round, int rounds) {
  BenchOptions bench = run.bench;
  absl::StatusOr<std::string> url = UrlFor(run);
  if (!url.ok()) return url.status();
  bench.target_url = *url;
  if (bench.model.empty()) bench.model = options_.model;
  bench.duration =
      std::max<std::chrono::nanoseconds>(bench.duration / rounds, std::chrono::milliseconds(300));
  if (bench.requests) bench.requests = std::max<uint64_t>(1, *bench.requests / rounds);
  if (round > 0) {
    bench.warmup = std::min<std::chrono::nanoseconds>(
        bench.warmup, std::chrono::milliseconds(options_.quick ? 100 : 200));
  }
  return ForPlacement(std::move(bench));
}

absl::StatusOr<BenchResult> Placement::RunInBrowser(const BenchOptions& bench) {
  if (!browser_) {
    const auto http = addresses_.by_key.find("http");
    if (http == addresses_.by_key.end()) {
      return absl::FailedPreconditionError("the browser needs the server's plain HTTP port");
    }
    absl::StatusOr<std::unique_ptr<BrowserRunner>> started = BrowserRunner::Start(
        {.server_address = http->second,
         .cpus = ClientCpus(),
         .log_path =
             (std::filesystem::path(options_.out_dir) / ("chromium-" + name_ + ".log")).string()});
    if (!started.ok()) return started.status();
    browser_ = *std::move(started);
  }
  return browser_->Run(bench);
}

absl::StatusOr<std::pair<std::unique_ptr<ChildProcess>, std::string>> Placement::StartFreshServer(
    const PlannedRun& run, const std::string& log_name) const {
  absl::StatusOr<std::unique_ptr<ChildProcess>> started = StartServer(log_name);
  if (!started.ok()) return started.status();
  absl::StatusOr<std::string> url =
      WireUrl(run.bench.wire, ParseReadyLine((*started)->ready_line()));
  if (!url.ok()) return url.status();
  return std::make_pair(*std::move(started), *std::move(url));
}

}  // namespace predictwire::loadgen
