#include "loadgen/client/http1_connection.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "loadgen/client/connection_harness.h"

namespace predictwire::loadgen {
namespace {

using testing::ConnectionHarness;
using ::testing::ElementsAre;
using testing::FakePipe;
using ::testing::IsEmpty;

constexpr std::string_view kBody = R"({"features":[1,2]})";

RequestBody Body() {
  return RequestBody("/predict", std::string(kBody), "", RequestBody::IdSlot::kNone);
}

std::string Request(bool close) {
  return fmt::format(
      "POST /predict HTTP/1.1\r\nHost: model.test:8080\r\nContent-Type: application/json\r\n"
      "{}Content-Length: {}\r\n\r\n{}",
      close ? "Connection: close\r\n" : "", kBody.size(), kBody);
}

// An answer as the server writes it, with 12 µs queued and 34 µs computing.
std::string Response(int status = 200, std::string_view headers = "",
                     std::string_view body = R"({"predictions":[1]})") {
  return fmt::format(
      "HTTP/1.1 {} Whatever\r\nContent-Type: application/json\r\n"
      "Server-Timing: queue;dur=0.012, compute;dur=0.034\r\n{}Content-Length: {}\r\n\r\n{}",
      status, headers, body.size(), body);
}

// A kept-alive connection, open and ready, its log emptied.
void OpenKeptAlive(ConnectionHarness& harness) {
  harness.connection().Connect();
  harness.pipe().FinishOpen();
  ASSERT_THAT(harness.listener.TakeLog(), ElementsAre("connected", "ready"));
}

TEST(Http1ConnectionTest, AKeptAliveConnectionOpensOnceAndIsReadyWhenOpen) {
  ConnectionHarness harness("rest-keepalive", Body());
  EXPECT_FALSE(harness.connection().CanSend());
  harness.connection().Connect();
  EXPECT_EQ(harness.pipe().opens(), 1);
  EXPECT_FALSE(harness.connection().CanSend());  // still connecting
  EXPECT_THAT(harness.listener.log, IsEmpty());

  harness.pipe().FinishOpen();
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("connected", "ready"));
  EXPECT_THAT(harness.listener.connect_times, ElementsAre(FakePipe::kOpenTime));
  EXPECT_TRUE(harness.connection().CanSend());
  harness.connection().Connect();  // already open: nothing to do
  EXPECT_EQ(harness.pipe().opens(), 1);
  EXPECT_EQ(harness.pipes_made(), 1);
  EXPECT_THAT(harness.pipe().written(), IsEmpty());
}

TEST(Http1ConnectionTest, ARequestIsAPostOfTheBodyInOneFlush) {
  ConnectionHarness harness("rest-keepalive", Body());
  OpenKeptAlive(harness);
  harness.connection().Send(1);
  EXPECT_EQ(harness.pipe().TakeWritten(), Request(/*close=*/false));
  EXPECT_EQ(harness.pipe().flushes(), 1);
  EXPECT_FALSE(harness.connection().CanSend());  // one at a time

  harness.pipe().Receive(Response());
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("reply 1 ok timing 12/34", "ready"));
  harness.connection().Send(2);
  EXPECT_EQ(harness.pipe().TakeWritten(), Request(/*close=*/false));
}

TEST(Http1ConnectionTest, AReplySplitAnywhereCompletesOnceWithItsTiming) {
  const std::string response = Response();
  for (size_t split = 0; split <= response.size(); ++split) {
    SCOPED_TRACE(split);
    ConnectionHarness harness("rest-keepalive", Body());
    OpenKeptAlive(harness);
    harness.connection().Send(7);
    harness.pipe().Receive(response.substr(0, split));
    if (split < response.size()) {
      EXPECT_THAT(harness.listener.log, IsEmpty());
    }
    harness.pipe().Receive(response.substr(split));
    EXPECT_THAT(harness.listener.log, ElementsAre("reply 7 ok timing 12/34", "ready"));
    EXPECT_THAT(harness.pipe().unconsumed(), IsEmpty());
  }
}

TEST(Http1ConnectionTest, AReplyAByteAtATimeCompletesOnce) {
  ConnectionHarness harness("rest-keepalive", Body());
  OpenKeptAlive(harness);
  harness.connection().Send(7);
  harness.pipe().ReceiveInChunks(Response(), 1);
  EXPECT_THAT(harness.listener.log, ElementsAre("reply 7 ok timing 12/34", "ready"));
}

TEST(Http1ConnectionTest, AChunkedReplyAByteAtATimeCompletesOnce) {
  ConnectionHarness harness("rest-keepalive", Body());
  OpenKeptAlive(harness);
  harness.connection().Send(7);
  harness.pipe().ReceiveInChunks(
      "HTTP/1.1 200 OK\r\nServer-Timing: compute;dur=1.5\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\n{\"pre\r\ne\r\ndictions\":[1]}\r\n0\r\n\r\n",
      1);
  EXPECT_THAT(harness.listener.log, ElementsAre("reply 7 ok timing 0/1500", "ready"));
}

TEST(Http1ConnectionTest, TheNextRequestMayGoFromInsideTheReportOfTheLast) {
  ConnectionHarness harness("rest-keepalive", Body());
  OpenKeptAlive(harness);
  uint64_t next_tag = 2;
  harness.listener.on_ready = [&](WireConnection& connection) {
    if (next_tag <= 3) connection.Send(next_tag++);
  };
  harness.connection().Send(1);
  // Both answers in one read: the second is for the request sent while the first was reported.
  harness.pipe().Receive(Response() + Response(200, "", "{}"));
  EXPECT_THAT(harness.listener.TakeLog(),
              ElementsAre("reply 1 ok timing 12/34", "ready", "reply 2 ok timing 12/34", "ready"));
  EXPECT_EQ(harness.pipe().TakeWritten(), Request(false) + Request(false) + Request(false));
  harness.pipe().Receive(Response());
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("reply 3 ok timing 12/34", "ready"));
}

TEST(Http1ConnectionTest, AnErrorStatusIsAFailedReplyAndTheConnectionCarriesOn) {
  ConnectionHarness harness("rest-keepalive", Body());
  OpenKeptAlive(harness);
  harness.connection().Send(4);
  harness.pipe().Receive(Response(503, "Retry-After: 1\r\n", R"({"error":"busy"})"));
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("reply 4 http_503 timing 12/34", "ready"));
  ASSERT_EQ(harness.listener.replies.size(), 1u);
  EXPECT_FALSE(harness.listener.replies[0].info.ok);
  EXPECT_TRUE(harness.connection().CanSend());
  EXPECT_EQ(harness.pipe().closes(), 0);
}

TEST(Http1ConnectionTest, AReplyThatClosesTheConnectionEndsItInOrder) {
  ConnectionHarness harness("rest-keepalive", Body());
  OpenKeptAlive(harness);
  harness.connection().Send(4);
  harness.pipe().Receive(Response(503, "Connection: close\r\n"));
  // The answer, then the end: nothing lost, an orderly end the driver reconnects after.
  EXPECT_THAT(harness.listener.TakeLog(),
              ElementsAre("reply 4 http_503 timing 12/34", "failed closed lost []"));
  EXPECT_TRUE(IsOrderlyEnd("closed", false));
  EXPECT_EQ(harness.pipe().closes(), 1);
  EXPECT_EQ(harness.pipe().opens(), 1);
  EXPECT_FALSE(harness.connection().CanSend());
  harness.connection().Connect();
  harness.pipe().FinishOpen();
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("connected", "ready"));
}

TEST(Http1ConnectionTest, AnAbandonedRequestsConnectionIsReplacedAndItsReplyNeverTaken) {
  ConnectionHarness harness("rest-keepalive", Body());
  OpenKeptAlive(harness);
  harness.connection().Send(1);
  harness.connection().Abandon(1);
  EXPECT_EQ(harness.pipe().closes(), 1);
  EXPECT_EQ(harness.pipe().opens(), 2);
  harness.pipe().Receive(Response());  // the old connection's reply: gone with it
  harness.pipe().FinishOpen();
  harness.connection().Send(2);
  harness.pipe().Receive(Response());
  EXPECT_THAT(harness.listener.TakeLog(),
              ElementsAre("connected", "ready", "reply 2 ok timing 12/34", "ready"));
  harness.connection().Abandon(2);  // answered already: nothing to give up
  EXPECT_EQ(harness.pipe().closes(), 1);
}

TEST(Http1ConnectionTest, TheServerClosingOrResettingLosesTheRequestInFlight) {
  ConnectionHarness harness("rest-keepalive", Body());
  OpenKeptAlive(harness);
  harness.connection().Send(5);
  harness.pipe().ReceiveInChunks(Response().substr(0, 30), 7);  // half an answer
  harness.pipe().Fail("closed");
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("failed closed lost [5]"));
  EXPECT_FALSE(harness.connection().CanSend());
  EXPECT_EQ(harness.pipe().opens(), 1);  // the driver reconnects when it chooses

  harness.connection().Connect();
  harness.pipe().FinishOpen();
  harness.pipe().Fail("reset");
  EXPECT_THAT(harness.listener.TakeLog(),
              ElementsAre("connected", "ready", "failed reset lost []"));
  // The new connection parses from a clean start.
  harness.connection().Connect();
  harness.pipe().FinishOpen();
  harness.connection().Send(6);
  harness.pipe().Receive(Response());
  EXPECT_THAT(harness.listener.TakeLog(),
              ElementsAre("connected", "ready", "reply 6 ok timing 12/34", "ready"));
}

TEST(Http1ConnectionTest, AReplyNobodyAskedForOrOneThatIsNotHttpIsABadReply) {
  ConnectionHarness unasked("rest-keepalive", Body());
  OpenKeptAlive(unasked);
  unasked.pipe().Receive(Response());
  EXPECT_THAT(unasked.listener.TakeLog(), ElementsAre("failed bad_reply lost []"));
  EXPECT_TRUE(unasked.pipe().closed());

  ConnectionHarness garbled("rest-keepalive", Body());
  OpenKeptAlive(garbled);
  garbled.connection().Send(3);
  garbled.pipe().Receive("HTTQ/1.1 200 OK\r\n\r\n");
  EXPECT_THAT(garbled.listener.TakeLog(), ElementsAre("failed bad_reply lost [3]"));
  EXPECT_TRUE(garbled.pipe().closed());
}

TEST(Http1ConnectionTest, RestOpensAConnectionPerRequestAndClosesItAfterTheReply) {
  ConnectionHarness harness("rest", Body());
  EXPECT_TRUE(harness.connection().CanSend());  // each request brings its own connection
  harness.connection().Connect();
  EXPECT_EQ(harness.pipe().opens(), 0);

  for (uint64_t tag : {1, 2, 3}) {
    SCOPED_TRACE(tag);
    harness.connection().Send(tag);
    EXPECT_EQ(harness.pipe().opens(), static_cast<int>(tag));
    EXPECT_FALSE(harness.connection().CanSend());
    EXPECT_THAT(harness.pipe().written(), IsEmpty());  // sent once the connection is open
    harness.pipe().FinishOpen();
    EXPECT_EQ(harness.pipe().TakeWritten(), Request(/*close=*/true));
    harness.pipe().ReceiveInChunks(Response(200, "Connection: close\r\n"), 5);
    EXPECT_TRUE(harness.pipe().closed());
    EXPECT_EQ(harness.pipe().closes(), static_cast<int>(tag));
    EXPECT_THAT(harness.listener.TakeLog(),
                ElementsAre("connected", fmt::format("reply {} ok timing 12/34", tag), "ready"));
    EXPECT_TRUE(harness.connection().CanSend());
  }
  EXPECT_EQ(harness.pipes_made(), 1);
}

TEST(Http1ConnectionTest, RestClosesAfterTheReplyEvenIfTheServerDoesNotSaySo) {
  ConnectionHarness harness("rest", Body());
  harness.connection().Send(1);
  harness.pipe().FinishOpen();
  harness.pipe().TakeWritten();
  // The request said Connection: close; the answer need not repeat it.
  harness.pipe().Receive(Response());
  EXPECT_TRUE(harness.pipe().closed());
  EXPECT_THAT(harness.listener.TakeLog(),
              ElementsAre("connected", "reply 1 ok timing 12/34", "ready"));
  harness.pipe().Fail("closed");  // the server's close, after the fact: not a failure
  EXPECT_THAT(harness.listener.TakeLog(), IsEmpty());
  harness.connection().Send(2);
  EXPECT_EQ(harness.pipe().opens(), 2);
}

TEST(Http1ConnectionTest, RestIsFreeForTheNextRequestAtOnceWhenOneIsAbandoned) {
  ConnectionHarness harness("rest", Body());
  harness.connection().Send(1);
  harness.pipe().FinishOpen();
  harness.connection().Abandon(1);  // sent, unanswered
  EXPECT_TRUE(harness.pipe().closed());
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("connected", "ready"));
  EXPECT_TRUE(harness.connection().CanSend());

  harness.connection().Send(2);
  harness.connection().Abandon(2);  // still connecting
  EXPECT_TRUE(harness.pipe().closed());
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("ready"));
  harness.connection().Abandon(2);  // once only
  EXPECT_THAT(harness.listener.TakeLog(), IsEmpty());
  EXPECT_EQ(harness.pipe().opens(), 2);
}

TEST(Http1ConnectionTest, RestLosesTheRequestWhoseConnectionFails) {
  ConnectionHarness harness("rest", Body());
  harness.connection().Send(3);
  harness.pipe().Fail("refused");
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("failed refused lost [3]"));
  EXPECT_TRUE(harness.connection().CanSend());

  harness.connection().Send(4);
  harness.pipe().FinishOpen();
  harness.pipe().Fail("reset");
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("connected", "failed reset lost [4]"));
}

}  // namespace
}  // namespace predictwire::loadgen
