#include "codec/v2_raw.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace predictwire::codec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

template <typename T>
std::string Bytes(std::initializer_list<T> values) {
  std::string out;
  for (T value : values) out.append(reinterpret_cast<const char*>(&value), sizeof(T));
  return out;
}

TEST(V2RawTest, ConvertsEveryNumericDatatype) {
  std::vector<float> out;
  ASSERT_TRUE(AppendRawValues("FP32", Bytes<float>({1.5f, -2}), 2, "x", &out).ok());
  ASSERT_TRUE(AppendRawValues("FP64", Bytes<double>({0.25}), 1, "x", &out).ok());
  ASSERT_TRUE(AppendRawValues("INT64", Bytes<int64_t>({-7}), 1, "x", &out).ok());
  ASSERT_TRUE(AppendRawValues("UINT16", Bytes<uint16_t>({65535}), 1, "x", &out).ok());
  ASSERT_TRUE(AppendRawValues("INT8", Bytes<int8_t>({-128}), 1, "x", &out).ok());
  ASSERT_TRUE(AppendRawValues("BOOL", std::string("\x00\x02", 2), 2, "x", &out).ok());
  // binary16: 1.0 is 0x3c00, -2.5 is 0xc100, the smallest subnormal 0x0001 is 2^-24.
  ASSERT_TRUE(AppendRawValues("FP16", Bytes<uint16_t>({0x3c00, 0xc100, 0x0001}), 3, "x", &out).ok());
  EXPECT_THAT(out, ElementsAre(1.5f, -2.0f, 0.25f, -7.0f, 65535.0f, -128.0f, 0.0f, 1.0f, 1.0f,
                               -2.5f, std::ldexp(1.0f, -24)));
  std::vector<float> special;
  ASSERT_TRUE(AppendRawValues("FP16", Bytes<uint16_t>({0x7c00, 0x7e00}), 2, "x", &special).ok());
  EXPECT_TRUE(std::isinf(special[0]));
  EXPECT_TRUE(std::isnan(special[1]));
}

TEST(V2RawTest, SizesMustMatchAndBytesAreRefused) {
  std::vector<float> out;
  absl::Status short_data = AppendRawValues("FP32", Bytes<float>({1}), 2, "input 'x'", &out);
  EXPECT_THAT(short_data.message(), HasSubstr("input 'x' has 4 bytes of raw data, but 2 FP32"));
  EXPECT_FALSE(AppendRawValues("FP32", std::string(9, '\0'), 2, "x", &out).ok());
  EXPECT_FALSE(AppendRawValues("FP32", std::string(), UINT64_MAX, "x", &out).ok());
  EXPECT_THAT(AppendRawValues("BYTES", "ab", 2, "x", &out).message(), HasSubstr("BYTES"));
  EXPECT_THAT(RawElementSize("FP8").status().message(), HasSubstr("'FP8' is not a v2 datatype"));
  EXPECT_THAT(RawElementSize("BF16").status().message(),
              HasSubstr("BF16 is a v2 datatype this server does not support"));
  EXPECT_TRUE(out.empty());
}

TEST(V2RawTest, WritesLittleEndianFloats) {
  std::string out = "head";
  AppendRawFloats({1.0f, -0.5f}, &out);
  ASSERT_EQ(out.size(), 12u);
  float second;
  std::memcpy(&second, out.data() + 8, 4);
  EXPECT_EQ(second, -0.5f);
}

}  // namespace
}  // namespace predictwire::codec
