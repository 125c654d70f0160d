#include "codec/v2_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

namespace predictwire::codec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(V2JsonTest, ParsesFlatAndNestedData) {
  auto request = ParseV2InferRequest(R"({
    "id": "abc",
    "inputs": [{"name": "input-0", "shape": [2, 3], "datatype": "FP64",
                "data": [[1, 2, 3], [4, 5, 6.5]]}],
    "outputs": [{"name": "predictions"}]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_TRUE(request->has_id);
  EXPECT_EQ(request->id, "abc");
  ASSERT_EQ(request->inputs.size(), 1u);
  EXPECT_EQ(request->inputs[0].name, "input-0");
  EXPECT_EQ(request->inputs[0].datatype, "FP64");
  EXPECT_THAT(request->inputs[0].tensor.shape, ElementsAre(2, 3));
  EXPECT_THAT(request->inputs[0].tensor.values, ElementsAre(1, 2, 3, 4, 5, 6.5));
  EXPECT_THAT(request->requested_outputs, ElementsAre("predictions"));

  auto flat = ParseV2InferRequest(
      R"({"inputs": [{"name": "x", "shape": [1, 2], "datatype": "INT32", "data": [7, 8]}]})");
  ASSERT_TRUE(flat.ok()) << flat.status();
  EXPECT_FALSE(flat->has_id);
  EXPECT_THAT(flat->inputs[0].tensor.values, ElementsAre(7, 8));
}

TEST(V2JsonTest, BoolDataIsBooleans) {
  auto request = ParseV2InferRequest(
      R"({"inputs": [{"name": "b", "shape": [3], "datatype": "BOOL", "data": [true, false, true]}]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->inputs[0].tensor.values, ElementsAre(1, 0, 1));
}

TEST(V2JsonTest, RejectsBadRequests) {
  struct Case {
    const char* body;
    const char* message;
  } cases[] = {
      {"{}", "expected \"inputs\""},
      {R"({"inputs": []})", "expected \"inputs\""},
      {R"({"inputs": [5]})", "inputs[0] must be an object"},
      {R"({"inputs": [{"shape": [1], "datatype": "FP32", "data": [1]}]})", "has no \"name\""},
      {R"({"inputs": [{"name": "x", "shape": [1], "data": [1]}]})", "has no \"datatype\""},
      {R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP99", "data": [1]}]})",
       "not a v2 datatype"},
      {R"({"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": ["a"]}]})", "BYTES"},
      {R"({"inputs": [{"name": "x", "shape": [1], "datatype": "BF16", "data": [1]}]})",
       "BF16, a v2 datatype this server does not support"},
      {R"({"inputs": [{"name": "x", "datatype": "FP32", "data": [1]}]})", "needs \"shape\""},
      {R"({"inputs": [{"name": "x", "shape": [-1], "datatype": "FP32", "data": [1]}]})",
       "non-negative"},
      {R"({"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "data": [1]}]})",
       "has 1 values but its shape holds 2"},
      {R"({"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "data": [1, "a"]}]})",
       "inputs[0].data[1] must be a number"},
      {R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32"}]})", "has no \"data\""},
      {R"({"id": 5, "inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]})",
       "\"id\" must be a string"},
      {R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}],
           "outputs": [{}]})",
       "outputs[0] has no \"name\""},
      {R"({"inputs": [{"name": "x", "shape": [4294967296, 4294967296, 4294967296],
           "datatype": "FP32", "data": [1]}]})",
       "too many elements"},
  };
  for (const Case& c : cases) {
    auto request = ParseV2InferRequest(c.body);
    ASSERT_FALSE(request.ok()) << c.body;
    EXPECT_THAT(request.status().message(), HasSubstr(c.message)) << c.body;
  }
}

TEST(V2JsonTest, WritesInferResponse) {
  V2InferRequest request;
  request.has_id = true;
  request.id = "r\"1";
  InferResponse response;
  response.output = Tensor{{2}, {0.25f, 0.75f}};
  response.timing = ServerTiming{3, 40};
  std::string out;
  AppendV2InferResponse("bc", "1", request, TensorSpec{"predictions", "FP32", {-1}}, response,
                        &out);
  EXPECT_EQ(out, R"({"model_name":"bc","model_version":"1","id":"r\"1",)"
                 R"("parameters":{"queue_us":3,"compute_us":40},)"
                 R"("outputs":[{"name":"predictions","datatype":"FP32","shape":[2],)"
                 R"("data":[0.25,0.75]}]})");
}

TEST(V2JsonTest, BinaryTensorDataExtension) {
  // Two inputs, the second as raw INT32 bytes after the JSON; binary output asked for.
  const std::string json =
      R"({"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[9]},)"
      R"({"name":"b","shape":[1,2],"datatype":"INT32","parameters":{"binary_data_size":8}}],)"
      R"("outputs":[{"name":"predictions","parameters":{"binary_data":true}}]})";
  const int32_t raw[] = {3, -4};
  const std::string binary(reinterpret_cast<const char*>(raw), sizeof(raw));
  absl::StatusOr<V2InferRequest> request = ParseV2InferRequest(json, binary);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_TRUE(request->binary_output);
  EXPECT_FALSE(request->inputs[0].binary);
  EXPECT_TRUE(request->inputs[1].binary);
  EXPECT_THAT(request->inputs[1].tensor.values, ElementsAre(3.0f, -4.0f));

  InferResponse response;
  response.output = Tensor{{2}, {0.5f, 2.0f}};
  std::string out = "x";  // appends after what is there
  const size_t json_length = AppendV2InferResponse("m", "1", *request,
                                                   TensorSpec{"predictions", "FP32", {-1}},
                                                   response, &out);
  const std::string header = out.substr(1, json_length);
  EXPECT_THAT(header, HasSubstr(R"("shape":[2],"parameters":{"binary_data_size":8}}]})"));
  EXPECT_EQ(header.find("\"data\""), std::string::npos);
  ASSERT_EQ(out.size(), 1 + json_length + 8);
  float values[2];
  std::memcpy(values, out.data() + 1 + json_length, 8);
  EXPECT_EQ(values[0], 0.5f);
  EXPECT_EQ(values[1], 2.0f);

  // Request-level switch.
  request = ParseV2InferRequest(
      R"({"parameters":{"binary_data_output":true},"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}]})");
  ASSERT_TRUE(request.ok());
  EXPECT_TRUE(request->binary_output);

  // An output's own binary_data wins over the request-level switch, either way.
  request = ParseV2InferRequest(
      R"({"parameters":{"binary_data_output":true},"outputs":[{"name":"predictions",)"
      R"("parameters":{"binary_data":false}}],)"
      R"("inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}]})");
  ASSERT_TRUE(request.ok());
  EXPECT_FALSE(request->binary_output);
  request = ParseV2InferRequest(
      R"({"parameters":{"binary_data_output":false},"outputs":[{"name":"predictions",)"
      R"("parameters":{"binary_data":true}}],)"
      R"("inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}]})");
  ASSERT_TRUE(request.ok());
  EXPECT_TRUE(request->binary_output);
}

TEST(V2JsonTest, BinaryTensorDataMustAddUp) {
  const std::string json =
      R"({"inputs":[{"name":"b","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}}]})";
  const std::string eight(8, '\0');
  EXPECT_TRUE(ParseV2InferRequest(json, eight).ok());
  EXPECT_THAT(ParseV2InferRequest(json, std::string(4, '\0')).status().message(),
              HasSubstr("needs 8 bytes of binary data, 4 are left"));
  EXPECT_THAT(ParseV2InferRequest(json, std::string(12, '\0')).status().message(),
              HasSubstr("4 bytes after the JSON belong to no input"));
  EXPECT_THAT(ParseV2InferRequest(R"({"inputs":[{"name":"b","shape":[3],"datatype":"FP32",)"
                                  R"("parameters":{"binary_data_size":8}}]})",
                                  eight)
                  .status()
                  .message(),
              HasSubstr("binary_data_size 8 does not fit shape 3 of FP32"));
  EXPECT_THAT(ParseV2InferRequest(R"({"inputs":[{"name":"b","shape":[2],"datatype":"FP32",)"
                                  R"("data":[1,2],"parameters":{"binary_data_size":8}}]})",
                                  eight)
                  .status()
                  .message(),
              HasSubstr("both"));
  EXPECT_THAT(ParseV2InferRequest(
                  R"({"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}]})", "zz")
                  .status()
                  .message(),
              HasSubstr("belong to no input"));
}

// The data of each input is read as the text streams past (no document of it); what it reads and
// how it refuses must stay what walking a document gave.
TEST(V2JsonTest, StreamedDataKeepsTheDocumentRules) {
  // int64 elements of an array convert straight to float, a lone one by way of double; data may
  // come before the datatype and shape that say how to read it.
  auto request = ParseV2InferRequest(
      R"({"inputs":[{"data":[16777217,9007199254740993,18446744073709551615,0.1],)"
      R"("name":"a","datatype":"FP32","shape":[4]}]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->inputs[0].tensor.values,
              ElementsAre(static_cast<float>(int64_t{16777217}),
                          static_cast<float>(int64_t{9007199254740993}),
                          static_cast<float>(18446744073709551615.0), 0.1f));
  request = ParseV2InferRequest(
      R"({"inputs":[{"name":"a","datatype":"INT64","shape":[],"data":9007199254740993}]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->inputs[0].tensor.values,
              ElementsAre(static_cast<float>(static_cast<double>(int64_t{9007199254740993}))));

  // A repeated key counts once, the last time, as in a document; "data" elsewhere is not data.
  request =
      ParseV2InferRequest(R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[7]}],)"
                          R"("inputs":[{"name":"a","shape":[2],"datatype":"FP32","data":[9,9],)"
                          R"("parameters":{"data":[5]},"data":[[1],[2]]},)"
                          R"({"name":"b","shape":[2],"datatype":"BOOL","data":[true,[false]]}],)"
                          R"("outputs":[{"name":"predictions","data":3}]})");
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_EQ(request->inputs.size(), 2u);
  EXPECT_THAT(request->inputs[0].tensor.values, ElementsAre(1, 2));
  EXPECT_THAT(request->inputs[1].tensor.values, ElementsAre(1, 0));

  const struct {
    const char* body;
    const char* message;
  } refused[] = {
      {R"({"inputs":[{"name":"a","shape":[3],"datatype":"FP32","data":[1,[2,"x"]]}]})",
       "inputs[0].data[1][1] must be a number, got a string"},
      {R"({"inputs":[{"name":"a","shape":[2],"datatype":"FP32","data":[1,{"k":[1]}]}]})",
       "inputs[0].data[1] must be a number, got an object"},
      {R"({"inputs":[{"name":"a","shape":[2],"datatype":"FP32","data":[true,1]}]})",
       "inputs[0].data[0] must be a number, got a boolean"},
      {R"({"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1e39]}]})",
       "inputs[0].data[0] is outside the float32 range"},
      {R"({"inputs":[{"name":"a","shape":[],"datatype":"FP32","data":null}]})",
       "inputs[0].data must be a number, got null"},
      {R"({"inputs":[{"name":"a","shape":[2],"datatype":"BOOL","data":[true,0]}]})",
       "inputs[0].data[1] must be a boolean, got a number"},
      // The input's own checks come before its data's, whatever the order of its members.
      {R"({"inputs":[{"data":["x"],"name":"a","shape":[1]}]})", "has no \"datatype\""},
      {R"({"inputs":[{"name":"a","shape":[1],"datatype":"FP32"}]})", "has no \"data\""},
      {R"({"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}]} x)",
       "malformed JSON at byte"},
  };
  for (const auto& c : refused) {
    auto result = ParseV2InferRequest(c.body);
    ASSERT_FALSE(result.ok()) << c.body;
    EXPECT_THAT(result.status().message(), HasSubstr(c.message)) << c.body;
  }
}

TEST(V2JsonTest, WritesMetadata) {
  BackendInfo info;
  info.platform = "xgboost_json";
  info.input = TensorSpec{"features", "FP32", {-1, 30}};
  info.output = TensorSpec{"predictions", "FP32", {-1}};
  std::string out;
  const std::string versions[] = {"1"};
  AppendV2ModelMetadata("bc", versions, info, &out);
  EXPECT_EQ(out, R"({"name":"bc","versions":["1"],"platform":"xgboost_json",)"
                 R"("inputs":[{"name":"features","datatype":"FP32","shape":[-1,30]}],)"
                 R"("outputs":[{"name":"predictions","datatype":"FP32","shape":[-1]}]})");
  out.clear();
  const std::pair<std::string, std::string> properties[] = {{"instances", "2"},
                                                            {"max_batch_rows", "64"}};
  AppendV2ModelMetadata("bc", versions, info, &out, properties);
  EXPECT_THAT(out, ::testing::EndsWith(
                       R"("shape":[-1]}],"properties":{"instances":"2","max_batch_rows":"64"}})"));
  out.clear();
  const std::string_view extensions[] = {"a", "b"};
  AppendV2ServerMetadata("predictwire", "0.1.0", extensions, &out);
  EXPECT_EQ(out, R"({"name":"predictwire","version":"0.1.0","extensions":["a","b"]})");
}

}  // namespace
}  // namespace predictwire::codec
