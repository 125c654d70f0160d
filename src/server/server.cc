#include "server/server.h"

#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "backends/backend_factory.h"
#include "core/default_models.h"
#include "core/metrics.h"
#include "core/model_registry.h"
#include "os/heap.h"
#include "os/host_port.h"
#include "os/process_info.h"
#include "transport/common/io_pool.h"
#include "transport/common/limits.h"
#include "transport/common/listener.h"
#include "transport/common/memory_budget.h"
#include "transport/common/ready_line.h"
#include "transport/common/rest_router.h"
#include "transport/common/tcp_echo.h"
#include "transport/common/tls.h"
#include "transport/grpc/grpc_calls.h"
#include "transport/grpc/grpc_service.h"
#include "transport/http1/http1_protocol.h"
#include "transport/http2/http2_protocol.h"
#include "transport/http2/preface.h"
#include "transport/websocket/websocket_protocol.h"

#ifndef PREDICTWIRE_VERSION
#define PREDICTWIRE_VERSION "0.0.0"
#endif

namespace predictwire::server {

namespace fs = std::filesystem;

namespace {

// The protocols listeners serve, made once Create has the router and the options.
struct ProtocolFactories {
  // HTTP/1.1 (and WebSocket) or HTTP/2, told apart by a connection's first bytes
  // (PriorKnowledgeDetector): h2c with prior knowledge in the clear; over TLS, a client that
  // chose h2 by ALPN starts with the same preface, as the protocol sees plaintext either way.
  // gRPC is HTTP/2 with its content-type, so every port answers it; the gRPC rows add ports for
  // clients that expect their own.
  transport::Listener::ProtocolFactory http;
};

// A port the server may listen on. Create opens, in this order, each row `opens` picks for the
// options; the ready line lists them in the same order; Shutdown stops them.
struct PortRow {
  std::string_view key;                 // the ready line's " KEY=HOST:PORT"
  std::string_view description;         // names the port in the errors of a failed bind
  std::string ServerOptions::*address;  // the option holding its HOST:PORT
  bool (*opens)(const ServerOptions& options);
  bool tls;  // its connections speak TLS, with the server's certificate
  // A transport::Listener counted in the metrics under `kind`, whose connections get their
  // protocol from `protocols`; or, with neither, the raw TCP echo (transport/common/tcp_echo.h),
  // which serves no protocol and is not counted.
  std::optional<ListenerKind> kind;
  transport::Listener::ProtocolFactory ProtocolFactories::*protocols;
};

bool HasTls(const ServerOptions& options) { return !options.tls_certificate_file.empty(); }
bool HasGrpc(const ServerOptions& options) { return !options.grpc_address.empty(); }

constexpr PortRow kPorts[] = {
    {"http", "HTTP", &ServerOptions::http_address, [](const ServerOptions&) { return true; }, false,
     ListenerKind::kHttp, &ProtocolFactories::http},
    {"grpc", "gRPC", &ServerOptions::grpc_address, HasGrpc, false, ListenerKind::kGrpc,
     &ProtocolFactories::http},
    {"https", "HTTPS", &ServerOptions::https_address, HasTls, true, ListenerKind::kHttps,
     &ProtocolFactories::http},
    {"grpcs", "gRPC over TLS", &ServerOptions::grpcs_address,
     [](const ServerOptions& options) { return HasGrpc(options) && HasTls(options); }, true,
     ListenerKind::kGrpcs, &ProtocolFactories::http},
    {"tcp-echo", "the TCP echo", &ServerOptions::tcp_echo_address,
     [](const ServerOptions& options) { return !options.tcp_echo_address.empty(); }, false,
     std::nullopt, nullptr},
};

constexpr bool ListenersHaveAKindAndProtocols() {
  for (const PortRow& row : kPorts) {
    if (row.kind.has_value() != (row.protocols != nullptr)) return false;
  }
  return true;
}
static_assert(ListenersHaveAKindAndProtocols());

// A listener's HOST:PORT; an empty host (":8000") listens on every IPv4 address.
absl::StatusOr<os::HostPort> ListenAddress(std::string_view address) {
  absl::StatusOr<os::HostPort> parsed = os::ParseHostPort(address);
  if (parsed.ok() && parsed->host.empty()) parsed->host = "0.0.0.0";
  return parsed;
}

}  // namespace

struct Server::Parts {
  ServerOptions options;
  std::unique_ptr<ModelRegistry> registry;
  std::unique_ptr<Metrics> metrics;
  // Before the scheduler and the IO pool, so destroyed after them: a request still queued (its
  // HTTP/2 stream kept by its cancel flag) or a connection closing last releases its charge here.
  std::unique_ptr<transport::MemoryBudget> memory;
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<transport::IoPool> pool;
  transport::ConnectionLimits connection_limits;
  size_t max_connections = 0;
  std::atomic<bool> ready{false};
  std::unique_ptr<transport::RestRouter> router;
  transport::http1::Http1Protocol::Options http1_options;
  transport::websocket::WebSocketProtocol::Options websocket_options;
  transport::http2::Http2Protocol::Options http2_options;
  transport::http1::Http1Protocol::WebSocketFactory make_websocket;
  transport::http2::PriorKnowledgeDetector::Factory make_http1;
  transport::http2::PriorKnowledgeDetector::Factory make_http2;
  transport::http2::Http2Protocol::GrpcFactory make_grpc;
  ProtocolFactories protocols;
  std::unique_ptr<transport::TlsContext> tls;  // null without a certificate
  std::unique_ptr<transport::grpc_transport::GrpcService> grpc_service;
  // A port Create opened, a row of kPorts. After `tls` and `grpc_service`, which its
  // connections use, so destroyed before them.
  struct OpenPort {
    const PortRow* row;
    std::string address;                             // as bound, for the ready line
    std::unique_ptr<transport::Listener> listener;   // a listener row's
    std::unique_ptr<transport::TcpEchoServer> echo;  // the TCP echo row's
  };
  std::vector<OpenPort> ports;  // in kPorts' order
  bool started = false;
  bool stopped = false;

  // Binds `row`'s port on the address its option holds (the TCP echo also starts serving) and
  // adds it to `ports`. Needs everything a listener's connections use: the pool, the metrics,
  // the protocols and, for a TLS row, `tls`.
  absl::Status Open(const PortRow& row);
};

size_t DefaultMaxConnections() {
  const std::optional<uint64_t> limit = os::OpenFileLimit();
  if (!limit) return 65536;
  const size_t fds = static_cast<size_t>(*limit);
  const size_t reserve = std::max(transport::kMinReservedFds, fds / transport::kReservedFdsDivisor);
  return fds > reserve ? fds - reserve : 1;
}

namespace {

// Where the default model's file is: --models-dir, else ./models, else next to the binary
// (build/release/predictwire → ../../models), else an installed share/predictwire/models.
absl::StatusOr<fs::path> FindModelsDir(const std::string& configured) {
  std::vector<fs::path> candidates;
  if (!configured.empty()) {
    candidates.push_back(configured);
  } else {
    candidates.push_back(fs::current_path() / "models");
    const fs::path executable = os::ExecutablePath();
    if (!executable.empty()) {
      candidates.push_back(executable.parent_path() / "../../models");
      candidates.push_back(executable.parent_path() / "../share/predictwire/models");
    }
  }
  for (const fs::path& candidate : candidates) {
    if (fs::exists(candidate / kDefaultModelFile)) return fs::weakly_canonical(candidate);
  }
  std::string tried;
  for (const fs::path& candidate : candidates) tried += " " + candidate.string();
  return absl::NotFoundError(
      fmt::format("cannot find the default model {} (looked in:{}); pass --models-dir or "
                  "--model NAME=SPEC",
                  kDefaultModelFile, tried));
}

absl::StatusOr<std::vector<ModelRegistry::Entry>> LoadModels(const ServerOptions& options) {
  std::vector<std::string> flags = options.models;
  if (flags.empty()) {
    absl::StatusOr<fs::path> dir = FindModelsDir(options.models_dir);
    if (!dir.ok()) return dir.status();
    flags = DefaultModelFlags(dir->string());
  }
  std::vector<ModelRegistry::Entry> entries;
  for (const std::string& flag : flags) {
    absl::StatusOr<backends::ModelFlag> parsed = backends::ParseModelFlag(flag);
    if (!parsed.ok()) return parsed.status();
    absl::StatusOr<backends::ModelSpec> model = backends::CreateModel(parsed->spec);
    if (!model.ok()) {
      return absl::Status(
          model.status().code(),
          fmt::format("model '{}': {}", parsed->name, std::string(model.status().message())));
    }
    entries.push_back({parsed->name, std::move(model->backend), model->batching});
  }
  return entries;
}

}  // namespace

absl::Status Server::Parts::Open(const PortRow& row) {
  const std::string& address = options.*row.address;
  const absl::StatusOr<os::HostPort> listen = ListenAddress(address);
  if (!listen.ok()) return listen.status();
  const std::string& host = listen->host;
  const uint16_t port = listen->port;
  if (!row.kind) {
    absl::StatusOr<std::unique_ptr<transport::TcpEchoServer>> echo =
        transport::TcpEchoServer::Start(host, port);
    if (!echo.ok()) return echo.status();
    // The host as given (empty stays empty), with the port the kernel picked.
    std::string bound = os::FormatHostPort(os::SplitAuthority(address)->host, (*echo)->port());
    ports.push_back({.row = &row, .address = std::move(bound), .echo = *std::move(echo)});
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<transport::Listener>> listener =
      transport::Listener::Create({.host = host,
                                   .port = port,
                                   .tls = row.tls ? tls.get() : nullptr,
                                   .metrics = metrics.get(),
                                   .kind = *row.kind,
                                   .limits = connection_limits,
                                   .max_connections = max_connections},
                                  *pool, protocols.*row.protocols);
  if (!listener.ok()) {
    return absl::Status(
        listener.status().code(),
        fmt::format("{} (for {})", std::string(listener.status().message()), row.description));
  }
  std::string bound = os::FormatHostPort((*listener)->host(), (*listener)->local_port());
  ports.push_back({.row = &row, .address = std::move(bound), .listener = *std::move(listener)});
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(const ServerOptions& options) {
  auto parts = std::make_unique<Parts>();
  parts->options = options;

  if (absl::Status status = ListenAddress(options.http_address).status(); !status.ok()) {
    return status;
  }
  if (options.max_body_bytes == 0) {
    return absl::InvalidArgumentError("the body limit must be at least 1 byte");
  }
  if (options.http_idle_timeout.count() <= 0 || options.websocket_idle_timeout.count() <= 0 ||
      options.header_timeout.count() <= 0 || options.tls_handshake_timeout.count() <= 0 ||
      options.write_timeout.count() <= 0) {
    return absl::InvalidArgumentError(
        "idle timeouts, and the header, handshake and write timeouts, must be at least 1 second");
  }
  if (options.max_connections == 0u) {
    return absl::InvalidArgumentError("the connection limit must be at least 1");
  }
  if (options.max_response_bytes == 0u) {
    return absl::InvalidArgumentError("the answer limit must be at least 1 byte");
  }
  if (options.max_memory_bytes == 0) {
    return absl::InvalidArgumentError("the memory budget must be at least 1 byte");
  }
  parts->memory = std::make_unique<transport::MemoryBudget>(options.max_memory_bytes);
  if (options.websocket_ping_interval.count() < 0 || options.http2_ping_interval.count() < 0 ||
      options.max_connection_age.count() < 0 || options.max_connection_age_grace.count() < 0 ||
      options.drain_delay.count() < 0 || options.drain_timeout.count() < 0) {
    return absl::InvalidArgumentError(
        "ping intervals, the connection age and its grace, and the drain delay and timeout "
        "cannot be negative");
  }
  parts->connection_limits = {.header_timeout = options.header_timeout,
                              .tls_handshake_timeout = options.tls_handshake_timeout,
                              .write_timeout = options.write_timeout,
                              .max_age = options.max_connection_age,
                              .max_age_grace = options.max_connection_age_grace,
                              .memory = parts->memory.get()};
  parts->max_connections = options.max_connections.value_or(DefaultMaxConnections());

  absl::StatusOr<std::vector<ModelRegistry::Entry>> entries = LoadModels(options);
  if (!entries.ok()) return entries.status();
  absl::StatusOr<std::unique_ptr<ModelRegistry>> registry =
      ModelRegistry::Create(*std::move(entries), options.default_model);
  if (!registry.ok()) return registry.status();
  parts->registry = *std::move(registry);
  std::vector<std::string> model_names;
  for (const auto& model : parts->registry->models()) model_names.push_back(model->name());
  parts->metrics = std::make_unique<Metrics>(std::move(model_names));

  Scheduler::Options scheduler_options = options.scheduler;
  scheduler_options.metrics = parts->metrics.get();
  absl::StatusOr<std::unique_ptr<Scheduler>> scheduler =
      Scheduler::Create(*parts->registry, scheduler_options);
  if (!scheduler.ok()) return scheduler.status();
  parts->scheduler = *std::move(scheduler);
  parts->metrics->AddGauge(
      {.name = "predictwire_queue_depth",
       .help = "Requests waiting for a model's workers.",
       .read = [registry = parts->registry.get(), scheduler = parts->scheduler.get()] {
         std::vector<std::pair<std::string, double>> depths;
         for (const auto& model : registry->models()) {
           depths.emplace_back(Metrics::Label("model", model->name()),
                               static_cast<double>(scheduler->queued(*model)));
         }
         return depths;
       }});
  parts->metrics->AddGauge(
      {.name = "predictwire_offload_queue_depth",
       .help = "Large request bodies waiting for an offload thread to decode them.",
       .read = [scheduler = parts->scheduler.get()] {
         return std::vector<std::pair<std::string, double>>{
             {"", static_cast<double>(scheduler->offloads_waiting())}};
       }});

  parts->metrics->AddGauge(
      {.name = "predictwire_memory_budget_used_bytes",
       .help = "Bytes held for large request bodies and messages and unsent answers "
               "(--max-memory caps them).",
       .read = [memory = parts->memory.get()] {
         return std::vector<std::pair<std::string, double>>{
             {"", static_cast<double>(memory->used())}};
       }});
  parts->metrics->AddGauge({.name = "predictwire_memory_budget_limit_bytes",
                            .help = "The memory budget, --max-memory.",
                            .read = [memory = parts->memory.get()] {
                              return std::vector<std::pair<std::string, double>>{
                                  {"", static_cast<double>(memory->limit())}};
                            }});
  parts->metrics->AddGauge({.name = "predictwire_memory_refusals_total",
                            .help = "Large requests refused because the memory budget was full.",
                            .read =
                                [memory = parts->memory.get()] {
                                  return std::vector<std::pair<std::string, double>>{
                                      {"", static_cast<double>(memory->refusals())}};
                                },
                            .type = "counter"});
  parts->metrics->AddGauge(
      {.name = "predictwire_max_connections",
       .help = "Connections the server keeps open at most, --max-connections.",
       .read = [max = parts->max_connections] {
         return std::vector<std::pair<std::string, double>>{{"", static_cast<double>(max)}};
       }});

  absl::StatusOr<std::unique_ptr<transport::IoPool>> pool =
      transport::IoPool::Create(options.io_threads);
  if (!pool.ok()) return pool.status();
  parts->pool = *std::move(pool);

  const size_t max_response_bytes = options.max_response_bytes.value_or(options.max_body_bytes);
  absl::StatusOr<transport::CorsPolicy> cors = transport::CorsPolicy::Create(options.cors_origins);
  if (!cors.ok()) return cors.status();
  parts->router = std::make_unique<transport::RestRouter>(
      transport::RestRouter::Options{.server_name = "predictwire",
                                     .server_version = PREDICTWIRE_VERSION,
                                     .cors = *std::move(cors),
                                     .metrics = parts->metrics.get(),
                                     .max_response_bytes = max_response_bytes},
      *parts->registry, *parts->scheduler, parts->ready);
  parts->http1_options = {.max_body_bytes = options.max_body_bytes,
                          .idle_timeout = options.http_idle_timeout,
                          .metrics = parts->metrics.get(),
                          .memory = parts->memory.get()};
  parts->http2_options = {.max_body_bytes = options.max_body_bytes,
                          .idle_timeout = options.http_idle_timeout,
                          .ping_interval = options.http2_ping_interval,
                          .metrics = parts->metrics.get(),
                          .memory = parts->memory.get()};
  parts->websocket_options = {.max_message_bytes = options.max_body_bytes,
                              .idle_timeout = options.websocket_idle_timeout,
                              .ping_interval = options.websocket_ping_interval,
                              .metrics = parts->metrics.get(),
                              .memory = parts->memory.get(),
                              .max_response_bytes = max_response_bytes};
  parts->grpc_service = std::make_unique<transport::grpc_transport::GrpcService>(
      transport::grpc_transport::GrpcService::Options{.server_version = PREDICTWIRE_VERSION,
                                                      .max_message_bytes = options.max_body_bytes,
                                                      .metrics = parts->metrics.get(),
                                                      .memory = parts->memory.get(),
                                                      .max_response_bytes = max_response_bytes},
      *parts->registry, *parts->scheduler, parts->ready);
  Parts* raw = parts.get();
  parts->make_grpc = [raw](transport::ProtocolConnection& connection,
                           absl::AnyInvocable<void()> flush) {
    return std::make_unique<transport::grpc_transport::GrpcCalls>(connection, *raw->grpc_service,
                                                                  std::move(flush));
  };
  parts->make_websocket = [raw](transport::ProtocolConnection& connection) {
    return std::make_unique<transport::websocket::WebSocketProtocol>(
        connection, *raw->registry, *raw->scheduler, raw->websocket_options);
  };
  parts->make_http1 = [raw](transport::ProtocolConnection& connection) {
    return std::make_unique<transport::http1::Http1Protocol>(
        connection, *raw->router, raw->make_websocket, raw->http1_options);
  };
  parts->make_http2 =
      [raw](transport::ProtocolConnection& connection) -> std::unique_ptr<transport::Protocol> {
    auto protocol = transport::http2::Http2Protocol::Create(connection, *raw->router,
                                                            raw->make_grpc, raw->http2_options);
    if (!protocol.ok()) return nullptr;
    return *std::move(protocol);
  };
  parts->protocols.http = [raw](transport::ProtocolConnection& connection) {
    return std::make_unique<transport::http2::PriorKnowledgeDetector>(
        connection, raw->make_http1, raw->make_http2, raw->http1_options.idle_timeout);
  };
  if (options.tls_certificate_file.empty() != options.tls_private_key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both --tls-cert and --tls-key");
  }
  if (HasTls(options)) {
    absl::StatusOr<std::unique_ptr<transport::TlsContext>> tls =
        transport::TlsContext::CreateServer({.certificate_file = options.tls_certificate_file,
                                             .private_key_file = options.tls_private_key_file,
                                             .alpn = {"h2", "http/1.1"}});
    if (!tls.ok()) return tls.status();
    parts->tls = *std::move(tls);
  }
  for (const PortRow& row : kPorts) {
    if (!row.opens(options)) continue;
    if (absl::Status opened = parts->Open(row); !opened.ok()) return opened;
  }
  return std::unique_ptr<Server>(new Server(std::move(parts)));
}

Server::Server(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Server::~Server() { Shutdown(); }

void Server::Start() {
  parts_->started = true;
  // Large requests and TLS handshakes come and go; glibc keeps what they freed unless asked.
  // Once 16 MiB of large requests have gone and none is in flight, or every 10 s while 16 MiB
  // lie free, the heap's free memory goes back to the system, on the first IO thread's
  // once-a-second sweep (benchmarks/memory_burst.py, connection_memory.py measure it).
  parts_->pool->OnSweep(
      [memory = parts_->memory.get(), heap = std::make_shared<transport::HeapReturn>(16 << 20)] {
        if (heap->OnSweep(memory->released_total(), memory->used(), &os::FreeHeapBytes)) {
          os::ReturnFreeHeapMemory();
        }
      });
  parts_->pool->Start();
  for (Parts::OpenPort& port : parts_->ports) {
    if (port.listener) port.listener->Start();
  }
  parts_->ready = true;
  parts_->pool->NotifyReadinessChanged();  // gRPC health watchers of the ports open before
}

std::string Server::ReadyLine() const {
  std::vector<std::pair<std::string, std::string>> addresses;
  for (const Parts::OpenPort& port : parts_->ports) {
    addresses.emplace_back(port.row->key, port.address);
  }
  return transport::FormatReadyLine(addresses);
}

std::string Server::Describe() const {
  std::string text = "predictwire: models:";
  for (const auto& model : parts_->registry->models()) {
    const BackendInfo& info = model->info();
    const int64_t features = info.input.shape.size() == 2 ? info.input.shape[1] : -1;
    text += fmt::format(" {} ({}, {} features{})", model->name(), info.platform,
                        features < 0 ? std::string("any") : std::to_string(features),
                        model.get() == &parts_->registry->default_model() ? ", default" : "");
  }
  text += fmt::format("; {} IO threads", parts_->pool->size());
  return text;
}

void Server::StopReporting() {
  if (!parts_->ready.exchange(false) || !parts_->started) return;
  parts_->pool->NotifyReadinessChanged();
}

void Server::Shutdown() {
  if (parts_->stopped) return;
  parts_->stopped = true;
  StopReporting();
  if (!parts_->started) return;
  for (Parts::OpenPort& port : parts_->ports) {
    if (port.listener) port.listener->Stop();
  }
  const int64_t left = parts_->pool->Drain(parts_->options.drain_timeout);
  if (left > 0) {
    std::fprintf(stderr, "predictwire: %lld connections still open after the drain timeout\n",
                 static_cast<long long>(left));
  }
  parts_->scheduler->Shutdown();
  parts_->pool->Stop();
  // The echo serves on its own threads, so it carries on through the drain.
  for (Parts::OpenPort& port : parts_->ports) {
    if (port.echo) port.echo->Stop();
  }
}

}  // namespace predictwire::server
