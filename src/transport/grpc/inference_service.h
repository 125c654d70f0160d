#ifndef PREDICTWIRE_TRANSPORT_GRPC_INFERENCE_SERVICE_H_
#define PREDICTWIRE_TRANSPORT_GRPC_INFERENCE_SERVICE_H_

// inference.GRPCInferenceService (proto/grpc_service.proto) on gRPC's callback API. gRPC's
// threads decode, validate and submit through the shared InferencePath; models run on the
// scheduler's workers, which finish the call (or queue the stream's answer) when the model is
// done. Only grpc_server.cc and tests include this header.

#include <atomic>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "core/model_registry.h"
#include "core/scheduler.h"
#include "grpc_service.grpc.pb.h"
#include "transport/common/inference_path.h"
#include "transport/common/limits.h"

namespace predictwire::transport::grpc_transport {

class InferenceService final : public inference::GRPCInferenceService::CallbackService {
 public:
  struct Options {
    std::string server_name = "predictwire";
    std::string server_version;
    // Requests one ModelStreamInfer stream may have in flight; beyond it the stream stops
    // reading until answers go out, so a fast writer meets HTTP/2 flow control, not our memory.
    size_t max_in_flight_per_stream = kMaxInFlightPerConnection;
  };

  // `registry`, `scheduler` and `ready` must outlive the service; `ready` answers ServerReady and
  // ModelReady.
  InferenceService(Options options, const ModelRegistry& registry, Scheduler& scheduler,
                   const std::atomic<bool>& ready);
  ~InferenceService() override;

  // Ends every open stream as soon as the requests it has in flight are answered, and every
  // later stream at once (UNAVAILABLE). For a graceful stop; thread-safe.
  void StopStreams();

  ::grpc::ServerUnaryReactor* ServerLive(::grpc::CallbackServerContext* context,
                                         const inference::ServerLiveRequest* request,
                                         inference::ServerLiveResponse* response) override;
  ::grpc::ServerUnaryReactor* ServerReady(::grpc::CallbackServerContext* context,
                                          const inference::ServerReadyRequest* request,
                                          inference::ServerReadyResponse* response) override;
  ::grpc::ServerUnaryReactor* ModelReady(::grpc::CallbackServerContext* context,
                                         const inference::ModelReadyRequest* request,
                                         inference::ModelReadyResponse* response) override;
  ::grpc::ServerUnaryReactor* ServerMetadata(::grpc::CallbackServerContext* context,
                                             const inference::ServerMetadataRequest* request,
                                             inference::ServerMetadataResponse* response) override;
  ::grpc::ServerUnaryReactor* ModelMetadata(::grpc::CallbackServerContext* context,
                                            const inference::ModelMetadataRequest* request,
                                            inference::ModelMetadataResponse* response) override;
  ::grpc::ServerUnaryReactor* ModelInfer(::grpc::CallbackServerContext* context,
                                         const inference::ModelInferRequest* request,
                                         inference::ModelInferResponse* response) override;
  ::grpc::ServerBidiReactor<inference::ModelInferRequest, inference::ModelStreamInferResponse>*
  ModelStreamInfer(::grpc::CallbackServerContext* context) override;

 private:
  class Stream;

  // Adds a stream to the open set, or returns false when the service is stopping.
  bool Register(Stream* stream);
  void Unregister(Stream* stream);

  const Options options_;
  const ModelRegistry& registry_;
  // gRPC's threads are gRPC's: a model never runs on them, however fast (kWorkerOnly).
  const InferencePath path_;
  const std::atomic<bool>& ready_;

  absl::Mutex streams_mutex_;
  std::set<Stream*> streams_ ABSL_GUARDED_BY(streams_mutex_);
  bool stopping_ ABSL_GUARDED_BY(streams_mutex_) = false;
};

}  // namespace predictwire::transport::grpc_transport

#endif  // PREDICTWIRE_TRANSPORT_GRPC_INFERENCE_SERVICE_H_
