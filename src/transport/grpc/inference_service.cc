#include "transport/grpc/inference_service.h"

#include <deque>
#include <memory>

#include "codec/v2_proto.h"
#include "transport/grpc/grpc_formats.h"
#include "transport/grpc/grpc_status.h"

namespace predictwire::transport::grpc_transport {

using inference::ModelInferRequest;
using inference::ModelInferResponse;
using inference::ModelStreamInferResponse;

// One ModelStreamInfer call. gRPC calls the On* reactions on its threads and the scheduler's
// completions arrive on worker threads, so the state below is guarded by mutex_; gRPC's Start*
// and Finish are called with mutex_ released. The stream deletes itself in OnDone, which gRPC
// calls after Finish, on any thread; so Finish waits until no request is in flight and no thread
// is inside a method with mutex_ released (busy_), and nothing touches the stream after it.
class InferenceService::Stream final
    : public ::grpc::ServerBidiReactor<ModelInferRequest, ModelStreamInferResponse> {
 public:
  explicit Stream(InferenceService& service) : service_(service) {
    if (!service_.Register(this)) {
      registered_ = false;
      finished_ = true;
      Finish(::grpc::Status(::grpc::StatusCode::UNAVAILABLE, "the server is stopping"));
      return;
    }
    StartRead(&request_);
    mutex_.Lock();
    --busy_;  // the read above
    FinishIfDone();
  }

  // Ends the stream once what is in flight is answered; from StopStreams.
  void Stop() {
    mutex_.Lock();
    stopping_ = true;
    FinishIfDone();
  }

  void OnReadDone(bool ok) override {
    mutex_.Lock();
    if (!ok) {
      reading_ = false;
      reads_ended_ = true;
      FinishIfDone();
      return;
    }
    if (finished_ || stopping_) {  // arrived while ending: not answered
      reading_ = false;
      mutex_.Unlock();
      return;
    }
    ++in_flight_;
    ++busy_;
    // reading_ stays set while request_ is decoded, so an answer arriving meanwhile does not
    // start the next read into it.
    mutex_.Unlock();

    service_.path_.Run<GrpcStreamInferFormat>(
        request_,
        [this](std::unique_ptr<ModelStreamInferResponse> answer) { Answered(std::move(answer)); });
    request_.Clear();

    mutex_.Lock();
    --busy_;
    reading_ = false;
    ReadMoreIfRoom();
    FinishIfDone();
  }

  void OnWriteDone(bool ok) override {
    mutex_.Lock();
    writes_.pop_front();
    writing_ = false;
    if (!ok) {
      // The client went away: what is still queued or in flight has nowhere to go.
      write_failed_ = true;
      writes_.clear();
    }
    WriteNext();
    FinishIfDone();
  }

  void OnDone() override {
    if (registered_) service_.Unregister(this);
    delete this;
  }

 private:
  // A request's answer (or error), from a worker thread or, for an error, from OnReadDone.
  void Answered(std::unique_ptr<ModelStreamInferResponse> answer) {
    mutex_.Lock();
    --in_flight_;
    ++busy_;  // a worker thread, which gRPC does not wait for before OnDone
    if (!write_failed_) writes_.push_back(std::move(answer));
    WriteNext();
    if (!reading_) ReadMoreIfRoom();
    --busy_;
    FinishIfDone();
  }

  // Starts the next read unless one is pending, the stream is ending, or too much is in flight.
  // Releases mutex_ around StartRead.
  void ReadMoreIfRoom() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (reading_ || reads_ended_ || finished_ || stopping_ ||
        in_flight_ >= service_.options_.max_in_flight_per_stream) {
      return;
    }
    reading_ = true;
    ++busy_;
    mutex_.Unlock();
    StartRead(&request_);
    mutex_.Lock();
    --busy_;
  }

  // Starts writing the front of writes_; releases mutex_ around StartWrite.
  void WriteNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (writing_ || writes_.empty() || finished_) return;
    writing_ = true;
    ModelStreamInferResponse* next = writes_.front().get();
    ++busy_;
    mutex_.Unlock();
    StartWrite(next);
    mutex_.Lock();
    --busy_;
  }

  // Releases mutex_, and finishes the call if nothing is in flight or being written, no other
  // thread is busy with the stream, and the client is done sending (or the server is stopping,
  // or the client is gone). Once it finishes the stream may be gone at once: every caller calls
  // it last.
  void FinishIfDone() ABSL_UNLOCK_FUNCTION(mutex_) {
    if (finished_ || in_flight_ > 0 || busy_ > 0 || writing_ || !writes_.empty() ||
        (!reads_ended_ && !stopping_ && !write_failed_)) {
      mutex_.Unlock();
      return;
    }
    finished_ = true;
    mutex_.Unlock();
    Finish(::grpc::Status::OK);
  }

  InferenceService& service_;
  bool registered_ = true;
  ModelInferRequest request_;  // the read in progress; only the reading reaction touches it

  absl::Mutex mutex_;
  // The front is being written.
  std::deque<std::unique_ptr<ModelStreamInferResponse>> writes_ ABSL_GUARDED_BY(mutex_);
  size_t in_flight_ ABSL_GUARDED_BY(mutex_) = 0;  // submitted, not yet answered
  // Threads using the stream with mutex_ released (first: the constructor).
  int busy_ ABSL_GUARDED_BY(mutex_) = 1;
  bool reading_ ABSL_GUARDED_BY(mutex_) = true;  // a read is pending (the constructor starts one)
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  bool reads_ended_ ABSL_GUARDED_BY(mutex_) = false;   // the client half-closed, or cancelled
  bool write_failed_ ABSL_GUARDED_BY(mutex_) = false;  // the client is gone
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;      // the server is stopping
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;      // Finish has been called
};

InferenceService::InferenceService(Options options, const ModelRegistry& registry,
                                   Scheduler& scheduler, const std::atomic<bool>& ready)
    : options_(std::move(options)),
      registry_(registry),
      path_(registry, scheduler, Scheduler::Placement::kWorkerOnly),
      ready_(ready) {}

InferenceService::~InferenceService() = default;

void InferenceService::StopStreams() {
  absl::MutexLock lock(&streams_mutex_);
  stopping_ = true;
  for (Stream* stream : streams_) stream->Stop();
}

bool InferenceService::Register(Stream* stream) {
  absl::MutexLock lock(&streams_mutex_);
  if (stopping_) return false;
  streams_.insert(stream);
  return true;
}

void InferenceService::Unregister(Stream* stream) {
  absl::MutexLock lock(&streams_mutex_);
  streams_.erase(stream);
}

::grpc::ServerUnaryReactor* InferenceService::ServerLive(::grpc::CallbackServerContext* context,
                                                         const inference::ServerLiveRequest*,
                                                         inference::ServerLiveResponse* response) {
  response->set_live(true);
  ::grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(::grpc::Status::OK);
  return reactor;
}

::grpc::ServerUnaryReactor* InferenceService::ServerReady(
    ::grpc::CallbackServerContext* context, const inference::ServerReadyRequest*,
    inference::ServerReadyResponse* response) {
  response->set_ready(ready_.load(std::memory_order_relaxed));
  ::grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(::grpc::Status::OK);
  return reactor;
}

::grpc::ServerUnaryReactor* InferenceService::ModelReady(::grpc::CallbackServerContext* context,
                                                         const inference::ModelReadyRequest* request,
                                                         inference::ModelReadyResponse* response) {
  ::grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<const Model*> model = FindV2Model(registry_, request->name(), request->version());
  if (model.ok()) response->set_ready(ready_.load(std::memory_order_relaxed));
  reactor->Finish(ToGrpcStatus(model.status()));
  return reactor;
}

::grpc::ServerUnaryReactor* InferenceService::ServerMetadata(
    ::grpc::CallbackServerContext* context, const inference::ServerMetadataRequest*,
    inference::ServerMetadataResponse* response) {
  response->set_name(options_.server_name);
  response->set_version(options_.server_version);
  // The binary tensor data extension is HTTP's; gRPC carries raw bytes natively.
  ::grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(::grpc::Status::OK);
  return reactor;
}

::grpc::ServerUnaryReactor* InferenceService::ModelMetadata(
    ::grpc::CallbackServerContext* context, const inference::ModelMetadataRequest* request,
    inference::ModelMetadataResponse* response) {
  ::grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<const Model*> model = FindV2Model(registry_, request->name(), request->version());
  if (model.ok()) {
    codec::ToProto((*model)->name(), codec::kV2ModelVersion, (*model)->info(), response);
  }
  reactor->Finish(ToGrpcStatus(model.status()));
  return reactor;
}

::grpc::ServerUnaryReactor* InferenceService::ModelInfer(::grpc::CallbackServerContext* context,
                                                         const ModelInferRequest* request,
                                                         ModelInferResponse* response) {
  ::grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  path_.Run<GrpcInferFormat>({*request, response},
                             [reactor](::grpc::Status status) { reactor->Finish(status); });
  return reactor;
}

::grpc::ServerBidiReactor<ModelInferRequest, ModelStreamInferResponse>*
InferenceService::ModelStreamInfer(::grpc::CallbackServerContext*) {
  return new Stream(*this);
}

}  // namespace predictwire::transport::grpc_transport
