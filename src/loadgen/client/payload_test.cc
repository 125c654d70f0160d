#include "loadgen/client/payload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "codec/binary_predict.h"
#include "codec/predict_json.h"
#include "codec/v2_json.h"
#include "loadgen/client/http1_connection.h"

namespace predictwire::loadgen {
namespace {

using ::testing::HasSubstr;

Target Local() { return *ParseTarget("http://127.0.0.1:8000"); }

std::string BodyOf(const RequestBody& body, uint64_t id) {
  std::string out;
  body.Append(id, &out);
  EXPECT_EQ(out.size(), body.SizeOf(id));
  return out;
}

TEST(RequestBodyTest, RestRequestsAreWhatTheServerParses) {
  const RequestBody body = *RestJsonBody({.model = "m", .features = 4});
  EXPECT_EQ(body.path(), "/predict");
  std::string request;
  Http1RequestWriter(Local(), body, /*close=*/false).Append(1, &request);
  EXPECT_THAT(request, ::testing::StartsWith("POST /predict HTTP/1.1\r\n"));
  EXPECT_THAT(request, ::testing::Not(HasSubstr("Connection: close")));
  const std::string sent = request.substr(request.find("\r\n\r\n") + 4);
  EXPECT_THAT(request, HasSubstr("Content-Length: " + std::to_string(sent.size()) + "\r\n"));
  auto parsed = codec::ParsePredictRequest(sent);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->model, "m");
  EXPECT_EQ(parsed->input.values.size(), 4u);
  EXPECT_EQ(parsed->input.values[3], FeatureValue(3));

  request.clear();
  Http1RequestWriter(Local(), body, /*close=*/true).Append(1, &request);
  EXPECT_THAT(request, HasSubstr("Connection: close\r\n"));
}

TEST(RequestBodyTest, V2Requests) {
  const RequestBody body =
      *RestJsonBody({.shape = PayloadShape::kV2, .model = "bc", .features = 3, .rows = 2});
  EXPECT_EQ(body.path(), "/v2/models/bc/infer");
  auto parsed = codec::ParseV2InferRequest(BodyOf(body, 1));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->inputs[0].tensor.shape, ::testing::ElementsAre(2, 3));
  EXPECT_EQ(RestJsonBody({.shape = PayloadShape::kV2})->path(), "/v2/models/breast_cancer/infer");
}

TEST(RequestBodyTest, WebSocketTextCarriesTheId) {
  const RequestBody body = *WebSocketJsonBody({.features = 2, .rows = 3});
  EXPECT_EQ(body.path(), "/ws");
  EXPECT_FALSE(body.binary());
  for (uint64_t id : {0ull, 7ull, 12345ull, 18446744073709551615ull}) {
    const std::string message = BodyOf(body, id);
    auto parsed = codec::ParsePredictRequest(message);
    ASSERT_TRUE(parsed.ok()) << parsed.status() << " " << message;
    EXPECT_EQ(parsed->id, std::to_string(id));
    EXPECT_THAT(parsed->input.shape, ::testing::ElementsAre(3, 2));
  }
  EXPECT_THAT(WebSocketJsonBody({.shape = PayloadShape::kV2}).status().message(),
              HasSubstr("rest wires"));
}

TEST(RequestBodyTest, WebSocketBinaryCarriesTheId) {
  const RequestBody body = *WebSocketBinaryBody({.features = 30});
  EXPECT_TRUE(body.binary());
  auto parsed = codec::ParseBinaryPredictRequest(BodyOf(body, 77));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->id, 77u);
  EXPECT_EQ(parsed->input.values.size(), 30u);
}

TEST(RequestBodyTest, TargetPathsOverrideDefaults) {
  EXPECT_EQ(WebSocketJsonBody({.path = "/"})->path(), "/");
  EXPECT_EQ(RestJsonBody({.path = "/"})->path(), "/predict");
  EXPECT_EQ(RestJsonBody({.path = "/score"})->path(), "/score");
}

TEST(RequestBodyTest, BadShapesAreRefused) {
  EXPECT_FALSE(RestJsonBody({.features = 0}).ok());
  EXPECT_FALSE(WebSocketBinaryBody({.rows = 0}).ok());
}

TEST(ReplyScanTest, StatusCodesNameTheErrorKind) {
  EXPECT_EQ(StatusErrorKind("grpc", 5), "grpc_not_found");
  EXPECT_EQ(StatusErrorKind("ws", 8), "ws_resource_exhausted");
  EXPECT_EQ(StatusErrorKind("ws", 16), "ws_unauthenticated");
  EXPECT_EQ(StatusErrorKind("ws", 99), "ws_99");
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
  ReplyInfo error = ScanJsonReply(R"({"id":7,"error":"unknown model","code":5})");
  EXPECT_FALSE(error.ok);
  EXPECT_EQ(error.error, "ws_not_found");
  EXPECT_EQ(error.id, 7u);
  EXPECT_EQ(ScanJsonReply(R"({"error":"queue full","code":8})").error, "ws_resource_exhausted");
  EXPECT_EQ(ScanJsonReply(R"({"error":"no code"})").error, "ws_error");
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
  codec::AppendBinaryPredictError(9, 8, "queue full", &message);
  EXPECT_FALSE(ScanBinaryReply(message).ok);
  EXPECT_EQ(ScanBinaryReply(message).error, "ws_resource_exhausted");
  EXPECT_EQ(ScanBinaryReply("xx").error, "bad_reply");
}

}  // namespace
}  // namespace predictwire::loadgen
