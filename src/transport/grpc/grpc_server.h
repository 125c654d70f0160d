#ifndef PREDICTWIRE_TRANSPORT_GRPC_GRPC_SERVER_H_
#define PREDICTWIRE_TRANSPORT_GRPC_GRPC_SERVER_H_

// The gRPC endpoint: inference.GRPCInferenceService on its own address, in the clear and,
// with a certificate, over TLS on a second address. No gRPC header leaks out of this one.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/model_registry.h"
#include "core/scheduler.h"
#include "transport/common/limits.h"

namespace predictwire::transport::grpc_transport {

class GrpcServer {
 public:
  struct Options {
    std::string address = "127.0.0.1:8001";  // HOST:PORT in the clear; port 0 picks one
    // HOST:PORT for gRPC over TLS, served when both PEM strings below are set.
    std::string tls_address;
    std::string tls_certificate_pem;
    std::string tls_private_key_pem;
    size_t max_message_bytes = kDefaultGrpcMaxMessageBytes;  // each way; --max-body
    // A connection with no call in flight is closed after this long; --idle-timeout.
    std::chrono::milliseconds idle_timeout = kGrpcIdleTimeout;
    std::string server_name = "predictwire";
    std::string server_version;
  };

  // Binds and starts serving. `registry`, `scheduler` and `ready` must outlive the server.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Create(const Options& options,
                                                            const ModelRegistry& registry,
                                                            Scheduler& scheduler,
                                                            const std::atomic<bool>& ready);
  ~GrpcServer();  // Shutdown with no wait

  // Bound addresses as HOST:PORT (the TLS one empty without TLS).
  const std::string& address() const { return address_; }
  const std::string& tls_address() const { return tls_address_; }

  // Stops accepting calls, ends streams once their requests are answered, waits up to `drain`
  // for calls in flight and cancels the rest. Idempotent; blocks.
  void Shutdown(std::chrono::milliseconds drain);

 private:
  struct Parts;
  explicit GrpcServer(std::unique_ptr<Parts> parts);

  std::unique_ptr<Parts> parts_;
  std::string address_;
  std::string tls_address_;
};

}  // namespace predictwire::transport::grpc_transport

#endif  // PREDICTWIRE_TRANSPORT_GRPC_GRPC_SERVER_H_
