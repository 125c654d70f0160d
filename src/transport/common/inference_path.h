#ifndef PREDICTWIRE_TRANSPORT_COMMON_INFERENCE_PATH_H_
#define PREDICTWIRE_TRANSPORT_COMMON_INFERENCE_PATH_H_

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/infer.h"
#include "core/metrics.h"
#include "core/model_registry.h"
#include "core/scheduler.h"
#include "transport/common/limits.h"

namespace predictwire::transport {

// What a transport knows of a request besides its bytes: when its answer stops being useful
// (gRPC's grpc-timeout; serve --request-timeout is the scheduler's), and the flag it sets once
// the client has gone. The scheduler drops a request that is past either when a worker reaches
// it.
struct RequestControl {
  SteadyClock::time_point deadline = SteadyClock::time_point::max();
  CancelFlag cancelled;
};

// What a format's Decode produces: the model to run (from the registry) and its input.
struct DecodedRequest {
  const Model* model = nullptr;
  InferRequest request;
};

// One payload format as one transport carries it (REST /predict, WebSocket binary, gRPC
// ModelInfer, ...): how to decode what arrived and how to encode the answer or an error.
//   Input    what the transport hands over: a message, a body, a protobuf request.
//   Context  what the reply needs besides the response (the request id, the decoded v2
//            request, the message to fill); default-constructed, filled by Decode.
//   Reply    what the transport sends: a RestReply, a WebSocket payload, a gRPC status.
//   Decode   decodes `input` and resolves its model into `decoded`. On an error it returns the
//            status with as much of `context` filled as the error reply needs (the id).
//   EncodeReply / EncodeError  the reply to a computed response / to an error status.
// Formats know codecs and the core, nothing of sockets or threads.
template <typename Format>
concept InferenceFormat = requires(typename Format::Input input, const ModelRegistry& registry,
                                   DecodedRequest& decoded, typename Format::Context& context,
                                   const Model& model, const InferResponse& response,
                                   const absl::Status& status) {
  {
    Format::Decode(std::forward<typename Format::Input>(input), registry, decoded, context)
    } -> std::same_as<absl::Status>;
  { Format::EncodeReply(context, model, response) } -> std::same_as<typename Format::Reply>;
  { Format::EncodeError(context, status) } -> std::same_as<typename Format::Reply>;
};

// The one inference path of every transport (docs/architecture.md, "Data flow"): decode and
// resolve the model, submit to the scheduler, encode the answer or the error on the thread that
// completes it, and hand the encoded reply to the transport's sink. A transport only frames
// bytes and, in its sink, brings the reply back to its IO thread (ProtocolConnection::Complete)
// or finishes the call (gRPC).
class InferencePath {
 public:
  // `registry`, `scheduler` and `metrics` (null: none kept) must outlive the path. Requests are
  // counted under `protocol`. A request whose answer would take more than `max_response_bytes`
  // (at least kMinAnswerBytesPerRow a row) is refused RESOURCE_EXHAUSTED before it runs.
  InferencePath(const ModelRegistry& registry, Scheduler& scheduler, Metrics* metrics = nullptr,
                RequestProtocol protocol = RequestProtocol::kHttp1,
                size_t max_response_bytes = SIZE_MAX)
      : registry_(registry),
        scheduler_(scheduler),
        metrics_(metrics),
        protocol_(protocol),
        max_answer_rows_(max_response_bytes / kMinAnswerBytesPerRow) {}

  // Every model answers one value a row, and the most compact format (v2 binary FP32) spends 4
  // bytes on it: the least an answer can take.
  static constexpr size_t kMinAnswerBytesPerRow = 4;

  // Answers `input` by calling `sink` (void(Format::Reply) &&) exactly once with the encoded
  // reply: before Run returns when the request is rejected or runs inline, otherwise on the
  // worker thread that ran it. The sink must not block. Thread-safe.
  template <InferenceFormat Format, typename Sink>
  void Run(typename Format::Input input, Sink sink, RequestControl control = {}) const {
    const Counted counted(metrics_, protocol_);
    DecodedRequest decoded;
    typename Format::Context context{};
    if (absl::Status status = Format::Decode(std::forward<typename Format::Input>(input), registry_,
                                             decoded, context);
        !status.ok()) {
      return AnswerError<Format>(context, status, counted, decoded.model, sink);
    }
    const Model& model = *decoded.model;
    if (static_cast<uint64_t>(decoded.request.input.rows()) > max_answer_rows_) {
      // Permanent: every server would refuse it again, so not a status that says "retry".
      const absl::Status status = absl::OutOfRangeError(
          "the answer to " + std::to_string(decoded.request.input.rows()) +
          " rows would pass the server's answer limit (--max-response) of " +
          std::to_string(max_answer_rows_ * kMinAnswerBytesPerRow) + " bytes; send fewer rows");
      return AnswerError<Format>(context, status, counted, &model, sink);
    }
    decoded.request.deadline = std::min(decoded.request.deadline, control.deadline);
    decoded.request.cancelled = std::move(control.cancelled);
    scheduler_.Submit(
        model, std::move(decoded.request),
        [&model, counted, context = std::move(context),
         sink = std::move(sink)](absl::StatusOr<InferResponse> result) mutable {
          if (result.ok()) {
            typename Format::Reply reply = Format::EncodeReply(context, model, *result);
            counted.Finish(&model, absl::StatusCode::kOk, &result->timing);
            std::move(sink)(std::move(reply));
          } else {
            typename Format::Reply reply = Format::EncodeError(context, result.status());
            counted.Finish(&model, result.status().code(), nullptr);
            std::move(sink)(std::move(reply));
          }
        });
  }

  // Run for an input made from `body`, which the path owns meanwhile: a body of
  // kOffloadDecodeBytes or more is decoded on one of the scheduler's offload threads, so that
  // the IO thread goes on serving its other connections; a smaller one is decoded here, with no
  // extra hop. `make_input(std::string_view body)` builds the Format::Input (views into the body
  // and into `make_input` itself stay valid while it is decoded). Thread-safe.
  template <InferenceFormat Format, typename MakeInput, typename Sink>
  void RunOwned(std::string body, MakeInput make_input, Sink sink,
                RequestControl control = {}) const {
    if (body.size() < kOffloadDecodeBytes) {
      Run<Format>(make_input(std::string_view(body)), std::move(sink), std::move(control));
      return;
    }
    // The request's deadline counts from now, not from when an offload thread gets to it.
    if (const std::chrono::nanoseconds timeout = scheduler_.request_timeout();
        timeout.count() > 0) {
      control.deadline = std::min(control.deadline, SteadyClock::now() + timeout);
    }
    scheduler_.Offload([this, body = std::move(body), make_input = std::move(make_input),
                        sink = std::move(sink), control = std::move(control)]() mutable {
      Run<Format>(make_input(std::string_view(body)), std::move(sink), std::move(control));
    });
  }

  // Answers `input` with the error `status` without running it (a server that is stopping),
  // through `sink` as Run does, before returning. Decodes only for what the error reply needs
  // (its request id); counted under `status`'s code.
  template <InferenceFormat Format, typename Sink>
  void Refuse(typename Format::Input input, const absl::Status& status, Sink sink) const {
    const Counted counted(metrics_, protocol_);
    DecodedRequest decoded;
    typename Format::Context context{};
    // Its own error, if any, matters less than the refusal.
    (void)Format::Decode(std::forward<typename Format::Input>(input), registry_, decoded, context);
    AnswerError<Format>(context, status, counted, decoded.model, sink);
  }

 private:
  // One request as the metrics see it: started when made, finished with its outcome.
  class Counted {
   public:
    Counted(Metrics* metrics, RequestProtocol protocol) : metrics_(metrics), protocol_(protocol) {
      if (metrics_ == nullptr) return;
      start_ = std::chrono::steady_clock::now();
      metrics_->RequestStarted(protocol_);
    }
    void Finish(const Model* model, absl::StatusCode code, const ServerTiming* timing) const {
      if (metrics_ == nullptr) return;
      const auto total = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - start_);
      const size_t index = model != nullptr ? model->index() : 0;
      metrics_->RequestFinished(protocol_, model != nullptr ? &index : nullptr, code, timing,
                                static_cast<uint64_t>(total.count()));
    }

   private:
    Metrics* metrics_;
    RequestProtocol protocol_;
    std::chrono::steady_clock::time_point start_{};
  };

  // Answers `status` through `sink`, counted as the request's outcome: a request that never
  // reaches the scheduler (undecodable, too large an answer, refused while stopping).
  template <InferenceFormat Format, typename Sink>
  static void AnswerError(typename Format::Context& context, const absl::Status& status,
                          const Counted& counted, const Model* model, Sink& sink) {
    typename Format::Reply reply = Format::EncodeError(context, status);
    counted.Finish(model, status.code(), nullptr);
    std::move(sink)(std::move(reply));
  }

  const ModelRegistry& registry_;
  Scheduler& scheduler_;
  Metrics* const metrics_;
  const RequestProtocol protocol_;
  const uint64_t max_answer_rows_;
};

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_INFERENCE_PATH_H_
