#include "loadgen/client/h2_connection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "grpc_service.pb.h"
#include "loadgen/client/connection_harness.h"
#include "loadgen/client/grpc_messages.h"
#include "loadgen/client/h2_test_server.h"

namespace predictwire::loadgen {
namespace {

using testing::ConnectionHarness;
using ::testing::ElementsAre;
using testing::H2TestServer;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr std::string_view kBody = R"({"features":[1,2]})";
constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

RequestBody RestBody() {
  return RequestBody("/predict", std::string(kBody), "", RequestBody::IdSlot::kNone);
}

RequestBody GrpcBody() {
  PayloadOptions options;
  options.model = "m";
  options.features = 2;
  return *GrpcRequestBody(options);
}

const H2TestServer::Fields kRestHeaders = {{":status", "200"},
                                           {"content-type", "application/json"},
                                           {"server-timing", "queue;dur=0.012, compute;dur=0.034"}};
const H2TestServer::Fields kGrpcHeaders = {{":status", "200"},
                                           {"content-type", "application/grpc"}};
const H2TestServer::Fields kGrpcOk = {{"grpc-status", "0"}};

// gRPC's length-prefixed message, uncompressed.
std::string Framed(std::string_view message, bool compressed = false) {
  const auto length = static_cast<uint32_t>(message.size());
  std::string framed = {static_cast<char>(compressed), static_cast<char>(length >> 24),
                        static_cast<char>(length >> 16), static_cast<char>(length >> 8),
                        static_cast<char>(length)};
  framed.append(message);
  return framed;
}

// The messages of a gRPC body, which must hold whole ones.
std::vector<std::string> Unframed(std::string_view body) {
  std::vector<std::string> messages;
  while (body.size() >= 5) {
    const uint32_t length = (uint32_t{static_cast<uint8_t>(body[1])} << 24) |
                            (uint32_t{static_cast<uint8_t>(body[2])} << 16) |
                            (uint32_t{static_cast<uint8_t>(body[3])} << 8) |
                            static_cast<uint8_t>(body[4]);
    EXPECT_EQ(body[0], 0) << "compressed";
    EXPECT_LE(length, body.size() - 5);
    messages.emplace_back(body.substr(5, length));
    body.remove_prefix(std::min<size_t>(body.size(), 5 + length));
  }
  EXPECT_THAT(body, IsEmpty());
  return messages;
}

// What each gRPC request carries: the body's template with its id appended.
std::string GrpcRequestMessage(const RequestBody& body, uint64_t id) {
  std::string message(body.fixed());
  AppendRequestId(id, &message);
  return message;
}

// A ModelInferResponse of `id`, 12 µs queued and 34 µs computing.
inference::ModelInferResponse InferResponse(std::string id) {
  inference::ModelInferResponse response;
  response.set_model_name("m");
  response.set_id(std::move(id));
  (*response.mutable_parameters())["queue_us"].set_int64_param(12);
  (*response.mutable_parameters())["compute_us"].set_int64_param(34);
  response.add_outputs()->set_name("predictions");
  return response;
}

std::string UnaryAnswer(std::string id) {
  return Framed(InferResponse(std::move(id)).SerializeAsString());
}

std::string StreamAnswer(std::string id) {
  inference::ModelStreamInferResponse answer;
  *answer.mutable_infer_response() = InferResponse(std::move(id));
  return Framed(answer.SerializeAsString());
}

std::string StreamError(std::string id, std::string message) {
  inference::ModelStreamInferResponse answer;
  answer.set_error_message(std::move(message));
  if (!id.empty()) answer.mutable_infer_response()->set_id(std::move(id));
  return Framed(answer.SerializeAsString());
}

// Ends a call the client still sends on as gRPC servers do: trailers, then RST_STREAM(NO_ERROR)
// (gRPC's PROTOCOL-HTTP2 spec; the server's transport/http2/server_session.cc does the same).
std::string EndCall(H2TestServer& server, int32_t stream_id, H2TestServer::Fields trailers) {
  server.End(stream_id, std::move(trailers));
  std::string bytes = server.Take();
  server.Reset(stream_id, NGHTTP2_NO_ERROR);
  return bytes + server.Take();
}

// A connection and the server at its other end.
class H2Peers {
 public:
  explicit H2Peers(std::string_view wire, RequestBody body, int depth = 1, TlsClient* tls = nullptr)
      : harness(wire, std::move(body), depth, tls) {}

  // Moves the client's bytes to the server and the server's back, in reads of `chunk` bytes,
  // until neither has more to say.
  void Exchange(size_t chunk = SIZE_MAX) {
    for (int round = 0; round < 100; ++round) {
      const std::string to_server = harness.pipe().TakeWritten();
      if (!to_server.empty()) {
        EXPECT_TRUE(server.Receive(to_server));
      }
      const std::string to_client = server.Take();
      if (!to_client.empty()) harness.pipe().ReceiveInChunks(to_client, chunk);
      if (to_server.empty() && to_client.empty()) return;
    }
    ADD_FAILURE() << "the peers never fell quiet";
  }

  // Only the client's bytes to the server.
  void ToServer() { EXPECT_TRUE(server.Receive(harness.pipe().TakeWritten())); }

  // Connected, both SETTINGS exchanged, ready; the log emptied.
  void Handshake() {
    harness.connection().Connect();
    harness.pipe().FinishOpen();
    Exchange();
    ASSERT_THAT(harness.listener.TakeLog(), ElementsAre("connected", "ready"));
  }

  WireConnection& connection() { return harness.connection(); }
  std::vector<std::string> TakeLog() { return harness.listener.TakeLog(); }

  ConnectionHarness harness;
  H2TestServer server;
};

TEST(H2ConnectionTest, TheHandshakeIsThePrefaceAndEndsWithTheServersSettings) {
  H2Peers peers("h2", RestBody());
  peers.connection().Connect();
  EXPECT_EQ(peers.harness.pipe().opens(), 1);
  peers.harness.pipe().FinishOpen();
  EXPECT_THAT(peers.harness.pipe().written(), StartsWith(kPreface));
  EXPECT_FALSE(peers.connection().CanSend());
  peers.ToServer();
  peers.harness.pipe().ReceiveInChunks(peers.server.Take(), 1);
  EXPECT_THAT(peers.TakeLog(), ElementsAre("connected", "ready"));
  EXPECT_TRUE(peers.connection().CanSend());
  peers.Exchange();  // the client acknowledges the server's SETTINGS
  EXPECT_THAT(peers.TakeLog(), IsEmpty());
  EXPECT_EQ(peers.harness.pipes_made(), 1);
}

TEST(H2ConnectionTest, ARequestIsAStreamPostingTheBody) {
  H2Peers peers("h2", RestBody());
  peers.Handshake();
  peers.connection().Send(1);
  EXPECT_FALSE(peers.connection().CanSend());  // one stream at a time
  peers.ToServer();
  ASSERT_EQ(peers.server.requests.count(1), 1u);
  const H2TestServer::Request& request = peers.server.requests[1];
  EXPECT_THAT(request.fields,
              ::testing::UnorderedElementsAre(::testing::Pair(":method", "POST"),
                                              ::testing::Pair(":scheme", "http"),
                                              ::testing::Pair(":authority", "model.test:8080"),
                                              ::testing::Pair(":path", "/predict"),
                                              ::testing::Pair("content-type", "application/json")));
  EXPECT_EQ(request.body, kBody);
  EXPECT_TRUE(request.ended);
}

TEST(H2ConnectionTest, OverTlsTheSchemeIsHttpsAndTheServerMustHaveAgreedToH2) {
  TlsClient tls;  // the fake pipe does no TLS: only its ALPN matters here
  H2Peers peers("h2", RestBody(), 1, &tls);
  peers.harness.pipe().set_alpn("h2");
  peers.Handshake();
  peers.connection().Send(1);
  peers.ToServer();
  EXPECT_EQ(peers.server.requests[1].fields[":scheme"], "https");

  H2Peers http1_only("h2", RestBody(), 1, &tls);
  http1_only.harness.pipe().set_alpn("http/1.1");
  http1_only.connection().Connect();
  http1_only.harness.pipe().FinishOpen();
  EXPECT_THAT(http1_only.TakeLog(), ElementsAre("failed tls_no_h2 lost []"));
  EXPECT_TRUE(http1_only.harness.pipe().closed());
}

TEST(H2ConnectionTest, AReplySplitAnywhereCompletesOnceWithItsTiming) {
  for (size_t split = 0;; ++split) {
    SCOPED_TRACE(split);
    H2Peers peers("h2", RestBody());
    peers.Handshake();
    peers.connection().Send(7);
    peers.ToServer();
    peers.server.Respond(1, kRestHeaders, R"({"predictions":[1]})");
    const std::string answer = peers.server.Take();
    ASSERT_LE(split, answer.size());
    peers.harness.pipe().Receive(answer.substr(0, split));
    peers.harness.pipe().Receive(answer.substr(split));
    EXPECT_THAT(peers.TakeLog(), ElementsAre("reply 7 ok timing 12/34", "ready"));
    if (split == answer.size()) break;
  }
  H2Peers peers("h2", RestBody());
  peers.Handshake();
  peers.connection().Send(7);
  peers.ToServer();
  peers.server.Respond(1, kRestHeaders, R"({"predictions":[1]})");
  peers.harness.pipe().ReceiveInChunks(peers.server.Take(), 1);
  EXPECT_THAT(peers.TakeLog(), ElementsAre("reply 7 ok timing 12/34", "ready"));
}

TEST(H2ConnectionTest, MultiplexedRepliesAreMatchedByStreamInAnyOrder) {
  H2Peers peers("h2-multiplexed", RestBody(), /*depth=*/3);
  peers.Handshake();
  for (uint64_t tag : {1, 2, 3}) {
    EXPECT_TRUE(peers.connection().CanSend());
    peers.connection().Send(tag);
  }
  EXPECT_FALSE(peers.connection().CanSend());
  peers.ToServer();
  ASSERT_THAT(peers.server.stream_ids(), ElementsAre(1, 3, 5));
  for (int32_t stream : {5, 1}) peers.server.Respond(stream, kRestHeaders, "{}");
  peers.server.Open(3, kRestHeaders);
  peers.Exchange(3);
  EXPECT_THAT(peers.TakeLog(),
              ElementsAre("reply 3 ok timing 12/34", "ready", "reply 1 ok timing 12/34", "ready"));
  peers.server.Write(3, "{");
  peers.Exchange();
  EXPECT_THAT(peers.TakeLog(), IsEmpty());  // a reply is whole when its stream ends
  peers.server.Write(3, "}");
  peers.server.End(3);
  peers.Exchange();
  EXPECT_THAT(peers.TakeLog(), ElementsAre("reply 2 ok timing 12/34", "ready"));
}

TEST(H2ConnectionTest, AnErrorStatusOrAResetStreamIsAFailedReplyAndTheConnectionCarriesOn) {
  H2Peers peers("h2-multiplexed", RestBody(), /*depth=*/3);
  peers.Handshake();
  peers.connection().Send(1);
  peers.connection().Send(2);
  peers.ToServer();
  peers.server.Respond(1, {{":status", "503"}, {"retry-after", "1"}}, R"({"error":"busy"})");
  peers.Exchange();
  peers.server.Reset(3);
  peers.Exchange();
  EXPECT_THAT(peers.TakeLog(), ElementsAre("reply 1 http_503", "ready", "reply 2 reset", "ready"));
  EXPECT_TRUE(peers.harness.pipe().open());
  peers.connection().Send(3);
  peers.ToServer();
  peers.server.Respond(5, kRestHeaders, "{}");
  peers.Exchange();
  EXPECT_THAT(peers.TakeLog(), ElementsAre("reply 3 ok timing 12/34", "ready"));
}

TEST(H2ConnectionTest, AnAbandonedStreamIsCancelledAndItsLateReplyIgnored) {
  H2Peers peers("h2-multiplexed", RestBody(), /*depth=*/3);
  peers.Handshake();
  peers.connection().Send(1);
  peers.connection().Send(2);
  peers.ToServer();
  peers.connection().Abandon(1);
  EXPECT_THAT(peers.TakeLog(), ElementsAre("ready"));
  // The server answers both before it hears of the cancel.
  peers.server.Respond(1, kRestHeaders, "{}");
  peers.server.Respond(3, kRestHeaders, "{}");
  peers.harness.pipe().Receive(peers.server.Take());
  EXPECT_THAT(peers.TakeLog(), ElementsAre("reply 2 ok timing 12/34", "ready"));
  EXPECT_TRUE(peers.harness.pipe().open());

  peers.connection().Send(3);
  peers.connection().Abandon(3);
  peers.Exchange();
  EXPECT_TRUE(peers.server.requests[5].closed);
  EXPECT_EQ(peers.server.requests[5].reset_code, NGHTTP2_CANCEL);
  EXPECT_THAT(peers.TakeLog(), ElementsAre("ready"));
  peers.connection().Abandon(3);  // gone already: nothing to do
  peers.connection().Send(4);
  peers.ToServer();
  peers.server.Respond(7, kRestHeaders, "{}");
  peers.Exchange();
  EXPECT_THAT(peers.TakeLog(), ElementsAre("reply 4 ok timing 12/34", "ready"));
}

TEST(H2ConnectionTest, AnAbandonedRequestFreesItsSlotAtOnceInEveryDialect) {
  for (const auto& [wire, depth] : {std::pair{"h2", 1}, std::pair{"h2-multiplexed", 2},
                                    std::pair{"grpc", 1}, std::pair{"grpc-stream", 2}}) {
    SCOPED_TRACE(wire);
    H2Peers peers(wire, std::string_view(wire).starts_with("grpc") ? GrpcBody() : RestBody(),
                  depth);
    peers.Handshake();
    for (int tag = 1; tag <= depth; ++tag) peers.connection().Send(tag);
    ASSERT_FALSE(peers.connection().CanSend());
    peers.Exchange();
    // Timed out: the driver gives up on it, and may send the next request on this connection.
    peers.harness.listener.on_ready = [](WireConnection& connection) { connection.Send(10); };
    peers.connection().Abandon(1);
    EXPECT_THAT(peers.TakeLog(), ElementsAre("ready"));
    EXPECT_FALSE(peers.connection().CanSend());  // it did
    peers.connection().Abandon(1);               // once only
    EXPECT_THAT(peers.TakeLog(), IsEmpty());
    EXPECT_TRUE(peers.harness.pipe().open());
  }
}

TEST(H2ConnectionTest, TheServerClosingOrResettingLosesEveryStreamInFlight) {
  H2Peers reset("h2-multiplexed", RestBody(), /*depth=*/3);
  reset.Handshake();
  for (uint64_t tag : {1, 2, 3}) reset.connection().Send(tag);
  reset.ToServer();
  reset.server.Respond(3, kRestHeaders, "{}");
  reset.Exchange();
  EXPECT_THAT(reset.TakeLog(), ElementsAre("reply 2 ok timing 12/34", "ready"));
  reset.harness.pipe().Fail("reset");
  EXPECT_THAT(reset.TakeLog(), ElementsAre("failed reset lost [1,3]"));
  EXPECT_FALSE(reset.connection().CanSend());
  EXPECT_TRUE(reset.harness.pipe().closed());

  H2Peers closed("h2", RestBody());
  closed.Handshake();
  closed.connection().Send(4);
  closed.harness.pipe().Fail("closed");
  EXPECT_THAT(closed.TakeLog(), ElementsAre("failed closed lost [4]"));
}

TEST(H2ConnectionTest, AGoAwayEndsTheConnectionOnceItsLastStreamIsAnswered) {
  H2Peers peers("h2-multiplexed", RestBody(), /*depth=*/3);
  peers.Handshake();
  peers.connection().Send(1);
  peers.connection().Send(2);
  peers.ToServer();
  peers.server.GoAway(/*last_stream_id=*/1);  // stream 3 will not be answered
  peers.Exchange();
  // The connection goes away at once (no new stream on it), and the stream past the GOAWAY's
  // last comes back unprocessed, free to be sent again.
  EXPECT_THAT(peers.TakeLog(), ElementsAre("going away", "reply 2 refused_stream"));
  ASSERT_EQ(peers.harness.listener.replies.size(), 1u);
  EXPECT_TRUE(peers.harness.listener.replies[0].info.unprocessed);
  EXPECT_FALSE(peers.connection().CanSend());
  peers.server.Respond(1, kRestHeaders, "{}");
  peers.Exchange();
  EXPECT_THAT(peers.TakeLog(), ElementsAre("reply 1 ok timing 12/34", "failed goaway lost []"));
  EXPECT_TRUE(IsOrderlyEnd("goaway", false));
  EXPECT_TRUE(peers.harness.pipe().closed());
}

TEST(H2ConnectionTest, AGrpcCallIsAStreamCarryingOneFramedRequestWithItsId) {
  H2Peers peers("grpc", GrpcBody());
  peers.Handshake();
  peers.connection().Send(42);
  EXPECT_FALSE(peers.connection().CanSend());
  peers.ToServer();
  const H2TestServer::Request& call = peers.server.requests[1];
  EXPECT_EQ(call.fields.at(":path"), kModelInferPath);
  EXPECT_EQ(call.fields.at(":method"), "POST");
  EXPECT_EQ(call.fields.at("content-type"), "application/grpc");
  EXPECT_EQ(call.fields.at("te"), "trailers");
  EXPECT_EQ(call.body, Framed(GrpcRequestMessage(peers.harness.body(), 42)));
  EXPECT_TRUE(call.ended);
  inference::ModelInferRequest request;
  ASSERT_TRUE(request.ParseFromString(Unframed(call.body).at(0)));
  EXPECT_EQ(request.id(), "42");
  EXPECT_EQ(request.model_name(), "m");
}

TEST(H2ConnectionTest, AGrpcReplySplitAnywhereCompletesOnceWithItsTiming) {
  for (size_t split = 0;; ++split) {
    SCOPED_TRACE(split);
    H2Peers peers("grpc", GrpcBody());
    peers.Handshake();
    peers.connection().Send(7);
    peers.ToServer();
    peers.server.Respond(1, kGrpcHeaders, UnaryAnswer("7"), kGrpcOk);
    const std::string answer = peers.server.Take();
    ASSERT_LE(split, answer.size());
    peers.harness.pipe().Receive(answer.substr(0, split));
    peers.harness.pipe().Receive(answer.substr(split));
    EXPECT_THAT(peers.TakeLog(), ElementsAre("reply 7 ok timing 12/34", "ready"));
    if (split == answer.size()) break;
  }
}

TEST(H2ConnectionTest, AGrpcStatusOtherThanOkIsAFailedReply) {
  H2Peers peers("grpc", GrpcBody());
  peers.Handshake();
  const auto ask = [&](uint64_t tag) {
    peers.connection().Send(tag);
    peers.ToServer();
    return peers.server.stream_ids().back();
  };
  // In trailers after the headers...
  peers.server.Respond(ask(1), kGrpcHeaders, "", {{"grpc-status", "8"}, {"grpc-message", "full"}});
  peers.Exchange();
  // ...or trailers-only.
  peers.server.RespondWithHeadersOnly(
      ask(2), {{":status", "200"}, {"content-type", "application/grpc"}, {"grpc-status", "14"}});
  peers.Exchange();
  // No status at all, a compressed message (none was asked for), bytes that are not protobuf.
  peers.server.Respond(ask(3), kGrpcHeaders, UnaryAnswer("3"));
  peers.Exchange();
  peers.server.Respond(ask(4), kGrpcHeaders, Framed("xyz", /*compressed=*/true), kGrpcOk);
  peers.Exchange();
  peers.server.Respond(ask(5), kGrpcHeaders, Framed("\x0f"), kGrpcOk);
  peers.Exchange();
  // An HTTP error before any gRPC.
  peers.server.RespondWithHeadersOnly(ask(6), {{":status", "404"}});
  peers.Exchange();
  EXPECT_THAT(peers.TakeLog(),
              ElementsAre("reply 1 grpc_resource_exhausted", "ready", "reply 2 grpc_unavailable",
                          "ready", "reply 3 bad_reply timing 12/34", "ready", "reply 4 bad_reply",
                          "ready", "reply 5 bad_reply", "ready", "reply 6 http_404", "ready"));
  EXPECT_TRUE(peers.harness.pipe().open());
}

TEST(H2ConnectionTest, AGrpcStreamIsOneCallOpenedWithTheConnection) {
  H2Peers peers("grpc-stream", GrpcBody(), /*depth=*/3);
  peers.connection().Connect();
  peers.harness.pipe().FinishOpen();
  EXPECT_FALSE(peers.connection().CanSend());
  peers.Exchange();
  EXPECT_THAT(peers.TakeLog(), ElementsAre("connected", "ready"));
  ASSERT_THAT(peers.server.stream_ids(), ElementsAre(1));
  const H2TestServer::Request& call = peers.server.requests[1];
  EXPECT_EQ(call.fields.at(":path"), kModelStreamInferPath);
  EXPECT_EQ(call.fields.at("content-type"), "application/grpc");
  EXPECT_EQ(call.fields.at("te"), "trailers");

  for (uint64_t tag : {1, 2, 3}) {
    EXPECT_TRUE(peers.connection().CanSend());
    peers.connection().Send(tag);
  }
  EXPECT_FALSE(peers.connection().CanSend());
  peers.Exchange();
  ASSERT_THAT(peers.server.stream_ids(), ElementsAre(1));  // no other stream
  EXPECT_EQ(call.body, Framed(GrpcRequestMessage(peers.harness.body(), 1)) +
                           Framed(GrpcRequestMessage(peers.harness.body(), 2)) +
                           Framed(GrpcRequestMessage(peers.harness.body(), 3)));
  EXPECT_FALSE(call.ended);  // the call stays open for the next requests
}

TEST(H2ConnectionTest, GrpcStreamAnswersAreMatchedByIdInAnyOrder) {
  H2Peers peers("grpc-stream", GrpcBody(), /*depth=*/3);
  peers.Handshake();
  for (uint64_t tag : {1, 2, 3}) peers.connection().Send(tag);
  peers.Exchange();
  peers.server.Open(1, kGrpcHeaders);
  peers.server.Write(1, StreamAnswer("3") + StreamAnswer("1"));
  peers.Exchange(4);
  peers.server.Write(1, StreamAnswer("2"));
  peers.Exchange(1);
  EXPECT_THAT(peers.TakeLog(),
              ElementsAre("reply 3 ok timing 12/34", "ready", "reply 1 ok timing 12/34", "ready",
                          "reply 2 ok timing 12/34", "ready"));
}

TEST(H2ConnectionTest, AGrpcStreamAnswerSplitAnywhereCompletesOnce) {
  for (size_t split = 0;; ++split) {
    SCOPED_TRACE(split);
    H2Peers peers("grpc-stream", GrpcBody(), /*depth=*/3);
    peers.Handshake();
    peers.connection().Send(5);
    peers.Exchange();
    peers.server.Open(1, kGrpcHeaders);
    peers.server.Write(1, StreamAnswer("5"));
    const std::string answer = peers.server.Take();
    ASSERT_LE(split, answer.size());
    peers.harness.pipe().Receive(answer.substr(0, split));
    peers.harness.pipe().Receive(answer.substr(split));
    EXPECT_THAT(peers.TakeLog(), ElementsAre("reply 5 ok timing 12/34", "ready"));
    if (split == answer.size()) break;
  }
}

TEST(H2ConnectionTest, AGrpcStreamAbandonedRequestsLateAnswerIsDropped) {
  H2Peers peers("grpc-stream", GrpcBody(), /*depth=*/3);
  peers.Handshake();
  peers.connection().Send(1);
  peers.connection().Send(2);
  peers.Exchange();
  peers.connection().Abandon(1);
  EXPECT_THAT(peers.TakeLog(), ElementsAre("ready"));
  peers.server.Open(1, kGrpcHeaders);
  peers.server.Write(1, StreamAnswer("1") + StreamAnswer("2") + StreamAnswer("77"));
  peers.Exchange();
  EXPECT_THAT(peers.TakeLog(), ElementsAre("reply 2 ok timing 12/34", "ready"));
  EXPECT_FALSE(peers.server.requests[1].closed);  // the call carries on
}

TEST(H2ConnectionTest, AGrpcStreamErrorMessageFailsOneRequest) {
  H2Peers peers("grpc-stream", GrpcBody(), /*depth=*/3);
  peers.Handshake();
  for (uint64_t tag : {1, 2, 3}) peers.connection().Send(tag);
  peers.Exchange();
  peers.server.Open(1, kGrpcHeaders);
  // With an id, that request's; without, the oldest's.
  peers.server.Write(1, StreamError("2", "no such model") + StreamError("", "overloaded"));
  peers.Exchange();
  EXPECT_THAT(peers.TakeLog(), ElementsAre("reply 2 grpc_stream_error", "ready",
                                           "reply 1 grpc_stream_error", "ready"));
  peers.server.Write(1, StreamAnswer("3"));
  peers.Exchange();
  EXPECT_THAT(peers.TakeLog(), ElementsAre("reply 3 ok timing 12/34", "ready"));
}

TEST(H2ConnectionTest, TheGrpcStreamCallEndingLosesWhatWasInFlightOnIt) {
  H2Peers failed("grpc-stream", GrpcBody(), /*depth=*/3);
  failed.Handshake();
  failed.connection().Send(1);
  failed.connection().Send(2);
  failed.Exchange();
  failed.server.Open(1, kGrpcHeaders);
  failed.server.Write(1, StreamAnswer("2"));
  failed.harness.pipe().Receive(
      EndCall(failed.server, 1, {{"grpc-status", "14"}, {"grpc-message", "draining"}}));
  // The answer came with the end: the call is over before the reply is reported.
  EXPECT_THAT(failed.TakeLog(),
              ElementsAre("reply 2 ok timing 12/34", "failed grpc_unavailable lost [1]"));
  EXPECT_TRUE(failed.harness.pipe().closed());

  H2Peers ended("grpc-stream", GrpcBody(), /*depth=*/3);
  ended.Handshake();
  ended.connection().Send(1);
  ended.Exchange();
  ended.server.Open(1, kGrpcHeaders);
  ended.harness.pipe().Receive(EndCall(ended.server, 1, kGrpcOk));
  EXPECT_THAT(ended.TakeLog(), ElementsAre("failed closed lost [1]"));

  H2Peers reset("grpc-stream", GrpcBody(), /*depth=*/3);
  reset.Handshake();
  reset.connection().Send(1);
  reset.connection().Send(2);
  reset.Exchange();
  reset.harness.pipe().Fail("reset");
  EXPECT_THAT(reset.TakeLog(), ElementsAre("failed reset lost [1,2]"));
}

TEST(H2ConnectionTest, AGrpcStreamCallEndedByItsTrailersAloneIsOver) {
  // A server need not reset the stream after the trailers: the call is over at its status.
  H2Peers peers("grpc-stream", GrpcBody(), /*depth=*/3);
  peers.Handshake();
  peers.connection().Send(1);
  peers.connection().Send(2);
  peers.Exchange();
  peers.server.Respond(1, kGrpcHeaders, StreamAnswer("2"), {{"grpc-status", "14"}});
  peers.Exchange(1);
  EXPECT_THAT(peers.TakeLog(),
              ElementsAre("reply 2 ok timing 12/34", "ready", "failed grpc_unavailable lost [1]"));
  EXPECT_FALSE(peers.connection().CanSend());
  EXPECT_TRUE(peers.harness.pipe().closed());

  H2Peers ended("grpc-stream", GrpcBody(), /*depth=*/3);
  ended.Handshake();
  ended.connection().Send(1);
  ended.Exchange();
  ended.server.Respond(1, kGrpcHeaders, "", kGrpcOk);
  ended.Exchange();
  EXPECT_THAT(ended.TakeLog(), ElementsAre("failed closed lost [1]"));
}

TEST(H2ConnectionTest, BytesThatAreNotHttp2FailTheConnectionAtOnce) {
  H2Peers peers("h2-multiplexed", RestBody(), /*depth=*/3);
  peers.Handshake();
  peers.connection().Send(1);
  // Read as a frame header, a DATA frame of 4.7 MB: nghttp2 ends the session with GOAWAY.
  peers.harness.pipe().Receive("HTTP/1.1 400 Bad Request\r\n\r\n");
  EXPECT_THAT(peers.TakeLog(), ElementsAre("failed bad_reply lost [1]"));
  EXPECT_TRUE(peers.harness.pipe().closed());
}

TEST(H2ConnectionTest, AGoAwayWithNothingInFlightEndsTheConnection) {
  H2Peers peers("h2-multiplexed", RestBody(), /*depth=*/3);
  peers.Handshake();
  peers.server.GoAway(/*last_stream_id=*/0);
  peers.Exchange();
  EXPECT_THAT(peers.TakeLog(), ElementsAre("going away", "failed goaway lost []"));
  EXPECT_TRUE(peers.harness.pipe().closed());
}

}  // namespace
}  // namespace predictwire::loadgen
