#include "codec/v2_proto.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

namespace predictwire::codec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

inference::ModelInferRequest TypedRequest() {
  inference::ModelInferRequest request;
  request.set_model_name("m");
  request.set_id("req-7");
  auto* input = request.add_inputs();
  input->set_name("features");
  input->set_datatype("FP32");
  input->add_shape(2);
  input->add_shape(2);
  for (float value : {1.0f, 2.0f, 3.0f, 4.5f}) input->mutable_contents()->add_fp32_contents(value);
  return request;
}

std::string RawFloats(std::initializer_list<float> values) {
  std::string bytes(values.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), values.begin(), bytes.size());
  return bytes;
}

TEST(V2ProtoTest, DecodesTypedContents) {
  absl::StatusOr<V2InferRequest> decoded = FromProto(TypedRequest());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->has_id);
  EXPECT_EQ(decoded->id, "req-7");
  EXPECT_FALSE(decoded->binary_output);
  ASSERT_EQ(decoded->inputs.size(), 1u);
  EXPECT_THAT(decoded->inputs[0].tensor.shape, ElementsAre(2, 2));
  EXPECT_THAT(decoded->inputs[0].tensor.values, ElementsAre(1.0f, 2.0f, 3.0f, 4.5f));
}

TEST(V2ProtoTest, DecodesIntegerContentsAndRawBytes) {
  inference::ModelInferRequest request = TypedRequest();
  auto* input = request.mutable_inputs(0);
  input->set_datatype("INT64");
  input->mutable_contents()->Clear();
  for (int64_t value : {-1, 2, 3, 4}) input->mutable_contents()->add_int64_contents(value);
  absl::StatusOr<V2InferRequest> decoded = FromProto(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_THAT(decoded->inputs[0].tensor.values, ElementsAre(-1.0f, 2.0f, 3.0f, 4.0f));

  input->set_datatype("FP32");
  input->mutable_contents()->Clear();
  request.add_raw_input_contents(RawFloats({0.5f, 1, 2, 3}));
  decoded = FromProto(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->binary_output);  // raw in, raw out
  EXPECT_THAT(decoded->inputs[0].tensor.values, ElementsAre(0.5f, 1.0f, 2.0f, 3.0f));
}

TEST(V2ProtoTest, RejectsMismatchesWithTheInputNamed) {
  inference::ModelInferRequest short_contents = TypedRequest();
  short_contents.mutable_inputs(0)->mutable_contents()->mutable_fp32_contents()->RemoveLast();
  EXPECT_THAT(std::string(FromProto(short_contents).status().message()),
              HasSubstr("input 'features' has 3 values in contents.fp32_contents"));

  inference::ModelInferRequest wrong_field = TypedRequest();
  wrong_field.mutable_inputs(0)->set_datatype("INT32");
  EXPECT_THAT(std::string(FromProto(wrong_field).status().message()), HasSubstr("int_contents"));

  inference::ModelInferRequest both = TypedRequest();
  both.add_raw_input_contents(RawFloats({1, 2, 3, 4}));
  EXPECT_THAT(std::string(FromProto(both).status().message()), HasSubstr("both"));

  inference::ModelInferRequest short_raw = TypedRequest();
  short_raw.mutable_inputs(0)->mutable_contents()->Clear();
  short_raw.add_raw_input_contents(RawFloats({1, 2, 3}));
  EXPECT_THAT(std::string(FromProto(short_raw).status().message()), HasSubstr("12 bytes"));

  inference::ModelInferRequest bytes = TypedRequest();
  bytes.mutable_inputs(0)->set_datatype("BYTES");
  EXPECT_EQ(FromProto(bytes).status().code(), absl::StatusCode::kInvalidArgument);

  inference::ModelInferRequest no_inputs;
  no_inputs.set_model_name("m");
  EXPECT_EQ(FromProto(no_inputs).status().code(), absl::StatusCode::kInvalidArgument);

  inference::ModelInferRequest negative = TypedRequest();
  negative.mutable_inputs(0)->set_shape(0, -2);
  EXPECT_EQ(FromProto(negative).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(V2ProtoTest, EncodesTheAnswerAsTheRequestSentIt) {
  InferResponse response;
  response.output.shape = {2};
  response.output.values = {3.0f, 7.5f};
  response.timing = {.queue_us = 12, .compute_us = 34};
  const TensorSpec output{"predictions", "FP32", {-1}};

  absl::StatusOr<V2InferRequest> typed = FromProto(TypedRequest());
  ASSERT_TRUE(typed.ok());
  inference::ModelInferResponse answer;
  ToProto("m", "1", *typed, output, response, &answer);
  EXPECT_EQ(answer.model_name(), "m");
  EXPECT_EQ(answer.model_version(), "1");
  EXPECT_EQ(answer.id(), "req-7");
  EXPECT_EQ(answer.parameters().at("queue_us").int64_param(), 12);
  EXPECT_EQ(answer.parameters().at("compute_us").int64_param(), 34);
  ASSERT_EQ(answer.outputs_size(), 1);
  EXPECT_EQ(answer.outputs(0).name(), "predictions");
  EXPECT_EQ(answer.outputs(0).datatype(), "FP32");
  EXPECT_THAT(answer.outputs(0).shape(), ElementsAre(2));
  EXPECT_THAT(answer.outputs(0).contents().fp32_contents(), ElementsAre(3.0f, 7.5f));
  EXPECT_EQ(answer.raw_output_contents_size(), 0);

  V2InferRequest raw = *typed;
  raw.binary_output = true;
  raw.has_id = false;
  inference::ModelInferResponse raw_answer;
  ToProto("m", "1", raw, output, response, &raw_answer);
  EXPECT_TRUE(raw_answer.id().empty());
  EXPECT_EQ(raw_answer.outputs(0).contents().fp32_contents_size(), 0);
  ASSERT_EQ(raw_answer.raw_output_contents_size(), 1);
  EXPECT_EQ(raw_answer.raw_output_contents(0), RawFloats({3.0f, 7.5f}));
}

TEST(V2ProtoTest, EncodesModelMetadata) {
  BackendInfo info;
  info.platform = "xgboost_json";
  info.input = TensorSpec{"features", "FP32", {-1, 30}};
  info.output = TensorSpec{"predictions", "FP32", {-1}};
  inference::ModelMetadataResponse metadata;
  const std::pair<std::string, std::string> properties[] = {{"instances", "2"}};
  ToProto("breast_cancer", "1", info, &metadata, properties);
  EXPECT_EQ(metadata.name(), "breast_cancer");
  EXPECT_THAT(metadata.versions(), ElementsAre("1"));
  EXPECT_EQ(metadata.platform(), "xgboost_json");
  EXPECT_EQ(metadata.properties().at("instances"), "2");
  ASSERT_EQ(metadata.inputs_size(), 1);
  EXPECT_EQ(metadata.inputs(0).name(), "features");
  EXPECT_THAT(metadata.inputs(0).shape(), ElementsAre(-1, 30));
  EXPECT_EQ(metadata.outputs(0).datatype(), "FP32");
}

}  // namespace
}  // namespace predictwire::codec
