#include "codec/predict_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <random>

#include "codec/json_writer.h"
#include "codec/predict_json_fast.h"
#include "codec/predict_json_handler.h"

namespace predictwire::codec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(PredictJsonTest, ParsesOneRowOfFeatures) {
  auto request = ParsePredictRequest(R"({"features": [1, 2.5, -3e2]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->model, "");
  EXPECT_EQ(request->id, "");
  EXPECT_THAT(request->input.shape, ElementsAre(1, 3));
  EXPECT_THAT(request->input.values, ElementsAre(1.0f, 2.5f, -300.0f));
}

TEST(PredictJsonTest, ParsesInstancesModelAndId) {
  auto request = ParsePredictRequest(
      R"({"id": "req-1", "model": "sleep50", "instances": [[1, 2], [3, 4], [5, 6]]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->model, "sleep50");
  EXPECT_EQ(request->id, "\"req-1\"");
  EXPECT_THAT(request->input.shape, ElementsAre(3, 2));
  EXPECT_THAT(request->input.values, ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST(PredictJsonTest, NumericIdIsKeptAsWritten) {
  auto request = ParsePredictRequest(R"({"id": 42, "features": [1]})");
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->id, "42");
}

TEST(PredictJsonTest, RejectsBadInputWithUsefulMessages) {
  struct Case {
    const char* body;
    const char* message;
  } cases[] = {
      {"", "empty"},
      {"{\"features\": [1, 2", "malformed JSON"},
      {"[1, 2]", "expected a JSON object"},
      {"{}", "no input"},
      {R"({"features": []})", "\"features\" is empty"},
      {R"({"features": "1,2"})", "must be an array"},
      {R"({"features": [1, "2"]})", "features[1] must be a number, got a string"},
      {R"({"features": [1, true]})", "features[1] must be a number, got a boolean"},
      {R"({"features": [1, null]})", "features[1] must be a number, got null"},
      {R"({"features": [[1, 2]]})", "instances"},
      {R"({"features": [1e39]})", "outside the float32 range"},
      {R"({"instances": [[1, 2], [3]]})", "instances[1] has 1 values but instances[0] has 2"},
      {R"({"instances": [1, 2]})", "instances[0] must be an array"},
      {R"({"instances": []})", "\"instances\" is empty"},
      {R"({"instances": [[]]})", "instances[0] is empty"},
      {R"({"features": [1], "instances": [[1]]})", "not both"},
      {R"({"model": 3, "features": [1]})", "\"model\" must be a string"},
      {R"({"id": {"a": 1}, "features": [1]})", "\"id\" must be a string or a number"},
      {R"({"id": [1], "features": [1]})", "\"id\" must be a string or a number, got an array"},
      {R"({"instances": [[1, 2], [3, "x"]]})", "instances[1][1] must be a number, got a string"},
      {R"({"instances": [[1], [[2]]]})", "instances[1][0] must be a number, got an array"},
      {R"({"instances": [[1], {"a": 1}]})",
       "instances[1] must be an array of numbers, got an object"},
      {R"({"features": [1, {"a": 2}]})", "features[1] must be a number, got an object"},
      {R"({"features": [1]} trailing)", "malformed JSON"},
      {R"("just a string")", "expected a JSON object, got a string"},
  };
  for (const Case& c : cases) {
    auto request = ParsePredictRequest(c.body);
    ASSERT_FALSE(request.ok()) << c.body;
    EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument) << c.body;
    EXPECT_THAT(request.status().message(), HasSubstr(c.message)) << c.body;
  }
}

TEST(PredictJsonTest, IgnoresOtherMembersWhateverTheyHold) {
  auto request = ParsePredictRequest(
      R"({"meta": {"a": [1, {"b": "features"}], "features": "not these"}, "tags": [[1], "x"],)"
      R"( "features": [4, 5], "extra": null, "more": {"instances": [[1]]}})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->input.shape, ElementsAre(1, 2));
  EXPECT_THAT(request->input.values, ElementsAre(4, 5));
}

TEST(PredictJsonTest, ScalarIdsAndRepeatedMembers) {
  EXPECT_EQ(ParsePredictRequest(R"({"id": true, "features": [1]})")->id, "true");
  EXPECT_EQ(ParsePredictRequest(R"({"id": null, "features": [1]})")->id, "null");
  EXPECT_EQ(ParsePredictRequest(R"({"id": -1.5e3, "features": [1]})")->id, "-1.5e3");
  EXPECT_EQ(ParsePredictRequest(R"({"id": "q\"1", "features": [1]})")->id, R"("q\"1")");
  auto repeated = ParsePredictRequest(R"({"features": [1, 2, 3], "features": [7]})");
  ASSERT_TRUE(repeated.ok());
  EXPECT_THAT(repeated->input.values, ElementsAre(7));  // the last one counts
  EXPECT_THAT(repeated->input.shape, ElementsAre(1, 1));
}

TEST(PredictJsonTest, LargeRequestsKeepEveryValueInOrder) {
  std::string body = R"({"instances": [)";
  for (int r = 0; r < 300; ++r) {
    body += r ? ",[" : "[";
    for (int c = 0; c < 30; ++c) {
      if (c) body += ",";
      body += std::to_string(r * 30 + c);
    }
    body += "]";
  }
  body += "]}";
  auto request = ParsePredictRequest(body);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->input.shape, ElementsAre(300, 30));
  for (int i = 0; i < 9000; ++i) ASSERT_EQ(request->input.values[i], i);
}

TEST(PredictJsonTest, ExtractsIdFromRequestsThatFailLater) {
  EXPECT_EQ(ExtractRequestId(R"({"id": "x", "features": "bad"})"), "\"x\"");
  EXPECT_EQ(ExtractRequestId(R"({"id": 7})"), "7");
  EXPECT_EQ(ExtractRequestId("not json"), "");
}

TEST(PredictJsonTest, LeadingRequestIdReadsOnlyAWholeFirstMember) {
  EXPECT_EQ(LeadingRequestId(R"({"id": 7, "features": [1, 2)"), "7");
  EXPECT_EQ(LeadingRequestId(" {\n\"id\" :\t\"a,\\\"}\" ,\"feat"), R"("a,\"}")");
  // As ExtractRequestId writes the id back when the whole message fails to decode.
  EXPECT_EQ(LeadingRequestId(R"({"id":-1.5e3})"), ExtractRequestId(R"({"id":-1.5e3, "x": 1})"));
  EXPECT_FALSE(LeadingRequestId(R"({"id":-1.5e3})").empty());
  EXPECT_EQ(LeadingRequestId(R"({"id": true, )"), "true");
  EXPECT_EQ(LeadingRequestId(R"({"id": 12)"), "");                // it may go on: 123...
  EXPECT_EQ(LeadingRequestId(R"({"id": "abc)"), "");              // an unfinished string
  EXPECT_EQ(LeadingRequestId(R"({"model": "m", "id": 7,)"), "");  // not the first member
  EXPECT_EQ(LeadingRequestId(R"({"idx": 7, )"), "");
  EXPECT_EQ(LeadingRequestId(R"({"id": [7], )"), "");  // not a scalar
  EXPECT_EQ(LeadingRequestId(R"({"id": 07, )"), "");   // not JSON
  EXPECT_EQ(LeadingRequestId(R"([{"id": 7}])"), "");
  EXPECT_EQ(LeadingRequestId(""), "");
}

TEST(PredictJsonTest, WritesResponseAndError) {
  InferResponse response;
  response.output = Tensor{{2}, {0.5f, 1.25f}};
  response.timing = ServerTiming{12, 345};
  std::string out;
  AppendPredictResponse("\"a\"", "m\"x", response, &out);
  EXPECT_EQ(out, R"({"id":"a","model":"m\"x","predictions":[0.5,1.25],)"
                 R"("timing":{"queue_us":12,"compute_us":345}})");
  out.clear();
  AppendPredictResponse("", "m", response, &out);
  EXPECT_EQ(out.rfind(R"({"model":"m",)", 0), 0u);
  out.clear();
  AppendErrorJson("3", "bad \"thing\"", &out);
  EXPECT_EQ(out, R"({"id":3,"error":"bad \"thing\""})");
  out.clear();
  AppendErrorJson("7", "no", 5, &out);
  EXPECT_EQ(out, R"({"id":7,"error":"no","code":5})");
  out.clear();
  AppendErrorJson("", "no", 8, &out);
  EXPECT_EQ(out, R"({"error":"no","code":8})");
}

// The fast path decides alone only on input the full decoder accepts, with the same result to
// the bit; everything else it leaves to the full decoder.
TEST(PredictJsonFastTest, AgreesWithTheFullDecoderOrStepsAside) {
  const char* const decided[] = {
      R"({"features": [1, 2.5, -3e2, 0.1, 1E-7, -0, -0.0, 123456789012345678]})",
      R"( {"model":"m","id":"abc","features":[3.4028234e38,-1.17549435e-38,7.006e-46]} )",
      "{\n\t\"instances\" : [ [1,2] , [3,4] ],\r\n\"id\": 17.50, \"model\": \"x\"}",
      R"({"id": true, "features": [0.30000000000000004, 2.2250738585072014e-308]})",
      R"({"id": null, "features": [9007199254740993, 1.00000000000000011102230246251565404236316680908203125e0]})",
      R"({"features": [123456789.123456789, 1e22, 1e23, 4.9406564584124654e-324]})",
      R"({"features": [12345678901234567890, -98765432109876543210, 1e-30]})",
  };
  for (const char* text : decided) {
    PredictRequest fast;
    ASSERT_TRUE(ParsePredictRequestFast(text, &fast)) << text;
    absl::StatusOr<PredictRequest> full = ParsePredictRequestWithEvents(text);
    ASSERT_TRUE(full.ok()) << text << ": " << full.status();
    EXPECT_EQ(fast.model, full->model) << text;
    EXPECT_EQ(fast.id, full->id) << text;
    EXPECT_EQ(fast.input.shape, full->input.shape) << text;
    ASSERT_EQ(fast.input.values.size(), full->input.values.size()) << text;
    for (size_t i = 0; i < fast.input.values.size(); ++i) {
      EXPECT_EQ(std::bit_cast<uint32_t>(fast.input.values[i]),
                std::bit_cast<uint32_t>(full->input.values[i]))
          << text << " value " << i;
    }
  }
  const char* const left[] = {
      R"({"features": []})",                         // an error, with its message
      R"({"features": [1], "instances": [[1]]})",    // both
      R"({"features": [1], "features": [2]})",       // repeated
      R"({"features": [1], "extra": {}})",           // a member it does not know
      R"({"model": "caf\u00e9", "features": [1]})",  // an escape
      R"({"model": "café", "features": [1]})",       // UTF-8
      R"({"features": [01]})",                       // not JSON
      R"({"features": [1.]})",
      R"({"features": [1e999]})",         // past float32
      R"({"features": [0e3345678983]})",  // an exponent the full decoder refuses
      R"({"features": [1]} x)",
      R"({"instances": [[1, 2], [3]]})",
      "",
  };
  for (const char* text : left) {
    PredictRequest fast;
    EXPECT_FALSE(ParsePredictRequestFast(text, &fast)) << text;
  }
  // And ParsePredictRequest still answers them as before.
  EXPECT_TRUE(ParsePredictRequest(R"({"model": "café", "features": [1]})").ok());
  EXPECT_THAT(ParsePredictRequest(R"({"features": []})").status().message(), HasSubstr("empty"));
}

// Long arrays take the vector reader (where the CPU has one), which reads four numbers at a time
// and hands any it was not written for to the scalar one: over many shapes of number, spacing
// and error, at every alignment, both decoders must agree to the bit, or both refuse.
TEST(PredictJsonFastTest, LongArraysOfEveryShapeAgreeWithTheFullDecoder) {
  std::mt19937 random(12345);
  const auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  const auto digits = [&](int count, bool leading_zero_allowed, std::string* out) {
    for (int i = 0; i < count; ++i) {
      const int first = i == 0 && !leading_zero_allowed ? 1 : 0;
      out->push_back(static_cast<char>('0' + first + pick(10 - first)));
    }
  };
  const char* const special[] = {"0",
                                 "-0",
                                 "-0.0",
                                 "0.0",
                                 "0.5",
                                 "-0.25",
                                 "1e5",
                                 "1E+2",
                                 "-1.5e-3",
                                 "9007199254740993",
                                 "123456789012345",
                                 "1234567890123456",
                                 "12345678901234567",
                                 "0.000000000000001",
                                 "-999999999999999",
                                 "3.4028234e38"};
  const char* const wrong[] = {"01",  "1.",  ".5",   "-",    "1.2.3", "--1", "+1",
                               "1-2", "-.5", "00.1", "1..2", "",      " ",   "1 2",
                               "0x1", "1e",  "NaN",  "[1]",  "\"1\""};
  int accepted = 0;
  for (int body_index = 0; body_index < 400; ++body_index) {
    const bool spoiled = body_index % 4 == 3;
    const int rows = body_index % 5 == 4 ? 1 + pick(4) : 1;
    const int count = 1 + pick(body_index % 2 ? 700 : 40);
    // A spoiled body has one wrong number, each kind in turn, anywhere.
    const int spoiled_at = spoiled ? pick(rows * count) : -1;
    const char* const spoiler = wrong[(body_index / 4) % std::size(wrong)];
    // Bodies of doubles in full (the vector reader gives up on them after a few).
    const bool doubles_in_full = body_index % 10 == 5;
    // As JavaScript writes arrays, as Python does, and indented.
    const char* const separator = body_index % 3 == 0 ? "," : body_index % 3 == 1 ? ", " : ",\n  ";
    std::string text = rows == 1 ? R"({"features":[)" : R"({"instances":[[)";
    text.append(static_cast<size_t>(pick(3)), ' ');  // every alignment of the numbers
    for (int row = 0; row < rows; ++row) {
      if (row) text += "],[";
      for (int i = 0; i < count; ++i) {
        if (i) text += pick(40) == 0 ? " ," : pick(40) == 0 ? ", " : separator;
        const int shape = pick(100);
        if (row * count + i == spoiled_at) {
          text += spoiler;
        } else if (doubles_in_full && shape < 95) {
          // As Python writes a float64: up to 17 digits, more than the vector reader takes.
          char digits_of_double[32];
          const double value = static_cast<double>(random()) / 4294967296.0 - 0.5;
          text.append(digits_of_double,
                      std::to_chars(digits_of_double, digits_of_double + 32, value).ptr);
        } else if (shape < 55) {
          const float value = static_cast<float>(
              std::ldexp(static_cast<double>(random()) / 4294967296.0, pick(40) - 20));
          AppendJsonNumber(pick(3) == 0 ? -value : value, &text);
        } else if (shape < 90) {
          if (pick(3) == 0) text += '-';
          const int integer = pick(8) == 0 ? 1 + pick(17) : 1 + pick(4);
          if (pick(6) == 0) {
            text += '0';
          } else {
            digits(integer, false, &text);
          }
          if (pick(4) != 0) {
            text += '.';
            digits(pick(8) == 0 ? 1 + pick(17) : 1 + pick(4), true, &text);
          }
          if (pick(30) == 0) text += pick(2) ? "e-7" : "E+12";
        } else {
          text += special[pick(std::size(special))];
        }
      }
    }
    text += rows == 1 ? "]}" : "]]}";
    PredictRequest fast;
    const bool fast_decided = ParsePredictRequestFast(text, &fast);
    const absl::StatusOr<PredictRequest> full = ParsePredictRequestWithEvents(text);
    if (!spoiled) {
      ASSERT_TRUE(full.ok()) << text << ": " << full.status();
    }
    if (full.ok()) {
      ASSERT_TRUE(fast_decided) << text;
    }
    if (!fast_decided) continue;
    ++accepted;
    ASSERT_TRUE(full.ok()) << text;
    ASSERT_EQ(fast.input.shape, full->input.shape) << text;
    ASSERT_EQ(fast.input.values.size(), full->input.values.size()) << text;
    for (size_t i = 0; i < fast.input.values.size(); ++i) {
      ASSERT_EQ(std::bit_cast<uint32_t>(fast.input.values[i]),
                std::bit_cast<uint32_t>(full->input.values[i]))
          << "value " << i << " of " << text;
    }
  }
  EXPECT_EQ(accepted, 300);  // every unspoiled body
}

}  // namespace
}  // namespace predictwire::codec
