#ifndef PREDICTWIRE_LOADGEN_PAYLOAD_H_
#define PREDICTWIRE_LOADGEN_PAYLOAD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/infer.h"
#include "loadgen/wire.h"

namespace predictwire::loadgen {

// What the load generator sends: the request bytes of one wire, built once and stamped with a
// fresh id (and WebSocket mask) per request.
class RequestEncoder {
 public:
  struct Options {
    WireKind wire = WireKind::kRestKeepAlive;
    PayloadShape shape = PayloadShape::kPredict;
    Target target;
    std::string model;  // empty: the server's default model (v2 needs a name)
    int features = 30;  // values per row
    int rows = 1;
  };

  explicit RequestEncoder(const Options& options);

  const Options& options() const { return options_; }

  // Appends request `id`: an HTTP/1.1 request, a masked WebSocket frame, or for the HTTP/2 wires
  // the body only (HTTP/2 carries the rest in HEADERS).
  void Append(uint64_t id, std::string* out);

  // The path REST requests go to, and the path of the WebSocket upgrade.
  const std::string& http_path() const { return http_path_; }
  const std::string& websocket_path() const { return websocket_path_; }
  // The body of every HTTP request (the same for each: HTTP wires carry no id).
  std::string_view http_body() const { return body_prefix_; }
  // Bytes of the message body (JSON or binary) of one request.
  size_t body_bytes() const { return body_prefix_.size() + body_suffix_.size(); }

 private:
  const Options options_;
  std::string http_path_;
  std::string websocket_path_;
  // The body is prefix + id digits + suffix for JSON WebSocket wires, prefix + suffix otherwise.
  std::string body_prefix_;
  std::string body_suffix_;
  std::string http_head_;  // request line and headers up to "Content-Length: "
  uint64_t mask_state_;
};

// The feature values every request carries: deterministic, varied, realistic magnitudes.
float FeatureValue(int index);

// What a reply told us.
struct ReplyInfo {
  bool ok = true;
  std::string error;  // a short error kind when !ok, e.g. "http_503", "app_error"
  bool has_id = false;
  uint64_t id = 0;
  std::optional<ServerTiming> timing;
};

// Reads `Server-Timing: queue;dur=0.012, compute;dur=0.034` (milliseconds).
std::optional<ServerTiming> ParseServerTiming(std::string_view header_value);

// Reads a JSON reply (predict or v2 shape) without a full parse: the "id" when numeric, the
// timing figures, and whether it is an {"error": ...}.
ReplyInfo ScanJsonReply(std::string_view json);

// Reads a binary WebSocket reply's header (codec/binary_predict.h).
ReplyInfo ScanBinaryReply(std::string_view message);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_PAYLOAD_H_
