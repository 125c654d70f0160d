#include "transport/http2/server_session.h"

#include <nghttp2/nghttp2.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "transport/common/http_date.h"
#include "transport/http2/server_stream.h"

namespace predictwire::transport::http2 {

namespace {

std::string_view View(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// nghttp2 allocates two large blocks when a session is created and holds them for its life:
// its frame buffer (the bytes of the frame being written, 16,394 of them) and its stream map's
// table (256 buckets, 4 KiB, calloc'd). Every other allocation it makes then is a few KiB at most.
// Blocks this large, asked for during creation, are those two.
constexpr size_t kFrameBufferBytes = 16384;

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

// Pages of their own for `size` bytes, zeroed; null if the system has none.
void* MapPages(size_t size, size_t* mapped) {
  *mapped = (size + PageSize() - 1) / PageSize() * PageSize();
  void* pages = mmap(nullptr, *mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return pages == MAP_FAILED ? nullptr : pages;
}

// Whether the `size` bytes at `block` are all zero.
bool AllZero(const void* block, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(block);
  return bytes[0] == 0 && std::memcmp(bytes, bytes + 1, size - 1) == 0;
}

}  // namespace

// nghttp2's memory functions for one session (mem_user_data is the ServerSession): all as
// malloc's, but the frame buffer and the stream map's table get pages of their own.
struct ServerSession::FrameBufferMemory {
  static PagedBlock* Find(ServerSession& session, void* block) {
    if (block == nullptr) return nullptr;
    if (block == session.frame_buffer_.pages) return &session.frame_buffer_;
    if (block == session.stream_table_.pages) return &session.stream_table_;
    return nullptr;
  }
  static void* Malloc(size_t size, void* session) { return Realloc(nullptr, size, session); }
  static void* Calloc(size_t count, size_t size, void* user) {
    auto* session = static_cast<ServerSession*>(user);
    const size_t bytes = count * size;
    if (session->creating_ && session->stream_table_.pages == nullptr && bytes >= PageSize() &&
        bytes < kFrameBufferBytes && (count == 0 || bytes / count == size)) {
      session->stream_table_.pages = MapPages(bytes, &session->stream_table_.mapped);
      return session->stream_table_.pages;  // the kernel's pages come zeroed
    }
    return std::calloc(count, size);
  }
  static void Free(void* block, void* user) {
    if (PagedBlock* paged = Find(*static_cast<ServerSession*>(user), block)) {
      munmap(paged->pages, paged->mapped);
      *paged = {};
      return;
    }
    std::free(block);
  }
  static void* Realloc(void* block, size_t size, void* user) {
    auto* session = static_cast<ServerSession*>(user);
    if (block == nullptr && session->creating_ && session->frame_buffer_.pages == nullptr &&
        size >= kFrameBufferBytes) {
      session->frame_buffer_.pages = MapPages(size, &session->frame_buffer_.mapped);
      return session->frame_buffer_.pages;
    }
    if (PagedBlock* paged = Find(*session, block)) {
      if (size <= paged->mapped) return block;
      void* moved = std::malloc(size);  // grown past its pages (not seen): an ordinary block
      if (moved == nullptr) return nullptr;
      std::memcpy(moved, block, paged->mapped);
      Free(block, user);
      return moved;
    }
    return std::realloc(block, size);
  }
};

// The nghttp2 callbacks, as static members so they may reach ServerSession's privates.
class ServerSession::Callbacks {
 public:
  static ServerSession& Self(void* user_data) { return *static_cast<ServerSession*>(user_data); }

  static Stream* Find(nghttp2_session* session, int32_t stream_id) {
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, stream_id));
  }

  static int OnBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    ServerSession& self = Self(user_data);
    // Past the advertised limit (nghttp2 enforces only a higher one: see Create), the stream
    // alone is refused, as RFC 9113 section 5.1.2 allows; the client may retry it.
    if (self.streams_.size() >= kHttp2MaxConcurrentStreams) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                NGHTTP2_REFUSED_STREAM);
      self.Count(ProtocolError::kRefusedStream);
      return 0;
    }
    auto stream = std::make_shared<Stream>();
    stream->charge = MemoryCharge(self.options_.memory);
    // Fails only for a stream nghttp2 does not keep (refused): it never closes, so never store it.
    if (nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, stream.get()) != 0) {
      return 0;
    }
    self.streams_[frame->hd.stream_id] = std::move(stream);
    return 0;
  }

  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* user_data) {
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
    } else if (field == "content-type") {
      stream->content_type.assign(View(value, value_length));
      stream->grpc = stream->content_type.starts_with("application/grpc");
    } else if (field == "grpc-encoding") {
      stream->grpc_encoding.assign(View(value, value_length));
    } else if (field == "grpc-timeout") {
      stream->grpc_timeout.assign(View(value, value_length));
    } else if (field == ":path") {
      stream->path.assign(View(value, value_length));
    } else if (field == "inference-header-content-length") {
      stream->inference_header_length.assign(View(value, value_length));
    } else if (field == "origin") {
      stream->origin.assign(View(value, value_length));
    } else if (field == "if-none-match") {
      if (!stream->if_none_match.empty()) stream->if_none_match += ',';
      stream->if_none_match.append(View(value, value_length));
    } else if (field == "content-length") {
      uint64_t declared = 0;
      const std::string_view text = View(value, value_length);
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), declared);
      stream->declared_too_large = error == std::errc() && end == text.data() + text.size() &&
                                   declared > Self(user_data).options_.max_body_bytes;
    } else if (field == "expect") {
      constexpr std::string_view kContinue = "100-continue";
      const std::string_view expect = View(value, value_length);
      stream->expects_continue = std::equal(
          expect.begin(), expect.end(), kContinue.begin(), kContinue.end(),
          [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
    }
    return 0;
  }

  static int OnDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t* data,
                         size_t length, void* user_data) {
    ServerSession& self = Self(user_data);
    Stream* stream = Find(session, stream_id);
    // Window updates are ours to send (NGHTTP2_OPT_NO_AUTO_WINDOW_UPDATE): the connection's
    // window reopens at once; a stream's too, except a gRPC call's, whose handler says when it
    // has read its messages, so a client streaming faster than it is answered is held back by
    // flow control rather than buffered without end.
    nghttp2_session_consume_connection(session, length);
    const bool grpc_call = stream != nullptr && stream->grpc && !stream->header_too_large &&
                           self.grpc_ != nullptr && stream->dispatched;
    if (!grpc_call) nghttp2_session_consume_stream(session, stream_id, length);
    if (stream == nullptr || stream->body_too_large || stream->header_too_large ||
        stream->body_refused) {
      return 0;
    }
    if (stream->grpc) {
      if (grpc_call) self.grpc_->OnCallData(stream_id, View(data, length));
      return 0;
    }
    if (stream->body.size() + length > self.options_.max_body_bytes) {
      // Keep reading (and discarding) to the end of the stream, then answer 413.
      stream->body_too_large = true;
      self.buffered_body_bytes_ -= stream->body.size();
      std::string().swap(stream->body);
      return 0;
    }
    if (self.buffered_body_bytes_ + length > kHttp2MaxBufferedBodyBytesPerConnection) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_ENHANCE_YOUR_CALM);
      return 0;
    }
    if (!stream->charge.GrowTo(stream->body.size() + length)) {
      // Keep reading (and discarding) to the end of the stream, then answer 503.
      stream->body_refused = true;
      self.buffered_body_bytes_ -= stream->body.size();
      std::string().swap(stream->body);
      stream->charge.Reset();
      return 0;
    }
    stream->body.append(View(data, length));
    self.buffered_body_bytes_ += length;
    return 0;
  }

  static int OnFrameReceived(nghttp2_session* session, const nghttp2_frame* frame,
                             void* user_data) {
    if (frame->hd.type == NGHTTP2_SETTINGS && (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
      Self(user_data).client_settings_received_ = true;
      return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    Stream* grpc_stream = Find(session, frame->hd.stream_id);
    if (grpc_stream != nullptr && frame->hd.type == NGHTTP2_HEADERS) {
      grpc_stream->headers_done = true;
    }
    if (grpc_stream != nullptr && grpc_stream->grpc && !grpc_stream->header_too_large) {
      Self(user_data).OnGrpcFrame(frame->hd.stream_id, *grpc_stream, frame->hd.type,
                                  (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0);
      return 0;
    }
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
      Stream* waiting = Find(session, frame->hd.stream_id);
      // A body declared over the limit is answered 413 at once, as over HTTP/1.1, rather than
      // after the client has sent it all.
      if (frame->hd.type == NGHTTP2_HEADERS && waiting != nullptr && waiting->declared_too_large &&
          !waiting->dispatched) {
        waiting->body_too_large = true;
        Self(user_data).Dispatch(frame->hd.stream_id, *waiting);
        return 0;
      }
      // A client waiting to send its body (curl does for large ones) is told to go ahead.
      if (frame->hd.type == NGHTTP2_HEADERS && waiting != nullptr && waiting->expects_continue &&
          !waiting->header_too_large) {
        waiting->expects_continue = false;
        const nghttp2_nv continue_fields[] = {Field(":status", "100")};
        nghttp2_submit_headers(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, nullptr,
                               continue_fields, 1, nullptr);
      }
      return 0;
    }
    Stream* stream = Find(session, frame->hd.stream_id);
    if (stream == nullptr || stream->dispatched) return 0;
    Self(user_data).Dispatch(frame->hd.stream_id, *stream);
    return 0;
  }

  static int OnStreamClose(nghttp2_session* session, int32_t stream_id, uint32_t error_code,
                           void* user_data) {
    ServerSession& self = Self(user_data);
    Stream* stream = Find(session, stream_id);
    // Answered, or reset (RST_STREAM, a gRPC cancel): either way nothing more is wanted.
    if (stream != nullptr) stream->gone.store(true, std::memory_order_relaxed);
    if (stream != nullptr && stream->grpc && stream->dispatched && self.grpc_ != nullptr) {
      self.grpc_->OnCallClosed(stream_id,
                               error_code != NGHTTP2_NO_ERROR || !stream->grpc_trailers_sent);
    }
    self.Forget(stream_id);
    return 0;
  }

  // A gRPC call's messages: what has been written, then, once finishing, the trailers.
  static ssize_t ReadGrpcBody(nghttp2_session* session, int32_t stream_id, uint8_t* buffer,
                              size_t length, uint32_t* flags, nghttp2_data_source* source, void*) {
    Stream& stream = *static_cast<Stream*>(source->ptr);
    const size_t left = stream.grpc_out.size() - stream.grpc_out_sent;
    const size_t count = std::min(length, left);
    std::memcpy(buffer, stream.grpc_out.data() + stream.grpc_out_sent, count);
    stream.grpc_out_sent += count;
    if (stream.grpc_out_sent == stream.grpc_out.size()) {
      stream.grpc_out.clear();
      stream.grpc_out_sent = 0;
      stream.charge.Reset();
      if (stream.grpc_finishing) {
        *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        const nghttp2_nv trailers[] = {Field("grpc-status", stream.grpc_status),
                                       Field("grpc-message", stream.grpc_message)};
        if (nghttp2_submit_trailer(session, stream_id, trailers,
                                   stream.grpc_message.empty() ? 1 : 2) == 0) {
          stream.grpc_trailers_sent = true;
        }
        return static_cast<ssize_t>(count);
      }
      if (count == 0) {
        stream.grpc_deferred = true;
        return NGHTTP2_ERR_DEFERRED;
      }
    }
    return static_cast<ssize_t>(count);
  }

  // A gRPC call the server has ended while the client still sends: RST_STREAM(NO_ERROR) after
  // the trailers closes the stream, so its messages stop (gRPC's PROTOCOL-HTTP2 spec). Not for
  // a REST answer given early (413): curl takes that reset for a failed stream and drops the
  // answer, and a REST client stops on its own once it has one; what it still sends is read
  // and discarded.
  static int OnFrameSent(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR) {
      Self(user_data).Count(ProtocolError::kViolation);
      return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS || (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
      return 0;
    }
    const Stream* stream = Find(session, frame->hd.stream_id);
    if (stream != nullptr && stream->grpc &&
        nghttp2_session_get_stream_remote_close(session, frame->hd.stream_id) == 0) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
    }
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                          uint32_t* flags, nghttp2_data_source* source, void*) {
    Stream& stream = *static_cast<Stream*>(source->ptr);
    const std::string& body = stream.reply.body;
    const size_t count = std::min(length, body.size() - stream.body_sent);
    std::memcpy(buffer, body.data() + stream.body_sent, count);
    stream.body_sent += count;
    if (stream.body_sent == body.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      stream.body_pending = false;
    }
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
      nghttp2_session_callbacks_set_on_frame_send_callback(made, OnFrameSent);
      return made;
    }();
    return callbacks;
  }
};

ServerSession::ServerSession(const Options& options, RequestHandler on_request,
                             GrpcCallHandler* grpc)
    : options_(options), on_request_(std::move(on_request)), grpc_(grpc) {}

ServerSession::~ServerSession() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

void ServerSession::ReleaseIdleMemory() {
  // Between frames the buffer holds nothing: nghttp2 resets it once a frame is handed over,
  // and Send takes every frame there is.
  if (frame_buffer_.pages != nullptr && nghttp2_session_want_write(session_) == 0) {
    madvise(frame_buffer_.pages, frame_buffer_.mapped, MADV_DONTNEED);
  }
  if (streams_.empty()) decltype(streams_)().swap(streams_);  // its buckets too
  if (grpc_ != nullptr) grpc_->ReleaseIdleMemory();
  // With no stream left, the map's table is all empty buckets, zeros: the pages handed back
  // come back zeroed, the same bytes, when a stream next opens. (Checked byte by byte, not
  // assumed, so no other state of nghttp2's is ever lost.)
  if (stream_table_.pages != nullptr && streams_.empty() &&
      ResidentBytes(stream_table_) == stream_table_.mapped &&
      AllZero(stream_table_.pages, stream_table_.mapped)) {
    madvise(stream_table_.pages, stream_table_.mapped, MADV_DONTNEED);
  }
}

size_t ServerSession::ResidentBytes(const PagedBlock& block) {
  if (block.pages == nullptr) return 0;
  std::vector<unsigned char> pages(block.mapped / PageSize());
  if (mincore(block.pages, block.mapped, pages.data()) != 0) return 0;
  return static_cast<size_t>(std::count_if(pages.begin(), pages.end(),
                                           [](unsigned char page) { return page & 1; })) *
         PageSize();
}

size_t ServerSession::frame_buffer_resident_bytes() const { return ResidentBytes(frame_buffer_); }

size_t ServerSession::stream_table_resident_bytes() const { return ResidentBytes(stream_table_); }

absl::StatusOr<std::unique_ptr<ServerSession>> ServerSession::Create(const Options& options,
                                                                     RequestHandler on_request,
                                                                     GrpcCallHandler* grpc) {
  nghttp2_session_callbacks* callbacks = Callbacks::Get();
  if (callbacks == nullptr) return absl::ResourceExhaustedError("nghttp2: out of memory");
  std::unique_ptr<ServerSession> self(new ServerSession(options, std::move(on_request), grpc));
  nghttp2_option* option = nullptr;
  if (nghttp2_option_new(&option) != 0) {
    return absl::ResourceExhaustedError("nghttp2: out of memory");
  }
  nghttp2_option_set_no_auto_window_update(option, 1);
  // A closed stream is forgotten at once, not kept for the priority tree RFC 9113 retired: an
  // idle session then holds no stream, and its stream map's page can be handed back.
  nghttp2_option_set_no_closed_streams(option, 1);
  // Response headers go out as HPACK's static table and literals, as nginx sends them: the
  // dynamic table would keep a few hundred bytes in every session, idle or not (up to 4 KiB
  // on a busy one, churned by values that change with each response such as Server-Timing),
  // to save some 40 bytes a response.
  nghttp2_option_set_max_deflate_dynamic_table_size(option, 0);
  nghttp2_mem memory = {self.get(), &FrameBufferMemory::Malloc, &FrameBufferMemory::Free,
                        &FrameBufferMemory::Calloc, &FrameBufferMemory::Realloc};
  const int created =
      nghttp2_session_server_new3(&self->session_, callbacks, self.get(), option, &memory);
  self->creating_ = false;
  nghttp2_option_del(option);
  if (created != 0) return absl::ResourceExhaustedError("nghttp2: cannot create a server session");
  // nghttp2 ends the whole connection (GOAWAY) for a stream past the limit it enforces once the
  // client has acknowledged it. So it is given a higher one, the client is told the real one
  // (PatchAdvertisedStreamLimit) and OnBeginHeaders refuses the streams in between one by one.
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kHttp2StreamsBeforeGoaway},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kHttp2StreamWindowBytes},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, kMaxHeaderBytes},
  };
  if (nghttp2_submit_settings(self->session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) !=
          0 ||
      nghttp2_session_set_local_window_size(self->session_, NGHTTP2_FLAG_NONE, 0,
                                            kHttp2ConnectionWindowBytes) != 0) {
    return absl::InternalError("nghttp2: cannot queue the server's SETTINGS");
  }
  self->Send(&self->preamble_);
  if (!PatchAdvertisedStreamLimit(&self->preamble_)) {
    return absl::InternalError("nghttp2: the server's SETTINGS are not where expected");
  }
  return self;
}

bool ServerSession::PatchAdvertisedStreamLimit(std::string* preamble) {
  constexpr size_t kFrameHeaderBytes = 9;
  constexpr size_t kSettingBytes = 6;  // a 16-bit identifier and a 32-bit value
  if (preamble->size() < kFrameHeaderBytes || (*preamble)[3] != NGHTTP2_SETTINGS) return false;
  const auto* bytes = reinterpret_cast<const uint8_t*>(preamble->data());
  const size_t length = (size_t{bytes[0]} << 16) | (size_t{bytes[1]} << 8) | bytes[2];
  if (preamble->size() < kFrameHeaderBytes + length) return false;
  for (size_t at = kFrameHeaderBytes; at + kSettingBytes <= kFrameHeaderBytes + length;
       at += kSettingBytes) {
    if (((bytes[at] << 8) | bytes[at + 1]) != NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) continue;
    for (int i = 0; i < 4; ++i) {
      (*preamble)[at + 2 + i] = static_cast<char>(kHttp2MaxConcurrentStreams >> (24 - 8 * i));
    }
    return true;
  }
  return false;
}

bool ServerSession::Receive(const char* data, size_t size) {
  const ssize_t result =
      nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(data), size);
  // Protocol errors nghttp2 can name are answered with a queued GOAWAY and end in Finished();
  // a negative result (bad preface, flooding, out of memory) ends the connection at once.
  if (result < 0) {
    // A flood, a bad preface: nghttp2 ends the connection without a GOAWAY of its own.
    if (!failed_) Count(ProtocolError::kViolation);
    failed_ = true;
  }
  return !failed_;
}

void ServerSession::Dispatch(int32_t stream_id, Stream& stream) {
  stream.dispatched = true;
  stream.awaiting_reply = true;
  ++requests_in_flight_;
  if (stream.header_too_large) {
    Reply(stream_id, RestRouter::HeaderTooLargeReply());
    return;
  }
  if (stream.body_refused) {
    Reply(stream_id, RestRouter::BodyRefusedForMemoryReply());
    return;
  }
  if (stream.body_too_large) {
    Reply(stream_id, RestRouter::BodyTooLargeReply(options_.max_body_bytes));
    return;
  }
  buffered_body_bytes_ -= stream.body.size();
  on_request_(stream_id, RestRequest{stream.method, stream.path, std::move(stream.body),
                                     stream.inference_header_length, stream.origin,
                                     stream.if_none_match, RequestProtocol::kHttp2,
                                     CancelFlag(stream.shared_from_this(), &stream.gone)});
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
  const std::string_view date = HttpDate();
  std::memcpy(stream.date, date.data(), std::min(date.size(), sizeof(stream.date)));

  // Every value lives in the stream (its reply and reply_text) until the stream closes.
  nghttp2_nv fields[2 + kMaxReplyFields];
  size_t count = 0;
  fields[count++] = Field(":status", std::string_view(stream.status, 3));
  fields[count++] = Field("date", std::string_view(stream.date, sizeof(stream.date)));
  ForEachReplyField(
      stream.reply, HttpVersion::kHttp2, &stream.reply_text,
      [&](const ReplyField& field) { fields[count++] = Field(field.name, field.value); });

  nghttp2_data_provider body{};
  body.source.ptr = &stream;
  body.read_callback = Callbacks::ReadBody;
  const bool has_body =
      !stream.reply.body.empty() && stream.method != "HEAD" && status != 204 && status != 304;
  // The request body is gone; the reply's waits here until the client's windows let it go.
  stream.charge.Reset();
  if (has_body) stream.charge.ForceTo(stream.reply.body.size());
  stream.body_pending = has_body;
  nghttp2_submit_response(session_, stream_id, fields, count, has_body ? &body : nullptr);
}

void ServerSession::StartGrpcResponse(int32_t stream_id, Stream& stream) {
  stream.grpc_started = true;
  const nghttp2_nv fields[] = {Field(":status", "200"), Field("content-type", "application/grpc"),
                               Field("grpc-accept-encoding", kGrpcAcceptEncoding)};
  nghttp2_data_provider body{};
  body.source.ptr = &stream;
  body.read_callback = Callbacks::ReadGrpcBody;
  nghttp2_submit_response(session_, stream_id, fields, std::size(fields), &body);
}

CancelFlag ServerSession::CancelFlagOf(int32_t stream_id) const {
  const auto found = streams_.find(stream_id);
  if (found == streams_.end()) return nullptr;
  return CancelFlag(found->second, &found->second->gone);
}

void ServerSession::CancelAll() {
  for (auto& [stream_id, stream] : streams_) stream->gone.store(true, std::memory_order_relaxed);
}

void ServerSession::Count(ProtocolError error) {
  if (options_.metrics != nullptr)
    options_.metrics->RecordProtocolError(RequestProtocol::kHttp2, error);
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
  if (!preamble_.empty()) {
    out->append(preamble_);
    std::string().swap(preamble_);  // sent once: its memory goes too
  }
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

void ServerSession::SendPing() { nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr); }

bool ServerSession::AwaitingRequestHead() const {
  if (!client_settings_received_) return true;
  for (const auto& [stream_id, stream] : streams_) {
    if (!stream->headers_done) return true;
  }
  return false;
}

bool ServerSession::HasParkedOutput() const {
  for (const auto& [stream_id, stream] : streams_) {
    if (stream->body_pending || !stream->grpc_out.empty()) return true;
  }
  return false;
}

bool ServerSession::Finished() const {
  return failed_ ||
         (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0);
}

}  // namespace predictwire::transport::http2
