#ifndef PREDICTWIRE_LOADGEN_WIRE_H_
#define PREDICTWIRE_LOADGEN_WIRE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace predictwire::loadgen {

// The ways `bench` can carry a prediction request (README and docs/bench.md name them).
enum class WireKind {
  kRest,                // a new TCP connection per request: the article's complete cycle
  kRestKeepAlive,       // one kept-alive HTTP/1.1 connection, one request at a time
  kWebSocket,           // JSON text messages, one at a time per connection
  kWebSocketPipelined,  // JSON text messages, up to --pipeline in flight, matched by id
  kWebSocketBinary,     // the compact binary format, one at a time
  kHttp2,               // h2c with prior knowledge: one connection, one stream at a time
  kHttp2Multiplexed,    // h2c, up to --pipeline streams in flight on each connection
  kGrpc,                // gRPC ModelInfer (Open Inference Protocol), one call at a time
  kGrpcStream,          // gRPC ModelStreamInfer: up to --pipeline in flight on one stream
};

enum class PayloadShape {
  kPredict,  // the seed's {"model", "features"} (POST /predict, WebSocket text)
  kV2,       // the Open Inference Protocol v2 JSON (POST /v2/models/NAME/infer)
};

// A wire as named on the command line: its protocol, and whether it runs over TLS ("ws+tls").
struct WireSpec {
  WireKind kind = WireKind::kRestKeepAlive;
  bool tls = false;
};

absl::StatusOr<WireSpec> ParseWire(std::string_view name);
std::string_view WireName(WireKind wire);
// "ws" or "ws+tls".
std::string WireLabel(WireKind wire, bool tls);
// The plain wires' names.
const std::vector<std::string>& WireNames();
// Every name ParseWire accepts: each wire, then each wire's "+tls" variant.
const std::vector<std::string>& AllWireNames();

bool IsWebSocket(WireKind wire);
bool IsHttp2(WireKind wire);
bool IsGrpc(WireKind wire);
// How many requests one connection of this wire may have in flight.
int PipelineDepth(WireKind wire, int pipeline_option);

// Where to send: "http://HOST:PORT[/PATH]", "ws://...", "grpc://HOST:PORT", or over TLS
// "https://...", "wss://...", "grpcs://...".
struct Target {
  std::string host;
  uint16_t port = 0;
  std::string path;  // as given, empty when the URL has none
  bool tls = false;  // https, wss or grpcs
};

absl::StatusOr<Target> ParseTarget(std::string_view url);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_WIRE_H_
