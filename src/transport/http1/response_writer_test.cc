#include "transport/http1/response_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace predictwire::transport::http1 {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ResponseWriterTest, WritesHeadersTimingAndBody) {
  RestReply reply;
  reply.body = "{\"a\":1}";
  reply.timing = ServerTiming{12, 50034};
  std::string out;
  AppendResponse(reply, {}, &out);
  EXPECT_THAT(out, ::testing::StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\nContent-Type: application/json\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\nContent-Length: 7\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\nServer-Timing: queue;dur=0.012, compute;dur=50.034\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\nDate: "));
  EXPECT_THAT(out, Not(HasSubstr("Connection:")));
  EXPECT_THAT(out, ::testing::EndsWith("\r\n\r\n{\"a\":1}"));
}

TEST(ResponseWriterTest, CloseKeepAliveHeadAndAllow) {
  RestReply reply = RestRouter::ErrorReply(405, "no");
  reply.allow = "POST";
  std::string out;
  AppendResponse(reply, {.close = true, .head = true}, &out);
  EXPECT_THAT(out, ::testing::StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\nAllow: POST\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_THAT(out, ::testing::EndsWith("\r\n\r\n"));  // HEAD: no body, but its length
  EXPECT_THAT(out, HasSubstr("Content-Length: " + std::to_string(reply.body.size())));
  out.clear();
  AppendResponse(RestReply{}, {.keep_alive_http10 = true}, &out);
  EXPECT_THAT(out, HasSubstr("\r\nConnection: keep-alive\r\n"));
}

TEST(ResponseWriterTest, WritesFurtherHeadersAndNoContentFor204) {
  RestReply reply;
  reply.status = 204;
  reply.allow = "POST";
  reply.headers = {{"access-control-allow-origin", "http://page.example"}, {"vary", "origin"}};
  std::string out;
  AppendResponse(reply, {}, &out);
  EXPECT_THAT(out, ::testing::StartsWith("HTTP/1.1 204 No Content\r\n"));
  EXPECT_THAT(
      out, HasSubstr("\r\naccess-control-allow-origin: http://page.example\r\nvary: origin\r\n"));
  EXPECT_THAT(out, Not(HasSubstr("Content-Length")));
  EXPECT_THAT(out, Not(HasSubstr("Content-Type")));
  EXPECT_THAT(out, ::testing::EndsWith("\r\n\r\n"));
}

TEST(ResponseWriterTest, A304HasNoBody) {
  RestReply reply;
  reply.status = 304;
  reply.body = "not sent";
  reply.headers = {{"etag", "\"abc\""}};
  std::string out;
  AppendResponse(reply, {}, &out);
  EXPECT_THAT(out, ::testing::StartsWith("HTTP/1.1 304 Not Modified\r\n"));
  EXPECT_THAT(out, HasSubstr("\r\netag: \"abc\"\r\n"));
  EXPECT_THAT(out, Not(HasSubstr("Content-Length")));
  EXPECT_THAT(out, ::testing::EndsWith("\r\n\r\n"));
}

TEST(ResponseWriterTest, DateLooksLikeAnHttpDate) {
  const std::string date(HttpDate());
  EXPECT_EQ(date.size(), 29u);
  EXPECT_THAT(date, ::testing::EndsWith(" GMT"));
}

}  // namespace
}  // namespace predictwire::transport::http1
