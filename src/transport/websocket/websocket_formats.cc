#include "transport/websocket/websocket_formats.h"

#include "codec/binary_predict.h"
#include "codec/predict_json.h"
#include "core/status.h"
#include "transport/common/predict_decode.h"

namespace predictwire::transport::websocket {

uint8_t WebSocketStatusCode(const absl::Status& status) {
  const int code = static_cast<int>(status.code());
  if (code < 0 || code > UINT8_MAX) return static_cast<uint8_t>(absl::StatusCode::kUnknown);
  return static_cast<uint8_t>(code);
}

absl::Status WebSocketTextFormat::Decode(std::string_view message, const ModelRegistry& registry,
                                         DecodedRequest& decoded, Context& id) {
  return DecodePredictJson(message, registry, decoded, &id);
}

std::string WebSocketTextFormat::EncodeReply(Context& id, const Model& model,
                                             const InferResponse& response) {
  std::string payload;
  codec::AppendPredictResponse(id, model.name(), response, &payload);
  return payload;
}

std::string WebSocketTextFormat::EncodeError(Context& id, const absl::Status& status) {
  std::string payload;
  codec::AppendErrorJson(id, MessageOf(status), WebSocketStatusCode(status), &payload);
  return payload;
}

absl::Status WebSocketBinaryFormat::Decode(std::string_view message, const ModelRegistry& registry,
                                           DecodedRequest& decoded, Context& id) {
  absl::StatusOr<codec::BinaryPredictRequest> parsed = codec::ParseBinaryPredictRequest(message);
  if (!parsed.ok()) {
    id = codec::PeekBinaryRequestId(message);
    return parsed.status();
  }
  id = parsed->id;
  return ResolveModel(registry, parsed->model, std::move(parsed->input), decoded);
}

std::string WebSocketBinaryFormat::EncodeReply(Context& id, const Model&,
                                               const InferResponse& response) {
  std::string payload;
  codec::AppendBinaryPredictResponse(id, response, &payload);
  return payload;
}

std::string WebSocketBinaryFormat::EncodeError(Context& id, const absl::Status& status) {
  std::string payload;
  codec::AppendBinaryPredictError(id, WebSocketStatusCode(status), MessageOf(status), &payload);
  return payload;
}

}  // namespace predictwire::transport::websocket
