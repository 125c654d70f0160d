#include "loadgen/driver/bench_output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace predictwire::loadgen {
namespace {

BenchResult ResultFor(std::string model, std::string target) {
  BenchResult result;
  result.options.model = std::move(model);
  result.options.target_url = std::move(target);
  result.errors_by_kind["http_\"5\"03"] = 2;  // a kind is text from elsewhere, like any other
  result.requests = 3;
  for (uint64_t latency : {1000, 2000, 3000}) result.latency.Record(latency);
  return result;
}

TEST(BenchOutputTest, JsonEscapesEveryText) {
  const std::string json = ToJson(ResultFor("a\"b\\c", "http://127.0.0.1:1/p?\"x\""));
  boost::system::error_code error;
  const boost::json::value value = boost::json::parse(json, error);
  ASSERT_FALSE(error) << json;
  EXPECT_EQ(value.at("model").as_string(), "a\"b\\c");
  EXPECT_EQ(value.at("target").as_string(), "http://127.0.0.1:1/p?\"x\"");
  EXPECT_EQ(value.at("errors_by_kind").at("http_\"5\"03").as_int64(), 2);
  EXPECT_EQ(value.at("wire").as_string(), "rest-keepalive");
}

TEST(BenchOutputTest, CsvQuotesFieldsThatHoldSeparators) {
  const std::string row = ToCsvRow(ResultFor("m", "http://h:1/a,b"));
  EXPECT_THAT(row, ::testing::StartsWith("rest-keepalive,\"http://h:1/a,b\",closed,"));
  // As many fields as the header names.
  const auto fields = [](const std::string& line) {
    size_t count = 1;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted) ++count;
    }
    return count;
  };
  EXPECT_EQ(fields(row), fields(CsvHeader()));
}

}  // namespace
}  // namespace predictwire::loadgen
