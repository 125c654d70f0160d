#include "loadgen/client/websocket_connection.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "codec/binary_predict.h"
#include "loadgen/client/connection_harness.h"
#include "transport/websocket/frame.h"

namespace predictwire::loadgen {
namespace {

namespace ws = transport::websocket;
using testing::ConnectionHarness;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr std::string_view kUpgradeRequest =
    "GET /ws HTTP/1.1\r\nHost: model.test:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: cHJlZGljdHdpcmUtYmVuYw==\r\nSec-WebSocket-Version: 13\r\n\r\n";
constexpr std::string_view kSwitchingProtocols =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: AVSrdWl5GS3a3WZHg7S/8m0iX1c=\r\n\r\n";

// {"id":ID,"features":[1,2]}
RequestBody JsonBody() {
  return RequestBody("/ws", "{\"id\":", ",\"features\":[1,2]}", RequestBody::IdSlot::kJsonNumber);
}

RequestBody BinaryBody() {
  PayloadOptions options;
  options.features = 2;
  return *WebSocketBinaryBody(options);
}

// A frame as the server sends it: unmasked, FIN set.
std::string ServerFrame(ws::Opcode opcode, std::string_view payload) {
  std::string frame;
  ws::AppendFrameHeader(opcode, payload.size(), &frame);
  frame.append(payload);
  return frame;
}

std::string JsonAnswer(uint64_t id) {
  return ServerFrame(
      ws::Opcode::kText,
      fmt::format(R"({{"id":{},"model":"m","predictions":[1],"timing":{{"queue_us":12,)"
                  R"("compute_us":34}}}})",
                  id));
}

struct ClientFrame {
  ws::FrameHeader header;
  std::string payload;  // unmasked
};

// Every frame in `bytes`, which must hold whole client frames only.
std::vector<ClientFrame> ClientFrames(std::string bytes) {
  std::vector<ClientFrame> frames;
  size_t at = 0;
  while (at < bytes.size()) {
    ClientFrame frame;
    std::string error;
    EXPECT_EQ(ws::ParseFrameHeader(bytes.data() + at, bytes.size() - at, &frame.header, &error),
              ws::ParseStatus::kOk)
        << error;
    at += frame.header.header_length;
    if (bytes.size() - at < frame.header.payload_length) {
      ADD_FAILURE() << "a partial frame";
      break;
    }
    frame.payload = bytes.substr(at, frame.header.payload_length);
    ws::Unmask(frame.payload.data(), frame.payload.size(), frame.header.mask);
    at += frame.header.payload_length;
    frames.push_back(std::move(frame));
  }
  return frames;
}

// Connected, upgraded and ready, its log and written bytes emptied.
void Upgrade(ConnectionHarness& harness) {
  harness.connection().Connect();
  harness.pipe().FinishOpen();
  ASSERT_EQ(harness.pipe().TakeWritten(), kUpgradeRequest);
  harness.pipe().Receive(kSwitchingProtocols);
  ASSERT_THAT(harness.listener.TakeLog(), ElementsAre("connected", "ready"));
}

TEST(WebSocketConnectionTest, TheHandshakeIsOneUpgradeAndEndsWithThe101ReadAnyHow) {
  for (size_t split = 0; split <= kSwitchingProtocols.size(); ++split) {
    SCOPED_TRACE(split);
    ConnectionHarness harness("ws", JsonBody());
    harness.connection().Connect();
    EXPECT_EQ(harness.pipe().opens(), 1);
    harness.pipe().FinishOpen();
    EXPECT_EQ(harness.pipe().TakeWritten(), kUpgradeRequest);
    EXPECT_FALSE(harness.connection().CanSend());
    harness.pipe().Receive(kSwitchingProtocols.substr(0, split));
    harness.pipe().Receive(kSwitchingProtocols.substr(split));
    EXPECT_THAT(harness.listener.log, ElementsAre("connected", "ready"));
    EXPECT_TRUE(harness.connection().CanSend());
  }
  ConnectionHarness harness("ws", JsonBody());
  harness.connection().Connect();
  harness.pipe().FinishOpen();
  harness.pipe().ReceiveInChunks(kSwitchingProtocols, 1);
  EXPECT_THAT(harness.listener.log, ElementsAre("connected", "ready"));
}

TEST(WebSocketConnectionTest, ARequestIsOneMaskedTextFrameOfTheBodyWithItsId) {
  ConnectionHarness harness("ws", JsonBody());
  Upgrade(harness);
  harness.connection().Send(5);
  EXPECT_FALSE(harness.connection().CanSend());
  std::vector<ClientFrame> frames = ClientFrames(harness.pipe().TakeWritten());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(frames[0].header.fin);
  EXPECT_TRUE(frames[0].header.masked);
  EXPECT_EQ(frames[0].header.opcode, ws::Opcode::kText);
  EXPECT_EQ(frames[0].payload, R"({"id":5,"features":[1,2]})");
  const auto first_mask = frames[0].header.mask;

  harness.pipe().Receive(JsonAnswer(5));
  harness.connection().Send(6);
  frames = ClientFrames(harness.pipe().TakeWritten());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].payload, R"({"id":6,"features":[1,2]})");
  EXPECT_NE(frames[0].header.mask, first_mask);  // a fresh key per frame
}

TEST(WebSocketConnectionTest, AReplySplitAnywhereCompletesOnceWithItsTiming) {
  const std::string answer = JsonAnswer(5);
  for (size_t split = 0; split <= answer.size(); ++split) {
    SCOPED_TRACE(split);
    ConnectionHarness harness("ws", JsonBody());
    Upgrade(harness);
    harness.connection().Send(5);
    harness.pipe().Receive(answer.substr(0, split));
    harness.pipe().Receive(answer.substr(split));
    EXPECT_THAT(harness.listener.log, ElementsAre("reply 5 ok timing 12/34", "ready"));
    EXPECT_THAT(harness.pipe().unconsumed(), IsEmpty());
  }
  ConnectionHarness harness("ws", JsonBody());
  Upgrade(harness);
  harness.connection().Send(5);
  harness.pipe().ReceiveInChunks(answer, 1);
  EXPECT_THAT(harness.listener.log, ElementsAre("reply 5 ok timing 12/34", "ready"));
}

TEST(WebSocketConnectionTest, The101AndWhatFollowsItMayComeInOneRead) {
  ConnectionHarness harness("ws", JsonBody());
  harness.connection().Connect();
  harness.pipe().FinishOpen();
  harness.pipe().TakeWritten();
  harness.pipe().Receive(std::string(kSwitchingProtocols) + ServerFrame(ws::Opcode::kPing, "p"));
  EXPECT_THAT(harness.listener.log, ElementsAre("connected", "ready"));
  const std::vector<ClientFrame> frames = ClientFrames(harness.pipe().TakeWritten());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].header.opcode, ws::Opcode::kPong);
}

TEST(WebSocketConnectionTest, OneAtATimeRepliesAreTakenInOrder) {
  ConnectionHarness harness("ws", JsonBody());
  Upgrade(harness);
  harness.connection().Send(1);
  // One in flight: the reply is its, whatever id it carries (or none).
  harness.pipe().Receive(ServerFrame(ws::Opcode::kText, R"({"predictions":[1]})"));
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("reply 1 ok", "ready"));
}

TEST(WebSocketConnectionTest, PipelinedRepliesAreMatchedByIdInAnyOrder) {
  ConnectionHarness harness("ws-pipelined", JsonBody(), /*depth=*/3);
  Upgrade(harness);
  for (uint64_t tag : {1, 2, 3}) {
    EXPECT_TRUE(harness.connection().CanSend());
    harness.connection().Send(tag);
  }
  EXPECT_FALSE(harness.connection().CanSend());
  EXPECT_EQ(ClientFrames(harness.pipe().TakeWritten()).size(), 3u);

  harness.pipe().ReceiveInChunks(JsonAnswer(3) + JsonAnswer(1) + JsonAnswer(2), 3);
  EXPECT_THAT(harness.listener.TakeLog(),
              ElementsAre("reply 3 ok timing 12/34", "ready", "reply 1 ok timing 12/34", "ready",
                          "reply 2 ok timing 12/34", "ready"));

  // A server that echoes no id is answered in order.
  harness.connection().Send(4);
  harness.connection().Send(5);
  harness.pipe().Receive(ServerFrame(ws::Opcode::kText, R"({"predictions":[1]})"));
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("reply 4 ok", "ready"));
}

TEST(WebSocketConnectionTest, APipelinedRequestsLateReplyIsDroppedAndTheConnectionKept) {
  ConnectionHarness harness("ws-pipelined", JsonBody(), /*depth=*/3);
  Upgrade(harness);
  harness.connection().Send(1);
  harness.connection().Send(2);
  harness.connection().Abandon(1);
  EXPECT_EQ(harness.pipe().closes(), 0);
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("ready"));
  harness.pipe().Receive(JsonAnswer(1) + JsonAnswer(2) + JsonAnswer(99));
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("reply 2 ok timing 12/34", "ready"));
}

TEST(WebSocketConnectionTest, AbandoningAPipelinedRequestFreesItsSlotAtOnce) {
  ConnectionHarness harness("ws-pipelined", JsonBody(), /*depth=*/2);
  Upgrade(harness);
  harness.connection().Send(1);
  harness.connection().Send(2);
  ASSERT_FALSE(harness.connection().CanSend());
  harness.connection().Abandon(2);
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("ready"));
  EXPECT_TRUE(harness.connection().CanSend());
  harness.connection().Abandon(2);  // once only
  EXPECT_THAT(harness.listener.TakeLog(), IsEmpty());
}

TEST(WebSocketConnectionTest, OneAtATimeAnAbandonedRequestsConnectionIsReplaced) {
  ConnectionHarness harness("ws", JsonBody());
  Upgrade(harness);
  harness.connection().Send(1);
  harness.connection().Abandon(1);
  EXPECT_EQ(harness.pipe().closes(), 1);
  EXPECT_EQ(harness.pipe().opens(), 2);
  harness.pipe().Receive(JsonAnswer(1));  // the old connection's: gone with it
  harness.pipe().TakeWritten();
  Upgrade(harness);
  EXPECT_THAT(harness.listener.replies, IsEmpty());
}

TEST(WebSocketConnectionTest, AnErrorMessageIsAFailedReply) {
  ConnectionHarness harness("ws-pipelined", JsonBody(), /*depth=*/3);
  Upgrade(harness);
  harness.connection().Send(7);
  harness.connection().Send(8);
  harness.connection().Send(9);
  harness.pipe().Receive(
      ServerFrame(ws::Opcode::kText, R"({"id":8,"error":"model 'failing' failed","code":13})") +
      ServerFrame(ws::Opcode::kText, R"({"id":7,"error":"queue full","code":8})") +
      ServerFrame(ws::Opcode::kText, R"({"id":9,"error":"unknown model 'nope'"})"));
  EXPECT_THAT(harness.listener.TakeLog(),
              ElementsAre("reply 8 ws_internal", "ready", "reply 7 ws_resource_exhausted", "ready",
                          "reply 9 ws_error", "ready"));
  EXPECT_TRUE(harness.pipe().open());
}

TEST(WebSocketConnectionTest, BinaryRequestsAndRepliesCarryTheirIdInTheHeader) {
  ConnectionHarness harness("ws-binary", BinaryBody());
  Upgrade(harness);
  harness.connection().Send(6);
  const std::vector<ClientFrame> frames = ClientFrames(harness.pipe().TakeWritten());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].header.opcode, ws::Opcode::kBinary);
  std::string expected;
  harness.body().Append(6, &expected);
  EXPECT_EQ(frames[0].payload, expected);
  absl::StatusOr<codec::BinaryPredictRequest> request =
      codec::ParseBinaryPredictRequest(frames[0].payload);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->id, 6u);

  InferResponse response;
  response.output.shape = {1};
  response.output.values = {0.5f};
  response.timing = {12, 34};
  std::string answer;
  codec::AppendBinaryPredictResponse(6, response, &answer);
  harness.pipe().ReceiveInChunks(ServerFrame(ws::Opcode::kBinary, answer), 1);
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("reply 6 ok timing 12/34", "ready"));

  harness.connection().Send(7);
  std::string error;
  codec::AppendBinaryPredictError(7, 8, "queue full", &error);
  harness.pipe().Receive(ServerFrame(ws::Opcode::kBinary, error));
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("reply 7 ws_resource_exhausted", "ready"));
}

TEST(WebSocketConnectionTest, APingIsAnsweredWithAMaskedPongOfItsPayload) {
  ConnectionHarness harness("ws", JsonBody());
  Upgrade(harness);
  harness.pipe().ReceiveInChunks(ServerFrame(ws::Opcode::kPing, "are you there"), 1);
  const std::vector<ClientFrame> frames = ClientFrames(harness.pipe().TakeWritten());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].header.opcode, ws::Opcode::kPong);
  EXPECT_TRUE(frames[0].header.masked);
  EXPECT_EQ(frames[0].payload, "are you there");
  EXPECT_THAT(harness.listener.log, IsEmpty());
}

TEST(WebSocketConnectionTest, AServerCloseFrameFailsTheConnectionWithItsCode) {
  ConnectionHarness harness("ws-pipelined", JsonBody(), /*depth=*/3);
  Upgrade(harness);
  harness.connection().Send(1);
  harness.connection().Send(2);
  std::string close;
  ws::AppendCloseFrame(ws::kCloseGoingAway, "shutting down", &close);
  harness.pipe().ReceiveInChunks(close + JsonAnswer(1), 2);
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("failed ws_close_1001 lost [1,2]"));
  EXPECT_TRUE(harness.pipe().closed());

  harness.connection().Connect();
  harness.pipe().FinishOpen();
  harness.pipe().TakeWritten();
  harness.pipe().Receive(kSwitchingProtocols);
  harness.pipe().Receive(ServerFrame(ws::Opcode::kClose, ""));  // no code
  EXPECT_THAT(harness.listener.TakeLog(),
              ElementsAre("connected", "ready", "failed ws_close_1005 lost []"));
}

TEST(WebSocketConnectionTest, TheServerClosingOrResettingLosesTheRequestsInFlight) {
  ConnectionHarness harness("ws-pipelined", JsonBody(), /*depth=*/3);
  Upgrade(harness);
  harness.connection().Send(1);
  harness.connection().Send(2);
  harness.pipe().Receive(JsonAnswer(2).substr(0, 4));
  harness.pipe().Fail("reset");
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("failed reset lost [1,2]"));
  EXPECT_FALSE(harness.connection().CanSend());

  // Closed during the handshake: nothing was in flight.
  harness.connection().Connect();
  harness.pipe().FinishOpen();
  harness.pipe().Fail("closed");
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("failed closed lost []"));
}

TEST(WebSocketConnectionTest, ARefusedUpgradeOrAMalformedFrameFailsTheConnection) {
  ConnectionHarness refused("ws", JsonBody());
  refused.connection().Connect();
  refused.pipe().FinishOpen();
  refused.pipe().Receive("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  EXPECT_THAT(refused.listener.TakeLog(), ElementsAre("failed http_404 lost []"));
  EXPECT_TRUE(refused.pipe().closed());

  ConnectionHarness garbled("ws", JsonBody());
  garbled.connection().Connect();
  garbled.pipe().FinishOpen();
  garbled.pipe().Receive("SSH-2.0-OpenSSH\r\n\r\n");
  EXPECT_THAT(garbled.listener.TakeLog(), ElementsAre("failed bad_reply lost []"));

  ConnectionHarness reserved_bits("ws", JsonBody());
  Upgrade(reserved_bits);
  reserved_bits.connection().Send(1);
  reserved_bits.pipe().Receive("\xF1\x01x");  // RSV1-3 set: no extension was agreed
  EXPECT_THAT(reserved_bits.listener.TakeLog(), ElementsAre("failed bad_reply lost [1]"));
}

}  // namespace
}  // namespace predictwire::loadgen
