// HTTP/1.1 and HTTP/2 frame the same RestReply with the same fields, in the same order: the
// one difference is Upgrade, a connection-level field HTTP/2 forbids.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "transport/common/cors.h"
#include "transport/common/rest_router.h"
#include "transport/http1/response_writer.h"
#include "transport/http2/server_session.h"
#include "transport/http2/test_client.h"

namespace predictwire::transport {
namespace {

using FieldList = std::vector<std::pair<std::string, std::string>>;

// Fields every response carries whichever reply it frames, and HTTP/1.1's connection management.
bool FramingField(std::string_view name) {
  return name == "date" || name == "server" || name == "connection" || name == ":status";
}

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

struct Framed {
  std::string status;
  FieldList fields;  // names in lower case, framing fields left out
  std::string body;
};

Framed OverHttp1(const RestReply& reply) {
  std::string out;
  http1::AppendResponse(reply, {}, &out);
  Framed framed;
  const size_t head_end = out.find("\r\n\r\n");
  framed.body = out.substr(head_end + 4);
  std::string_view head = std::string_view(out).substr(0, head_end + 2);
  const size_t status_line_end = head.find("\r\n");
  framed.status = std::string(head.substr(sizeof("HTTP/1.1 ") - 1, 3));
  head.remove_prefix(status_line_end + 2);
  while (!head.empty()) {
    const size_t line_end = head.find("\r\n");
    const std::string_view line = head.substr(0, line_end);
    const size_t colon = line.find(": ");
    std::string name = Lowercase(line.substr(0, colon));
    if (!FramingField(name)) framed.fields.emplace_back(std::move(name), line.substr(colon + 2));
    head.remove_prefix(line_end + 2);
  }
  return framed;
}

Framed OverHttp2(const RestReply& reply) {
  int32_t request_stream = 0;
  auto server = http2::ServerSession::Create(
      {}, [&](int32_t stream_id, RestRequest) { request_stream = stream_id; });
  EXPECT_TRUE(server.ok()) << server.status();
  http2::testing::TestClient client;
  auto exchange = [&] {
    client.Exchange([&](std::string_view to_server) {
      if (!to_server.empty()) (*server)->Receive(to_server.data(), to_server.size());
      std::string to_client;
      (*server)->Send(&to_client);
      return to_client;
    });
  };
  const int32_t stream = client.Request("POST", "/predict", "{}");
  exchange();
  EXPECT_EQ(request_stream, stream);
  (*server)->Reply(stream, reply);
  exchange();
  const http2::testing::TestClient::Response& response = client.responses[stream];
  EXPECT_TRUE(response.closed);
  Framed framed;
  framed.body = response.body;
  for (const auto& [name, value] : response.ordered_fields) {
    if (name == ":status") framed.status = value;
    if (!FramingField(name)) framed.fields.emplace_back(name, value);
  }
  return framed;
}

// One of each kind of reply the server gives.
std::vector<RestReply> Replies() {
  std::vector<RestReply> replies;
  RestReply prediction;
  prediction.body = R"({"prediction":[0.5]})";
  prediction.timing = ServerTiming{.queue_us = 12, .compute_us = 50034};
  replies.push_back(prediction);

  RestReply binary = prediction;
  binary.content_type = "application/octet-stream";
  binary.inference_header_length = 8;
  replies.push_back(binary);

  RestReply wrong_method = RestRouter::ErrorReply(405, "use POST");
  wrong_method.allow = "POST";
  replies.push_back(wrong_method);

  RestReply preflight;
  preflight.status = 204;
  preflight.content_type = "text/plain";
  preflight.allow = "POST";
  CorsPolicy::AppendPreflightHeaders("http://page.example", preflight.allow, &preflight.headers);
  replies.push_back(preflight);

  RestReply page;
  page.content_type = "text/html; charset=utf-8";
  page.body = "<!doctype html>";
  page.headers = {{"cross-origin-opener-policy", "same-origin"}, {"cache-control", "no-cache"}};
  CorsPolicy::AppendAnswerHeaders("http://page.example", &page.headers);
  replies.push_back(page);

  replies.push_back(RestRouter::BodyTooLargeReply(1000));
  replies.push_back(RestRouter::HeaderTooLargeReply());
  return replies;
}

TEST(ReplyParityTest, BothVersionsCarryTheSameFieldsInTheSameOrder) {
  for (const RestReply& reply : Replies()) {
    SCOPED_TRACE(reply.status);
    const Framed http1 = OverHttp1(reply);
    const Framed http2 = OverHttp2(reply);
    EXPECT_EQ(http1.status, std::to_string(reply.status));
    EXPECT_EQ(http2.status, http1.status);
    EXPECT_FALSE(http1.fields.empty());
    EXPECT_EQ(http2.fields, http1.fields);
    EXPECT_EQ(http2.body, http1.body);
  }
}

TEST(ReplyParityTest, UpgradeIsSentOverHttp1Only) {
  RestReply reply = RestRouter::ErrorReply(426, "upgrade to WebSocket");
  reply.upgrade = "websocket";
  FieldList http1 = OverHttp1(reply).fields;
  const FieldList http2 = OverHttp2(reply).fields;
  EXPECT_THAT(http1,
              ::testing::Contains(std::pair<std::string, std::string>("upgrade", "websocket")));
  std::erase_if(http1, [](const auto& field) { return field.first == "upgrade"; });
  EXPECT_EQ(http2, http1);
}

}  // namespace
}  // namespace predictwire::transport
