#include "codec/binary_predict.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

namespace predictwire::codec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(BinaryPredictTest, RequestRoundTrips) {
  Tensor input{{2, 2}, {1.5f, -2, 3, 4}};
  std::string message;
  AppendBinaryPredictRequest(0x0102030405060708u, "sleep0", input, &message);
  EXPECT_EQ(message.size(), kBinaryRequestHeaderBytes + 6 + 16);
  auto request = ParseBinaryPredictRequest(message);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->id, 0x0102030405060708u);
  EXPECT_EQ(request->model, "sleep0");
  EXPECT_THAT(request->input.shape, ElementsAre(2, 2));
  EXPECT_THAT(request->input.values, ElementsAre(1.5f, -2, 3, 4));
  EXPECT_EQ(PeekBinaryRequestId(message), 0x0102030405060708u);
}

TEST(BinaryPredictTest, LayoutIsLittleEndianAsDocumented) {
  std::string message;
  AppendBinaryPredictRequest(7, "", Tensor{{1, 1}, {1.0f}}, &message);
  const unsigned char expected[] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0,    0,
                                    7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x3f};
  ASSERT_EQ(message.size(), sizeof(expected));
  EXPECT_EQ(std::memcmp(message.data(), expected, sizeof(expected)), 0);
}

TEST(BinaryPredictTest, ResponseAndErrorRoundTrip) {
  InferResponse response;
  response.output = Tensor{{3}, {0.5f, 1, 2}};
  response.timing = ServerTiming{10, 20};
  std::string message;
  AppendBinaryPredictResponse(99, response, &message);
  auto parsed = ParseBinaryPredictResponse(message);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->ok);
  EXPECT_EQ(parsed->id, 99u);
  EXPECT_THAT(parsed->predictions, ElementsAre(0.5f, 1, 2));
  EXPECT_EQ(parsed->timing.queue_us, 10u);
  EXPECT_EQ(parsed->timing.compute_us, 20u);

  EXPECT_EQ(parsed->code, 0);

  message.clear();
  AppendBinaryPredictError(5, 5, "unknown model 'x'", &message);
  EXPECT_EQ(message[1], 5);  // the status byte is the code
  parsed = ParseBinaryPredictResponse(message);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->ok);
  EXPECT_EQ(parsed->id, 5u);
  EXPECT_EQ(parsed->code, 5);
  EXPECT_EQ(parsed->error, "unknown model 'x'");
}

TEST(BinaryPredictTest, RejectsMalformedRequests) {
  std::string good;
  AppendBinaryPredictRequest(1, "m", Tensor{{1, 2}, {1, 2}}, &good);

  EXPECT_THAT(ParseBinaryPredictRequest(good.substr(0, 10)).status().message(),
              HasSubstr("shorter than its 20-byte header"));
  EXPECT_THAT(ParseBinaryPredictRequest(good.substr(0, good.size() - 1)).status().message(),
              HasSubstr("bytes but its header"));
  std::string longer = good + "x";
  EXPECT_FALSE(ParseBinaryPredictRequest(longer).ok());
  std::string bad_version = good;
  bad_version[0] = 2;
  EXPECT_THAT(ParseBinaryPredictRequest(bad_version).status().message(), HasSubstr("version 2"));
  std::string zero_rows = good;
  std::memset(zero_rows.data() + 4, 0, 4);
  EXPECT_THAT(ParseBinaryPredictRequest(zero_rows).status().message(), HasSubstr("one row"));
}

TEST(BinaryPredictTest, HugeShapeCannotWrapTheLengthCheck) {
  // rows × cols × 4 wraps to 0 in 64 bits; the parser must not trust it.
  std::string message;
  AppendBinaryPredictRequest(1, "", Tensor{{1, 1}, {0}}, &message);
  message.resize(kBinaryRequestHeaderBytes);
  const uint32_t big = 1u << 31;
  std::memcpy(message.data() + 4, &big, 4);
  std::memcpy(message.data() + 8, &big, 4);
  EXPECT_FALSE(ParseBinaryPredictRequest(message).ok());
}

}  // namespace
}  // namespace predictwire::codec
