#ifndef PREDICTWIRE_TRANSPORT_GRPC_GRPC_CALLS_H_
#define PREDICTWIRE_TRANSPORT_GRPC_GRPC_CALLS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "transport/common/protocol_connection.h"
#include "transport/grpc/grpc_framing.h"
#include "transport/grpc/grpc_service.h"
#include "transport/http2/server_session.h"

namespace predictwire::transport::grpc_transport {

// The gRPC calls of one HTTP/2 connection: each call's request messages (length-prefixed,
// inflated when compressed), the method they go to, and its answers, written on the call's
// stream as they complete and ended with the call's status in trailers.
//
// A unary call is answered once the client has sent its one message. A ModelStreamInfer call's
// messages are answered one by one, in the order their models finish, each matched by its id;
// the call ends (OK) when the client has half-closed and every answer is out, and stops reading
// while max_in_flight_per_stream are in flight. grpc-timeout sets a deadline: an answer that
// comes after it is replaced by DEADLINE_EXCEEDED. Completions from worker threads come back
// through ProtocolConnection::Complete. Used on the connection's IO thread only.
class GrpcCalls : public http2::GrpcCallHandler {
 public:
  // `connection` and `service` must outlive this. `flush` sends what the session has queued
  // (the owner's, which knows whether it is inside its input handling); it is called after a
  // completion, never while a call is being handled, since sending may close and forget calls.
  GrpcCalls(ProtocolConnection& connection, const GrpcService& service,
            absl::AnyInvocable<void()> flush);

  void Attach(http2::ServerSession* session) override { session_ = session; }

  void OnCallBegin(int32_t stream_id, const http2::GrpcCallHeaders& headers) override;
  void OnCallData(int32_t stream_id, std::string_view bytes) override;
  void OnCallHalfClosed(int32_t stream_id) override;
  void OnCallClosed(int32_t stream_id, bool reset) override;

  // Unary calls carry on; a stream call reads no more messages and ends, UNAVAILABLE, once what
  // it has in flight is answered (a health Watch at once): its client sends again on a new
  // connection what was not answered.
  void GoAway() override;
  void EndCalls() override;
  void OnReadinessChanged() override;
  size_t open_calls() const override { return calls_.size(); }
  void ReleaseIdleMemory() override {
    if (calls_.empty()) decltype(calls_)().swap(calls_);  // its buckets
  }

 private:
  struct Call {
    Call(size_t max_message_bytes, MemoryBudget* memory) : reader(max_message_bytes, memory) {}
    GrpcService::Method method = GrpcService::Method::kUnknown;
    MessageReader reader;
    std::string encoding;  // grpc-encoding of compressed messages
    std::optional<std::chrono::steady_clock::time_point> deadline;
    std::optional<std::string> unary_request;  // a unary call's message, until answered
    size_t in_flight = 0;
    size_t unacknowledged_bytes = 0;  // received, not yet given back to flow control
    bool half_closed = false;
    bool answering = false;  // a unary call went to its method
    bool finished = false;
    bool reading = false;  // inside ReadMessages
    // grpc.health.v1 Watch: the request, once read, and the last answer sent.
    std::optional<std::string> watch_request;
    std::string watched_answer;
  };

  // Inside a completion: the session's output is sent once the outermost one is done.
  class Busy {
   public:
    explicit Busy(GrpcCalls& calls) : calls_(calls) { ++calls_.busy_; }
    ~Busy();
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;

   private:
    GrpcCalls& calls_;
  };

  // Reads every whole message the call has room for; false once the call is finished.
  bool ReadMessages(int32_t stream_id, Call& call);
  bool ReadMessagesNow(int32_t stream_id, Call& call);
  // A method's answer, back on the IO thread.
  void OnUnaryAnswer(int32_t stream_id, absl::Status status, std::string response);
  void OnStreamAnswer(int32_t stream_id, std::string answer);
  void StartUnary(int32_t stream_id, Call& call);
  // Watch: sends the health it asks for if that changed since its last message.
  void AnswerWatch(int32_t stream_id, Call& call);
  void StartStreamMessage(int32_t stream_id, Call& call, std::string message);
  // Ends the call with `status` (its trailers); it is forgotten when the stream closes.
  void Finish(int32_t stream_id, Call& call, const absl::Status& status);
  // A ModelStreamInfer call ends once the client is done and nothing is in flight.
  void FinishStreamIfDone(int32_t stream_id, Call& call);
  bool PastDeadline(const Call& call) const;
  // What the call's requests carry into the scheduler: its deadline, its stream's cancel flag.
  RequestControl ControlOf(int32_t stream_id, const Call& call) const;
  // The call, if it is still open (a completion may come after the client reset it).
  Call* Find(int32_t stream_id);

  ProtocolConnection& connection_;
  const GrpcService& service_;
  absl::AnyInvocable<void()> flush_;
  http2::ServerSession* session_ = nullptr;
  std::unordered_map<int32_t, Call> calls_;
  bool going_away_ = false;
  int busy_ = 0;  // completions running (one may run inline inside another)
};

}  // namespace predictwire::transport::grpc_transport

#endif  // PREDICTWIRE_TRANSPORT_GRPC_GRPC_CALLS_H_
