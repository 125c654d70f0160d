#ifndef PREDICTWIRE_LOADGEN_CLIENT_PAYLOAD_H_
#define PREDICTWIRE_LOADGEN_CLIENT_PAYLOAD_H_

// What the load generator sends and how it reads what comes back, independent of the wire's
// framing: request bodies (built once per run, stamped with each request's id) and the scans of
// replies. The wires' connection classes frame these bodies (HTTP/1.1, WebSocket, HTTP/2, gRPC).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/default_models.h"
#include "core/infer.h"

namespace predictwire::loadgen {

enum class PayloadShape {
  kPredict,  // the seed's {"model", "features"} (POST /predict, WebSocket text)
  kV2,       // the Open Inference Protocol v2 JSON (POST /v2/models/NAME/infer)
};

// "predict" or "v2"; ParsePayloadShape reads them back (nothing else: false).
std::string_view PayloadShapeName(PayloadShape shape);
bool ParsePayloadShape(std::string_view name, PayloadShape* shape);

// What every request of a run asks for.
struct PayloadOptions {
  PayloadShape shape = PayloadShape::kPredict;
  std::string model;                     // empty: the server's default model (v2 and gRPC name one)
  int features = kDefaultModelFeatures;  // values per row (the default model's)
  int rows = 1;
  std::string path;  // the target URL's path; empty (or "/" for REST): the wire's default route
  // The tcp wires (the raw floor): bytes of each request and of its reply. Compare sets them to
  // a REST exchange's; these defaults are about that of the default model's features.
  size_t echo_request_bytes = 640;
  size_t echo_reply_bytes = 200;
};

// The model the v2 payloads name when the options name none.
inline constexpr std::string_view kDefaultV2Model = "breast_cancer";

// One request's body, built once: fixed bytes with a slot for each request's id (a JSON number,
// or 8 little-endian bytes at a fixed offset), and the route it goes to. Append is const, so one
// body may serve every connection and thread of a run.
class RequestBody {
 public:
  enum class IdSlot {
    kNone,            // HTTP bodies: the request needs no id, replies come in order per stream
    kJsonNumber,      // between prefix and suffix
    kLittleEndian64,  // 8 bytes at id_offset within prefix
  };

  RequestBody(std::string path, std::string prefix, std::string suffix, IdSlot slot,
              size_t id_offset = 0, bool binary = false);

  // Appends the body of request `id`.
  void Append(uint64_t id, std::string* out) const;
  // The body of every request, for bodies without an id slot (HTTP).
  std::string_view fixed() const { return prefix_; }
  // The route: "/predict", "/v2/models/NAME/infer", "/ws", or the target's own path.
  const std::string& path() const { return path_; }
  // Raw bytes (a WebSocket binary message, a protobuf) rather than UTF-8 JSON text.
  bool binary() const { return binary_; }
  // Bytes of request `id`'s body.
  size_t SizeOf(uint64_t id) const;

 private:
  std::string path_;
  std::string prefix_;
  std::string suffix_;
  IdSlot slot_;
  size_t id_offset_;
  bool binary_;
};

// The body encoders the wire table names (wire.h). Each fails with a clear message when the
// options do not fit its wire (e.g. a v2 payload on WebSocket).
//
// REST: /predict JSON or v2 JSON by `shape`, no id.
absl::StatusOr<RequestBody> RestJsonBody(const PayloadOptions& options);
// WebSocket text: /predict JSON with a numeric "id".
absl::StatusOr<RequestBody> WebSocketJsonBody(const PayloadOptions& options);
// WebSocket binary: the compact binary format (codec/binary_predict.h), id in its header.
absl::StatusOr<RequestBody> WebSocketBinaryBody(const PayloadOptions& options);

// The feature values every request carries: deterministic, varied, realistic magnitudes.
float FeatureValue(int index);

// What a reply told us.
struct ReplyInfo {
  bool ok = true;
  std::string error;  // a short error kind when !ok, e.g. "http_503", "ws_resource_exhausted"
  bool has_id = false;
  uint64_t id = 0;
  std::optional<ServerTiming> timing;
  // The server said it did not process the request (HTTP/2 REFUSED_STREAM, or a stream past the
  // last one a GOAWAY accepted), so it may be sent again as if its connection had gone away.
  bool unprocessed = false;
};

// The error kind for canonical status `code` (absl::StatusCode, which gRPC shares) on a wire of
// `protocol`: ("ws", 8) → "ws_resource_exhausted", ("grpc", 5) → "grpc_not_found".
std::string StatusErrorKind(std::string_view protocol, int code);

// Reads `Server-Timing: queue;dur=0.012, compute;dur=0.034` (milliseconds).
std::optional<ServerTiming> ParseServerTiming(std::string_view header_value);

// Reads a JSON reply (predict or v2 shape) without a full parse: the "id" when numeric, the
// timing figures, and whether it is an {"error": ...}, whose "code" names the kind
// (`protocol`_<status name>, or `protocol`_error without one).
ReplyInfo ScanJsonReply(std::string_view json, std::string_view protocol = "ws");

// Reads a binary WebSocket reply's header (codec/binary_predict.h).
ReplyInfo ScanBinaryReply(std::string_view message);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_CLIENT_PAYLOAD_H_
