#include "cli/serve_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "backends/backend_factory.h"
#include "cli/duration_flag.h"
#include "cli/process_limits.h"
#include "core/default_models.h"
#include "core/status.h"
#include "os/heap.h"
#include "os/host_port.h"
#include "os/process_info.h"
#include "server/server.h"
#include "server/signals.h"

namespace predictwire::cli {
namespace {

// --execution's words for the scheduler's modes.
constexpr std::pair<std::string_view, ExecutionMode> kExecutionModes[] = {
    {"auto", ExecutionMode::kAuto},
    {"inline", ExecutionMode::kInline},
    {"worker", ExecutionMode::kWorker},
};

std::string ExecutionModeName(ExecutionMode mode) {
  for (const auto& [name, named] : kExecutionModes) {
    if (named == mode) return std::string(name);
  }
  return "auto";
}

ExecutionMode ParseExecutionMode(std::string_view name) {
  for (const auto& [known, mode] : kExecutionModes) {
    if (known == name) return mode;
  }
  return ExecutionMode::kAuto;  // CLI11 has checked the name
}

// Idle timeouts are swept once a second: round up to whole seconds, at least one.
std::chrono::seconds ToWholeSeconds(const std::string& text) {
  return std::max(std::chrono::seconds(1),
                  std::chrono::ceil<std::chrono::seconds>(ParseDuration(text)));
}

// The same for what 0 turns off (a ping interval, a connection age): 0 stays 0.
std::chrono::seconds ToWholeSecondsOrOff(const std::string& text) {
  return std::chrono::ceil<std::chrono::seconds>(ParseDuration(text));
}

// With --http on port 0 (a test, a second instance beside a first), the listeners not given on
// the command line or in the config pick free ports too rather than their fixed defaults, which
// another instance may hold; on their default host, and off as before if not set up.
void FreePortsBesideEphemeralHttp(const CLI::App& serve, server::ServerOptions& options) {
  const absl::StatusOr<os::HostPort> http = os::ParseHostPort(options.http_address);
  if (!http.ok() || http->port != 0) return;
  const std::pair<const char*, std::string*> others[] = {
      {"--grpc", &options.grpc_address},
      {"--https", &options.https_address},
      {"--grpcs", &options.grpcs_address},
  };
  for (const auto& [flag, address] : others) {
    if (serve.count(flag) > 0 || address->empty()) continue;
    const absl::StatusOr<os::HostPort> other = os::ParseHostPort(*address);
    if (!other.ok()) continue;
    *address = os::FormatHostPort(other->host, 0);
  }
}

int Serve(const server::ServerOptions& options) {
  os::RaiseOpenFileLimit();  // thousands of sockets; the default soft limit is 1024
  os::UseOneHeapArena();     // so that memory freed after large requests goes back (os/heap.h)
  server::ShutdownSignals signals;  // before any thread starts
  absl::StatusOr<std::unique_ptr<server::Server>> server = server::Server::Create(options);
  if (!server.ok()) {
    std::fprintf(stderr, "predictwire serve: %s\n",
                 std::string(MessageOf(server.status())).c_str());
    return 2;
  }
  (*server)->Start();
  std::fprintf(stderr, "%s\n", (*server)->Describe().c_str());
  std::printf("%s\n", (*server)->ReadyLine().c_str());
  std::fflush(stdout);
  const int signal_number = signals.Wait();
  (*server)->StopReporting();
  if (options.drain_delay.count() > 0) {
    std::fprintf(stderr, "predictwire: signal %d: not ready; serving on for the drain delay (%s)\n",
                 signal_number, FormatDuration(options.drain_delay).c_str());
    std::this_thread::sleep_for(options.drain_delay);  // a second signal ends the process
  }
  std::fprintf(stderr,
               "predictwire: signal %d: asking every connection to go, finishing in-flight "
               "requests, then exiting\n",
               signal_number);
  (*server)->Shutdown();
  std::fprintf(stderr, "predictwire: stopped\n");
  return 0;
}

// The flags that are text on the command line start from the options' own defaults.
struct ServeFlags {
  server::ServerOptions options;
  std::string execution = ExecutionModeName(options.scheduler.mode);
  std::string inline_threshold = FormatDuration(options.scheduler.inline_threshold);
  std::string http_idle_timeout = FormatDuration(options.http_idle_timeout);
  std::string websocket_idle_timeout = FormatDuration(options.websocket_idle_timeout);
  std::string header_timeout = FormatDuration(options.header_timeout);
  std::string websocket_ping_interval = FormatDuration(options.websocket_ping_interval);
  std::string http2_ping_interval = FormatDuration(options.http2_ping_interval);
  std::string max_connection_age = FormatDuration(options.max_connection_age);
  std::string max_connection_age_grace = FormatDuration(options.max_connection_age_grace);
  std::string drain_delay = FormatDuration(options.drain_delay);
  std::string drain_timeout = FormatDuration(options.drain_timeout);
  std::string tls_handshake_timeout = FormatDuration(options.tls_handshake_timeout);
  std::string write_timeout = FormatDuration(options.write_timeout);
  // Kept only when given: their defaults are derived (from the fd limit, from --max-body).
  size_t max_connections = 0;
  size_t max_response_bytes = 0;
  std::string request_timeout;  // empty: none
};

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_status) {
  auto flags = std::make_shared<ServeFlags>();
  server::ServerOptions& options = flags->options;
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Run the prediction server. Options may also come from --config FILE, in a [serve] "
      "section.");
  serve
      ->add_option("--http", options.http_address,
                   "HOST:PORT for REST (HTTP/1.1, and HTTP/2 with prior knowledge) and WebSocket "
                   "(/ws); port 0 picks a free one")
      ->capture_default_str();
  serve
      ->add_option("--https", options.https_address,
                   "HOST:PORT for HTTPS (HTTP/1.1 or h2 by ALPN) and WSS when --tls-cert and "
                   "--tls-key are given; port 0 picks a free one")
      ->capture_default_str();
  serve
      ->add_option("--grpc", options.grpc_address,
                   "HOST:PORT for gRPC (inference.GRPCInferenceService, the Open Inference "
                   "Protocol); port 0 picks a free one, an empty value turns gRPC off. When "
                   "--http's port is 0, --grpc, --https and --grpcs not given pick free ports too")
      ->capture_default_str();
  serve
      ->add_option("--grpcs", options.grpcs_address,
                   "HOST:PORT for gRPC over TLS when --tls-cert and --tls-key are given; port 0 "
                   "picks a free one")
      ->capture_default_str();
  serve->add_option("--tcp-echo", options.tcp_echo_address,
                    "HOST:PORT for a raw TCP echo, the floor bench's tcp and tcp-new wires measure "
                    "every protocol against; port 0 picks a free one (default: off)");
  serve
      ->add_option("--tls-cert", options.tls_certificate_file,
                   "PEM certificate chain; with --tls-key turns on the --https and --grpcs "
                   "listeners")
      ->check(CLI::ExistingFile);
  serve->add_option("--tls-key", options.tls_private_key_file, "PEM private key for --tls-cert")
      ->check(CLI::ExistingFile);
  serve->add_option("--model", options.models,
                    "NAME=SPEC, repeatable. " + backends::ModelSpecHelp() +
                        fmt::format(" Without --model: {} (XGBoost) and {} ({}).",
                                    kDefaultModelName, kArticleModelName, kArticleModelSpec));
  serve->add_option("--cors-origin", options.cors_origins,
                    "An origin whose web pages may call the REST API from a browser and open "
                    "WebSockets, e.g. http://localhost:3000; repeatable; '*' allows any. Without "
                    "it, browsers let only the server's own pages (/) read answers");
  serve->add_option("--default-model", options.default_model,
                    "The model /predict and WebSocket use when a request names none (default: "
                    "the first model)");
  serve->add_option("--models-dir", options.models_dir,
                    "Where the default models are (default: ./models or next to the binary)");
  serve->add_option("--io-threads", options.io_threads, "IO threads; the default is one per CPU")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--execution", flags->execution,
                   "Where models run: auto (inline on the IO thread when measured faster than "
                   "--inline-threshold, else on worker threads), inline, or worker")
      ->check(CLI::IsMember([] {
        std::vector<std::string> names;
        for (const auto& [name, mode] : kExecutionModes) names.emplace_back(name);
        return names;
      }()))
      ->capture_default_str();
  serve
      ->add_option("--inline-threshold", flags->inline_threshold,
                   "In auto mode, run a CPU model inline when its expected compute time is "
                   "below this")
      ->check(CheckDuration)
      ->capture_default_str();
  serve
      ->add_option("--max-queue", options.scheduler.max_queued_per_model,
                   "Requests waiting per model before new ones are refused (HTTP 503, gRPC and "
                   "WebSocket RESOURCE_EXHAUSTED)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--max-body", options.max_body_bytes,
                   "Largest request body, WebSocket message or gRPC message, in bytes")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--idle-timeout", flags->http_idle_timeout,
                   "Close an HTTP/1.1 or HTTP/2 connection after this long without input while "
                   "nothing is in flight (checked once a second), and a gRPC connection after this "
                   "long without a call")
      ->check(CheckDuration)
      ->capture_default_str();
  serve
      ->add_option("--ws-idle-timeout", flags->websocket_idle_timeout,
                   "The same for WebSocket connections")
      ->check(CheckDuration)
      ->capture_default_str();
  serve
      ->add_option("--header-timeout", flags->header_timeout,
                   "Close a connection whose request head (HTTP/1.1 request line and fields, the "
                   "WebSocket handshake, the HTTP/2 preface and SETTINGS) has not all arrived "
                   "this long after its first byte (HTTP/1.1 is told 408)")
      ->check(CheckDuration)
      ->capture_default_str();
  serve
      ->add_option("--tls-handshake-timeout", flags->tls_handshake_timeout,
                   "Close a TLS connection whose handshake is not done this long after the accept")
      ->check(CheckDuration)
      ->capture_default_str();
  serve
      ->add_option("--write-timeout", flags->write_timeout,
                   "Close a connection whose output has not moved for this long (a client that "
                   "stopped reading, or an HTTP/2 window left at zero); a slow reader that "
                   "keeps taking bytes is never cut off")
      ->check(CheckDuration)
      ->capture_default_str();
  serve
      ->add_option("--ws-ping-interval", flags->websocket_ping_interval,
                   "Ping a WebSocket after this long without input, so proxies that cut idle "
                   "connections after 60 s keep it (nginx's proxy_read_timeout, cloud balancers), "
                   "and close one that answers nothing for as long again, dropping its queued "
                   "work (a peer behind a cut network sends no reset); 0 turns pings off")
      ->check(CheckDuration)
      ->capture_default_str();
  serve
      ->add_option("--http2-ping-interval", flags->http2_ping_interval,
                   "The same for HTTP/2 and gRPC connections with a stream open (a long "
                   "ModelStreamInfer, a slow model); 0 turns pings off")
      ->check(CheckDuration)
      ->capture_default_str();
  serve
      ->add_option("--max-connection-age", flags->max_connection_age,
                   "Ask a connection to go once it is this old, give or take 10% so that "
                   "connections opened together do not go together, losing no request: HTTP/1.1 "
                   "answers with Connection: close, HTTP/2 and gRPC send GOAWAY, a WebSocket "
                   "gets Close 1001 once its answers in flight are out (docs/api.md says what to "
                   "send again). Spreads long-lived connections over servers added later. Ages "
                   "are whole seconds (at least 1), checked once a second; 0 (the default) "
                   "never")
      ->check(CheckDuration)
      ->capture_default_str();
  serve
      ->add_option("--max-connection-age-grace", flags->max_connection_age_grace,
                   "How long a connection asked to go by its age may finish what it has; then a "
                   "gRPC stream still open ends with UNAVAILABLE and the connection closes")
      ->check(CheckDuration)
      ->capture_default_str();
  serve
      ->add_option("--drain-delay", flags->drain_delay,
                   "On SIGTERM or SIGINT, report not ready at once (the readiness routes, "
                   "ServerReady, grpc.health.v1) but keep serving for this long, so balancers "
                   "stop sending new work first (a Kubernetes endpoint goes some seconds after "
                   "the pod is told to stop); then stop accepting and ask every connection to go. "
                   "A second signal stops at once")
      ->check(CheckDuration)
      ->capture_default_str();
  serve
      ->add_option("--drain-timeout", flags->drain_timeout,
                   "After the drain delay, how long to wait for what is in flight before the "
                   "connections still open are cut and the process exits")
      ->check(CheckDuration)
      ->capture_default_str();
  CLI::Option* max_connections =
      serve
          ->add_option("--max-connections", flags->max_connections,
                       "Connections open at once over every port; beyond it new ones are closed "
                       "as soon as accepted (default: the open-file limit less 1/16, at least 32 "
                       "descriptors)")
          ->check(CLI::PositiveNumber);
  serve
      ->add_option("--max-memory", options.max_memory_bytes,
                   "Bytes the server holds at most for large request bodies and messages and for "
                   "unsent answers; beyond it large requests get HTTP 503 / RESOURCE_EXHAUSTED")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI::Option* max_response =
      serve
          ->add_option("--max-response", flags->max_response_bytes,
                       "Largest answer, in bytes: a request for more rows than fit (4 bytes a "
                       "row, the most compact answer) is refused before it runs, HTTP 400 / "
                       "OUT_OF_RANGE, since no server would answer it (default: --max-body)")
          ->check(CLI::PositiveNumber);
  serve
      ->add_option("--request-timeout", flags->request_timeout,
                   "Answer a request DEADLINE_EXCEEDED (HTTP 504, WebSocket error code 4) when it "
                   "is not answered within this long; one still queued then is dropped without "
                   "running. gRPC's grpc-timeout applies too, the earlier wins. Default: none")
      ->check(CheckDuration);
  serve->callback([flags, exit_status, serve, max_connections, max_response] {
    server::ServerOptions& options = flags->options;
    FreePortsBesideEphemeralHttp(*serve, options);
    options.scheduler.mode = ParseExecutionMode(flags->execution);
    options.scheduler.inline_threshold = ParseDuration(flags->inline_threshold);
    options.http_idle_timeout = ToWholeSeconds(flags->http_idle_timeout);
    options.websocket_idle_timeout = ToWholeSeconds(flags->websocket_idle_timeout);
    options.header_timeout = ToWholeSeconds(flags->header_timeout);
    options.tls_handshake_timeout = ToWholeSeconds(flags->tls_handshake_timeout);
    options.write_timeout = ToWholeSeconds(flags->write_timeout);
    options.websocket_ping_interval = ToWholeSecondsOrOff(flags->websocket_ping_interval);
    options.http2_ping_interval = ToWholeSecondsOrOff(flags->http2_ping_interval);
    options.max_connection_age = ToWholeSecondsOrOff(flags->max_connection_age);
    options.max_connection_age_grace = ToWholeSecondsOrOff(flags->max_connection_age_grace);
    options.drain_delay =
        std::chrono::ceil<std::chrono::milliseconds>(ParseDuration(flags->drain_delay));
    options.drain_timeout =
        std::chrono::ceil<std::chrono::milliseconds>(ParseDuration(flags->drain_timeout));
    if (max_connections->count() > 0) options.max_connections = flags->max_connections;
    if (max_response->count() > 0) options.max_response_bytes = flags->max_response_bytes;
    if (!flags->request_timeout.empty()) {
      options.scheduler.request_timeout = ParseDuration(flags->request_timeout);
    }
    *exit_status = Serve(options);
  });
}

}  // namespace predictwire::cli
