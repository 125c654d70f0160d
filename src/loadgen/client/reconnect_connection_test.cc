// Each wire's connection through the ways a server ends it with requests in flight (HTTP/1.1
// close, GOAWAY, WebSocket Close), played byte by byte on a fake pipe: what the connection
// reports lets its driver send again exactly what was not answered, on the connection reopened,
// so that each request is answered exactly once. (The driver's side of it, with these classes
// on pipes to servers in memory: driver/reconnect_test.cc.)

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "grpc_service.pb.h"
#include "loadgen/client/connection_harness.h"
#include "loadgen/client/grpc_messages.h"
#include "loadgen/client/h2_test_server.h"
#include "transport/websocket/frame.h"

namespace predictwire::loadgen {
namespace {

namespace ws = transport::websocket;
using testing::ConnectionHarness;
using ::testing::ElementsAre;
using testing::H2TestServer;
using ::testing::IsEmpty;

// How often each request was answered (unprocessed refusals are no answer).
std::map<uint64_t, int> AnswersByTag(const testing::RecordingListener& listener) {
  std::map<uint64_t, int> answers;
  for (const auto& reply : listener.replies) {
    if (!reply.info.unprocessed) ++answers[reply.tag];
  }
  return answers;
}

std::map<uint64_t, int> Once(std::initializer_list<uint64_t> tags) {
  std::map<uint64_t, int> once;
  for (uint64_t tag : tags) once[tag] = 1;
  return once;
}

// --- HTTP/1.1 ---------------------------------------------------------------------------------

RequestBody RestBody() {
  return RequestBody("/predict", R"({"features":[1,2]})", "", RequestBody::IdSlot::kNone);
}

std::string HttpAnswer(std::string_view headers = "") {
  return fmt::format("HTTP/1.1 200 OK\r\n{}Content-Length: 2\r\n\r\n{{}}", headers);
}

TEST(ReconnectConnectionTest, HttpCloseAfterAnAnswerThenADropWithOneInFlight) {
  ConnectionHarness harness("rest-keepalive", RestBody());
  auto& listener = harness.listener;
  auto& pipe = harness.pipe();
  harness.connection().Connect();
  pipe.FinishOpen();
  harness.connection().Send(1);
  // Answered, and the server closes in order: nothing lost.
  pipe.Receive(HttpAnswer("Connection: close\r\n"));
  ASSERT_EQ(listener.failures.size(), 1u);
  EXPECT_EQ(listener.failures[0].error, "closed");
  EXPECT_THAT(listener.failures[0].lost, IsEmpty());
  EXPECT_TRUE(IsOrderlyEnd("closed", /*lost_any=*/false));

  harness.connection().Connect();  // the driver reconnects
  pipe.FinishOpen();
  harness.connection().Send(2);
  pipe.Fail("closed");  // the server went before answering: 2 is lost, not orderly
  ASSERT_EQ(listener.failures.size(), 2u);
  EXPECT_THAT(listener.failures[1].lost, ElementsAre(2));
  EXPECT_FALSE(IsOrderlyEnd("closed", /*lost_any=*/true));

  harness.connection().Connect();
  pipe.FinishOpen();
  harness.connection().Send(2);  // sent again, on the new connection
  pipe.Receive(HttpAnswer());
  EXPECT_EQ(AnswersByTag(listener), Once({1, 2}));
  EXPECT_EQ(pipe.opens(), 3);
}

// --- WebSocket --------------------------------------------------------------------------------

constexpr std::string_view kSwitchingProtocols =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: AVSrdWl5GS3a3WZHg7S/8m0iX1c=\r\n\r\n";

std::string ServerFrame(ws::Opcode opcode, std::string_view payload) {
  std::string frame;
  ws::AppendFrameHeader(opcode, payload.size(), &frame);
  frame.append(payload);
  return frame;
}

std::string WsAnswer(uint64_t id) {
  return ServerFrame(ws::Opcode::kText, fmt::format(R"({{"id":{},"predictions":[1]}})", id));
}

TEST(ReconnectConnectionTest, AWebSocketCloseGoingAwayLosesWhatIsInFlightAndIsEchoed) {
  ConnectionHarness harness(
      "ws-pipelined",
      RequestBody("/ws", "{\"id\":", ",\"features\":[1,2]}", RequestBody::IdSlot::kJsonNumber),
      /*depth=*/3);
  auto& listener = harness.listener;
  auto& pipe = harness.pipe();
  auto upgrade = [&] {
    harness.connection().Connect();
    pipe.FinishOpen();
    pipe.TakeWritten();
    pipe.Receive(kSwitchingProtocols);
  };
  upgrade();
  for (uint64_t tag : {1, 2, 3}) harness.connection().Send(tag);
  pipe.TakeWritten();
  std::string close;
  ws::AppendCloseFrame(ws::kCloseGoingAway, "draining", &close);
  pipe.Receive(WsAnswer(1) + close);
  ASSERT_EQ(listener.failures.size(), 1u);
  EXPECT_EQ(listener.failures[0].error, "ws_close_1001");
  EXPECT_THAT(listener.failures[0].lost, ElementsAre(2, 3));
  EXPECT_TRUE(IsOrderlyEnd("ws_close_1001", /*lost_any=*/true));
  // The client's own Close, masked, echoing 1001, went out before the connection closed.
  const std::string written = pipe.TakeWritten();
  ws::FrameHeader header;
  std::string error;
  ASSERT_EQ(ws::ParseFrameHeader(written.data(), written.size(), &header, &error),
            ws::ParseStatus::kOk);
  EXPECT_EQ(header.opcode, ws::Opcode::kClose);
  EXPECT_TRUE(header.masked);
  std::string code = written.substr(header.header_length, header.payload_length);
  ws::Unmask(code.data(), code.size(), header.mask);
  EXPECT_EQ(code, std::string("\x03\xE9", 2));
  EXPECT_TRUE(pipe.closed());

  upgrade();  // the driver reconnects, and sends 2 and 3 again
  harness.connection().Send(3);
  harness.connection().Send(2);
  // 2 answered twice by a confused server: the second is late, never a second answer.
  pipe.Receive(WsAnswer(2) + WsAnswer(3) + WsAnswer(2));
  EXPECT_EQ(AnswersByTag(listener), Once({1, 2, 3}));
  EXPECT_THAT(listener.late_replies, ElementsAre(2));
}

// --- HTTP/2 and gRPC --------------------------------------------------------------------------

const H2TestServer::Fields kRestHeaders = {{":status", "200"}};
const H2TestServer::Fields kGrpcHeaders = {{":status", "200"},
                                           {"content-type", "application/grpc"}};
const H2TestServer::Fields kGrpcOk = {{"grpc-status", "0"}};

std::string Framed(const google::protobuf::Message& message) {
  const std::string bytes = message.SerializeAsString();
  const auto length = static_cast<uint32_t>(bytes.size());
  return std::string{0, static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                     static_cast<char>(length >> 8), static_cast<char>(length)} +
         bytes;
}

std::string StreamAnswer(uint64_t id) {
  inference::ModelStreamInferResponse answer;
  answer.mutable_infer_response()->set_id(std::to_string(id));
  return Framed(answer);
}

RequestBody GrpcBody() {
  PayloadOptions options;
  options.model = "m";
  options.features = 2;
  return *GrpcRequestBody(options);
}

// A connection and a server session for each time it opens.
class H2Peers {
 public:
  H2Peers(std::string_view wire, RequestBody body, int depth)
      : harness(wire, std::move(body), depth) {}

  void Open() {
    server = std::make_unique<H2TestServer>();
    harness.connection().Connect();
    harness.pipe().FinishOpen();
    Exchange();
  }
  void Exchange() {
    for (int round = 0; round < 50; ++round) {
      const std::string to_server = harness.pipe().TakeWritten();
      if (!to_server.empty()) {
        EXPECT_TRUE(server->Receive(to_server));
      }
      const std::string to_client = server->Take();
      if (!to_client.empty()) harness.pipe().Receive(to_client);
      if (to_server.empty() && to_client.empty()) return;
    }
  }
  std::vector<std::string> TakeLog() { return harness.listener.TakeLog(); }

  ConnectionHarness harness;
  std::unique_ptr<H2TestServer> server;
};

TEST(ReconnectConnectionTest, AGoAwayKeepsItsStreamsAndRefusesTheRestToBeSentAgain) {
  H2Peers peers("h2-multiplexed", RestBody(), /*depth=*/3);
  peers.Open();
  EXPECT_THAT(peers.TakeLog(), ElementsAre("connected", "ready"));
  for (uint64_t tag : {1, 2, 3}) peers.harness.connection().Send(tag);  // streams 1, 3, 5
  peers.Exchange();
  peers.server->GoAway(/*last_stream_id=*/3);
  peers.Exchange();
  // Going away at once; 3's stream (5) was never processed: free to go again.
  EXPECT_THAT(peers.TakeLog(), ElementsAre("going away", "reply 3 refused_stream"));
  EXPECT_FALSE(peers.harness.connection().CanSend());
  peers.server->Respond(3, kRestHeaders, "{}");
  peers.server->Respond(1, kRestHeaders, "{}");
  peers.Exchange();
  EXPECT_THAT(peers.TakeLog(), ElementsAre("reply 2 ok", "reply 1 ok", "failed goaway lost []"));

  peers.Open();  // (the driver opens another connection as soon as it hears "going away")
  peers.harness.connection().Send(3);
  peers.Exchange();
  peers.server->Respond(1, kRestHeaders, "{}");
  peers.Exchange();
  EXPECT_EQ(AnswersByTag(peers.harness.listener), Once({1, 2, 3}));
}

TEST(ReconnectConnectionTest, AGrpcStreamCallEndedAfterAGoAwayLosesItsUnansweredMessages) {
  H2Peers peers("grpc-stream", GrpcBody(), /*depth=*/3);
  peers.Open();
  for (uint64_t tag : {1, 2, 3}) peers.harness.connection().Send(tag);
  peers.Exchange();
  peers.server->GoAway(/*last_stream_id=*/1);  // the call may go on ...
  peers.server->Open(1, kGrpcHeaders);
  peers.server->Write(1, StreamAnswer(1));
  peers.Exchange();
  EXPECT_FALSE(peers.harness.connection().CanSend());
  // ... until the draining server ends it (trailers, then RST_STREAM(NO_ERROR) as gRPC servers
  // do), 2 and 3 unanswered.
  peers.server->End(1, kGrpcOk);
  std::string ending = peers.server->Take();
  peers.server->Reset(1, NGHTTP2_NO_ERROR);
  peers.harness.pipe().Receive(ending + peers.server->Take());
  peers.Exchange();
  EXPECT_THAT(peers.TakeLog(), ElementsAre("connected", "ready", "going away", "reply 1 ok",
                                           "failed goaway lost [2,3]"));

  peers.Open();  // a new connection, a new call; 2 and 3 go again
  peers.harness.connection().Send(2);
  peers.harness.connection().Send(3);
  peers.Exchange();
  peers.server->Open(1, kGrpcHeaders);
  peers.server->Write(1, StreamAnswer(3) + StreamAnswer(2) + StreamAnswer(3));
  peers.Exchange();
  EXPECT_EQ(AnswersByTag(peers.harness.listener), Once({1, 2, 3}));
  EXPECT_THAT(peers.harness.listener.late_replies, ElementsAre(3));  // the duplicate
}

TEST(ReconnectConnectionTest, AUnaryGrpcCallKeptByTheGoAwayIsAnsweredThenTheConnectionEnds) {
  H2Peers peers("grpc", GrpcBody(), /*depth=*/1);
  peers.Open();
  peers.harness.connection().Send(7);
  peers.Exchange();
  peers.server->GoAway(/*last_stream_id=*/1);
  peers.Exchange();
  inference::ModelInferResponse answer;
  answer.set_id("7");
  peers.server->Respond(1, kGrpcHeaders, Framed(answer), kGrpcOk);
  peers.Exchange();
  EXPECT_THAT(peers.TakeLog(), ElementsAre("connected", "ready", "going away", "reply 7 ok",
                                           "failed goaway lost []"));
  EXPECT_EQ(AnswersByTag(peers.harness.listener), Once({7}));
}

}  // namespace
}  // namespace predictwire::loadgen
