#include "transport/http2/server_session.h"

#include <fmt/format.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

namespace predictwire::transport::http2 {

// One request/response exchange. Lives from the request's first HEADERS until nghttp2 closes
// the stream, so the response's header values and body it points into stay valid while sent.
struct ServerSession::Stream {
  std::string method;
  std::string path;
  std::string inference_header_length;  // v2 binary tensor data
  std::string origin;                   // sent by browsers: CORS
  std::string body;
  size_t header_bytes = 0;
  bool header_too_large = false;
  bool body_too_large = false;
  bool dispatched = false;
  bool awaiting_reply = false;

  RestReply reply;
  size_t body_sent = 0;
  char status[4] = {};
  std::string content_length;
  std::string server_timing;
  std::string reply_inference_header_length;
};

namespace {

std::string_view View(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

nghttp2_nv Field(std::string_view name, std::string_view value) {
  // Names are literals and values live in the Stream until it closes: nghttp2 need not copy.
  return nghttp2_nv{const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name.data())),
                    const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())),
                    name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
}

// Microseconds as milliseconds with three decimals, the unit Server-Timing's dur uses.
std::string ServerTimingValue(const ServerTiming& timing) {
  return fmt::format("queue;dur={}.{:03}, compute;dur={}.{:03}", timing.queue_us / 1000,
                     timing.queue_us % 1000, timing.compute_us / 1000, timing.compute_us % 1000);
}

}  // namespace

// The nghttp2 callbacks, as static members so they may reach ServerSession's privates.
class ServerSession::Callbacks {
 public:
  static ServerSession& Self(void* user_data) { return *static_cast<ServerSession*>(user_data); }

  static Stream* Find(nghttp2_session* session, int32_t stream_id) {
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, stream_id));
  }

  static int OnBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame,
                            void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    ServerSession& self = Self(user_data);
    auto stream = std::make_unique<Stream>();
    // Fails only for a stream nghttp2 does not keep (refused): it never closes, so never store it.
    if (nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, stream.get()) != 0) {
      return 0;
    }
    self.streams_[frame->hd.stream_id] = std::move(stream);
    return 0;
  }

  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void*) {
    Stream* stream = Find(session, frame->hd.stream_id);
    if (stream == nullptr) return 0;
    // RFC 9113 section 6.5.2 counts each field as name + value + 32.
    stream->header_bytes += name_length + value_length + 32;
    if (stream->header_bytes > kMaxHeaderBytes) {
      stream->header_too_large = true;
      stream->method.clear();
      stream->path.clear();
      return 0;
    }
    const std::string_view field = View(name, name_length);
    if (field == ":method") {
      stream->method.assign(View(value, value_length));
    } else if (field == ":path") {
      stream->path.assign(View(value, value_length));
    } else if (field == "inference-header-content-length") {
      stream->inference_header_length.assign(View(value, value_length));
    } else if (field == "origin") {
      stream->origin.assign(View(value, value_length));
    }
    return 0;
  }

  static int OnDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id,
                         const uint8_t* data, size_t length, void* user_data) {
    ServerSession& self = Self(user_data);
    Stream* stream = Find(session, stream_id);
    if (stream == nullptr || stream->body_too_large || stream->header_too_large) return 0;
    if (stream->body.size() + length > self.options_.max_body_bytes) {
      // Keep reading (and discarding) to the end of the stream, then answer 413.
      stream->body_too_large = true;
      self.buffered_body_bytes_ -= stream->body.size();
      std::string().swap(stream->body);
      return 0;
    }
    if (self.buffered_body_bytes_ + length > kHttp2MaxBufferedBodyBytesPerConnection) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id,
                                NGHTTP2_ENHANCE_YOUR_CALM);
      return 0;
    }
    stream->body.append(View(data, length));
    self.buffered_body_bytes_ += length;
    return 0;
  }

  static int OnFrameReceived(nghttp2_session* session, const nghttp2_frame* frame,
                             void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) return 0;
    Stream* stream = Find(session, frame->hd.stream_id);
    if (stream == nullptr || stream->dispatched) return 0;
    Self(user_data).Dispatch(frame->hd.stream_id, *stream);
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* user_data) {
    Self(user_data).Forget(stream_id);
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                          uint32_t* flags, nghttp2_data_source* source, void*) {
    Stream& stream = *static_cast<Stream*>(source->ptr);
    const std::string& body = stream.reply.body;
    const size_t count = std::min(length, body.size() - stream.body_sent);
    std::memcpy(buffer, body.data() + stream.body_sent, count);
    stream.body_sent += count;
    if (stream.body_sent == body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(count);
  }

  // Shared by every session; made once, never freed.
  static nghttp2_session_callbacks* Get() {
    static nghttp2_session_callbacks* const callbacks = [] {
      nghttp2_session_callbacks* made = nullptr;
      if (nghttp2_session_callbacks_new(&made) != 0) return made;
      nghttp2_session_callbacks_set_on_begin_headers_callback(made, OnBeginHeaders);
      nghttp2_session_callbacks_set_on_header_callback(made, OnHeader);
      nghttp2_session_callbacks_set_on_data_chunk_recv_callback(made, OnDataChunk);
      nghttp2_session_callbacks_set_on_frame_recv_callback(made, OnFrameReceived);
      nghttp2_session_callbacks_set_on_stream_close_callback(made, OnStreamClose);
      return made;
    }();
    return callbacks;
  }
};

ServerSession::ServerSession(const Options& options, RequestHandler on_request)
    : options_(options), on_request_(std::move(on_request)) {}

ServerSession::~ServerSession() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

absl::StatusOr<std::unique_ptr<ServerSession>> ServerSession::Create(const Options& options,
                                                                     RequestHandler on_request) {
  nghttp2_session_callbacks* callbacks = Callbacks::Get();
  if (callbacks == nullptr) return absl::ResourceExhaustedError("nghttp2: out of memory");
  std::unique_ptr<ServerSession> self(new ServerSession(options, std::move(on_request)));
  if (nghttp2_session_server_new(&self->session_, callbacks, self.get()) != 0) {
    return absl::ResourceExhaustedError("nghttp2: cannot create a server session");
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kHttp2MaxConcurrentStreams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kHttp2StreamWindowBytes},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, kMaxHeaderBytes},
  };
  if (nghttp2_submit_settings(self->session_, NGHTTP2_FLAG_NONE, settings,
                              std::size(settings)) != 0 ||
      nghttp2_session_set_local_window_size(self->session_, NGHTTP2_FLAG_NONE, 0,
                                            kHttp2ConnectionWindowBytes) != 0) {
    return absl::InternalError("nghttp2: cannot queue the server's SETTINGS");
  }
  return self;
}

bool ServerSession::Receive(const char* data, size_t size) {
  const ssize_t result =
      nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(data), size);
  // Protocol errors nghttp2 can name are answered with a queued GOAWAY and end in Finished();
  // a negative result (bad preface, flooding, out of memory) ends the connection at once.
  if (result < 0) failed_ = true;
  return !failed_;
}

void ServerSession::Dispatch(int32_t stream_id, Stream& stream) {
  stream.dispatched = true;
  stream.awaiting_reply = true;
  ++requests_in_flight_;
  if (stream.header_too_large) {
    Reply(stream_id, RestRouter::ErrorReply(
                         431, fmt::format("the request header exceeds {} bytes", kMaxHeaderBytes)));
    return;
  }
  if (stream.body_too_large) {
    Reply(stream_id, RestRouter::ErrorReply(
                         413, fmt::format("the request body exceeds the {}-byte limit",
                                          options_.max_body_bytes)));
    return;
  }
  buffered_body_bytes_ -= stream.body.size();
  on_request_(stream_id, RestRequest{stream.method, stream.path, std::move(stream.body),
                                     stream.inference_header_length, stream.origin});
}

void ServerSession::Reply(int32_t stream_id, RestReply reply) {
  const auto found = streams_.find(stream_id);
  if (found == streams_.end() || !found->second->awaiting_reply) return;
  Stream& stream = *found->second;
  stream.awaiting_reply = false;
  --requests_in_flight_;
  stream.reply = std::move(reply);
  const int status = std::clamp(stream.reply.status, 100, 999);
  std::to_chars(stream.status, stream.status + 3, status);
  stream.content_length = std::to_string(stream.reply.body.size());

  nghttp2_nv fields[6 + RestReply::kMaxHeaders];
  size_t count = 0;
  fields[count++] = Field(":status", std::string_view(stream.status, 3));
  if (status != 204) {  // no content, so neither of its headers (RFC 9110 section 8.6)
    fields[count++] = Field("content-type", stream.reply.content_type);
    fields[count++] = Field("content-length", stream.content_length);
  }
  if (stream.reply.timing) {
    stream.server_timing = ServerTimingValue(*stream.reply.timing);
    fields[count++] = Field("server-timing", stream.server_timing);
  }
  // Upgrade is a connection-level field HTTP/2 forbids (RFC 9113 section 8.2.2): not sent.
  if (!stream.reply.allow.empty()) fields[count++] = Field("allow", stream.reply.allow);
  if (stream.reply.inference_header_length) {
    stream.reply_inference_header_length = std::to_string(*stream.reply.inference_header_length);
    fields[count++] =
        Field("inference-header-content-length", stream.reply_inference_header_length);
  }
  for (size_t i = 0; i < stream.reply.headers.size() && i < RestReply::kMaxHeaders; ++i) {
    fields[count++] = Field(stream.reply.headers[i].name, stream.reply.headers[i].value);
  }

  nghttp2_data_provider body{};
  body.source.ptr = &stream;
  body.read_callback = Callbacks::ReadBody;
  const bool has_body = !stream.reply.body.empty() && stream.method != "HEAD" && status != 204;
  nghttp2_submit_response(session_, stream_id, fields, count, has_body ? &body : nullptr);
}

void ServerSession::Forget(int32_t stream_id) {
  const auto found = streams_.find(stream_id);
  if (found == streams_.end()) return;
  Stream& stream = *found->second;
  if (stream.awaiting_reply) --requests_in_flight_;
  buffered_body_bytes_ -= stream.body.size();
  streams_.erase(found);
}

void ServerSession::Send(std::string* out) {
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t size = nghttp2_session_mem_send(session_, &data);
    if (size < 0) {
      failed_ = true;
      return;
    }
    if (size == 0) return;
    out->append(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
  }
}

void ServerSession::Shutdown() {
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
}

bool ServerSession::Finished() const {
  return failed_ ||
         (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0);
}

}  // namespace predictwire::transport::http2
