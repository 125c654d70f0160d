#ifndef PREDICTWIRE_TRANSPORT_WEBSOCKET_WEBSOCKET_FORMATS_H_
#define PREDICTWIRE_TRANSPORT_WEBSOCKET_WEBSOCKET_FORMATS_H_

// The inference formats of WebSocket messages (transport/common/inference_path.h). An error is
// answered on the message that caused it, carrying the request's id.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/infer.h"
#include "core/model_registry.h"
#include "transport/common/inference_path.h"

namespace predictwire::transport::websocket {

// A text message: the seed's JSON request with an optional "id", answered by the /predict
// reply or {"id", "error"}.
struct WebSocketTextFormat {
  using Input = std::string_view;  // the message, already checked to be UTF-8
  using Context = std::string;     // the request's "id" as JSON text; empty when it has none
  using Reply = std::string;       // the text message to send

  static absl::Status Decode(std::string_view message, const ModelRegistry& registry,
                             DecodedRequest& decoded, Context& id);
  static std::string EncodeReply(Context& id, const Model& model, const InferResponse& response);
  static std::string EncodeError(Context& id, const absl::Status& status);
};

// A binary message: the compact format of codec/binary_predict.h.
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
