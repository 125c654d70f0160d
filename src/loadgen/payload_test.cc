#include "loadgen/payload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "codec/binary_predict.h"
#include "codec/predict_json.h"
#include "codec/v2_json.h"
#include "transport/websocket/frame.h"

namespace predictwire::loadgen {
namespace {

using ::testing::HasSubstr;
namespace ws = transport::websocket;

Target Local() { return *ParseTarget("http://127.0.0.1:8000"); }

// The payload of the single masked frame in `frame`.
std::string Unframe(std::string frame, ws::Opcode* opcode) {
  ws::FrameHeader header;
  std::string error;
  EXPECT_EQ(ws::ParseFrameHeader(frame.data(), frame.size(), &header, &error),
            ws::ParseStatus::kOk);
  EXPECT_TRUE(header.masked);
  EXPECT_EQ(frame.size(), header.header_length + header.payload_length);
  ws::Unmask(frame.data() + header.header_length, header.payload_length, header.mask);
  *opcode = header.opcode;
  return frame.substr(header.header_length);
}

TEST(RequestEncoderTest, RestRequestsAreWhatTheServerParses) {
  RequestEncoder encoder(
      {.wire = WireKind::kRestKeepAlive, .target = Local(), .model = "m", .features = 4});
  std::string request;
  encoder.Append(1, &request);
  EXPECT_THAT(request, ::testing::StartsWith("POST /predict HTTP/1.1\r\n"));
  EXPECT_THAT(request, ::testing::Not(HasSubstr("Connection: close")));
  const std::string body = request.substr(request.find("\r\n\r\n") + 4);
  EXPECT_THAT(request, HasSubstr("Content-Length: " + std::to_string(body.size()) + "\r\n"));
  auto parsed = codec::ParsePredictRequest(body);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->model, "m");
  EXPECT_EQ(parsed->input.values.size(), 4u);
  EXPECT_EQ(parsed->input.values[3], FeatureValue(3));

  RequestEncoder fresh({.wire = WireKind::kRest, .target = Local()});
  request.clear();
  fresh.Append(1, &request);
  EXPECT_THAT(request, HasSubstr("Connection: close\r\n"));
}

TEST(RequestEncoderTest, V2Requests) {
  RequestEncoder encoder({.wire = WireKind::kRestKeepAlive,
                          .shape = PayloadShape::kV2,
                          .target = Local(),
                          .model = "bc",
                          .features = 3,
                          .rows = 2});
  EXPECT_EQ(encoder.http_path(), "/v2/models/bc/infer");
  std::string request;
  encoder.Append(1, &request);
  auto parsed = codec::ParseV2InferRequest(request.substr(request.find("\r\n\r\n") + 4));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->inputs[0].tensor.shape, ::testing::ElementsAre(2, 3));
}

TEST(RequestEncoderTest, WebSocketTextCarriesTheId) {
  RequestEncoder encoder(
      {.wire = WireKind::kWebSocketPipelined, .target = Local(), .features = 2, .rows = 3});
  EXPECT_EQ(encoder.websocket_path(), "/ws");
  std::string frame;
  encoder.Append(12345, &frame);
  ws::Opcode opcode;
  const std::string message = Unframe(frame, &opcode);
  EXPECT_EQ(opcode, ws::Opcode::kText);
  auto parsed = codec::ParsePredictRequest(message);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << " " << message;
  EXPECT_EQ(parsed->id, "12345");
  EXPECT_THAT(parsed->input.shape, ::testing::ElementsAre(3, 2));
}

TEST(RequestEncoderTest, WebSocketBinaryCarriesTheId) {
  RequestEncoder encoder({.wire = WireKind::kWebSocketBinary, .target = Local(), .features = 30});
  std::string frame;
  encoder.Append(77, &frame);
  ws::Opcode opcode;
  const std::string message = Unframe(frame, &opcode);
  EXPECT_EQ(opcode, ws::Opcode::kBinary);
  auto parsed = codec::ParseBinaryPredictRequest(message);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->id, 77u);
  EXPECT_EQ(parsed->input.values.size(), 30u);
}

TEST(RequestEncoderTest, TargetPathsOverrideDefaults) {
  RequestEncoder peer(
      {.wire = WireKind::kWebSocket, .target = *ParseTarget("ws://127.0.0.1:5001/")});
  EXPECT_EQ(peer.websocket_path(), "/");
  RequestEncoder flask({.wire = WireKind::kRest, .target = *ParseTarget("http://127.0.0.1:5000")});
  EXPECT_EQ(flask.http_path(), "/predict");
}

TEST(ReplyScanTest, ServerTimingHeader) {
  auto timing = ParseServerTiming("queue;dur=0.012, compute;dur=50.034");
  ASSERT_TRUE(timing.has_value());
  EXPECT_EQ(timing->queue_us, 12u);
  EXPECT_EQ(timing->compute_us, 50034u);
  EXPECT_FALSE(ParseServerTiming("db;dur=3").has_value());
}

TEST(ReplyScanTest, JsonReplies) {
  ReplyInfo ok = ScanJsonReply(
      R"({"id":42,"model":"m","predictions":[1],"timing":{"queue_us":3,"compute_us":45}})");
  EXPECT_TRUE(ok.ok);
  EXPECT_TRUE(ok.has_id);
  EXPECT_EQ(ok.id, 42u);
  ASSERT_TRUE(ok.timing.has_value());
  EXPECT_EQ(ok.timing->compute_us, 45u);
  ReplyInfo error = ScanJsonReply(R"({"id":7,"error":"unknown model"})");
  EXPECT_FALSE(error.ok);
  EXPECT_EQ(error.error, "app_error");
  EXPECT_EQ(error.id, 7u);
  ReplyInfo peer = ScanJsonReply(R"({"result": "prediction", "input": {"features": [1]}})");
  EXPECT_TRUE(peer.ok);
  EXPECT_FALSE(peer.has_id);
  EXPECT_FALSE(peer.timing.has_value());
}

TEST(ReplyScanTest, BinaryReplies) {
  InferResponse response;
  response.output = Tensor{{1}, {0.5f}};
  response.timing = ServerTiming{1, 2};
  std::string message;
  codec::AppendBinaryPredictResponse(9, response, &message);
  ReplyInfo ok = ScanBinaryReply(message);
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.id, 9u);
  EXPECT_EQ(ok.timing->compute_us, 2u);
  message.clear();
  codec::AppendBinaryPredictError(9, "bad", &message);
  EXPECT_FALSE(ScanBinaryReply(message).ok);
  EXPECT_EQ(ScanBinaryReply("xx").error, "bad_reply");
}

}  // namespace
}  // namespace predictwire::loadgen
