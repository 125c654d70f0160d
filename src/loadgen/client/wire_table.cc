// The wire table: one row per wire the load generator speaks. Adding a wire is a row here and
// its connection class; bench's help, compare's --wires, the scenarios, URLs, payloads and
// connections all read the rows.

#include <algorithm>
#include <iterator>

#include "loadgen/client/grpc_messages.h"
#include "loadgen/client/h2_connection.h"
#include "loadgen/client/http1_connection.h"
#include "loadgen/client/tcp_connection.h"
#include "loadgen/client/websocket_connection.h"
#include "loadgen/client/wire.h"

namespace predictwire::loadgen {
namespace {

// The server's ports, as its ready line names them.
constexpr WireRoute kHttp1 = {.scheme = "http",
                              .tls_scheme = "https",
                              .port_key = "http",
                              .tls_port_key = "https",
                              .alpn = "http/1.1"};
constexpr WireRoute kWebSocket = {.scheme = "ws",
                                  .tls_scheme = "wss",
                                  .port_key = "http",
                                  .tls_port_key = "https",
                                  .alpn = "http/1.1"};
constexpr WireRoute kHttp2 = {.scheme = "http",
                              .tls_scheme = "https",
                              .port_key = "http",
                              .tls_port_key = "https",
                              .alpn = "h2"};
constexpr WireRoute kGrpc = {.scheme = "grpc",
                             .tls_scheme = "grpcs",
                             .port_key = "grpc",
                             .tls_port_key = "grpcs",
                             .alpn = "h2"};

// The server's raw TCP echo (serve --tcp-echo), in the clear only.
constexpr WireRoute kTcpEcho = {.scheme = "tcp", .port_key = "tcp-echo"};

constexpr Wire kWires[] = {
    {.name = "rest",
     .family = WireFamily::kHttp1,
     .help = "HTTP/1.1 POST on a new connection per request (the article's REST: the handshake "
             "is in every latency)",
     .new_connection_per_request = true,
     .article = true,
     .route = kHttp1,
     .encode_body = RestJsonBody,
     .make_connection = MakeHttp1Connection},
    {.name = "rest-keepalive",
     .family = WireFamily::kHttp1,
     .help = "HTTP/1.1 POST on one kept-alive connection, one request at a time",
     .article = true,
     .route = kHttp1,
     .encode_body = RestJsonBody,
     .make_connection = MakeHttp1Connection},
    {.name = "ws",
     .family = WireFamily::kWebSocket,
     .help = "WebSocket JSON text messages, one at a time",
     .article = true,
     .route = kWebSocket,
     .encode_body = WebSocketJsonBody,
     .make_connection = MakeWebSocketConnection},
    {.name = "ws-pipelined",
     .family = WireFamily::kWebSocket,
     .help = "WebSocket JSON text messages, up to --pipeline in flight, matched by id",
     .multiplexes = true,
     .route = kWebSocket,
     .encode_body = WebSocketJsonBody,
     .make_connection = MakeWebSocketConnection},
    {.name = "ws-binary",
     .family = WireFamily::kWebSocket,
     .help = "WebSocket messages in the compact binary format, one at a time",
     .article = true,
     .route = kWebSocket,
     .encode_body = WebSocketBinaryBody,
     .make_connection = MakeWebSocketConnection},
    {.name = "h2",
     .family = WireFamily::kHttp2,
     .help = "HTTP/2 POST (h2c with prior knowledge; ALPN h2 over TLS), one stream at a time",
     .route = kHttp2,
     .encode_body = RestJsonBody,
     .make_connection = MakeH2Connection},
    {.name = "h2-multiplexed",
     .family = WireFamily::kHttp2,
     .help = "HTTP/2 POST, up to --pipeline streams in flight on one connection",
     .multiplexes = true,
     .route = kHttp2,
     .encode_body = RestJsonBody,
     .make_connection = MakeH2Connection},
    {.name = "grpc",
     .family = WireFamily::kGrpc,
     .help = "gRPC ModelInfer (Open Inference Protocol), one call at a time; needs --model",
     .route = kGrpc,
     .encode_body = GrpcRequestBody,
     .make_connection = MakeH2Connection},
    {.name = "grpc-stream",
     .family = WireFamily::kGrpc,
     .help = "gRPC ModelStreamInfer: up to --pipeline requests in flight on one stream; needs "
             "--model",
     .multiplexes = true,
     .route = kGrpc,
     .encode_body = GrpcRequestBody,
     .make_connection = MakeH2Connection},
    {.name = "tcp",
     .family = WireFamily::kTcp,
     .help = "the floor: a raw TCP exchange of --echo-request-bytes and --echo-reply-bytes with "
             "the server's echo port (serve --tcp-echo), on one kept connection",
     .floor = true,
     .route = kTcpEcho,
     .encode_body = TcpEchoBody,
     .make_connection = MakeTcpConnection},
    {.name = "tcp-new",
     .family = WireFamily::kTcp,
     .help = "the floor of rest: the same raw exchange on a new connection each time",
     .new_connection_per_request = true,
     .floor = true,
     .route = kTcpEcho,
     .encode_body = TcpEchoBody,
     .make_connection = MakeTcpConnection},
};

}  // namespace

std::span<const Wire> Wires() { return kWires; }

const Wire& DefaultWire() {
  static const Wire& wire =
      *std::find_if(std::begin(kWires), std::end(kWires),
                    [](const Wire& row) { return row.name == "rest-keepalive"; });
  return wire;
}

}  // namespace predictwire::loadgen
