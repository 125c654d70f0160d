#include "transport/grpc/grpc_server.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <limits>

#include "transport/grpc/inference_service.h"

namespace predictwire::transport::grpc_transport {

struct GrpcServer::Parts {
  std::unique_ptr<InferenceService> service;
  std::unique_ptr<::grpc::Server> server;
  bool stopped = false;
};

namespace {

// gRPC takes its limits as int.
int ClampToInt(uint64_t value) {
  return static_cast<int>(std::min<uint64_t>(value, std::numeric_limits<int>::max()));
}

// "HOST:PORT" with the port the kernel picked in place of the one asked for.
std::string WithPort(const std::string& address, int port) {
  return fmt::format("{}:{}", address.substr(0, address.rfind(':')), port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Create(const Options& options,
                                                                const ModelRegistry& registry,
                                                                Scheduler& scheduler,
                                                                const std::atomic<bool>& ready) {
  auto parts = std::make_unique<Parts>();
  parts->service = std::make_unique<InferenceService>(
      InferenceService::Options{.server_name = options.server_name,
                                .server_version = options.server_version},
      registry, scheduler, ready);

  ::grpc::ServerBuilder builder;
  // gRPC turns SO_REUSEPORT on by default, which would let two servers share a port silently.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // The limits of transport/common/limits.h, as gRPC's channel arguments.
  builder.SetMaxReceiveMessageSize(ClampToInt(options.max_message_bytes));
  builder.SetMaxSendMessageSize(ClampToInt(options.max_message_bytes));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             ClampToInt(kGrpcMaxConcurrentStreams));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                             ClampToInt(options.idle_timeout.count()));
  int port = 0;
  builder.AddListeningPort(options.address, ::grpc::InsecureServerCredentials(), &port);
  const bool tls = !options.tls_certificate_pem.empty() && !options.tls_private_key_pem.empty();
  int tls_port = 0;
  if (tls) {
    ::grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({options.tls_private_key_pem, options.tls_certificate_pem});
    builder.AddListeningPort(options.tls_address, ::grpc::SslServerCredentials(ssl), &tls_port);
  }
  builder.RegisterService(parts->service.get());
  parts->server = builder.BuildAndStart();
  if (parts->server == nullptr || port == 0 || (tls && tls_port == 0)) {
    if (parts->server) parts->server->Shutdown(std::chrono::system_clock::now());
    const std::string which =
        tls ? fmt::format("{} (and {} for TLS)", options.address, options.tls_address)
            : options.address;
    return absl::UnavailableError(fmt::format(
        "cannot listen for gRPC on {}: the address is in use or not this machine's", which));
  }
  auto server = std::unique_ptr<GrpcServer>(new GrpcServer(std::move(parts)));
  server->address_ = WithPort(options.address, port);
  if (tls) server->tls_address_ = WithPort(options.tls_address, tls_port);
  return server;
}

GrpcServer::GrpcServer(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

GrpcServer::~GrpcServer() { Shutdown(std::chrono::milliseconds(0)); }

void GrpcServer::Shutdown(std::chrono::milliseconds drain) {
  if (parts_->stopped) return;
  parts_->stopped = true;
  parts_->service->StopStreams();
  parts_->server->Shutdown(std::chrono::system_clock::now() + drain);
  parts_->server->Wait();
}

}  // namespace predictwire::transport::grpc_transport
