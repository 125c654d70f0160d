#include "transport/http2/server_session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "transport/common/limits.h"
#include "transport/http2/preface.h"
#include "transport/http2/test_client.h"

namespace predictwire::transport::http2 {
namespace {

using testing::TestClient;

// Runs the exchange against `server`; returns what the server's last Receive returned.
bool Exchange(TestClient& client, ServerSession& server) {
  bool acceptable = true;
  client.Exchange([&](std::string_view to_server) {
    if (!to_server.empty()) acceptable = server.Receive(to_server.data(), to_server.size());
    std::string to_client;
    server.Send(&to_client);
    return to_client;
  });
  return acceptable;
}

struct Received {
  int32_t stream_id;
  std::string method;
  std::string target;
  std::string body;
  std::string origin;
};

std::unique_ptr<ServerSession> MakeServer(std::vector<Received>* received,
                                          size_t max_body_bytes = 1024,
                                          MemoryBudget* memory = nullptr) {
  auto session = ServerSession::Create(
      {.max_body_bytes = max_body_bytes, .memory = memory},
      [received](int32_t stream_id, RestRequest request) {
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
  ASSERT_TRUE(Exchange(client, *server));
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
  Exchange(client, *server);
  EXPECT_TRUE(client.responses[second].closed);
  EXPECT_EQ(client.responses[second].fields[":status"], "200");
  EXPECT_EQ(client.responses[second].fields["server-timing"],
            "queue;dur=1.234, compute;dur=50.001");
  EXPECT_FALSE(client.responses[first].closed);

  server->Reply(first, TextReply(200, std::string(100000, 'x')));  // several DATA frames
  Exchange(client, *server);
  EXPECT_TRUE(client.responses[first].closed);
  EXPECT_EQ(client.responses[first].body.size(), 100000u);
  EXPECT_EQ(client.responses[first].fields["content-length"], "100000");
  EXPECT_EQ(client.responses[first].fields["content-type"], "application/json");
  EXPECT_EQ(server->requests_in_flight(), 0u);
}

TEST(ServerSessionTest, AnIdleSessionGivesBackItsFrameBufferAndCarriesOn) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  TestClient client;
  const int32_t first = client.Request("POST", "/predict", "{\"features\":[1]}");
  ASSERT_TRUE(Exchange(client, *server));
  ASSERT_EQ(received.size(), 1u);
  server->Reply(first, TextReply(200, std::string(20000, 'a')));  // fills the buffer, twice
  Exchange(client, *server);
  ASSERT_TRUE(client.responses[first].closed);
  EXPECT_GE(server->frame_buffer_resident_bytes(), 16384u);  // its pages, all touched

  server->ReleaseIdleMemory();
  EXPECT_EQ(server->frame_buffer_resident_bytes(), 0u);

  // The pages come back, zeroed, with the next frame: the next answer is whole and right, as
  // are the HPACK tables' references to the first stream's fields.
  const int32_t second = client.Request("POST", "/predict", "{\"features\":[2]}");
  ASSERT_TRUE(Exchange(client, *server));
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[1].body, "{\"features\":[2]}");
  server->Reply(second, TextReply(200, std::string(20000, 'b')));
  Exchange(client, *server);
  ASSERT_TRUE(client.responses[second].closed);
  EXPECT_EQ(client.responses[second].fields[":status"], "200");
  EXPECT_EQ(client.responses[second].body, std::string(20000, 'b'));
  EXPECT_GT(server->frame_buffer_resident_bytes(), 0u);

  // Nothing is given back while a frame waits to be sent.
  const int32_t third = client.Request("GET", "/v2/health/ready", "");
  ASSERT_TRUE(Exchange(client, *server));
  server->Reply(third, TextReply(200, "{}"));  // queued in nghttp2, not yet sent
  const size_t resident = server->frame_buffer_resident_bytes();
  server->ReleaseIdleMemory();
  EXPECT_EQ(server->frame_buffer_resident_bytes(), resident);
  Exchange(client, *server);
  EXPECT_TRUE(client.responses[third].closed);
  EXPECT_EQ(client.responses[third].body, "{}");
}

// With no stream open, the stream map's page goes back too; while one is open it stays, and
// streams opened after it was given back are found again (the page comes back zeroed, which is
// what an empty map holds).
TEST(ServerSessionTest, AnIdleSessionGivesBackItsStreamMapAndCarriesOn) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  TestClient client;
  const int32_t first = client.Request("POST", "/predict", "{\"features\":[1]}");
  ASSERT_TRUE(Exchange(client, *server));
  const size_t resident = server->stream_table_resident_bytes();
  EXPECT_GT(resident, 0u);
  server->ReleaseIdleMemory();  // the stream is open: the page stays
  EXPECT_EQ(server->stream_table_resident_bytes(), resident);
  server->Reply(first, TextReply(200, "{}"));
  Exchange(client, *server);
  ASSERT_TRUE(client.responses[first].closed);
  server->ReleaseIdleMemory();
  EXPECT_EQ(server->stream_table_resident_bytes(), 0u);

  // Two streams at once, answered out of order, after the page went back.
  const int32_t second = client.Request("POST", "/predict", "{\"features\":[2]}");
  const int32_t third = client.Request("POST", "/predict", "{\"features\":[3]}");
  ASSERT_TRUE(Exchange(client, *server));
  ASSERT_EQ(received.size(), 3u);
  server->Reply(third, TextReply(200, "{\"third\":1}"));
  server->Reply(second, TextReply(200, "{\"second\":1}"));
  Exchange(client, *server);
  EXPECT_EQ(client.responses[second].body, "{\"second\":1}");
  EXPECT_EQ(client.responses[third].body, "{\"third\":1}");
  EXPECT_EQ(server->open_streams(), 0u);
}

TEST(ServerSessionTest, OriginInAndFurtherHeadersOutAnd204WithoutContent) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  TestClient client;
  const int32_t preflight =
      client.Request("OPTIONS", "/predict", "", {{"origin", "http://page.example"}});
  Exchange(client, *server);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].origin, "http://page.example");
  RestReply reply;
  reply.status = 204;
  reply.allow = "POST";
  reply.headers = {{"access-control-allow-origin", "http://page.example"},
                   {"access-control-allow-methods", "POST"},
                   {"vary", "origin"}};
  server->Reply(preflight, std::move(reply));
  Exchange(client, *server);
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
  Exchange(client, *server);
  ASSERT_EQ(received.size(), 1u);
  client.Reset(stream);
  Exchange(client, *server);
  EXPECT_EQ(server->requests_in_flight(), 0u);
  server->Reply(stream, TextReply(200, "late"));  // the model finished after the reset
  Exchange(client, *server);
  EXPECT_TRUE(client.responses[stream].body.empty());
  // The connection still serves.
  const int32_t next = client.Request("GET", "/v2", "");
  Exchange(client, *server);
  ASSERT_EQ(received.size(), 2u);
  server->Reply(next, TextReply(200, "ok"));
  Exchange(client, *server);
  EXPECT_EQ(client.responses[next].body, "ok");
}

TEST(ServerSessionTest, OversizedBodyIs413AndOthersCarryOn) {
  std::vector<Received> received;
  auto server = MakeServer(&received, /*max_body_bytes=*/1000);
  TestClient client;
  const int32_t big = client.Request("POST", "/predict", std::string(5000, '1'));
  const int32_t small = client.Request("POST", "/predict", "{}");
  Exchange(client, *server);
  EXPECT_EQ(client.responses[big].fields[":status"], "413");
  EXPECT_EQ(client.responses[big].body, RestRouter::BodyTooLargeReply(1000).body);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].stream_id, small);
}

TEST(ServerSessionTest, ABodyDeclaredOverTheLimitIs413BeforeItIsSent) {
  std::vector<Received> received;
  auto server = MakeServer(&received, /*max_body_bytes=*/1000);
  TestClient client;
  const int32_t stream = client.Open("POST", "/predict", {{"content-length", "5000"}});
  Exchange(client, *server);
  EXPECT_EQ(client.responses[stream].fields[":status"], "413");
  EXPECT_EQ(server->requests_in_flight(), 0u);
  // What the client sends anyway is read and discarded; the stream then closes cleanly.
  client.Write(stream, std::string(5000, 'x'), /*end=*/true);
  Exchange(client, *server);
  EXPECT_TRUE(client.responses[stream].closed);
  EXPECT_EQ(client.responses[stream].error_code, 0u);
  EXPECT_TRUE(received.empty());
}

TEST(ServerSessionTest, TheHeadIsCompleteOnceTheClientsSettingsArrive) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  EXPECT_FALSE(server->client_settings_received());
  TestClient client;  // sends its preface and SETTINGS
  Exchange(client, *server);
  EXPECT_TRUE(server->client_settings_received());
}

TEST(ServerSessionTest, AnUnfinishedHeaderBlockIsAnAwaitedHead) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  EXPECT_TRUE(server->AwaitingRequestHead());
  std::string input(kClientPreface);
  input += std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);  // SETTINGS, empty
  ASSERT_TRUE(server->Receive(input.data(), input.size()));
  EXPECT_FALSE(server->AwaitingRequestHead());
  // HEADERS on stream 1 without END_HEADERS: :method GET, :scheme http.
  const std::string headers("\x00\x00\x02\x01\x00\x00\x00\x00\x01\x82\x86", 11);
  ASSERT_TRUE(server->Receive(headers.data(), headers.size()));
  EXPECT_TRUE(server->AwaitingRequestHead());
  // The CONTINUATION with END_HEADERS: :path /, :authority x.
  const std::string continuation("\x00\x00\x04\x09\x04\x00\x00\x00\x01\x84\x41\x01x", 13);
  ASSERT_TRUE(server->Receive(continuation.data(), continuation.size()));
  EXPECT_FALSE(server->AwaitingRequestHead());
}

TEST(ServerSessionTest, AReplyPastTheWindowIsParkedAndChargedUntilSent) {
  MemoryBudget budget(1 << 20);
  std::vector<Received> received;
  auto session = MakeServer(&received, 1000, &budget);
  ServerSession& server = *session;
  TestClient client;
  const int32_t stream = client.Request("GET", "/big", "");
  Exchange(client, server);
  ASSERT_EQ(received.size(), 1u);
  // More than the client's 64 KiB window: it waits for WINDOW_UPDATEs, charged meanwhile.
  server.Reply(stream, TextReply(200, std::string(100000, 'x')));
  EXPECT_EQ(budget.used(), 100000u);
  EXPECT_TRUE(server.HasParkedOutput());
  Exchange(client, server);
  EXPECT_TRUE(client.responses[stream].closed);
  EXPECT_FALSE(server.HasParkedOutput());
  EXPECT_EQ(budget.used(), 0u);
}

TEST(ServerSessionTest, ABodyPastTheMemoryBudgetIs503) {
  MemoryBudget budget(100 * 1024);
  std::vector<Received> received;
  auto session = MakeServer(&received, 1 << 20, &budget);
  TestClient client;
  const int32_t big = client.Request("POST", "/predict", std::string(200000, '1'));
  Exchange(client, *session);
  EXPECT_EQ(client.responses[big].fields[":status"], "503");
  EXPECT_TRUE(received.empty());
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_GE(budget.refusals(), 1u);
}

TEST(ServerSessionTest, OversizedHeaderListIs431) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  TestClient client;
  const int32_t stream =
      client.Request("GET", "/v2", "", {{"x-big", std::string(kMaxHeaderBytes, 'a')}});
  Exchange(client, *server);
  EXPECT_TRUE(received.empty());
  EXPECT_EQ(client.responses[stream].fields[":status"], "431");
  EXPECT_EQ(client.responses[stream].body, RestRouter::HeaderTooLargeReply().body);
}

TEST(ServerSessionTest, ShutdownFinishesOpenStreamsThenEnds) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  TestClient client;
  const int32_t stream = client.Request("POST", "/predict", "{}");
  Exchange(client, *server);
  server->Shutdown();
  Exchange(client, *server);
  EXPECT_TRUE(client.goaway);
  EXPECT_FALSE(server->Finished());
  server->Reply(stream, TextReply(200, "done"));
  Exchange(client, *server);
  EXPECT_EQ(client.responses[stream].body, "done");
  EXPECT_TRUE(server->Finished());
}

TEST(ServerSessionTest, AnswersCarryADate) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  TestClient client;
  const int32_t stream = client.Request("GET", "/v2", "");
  Exchange(client, *server);
  server->Reply(stream, TextReply(200, "{}"));
  Exchange(client, *server);
  const std::string& date = client.responses[stream].fields["date"];
  ASSERT_EQ(date.size(), 29u) << date;
  EXPECT_EQ(date.substr(25), " GMT");
}

TEST(ServerSessionTest, ExpectContinueIsAnsweredBeforeTheBody) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  TestClient client;
  const int32_t stream = client.Open("POST", "/predict", {{"expect", "100-continue"}});
  Exchange(client, *server);
  EXPECT_EQ(client.responses[stream].fields[":status"], "100");
  EXPECT_TRUE(received.empty());
  client.Write(stream, "{}", /*end=*/true);
  Exchange(client, *server);
  ASSERT_EQ(received.size(), 1u);
  server->Reply(stream, TextReply(200, "{}"));
  Exchange(client, *server);
  EXPECT_EQ(client.responses[stream].fields[":status"], "200");
  EXPECT_EQ(client.responses[stream].header_blocks, 2);
}

// The frames in `bytes` (whole ones) as (type, stream id, first four payload bytes).
std::vector<std::tuple<int, int32_t, uint32_t>> Frames(std::string_view bytes) {
  std::vector<std::tuple<int, int32_t, uint32_t>> frames;
  const auto byte = [&](size_t at) { return static_cast<uint32_t>(uint8_t(bytes[at])); };
  for (size_t at = 0; at + 9 <= bytes.size();) {
    const size_t length = (byte(at) << 16) | (byte(at + 1) << 8) | byte(at + 2);
    const int32_t stream_id = static_cast<int32_t>(
        ((byte(at + 5) & 0x7f) << 24) | (byte(at + 6) << 16) | (byte(at + 7) << 8) | byte(at + 8));
    uint32_t first_word = 0;
    if (length >= 4 && at + 13 <= bytes.size()) {
      first_word =
          (byte(at + 9) << 24) | (byte(at + 10) << 16) | (byte(at + 11) << 8) | byte(at + 12);
    }
    frames.emplace_back(static_cast<int>(byte(at + 3)), stream_id, first_word);
    at += 9 + length;
  }
  return frames;
}

TEST(ServerSessionTest, StreamsPastTheLimitAreRefusedOneByOne) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  TestClient client;
  std::vector<int32_t> open;
  for (uint32_t i = 0; i < kHttp2MaxConcurrentStreams; ++i) {
    open.push_back(client.Request("GET", "/v2", ""));
  }
  Exchange(client, *server);  // SETTINGS acknowledged both ways
  ASSERT_EQ(received.size(), kHttp2MaxConcurrentStreams);
  // A client that ignores the advertised limit: a HEADERS frame (GET / over http, from HPACK's
  // static table) on a new stream while every allowed one is open.
  const std::string extra_headers("\x00\x00\x03\x01\x05\x00\x00\x03\xe9\x82\x86\x84", 12);
  ASSERT_TRUE(server->Receive(extra_headers.data(), extra_headers.size()));
  std::string output;
  server->Send(&output);
  const auto frames = Frames(output);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0],
            std::make_tuple(int{NGHTTP2_RST_STREAM}, 1001, uint32_t{NGHTTP2_REFUSED_STREAM}));
  EXPECT_EQ(received.size(), kHttp2MaxConcurrentStreams);
  // The others are answered as usual.
  server->Reply(open[0], TextReply(200, "ok"));
  Exchange(client, *server);
  EXPECT_EQ(client.responses[open[0]].body, "ok");
  EXPECT_FALSE(client.goaway);
}

TEST(ServerSessionTest, AdvertisesTheStreamLimit) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  std::string output;
  server->Send(&output);
  ASSERT_GE(output.size(), 9u);
  EXPECT_EQ(output[3], NGHTTP2_SETTINGS);
  bool found = false;
  for (size_t at = 9; at + 6 <= 9 + size_t(uint8_t(output[2])); at += 6) {
    if (output[at] == 0 && output[at + 1] == NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) {
      found = true;
      EXPECT_EQ((uint32_t(uint8_t(output[at + 4])) << 8) | uint8_t(output[at + 5]),
                kHttp2MaxConcurrentStreams);
    }
  }
  EXPECT_TRUE(found);
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

// Records a session's gRPC call events, and consumes (acknowledges) what it is told to.
class RecordingGrpcHandler : public GrpcCallHandler {
 public:
  void OnCallBegin(int32_t stream_id, const GrpcCallHeaders& headers) override {
    events.push_back("begin " + std::string(headers.path) + " " + std::string(headers.timeout));
  }
  void OnCallData(int32_t stream_id, std::string_view bytes) override {
    data[stream_id].append(bytes);
    if (acknowledge) session->GrpcConsumed(stream_id, bytes.size());
  }
  void OnCallHalfClosed(int32_t stream_id) override { events.push_back("half-closed"); }
  void OnCallClosed(int32_t stream_id, bool reset) override {
    events.push_back(reset ? "reset" : "closed");
  }
  void Attach(ServerSession* attached) override { session = attached; }
  void GoAway() override {}
  void EndCalls() override {}
  size_t open_calls() const override { return 0; }

  ServerSession* session = nullptr;
  bool acknowledge = true;
  std::vector<std::string> events;
  std::map<int32_t, std::string> data;
};

std::unique_ptr<ServerSession> MakeGrpcServer(RecordingGrpcHandler* handler) {
  auto session = ServerSession::Create(
      {}, [](int32_t, RestRequest) { ADD_FAILURE() << "a gRPC call went to the REST handler"; },
      handler);
  EXPECT_TRUE(session.ok()) << session.status();
  handler->Attach(session->get());
  return *std::move(session);
}

const std::vector<std::pair<std::string, std::string>> kGrpcFields = {
    {"content-type", "application/grpc"}, {"te", "trailers"}, {"grpc-timeout", "250m"}};

TEST(ServerSessionGrpcTest, MessagesThenTrailers) {
  RecordingGrpcHandler handler;
  auto server = MakeGrpcServer(&handler);
  TestClient client;
  const int32_t call = client.Open("POST", "/pkg.Service/Method", kGrpcFields);
  client.Write(call, "abc");
  Exchange(client, *server);
  EXPECT_EQ(handler.data[call], "abc");
  client.Write(call, "def", /*end=*/true);
  Exchange(client, *server);
  EXPECT_EQ(handler.data[call], "abcdef");
  EXPECT_EQ(handler.events,
            (std::vector<std::string>{"begin /pkg.Service/Method 250m", "half-closed"}));
  server->GrpcWrite(call, "first");
  Exchange(client, *server);
  EXPECT_EQ(client.responses[call].fields[":status"], "200");
  EXPECT_EQ(client.responses[call].fields["content-type"], "application/grpc");
  EXPECT_EQ(client.responses[call].body, "first");
  EXPECT_FALSE(client.responses[call].closed);
  server->GrpcWrite(call, "second");
  server->GrpcFinish(call, 0, "");
  server->GrpcWrite(call, "too late");
  Exchange(client, *server);
  EXPECT_EQ(client.responses[call].body, "firstsecond");
  EXPECT_EQ(client.responses[call].header_blocks, 2);  // headers, then trailers
  EXPECT_EQ(client.responses[call].fields["grpc-status"], "0");
  EXPECT_EQ(client.responses[call].fields.count("grpc-message"), 0u);
  EXPECT_TRUE(client.responses[call].closed);
  EXPECT_EQ(handler.events.back(), "closed");
}

TEST(ServerSessionGrpcTest, ErrorBeforeAnyMessageIsTrailersOnlyAndEndsTheRequestStream) {
  RecordingGrpcHandler handler;
  auto server = MakeGrpcServer(&handler);
  TestClient client;
  const int32_t call = client.Open("POST", "/pkg.Service/Method", kGrpcFields);
  client.Write(call, "abc");
  Exchange(client, *server);
  server->GrpcFinish(call, 3, "bad: 100% wrong\n");
  Exchange(client, *server);
  TestClient::Response& response = client.responses[call];
  EXPECT_EQ(response.header_blocks, 1);
  EXPECT_EQ(response.fields["grpc-status"], "3");
  EXPECT_EQ(response.fields["grpc-message"], "bad: 100%25 wrong%0A");
  EXPECT_TRUE(response.body.empty());
  // The client had not half-closed: the server resets the stream with NO_ERROR.
  EXPECT_TRUE(response.closed);
  EXPECT_EQ(response.error_code, static_cast<uint32_t>(NGHTTP2_NO_ERROR));
}

TEST(ServerSessionGrpcTest, UnacknowledgedBytesHoldTheClientBack) {
  RecordingGrpcHandler handler;
  handler.acknowledge = false;
  auto server = MakeGrpcServer(&handler);
  TestClient client;
  const int32_t call = client.Open("POST", "/pkg.Service/Method", kGrpcFields);
  client.Write(call, std::string(kHttp2StreamWindowBytes + 100000, 'x'));
  Exchange(client, *server);
  EXPECT_EQ(handler.data[call].size(), static_cast<size_t>(kHttp2StreamWindowBytes));
  EXPECT_EQ(client.unsent(call), 100000u);
  server->GrpcConsumed(call, handler.data[call].size());
  Exchange(client, *server);
  EXPECT_EQ(client.unsent(call), 0u);
  EXPECT_EQ(handler.data[call].size(), static_cast<size_t>(kHttp2StreamWindowBytes) + 100000);
}

TEST(ServerSessionGrpcTest, WithoutAHandlerCallsAreUnimplemented) {
  std::vector<Received> received;
  auto server = MakeServer(&received);
  TestClient client;
  const int32_t call =
      client.Request("POST", "/pkg.Service/Method", std::string(5, '\0'), kGrpcFields);
  Exchange(client, *server);
  EXPECT_TRUE(received.empty());
  EXPECT_EQ(client.responses[call].fields["grpc-status"], "12");
}

TEST(ServerSessionGrpcTest, ClientResetIsReported) {
  RecordingGrpcHandler handler;
  auto server = MakeGrpcServer(&handler);
  TestClient client;
  const int32_t call = client.Open("POST", "/pkg.Service/Method", kGrpcFields);
  Exchange(client, *server);
  client.Reset(call);
  Exchange(client, *server);
  EXPECT_EQ(handler.events.back(), "reset");
  server->GrpcWrite(call, "after the reset");  // ignored
  server->GrpcFinish(call, 0, "");
  Exchange(client, *server);
  EXPECT_TRUE(client.responses[call].body.empty());
}

}  // namespace
}  // namespace predictwire::transport::http2
