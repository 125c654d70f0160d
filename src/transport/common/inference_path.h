#ifndef PREDICTWIRE_TRANSPORT_COMMON_INFERENCE_PATH_H_
#define PREDICTWIRE_TRANSPORT_COMMON_INFERENCE_PATH_H_

#include <concepts>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/infer.h"
#include "core/model_registry.h"
#include "core/scheduler.h"

namespace predictwire::transport {

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

// The one inference path of every transport (DESIGN.md, "Data flow"): decode and resolve the
// model, submit to the scheduler, encode the answer or the error on the thread that completes
// it, and hand the encoded reply to the transport's sink. A transport only frames bytes and, in
// its sink, brings the reply back to its IO thread (ProtocolConnection::Complete) or finishes
// the call (gRPC).
class InferencePath {
 public:
  // `registry` and `scheduler` must outlive the path. `placement` applies to every request:
  // kWorkerOnly for transports whose threads belong to a library (gRPC's).
  InferencePath(const ModelRegistry& registry, Scheduler& scheduler,
                Scheduler::Placement placement = Scheduler::Placement::kSchedulerChooses)
      : registry_(registry), scheduler_(scheduler), placement_(placement) {}

  // Answers `input` by calling `sink` (void(Format::Reply) &&) exactly once with the encoded
  // reply: before Run returns when the request is rejected or runs inline, otherwise on the
  // worker thread that ran it. The sink must not block. Thread-safe.
  template <InferenceFormat Format, typename Sink>
  void Run(typename Format::Input input, Sink sink) const {
    DecodedRequest decoded;
    typename Format::Context context{};
    if (absl::Status status = Format::Decode(std::forward<typename Format::Input>(input), registry_,
                                             decoded, context);
        !status.ok()) {
      std::move(sink)(Format::EncodeError(context, status));
      return;
    }
    const Model& model = *decoded.model;
    scheduler_.Submit(
        model, std::move(decoded.request),
        [&model, context = std::move(context),
         sink = std::move(sink)](absl::StatusOr<InferResponse> result) mutable {
          if (result.ok()) {
            std::move(sink)(Format::EncodeReply(context, model, *result));
          } else {
            std::move(sink)(Format::EncodeError(context, result.status()));
          }
        },
        placement_);
  }

 private:
  const ModelRegistry& registry_;
  Scheduler& scheduler_;
  const Scheduler::Placement placement_;
};

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_INFERENCE_PATH_H_
