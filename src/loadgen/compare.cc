#include "loadgen/compare.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/beast/http/error.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include "core/status.h"
#include "loadgen/child_process.h"
#include "loadgen/delay_proxy.h"
#include "loadgen/http1_connection.h"
#include "loadgen/http_response_reader.h"
#include "loadgen/payload.h"
#include "loadgen/recommend.h"
#include "loadgen/report_html.h"
#include "loadgen/report_text.h"
#include "loadgen/scenarios.h"
#include "transport/common/tcp_echo.h"
#include "transport/common/tls.h"

#ifndef PREDICTWIRE_VERSION
#define PREDICTWIRE_VERSION "0.0.0"
#endif

namespace predictwire::loadgen {
namespace {

constexpr int kServerCpu = 0;

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm utc;
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string Machine() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname name;
  uname(&name);
  return fmt::format("{}, {} CPUs, Linux {}", model, std::thread::hardware_concurrency(),
                     name.release);
}

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

// With --target: the server's addresses as the options give them.
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

// Samples a process's resident memory while a run goes on, keeping the largest.
class MemorySampler {
 public:
  explicit MemorySampler(const ChildProcess& process) : process_(process) {
    thread_ = std::thread([this] {
      while (!stop_) {
        peak_ = std::max(peak_.load(), process_.ResidentMiB());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  double Stop() {
    stop_ = true;
    thread_.join();
    return peak_;
  }

 private:
  const ChildProcess& process_;
  std::atomic<bool> stop_{false};
  std::atomic<double> peak_{0};
  std::thread thread_;
};

// Everything running for one placement: our server, the floor, proxies and peers on demand.
class Placement {
 public:
  Placement(const CompareOptions& options, std::string name, Report& report)
      : options_(options), name_(std::move(name)), report_(report) {}
  ~Placement() {
    server_.reset();  // stopped before its certificate goes
    if (!certificate_dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(certificate_dir_, ignored);
    }
  }

  absl::Status Start() {
    const std::vector<int> client_cpus = {name_ == "same" ? kServerCpu : kServerCpu + 1};
    if (absl::Status pinned = PinThisThread(client_cpus); !pinned.ok()) return pinned;
    if (options_.target.empty()) {
      // TLS wires: a throwaway certificate for this run, deleted afterwards.
      char certificate_dir[] = "/tmp/predictwire-compare-XXXXXX";
      if (mkdtemp(certificate_dir) == nullptr) {
        return absl::InternalError("cannot create a directory for the TLS certificate");
      }
      certificate_dir_ = certificate_dir;
      if (absl::Status written = transport::WriteSelfSignedCertificate(
              certificate_dir_ + "/cert.pem", certificate_dir_ + "/key.pem");
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
    auto sizes = http == addresses_.by_key.end()
                     ? absl::StatusOr<std::pair<size_t, size_t>>(
                           absl::FailedPreconditionError("the server has no plain HTTP port"))
                     : ExchangeSizes(http->second,
                                     options_.target.empty() ? "breast_cancer" : options_.model);
    if (sizes.ok()) {
      floor_.request_bytes = sizes->first;
      floor_.reply_bytes = sizes->second;
    } else {
      report_.notes.push_back(
          fmt::format("[{}] could not size a REST exchange ({}); the floor uses {} and {} bytes",
                      name_, MessageOf(sizes.status()), floor_.request_bytes,
                      floor_.reply_bytes));
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
                 name_.c_str(), floor_.request_bytes, floor_.reply_bytes,
                 floor_.persistent_p50_us, floor_.new_connection_p50_us);
    return absl::OkStatus();
  }

  // `bench` as this placement runs it: its URL unless it has one, the floor's byte counts for
  // the tcp wires.
  BenchOptions ForPlacement(BenchOptions bench) const {
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

  // A `predictwire serve` of compare's own, pinned to the server CPU, logging to LOG_NAME.log.
  absl::StatusOr<std::unique_ptr<ChildProcess>> StartServer(const std::string& log_name) const {
    ChildProcess::Options server;
    server.argv = {options_.binary, "serve",
                   "--http",        "127.0.0.1:0",
                   "--io-threads",  "1",
                   "--grpc",        "127.0.0.1:0",
                   "--grpcs",       "127.0.0.1:0",
                   "--https",       "127.0.0.1:0",
                   "--tls-cert",    certificate_dir_ + "/cert.pem",
                   "--tls-key",     certificate_dir_ + "/key.pem"};
    for (const std::string& model : ServerModels(options_.models_dir)) {
      server.argv.push_back("--model");
      server.argv.push_back(model);
    }
    server.cpus = {kServerCpu};
    server.stderr_path = std::filesystem::path(options_.out_dir) / (log_name + ".log");
    server.ready_prefix = "predictwire: listening";
    return ChildProcess::Start(server);
  }

  // The certificate of the server compare started, for clients that verify it (gRPC).
  std::string certificate_file() const {
    return certificate_dir_.empty() ? std::string() : certificate_dir_ + "/cert.pem";
  }

  // Whether compare started the server (and so can start fresh ones).
  bool owns_server() const { return server_ != nullptr; }

  // The URL a planned run goes to, starting proxies and peers the first time they are needed.
  absl::StatusOr<std::string> UrlFor(const PlannedRun& run) {
    switch (run.target) {
      case RunTarget::kServer:
        return WireUrl(run.bench.wire, addresses_);
      case RunTarget::kServerViaProxy: {
        const std::string key(run.bench.wire.port_key());
        const auto upstream = addresses_.by_key.find(key);
        if (upstream == addresses_.by_key.end()) return WireUrl(run.bench.wire, addresses_);
        std::unique_ptr<DelayProxy>& proxy = proxies_[{run.sweep_value, key}];
        if (!proxy) {
          auto started = DelayProxy::Start({.upstream = upstream->second,
                                            .round_trip = std::chrono::microseconds(
                                                static_cast<int64_t>(run.sweep_value * 1000)),
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

  // The bench options of one round of `run`: its URL, the floor's byte counts, TLS trust for
  // compare's certificate, and its share of the run's duration (later rounds warm up briefly:
  // their connections only need opening again).
  absl::StatusOr<BenchOptions> RoundOptions(const PlannedRun& run, int round, int rounds) {
    BenchOptions bench = run.bench;
    absl::StatusOr<std::string> url = UrlFor(run);
    if (!url.ok()) return url.status();
    bench.target_url = *url;
    if (bench.wire.tls && owns_server()) {
      bench.tls_ca_file = certificate_file();
      bench.tls_server_name = "localhost";  // the throwaway certificate's name
    }
    if (bench.model.empty()) bench.model = options_.model;
    bench.duration = std::max<std::chrono::nanoseconds>(bench.duration / rounds,
                                                        std::chrono::milliseconds(300));
    if (round > 0) {
      bench.warmup = std::min<std::chrono::nanoseconds>(
          bench.warmup, std::chrono::milliseconds(options_.quick ? 100 : 200));
    }
    return ForPlacement(std::move(bench));
  }

  // A fresh `predictwire serve` for one run, and the URL the run sends to on it.
  absl::StatusOr<std::pair<std::unique_ptr<ChildProcess>, std::string>> StartFreshServer(
      const PlannedRun& run, const std::string& log_name) const {
    absl::StatusOr<std::unique_ptr<ChildProcess>> started = StartServer(log_name);
    if (!started.ok()) return started.status();
    absl::StatusOr<std::string> url =
        WireUrl(run.bench.wire, ParseReadyLine((*started)->ready_line()));
    if (!url.ok()) return url.status();
    return std::make_pair(*std::move(started), *std::move(url));
  }

  ChildProcess* server() { return server_.get(); }

 private:
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
};

}  // namespace

absl::StatusOr<Report> RunCompare(const CompareOptions& options) {
  Report report;
  report.version = PREDICTWIRE_VERSION;
  report.date = UtcNow();
  report.machine = Machine();
  report.command = options.command_line;
  report.quick = options.quick;

  std::vector<std::string> placements = options.placements;
  if (std::thread::hardware_concurrency() < 2) {
    placements = {"same"};
    report.notes.push_back("this machine has one CPU: only the same-core placement is measured");
  }
  for (const std::string& placement : placements) {
    report.placements[placement] =
        placement == "same" ? "server, floor echo server and load generator on CPU 0"
                            : "server and floor echo server on CPU 0, load generator on CPU 1";
  }
  PlanOptions plan_options;
  plan_options.quick = options.quick;
  plan_options.wires_chosen = !options.wires.empty();
  for (const std::string& name : options.wires.empty() ? CandidateWireNames() : options.wires) {
    absl::StatusOr<WireSpec> wire = ParseWire(name);
    if (!wire.ok()) return wire.status();
    plan_options.wires.push_back(*wire);
  }
  if (!options.target.empty()) {
    // A server started elsewhere: only the wires whose port it named, and whose requests the
    // given --model can fill.
    absl::StatusOr<ServerAddresses> addresses = TargetAddresses(options);
    if (!addresses.ok()) return addresses.status();
    std::vector<std::string> skipped;
    absl::Status refused;
    std::erase_if(plan_options.wires, [&](const WireSpec& wire) {
      absl::Status fits = WireUrl(wire, *addresses).status();
      if (fits.ok()) fits = wire.wire->encode_body({.model = options.model}).status();
      if (fits.ok()) return false;
      const std::string why = fmt::format("{}: {}", WireLabel(wire), MessageOf(fits));
      if (!options.wires.empty() && refused.ok()) {
        refused = absl::InvalidArgumentError(fmt::format(
            "{} (with --target, give --grpc-target HOST:PORT for the gRPC wires, and --model)",
            why));
      }
      skipped.push_back(why);
      return true;
    });
    if (!refused.ok()) return refused;
    if (!skipped.empty()) {
      report.notes.push_back(fmt::format(
          "wires skipped (with --target, the gRPC wires need --grpc-target and --model): {}",
          fmt::join(skipped, "; ")));
    }
  }
  plan_options.server_has_test_models = options.target.empty();
  plan_options.model = options.model;
  plan_options.rtts = options.rtts;
  plan_options.slo = options.slo;
  plan_options.peers = options.peers;
  plan_options.only = options.scenarios;
  if (!options.target.empty()) {
    report.notes.push_back(
        fmt::format("target {} was started elsewhere: the compute and payload sweeps, which need "
                    "predictwire's test models, are left out",
                    options.target));
  }
  const std::vector<PlannedScenario> plan = PlanScenarios(plan_options);
  if (plan.empty()) return absl::InvalidArgumentError("no scenario matches --scenarios");
  const int rounds = options.quick ? 3 : 5;
  size_t total = 0, done = 0;
  for (const PlannedScenario& scenario : plan) total += scenario.runs.size();
  total *= placements.size() * rounds;

  std::error_code ignored;
  std::filesystem::create_directories(options.out_dir, ignored);
  for (const std::string& name : placements) {
    Placement placement(options, name, report);
    if (absl::Status started = placement.Start(); !started.ok()) return started;
    for (const PlannedScenario& planned : plan) {
      Scenario scenario{planned.id, planned.title, planned.question, name, planned.sweep, {}, {}};
      scenario.slo_us = std::chrono::duration<double, std::micro>(planned.slo).count();
      // The capacity scenario: the lowest rate at which each wire broke the objective in the
      // first round; its higher rates are not run in any round.
      std::map<std::string, double> broke_at;
      for (const PlannedRun& planned_run : planned.runs) {
        scenario.runs.push_back(
            Run{planned_run.wire, planned_run.label, planned_run.sweep_value, {}});
      }
      // The runs of a scenario take turns, round after round, so that the machine's slower
      // moments fall on every wire alike rather than on whichever ran then.
      // A round's result goes into its run, after its progress line.
      auto record = [&](size_t i, int round, BenchResult result) {
        Run& run = scenario.runs[i];
        ++done;
        std::fputs(
            RoundProgressLine(done, total, name, planned.id, run.label, round + 1, rounds, result)
                .c_str(),
            stderr);
        if (round == 0) {
          run.result = std::move(result);
        } else {
          MergeResults(result, &run.result);
        }
      };
      for (int round = 0; round < rounds; ++round) {
        if (planned.interleaved) {
          // One stream of arrivals dealt to the runs in turn, request by request.
          std::vector<BenchOptions> loads;
          for (const PlannedRun& planned_run : planned.runs) {
            absl::StatusOr<BenchOptions> bench =
                placement.RoundOptions(planned_run, round, rounds);
            if (!bench.ok()) return bench.status();
            loads.push_back(*std::move(bench));
          }
          absl::StatusOr<std::vector<BenchResult>> results = RunBenchTogether(std::move(loads));
          if (!results.ok()) return results.status();
          for (size_t i = 0; i < results->size(); ++i) {
            record(i, round, std::move((*results)[i]));
          }
          continue;
        }
        for (size_t i = 0; i < planned.runs.size(); ++i) {
          const PlannedRun& planned_run = planned.runs[i];
          Run& run = scenario.runs[i];
          if (const auto broke = broke_at.find(planned_run.wire);
              broke != broke_at.end() && planned_run.sweep_value > broke->second) {
            run.skipped = fmt::format("not run: p99 passed {} at {}",
                                      FormatMicroseconds(scenario.slo_us),
                                      FormatSweepValue(scenario.sweep, broke->second));
            ++done;
            continue;
          }
          absl::StatusOr<BenchOptions> bench = placement.RoundOptions(planned_run, round, rounds);
          if (!bench.ok()) return bench.status();
          ChildProcess* server = placement.server();
          // What holding connections costs is measured on a server of its own: one that served
          // other wires before keeps the memory they made it allocate, which would hide this
          // wire's growth.
          std::unique_ptr<ChildProcess> fresh_server;
          if (planned_run.record_server_stats && placement.owns_server()) {
            auto started = placement.StartFreshServer(
                planned_run, fmt::format("server-{}-{}", name, planned.id));
            if (!started.ok()) return started.status();
            fresh_server = std::move(started->first);
            server = fresh_server.get();
            bench->target_url = std::move(started->second);
          }
          std::unique_ptr<MemorySampler> sampler;
          double cpu_before = 0, idle_mib = 0;
          if (planned_run.record_server_stats && server != nullptr) {
            idle_mib = server->ResidentMiB();
            cpu_before = server->CpuSeconds();
            sampler = std::make_unique<MemorySampler>(*server);
          }
          absl::StatusOr<BenchResult> result = RunBench(*bench);
          if (sampler) {
            const double peak_mib = sampler->Stop();
            if (peak_mib - idle_mib > run.server_rss_mib - run.server_rss_idle_mib) {
              run.server_rss_mib = peak_mib;  // the round that grew most
              run.server_rss_idle_mib = idle_mib;
            }
            run.server_cpu_seconds += server->CpuSeconds() - cpu_before;
            run.server_connections = bench->connections.value_or(0);
          }
          if (fresh_server) fresh_server->Stop();
          if (!result.ok()) return result.status();
          // The ladder is cut in the first round; later rounds measure what it reached again.
          if (scenario.slo_us > 0 && round == 0 &&
              (result->errors > 0 ||
               result->latency.ValueAtPercentile(99) / 1000.0 > scenario.slo_us)) {
            double& broke = broke_at.try_emplace(planned_run.wire, planned_run.sweep_value).first->second;
            broke = std::min(broke, planned_run.sweep_value);
          }
          record(i, round, *std::move(result));
        }
      }
      scenario.verdict = Recommend(scenario);
      std::printf("%s", ScenarioTable(report, scenario).c_str());
      std::fflush(stdout);
      report.scenarios.push_back(std::move(scenario));
    }
  }
  std::printf("%s", DecisionText(report).c_str());
  return report;
}

absl::Status WriteReport(const Report& report, const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return absl::InternalError(fmt::format("cannot create {}: {}", directory, error.message()));
  }
  const std::pair<const char*, std::string> files[] = {{"report.json", ReportToJson(report)},
                                                       {"report.csv", ReportToCsv(report)},
                                                       {"index.html", RenderHtml(report)}};
  for (const auto& [name, text] : files) {
    const std::filesystem::path path = std::filesystem::path(directory) / name;
    std::ofstream file(path);
    file << text;
    if (!file) return absl::InternalError(fmt::format("cannot write {}", path.string()));
  }
  return absl::OkStatus();
}

}  // namespace predictwire::loadgen
