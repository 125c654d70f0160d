#include "loadgen/client/grpc_messages.h"

#include <gtest/gtest.h>

#include "grpc_service.pb.h"

namespace predictwire::loadgen {
namespace {

TEST(GrpcMessagesTest, TheTemplateWithAnAppendedIdIsTheRequestWithThatId) {
  PayloadOptions options;
  options.model = "m";
  options.features = 3;
  options.rows = 2;
  absl::StatusOr<RequestBody> body = GrpcRequestBody(options);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_TRUE(body->binary());
  for (uint64_t id : {uint64_t{0}, uint64_t{42}, UINT64_MAX}) {
    std::string bytes(body->fixed());
    AppendRequestId(id, &bytes);
    inference::ModelInferRequest request;
    ASSERT_TRUE(request.ParseFromString(bytes));
    EXPECT_EQ(request.id(), std::to_string(id));
    EXPECT_EQ(request.model_name(), "m");
    ASSERT_EQ(request.inputs_size(), 1);
    EXPECT_EQ(request.inputs(0).shape(1), 3);
    EXPECT_EQ(request.raw_input_contents(0).size(), 2 * 3 * sizeof(float));
  }
  options.model.clear();
  EXPECT_FALSE(GrpcRequestBody(options).ok());
}

inference::ModelInferResponse Response(std::string id) {
  inference::ModelInferResponse response;
  response.set_model_name("m");
  response.set_id(std::move(id));
  (*response.mutable_parameters())["queue_us"].set_int64_param(12);
  (*response.mutable_parameters())["compute_us"].set_int64_param(3456);
  (*response.mutable_parameters())["other"].set_string_param("x");
  auto* output = response.add_outputs();
  output->set_name("predictions");
  output->add_shape(1);
  output->mutable_contents()->add_fp32_contents(0.5f);
  return response;
}

TEST(GrpcMessagesTest, ScansTheIdAndTimingOfAReply) {
  const std::string bytes = Response("77").SerializeAsString();  // the reply views it
  const std::optional<ScannedReply> reply = ScanInferResponse(bytes);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->id, "77");
  ASSERT_TRUE(reply->timing.has_value());
  EXPECT_EQ(reply->timing->queue_us, 12u);
  EXPECT_EQ(reply->timing->compute_us, 3456u);
  EXPECT_FALSE(reply->stream_error);

  inference::ModelInferResponse untimed = Response("1");
  untimed.mutable_parameters()->erase("compute_us");
  EXPECT_FALSE(ScanInferResponse(untimed.SerializeAsString())->timing.has_value());
}

TEST(GrpcMessagesTest, ScansStreamAnswersAndErrors) {
  inference::ModelStreamInferResponse answer;
  *answer.mutable_infer_response() = Response("5");
  const std::string answer_bytes = answer.SerializeAsString();
  std::optional<ScannedReply> reply = ScanStreamInferResponse(answer_bytes);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->id, "5");
  EXPECT_FALSE(reply->stream_error);
  EXPECT_EQ(reply->timing->compute_us, 3456u);

  inference::ModelStreamInferResponse error;
  error.set_error_message("no such model");
  error.mutable_infer_response()->set_id("6");
  const std::string error_bytes = error.SerializeAsString();
  reply = ScanStreamInferResponse(error_bytes);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->id, "6");
  EXPECT_TRUE(reply->stream_error);
}

TEST(GrpcMessagesTest, BytesThatAreNotProtobufAreRefused) {
  EXPECT_FALSE(ScanInferResponse("\x1a\x7f").has_value());  // a length past the end
  EXPECT_FALSE(ScanInferResponse("\x0f").has_value());      // wire type 7
  EXPECT_FALSE(ScanStreamInferResponse("\x12\x02\x1a\x05").has_value());
  EXPECT_TRUE(ScanInferResponse("").has_value());  // an empty message is a message
}

}  // namespace
}  // namespace predictwire::loadgen
