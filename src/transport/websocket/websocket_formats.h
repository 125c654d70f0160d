#ifndef PREDICTWIRE_TRANSPORT_WEBSOCKET_WEBSOCKET_FORMATS_H_
#define PREDICTWIRE_TRANSPORT_WEBSOCKET_WEBSOCKET_FORMATS_H_

// The inference formats of WebSocket messages (transport/common/inference_path.h). An error is
// answered on the message that caused it, carrying the request's id and a status code.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/infer.h"
#include "core/model_registry.h"
#include "transport/common/inference_path.h"

namespace predictwire::transport::websocket {

// The one translation of a Status into the code a WebSocket error reply carries (the JSON
// "code", the binary status byte): the canonical status code, whose numbers are gRPC's
// (3 INVALID_ARGUMENT, 5 NOT_FOUND, 8 RESOURCE_EXHAUSTED, 13 INTERNAL, 14 UNAVAILABLE, ...), so
// a client tells overload from bad input as it does on the other wires. 0 only for OK.
uint8_t WebSocketStatusCode(const absl::Status& status);

// A text message: the seed's JSON request with an optional "id", answered by the /predict
// reply or {"id", "error", "code"}.
struct WebSocketTextFormat {
  using Input = std::string_view;  // the message, already checked to be UTF-8
  using Context = std::string;     // the request's "id" as JSON text; empty when it has none
  using Reply = std::string;       // the text message to send

  static absl::Status Decode(std::string_view message, const ModelRegistry& registry,
                             DecodedRequest& decoded, Context& id);
  static std::string EncodeReply(Context& id, const Model& model, const InferResponse& response);
  static std::string EncodeError(Context& id, const absl::Status& status);
};

// A binary message: the compact format of codec/binary_predict.h; an error's code is its status
// byte.
struct WebSocketBinaryFormat {
  using Input = std::string_view;  // the message
  using Context = uint64_t;        // the request's id; 0 when it is too short to hold one
  using Reply = std::string;       // the binary message to send

  static absl::Status Decode(std::string_view message, const ModelRegistry& registry,
                             DecodedRequest& decoded, Context& id);
  static std::string EncodeReply(Context& id, const Model& model, const InferResponse& response);
  static std::string EncodeError(Context& id, const absl::Status& status);
};

}  // namespace predictwire::transport::websocket

#endif  // PREDICTWIRE_TRANSPORT_WEBSOCKET_WEBSOCKET_FORMATS_H_
