#ifndef PREDICTWIRE_TRANSPORT_GRPC_GRPC_SERVICE_H_
#define PREDICTWIRE_TRANSPORT_GRPC_GRPC_SERVICE_H_

// inference.GRPCInferenceService (proto/grpc_service.proto), the Open Inference Protocol's gRPC
// API, on the server's own HTTP/2 sessions: what each method answers, given its request
// message. GrpcCalls (grpc_calls.h) does the calls' framing and bookkeeping per connection.
// Models run on the one inference path, inline when the scheduler chooses it, as for every wire.

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "core/model_registry.h"
#include "core/scheduler.h"
#include "transport/common/inference_path.h"
#include "transport/common/limits.h"
#include "transport/common/memory_budget.h"

namespace predictwire::transport::grpc_transport {

class GrpcService {
 public:
  struct Options {
    std::string server_name = "predictwire";
    std::string server_version;
    // Largest request message, compressed or inflated (--max-body).
    size_t max_message_bytes = kDefaultMaxBodyBytes;
    // Requests one ModelStreamInfer call may have in flight before its messages wait unread.
    size_t max_in_flight_per_stream = kMaxInFlightPerConnection;
    Metrics* metrics = nullptr;  // where requests are counted, if anywhere; outlives the service
    // Large request messages are charged here while they arrive (null: no budget).
    MemoryBudget* memory = nullptr;
    size_t max_response_bytes = SIZE_MAX;  // the largest answer (see InferencePath)
  };

  enum class Method {
    kUnknown,
    kServerLive,
    kServerReady,
    kModelReady,
    kServerMetadata,
    kModelMetadata,
    kModelInfer,
    kModelStreamInfer,
    kHealthCheck,  // grpc.health.v1.Health/Check
    kHealthWatch,  // grpc.health.v1.Health/Watch: a message now and at every change
  };

  // `registry`, `scheduler` and `ready` must outlive the service; `ready` answers ServerReady
  // and ModelReady.
  GrpcService(Options options, const ModelRegistry& registry, Scheduler& scheduler,
              const std::atomic<bool>& ready);

  // The method a call's :path names ("/inference.GRPCInferenceService/ModelInfer",
  // "/grpc.health.v1.Health/Check").
  static Method MethodOf(std::string_view path);

  // grpc.health.v1: the serialized HealthCheckResponse for the serialized HealthCheckRequest
  // `request`, as it stands now: the server ("") or a model SERVING while the server reports
  // ready, else NOT_SERVING; a service it does not know is NOT_FOUND for Check, and
  // SERVICE_UNKNOWN for Watch (which goes on watching). Thread-safe.
  absl::StatusOr<std::string> HealthOf(std::string_view request, bool watch) const;

  // A unary method's answer to the serialized `request`: `done` runs exactly once with the
  // status and, when OK, the serialized response, before CallUnary returns or, for ModelInfer
  // run by a worker (or decoded on an offload thread, as a request of kOffloadDecodeBytes or
  // more is), on that thread. Thread-safe.
  using UnaryDone = absl::AnyInvocable<void(absl::Status, std::string) &&>;
  // `control` carries the call's deadline and cancel flag to the model's queue.
  void CallUnary(Method method, std::string request, UnaryDone done,
                 RequestControl control = {}) const;

  // One message of a ModelStreamInfer call: `done` runs exactly once with the serialized
  // ModelStreamInferResponse (the answer or an error naming the request), as CallUnary's does.
  using StreamDone = absl::AnyInvocable<void(std::string) &&>;
  void CallStream(std::string request, StreamDone done, RequestControl control = {}) const;

  const Options& options() const { return options_; }

 private:
  const Options options_;
  const ModelRegistry& registry_;
  const std::atomic<bool>& ready_;
  const InferencePath path_;
};

}  // namespace predictwire::transport::grpc_transport

#endif  // PREDICTWIRE_TRANSPORT_GRPC_GRPC_SERVICE_H_
