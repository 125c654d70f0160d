#ifndef PREDICTWIRE_SERVER_SERVER_H_
#define PREDICTWIRE_SERVER_SERVER_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "core/scheduler.h"
#include "transport/common/default_addresses.h"
#include "transport/common/limits.h"

namespace predictwire::server {

// One IO thread per CPU (docs/architecture.md, "The hot path").
inline int OneIoThreadPerCpu() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Every member holds its real default; Create rejects values that make no sense (no thread, no
// body, no idle time) rather than reading them as "the default".
struct ServerOptions {
  // HOST:PORT for HTTP/1.1 and WebSocket; port 0 lets the kernel pick.
  std::string http_address = std::string(transport::kDefaultHttpAddress);
  // HOST:PORT for HTTPS and WSS, served when a certificate and key are given.
  std::string https_address = std::string(transport::kDefaultHttpsAddress);
  // HOST:PORT for gRPC (inference.GRPCInferenceService); empty turns gRPC off.
  std::string grpc_address = std::string(transport::kDefaultGrpcAddress);
  // HOST:PORT for gRPC over TLS, served when a certificate and key are given.
  std::string grpcs_address = std::string(transport::kDefaultGrpcsAddress);
  // HOST:PORT for the raw TCP echo the load generator's tcp wires measure the floor against
  // (transport/common/tcp_echo.h); empty, the default, turns it off.
  std::string tcp_echo_address;
  std::string tls_certificate_file;  // PEM certificate chain
  std::string tls_private_key_file;  // PEM private key
  // NAME=SPEC flags (backends/backend_factory.h); empty loads the default models.
  std::vector<std::string> models;
  // The origins whose web pages may read answers (CORS) and open WebSockets besides the server's
  // own: "http://HOST[:PORT]", "https://...", or "*" for any (transport/common/cors.h).
  std::vector<std::string> cors_origins;
  // The model /predict and WebSocket messages use when they name none; empty: the first.
  std::string default_model;
  // Where the default models live; empty searches next to the binary and the working directory.
  std::string models_dir;
  int io_threads = OneIoThreadPerCpu();
  Scheduler::Options scheduler;
  // Largest HTTP request body, WebSocket message and gRPC message.
  size_t max_body_bytes = transport::kDefaultMaxBodyBytes;
  // Connections with nothing in flight are closed after this long without input: HTTP/1.1,
  // HTTP/2 and gRPC, and WebSocket.
  std::chrono::seconds http_idle_timeout = transport::kHttpIdleTimeout;
  std::chrono::seconds websocket_idle_timeout = transport::kWebSocketIdleTimeout;
  // Connection defences (transport/common/limits.h): a request head, a TLS handshake and
  // stalled output each have a deadline.
  std::chrono::seconds header_timeout = transport::kDefaultHeaderTimeout;
  std::chrono::seconds tls_handshake_timeout = transport::kDefaultTlsHandshakeTimeout;
  std::chrono::seconds write_timeout = transport::kDefaultWriteTimeout;
  // Connections open at once over every listener; none: sized from the open-file limit when the
  // server is created (DefaultMaxConnections).
  std::optional<size_t> max_connections;
  // Bytes held for large request bodies and messages and unsent answers, server-wide.
  size_t max_memory_bytes = transport::kDefaultMaxMemoryBytes;
  // The largest answer; none: max_body_bytes.
  std::optional<size_t> max_response_bytes;
  // A quiet WebSocket, and an HTTP/2 connection with a stream open, is pinged this often; one
  // that answers nothing for as long again is closed and its queued work dropped. Zero: never.
  std::chrono::seconds websocket_ping_interval = transport::kDefaultPingInterval;
  std::chrono::seconds http2_ping_interval = transport::kDefaultPingInterval;
  // Past this age (give or take 10%) a connection is asked to go, losing no request: so that
  // long-lived connections spread again over servers added later. Zero: never.
  std::chrono::seconds max_connection_age{0};
  // What a connection asked to go by its age has in flight (and a gRPC stream still open) gets
  // this long before it is ended.
  std::chrono::seconds max_connection_age_grace = transport::kDefaultMaxConnectionAgeGrace;
  // On a graceful stop: how long the server keeps serving after it reports not ready, so that
  // balancers stop sending it new work before its connections are asked to go.
  std::chrono::milliseconds drain_delay{0};
  // How long a graceful stop waits, after the delay, for what is in flight.
  std::chrono::milliseconds drain_timeout{10000};
};

// The assembled prediction server: models → scheduler → IO threads → listeners.
class Server {
 public:
  // Loads the models and binds the listening sockets. HTTP serves nothing until Start; gRPC
  // binds and starts in one step, so it answers from here on, reporting not ready until Start.
  static absl::StatusOr<std::unique_ptr<Server>> Create(const ServerOptions& options);
  ~Server();

  // Starts the IO threads and accepting connections.
  void Start();
  // The line tests and scripts wait for (with " tcp-echo=HOST:PORT" last when that is on), e.g.
  // "predictwire: listening http=127.0.0.1:8000 grpc=127.0.0.1:8001", with
  // " https=HOST:PORT grpcs=HOST:PORT" added when TLS is on.
  std::string ReadyLine() const;
  // A human summary of the models served, for stderr.
  std::string Describe() const;
  // Reports not ready from now on (the readiness routes, ServerReady, grpc.health.v1) while
  // serving goes on; Shutdown follows. Thread-safe; idempotent.
  void StopReporting();
  // Stops accepting, asks every connection to go (what is in flight is answered, within the
  // drain timeout), closes every connection and stops the threads. Idempotent.
  void Shutdown();

 private:
  struct Parts;
  explicit Server(std::unique_ptr<Parts> parts);

  std::unique_ptr<Parts> parts_;
};

// The open-file limit less a reserve (limits.h) for the server's other descriptors.
size_t DefaultMaxConnections();

}  // namespace predictwire::server

#endif  // PREDICTWIRE_SERVER_SERVER_H_
