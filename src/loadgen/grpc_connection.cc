#include "loadgen/grpc_connection.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <charconv>
#include <cstring>
#include <deque>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpc_service.grpc.pb.h"

namespace predictwire::loadgen {
namespace {

namespace asio = transport::asio;
using Clock = std::chrono::steady_clock;

// How long the first call, which opens the channel, may take.
constexpr std::chrono::seconds kConnectTimeout{10};

// "HOST:PORT", with brackets around an IPv6 host, as gRPC names a target.
std::string AddressOf(const asio::ip::tcp::endpoint& endpoint) {
  const bool v6 = endpoint.address().is_v6();
  return fmt::format("{}{}{}:{}", v6 ? "[" : "", endpoint.address().to_string(), v6 ? "]" : "",
                     endpoint.port());
}

std::string ErrorKind(const grpc::Status& status) {
  return StatusErrorKind("grpc", static_cast<int>(status.error_code()));
}

// The server timing a v2 response carries in its parameters.
std::optional<ServerTiming> TimingOf(const inference::ModelInferResponse& response) {
  const auto& parameters = response.parameters();
  const auto queue = parameters.find("queue_us");
  const auto compute = parameters.find("compute_us");
  if (queue == parameters.end() || compute == parameters.end()) return std::nullopt;
  auto clamp = [](int64_t us) {
    return static_cast<uint32_t>(std::clamp<int64_t>(us, 0, UINT32_MAX));
  };
  return ServerTiming{clamp(queue->second.int64_param()), clamp(compute->second.int64_param())};
}

// Counts gRPC callbacks still to come, so that a connection can wait for them before it goes.
class PendingCallbacks {
 public:
  void Add() {
    absl::MutexLock lock(&mutex_);
    ++count_;
  }
  void Done() {
    absl::MutexLock lock(&mutex_);
    --count_;
  }
  void WaitForNone() {
    absl::MutexLock lock(&mutex_);
    mutex_.Await(absl::Condition(
        +[](int* count) { return *count == 0; }, &count_));
  }

 private:
  absl::Mutex mutex_;
  int count_ ABSL_GUARDED_BY(mutex_) = 0;
};

class GrpcConnection;

// One ModelStreamInfer stream. gRPC calls its On* methods on its own threads; the owner calls
// Write and Cancel on the driver's thread, so the write queue is guarded. The call keeps itself
// alive until gRPC's OnDone, however soon the owner lets go of it.
class StreamCall : public grpc::ClientBidiReactor<inference::ModelInferRequest,
                                                  inference::ModelStreamInferResponse> {
 public:
  static std::shared_ptr<StreamCall> Start(GrpcConnection& owner, uint64_t generation,
                                           inference::GRPCInferenceService::Stub& stub);
  StreamCall(GrpcConnection& owner, uint64_t generation) : owner_(owner), generation_(generation) {}
  void Write(inference::ModelInferRequest request);
  void Cancel() { context_.TryCancel(); }

  void OnWriteDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  GrpcConnection& owner_;
  const uint64_t generation_;
  grpc::ClientContext context_;
  inference::ModelStreamInferResponse response_;
  absl::Mutex mutex_;
  // The front is being written.
  std::deque<inference::ModelInferRequest> writes_ ABSL_GUARDED_BY(mutex_);
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  bool done_ ABSL_GUARDED_BY(mutex_) = false;
  std::shared_ptr<StreamCall> self_ ABSL_GUARDED_BY(mutex_);  // set by Start, dropped by OnDone
};

class GrpcConnection : public WireConnection {
 public:
  GrpcConnection(const ConnectionSetup& setup)
      : context_(setup.context),
        address_(AddressOf(setup.endpoint)),
        stream_wire_(setup.wire.multiplexes),
        depth_(static_cast<size_t>(std::max(1, setup.depth))),
        listener_(setup.listener),
        tls_(setup.tls) {
    std::string bytes;
    setup.body.Append(0, &bytes);
    request_template_.ParseFromString(bytes);  // made by GrpcRequestBody
  }

  ~GrpcConnection() override {
    Close();
    pending_.WaitForNone();  // gRPC holds pointers into this until its callbacks have run
  }

  void Connect() override {
    if (state_ != State::kClosed) return;
    ++generation_;
    state_ = State::kConnecting;
    grpc::ChannelArguments arguments;
    // A channel per connection: without this, channels to one address share a subchannel.
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    arguments.SetMaxReceiveMessageSize(-1);
    std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
    if (tls_ != nullptr) {
      grpc::SslCredentialsOptions ssl;
      ssl.pem_root_certs = tls_->ca_pem;
      credentials = grpc::SslCredentials(ssl);
      if (!tls_->server_name.empty()) arguments.SetSslTargetNameOverride(tls_->server_name);
    }
    channel_ = grpc::CreateCustomChannel(address_, credentials, arguments);
    stub_ = inference::GRPCInferenceService::NewStub(channel_);
    // The first call makes the channel connect (TCP, TLS, HTTP/2 settings): its time is the
    // connection's set-up.
    struct LiveCall {
      grpc::ClientContext context;
      inference::ServerLiveRequest request;
      inference::ServerLiveResponse response;
    };
    auto call = std::make_shared<LiveCall>();
    call->context.set_deadline(std::chrono::system_clock::now() + kConnectTimeout);
    call->context.set_wait_for_ready(false);
    const Clock::time_point started = Clock::now();
    pending_.Add();
    stub_->async()->ServerLive(
        &call->context, &call->request, &call->response,
        [this, call, started, generation = generation_](grpc::Status status) {
          PostIfAlive([this, call, started, generation, status] {
            if (generation != generation_) return;
            if (!status.ok()) {
              state_ = State::kClosed;
              listener_.OnFailed(*this,
                                 status.error_code() == grpc::StatusCode::UNAVAILABLE
                                     ? std::string("refused")
                                     : ErrorKind(status),
                                 {});
              return;
            }
            if (tls_ != nullptr) ++tls_->full_handshakes;  // no session cache: always full
            listener_.OnConnected(*this, Clock::now() - started);
            if (stream_wire_) {
              stream_ = StreamCall::Start(*this, generation_, *stub_);
            }
            state_ = State::kReady;
            listener_.OnReady(*this);
          });
          pending_.Done();
        });
  }

  bool CanSend() const override { return state_ == State::kReady && in_flight_.size() < depth_; }

  void Send(uint64_t tag) override {
    inference::ModelInferRequest request = request_template_;
    request.set_id(std::to_string(tag));
    if (stream_wire_) {
      in_flight_.emplace(tag, nullptr);
      stream_->Write(std::move(request));
      return;
    }
    auto call = std::make_shared<UnaryCall>();
    call->request = std::move(request);
    in_flight_.emplace(tag, call);
    pending_.Add();
    stub_->async()->ModelInfer(&call->context, &call->request, &call->response,
                               [this, call, tag, generation = generation_](grpc::Status status) {
                                 PostIfAlive([this, call, tag, generation, status] {
                                   if (generation != generation_) return;
                                   const auto it = in_flight_.find(tag);
                                   if (it == in_flight_.end()) return;  // abandoned
                                   in_flight_.erase(it);
                                   ReplyInfo reply;
                                   if (status.ok()) {
                                     reply.timing = TimingOf(call->response);
                                   } else {
                                     reply.ok = false;
                                     reply.error = ErrorKind(status);
                                   }
                                   Complete(tag, reply);
                                 });
                                 pending_.Done();
                               });
  }

  void Abandon(uint64_t tag) override {
    const auto it = in_flight_.find(tag);
    if (it == in_flight_.end()) return;
    if (it->second) it->second->context.TryCancel();
    in_flight_.erase(it);
    // A stream's late reply is matched by id and dropped, so the stream carries on.
  }

  void Close() override {
    ++generation_;
    for (auto& [tag, call] : in_flight_) {
      if (call) call->context.TryCancel();
    }
    in_flight_.clear();
    if (stream_) stream_->Cancel();
    stream_.reset();  // the call keeps itself alive until gRPC is done with it
    state_ = State::kClosed;
  }

  // From StreamCall, on gRPC's threads.
  void PostStreamReply(uint64_t generation, inference::ModelStreamInferResponse response) {
    PostIfAlive([this, generation, response = std::move(response)] {
      if (generation != generation_) return;
      uint64_t tag = 0;
      const std::string& id = response.infer_response().id();
      auto it = in_flight_.end();
      if (std::from_chars(id.data(), id.data() + id.size(), tag).ec == std::errc()) {
        it = in_flight_.find(tag);
      } else if (!in_flight_.empty()) {
        it = in_flight_.begin();  // an error without an id: the oldest request
      }
      if (it == in_flight_.end()) return;  // abandoned after a timeout
      tag = it->first;
      in_flight_.erase(it);
      ReplyInfo reply;
      if (!response.error_message().empty()) {
        reply.ok = false;
        reply.error = "grpc_stream_error";  // ModelStreamInfer carries a message, no code
      } else {
        reply.timing = TimingOf(response.infer_response());
      }
      Complete(tag, reply);
    });
  }
  void PostStreamDone(uint64_t generation, grpc::Status status) {
    PostIfAlive([this, generation, status] {
      if (generation != generation_) return;
      std::vector<uint64_t> lost;
      for (const auto& [tag, call] : in_flight_) lost.push_back(tag);
      Close();
      listener_.OnFailed(*this, status.ok() ? std::string("closed") : ErrorKind(status), lost);
    });
  }
  PendingCallbacks& pending() { return pending_; }

 private:
  enum class State { kClosed, kConnecting, kReady };
  struct UnaryCall {
    grpc::ClientContext context;
    inference::ModelInferRequest request;
    inference::ModelInferResponse response;
  };

  // Runs `work` on the driver's thread unless this connection is gone by then: gRPC's
  // callbacks post work and may finish before it runs.
  template <typename Work>
  void PostIfAlive(Work work) {
    asio::post(context_, [alive = std::weak_ptr<int>(alive_), work = std::move(work)]() mutable {
      if (!alive.expired()) work();
    });
  }

  void Complete(uint64_t tag, const ReplyInfo& reply) {
    const uint64_t generation = generation_;
    listener_.OnReply(*this, tag, reply);
    if (generation == generation_ && CanSend()) listener_.OnReady(*this);
  }

  asio::io_context& context_;
  const std::string address_;
  const bool stream_wire_;  // grpc-stream: every request on one ModelStreamInfer stream
  const size_t depth_;
  ConnectionListener& listener_;
  TlsClient* const tls_;
  inference::ModelInferRequest request_template_;

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub_;
  std::shared_ptr<StreamCall> stream_;
  State state_ = State::kClosed;
  uint64_t generation_ = 0;  // bumped on close: completions of an older channel are ignored
  // Requests in flight by tag; unary calls keep their call for cancelling.
  std::map<uint64_t, std::shared_ptr<UnaryCall>> in_flight_;
  PendingCallbacks pending_;
  // Expires with the connection; posted work checks it (both run on the driver's thread).
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

std::shared_ptr<StreamCall> StreamCall::Start(GrpcConnection& owner, uint64_t generation,
                                              inference::GRPCInferenceService::Stub& stub) {
  auto call = std::make_shared<StreamCall>(owner, generation);
  {
    absl::MutexLock lock(&call->mutex_);
    call->self_ = call;
  }
  owner.pending().Add();  // until OnDone
  stub.async()->ModelStreamInfer(&call->context_, call.get());
  call->StartRead(&call->response_);
  call->StartCall();
  return call;
}

void StreamCall::Write(inference::ModelInferRequest request) {
  absl::MutexLock lock(&mutex_);
  if (done_) return;
  writes_.push_back(std::move(request));
  if (!writing_) {
    writing_ = true;
    StartWrite(&writes_.front());
  }
}

void StreamCall::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mutex_);
  writes_.pop_front();
  if (!ok || writes_.empty()) {
    writing_ = false;
    return;
  }
  StartWrite(&writes_.front());
}

void StreamCall::OnReadDone(bool ok) {
  if (!ok) return;  // the stream ended: OnDone follows
  owner_.PostStreamReply(generation_, std::move(response_));
  response_.Clear();
  StartRead(&response_);
}

void StreamCall::OnDone(const grpc::Status& status) {
  std::shared_ptr<StreamCall> keep;
  {
    absl::MutexLock lock(&mutex_);
    done_ = true;
    keep = std::move(self_);
  }
  owner_.PostStreamDone(generation_, status);
  owner_.pending().Done();  // the owner may be waiting to go; `keep` ends this call after it
}

}  // namespace

absl::StatusOr<RequestBody> GrpcRequestBody(const PayloadOptions& options) {
  if (options.model.empty()) {
    return absl::InvalidArgumentError(
        "the gRPC wires need --model: the Open Inference Protocol names the model in every "
        "request");
  }
  if (options.shape != PayloadShape::kPredict) {
    return absl::InvalidArgumentError("--payload is for the rest wires; gRPC sends protobuf");
  }
  if (options.features < 1 || options.rows < 1) {
    return absl::InvalidArgumentError("--features and --rows must be >= 1");
  }
  inference::ModelInferRequest request;
  request.set_model_name(options.model);
  auto* input = request.add_inputs();
  input->set_name("features");
  input->set_datatype("FP32");
  input->add_shape(options.rows);
  input->add_shape(options.features);
  std::string raw(static_cast<size_t>(options.rows) * options.features * sizeof(float), '\0');
  for (int i = 0; i < options.rows * options.features; ++i) {
    const float value = FeatureValue(i % options.features);
    std::memcpy(raw.data() + i * sizeof(float), &value, sizeof(float));
  }
  request.add_raw_input_contents(std::move(raw));
  // Each call sets its own id on a copy of this message.
  return RequestBody("", request.SerializeAsString(), "", RequestBody::IdSlot::kNone, 0,
                     /*binary=*/true);
}

std::unique_ptr<WireConnection> MakeGrpcConnection(const ConnectionSetup& setup) {
  return std::make_unique<GrpcConnection>(setup);
}

}  // namespace predictwire::loadgen
