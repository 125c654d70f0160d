#include "transport/http1/http1_protocol.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/test_backend.h"
#include "transport/common/fake_connection.h"
#include "transport/websocket/frame.h"
#include "transport/websocket/websocket_protocol.h"

namespace predictwire::transport::http1 {
namespace {

using predictwire::testing::FunctionBackend;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using transport::testing::FakeConnection;

// Every model runs on a worker, and its completion waits in the fake connection until the test
// runs it: the test decides when each request is answered.
class Http1ProtocolTest : public ::testing::Test {
 protected:
  explicit Http1ProtocolTest(std::vector<std::string> cors_origins = {}) {
    std::vector<ModelRegistry::Entry> entries;
    entries.push_back({"sum", FunctionBackend::RowSum()});
    registry_ = *ModelRegistry::Create(std::move(entries), "");
    scheduler_ = *Scheduler::Create(*registry_, {.mode = ExecutionMode::kWorker});
    router_ =
        std::make_unique<RestRouter>(RestRouter::Options{.cors = *CorsPolicy::Create(cors_origins)},
                                     *registry_, *scheduler_, ready_);
    make_websocket_ = [this](ProtocolConnection& connection) {
      return std::make_unique<websocket::WebSocketProtocol>(
          connection, *registry_, *scheduler_, websocket::WebSocketProtocol::Options{});
    };
    connection_->Start(
        std::make_unique<Http1Protocol>(*connection_, *router_, make_websocket_, options_));
  }
  ~Http1ProtocolTest() override { scheduler_->Shutdown(); }

  static std::string Post(std::string_view body) {
    return fmt::format("POST /predict HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n{}",
                       body.size(), body);
  }

  // Runs the next completion a worker posts back to the IO thread.
  void CompleteNext() {
    connection_->WaitForPosted(1);
    ASSERT_EQ(connection_->RunPosted(1), 1u);
  }

  static size_t Count(std::string_view text, std::string_view part) {
    size_t count = 0;
    for (size_t at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1)) {
      ++count;
    }
    return count;
  }

  Protocol& protocol() { return connection_->protocol(); }

  // One request is on a worker; the input after it waits unread, with reading paused.
  void ExpectOneInFlightBefore(std::string_view unread) {
    EXPECT_TRUE(connection_->input_paused());
    EXPECT_TRUE(protocol().HasWorkInFlight());
    EXPECT_THAT(connection_->unconsumed_input(), StartsWith(unread));
  }

  std::atomic<bool> ready_{true};
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<RestRouter> router_;
  Http1Protocol::WebSocketFactory make_websocket_;
  Http1Protocol::Options options_;
  std::shared_ptr<FakeConnection> connection_ = std::make_shared<FakeConnection>();
};

TEST_F(Http1ProtocolTest, PipelinedRequestsAreAnsweredInOrderOneAtATime) {
  connection_->Receive(Post(R"({"features": [1, 2]})") + Post(R"({"features": [3, 4]})") +
                       "GET /v2/health/live HTTP/1.1\r\nHost: test\r\n\r\n");
  EXPECT_THAT(connection_->written(), IsEmpty());
  ExpectOneInFlightBefore("POST /predict");

  CompleteNext();
  const std::string first = connection_->TakeOutput();
  EXPECT_EQ(Count(first, "HTTP/1.1 200 OK"), 1u) << first;
  EXPECT_THAT(first, HasSubstr(R"("predictions":[3])"));
  // Answering the first let the second in, which is now on a worker in turn.
  ExpectOneInFlightBefore("GET /v2/health/live");

  CompleteNext();
  // The second answer, then the third, which needs no model and is answered at once.
  const std::string rest = connection_->TakeOutput();
  EXPECT_EQ(Count(rest, "HTTP/1.1 200 OK"), 2u) << rest;
  EXPECT_THAT(rest, StartsWith("HTTP/1.1 200 OK"));
  EXPECT_LT(rest.find(R"("predictions":[7])"), rest.rfind("HTTP/1.1 200 OK"));
  EXPECT_FALSE(connection_->input_paused());
  EXPECT_FALSE(protocol().HasWorkInFlight());
  EXPECT_THAT(connection_->unconsumed_input(), IsEmpty());
  EXPECT_FALSE(connection_->closing());
}

TEST_F(Http1ProtocolTest, AHalfReadHeadIsAwaitedAndTimesOutWith408) {
  EXPECT_FALSE(protocol().AwaitingRequestHead());  // nothing asked yet: the idle timeout's
  connection_->Receive("GET /v2/health/live HTTP/1.1\r\nHost: te");
  EXPECT_TRUE(protocol().AwaitingRequestHead());
  protocol().OnHeaderTimeout();
  EXPECT_THAT(connection_->TakeOutput(), StartsWith("HTTP/1.1 408 Request Timeout"));
  EXPECT_TRUE(connection_->close_after_write());
}

TEST_F(Http1ProtocolTest, AWholeHeadIsNoLongerAwaitedWhileItsBodyComes) {
  connection_->Receive("POST /predict HTTP/1.1\r\nHost: test\r\nContent-Length: 50\r\n\r\n{");
  EXPECT_FALSE(protocol().AwaitingRequestHead());
}

TEST_F(Http1ProtocolTest, ALargeBodyPastTheMemoryBudgetIs503AndReleased) {
  MemoryBudget budget(100 * 1024);
  auto connection = std::make_shared<FakeConnection>();
  connection->Start(std::make_unique<Http1Protocol>(*connection, *router_, make_websocket_,
                                                    Http1Protocol::Options{.memory = &budget}));
  connection->Receive("POST /predict HTTP/1.1\r\nHost: test\r\nContent-Length: 200000\r\n\r\n");
  EXPECT_THAT(connection->TakeOutput(), StartsWith("HTTP/1.1 503 Service Unavailable"));
  EXPECT_TRUE(connection->close_after_write());
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(budget.refusals(), 1u);

  // One that fits is charged while it is read and answered, then released.
  auto fits = std::make_shared<FakeConnection>();
  fits->Start(std::make_unique<Http1Protocol>(*fits, *router_, make_websocket_,
                                              Http1Protocol::Options{.memory = &budget}));
  fits->Receive("POST /predict HTTP/1.1\r\nHost: test\r\nContent-Length: 90000\r\n\r\n{");
  EXPECT_EQ(budget.used(), 90000u);
  fits->Receive(std::string(89999, ' '));
  EXPECT_THAT(fits->TakeOutput(), StartsWith("HTTP/1.1 400"));  // not JSON: answered at once
  EXPECT_EQ(budget.used(), 0u);
}

TEST_F(Http1ProtocolTest, OversizedBodiesAndHeadsGetTheRoutersRefusals) {
  auto body = std::make_shared<FakeConnection>();
  body->Start(std::make_unique<Http1Protocol>(*body, *router_, make_websocket_,
                                              Http1Protocol::Options{.max_body_bytes = 1000}));
  body->Receive("POST /predict HTTP/1.1\r\nHost: test\r\nContent-Length: 1001\r\n\r\n");
  const std::string refused_body = body->TakeOutput();
  EXPECT_THAT(refused_body, StartsWith("HTTP/1.1 413 Content Too Large"));
  EXPECT_THAT(refused_body, EndsWith("\r\n\r\n" + RestRouter::BodyTooLargeReply(1000).body));

  connection_->Receive("GET / HTTP/1.1\r\nX-Big: " + std::string(kMaxHeaderBytes, 'a'));
  const std::string refused_head = connection_->TakeOutput();
  EXPECT_THAT(refused_head, StartsWith("HTTP/1.1 431 Request Header Fields Too Large"));
  EXPECT_THAT(refused_head, EndsWith("\r\n\r\n" + RestRouter::HeaderTooLargeReply().body));
  EXPECT_TRUE(connection_->close_after_write());
}

TEST_F(Http1ProtocolTest, ContinueIsSentOnceWhenTheHeaderIsComplete) {
  const std::string body = R"({"features": [5]})";
  const std::string header = fmt::format(
      "POST /predict HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
      body.size());
  connection_->Receive(header.substr(0, 30));
  EXPECT_THAT(connection_->written(), IsEmpty());
  connection_->Receive(header.substr(30));
  EXPECT_EQ(connection_->TakeOutput(), "HTTP/1.1 100 Continue\r\n\r\n");
  connection_->Receive(body.substr(0, 5));
  EXPECT_THAT(connection_->written(), IsEmpty());
  connection_->Receive(body.substr(5));
  CompleteNext();
  const std::string answer = connection_->TakeOutput();
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200 OK"));
  EXPECT_THAT(answer, HasSubstr(R"("predictions":[5])"));
  EXPECT_EQ(Count(answer, "100 Continue"), 0u);
}

TEST_F(Http1ProtocolTest, DrainClosesAnIdleKeepAliveConnectionAtOnce) {
  connection_->Receive("GET /v2/health/live HTTP/1.1\r\nHost: test\r\n\r\n");
  EXPECT_THAT(connection_->TakeOutput(), StartsWith("HTTP/1.1 200 OK"));
  EXPECT_FALSE(connection_->closing());
  connection_->Drain();
  EXPECT_TRUE(connection_->closed());
}

TEST_F(Http1ProtocolTest, PastItsAgeAnIdleConnectionWaitsForItsNextRequestToSayClose) {
  connection_->Receive("GET /v2/health/live HTTP/1.1\r\nHost: test\r\n\r\n");
  EXPECT_THAT(connection_->TakeOutput(), Not(HasSubstr("Connection: close")));
  connection_->Drain(GoAwayReason::kMaxAge);
  EXPECT_FALSE(connection_->closing());  // a request may be on its way
  connection_->Receive("GET /v2/health/live HTTP/1.1\r\nHost: test\r\n\r\n");
  const std::string answer = connection_->TakeOutput();
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200 OK"));
  EXPECT_THAT(answer, HasSubstr("Connection: close"));
  EXPECT_TRUE(connection_->close_after_write());
}

TEST_F(Http1ProtocolTest, PastItsAgeAConnectionNobodyUsesClosesWhenTheGraceIsOver) {
  connection_->Drain(GoAwayReason::kMaxAge);
  EXPECT_FALSE(connection_->closing());
  connection_->EndGrace();
  EXPECT_TRUE(connection_->closed());
}

TEST_F(Http1ProtocolTest, ARequestHalfReadWhenAskedToGoIsAnsweredWithConnectionClose) {
  const std::string request = Post(R"({"features": [1]})");
  connection_->Receive(request.substr(0, 20));  // its first bytes came before the go-away
  connection_->Drain();
  EXPECT_FALSE(connection_->closing());
  connection_->Receive(request.substr(20));
  CompleteNext();  // it runs: nothing a client sent is lost
  const std::string answer = connection_->TakeOutput();
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200 OK"));
  EXPECT_THAT(answer, HasSubstr(R"("predictions":[1])"));
  EXPECT_THAT(answer, HasSubstr("Connection: close"));
  EXPECT_TRUE(connection_->close_after_write());
}

TEST_F(Http1ProtocolTest, NoWebSocketIsOpenedOnAConnectionAskedToGo) {
  const std::string upgrade =
      "GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  connection_->Receive(upgrade.substr(0, 10));
  connection_->Drain();
  connection_->Receive(upgrade.substr(10));
  const std::string answer = connection_->TakeOutput();
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 503 Service Unavailable"));
  EXPECT_THAT(answer, HasSubstr("retry-after: 1"));
  EXPECT_THAT(answer, HasSubstr("Connection: close"));
  EXPECT_TRUE(connection_->close_after_write());
}

TEST_F(Http1ProtocolTest, DrainAnswersTheRequestInFlightThenCloses) {
  connection_->Receive(Post(R"({"features": [2]})"));
  connection_->Drain();
  EXPECT_FALSE(connection_->closing());
  CompleteNext();
  const std::string answer = connection_->TakeOutput();
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200 OK"));
  EXPECT_THAT(answer, HasSubstr("Connection: close"));
  EXPECT_THAT(answer, HasSubstr(R"("predictions":[2])"));
  EXPECT_TRUE(connection_->close_after_write());
}

TEST_F(Http1ProtocolTest, ConnectionCloseIsHonoured) {
  connection_->Receive(
      "GET /v2/health/live HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
      "GET /v2/health/live HTTP/1.1\r\nHost: test\r\n\r\n");
  const std::string answer = connection_->TakeOutput();
  EXPECT_EQ(Count(answer, "HTTP/1.1 200 OK"), 1u);
  EXPECT_THAT(answer, HasSubstr("Connection: close"));
  EXPECT_TRUE(connection_->close_after_write());
}

TEST_F(Http1ProtocolTest, UpgradeHandsTheFollowingBytesToWebSocket) {
  std::string input =
      "GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  websocket::AppendClientFrame(websocket::Opcode::kText, R"({"id": 1, "features": [4]})",
                               {1, 2, 3, 4}, true, &input);
  connection_->Receive(input);
  EXPECT_THAT(connection_->TakeOutput(), StartsWith("HTTP/1.1 101 Switching Protocols"));
  CompleteNext();
  EXPECT_THAT(connection_->TakeOutput(), HasSubstr(R"({"id":1,"model":"sum","predictions":[4])"));
}

// A browser's WebSocket handshake from a page of `origin` to Host `host`.
std::string Handshake(std::string_view origin, std::string_view host = "127.0.0.1:8000") {
  return fmt::format(
      "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Origin: {}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n",
      host, origin);
}

TEST_F(Http1ProtocolTest, WebSocketFromAnotherSitesPageIs403) {
  connection_->Receive(Handshake("http://evil.example"));
  const std::string answer = connection_->TakeOutput();
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 403 Forbidden\r\n"));
  EXPECT_THAT(answer, HasSubstr("http://evil.example may not open a WebSocket"));
  EXPECT_TRUE(connection_->close_after_write());
}

TEST_F(Http1ProtocolTest, WebSocketFromTheServersOwnPageIsServed) {
  connection_->Receive(Handshake("http://127.0.0.1:8000"));
  EXPECT_THAT(connection_->TakeOutput(), StartsWith("HTTP/1.1 101 Switching Protocols"));
}

class Http1CorsTest : public Http1ProtocolTest {
 protected:
  Http1CorsTest() : Http1ProtocolTest({"http://localhost:3000"}) {}
};

TEST_F(Http1CorsTest, WebSocketFromAnAllowedOriginIsServedAndOthersAreNot) {
  connection_->Receive(Handshake("http://localhost:3000"));
  EXPECT_THAT(connection_->TakeOutput(), StartsWith("HTTP/1.1 101 Switching Protocols"));
  auto other = std::make_shared<FakeConnection>();
  other->Start(std::make_unique<Http1Protocol>(*other, *router_, make_websocket_, options_));
  other->Receive(Handshake("http://localhost:3001"));
  EXPECT_THAT(other->TakeOutput(), StartsWith("HTTP/1.1 403 Forbidden"));
}

TEST_F(Http1CorsTest, PreflightAndAnswerCarryTheCorsHeaders) {
  connection_->Receive(
      "OPTIONS /predict HTTP/1.1\r\nHost: test\r\nOrigin: http://localhost:3000\r\n"
      "Access-Control-Request-Method: POST\r\n"
      "Access-Control-Request-Headers: content-type\r\n\r\n");
  const std::string preflight = connection_->TakeOutput();
  EXPECT_THAT(preflight, StartsWith("HTTP/1.1 204 No Content\r\n"));
  EXPECT_THAT(preflight, HasSubstr("\r\naccess-control-allow-origin: http://localhost:3000\r\n"));
  EXPECT_THAT(preflight, HasSubstr("\r\naccess-control-allow-methods: POST\r\n"));
  EXPECT_THAT(preflight, HasSubstr("\r\naccess-control-max-age: 600\r\n"));
  const std::string body = R"({"features": [1, 2]})";
  connection_->Receive(
      fmt::format("POST /predict HTTP/1.1\r\nHost: test\r\nOrigin: http://localhost:3000\r\n"
                  "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                  body.size(), body));
  CompleteNext();
  const std::string answer = connection_->TakeOutput();
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(answer, HasSubstr("\r\ntiming-allow-origin: http://localhost:3000\r\n"));
  EXPECT_THAT(answer, HasSubstr("\r\naccess-control-expose-headers: server-timing"));
  EXPECT_THAT(answer, HasSubstr("\r\nServer-Timing: "));
}

// Framing a proxy could read differently is answered and the connection closed, whatever
// follows it; the refusal is counted.
TEST_F(Http1ProtocolTest, SmugglingShapedFramingIsRefusedCountedAndClosed) {
  Metrics metrics({"sum"});
  const Http1Protocol::Options options{.metrics = &metrics};
  for (const auto& [framing, status] :
       {std::pair<std::string, std::string>{"Transfer-Encoding: identity\r\nContent-Length: 2",
                                            "HTTP/1.1 400 Bad Request\r\n"},
        {"Transfer-Encoding: gzip", "HTTP/1.1 400 Bad Request\r\n"},
        {"Transfer-Encoding: gzip, chunked", "HTTP/1.1 501 Not Implemented\r\n"}}) {
    auto connection = std::make_shared<FakeConnection>();
    connection->Start(
        std::make_unique<Http1Protocol>(*connection, *router_, make_websocket_, options));
    connection->Receive("POST /predict HTTP/1.1\r\nHost: test\r\n" + framing + "\r\n\r\n{}" +
                        "GET /v2/health/live HTTP/1.1\r\nHost: test\r\n\r\n");
    const std::string answer = connection->TakeOutput();
    EXPECT_THAT(answer, StartsWith(status)) << framing;
    EXPECT_EQ(Count(answer, "HTTP/1.1 "), 1u) << answer;
    EXPECT_THAT(answer, HasSubstr("Connection: close"));
    EXPECT_TRUE(connection->close_after_write());
  }
  EXPECT_THAT(
      metrics.Render(),
      HasSubstr("predictwire_protocol_errors_total{protocol=\"http1\",reason=\"malformed\"} 3\n"));
}

}  // namespace
}  // namespace predictwire::transport::http1
