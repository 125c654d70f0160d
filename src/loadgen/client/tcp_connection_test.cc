#include "loadgen/client/tcp_connection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "loadgen/client/connection_harness.h"
#include "transport/common/tcp_echo.h"

namespace predictwire::loadgen {
namespace {

using testing::ConnectionHarness;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr size_t kRequestBytes = 16;
constexpr size_t kReplyBytes = 5;

RequestBody EchoBody() {
  PayloadOptions options;
  options.echo_request_bytes = kRequestBytes;
  options.echo_reply_bytes = kReplyBytes;
  return *TcpEchoBody(options);
}

// What every exchange sends: the echo header asking for kReplyBytes, padded to kRequestBytes.
std::string EchoRequest() {
  std::string request;
  transport::AppendEchoHeader(kRequestBytes, kReplyBytes, &request);
  request.resize(kRequestBytes, 'q');
  return request;
}

const std::string kReply(kReplyBytes, 'r');

void OpenKept(ConnectionHarness& harness) {
  harness.connection().Connect();
  harness.pipe().FinishOpen();
  ASSERT_THAT(harness.listener.TakeLog(), ElementsAre("connected", "ready"));
}

TEST(TcpConnectionTest, AnExchangeSendsTheEchoRequestsExactBytes) {
  ConnectionHarness harness("tcp", EchoBody());
  EXPECT_FALSE(harness.connection().CanSend());
  OpenKept(harness);
  EXPECT_TRUE(harness.connection().CanSend());
  harness.connection().Send(1);
  EXPECT_EQ(harness.pipe().TakeWritten(), EchoRequest());
  EXPECT_FALSE(harness.connection().CanSend());
}

TEST(TcpConnectionTest, AReplySplitAnywhereCompletesOnce) {
  for (size_t split = 0; split <= kReply.size(); ++split) {
    SCOPED_TRACE(split);
    ConnectionHarness harness("tcp", EchoBody());
    OpenKept(harness);
    harness.connection().Send(9);
    harness.pipe().Receive(kReply.substr(0, split));
    harness.pipe().Receive(kReply.substr(split));
    EXPECT_THAT(harness.listener.log, ElementsAre("reply 9 ok", "ready"));
  }
  ConnectionHarness harness("tcp", EchoBody());
  OpenKept(harness);
  harness.connection().Send(9);
  harness.pipe().ReceiveInChunks(kReply, 1);
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("reply 9 ok", "ready"));
  harness.connection().Send(10);
  harness.pipe().ReceiveInChunks(kReply, 2);
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("reply 10 ok", "ready"));
}

TEST(TcpConnectionTest, MoreThanTheReplyAskedForIsABadReply) {
  ConnectionHarness harness("tcp", EchoBody());
  OpenKept(harness);
  harness.connection().Send(1);
  harness.pipe().Receive(kReply + "x");
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("failed bad_reply lost [1]"));

  harness.connection().Connect();
  harness.pipe().FinishOpen();
  harness.pipe().Receive("x");  // nothing was asked
  EXPECT_THAT(harness.listener.TakeLog(),
              ElementsAre("connected", "ready", "failed bad_reply lost []"));
}

TEST(TcpConnectionTest, AnAbandonedExchangesConnectionIsReplaced) {
  ConnectionHarness harness("tcp", EchoBody());
  OpenKept(harness);
  harness.connection().Send(1);
  harness.pipe().Receive(kReply.substr(0, 2));
  harness.connection().Abandon(1);
  EXPECT_EQ(harness.pipe().closes(), 1);
  EXPECT_EQ(harness.pipe().opens(), 2);
  harness.pipe().Receive(kReply.substr(2));  // the old connection's: gone with it
  harness.pipe().FinishOpen();
  harness.connection().Send(2);
  harness.pipe().Receive(kReply);
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("connected", "ready", "reply 2 ok", "ready"));
  harness.connection().Abandon(1);  // not in flight: nothing happens
  EXPECT_EQ(harness.pipe().closes(), 1);
}

TEST(TcpConnectionTest, TheServerClosingOrResettingLosesTheExchangeInFlight) {
  ConnectionHarness harness("tcp", EchoBody());
  OpenKept(harness);
  harness.connection().Send(4);
  harness.pipe().Fail("reset");
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("failed reset lost [4]"));
  harness.connection().Connect();
  harness.pipe().FinishOpen();
  harness.pipe().Fail("closed");
  EXPECT_THAT(harness.listener.TakeLog(),
              ElementsAre("connected", "ready", "failed closed lost []"));
}

TEST(TcpConnectionTest, TcpNewOpensAConnectionPerExchangeAndClosesItAfterTheReply) {
  ConnectionHarness harness("tcp-new", EchoBody());
  EXPECT_TRUE(harness.connection().CanSend());
  harness.connection().Connect();
  EXPECT_EQ(harness.pipe().opens(), 0);
  for (uint64_t tag : {1, 2}) {
    SCOPED_TRACE(tag);
    harness.connection().Send(tag);
    EXPECT_FALSE(harness.connection().CanSend());
    EXPECT_EQ(harness.pipe().opens(), static_cast<int>(tag));
    EXPECT_THAT(harness.pipe().written(), IsEmpty());
    harness.pipe().FinishOpen();
    EXPECT_EQ(harness.pipe().TakeWritten(), EchoRequest());
    harness.pipe().ReceiveInChunks(kReply, 3);
    EXPECT_TRUE(harness.pipe().closed());
    EXPECT_EQ(harness.pipe().closes(), static_cast<int>(tag));
    EXPECT_THAT(harness.listener.TakeLog(),
                ElementsAre("connected", "reply " + std::to_string(tag) + " ok", "ready"));
  }
  harness.connection().Send(3);
  harness.pipe().Fail("refused");
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("failed refused lost [3]"));
  EXPECT_TRUE(harness.connection().CanSend());
}

TEST(TcpConnectionTest, TcpNewIsFreeForTheNextExchangeAtOnceWhenOneIsAbandoned) {
  ConnectionHarness harness("tcp-new", EchoBody());
  harness.connection().Send(1);
  harness.pipe().FinishOpen();
  harness.connection().Abandon(1);  // sent, unanswered
  EXPECT_TRUE(harness.pipe().closed());
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("connected", "ready"));

  harness.connection().Send(2);
  harness.connection().Abandon(2);  // still connecting
  EXPECT_THAT(harness.listener.TakeLog(), ElementsAre("ready"));
  EXPECT_TRUE(harness.connection().CanSend());
  harness.connection().Abandon(2);  // once only
  EXPECT_THAT(harness.listener.TakeLog(), IsEmpty());
}

}  // namespace
}  // namespace predictwire::loadgen
