#ifndef PREDICTWIRE_LOADGEN_CLIENT_H2_TEST_SERVER_H_
#define PREDICTWIRE_LOADGEN_CLIENT_H2_TEST_SERVER_H_

// For tests only: the server end of an HTTP/2 connection in memory, a real nghttp2 server
// session that the test drives by hand: it reads what the client wrote, shows each request's
// fields and body, and answers when and how the test says (headers, body in pieces, trailers,
// RST_STREAM, GOAWAY), as bytes the test hands the client however it likes.

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace predictwire::loadgen::testing {

class H2TestServer {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;

  struct Request {
    std::map<std::string, std::string> fields;
    std::string body;
    bool ended = false;       // the client half-closed the stream
    bool closed = false;      // the stream is closed
    uint32_t reset_code = 0;  // how it closed: NGHTTP2_NO_ERROR, or its RST_STREAM code
  };

  H2TestServer() {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_begin_headers_callback(
        callbacks, [](nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
          Self(user_data).requests[frame->hd.stream_id];
          return 0;
        });
    nghttp2_session_callbacks_set_on_header_callback(
        callbacks,
        [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t name_length,
           const uint8_t* value, size_t value_length, uint8_t, void* user_data) {
          Self(user_data)
              .requests[frame->hd.stream_id]
              .fields[std::string(reinterpret_cast<const char*>(name), name_length)] =
              std::string(reinterpret_cast<const char*>(value), value_length);
          return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        callbacks, [](nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                      size_t length, void* user_data) {
          Self(user_data).requests[stream_id].body.append(reinterpret_cast<const char*>(data),
                                                          length);
          return 0;
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        callbacks, [](nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
          if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
              (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
            Self(user_data).requests[frame->hd.stream_id].ended = true;
          }
          return 0;
        });
    nghttp2_session_callbacks_set_on_stream_close_callback(
        callbacks, [](nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
          H2TestServer& self = Self(user_data);
          Request& request = self.requests[stream_id];
          request.closed = true;
          request.reset_code = error_code;
          self.answers_.erase(stream_id);
          return 0;
        });
    nghttp2_session_server_new(&session_, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~H2TestServer() { nghttp2_session_del(session_); }
  H2TestServer(const H2TestServer&) = delete;
  H2TestServer& operator=(const H2TestServer&) = delete;

  // Reads what the client wrote; false when nghttp2 takes it for a protocol error.
  bool Receive(std::string_view from_client) {
    return nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(from_client.data()),
                                    from_client.size()) == static_cast<ssize_t>(from_client.size());
  }

  // Everything the server has to say now.
  std::string Take() {
    std::string out;
    const uint8_t* data = nullptr;
    for (ssize_t size; (size = nghttp2_session_mem_send(session_, &data)) > 0;) {
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
    }
    return out;
  }

  // Starts the response on `stream_id`: its headers, then a body that Write and End give.
  void Open(int32_t stream_id, Fields headers) {
    auto answer = std::make_unique<Answer>();
    answer->headers = std::move(headers);
    std::vector<nghttp2_nv> fields = Nv(answer->headers);
    nghttp2_data_provider provider{};
    provider.source.ptr = answer.get();
    provider.read_callback = ReadBody;
    nghttp2_submit_response(session_, stream_id, fields.data(), fields.size(), &provider);
    answers_[stream_id] = std::move(answer);
  }

  // More of the body on `stream_id`.
  void Write(int32_t stream_id, std::string_view bytes) {
    Answer& answer = *answers_.at(stream_id);
    answer.body.append(bytes);
    Resume(stream_id, answer);
  }

  // Ends the response: after the body, with `trailers` when given.
  void End(int32_t stream_id, Fields trailers = {}) {
    Answer& answer = *answers_.at(stream_id);
    answer.ended = true;
    answer.trailers = std::move(trailers);
    Resume(stream_id, answer);
  }

  // A whole response.
  void Respond(int32_t stream_id, Fields headers, std::string_view body, Fields trailers = {}) {
    Open(stream_id, std::move(headers));
    Write(stream_id, body);
    End(stream_id, std::move(trailers));
  }

  // A response of headers only that ends the stream (gRPC's trailers-only answer).
  void RespondWithHeadersOnly(int32_t stream_id, Fields headers) {
    std::vector<nghttp2_nv> fields = Nv(headers);
    nghttp2_submit_response(session_, stream_id, fields.data(), fields.size(), nullptr);
  }

  void Reset(int32_t stream_id, uint32_t code = NGHTTP2_INTERNAL_ERROR) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, code);
  }

  // GOAWAY: streams after `last_stream_id` will not be answered.
  void GoAway(int32_t last_stream_id) {
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, last_stream_id, NGHTTP2_NO_ERROR, nullptr,
                          0);
  }

  // The streams the client opened, in the order it opened them.
  std::vector<int32_t> stream_ids() const {
    std::vector<int32_t> ids;
    for (const auto& [id, request] : requests) ids.push_back(id);
    return ids;
  }

  std::map<int32_t, Request> requests;

 private:
  struct Answer {
    Fields headers;
    std::string body;
    size_t sent = 0;
    bool ended = false;
    Fields trailers;
    bool deferred = false;
  };

  static H2TestServer& Self(void* user_data) { return *static_cast<H2TestServer*>(user_data); }

  static std::vector<nghttp2_nv> Nv(Fields& fields) {
    std::vector<nghttp2_nv> nv;
    for (auto& [name, value] : fields) {
      nv.push_back({reinterpret_cast<uint8_t*>(name.data()),
                    reinterpret_cast<uint8_t*>(value.data()), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NONE});
    }
    return nv;
  }

  void Resume(int32_t stream_id, Answer& answer) {
    if (!answer.deferred) return;
    answer.deferred = false;
    nghttp2_session_resume_data(session_, stream_id);
  }

  static ssize_t ReadBody(nghttp2_session* session, int32_t stream_id, uint8_t* buffer,
                          size_t length, uint32_t* flags, nghttp2_data_source* source, void*) {
    Answer& answer = *static_cast<Answer*>(source->ptr);
    const size_t count = std::min(length, answer.body.size() - answer.sent);
    std::memcpy(buffer, answer.body.data() + answer.sent, count);
    answer.sent += count;
    if (answer.sent < answer.body.size()) return static_cast<ssize_t>(count);
    if (!answer.ended) {
      if (count > 0) return static_cast<ssize_t>(count);
      answer.deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!answer.trailers.empty()) {
      std::vector<nghttp2_nv> trailers = Nv(answer.trailers);
      nghttp2_submit_trailer(session, stream_id, trailers.data(), trailers.size());
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    }
    return static_cast<ssize_t>(count);
  }

  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::unique_ptr<Answer>> answers_;
};

}  // namespace predictwire::loadgen::testing

#endif  // PREDICTWIRE_LOADGEN_CLIENT_H2_TEST_SERVER_H_
