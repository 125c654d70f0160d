#include "transport/http2/server_session.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "transport/http2/preface.h"

namespace predictwire::transport::http2 {
namespace {

// A real nghttp2 client session wired to a ServerSession through memory.
class TestClient {
 public:
  struct Response {
    std::map<std::string, std::string> fields;
    std::string body;
    bool closed = false;
    uint32_t error_code = 0;
  };

  TestClient() {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(
        callbacks, [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* user_data) {
          static_cast<TestClient*>(user_data)->responses[frame->hd.stream_id].fields[std::string(
              reinterpret_cast<const char*>(name), name_length)] =
              std::string(reinterpret_cast<const char*>(value), value_length);
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

  int32_t Request(std::string method, std::string path, std::string body,
                  std::vector<std::pair<std::string, std::string>> extra = {}) {
    auto stored = std::make_unique<Pending>();
    stored->fields = {{":method", method}, {":path", path}, {":scheme", "http"},
                      {":authority", "test"}};
    for (auto& field : extra) stored->fields.push_back(field);
    stored->body = std::move(body);
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
      if (pending.sent == pending.body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(count);
    };
    const int32_t id = nghttp2_submit_request(session_, nullptr, fields.data(), fields.size(),
                                              method == "GET" ? nullptr : &provider, nullptr);
    pending_.push_back(std::move(stored));
    return id;
  }

  void Reset(int32_t stream_id) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
  }

  // Moves bytes both ways (nghttp2's client starts with the preface itself) until neither side
  // has more to say. Returns what the server's last Receive returned.
  bool Exchange(ServerSession& server) {
    bool acceptable = true;
    for (int round = 0; round < 1000; ++round) {
      std::string to_server;
      const uint8_t* data = nullptr;
      for (ssize_t size; (size = nghttp2_session_mem_send(session_, &data)) > 0;) {
        to_server.append(reinterpret_cast<const char*>(data), size);
      }
      if (!to_server.empty()) acceptable = server.Receive(to_server.data(), to_server.size());
      std::string to_client;
      server.Send(&to_client);
      if (!to_client.empty()) {
        nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(to_client.data()),
                                 to_client.size());
      }
      if (to_server.empty() && to_client.empty()) break;
    }
    return acceptable;
  }

  std::map<int32_t, Response> responses;
  bool goaway = false;

 private:
  struct Pending {
    std::vector<std::pair<std::string, std::string>> fields;
    std::string body;
    size_t sent = 0;
  };
  nghttp2_session* session_ = nullptr;
  std::vector<std::unique_ptr<Pending>> pending_;
};

struct Received {
  int32_t stream_id;
  std::string method;
  std::string target;
  std::string body;
  std::string origin;
};

std::unique_ptr<ServerSession> MakeServer(std::vector<Received>* received,
                                          size_t max_body_bytes = 1024) {
  auto session = ServerSession::Create(
      {.max_body_bytes = max_body_bytes}, [received](int32_t stream_id, RestRequest request) {
        received->push_back({stream_id, std::string(request.method), std::string(request.target),
                             std::move(request.body), std::string(request.origin)});
      });
  EXPECT_TRUE(session.ok()) << session.status();
  return *std::move(session);
}

RestReply TextReply(int status, std::string body) {
  RestReply reply;
  reply.status = status;
  reply.body = std::move(body);
  return reply;
}

TEST(ServerSessionTest, AnswersStreamsInTheOrderRepliesCome) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  TestClient client;
  const int32_t first = client.Request("POST", "/predict", "{\"features\":[1]}");
  const int32_t second = client.Request("GET", "/v2/health/ready", "");
  ASSERT_TRUE(client.Exchange(*server));
  ASSERT_EQ(received.size(), 2u);
  // The GET ends with its HEADERS, before the POST's DATA: order by stream to compare.
  std::sort(received.begin(), received.end(),
            [](const Received& a, const Received& b) { return a.stream_id < b.stream_id; });
  EXPECT_EQ(received[0].method, "POST");
  EXPECT_EQ(received[0].target, "/predict");
  EXPECT_EQ(received[0].body, "{\"features\":[1]}");
  EXPECT_EQ(received[1].target, "/v2/health/ready");
  EXPECT_EQ(server->requests_in_flight(), 2u);

  // The second stream is answered first; the first is still open and unaffected.
  RestReply ready = TextReply(200, "{}");
  ready.timing = ServerTiming{.queue_us = 1234, .compute_us = 50001};
  server->Reply(second, std::move(ready));
  client.Exchange(*server);
  EXPECT_TRUE(client.responses[second].closed);
  EXPECT_EQ(client.responses[second].fields[":status"], "200");
  EXPECT_EQ(client.responses[second].fields["server-timing"],
            "queue;dur=1.234, compute;dur=50.001");
  EXPECT_FALSE(client.responses[first].closed);

  server->Reply(first, TextReply(200, std::string(100000, 'x')));  // several DATA frames
  client.Exchange(*server);
  EXPECT_TRUE(client.responses[first].closed);
  EXPECT_EQ(client.responses[first].body.size(), 100000u);
  EXPECT_EQ(client.responses[first].fields["content-length"], "100000");
  EXPECT_EQ(client.responses[first].fields["content-type"], "application/json");
  EXPECT_EQ(server->requests_in_flight(), 0u);
}

TEST(ServerSessionTest, OriginInAndFurtherHeadersOutAnd204WithoutContent) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  TestClient client;
  const int32_t preflight =
      client.Request("OPTIONS", "/predict", "", {{"origin", "http://page.example"}});
  client.Exchange(*server);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].origin, "http://page.example");
  RestReply reply;
  reply.status = 204;
  reply.allow = "POST";
  reply.headers = {{"access-control-allow-origin", "http://page.example"},
                   {"access-control-allow-methods", "POST"},
                   {"vary", "origin"}};
  server->Reply(preflight, std::move(reply));
  client.Exchange(*server);
  TestClient::Response& response = client.responses[preflight];
  EXPECT_TRUE(response.closed);
  EXPECT_EQ(response.error_code, 0u);
  EXPECT_EQ(response.fields[":status"], "204");
  EXPECT_EQ(response.fields["access-control-allow-origin"], "http://page.example");
  EXPECT_EQ(response.fields["access-control-allow-methods"], "POST");
  EXPECT_EQ(response.fields["vary"], "origin");
  EXPECT_EQ(response.fields.count("content-length"), 0u);
  EXPECT_TRUE(response.body.empty());
}

TEST(ServerSessionTest, ReplyToAResetStreamIsIgnored) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  TestClient client;
  const int32_t stream = client.Request("POST", "/predict", "{}");
  client.Exchange(*server);
  ASSERT_EQ(received.size(), 1u);
  client.Reset(stream);
  client.Exchange(*server);
  EXPECT_EQ(server->requests_in_flight(), 0u);
  server->Reply(stream, TextReply(200, "late"));  // the model finished after the reset
  client.Exchange(*server);
  EXPECT_TRUE(client.responses[stream].body.empty());
  // The connection still serves.
  const int32_t next = client.Request("GET", "/v2", "");
  client.Exchange(*server);
  ASSERT_EQ(received.size(), 2u);
  server->Reply(next, TextReply(200, "ok"));
  client.Exchange(*server);
  EXPECT_EQ(client.responses[next].body, "ok");
}

TEST(ServerSessionTest, OversizedBodyIs413AndOthersCarryOn) {
  std::vector<Received> received;
  auto server = MakeServer(&received, /*max_body_bytes=*/1000);
  TestClient client;
  const int32_t big = client.Request("POST", "/predict", std::string(5000, '1'));
  const int32_t small = client.Request("POST", "/predict", "{}");
  client.Exchange(*server);
  EXPECT_EQ(client.responses[big].fields[":status"], "413");
  EXPECT_NE(client.responses[big].body.find("\"error\""), std::string::npos);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].stream_id, small);
}

TEST(ServerSessionTest, OversizedHeaderListIs431) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  TestClient client;
  const int32_t stream =
      client.Request("GET", "/v2", "", {{"x-big", std::string(kMaxHeaderBytes, 'a')}});
  client.Exchange(*server);
  EXPECT_TRUE(received.empty());
  EXPECT_EQ(client.responses[stream].fields[":status"], "431");
}

TEST(ServerSessionTest, ShutdownFinishesOpenStreamsThenEnds) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  TestClient client;
  const int32_t stream = client.Request("POST", "/predict", "{}");
  client.Exchange(*server);
  server->Shutdown();
  client.Exchange(*server);
  EXPECT_TRUE(client.goaway);
  EXPECT_FALSE(server->Finished());
  server->Reply(stream, TextReply(200, "done"));
  client.Exchange(*server);
  EXPECT_EQ(client.responses[stream].body, "done");
  EXPECT_TRUE(server->Finished());
}

TEST(ServerSessionTest, GarbageAfterThePrefaceEndsTheConnection) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  std::string input(kClientPreface);
  input += "this is not a SETTINGS frame at all, just text";
  server->Receive(input.data(), input.size());
  std::string output;
  server->Send(&output);
  EXPECT_TRUE(server->Finished());
  EXPECT_TRUE(received.empty());
}

TEST(ServerSessionTest, BadPrefaceIsRejected) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  const std::string input = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_FALSE(server->Receive(input.data(), input.size()));
  EXPECT_TRUE(server->Finished());
}

}  // namespace
}  // namespace predictwire::transport::http2
