#ifndef PREDICTWIRE_CODEC_PREDICT_JSON_H_
#define PREDICTWIRE_CODEC_PREDICT_JSON_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/infer.h"

namespace predictwire::codec {

// The seed article's payload, carried by `POST /predict` and by WebSocket text messages:
//   {"model"?: NAME, "features": [numbers]}               one row
//   {"model"?: NAME, "instances": [[numbers], ...]}       several rows
// plus, on WebSocket, an optional "id" (string or number) echoed in the reply.
struct PredictRequest {
  std::string model;  // empty: the server's default model
  std::string id;     // the "id" as JSON text (e.g. "7" or "\"a\""); empty when absent
  Tensor input;       // shape [rows, cols]
};

// Decodes a request. Errors are InvalidArgument with a message a client can act on.
absl::StatusOr<PredictRequest> ParsePredictRequest(std::string_view json);

// Best effort for error replies: the "id" of a message that failed to decode, or empty.
std::string ExtractRequestId(std::string_view json);

// The same from the first bytes of a message that was never read whole (refused for want of
// memory): the "id" when it is the object's first member and ends within `head`, as in
// {"id": 7, "features": [...; otherwise empty.
std::string LeadingRequestId(std::string_view head);

// Appends the reply:
//   {"id": ID, "model": NAME, "predictions": [numbers],
//    "timing": {"queue_us": N, "compute_us": N}}
// "id" only when `id` (JSON text) is non-empty.
void AppendPredictResponse(std::string_view id, std::string_view model,
                           const InferResponse& response, std::string* out);

// Appends {"id": ID, "error": MESSAGE}, "id" only when non-empty. Also the body of every HTTP
// error, which matches the Open Inference Protocol's {"error": "..."}.
void AppendErrorJson(std::string_view id, std::string_view message, std::string* out);
// The same with the error's status code after the message, {"id": ID, "error": MESSAGE,
// "code": CODE}: WebSocket's error reply.
void AppendErrorJson(std::string_view id, std::string_view message, int code, std::string* out);

}  // namespace predictwire::codec

#endif  // PREDICTWIRE_CODEC_PREDICT_JSON_H_
