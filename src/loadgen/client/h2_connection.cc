#include "loadgen/client/h2_connection.h"

#include <fmt/format.h>
#include <nghttp2/nghttp2.h>

#include <charconv>
#include <cstring>

#include "loadgen/client/client_pipe.h"
#include "loadgen/client/grpc_messages.h"
#include "transport/grpc/grpc_framing.h"

namespace predictwire::loadgen {

namespace {

using transport::grpc_transport::MessageReader;

// The client's receive windows: replies are small, but a large one should not stall on credit.
constexpr int32_t kWindowBytes = 16 * 1024 * 1024;
// The largest gRPC reply message read.
constexpr size_t kMaxReplyMessageBytes = size_t{1} << 30;

nghttp2_nv Field(std::string_view name, std::string_view value) {
  return nghttp2_nv{const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name.data())),
                    const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())),
                    name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
}

int ParseInt(std::string_view text) {
  int value = 0;
  if (std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc()) return -1;
  return value;
}

}  // namespace

// One stream, from submission until nghttp2 closes it: a request, or grpc-stream's call.
struct H2Connection::Exchange {
  uint64_t tag = 0;
  bool abandoned = false;
  int status = 0;
  std::optional<ServerTiming> timing;
  std::deque<Outgoing> out;  // the request body still to send
  bool body_ended = true;    // nothing follows `out` (grpc-stream's call: more may)
  bool deferred = false;     // nghttp2 waits for more of the body
  // gRPC: the reply's messages, its status, and whether a message was not one.
  std::optional<MessageReader> reader;
  std::optional<int> grpc_status;
  bool bad_reply = false;
};

class H2Connection::Callbacks {
 public:
  static H2Connection& Self(void* user_data) { return *static_cast<H2Connection*>(user_data); }

  static Exchange* Find(nghttp2_session* session, int32_t stream_id) {
    return static_cast<Exchange*>(nghttp2_session_get_stream_user_data(session, stream_id));
  }

  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void*) {
    Exchange* exchange = Find(session, frame->hd.stream_id);
    if (exchange == nullptr) return 0;
    const std::string_view field(reinterpret_cast<const char*>(name), name_length);
    const std::string_view text(reinterpret_cast<const char*>(value), value_length);
    if (field == ":status") {
      exchange->status = ParseInt(text);
    } else if (field == "server-timing") {
      exchange->timing = ParseServerTiming(text);
    } else if (field == "grpc-status") {
      exchange->grpc_status = ParseInt(text);
    }
    return 0;
  }

  static int OnDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t* data,
                         size_t length, void* user_data) {
    Exchange* exchange = Find(session, stream_id);
    if (exchange == nullptr || !exchange->reader || exchange->bad_reply) return 0;
    exchange->reader->Feed(std::string_view(reinterpret_cast<const char*>(data), length));
    for (;;) {
      absl::StatusOr<std::optional<MessageReader::Message>> next = exchange->reader->Next();
      if (!next.ok() || (next->has_value() && (*next)->compressed)) {
        exchange->bad_reply = true;  // we ask for no compression
        return 0;
      }
      if (!next->has_value()) return 0;
      Self(user_data).OnGrpcMessage(*exchange, (*next)->bytes);
    }
  }

  static int OnFrameReceived(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    H2Connection& self = Self(user_data);
    const uint8_t type = frame->hd.type;
    if (type == NGHTTP2_SETTINGS && (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
      self.settings_received_ = true;
    } else if (type == NGHTTP2_GOAWAY && !self.goaway_received_) {
      self.goaway_received_ = true;
      self.goaway_error_ = frame->goaway.error_code;
      self.going_away_unreported_ = frame->goaway.error_code == NGHTTP2_NO_ERROR;
    } else if ((type == NGHTTP2_HEADERS || type == NGHTTP2_DATA) &&
               (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0 && self.call_ != nullptr &&
               frame->hd.stream_id == self.call_stream_id_) {
      // The server ended grpc-stream's call (its trailers) while this end may still send: the
      // call is over, whether or not a RST_STREAM(NO_ERROR) follows to close the stream.
      EndCall(self, ErrorOf(self, *self.call_, NGHTTP2_NO_ERROR));
    }
    return 0;
  }

  // What a stream that ended with `error_code` answered: empty for a good answer, else its
  // error kind.
  static std::string ErrorOf(const H2Connection& self, const Exchange& exchange,
                             uint32_t error_code) {
    const bool grpc = self.dialect_ != Dialect::kRest;
    if (error_code == NGHTTP2_REFUSED_STREAM) return "refused_stream";
    if (error_code != NGHTTP2_NO_ERROR) return "reset";
    if (exchange.status != 200) return fmt::format("http_{}", exchange.status);
    if (grpc && exchange.grpc_status.value_or(0) != 0) {
      return StatusErrorKind("grpc", *exchange.grpc_status);
    }
    if (grpc && (exchange.bad_reply || !exchange.grpc_status)) return "bad_reply";
    return "";
  }

  // grpc-stream's call ended: whatever was in flight on it is lost (Deliver reports it).
  static void EndCall(H2Connection& self, std::string error) {
    self.call_ended_ = error.empty() ? "closed" : std::move(error);
    self.call_ = nullptr;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* user_data) {
    H2Connection& self = Self(user_data);
    const auto found = self.streams_.find(stream_id);
    if (found == self.streams_.end()) return 0;
    const Exchange& exchange = *found->second;
    std::string error = ErrorOf(self, exchange, error_code);
    if (stream_id == self.call_stream_id_) {
      if (self.call_ != nullptr) EndCall(self, std::move(error));  // unless its end did
    } else if (!exchange.abandoned) {
      ReplyInfo reply;
      reply.timing = exchange.timing;
      if (!error.empty()) {
        reply.ok = false;
        reply.error = std::move(error);
        // RFC 9113 8.7: a refused stream (RST_STREAM, or past a GOAWAY's last stream) was not
        // processed, and may be sent again.
        reply.unprocessed = error_code == NGHTTP2_REFUSED_STREAM;
      }
      self.completed_.emplace_back(exchange.tag, std::move(reply));
    }
    self.streams_.erase(found);
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                          uint32_t* flags, nghttp2_data_source* source, void* user_data) {
    Exchange& exchange = *static_cast<Exchange*>(source->ptr);
    const H2Connection& self = Self(user_data);
    size_t written = 0;
    while (written < length && !exchange.out.empty()) {
      Outgoing& front = exchange.out.front();
      written += self.Copy(front, buffer + written, length - written);
      if (front.sent < self.SizeOf(front)) break;  // the buffer is full
      exchange.out.pop_front();
    }
    if (exchange.out.empty()) {
      if (exchange.body_ended) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
      } else if (written == 0) {
        exchange.deferred = true;
        return NGHTTP2_ERR_DEFERRED;
      }
    }
    return static_cast<ssize_t>(written);
  }

  static nghttp2_session_callbacks* Get() {
    static nghttp2_session_callbacks* const callbacks = [] {
      nghttp2_session_callbacks* made = nullptr;
      if (nghttp2_session_callbacks_new(&made) != 0) return made;
      nghttp2_session_callbacks_set_on_header_callback(made, OnHeader);
      nghttp2_session_callbacks_set_on_data_chunk_recv_callback(made, OnDataChunk);
      nghttp2_session_callbacks_set_on_frame_recv_callback(made, OnFrameReceived);
      nghttp2_session_callbacks_set_on_stream_close_callback(made, OnStreamClose);
      return made;
    }();
    return callbacks;
  }
};

H2Connection::H2Connection(const ConnectionSetup& setup)
    : dialect_(setup.wire.family != WireFamily::kGrpc ? Dialect::kRest
               : setup.wire.multiplexes               ? Dialect::kGrpcStream
                                                      : Dialect::kGrpcUnary),
      body_(setup.body),
      depth_(static_cast<size_t>(std::max(1, setup.depth))),
      listener_(setup.listener),
      authority_(fmt::format("{}:{}", setup.target.host, setup.target.port)),
      tls_(setup.tls != nullptr),
      pipe_(MakePipe(setup, *this)) {}

H2Connection::~H2Connection() { Close(); }

bool H2Connection::CanSend() const {
  if (!ready_ || goaway_received_) return false;
  if (dialect_ == Dialect::kGrpcStream) return call_ != nullptr && call_tags_.size() < depth_;
  return streams_.size() < depth_;
}

void H2Connection::Connect() {
  if (pipe_->closed()) pipe_->Open();
}

void H2Connection::OnPipeOpen() {
  if (tls_ && pipe_->alpn() != "h2") return OnPipeFailed("tls_no_h2");  // the server chose 1.1
  nghttp2_session_callbacks* callbacks = Callbacks::Get();
  if (callbacks == nullptr || nghttp2_session_client_new(&session_, callbacks, this) != 0) {
    return OnPipeFailed("nghttp2");
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kWindowBytes},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kWindowBytes);
  settings_received_ = false;
  goaway_received_ = false;
  goaway_error_ = 0;
  going_away_unreported_ = false;
  if (dialect_ == Dialect::kGrpcStream) {
    // The one call the connection's requests go on, its messages sent as they come.
    auto call = std::make_unique<Exchange>();
    call->body_ended = false;
    call->reader.emplace(kMaxReplyMessageBytes);
    const int32_t stream_id = Submit(kModelStreamInferPath, call.get());
    if (stream_id < 0) return OnPipeFailed("nghttp2");
    call_ = call.get();
    call_stream_id_ = stream_id;
    streams_[stream_id] = std::move(call);
  }
  Pump();
}

int32_t H2Connection::Submit(std::string_view path, Exchange* exchange) {
  const bool grpc = dialect_ != Dialect::kRest;
  const nghttp2_nv fields[] = {
      Field(":method", "POST"),
      Field(":scheme", tls_ ? "https" : "http"),
      Field(":authority", authority_),
      Field(":path", path),
      Field("content-type", grpc ? "application/grpc" : "application/json"),
      Field("te", "trailers"),  // gRPC's, and harmless elsewhere: the last field
  };
  nghttp2_data_provider provider{};
  provider.source.ptr = exchange;
  provider.read_callback = Callbacks::ReadBody;
  const bool has_body = grpc || !body_.fixed().empty();
  return nghttp2_submit_request(session_, nullptr, fields, std::size(fields) - (grpc ? 0 : 1),
                                has_body ? &provider : nullptr, exchange);
}

H2Connection::Outgoing H2Connection::GrpcMessage(uint64_t tag) const {
  Outgoing message;
  AppendRequestId(tag, &message.tail);
  const auto length = static_cast<uint32_t>(body_.fixed().size() + message.tail.size());
  message.head = {0, static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                  static_cast<char>(length >> 8), static_cast<char>(length)};
  return message;
}

size_t H2Connection::SizeOf(const Outgoing& outgoing) const {
  return outgoing.head.size() + body_.fixed().size() + outgoing.tail.size();
}

size_t H2Connection::Copy(Outgoing& outgoing, uint8_t* buffer, size_t length) const {
  size_t copied = 0;
  size_t start = 0;  // where the current piece starts in the whole
  for (const std::string_view piece :
       {std::string_view(outgoing.head), body_.fixed(), std::string_view(outgoing.tail)}) {
    const size_t end = start + piece.size();
    if (outgoing.sent < end && copied < length) {
      const size_t offset = outgoing.sent - start;
      const size_t count = std::min(piece.size() - offset, length - copied);
      std::memcpy(buffer + copied, piece.data() + offset, count);
      copied += count;
      outgoing.sent += count;
    }
    start = end;
  }
  return copied;
}

void H2Connection::Send(uint64_t tag) {
  if (dialect_ == Dialect::kGrpcStream) {
    call_tags_.insert(tag);
    call_->out.push_back(GrpcMessage(tag));
    if (call_->deferred) {
      call_->deferred = false;
      nghttp2_session_resume_data(session_, call_stream_id_);
    }
    Pump();
    return;
  }
  auto exchange = std::make_unique<Exchange>();
  exchange->tag = tag;
  if (dialect_ == Dialect::kGrpcUnary) {
    exchange->out.push_back(GrpcMessage(tag));
    exchange->reader.emplace(kMaxReplyMessageBytes);
  } else {
    exchange->out.emplace_back();
  }
  const int32_t stream_id =
      Submit(dialect_ == Dialect::kGrpcUnary ? kModelInferPath : std::string_view(body_.path()),
             exchange.get());
  if (stream_id < 0) {
    // Stream ids are exhausted or the server said GOAWAY: start over on a new connection.
    std::vector<uint64_t> lost = InFlight();
    lost.push_back(tag);
    Close();
    listener_.OnFailed(*this, "closed", lost);
    return;
  }
  streams_[stream_id] = std::move(exchange);
  Pump();
}

void H2Connection::OnGrpcMessage(Exchange& exchange, std::string_view message) {
  if (dialect_ == Dialect::kGrpcUnary) {
    const std::optional<ScannedReply> reply = ScanInferResponse(message);
    if (!reply) {
      exchange.bad_reply = true;
    } else {
      exchange.timing = reply->timing;
    }
    return;
  }
  const std::optional<ScannedReply> scanned = ScanStreamInferResponse(message);
  if (!scanned) {
    exchange.bad_reply = true;
    return;
  }
  uint64_t tag = 0;
  auto it = call_tags_.end();
  if (std::from_chars(scanned->id.data(), scanned->id.data() + scanned->id.size(), tag).ec ==
      std::errc()) {
    it = call_tags_.find(tag);
  } else if (scanned->stream_error && !call_tags_.empty()) {
    it = call_tags_.begin();  // an error without an id: the oldest request
  }
  if (it == call_tags_.end()) {  // abandoned after a timeout, or answered twice
    if (!scanned->stream_error) late_tags_.emplace_back(completed_.size(), tag);
    return;
  }
  tag = *it;
  call_tags_.erase(it);
  ReplyInfo reply;
  if (scanned->stream_error) {
    reply.ok = false;
    reply.error = "grpc_stream_error";  // ModelStreamInfer carries a message, no code
  } else {
    reply.timing = scanned->timing;
  }
  completed_.emplace_back(tag, std::move(reply));
}

void H2Connection::Abandon(uint64_t tag) {
  if (dialect_ == Dialect::kGrpcStream) {
    // Its late answer is dropped; the call carries on.
    if (call_tags_.erase(tag) > 0 && CanSend()) listener_.OnReady(*this);
    return;
  }
  for (auto& [stream_id, exchange] : streams_) {
    if (exchange->tag != tag || exchange->abandoned) continue;
    exchange->abandoned = true;
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
    Pump();  // sends the RST_STREAM, which closes the stream: its slot is free
    if (CanSend()) listener_.OnReady(*this);
    return;
  }
}

void H2Connection::Close() {
  pipe_->Close();
  if (session_ != nullptr) {
    nghttp2_session_del(session_);
    session_ = nullptr;
  }
  streams_.clear();
  completed_.clear();
  late_tags_.clear();
  call_ = nullptr;
  call_stream_id_ = 0;
  call_tags_.clear();
  call_ended_.reset();
  ready_ = false;
}

std::vector<uint64_t> H2Connection::InFlight() const {
  std::vector<uint64_t> tags(call_tags_.begin(), call_tags_.end());
  for (const auto& [id, exchange] : streams_) {
    if (!exchange->abandoned && id != call_stream_id_) tags.push_back(exchange->tag);
  }
  return tags;
}

void H2Connection::OnPipeFailed(std::string_view kind) {
  const std::vector<uint64_t> lost = InFlight();
  Close();
  listener_.OnFailed(*this, kind, lost);
}

size_t H2Connection::OnPipeInput(char* data, size_t size) {
  const ssize_t result =
      nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(data), size);
  if (result < 0) {
    OnPipeFailed("bad_reply");
    return size;
  }
  const uint64_t generation = pipe_->generation();
  Deliver();
  if (pipe_->generation() != generation) return size;
  Pump();
  if (pipe_->generation() != generation) return size;
  if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
    // The session is over, once what Pump wrote is out: the server sent GOAWAY and every stream
    // is done, or nghttp2 ended the session over the server's protocol error (a frame too
    // large, a broken header block) with a GOAWAY of its own, after which it reads nothing.
    OnPipeFailed(goaway_received_ ? GoAwayKind() : std::string("bad_reply"));
  }
  return size;
}

void H2Connection::Deliver() {
  const uint64_t generation = pipe_->generation();
  if (!ready_ && settings_received_) {
    ready_ = true;
    listener_.OnConnected(*this, pipe_->SinceOpenStarted());
    if (pipe_->generation() != generation) return;
    listener_.OnReady(*this);
    if (pipe_->generation() != generation) return;
  }
  if (going_away_unreported_) {
    going_away_unreported_ = false;
    listener_.OnGoingAway(*this);
    if (pipe_->generation() != generation) return;
  }
  std::vector<std::pair<uint64_t, ReplyInfo>> completed;
  completed.swap(completed_);
  std::vector<std::pair<size_t, uint64_t>> late;
  late.swap(late_tags_);
  auto next_late = late.begin();
  for (size_t i = 0; i <= completed.size(); ++i) {
    // Late answers where they came among the others.
    for (; next_late != late.end() && next_late->first == i; ++next_late) {
      listener_.OnLateReply(*this, next_late->second);
    }
    if (i == completed.size()) break;
    listener_.OnReply(*this, completed[i].first, completed[i].second);
    if (pipe_->generation() != generation) return;
    if (CanSend()) listener_.OnReady(*this);
    if (pipe_->generation() != generation) return;
  }
  if (call_ended_) {
    // The call ended as the server drains the connection (trailers with OK after its GOAWAY):
    // an orderly end, whatever was still in flight on it.
    const std::string kind =
        goaway_received_ && *call_ended_ == "closed" ? GoAwayKind() : *call_ended_;
    OnPipeFailed(kind);
  }
}

std::string H2Connection::GoAwayKind() const {
  return goaway_error_ == NGHTTP2_NO_ERROR ? std::string("goaway")
                                           : fmt::format("goaway_{}", goaway_error_);
}

void H2Connection::Pump() {
  if (session_ == nullptr) return;
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t size = nghttp2_session_mem_send(session_, &data);
    if (size < 0) return OnPipeFailed("nghttp2");
    if (size == 0) break;
    pipe_->output().append(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
  }
  pipe_->Flush();
}

std::unique_ptr<WireConnection> MakeH2Connection(const ConnectionSetup& setup) {
  return std::make_unique<H2Connection>(setup);
}

}  // namespace predictwire::loadgen
