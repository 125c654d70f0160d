#include "transport/grpc/grpc_calls.h"

#include <fmt/format.h>

#include <utility>

namespace predictwire::transport::grpc_transport {
namespace {

// How a call ends that the connection's going away cut short.
absl::Status GoingAway() {
  return absl::UnavailableError(
      "the connection is going away: send again on a new connection what was not answered");
}

}  // namespace

using Clock = std::chrono::steady_clock;

GrpcCalls::GrpcCalls(ProtocolConnection& connection, const GrpcService& service,
                     absl::AnyInvocable<void()> flush)
    : connection_(connection), service_(service), flush_(std::move(flush)) {}

GrpcCalls::Call* GrpcCalls::Find(int32_t stream_id) {
  const auto found = calls_.find(stream_id);
  return found == calls_.end() || found->second.finished ? nullptr : &found->second;
}

void GrpcCalls::OnCallBegin(int32_t stream_id, const http2::GrpcCallHeaders& headers) {
  Call& call =
      calls_.try_emplace(stream_id, service_.options().max_message_bytes, service_.options().memory)
          .first->second;
  call.method = GrpcService::MethodOf(headers.path);
  call.encoding = std::string(headers.encoding);
  if (!headers.timeout.empty()) {
    const std::optional<std::chrono::nanoseconds> timeout = ParseGrpcTimeout(headers.timeout);
    if (!timeout) {
      return Finish(stream_id, call,
                    absl::InvalidArgumentError(fmt::format(
                        "grpc-timeout '{}' is not a timeout (digits and a unit: H M S m u n)",
                        headers.timeout)));
    }
    call.deadline = Clock::now() + *timeout;
  }
  if (call.method == GrpcService::Method::kUnknown) {
    return Finish(stream_id, call,
                  absl::UnimplementedError(fmt::format(
                      "{} is not a method of inference.GRPCInferenceService", headers.path)));
  }
}

void GrpcCalls::OnCallData(int32_t stream_id, std::string_view bytes) {
  Call* call = Find(stream_id);
  if (call == nullptr) return;
  call->reader.Feed(bytes);
  call->unacknowledged_bytes += bytes.size();
  ReadMessages(stream_id, *call);
}

bool GrpcCalls::ReadMessages(int32_t stream_id, Call& call) {
  // An answer made inline while this loop starts a message comes back here: the loop goes on.
  if (call.reading) return !call.finished;
  call.reading = true;
  const bool open = ReadMessagesNow(stream_id, call);
  call.reading = false;
  return open;
}

bool GrpcCalls::ReadMessagesNow(int32_t stream_id, Call& call) {
  const size_t cap = service_.options().max_in_flight_per_stream;
  // While the call takes messages, the client may send more: its bytes so far are acknowledged
  // (the stream's window reopens). At the cap they are not, until an answer makes room.
  if (call.in_flight < cap && !going_away_) {
    session_->GrpcConsumed(stream_id, std::exchange(call.unacknowledged_bytes, 0));
  }
  while (!call.finished && !going_away_ && call.in_flight < cap) {
    absl::StatusOr<std::optional<MessageReader::Message>> next = call.reader.Next();
    if (!next.ok()) {
      Finish(stream_id, call, next.status());
      return false;
    }
    if (!next->has_value()) {
      // Every whole message is read: bytes left over after the client's last are a message cut
      // short.
      if (call.half_closed && call.reader.has_partial_message()) {
        Finish(stream_id, call,
               absl::InvalidArgumentError("the request stream ended inside a message"));
        return false;
      }
      return true;
    }
    MessageReader::Message& message = **next;
    if (message.compressed) {
      absl::StatusOr<std::string> inflated =
          Decompress(call.encoding, message.bytes, service_.options().max_message_bytes);
      if (!inflated.ok()) {
        Finish(stream_id, call, inflated.status());
        return false;
      }
      message.bytes = *std::move(inflated);
    }
    if (call.method == GrpcService::Method::kModelStreamInfer) {
      StartStreamMessage(stream_id, call, std::move(message.bytes));
      continue;
    }
    if (call.unary_request) {
      Finish(stream_id, call,
             absl::UnimplementedError("a unary method takes one request message, not several"));
      return false;
    }
    call.unary_request = std::move(message.bytes);
  }
  return !call.finished;
}

void GrpcCalls::OnCallHalfClosed(int32_t stream_id) {
  Call* call = Find(stream_id);
  if (call == nullptr) return;
  call->half_closed = true;
  if (!ReadMessages(stream_id, *call)) return;
  if (call->method == GrpcService::Method::kModelStreamInfer) {
    return FinishStreamIfDone(stream_id, *call);
  }
  if (!call->unary_request) {
    return Finish(stream_id, *call,
                  absl::UnimplementedError("a unary method takes one request message, not none"));
  }
  if (call->method == GrpcService::Method::kHealthWatch) {
    // The call stays open, a message at every change, until the client or the grace ends it.
    const Busy busy(*this);
    call->watch_request = *std::move(call->unary_request);
    call->unary_request.reset();
    return AnswerWatch(stream_id, *call);
  }
  StartUnary(stream_id, *call);
}

void GrpcCalls::StartUnary(int32_t stream_id, Call& call) {
  if (PastDeadline(call)) {
    return Finish(stream_id, call, absl::DeadlineExceededError("the deadline passed on arrival"));
  }
  call.answering = true;
  ++call.in_flight;
  std::string request = *std::move(call.unary_request);
  call.unary_request.reset();
  service_.CallUnary(
      call.method, std::move(request),
      [this, keep = connection_.KeepAlive(), stream_id](absl::Status status,
                                                        std::string response) mutable {
        keep->Complete([this, stream_id, status = std::move(status),
                        response = std::move(response)]() mutable {
          OnUnaryAnswer(stream_id, std::move(status), std::move(response));
        });
      },
      ControlOf(stream_id, call));
}

void GrpcCalls::OnUnaryAnswer(int32_t stream_id, absl::Status status, std::string response) {
  const Busy busy(*this);
  Call* call = Find(stream_id);
  if (call == nullptr) return;  // reset by the client meanwhile
  --call->in_flight;
  if (status.ok() && PastDeadline(*call)) {
    status = absl::DeadlineExceededError("answered after the call's deadline");
  }
  if (status.ok()) {
    std::string framed;
    AppendFramedMessage(response, &framed);
    session_->GrpcWrite(stream_id, framed);
  }
  Finish(stream_id, *call, status);
}

void GrpcCalls::StartStreamMessage(int32_t stream_id, Call& call, std::string message) {
  ++call.in_flight;
  service_.CallStream(
      std::move(message),
      [this, keep = connection_.KeepAlive(), stream_id](std::string answer) mutable {
        keep->Complete([this, stream_id, answer = std::move(answer)]() mutable {
          OnStreamAnswer(stream_id, std::move(answer));
        });
      },
      ControlOf(stream_id, call));
}

void GrpcCalls::OnStreamAnswer(int32_t stream_id, std::string answer) {
  const Busy busy(*this);
  Call* call = Find(stream_id);
  if (call == nullptr) return;
  --call->in_flight;
  std::string framed;
  AppendFramedMessage(answer, &framed);
  session_->GrpcWrite(stream_id, framed);
  // Room again: read what waited, then see whether the call is over.
  if (ReadMessages(stream_id, *call)) FinishStreamIfDone(stream_id, *call);
}

void GrpcCalls::FinishStreamIfDone(int32_t stream_id, Call& call) {
  // Inside ReadMessages, the loop has messages still to start; it looks again when done.
  if (call.finished || call.in_flight > 0 || call.reading) return;
  if (call.half_closed) return Finish(stream_id, call, absl::OkStatus());
  if (going_away_) Finish(stream_id, call, GoingAway());
}

void GrpcCalls::Finish(int32_t stream_id, Call& call, const absl::Status& status) {
  if (call.finished) return;
  call.finished = true;
  session_->GrpcFinish(stream_id, static_cast<int>(status.code()),
                       std::string_view(status.message().data(), status.message().size()));
}

RequestControl GrpcCalls::ControlOf(int32_t stream_id, const Call& call) const {
  return RequestControl{.deadline = call.deadline.value_or(SteadyClock::time_point::max()),
                        .cancelled = session_->CancelFlagOf(stream_id)};
}

bool GrpcCalls::PastDeadline(const Call& call) const {
  return call.deadline && Clock::now() > *call.deadline;
}

void GrpcCalls::OnCallClosed(int32_t stream_id, bool) { calls_.erase(stream_id); }

void GrpcCalls::AnswerWatch(int32_t stream_id, Call& call) {
  absl::StatusOr<std::string> answer = service_.HealthOf(*call.watch_request, /*watch=*/true);
  if (!answer.ok()) return Finish(stream_id, call, answer.status());
  if (*answer == call.watched_answer) return;
  std::string framed;
  AppendFramedMessage(*answer, &framed);
  session_->GrpcWrite(stream_id, framed);
  call.watched_answer = *std::move(answer);
}

void GrpcCalls::OnReadinessChanged() {
  const Busy busy(*this);
  for (auto& [stream_id, call] : calls_) {
    if (call.watch_request && !call.finished) AnswerWatch(stream_id, call);
  }
}

void GrpcCalls::GoAway() {
  const Busy busy(*this);
  going_away_ = true;
  for (auto& [stream_id, call] : calls_) {
    if (call.finished) continue;
    if (call.method == GrpcService::Method::kModelStreamInfer) {
      FinishStreamIfDone(stream_id, call);
    } else if (call.watch_request) {
      Finish(stream_id, call, GoingAway());
    }
  }
}

void GrpcCalls::EndCalls() {
  Busy busy(*this);
  for (auto& [stream_id, call] : calls_) Finish(stream_id, call, GoingAway());
}

GrpcCalls::Busy::~Busy() {
  // Only the outermost completion sends: sending may close streams and forget their calls,
  // which an enclosing one may still be using.
  if (--calls_.busy_ == 0) calls_.flush_();
}

}  // namespace predictwire::transport::grpc_transport
