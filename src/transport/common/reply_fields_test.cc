#include "transport/common/reply_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace predictwire::transport {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

struct Fields {
  std::vector<std::pair<std::string, std::string>> lower;  // (name, value)
  std::vector<std::string> http1_prefixes;
};

// The fields `reply` makes, copied.
Fields Collect(const RestReply& reply, HttpVersion version) {
  ReplyFieldText text;
  Fields fields;
  ForEachReplyField(reply, version, &text, [&](const ReplyField& field) {
    fields.lower.emplace_back(field.name, field.value);
    fields.http1_prefixes.emplace_back(field.http1_prefix);
  });
  return fields;
}

// A reply with every member set.
RestReply FullReply() {
  RestReply reply;
  reply.status = 426;
  reply.body = "0123456789";
  reply.timing = ServerTiming{.queue_us = 1234, .compute_us = 50001};
  reply.allow = "GET, HEAD";
  reply.upgrade = "websocket";
  reply.inference_header_length = 7;
  reply.headers = {{"vary", "origin"}, {"cache-control", "no-cache"}};
  return reply;
}

TEST(ServerTimingTest, MillisecondsWithThreeDecimals) {
  char buffer[kServerTimingMaxBytes];
  EXPECT_EQ(WriteServerTiming({.queue_us = 12, .compute_us = 50034}, buffer),
            "queue;dur=0.012, compute;dur=50.034");
  EXPECT_EQ(WriteServerTiming({.queue_us = 0, .compute_us = 1000}, buffer),
            "queue;dur=0.000, compute;dur=1.000");
}

TEST(ServerTimingTest, TheLongestValueFillsTheBufferExactly) {
  char buffer[kServerTimingMaxBytes];
  const std::string_view written =
      WriteServerTiming({.queue_us = UINT32_MAX, .compute_us = UINT32_MAX}, buffer);
  EXPECT_EQ(written, "queue;dur=4294967.295, compute;dur=4294967.295");
  EXPECT_EQ(written.size(), kServerTimingMaxBytes);
  EXPECT_EQ(written.data(), buffer);
}

TEST(ReplyFieldsTest, EveryFieldInOrderWithItsHttp1Prefix) {
  const Fields fields = Collect(FullReply(), HttpVersion::kHttp1);
  EXPECT_THAT(fields.lower,
              ElementsAre(Pair("content-type", "application/json"), Pair("content-length", "10"),
                          Pair("server-timing", "queue;dur=1.234, compute;dur=50.001"),
                          Pair("allow", "GET, HEAD"), Pair("upgrade", "websocket"),
                          Pair("inference-header-content-length", "7"), Pair("vary", "origin"),
                          Pair("cache-control", "no-cache")));
  // HTTP/1.1 writes the reply's own fields in Title-Case, further headers as they are named.
  EXPECT_THAT(
      fields.http1_prefixes,
      ElementsAre("\r\nContent-Type: ", "\r\nContent-Length: ", "\r\nServer-Timing: ",
                  "\r\nAllow: ", "\r\nUpgrade: ", "\r\nInference-Header-Content-Length: ", "", ""));
}

TEST(ReplyFieldsTest, Http2LeavesOutUpgradeOnly) {
  Fields http1 = Collect(FullReply(), HttpVersion::kHttp1);
  const Fields http2 = Collect(FullReply(), HttpVersion::kHttp2);
  std::erase_if(http1.lower, [](const auto& field) { return field.first == "upgrade"; });
  EXPECT_EQ(http2.lower, http1.lower);
}

TEST(ReplyFieldsTest, A204HasNoContentFields) {
  RestReply reply;
  reply.status = 204;
  reply.allow = "POST";
  EXPECT_THAT(Collect(reply, HttpVersion::kHttp2).lower, ElementsAre(Pair("allow", "POST")));
}

TEST(ReplyFieldsTest, A304HasNoContentFieldsButItsOwn) {
  RestReply reply;
  reply.status = 304;
  reply.body = "not sent";
  reply.headers = {{"etag", "\"1\""}};
  EXPECT_THAT(Collect(reply, HttpVersion::kHttp1).lower, ElementsAre(Pair("etag", "\"1\"")));
}

TEST(ReplyFieldsTest, APlainReplyHasItsContentFieldsOnly) {
  RestReply reply;
  reply.content_type = "text/plain";
  EXPECT_THAT(Collect(reply, HttpVersion::kHttp1).lower,
              ElementsAre(Pair("content-type", "text/plain"), Pair("content-length", "0")));
}

TEST(ReplyFieldsTest, FormattedValuesLiveInTheCallersText) {
  const RestReply reply = FullReply();
  ReplyFieldText text;
  std::vector<const char*> values;
  ForEachReplyField(reply, HttpVersion::kHttp2, &text,
                    [&](const ReplyField& field) { values.push_back(field.value.data()); });
  ASSERT_EQ(values.size(), 7u);
  EXPECT_EQ(values[0], reply.content_type.data());
  EXPECT_EQ(values[1], text.content_length);
  EXPECT_EQ(values[2], text.server_timing);
  EXPECT_EQ(values[3], reply.allow.data());
  EXPECT_EQ(values[4], text.inference_header_length);
  EXPECT_EQ(values[5], reply.headers[0].value.data());
}

TEST(ReplyFieldsTest, AtMostMaxHeadersFurtherHeaders) {
  RestReply reply;
  reply.status = 204;
  for (size_t i = 0; i <= RestReply::kMaxHeaders; ++i) {
    reply.headers.push_back({"x-field", std::to_string(i)});
  }
  EXPECT_EQ(Collect(reply, HttpVersion::kHttp1).lower.size(), RestReply::kMaxHeaders);
}

}  // namespace
}  // namespace predictwire::transport
