#include "loadgen/h2_connection.h"

#include <fmt/format.h>
#include <nghttp2/nghttp2.h>

#include <boost/asio/write.hpp>
#include <cstring>

#include "loadgen/client_tls.h"

namespace predictwire::loadgen {

namespace asio = transport::asio;
using transport::ErrorCode;

namespace {

constexpr size_t kReadChunk = 64 * 1024;
// The client's receive windows: replies are small, but a large one should not stall on credit.
constexpr int32_t kWindowBytes = 16 * 1024 * 1024;

std::string ErrorKind(const ErrorCode& error) {
  if (error == asio::error::connection_refused) return "refused";
  if (error == asio::error::connection_reset || error == asio::error::broken_pipe) return "reset";
  if (error == asio::error::eof) return "closed";
  return "io_" + error.message();
}

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
    const std::string_view body = Self(user_data).encoder_.http_body();
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

H2Connection::H2Connection(asio::io_context& context, const asio::ip::tcp::endpoint& endpoint,
                           RequestEncoder& encoder, int depth, ConnectionListener& listener,
                           TlsClient* tls)
    : context_(context),
      endpoint_(endpoint),
      encoder_(encoder),
      depth_(static_cast<size_t>(std::max(1, depth))),
      listener_(listener),
      authority_(fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port())),
      tls_client_(tls) {}

H2Connection::~H2Connection() { Close(); }

bool H2Connection::CanSend() const {
  return state_ == State::kReady && streams_.size() < depth_;
}

void H2Connection::Connect() {
  if (state_ != State::kClosed) return;
  ++generation_;
  socket_ = std::make_unique<transport::TcpSocket>(context_.get_executor());
  state_ = State::kConnecting;
  connect_started_ = std::chrono::steady_clock::now();
  socket_->async_connect(endpoint_, [this, generation = generation_](const ErrorCode& error) {
    if (generation == generation_) OnConnect(error);
  });
}

void H2Connection::OnConnect(const ErrorCode& error) {
  if (error) return Fail(ErrorKind(error));
  ErrorCode ignored;
  socket_->set_option(asio::ip::tcp::no_delay(true), ignored);
  input_.resize(kReadChunk);
  if (tls_client_ != nullptr) {
    tls_ = StartClientHandshake(*tls_client_);
    if (!tls_) return Fail("tls");
    state_ = State::kTlsHandshaking;
    StartRead();
    Flush();  // the ClientHello
    return;
  }
  if (!StartSession()) return;
  StartRead();
  Pump();
}

bool H2Connection::StartSession() {
  nghttp2_session_callbacks* callbacks = Callbacks::Get();
  if (callbacks == nullptr || nghttp2_session_client_new(&session_, callbacks, this) != 0) {
    Fail("nghttp2");
    return false;
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kWindowBytes},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kWindowBytes);
  state_ = State::kHandshaking;
  settings_received_ = false;
  return true;
}

void H2Connection::Send(uint64_t tag) {
  auto exchange = std::make_unique<Exchange>();
  exchange->tag = tag;
  const std::string_view body = encoder_.http_body();
  const std::string& path = encoder_.http_path();
  const nghttp2_nv fields[] = {
      Field(":method", "POST"),  Field(":scheme", tls_ ? "https" : "http"),
      Field(":authority", authority_),
      Field(":path", path),     Field("content-type", "application/json"),
  };
  nghttp2_data_provider provider{};
  provider.source.ptr = exchange.get();
  provider.read_callback = Callbacks::ReadBody;
  const int32_t stream_id = nghttp2_submit_request(session_, nullptr, fields, std::size(fields),
                                                   body.empty() ? nullptr : &provider,
                                                   exchange.get());
  if (stream_id < 0) {
    // Stream ids are exhausted or the server said GOAWAY: start over on a new connection.
    std::vector<uint64_t> lost{tag};
    for (const auto& [id, other] : streams_) {
      if (!other->abandoned) lost.push_back(other->tag);
    }
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
  ++generation_;
  if (tls_) {
    KeepSessionForResumption(*tls_, *tls_client_);
    tls_.reset();
  }
  if (socket_) {
    ErrorCode ignored;
    socket_->close(ignored);
  }
  if (session_ != nullptr) {
    nghttp2_session_del(session_);
    session_ = nullptr;
  }
  streams_.clear();
  completed_.clear();
  state_ = State::kClosed;
  writing_now_ = false;
  output_.clear();
}

void H2Connection::Fail(std::string_view error) {
  std::vector<uint64_t> lost;
  for (const auto& [id, exchange] : streams_) {
    if (!exchange->abandoned) lost.push_back(exchange->tag);
  }
  Close();
  listener_.OnFailed(*this, error, lost);
}

void H2Connection::StartRead() {
  socket_->async_read_some(asio::buffer(input_.data(), input_.size()),
                           [this, generation = generation_](const ErrorCode& error, size_t bytes) {
                             if (generation == generation_) OnRead(error, bytes);
                           });
}

void H2Connection::OnRead(const ErrorCode& error, size_t bytes) {
  if (error) return Fail(ErrorKind(error));
  if (!tls_) {
    if (!Receive(input_.data(), bytes)) return;
  } else {
    tls_->Feed(input_.data(), bytes);
    if (state_ == State::kTlsHandshaking) {
      absl::StatusOr<bool> done = ContinueClientHandshake(*tls_, *tls_client_);
      if (!done.ok()) return Fail("tls_handshake");
      Flush();  // the client's next flight
      if (!*done) return StartRead();
      if (tls_->alpn() != "h2") return Fail("tls_no_h2");  // the server did not pick HTTP/2
      if (!StartSession()) return;
    }
    if (plaintext_.empty()) plaintext_.resize(kReadChunk);
    for (;;) {
      absl::StatusOr<size_t> decrypted = tls_->Decrypt(plaintext_.data(), plaintext_.size());
      if (!decrypted.ok()) {
        return Fail(absl::IsOutOfRange(decrypted.status()) ? "closed" : "tls");
      }
      if (*decrypted == 0) break;
      if (!Receive(plaintext_.data(), *decrypted)) return;
    }
  }
  const uint64_t generation = generation_;
  Deliver();
  if (generation != generation_) return;
  if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
    return Fail("closed");  // the server sent GOAWAY and every stream is done
  }
  Pump();
  if (generation == generation_) StartRead();
}

bool H2Connection::Receive(const char* data, size_t size) {
  const ssize_t result =
      nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(data), size);
  if (result < 0) {
    Fail("bad_reply");
    return false;
  }
  return true;
}

void H2Connection::Deliver() {
  const uint64_t generation = generation_;
  if (state_ == State::kHandshaking && settings_received_) {
    state_ = State::kReady;
    listener_.OnConnected(*this, std::chrono::steady_clock::now() - connect_started_);
    if (generation != generation_) return;
    listener_.OnReady(*this);
    if (generation != generation_) return;
  }
  std::vector<std::pair<uint64_t, ReplyInfo>> completed;
  completed.swap(completed_);
  for (auto& [tag, reply] : completed) {
    listener_.OnReply(*this, tag, reply);
    if (generation != generation_) return;
    if (CanSend()) listener_.OnReady(*this);
    if (generation != generation_) return;
  }
}

void H2Connection::Pump() {
  if (session_ == nullptr) return;
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t size = nghttp2_session_mem_send(session_, &data);
    if (size < 0) return Fail("nghttp2");
    if (size == 0) break;
    output_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
  }
  Flush();
}

void H2Connection::Flush() {
  if (writing_now_ || !socket_) return;
  if (tls_) {
    if (!output_.empty()) {
      if (!tls_->Encrypt(output_).ok()) return Fail("tls");
      output_.clear();
    }
    writing_.clear();
    if (!tls_->TakeCiphertext(&writing_)) return;
  } else {
    if (output_.empty()) return;
    writing_.swap(output_);
    output_.clear();
  }
  writing_now_ = true;
  asio::async_write(*socket_, asio::buffer(writing_),
                    [this, generation = generation_](const ErrorCode& error, size_t) {
                      if (generation != generation_) return;
                      writing_now_ = false;
                      writing_.clear();
                      if (error) return Fail(ErrorKind(error));
                      Flush();
                    });
}

}  // namespace predictwire::loadgen
