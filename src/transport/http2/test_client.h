#ifndef PREDICTWIRE_TRANSPORT_HTTP2_TEST_CLIENT_H_
#define PREDICTWIRE_TRANSPORT_HTTP2_TEST_CLIENT_H_

// For tests: a real nghttp2 client session that talks to a server through memory, with requests
// whose body is sent at once or bit by bit (a gRPC call's messages), and every response's
// fields (trailers included), body and how its stream ended.

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace predictwire::transport::http2::testing {

class TestClient {
 public:
  struct Response {
    std::map<std::string, std::string> fields;  // headers, then trailers over them
    // Every field as it came, in order: headers, then trailers.
    std::vector<std::pair<std::string, std::string>> ordered_fields;
    int header_blocks = 0;  // 1: headers only (or trailers-only)
    std::string body;
    bool closed = false;
    uint32_t error_code = 0;  // of RST_STREAM, NGHTTP2_NO_ERROR for a clean close
  };

  // Delivers the client's bytes to the server and returns what the server sends back.
  using Server = std::function<std::string(std::string_view to_server)>;

  TestClient() {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_begin_headers_callback(
        callbacks, [](nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
          ++static_cast<TestClient*>(user_data)->responses[frame->hd.stream_id].header_blocks;
          return 0;
        });
    nghttp2_session_callbacks_set_on_header_callback(
        callbacks,
        [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t name_length,
           const uint8_t* value, size_t value_length, uint8_t, void* user_data) {
          Response& response = static_cast<TestClient*>(user_data)->responses[frame->hd.stream_id];
          std::string field_name(reinterpret_cast<const char*>(name), name_length);
          std::string field_value(reinterpret_cast<const char*>(value), value_length);
          response.fields[field_name] = field_value;
          response.ordered_fields.emplace_back(std::move(field_name), std::move(field_value));
          return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        callbacks, [](nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                      size_t length, void* user_data) {
          static_cast<TestClient*>(user_data)->responses[stream_id].body.append(
              reinterpret_cast<const char*>(data), length);
          return 0;
        });
    nghttp2_session_callbacks_set_on_stream_close_callback(
        callbacks, [](nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
          Response& response = static_cast<TestClient*>(user_data)->responses[stream_id];
          response.closed = true;
          response.error_code = error_code;
          return 0;
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        callbacks, [](nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
          if (frame->hd.type == NGHTTP2_GOAWAY) static_cast<TestClient*>(user_data)->goaway = true;
          return 0;
        });
    nghttp2_session_client_new(&session_, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~TestClient() { nghttp2_session_del(session_); }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  // A request whose whole body is sent at once (none for GET).
  int32_t Request(std::string method, std::string path, std::string body,
                  std::vector<std::pair<std::string, std::string>> extra = {}) {
    const bool has_body = method != "GET";
    const int32_t id = Open(std::move(method), std::move(path), std::move(extra), has_body);
    if (has_body) Write(id, body, /*end=*/true);
    return id;
  }

  // A request whose body follows in Write calls.
  int32_t Open(std::string method, std::string path,
               std::vector<std::pair<std::string, std::string>> extra, bool has_body = true) {
    auto stored = std::make_unique<Pending>();
    stored->fields = {{":method", std::move(method)},
                      {":path", std::move(path)},
                      {":scheme", "http"},
                      {":authority", "test"}};
    for (auto& field : extra) stored->fields.push_back(std::move(field));
    std::vector<nghttp2_nv> fields;
    for (auto& [name, value] : stored->fields) {
      fields.push_back({reinterpret_cast<uint8_t*>(name.data()),
                        reinterpret_cast<uint8_t*>(value.data()), name.size(), value.size(),
                        NGHTTP2_NV_FLAG_NONE});
    }
    nghttp2_data_provider provider{};
    provider.source.ptr = stored.get();
    provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                                uint32_t* flags, nghttp2_data_source* source, void*) -> ssize_t {
      Pending& pending = *static_cast<Pending*>(source->ptr);
      const size_t count = std::min(length, pending.body.size() - pending.sent);
      std::memcpy(buffer, pending.body.data() + pending.sent, count);
      pending.sent += count;
      if (pending.sent == pending.body.size()) {
        if (pending.ended) {
          *flags |= NGHTTP2_DATA_FLAG_EOF;
        } else if (count == 0) {
          pending.deferred = true;
          return NGHTTP2_ERR_DEFERRED;
        }
      }
      return static_cast<ssize_t>(count);
    };
    const int32_t id = nghttp2_submit_request(session_, nullptr, fields.data(), fields.size(),
                                              has_body ? &provider : nullptr, nullptr);
    pending_[id] = std::move(stored);
    return id;
  }

  // More of a request's body; `end` half-closes the stream after it.
  void Write(int32_t stream_id, std::string_view bytes, bool end = false) {
    Pending& pending = *pending_.at(stream_id);
    pending.body.append(bytes);
    pending.ended = pending.ended || end;
    if (pending.deferred) {
      pending.deferred = false;
      nghttp2_session_resume_data(session_, stream_id);
    }
  }

  void Reset(int32_t stream_id) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
  }

  // Moves bytes both ways (nghttp2's client starts with the preface itself) until neither side
  // has more to say.
  void Exchange(const Server& server) {
    for (int round = 0; round < 1000; ++round) {
      std::string to_server;
      const uint8_t* data = nullptr;
      for (ssize_t size; (size = nghttp2_session_mem_send(session_, &data)) > 0;) {
        to_server.append(reinterpret_cast<const char*>(data), size);
      }
      const std::string to_client = server(to_server);
      if (!to_client.empty()) {
        nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(to_client.data()),
                                 to_client.size());
      }
      if (to_server.empty() && to_client.empty()) break;
    }
  }

  // Bytes of `stream_id`'s body the server has not let the client send yet (flow control).
  size_t unsent(int32_t stream_id) const {
    const Pending& pending = *pending_.at(stream_id);
    return pending.body.size() - pending.sent;
  }

  std::map<int32_t, Response> responses;
  bool goaway = false;

 private:
  struct Pending {
    std::vector<std::pair<std::string, std::string>> fields;
    std::string body;
    size_t sent = 0;
    bool ended = false;
    bool deferred = false;
  };
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::unique_ptr<Pending>> pending_;
};

}  // namespace predictwire::transport::http2::testing

#endif  // PREDICTWIRE_TRANSPORT_HTTP2_TEST_CLIENT_H_
