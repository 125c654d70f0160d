// ServerSession's stream and the nghttp2 helpers its two source files share
// (server_session.cc: the session and REST; server_session_grpc.cc: gRPC calls). Included only
// by those files: it includes nghttp2, which no header of the library exposes.
#ifndef PREDICTWIRE_TRANSPORT_HTTP2_SERVER_STREAM_H_
#define PREDICTWIRE_TRANSPORT_HTTP2_SERVER_STREAM_H_

#include <nghttp2/nghttp2.h>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "transport/common/reply_fields.h"
#include "transport/http2/server_session.h"

namespace predictwire::transport::http2 {

// One request/response exchange. Lives from the request's first HEADERS until nghttp2 closes
// the stream, so the response's header values and body it points into stay valid while sent;
// a request in the scheduler's queue keeps it (its `gone` flag) a little longer.
struct ServerSession::Stream : std::enable_shared_from_this<Stream> {
  // Set when the stream closes or the connection goes: a request still queued is not run.
  std::atomic<bool> gone{false};
  std::string method;
  std::string path;
  std::string inference_header_length;  // v2 binary tensor data
  std::string origin;                   // sent by browsers: CORS
  std::string if_none_match;            // a browser revalidating what it cached
  std::string body;
  size_t header_bytes = 0;
  bool expects_continue = false;    // Expect: 100-continue
  bool declared_too_large = false;  // content-length over the body limit
  bool header_too_large = false;
  bool body_too_large = false;
  bool body_refused = false;  // the memory budget had no room for it: answered 503
  // The request body until answered, then the reply body (a gRPC call's: its unsent messages)
  // until nghttp2 has taken it.
  MemoryCharge charge;
  bool body_pending = false;  // reply body bytes not yet handed to nghttp2
  bool dispatched = false;
  bool awaiting_reply = false;
  bool headers_done = false;  // the request's header block (HEADERS and CONTINUATION) is whole

  // gRPC: a call (content-type application/grpc), handed to the GrpcCallHandler as it comes.
  bool grpc = false;
  std::string content_type;
  std::string grpc_encoding;
  std::string grpc_timeout;
  std::string grpc_out;  // messages to send
  size_t grpc_out_sent = 0;
  bool grpc_started = false;    // response headers submitted
  bool grpc_deferred = false;   // the body provider waits for messages
  bool grpc_finishing = false;  // GrpcFinish was called: trailers after grpc_out
  bool grpc_trailers_sent = false;
  std::string grpc_status;  // trailer values, alive until sent
  std::string grpc_message;

  RestReply reply;
  size_t body_sent = 0;
  char status[4] = {};
  char date[29] = {};
  ReplyFieldText reply_text;  // the reply's formatted field values (ForEachReplyField)
};

// The message encodings GrpcCalls inflates (grpc_framing.h Decompress), sent with every call's
// response headers so that a client whose encoding was refused (UNIMPLEMENTED) knows which to
// use instead (gRPC's compression spec).
inline constexpr std::string_view kGrpcAcceptEncoding = "identity, deflate, gzip";

inline nghttp2_nv Field(std::string_view name, std::string_view value) {
  // Names are literals and values live in the Stream until it closes: nghttp2 need not copy.
  return nghttp2_nv{const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name.data())),
                    const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())),
                    name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
}

}  // namespace predictwire::transport::http2

#endif  // PREDICTWIRE_TRANSPORT_HTTP2_SERVER_STREAM_H_
