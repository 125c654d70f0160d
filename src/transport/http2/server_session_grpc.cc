// ServerSession's side of gRPC calls: the frames of a call handed to the GrpcCallHandler, and
// its messages and trailers sent back (server_session.h).
#include <fmt/format.h>
#include <nghttp2/nghttp2.h>

#include <string>
#include <string_view>

#include "transport/http2/server_session.h"
#include "transport/http2/server_stream.h"

namespace predictwire::transport::http2 {
namespace {

// grpc-message is percent-encoded: bytes outside printable ASCII, and '%', as %XX (gRPC's
// PROTOCOL-HTTP2 spec).
std::string PercentEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c <= 0x7E && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

void ServerSession::OnGrpcFrame(int32_t stream_id, Stream& stream, uint8_t frame_type,
                                bool end_stream) {
  if (frame_type == NGHTTP2_HEADERS && !stream.dispatched) {
    stream.dispatched = true;
    if (grpc_ == nullptr) {
      GrpcFinish(stream_id, 12, "this server does not serve gRPC on this port");  // UNIMPLEMENTED
      return;
    }
    grpc_->OnCallBegin(stream_id, GrpcCallHeaders{.path = stream.path,
                                                  .encoding = stream.grpc_encoding,
                                                  .timeout = stream.grpc_timeout,
                                                  .content_type = stream.content_type});
  }
  // The handler may have finished the call (and nghttp2 closed it) meanwhile.
  if (end_stream && grpc_ != nullptr && streams_.count(stream_id)) {
    grpc_->OnCallHalfClosed(stream_id);
  }
}

void ServerSession::GrpcWrite(int32_t stream_id, std::string_view framed) {
  const auto found = streams_.find(stream_id);
  if (found == streams_.end() || found->second->grpc_finishing) return;
  Stream& stream = *found->second;
  stream.grpc_out.append(framed);
  stream.charge.ForceTo(stream.grpc_out.size());  // held until the client's windows take it
  if (!stream.grpc_started) return StartGrpcResponse(stream_id, stream);
  if (stream.grpc_deferred) {
    stream.grpc_deferred = false;
    nghttp2_session_resume_data(session_, stream_id);
  }
}

void ServerSession::GrpcConsumed(int32_t stream_id, size_t bytes) {
  if (bytes > 0) nghttp2_session_consume_stream(session_, stream_id, bytes);
}

void ServerSession::GrpcFinish(int32_t stream_id, int code, std::string_view message) {
  const auto found = streams_.find(stream_id);
  if (found == streams_.end() || found->second->grpc_finishing) return;
  Stream& stream = *found->second;
  stream.grpc_finishing = true;
  stream.grpc_status = std::to_string(code);
  stream.grpc_message = PercentEncode(message);
  if (stream.grpc_started) {
    if (stream.grpc_deferred) {
      stream.grpc_deferred = false;
      nghttp2_session_resume_data(session_, stream_id);
    }
    return;
  }
  // Nothing written: a trailers-only response, the status in the one HEADERS frame.
  nghttp2_nv fields[5];
  size_t count = 0;
  fields[count++] = Field(":status", "200");
  fields[count++] = Field("content-type", "application/grpc");
  fields[count++] = Field("grpc-accept-encoding", kGrpcAcceptEncoding);
  fields[count++] = Field("grpc-status", stream.grpc_status);
  if (!stream.grpc_message.empty()) fields[count++] = Field("grpc-message", stream.grpc_message);
  stream.grpc_started = true;
  stream.grpc_trailers_sent = true;
  nghttp2_submit_response(session_, stream_id, fields, count, nullptr);
}

}  // namespace predictwire::transport::http2
