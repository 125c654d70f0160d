#include "loadgen/h2_connection.h"

#include <fmt/format.h>
#include <nghttp2/nghttp2.h>

#include <cstring>

namespace predictwire::loadgen {

namespace {

// The client's receive windows: replies are small, but a large one should not stall on credit.
constexpr int32_t kWindowBytes = 16 * 1024 * 1024;

nghttp2_nv Field(std::string_view name, std::string_view value) {
  return nghttp2_nv{const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name.data())),
                    const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())),
                    name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
}

}  // namespace

// One request's stream, from submission until nghttp2 closes it.
struct H2Connection::Exchange {
  uint64_t tag = 0;
  bool abandoned = false;
  size_t body_sent = 0;
  int status = 0;
  std::optional<ServerTiming> timing;
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
      exchange->status = 0;
      for (char digit : text) exchange->status = exchange->status * 10 + (digit - '0');
    } else if (field == "server-timing") {
      exchange->timing = ParseServerTiming(text);
    }
    return 0;
  }

  static int OnFrameReceived(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type == NGHTTP2_SETTINGS && (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
      Self(user_data).settings_received_ = true;
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* user_data) {
    H2Connection& self = Self(user_data);
    const auto found = self.streams_.find(stream_id);
    if (found == self.streams_.end()) return 0;
    const Exchange& exchange = *found->second;
    if (!exchange.abandoned) {
      ReplyInfo reply;
      reply.timing = exchange.timing;
      if (error_code != NGHTTP2_NO_ERROR) {
        reply.ok = false;
        reply.error = "reset";
      } else if (exchange.status != 200) {
        reply.ok = false;
        reply.error = fmt::format("http_{}", exchange.status);
      }
      self.completed_.emplace_back(exchange.tag, std::move(reply));
    }
    self.streams_.erase(found);
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                          uint32_t* flags, nghttp2_data_source* source, void* user_data) {
    Exchange& exchange = *static_cast<Exchange*>(source->ptr);
    const std::string_view body = Self(user_data).body_.fixed();
    const size_t count = std::min(length, body.size() - exchange.body_sent);
    std::memcpy(buffer, body.data() + exchange.body_sent, count);
    exchange.body_sent += count;
    if (exchange.body_sent == body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(count);
  }

  static nghttp2_session_callbacks* Get() {
    static nghttp2_session_callbacks* const callbacks = [] {
      nghttp2_session_callbacks* made = nullptr;
      if (nghttp2_session_callbacks_new(&made) != 0) return made;
      nghttp2_session_callbacks_set_on_header_callback(made, OnHeader);
      nghttp2_session_callbacks_set_on_frame_recv_callback(made, OnFrameReceived);
      nghttp2_session_callbacks_set_on_stream_close_callback(made, OnStreamClose);
      return made;
    }();
    return callbacks;
  }
};

H2Connection::H2Connection(const ConnectionSetup& setup)
    : body_(setup.body),
      depth_(static_cast<size_t>(std::max(1, setup.depth))),
      listener_(setup.listener),
      authority_(fmt::format("{}:{}", setup.target.host, setup.target.port)),
      tls_(setup.tls != nullptr),
      pipe_(setup.context, setup.endpoint, setup.tls, *this) {}

H2Connection::~H2Connection() { Close(); }

bool H2Connection::CanSend() const { return ready_ && streams_.size() < depth_; }

void H2Connection::Connect() {
  if (pipe_.closed()) pipe_.Open();
}

void H2Connection::OnPipeOpen() {
  if (tls_ && pipe_.alpn() != "h2") return OnPipeFailed("tls_no_h2");  // the server chose 1.1
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
  Pump();
}

void H2Connection::Send(uint64_t tag) {
  auto exchange = std::make_unique<Exchange>();
  exchange->tag = tag;
  const std::string_view body = body_.fixed();
  const nghttp2_nv fields[] = {
      Field(":method", "POST"),
      Field(":scheme", tls_ ? "https" : "http"),
      Field(":authority", authority_),
      Field(":path", body_.path()),
      Field("content-type", "application/json"),
  };
  nghttp2_data_provider provider{};
  provider.source.ptr = exchange.get();
  provider.read_callback = Callbacks::ReadBody;
  const int32_t stream_id =
      nghttp2_submit_request(session_, nullptr, fields, std::size(fields),
                             body.empty() ? nullptr : &provider, exchange.get());
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

void H2Connection::Abandon(uint64_t tag) {
  for (auto& [stream_id, exchange] : streams_) {
    if (exchange->tag != tag || exchange->abandoned) continue;
    exchange->abandoned = true;
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
    Pump();
    return;
  }
}

void H2Connection::Close() {
  pipe_.Close();
  if (session_ != nullptr) {
    nghttp2_session_del(session_);
    session_ = nullptr;
  }
  streams_.clear();
  completed_.clear();
  ready_ = false;
}

std::vector<uint64_t> H2Connection::InFlight() const {
  std::vector<uint64_t> tags;
  for (const auto& [id, exchange] : streams_) {
    if (!exchange->abandoned) tags.push_back(exchange->tag);
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
  const uint64_t generation = pipe_.generation();
  Deliver();
  if (pipe_.generation() != generation) return size;
  if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
    OnPipeFailed("closed");  // the server sent GOAWAY and every stream is done
    return size;
  }
  Pump();
  return size;
}

void H2Connection::Deliver() {
  const uint64_t generation = pipe_.generation();
  if (!ready_ && settings_received_) {
    ready_ = true;
    listener_.OnConnected(*this, pipe_.SinceOpenStarted());
    if (pipe_.generation() != generation) return;
    listener_.OnReady(*this);
    if (pipe_.generation() != generation) return;
  }
  std::vector<std::pair<uint64_t, ReplyInfo>> completed;
  completed.swap(completed_);
  for (auto& [tag, reply] : completed) {
    listener_.OnReply(*this, tag, reply);
    if (pipe_.generation() != generation) return;
    if (CanSend()) listener_.OnReady(*this);
    if (pipe_.generation() != generation) return;
  }
}

void H2Connection::Pump() {
  if (session_ == nullptr) return;
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t size = nghttp2_session_mem_send(session_, &data);
    if (size < 0) return OnPipeFailed("nghttp2");
    if (size == 0) break;
    pipe_.output().append(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
  }
  pipe_.Flush();
}

std::unique_ptr<WireConnection> MakeH2Connection(const ConnectionSetup& setup) {
  return std::make_unique<H2Connection>(setup);
}

}  // namespace predictwire::loadgen
