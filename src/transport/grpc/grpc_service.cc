#include "transport/grpc/grpc_service.h"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "codec/v2_proto.h"
#include "grpc_service.pb.h"
#include "health.pb.h"
#include "transport/grpc/grpc_formats.h"

namespace predictwire::transport::grpc_transport {
namespace {

constexpr std::string_view kServicePrefix = "/inference.GRPCInferenceService/";
constexpr std::string_view kHealthPrefix = "/grpc.health.v1.Health/";

// Parses `request` as a `Request`; InvalidArgument when it is not one.
template <typename Request>
absl::StatusOr<Request> Parse(std::string_view bytes) {
  Request request;
  if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("the message is not an inference." +
                                      std::string(Request::descriptor()->name()));
  }
  return request;
}

}  // namespace

GrpcService::GrpcService(Options options, const ModelRegistry& registry, Scheduler& scheduler,
                         const std::atomic<bool>& ready)
    : options_(std::move(options)),
      registry_(registry),
      ready_(ready),
      path_(registry, scheduler, options_.metrics, RequestProtocol::kGrpc,
            options_.max_response_bytes) {}

GrpcService::Method GrpcService::MethodOf(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, Method>, 7> kMethods = {{
      {"ServerLive", Method::kServerLive},
      {"ServerReady", Method::kServerReady},
      {"ModelReady", Method::kModelReady},
      {"ServerMetadata", Method::kServerMetadata},
      {"ModelMetadata", Method::kModelMetadata},
      {"ModelInfer", Method::kModelInfer},
      {"ModelStreamInfer", Method::kModelStreamInfer},
  }};
  if (path.starts_with(kHealthPrefix)) {
    path.remove_prefix(kHealthPrefix.size());
    return path == "Check"   ? Method::kHealthCheck
           : path == "Watch" ? Method::kHealthWatch
                             : Method::kUnknown;
  }
  if (!path.starts_with(kServicePrefix)) return Method::kUnknown;
  path.remove_prefix(kServicePrefix.size());
  for (const auto& [name, method] : kMethods) {
    if (path == name) return method;
  }
  return Method::kUnknown;
}

namespace {
// The message itself is a ModelInfer format's input.
std::string_view WholeMessage(std::string_view message) { return message; }
}  // namespace

void GrpcService::CallUnary(Method method, std::string request, UnaryDone done,
                            RequestControl control) const {
  const bool ready = ready_.load(std::memory_order_relaxed);
  switch (method) {
    case Method::kServerLive: {
      inference::ServerLiveResponse response;
      response.set_live(true);
      return std::move(done)(absl::OkStatus(), response.SerializeAsString());
    }
    case Method::kServerReady: {
      inference::ServerReadyResponse response;
      response.set_ready(ready);
      return std::move(done)(absl::OkStatus(), response.SerializeAsString());
    }
    case Method::kModelReady: {
      auto parsed = Parse<inference::ModelReadyRequest>(request);
      if (!parsed.ok()) return std::move(done)(parsed.status(), "");
      absl::StatusOr<const Model*> model =
          FindV2Model(registry_, parsed->name(), parsed->version());
      if (!model.ok()) return std::move(done)(model.status(), "");
      inference::ModelReadyResponse response;
      response.set_ready(ready);
      return std::move(done)(absl::OkStatus(), response.SerializeAsString());
    }
    case Method::kServerMetadata: {
      inference::ServerMetadataResponse response;
      response.set_name(options_.server_name);
      response.set_version(options_.server_version);
      // The binary tensor data extension is HTTP's; gRPC carries raw bytes natively.
      return std::move(done)(absl::OkStatus(), response.SerializeAsString());
    }
    case Method::kModelMetadata: {
      auto parsed = Parse<inference::ModelMetadataRequest>(request);
      if (!parsed.ok()) return std::move(done)(parsed.status(), "");
      absl::StatusOr<const Model*> model =
          FindV2Model(registry_, parsed->name(), parsed->version());
      if (!model.ok()) return std::move(done)(model.status(), "");
      inference::ModelMetadataResponse response;
      codec::ToProto((*model)->name(), codec::kV2ModelVersion, (*model)->info(), &response,
                     (*model)->Properties());
      return std::move(done)(absl::OkStatus(), response.SerializeAsString());
    }
    case Method::kModelInfer:
      return path_.RunOwned<GrpcInferFormat>(
          std::move(request), WholeMessage,
          [done = std::move(done)](GrpcInferFormat::Reply reply) mutable {
            std::move(done)(std::move(reply.status), std::move(reply.message));
          },
          std::move(control));
    case Method::kHealthCheck: {
      absl::StatusOr<std::string> response = HealthOf(request, /*watch=*/false);
      if (!response.ok()) return std::move(done)(response.status(), "");
      return std::move(done)(absl::OkStatus(), *std::move(response));
    }
    case Method::kModelStreamInfer:
    case Method::kHealthWatch:
    case Method::kUnknown:
      break;
  }
  std::move(done)(absl::UnimplementedError("not a unary method of inference.GRPCInferenceService"),
                  "");
}

absl::StatusOr<std::string> GrpcService::HealthOf(std::string_view request, bool watch) const {
  grpc::health::v1::HealthCheckRequest parsed;
  if (!parsed.ParseFromArray(request.data(), static_cast<int>(request.size()))) {
    return absl::InvalidArgumentError("the message is not a grpc.health.v1.HealthCheckRequest");
  }
  using Response = grpc::health::v1::HealthCheckResponse;
  Response response;
  const bool known = parsed.service().empty() || registry_.Find(parsed.service()) != nullptr;
  if (!known) {
    if (!watch) {
      return absl::NotFoundError(
          fmt::format("no service '{}': the server is \"\" and each model "
                      "is its name",
                      parsed.service()));
    }
    response.set_status(Response::SERVICE_UNKNOWN);
  } else {
    response.set_status(ready_.load(std::memory_order_relaxed) ? Response::SERVING
                                                               : Response::NOT_SERVING);
  }
  return response.SerializeAsString();
}

void GrpcService::CallStream(std::string request, StreamDone done, RequestControl control) const {
  path_.RunOwned<GrpcStreamInferFormat>(std::move(request), WholeMessage, std::move(done),
                                        std::move(control));
}

}  // namespace predictwire::transport::grpc_transport
