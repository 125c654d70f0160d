#include "cli/bench_command.h"

#include <fmt/format.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <memory>

#include "cli/duration_flag.h"
#include "cli/process_limits.h"
#include "core/status.h"
#include "loadgen/driver/bench.h"
#include "loadgen/driver/bench_output.h"
#include "os/process_info.h"

namespace predictwire::cli {
namespace {

// The flags that are text on the command line start from the options' own defaults.
struct BenchFlags {
  loadgen::BenchOptions options;
  std::string wire = loadgen::WireLabel(options.wire);
  std::string payload = std::string(loadgen::PayloadShapeName(options.shape));
  std::string arrival = std::string(loadgen::ArrivalName(options.arrival));
  std::string duration = FormatDuration(options.duration);
  std::string warmup = FormatDuration(options.warmup);
  std::string think = FormatDuration(options.think);
  std::string timeout = FormatDuration(options.timeout);
  std::string reconnect_initial = FormatDuration(options.reconnect.initial);
  std::string reconnect_max = FormatDuration(options.reconnect.max);
  std::string connect_timeout = FormatDuration(options.reconnect.connect_timeout);
  bool no_resend = !options.reconnect.resend;
  std::string tls_resume = options.tls_resume ? "on" : "off";
  std::string json_path;
  std::string csv_path;
  int server_pid = 0;
  bool quiet = !options.progress;
  bool list_wires = false;
  // Options with no default: set only when given.
  int connections = 1;
  CLI::Option* connections_option = nullptr;
  uint64_t requests = 1;
  CLI::Option* requests_option = nullptr;
};

// The wire table as `bench --list-wires` prints it.
std::string WireTableText() {
  constexpr std::string_view kRow = "{:<16} {:<10} {:<12} {:<11} {:<12} {:<9} {}\n";
  std::string text =
      fmt::format(kRow, "wire", "family", "connections", "port", "schemes", "TLS ALPN", "");
  for (const loadgen::Wire& wire : loadgen::Wires()) {
    const loadgen::WireRoute& route = wire.route;
    text +=
        fmt::format(kRow, wire.name, loadgen::FamilyName(wire.family),
                    wire.new_connection_per_request ? "per request"
                    : wire.multiplexes              ? "shared"
                                                    : "kept",
                    fmt::format("{}/{}", route.port_key, route.tls_port_key),
                    fmt::format("{}/{}", route.scheme, route.tls_scheme), route.alpn, wire.help);
  }
  text +=
      "\nport: the server's port, plain/TLS, as its ready line names them. Append +tls to a "
      "wire to run it over TLS.\nkept: one connection, one request at a time; shared: up to "
      "--pipeline requests in flight on each connection; per request: a new connection each.\n";
  return text;
}

// The wires that carry several requests at once on one connection.
std::string MultiplexingWires() {
  std::vector<std::string_view> names;
  for (const loadgen::Wire& wire : loadgen::Wires()) {
    if (wire.multiplexes) names.push_back(wire.name);
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

// --wire's help: each wire of the table and what it does.
std::string WireHelp() {
  std::string help = "The wire to measure:";
  for (const loadgen::Wire& wire : loadgen::Wires()) {
    help += fmt::format("\n  {:<15} {}", wire.name, wire.help);
  }
  help +=
      "\nAdd +tls for any wire over TLS (e.g. ws+tls), as does an https://, wss:// or grpcs:// "
      "--target. --list-wires shows each wire's port and schemes.";
  return help;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream file(path);
  file << text;
  return static_cast<bool>(file);
}

int Bench(BenchFlags& flags) {
  if (flags.list_wires) {
    std::printf("%s", WireTableText().c_str());
    return 0;
  }
  os::RaiseOpenFileLimit();  // thousands of sockets; the default soft limit is 1024
  loadgen::BenchOptions& options = flags.options;
  absl::StatusOr<loadgen::WireSpec> wire = loadgen::ParseWire(flags.wire);
  if (!wire.ok()) {
    std::fprintf(stderr, "predictwire bench: %s\n", std::string(MessageOf(wire.status())).c_str());
    return 2;
  }
  options.wire = *wire;
  if (flags.connections_option->count() > 0) options.connections = flags.connections;
  if (flags.server_pid > 0) {
    if (kill(flags.server_pid, 0) != 0 && errno == ESRCH) {
      std::fprintf(stderr, "predictwire bench: --server-pid %d: no such process\n",
                   flags.server_pid);
      return 2;
    }
    options.server_pid = flags.server_pid;
  }
  if (flags.requests_option->count() > 0) options.requests = flags.requests;
  options.tls_resume = flags.tls_resume == "on";
  loadgen::ParsePayloadShape(flags.payload, &options.shape);  // CLI11 checked both names
  loadgen::ParseArrival(flags.arrival, &options.arrival);
  options.duration = ParseDuration(flags.duration);
  options.warmup = ParseDuration(flags.warmup);
  options.think = ParseDuration(flags.think);
  options.timeout = ParseDuration(flags.timeout);
  options.reconnect.initial = ParseDuration(flags.reconnect_initial);
  options.reconnect.max = ParseDuration(flags.reconnect_max);
  options.reconnect.connect_timeout = ParseDuration(flags.connect_timeout);
  options.reconnect.resend = !flags.no_resend;
  options.progress = !flags.quiet;

  absl::StatusOr<loadgen::BenchResult> result = loadgen::RunBench(options);
  if (!result.ok()) {
    std::fprintf(stderr, "predictwire bench: %s\n",
                 std::string(MessageOf(result.status())).c_str());
    return 2;
  }
  std::printf("%s", loadgen::FormatTable(*result).c_str());
  if (!flags.json_path.empty() && !WriteFile(flags.json_path, loadgen::ToJson(*result) + "\n")) {
    std::fprintf(stderr, "predictwire bench: cannot write %s\n", flags.json_path.c_str());
    return 1;
  }
  if (!flags.csv_path.empty() &&
      !WriteFile(flags.csv_path, loadgen::CsvHeader() + loadgen::ToCsvRow(*result))) {
    std::fprintf(stderr, "predictwire bench: cannot write %s\n", flags.csv_path.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

void AddBenchCommand(CLI::App& app, int* exit_status) {
  auto flags = std::make_shared<BenchFlags>();
  loadgen::BenchOptions& options = flags->options;
  CLI::App* bench = app.add_subcommand(
      "bench",
      "Measure one wire under one load: open loop (--rate; latency counted from each request's "
      "scheduled time, so a stalled server cannot hide) or closed loop (--concurrency).");
  bench->add_option("--wire", flags->wire, WireHelp())
      ->check(CLI::IsMember(loadgen::AllWireNames()))
      ->capture_default_str();
  bench->add_flag("--list-wires", flags->list_wires,
                  "Print the table of wires (family, connections, port, schemes) and exit");
  bench
      ->add_option("--tls-resume", flags->tls_resume,
                   "TLS: on resumes the previous connection's session (what browsers and most "
                   "clients do), off makes every connection a full handshake")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  bench->add_option("--tls-ca", options.tls_ca_file,
                    "Over TLS: PEM file of the CA (or self-signed certificate) the server's "
                    "certificate must chain to (default: not checked, as every wire's client "
                    "treats a benchmark's throwaway certificate alike)");
  bench->add_option(
      "--target", options.target_url,
      "Server URL: http://HOST:PORT (paths /predict, /v2/..., /ws by default), a URL with the "
      "exact path, e.g. ws://127.0.0.1:5001/, or grpc://HOST:PORT for the gRPC wires (default: "
      "the wire's port on a local `predictwire serve` with its default addresses)");
  bench->add_option("--rate", options.rate, "Open loop: requests per second")
      ->check(CLI::PositiveNumber);
  bench->add_option("--arrival", flags->arrival, "Open loop: constant or poisson arrivals")
      ->check(CLI::IsMember({std::string(loadgen::ArrivalName(loadgen::Arrival::kConstant)),
                             std::string(loadgen::ArrivalName(loadgen::Arrival::kPoisson))}))
      ->capture_default_str();
  bench
      ->add_option("--concurrency", options.concurrency,
                   "Closed loop: requests outstanding at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  flags->connections_option =
      bench
          ->add_option("--connections", flags->connections,
                       "Connections (default: open loop 1; closed loop enough for --concurrency). "
                       "For rest, the most new connections open at once")
          ->check(CLI::PositiveNumber);
  bench
      ->add_option("--pipeline", options.pipeline,
                   fmt::format("Wires that multiplex ({}): requests in flight per connection",
                               MultiplexingWires()))
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  bench->add_option("--duration", flags->duration, "How long to measure, after the warm-up")
      ->check(CheckDuration)
      ->capture_default_str();
  flags->requests_option = bench
                               ->add_option("--requests", flags->requests,
                                            "Measure this many requests instead of a duration")
                               ->check(CLI::PositiveNumber);
  bench->add_option("--warmup", flags->warmup, "Load sent but not measured, first")
      ->check(CheckDuration)
      ->capture_default_str();
  bench->add_option("--think", flags->think, "Closed loop: pause after each reply")
      ->check(CheckDuration)
      ->capture_default_str();
  bench
      ->add_option("--timeout", flags->timeout,
                   "A request unanswered this long after it was due counts as an error")
      ->check(CheckDuration)
      ->capture_default_str();
  // When a connection goes away: gRPC's connection backoff, shorter for a benchmark.
  bench
      ->add_option("--reconnect-initial", flags->reconnect_initial,
                   "A connection that failed (or was ended by its server other than in order) "
                   "is reopened after this backoff, which grows with each failure in a row "
                   "(gRPC's INITIAL_BACKOFF, 1s there). One its server closed in order after "
                   "answering (Connection: close, GOAWAY, WebSocket Close 1000/1001/1012) is "
                   "reopened at once")
      ->check(CheckDuration)
      ->capture_default_str();
  bench
      ->add_option("--reconnect-multiplier", options.reconnect.multiplier,
                   "Each further failure in a row waits this much longer (MULTIPLIER)")
      ->check(CLI::Range(1.0, 100.0))
      ->capture_default_str();
  bench
      ->add_option("--reconnect-max", flags->reconnect_max,
                   "The longest backoff between reconnects (MAX_BACKOFF, 120s in gRPC)")
      ->check(CheckDuration)
      ->capture_default_str();
  bench
      ->add_option("--reconnect-jitter", options.reconnect.jitter,
                   "Each backoff drawn at random within ± this fraction of it (JITTER)")
      ->check(CLI::Range(0.0, 0.99))
      ->capture_default_str();
  bench
      ->add_option("--connect-timeout", flags->connect_timeout,
                   "A connect (with its TLS and protocol handshakes) not done in the longer of "
                   "this and the current backoff is given up and retried "
                   "(MIN_CONNECT_TIMEOUT, 20s in gRPC)")
      ->check(CheckDuration)
      ->capture_default_str();
  bench->add_flag("--no-resend", flags->no_resend,
                  "Requests in flight on a connection that went away end as errors of its kind "
                  "(reset, closed, ...) instead of being sent again on the next connection");
  bench
      ->add_option("--max-resends", options.reconnect.max_resends,
                   "Times a request may be sent again (within its --timeout); past it, it is "
                   "an error of kind lost")
      ->check(CLI::Range(0, loadgen::kMaxResends))
      ->capture_default_str();
  bench->add_option("--model", options.model, "Model to ask (default: the server's default)");
  bench->add_option("--features", options.features, "Feature values per row")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  bench->add_option("--rows", options.rows, "Rows per request")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  bench
      ->add_option("--payload", flags->payload,
                   "REST payload: predict (POST /predict) or v2 (Open Inference Protocol)")
      ->check(
          CLI::IsMember({std::string(loadgen::PayloadShapeName(loadgen::PayloadShape::kPredict)),
                         std::string(loadgen::PayloadShapeName(loadgen::PayloadShape::kV2))}))
      ->capture_default_str();
  bench
      ->add_option("--echo-request-bytes", options.echo_request_bytes,
                   "The tcp wires: bytes of each raw request (default about a REST request's)")
      ->check(CLI::Range(size_t{8}, size_t{64} << 20))
      ->capture_default_str();
  bench
      ->add_option("--echo-reply-bytes", options.echo_reply_bytes,
                   "The tcp wires: bytes of each raw reply")
      ->check(CLI::Range(size_t{1}, size_t{64} << 20))
      ->capture_default_str();
  bench->add_option("--threads", options.threads, "Load generator threads")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  bench->add_option("--seed", options.seed, "Seed of the Poisson arrivals")->capture_default_str();
  bench
      ->add_option("--source-addresses", options.source_addresses,
                   "A loopback target: connections bind round robin to 127.0.0.1 ... 127.0.0.N, "
                   "so more than one address's ephemeral ports (about 28,000) reach one port "
                   "(0: one address per 5,000 connections)")
      ->capture_default_str();
  bench->add_option("--server-pid", flags->server_pid,
                    "The server's process ID (a server on this machine): its RSS is read before "
                    "the connections open and after the run, with the kernel's TCP memory "
                    "(/proc/net/sockstat), and shown per connection");
  bench->add_option("--json", flags->json_path, "Also write the result as JSON to this file");
  bench->add_option("--csv", flags->csv_path, "Also write the result as CSV to this file");
  bench->add_flag("--quiet", flags->quiet, "No progress lines on stderr");
  bench->callback([flags, exit_status] { *exit_status = Bench(*flags); });
}

}  // namespace predictwire::cli
