// Clients that behave like real ones when a connection goes away: the load driver with each
// wire's real connection class, on pipes whose other end is a server of this test's in memory
// that closes, says GOAWAY, sends a WebSocket Close, drops and refuses connections on cue, with
// requests in flight. Every request must be answered exactly once all the same, those in flight
// sent again on the next connection, and the run's counts must say what happened.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <charconv>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "grpc_service.pb.h"
#include "loadgen/client/byte_pipe.h"
#include "loadgen/client/h2_test_server.h"
#include "loadgen/driver/bench.h"
#include "loadgen/driver/bench_output.h"
#include "loadgen/driver/load_driver.h"
#include "transport/websocket/frame.h"

namespace predictwire::loadgen {
namespace {

namespace asio = transport::asio;
namespace ws = transport::websocket;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// The server's end of one connection.
class Link {
 public:
  virtual ~Link() = default;
  // Bytes to the client, arriving after the caller returns.
  virtual void Send(std::string bytes) = 0;
  // The connection ends, after what was sent: the client hears `kind` (reset, closed).
  virtual void Drop(std::string kind) = 0;
  // Runs `task` later, unless the connection has closed or reopened by then.
  virtual void Later(std::function<void()> task) = 0;
};

// One connection's server side.
class Session {
 public:
  virtual ~Session() = default;
  virtual void OnBytes(std::string_view bytes) = 0;
};

class TestServer {
 public:
  enum class Accept { kOpen, kRefuse, kHang };
  virtual ~TestServer() = default;
  // How a new connection is met; kOpen with the session that serves it.
  virtual Accept OnConnect(Link& link, std::unique_ptr<Session>* session) = 0;
  // A session's connection closed.
  virtual void OnClosed() {}
};

// A BytePipe whose other end is a TestServer: its opening, the server's bytes and its end come
// through the driver's io_context, as a socket's would, never from inside the client's call.
class LoopbackPipe final : public BytePipe, private Link {
 public:
  LoopbackPipe(asio::io_context& context, Handler& handler, TestServer& server)
      : context_(context),
        handler_(handler),
        server_(server),
        self_(std::make_shared<LoopbackPipe*>(this)) {}
  ~LoopbackPipe() override { *self_ = nullptr; }

  void Open() override {
    Close();
    set_state(State::kOpening);
    opened_ = Clock::now();
    Later([this] {
      switch (server_.OnConnect(*this, &session_)) {
        case TestServer::Accept::kOpen:
          set_state(State::kOpen);
          handler_.OnPipeOpen();
          break;
        case TestServer::Accept::kRefuse:
          Close();
          handler_.OnPipeFailed("refused");
          break;
        case TestServer::Accept::kHang:
          break;  // opening until the client gives up
      }
    });
  }
  void Close() override {
    MarkClosed();
    input_.clear();
    if (session_) {
      session_.reset();
      server_.OnClosed();
    }
  }
  void Flush() override {
    if (!open()) return;
    std::string bytes;
    bytes.swap(output());
    if (session_ && !bytes.empty()) session_->OnBytes(bytes);
  }
  std::chrono::nanoseconds SinceOpenStarted() const override { return Clock::now() - opened_; }
  std::string_view alpn() const override { return ""; }

 private:
  void Send(std::string bytes) override {
    Later([this, bytes = std::move(bytes)] {
      input_ += bytes;
      const uint64_t generation = this->generation();
      const size_t consumed = handler_.OnPipeInput(input_.data(), input_.size());
      if (generation == this->generation()) input_.erase(0, consumed);
    });
  }
  void Drop(std::string kind) override {
    Later([this, kind = std::move(kind)] {
      Close();
      handler_.OnPipeFailed(kind);
    });
  }
  void Later(std::function<void()> task) override {
    asio::post(context_, [self = self_, generation = generation(), task = std::move(task)] {
      if (*self != nullptr && (*self)->generation() == generation) task();
    });
  }

  asio::io_context& context_;
  Handler& handler_;
  TestServer& server_;
  std::shared_ptr<LoopbackPipe*> self_;  // null once destroyed
  std::unique_ptr<Session> session_;
  std::string input_;
  Clock::time_point opened_;
};

// What every test server counts, and the cues they share: `every`-th requests (counted over
// the whole server, from 1) make something happen.
struct Script {
  int end_every = 0;         // the connection ends this way with this request in flight
  int duplicate_every = 0;   // this answer is sent twice
  int refuse_after_end = 0;  // connects refused after each end
  bool hang_first = false;   // the first connect never completes
};

class CountingServer : public TestServer {
 public:
  explicit CountingServer(Script script) : script_(script) {}

  Accept OnConnect(Link& link, std::unique_ptr<Session>* session) override {
    connect_times.push_back(Clock::now());
    if (script_.hang_first && connects++ == 0) return Accept::kHang;
    if (refusals_due_ > 0) {
      --refusals_due_;
      ++refused;
      return Accept::kRefuse;
    }
    *session = Serve(link);
    most_open = std::max(most_open, ++open);
    return Accept::kOpen;
  }
  void OnClosed() override { --open; }

  // The n-th request (from 1) arrived: whether the script ends its connection with it.
  bool EndsWith(int n) { return script_.end_every > 0 && n % script_.end_every == 0; }
  bool Duplicates(int n) { return script_.duplicate_every > 0 && n % script_.duplicate_every == 0; }
  // Connects after the first `connections`: the client's reconnects (a run that ends right after
  // an end has none for it).
  uint64_t reconnects(int connections) const {
    return connect_times.size() - static_cast<size_t>(connections);
  }
  // A connection was ended by the script.
  void Ended() {
    ++ends;
    end_times.push_back(Clock::now());
    refusals_due_ = script_.refuse_after_end;
  }

  int requests = 0;    // received, over every connection
  int answers = 0;     // sent (a duplicate counts twice)
  int unanswered = 0;  // in flight when their connection ended
  int ends = 0;
  int refused = 0;
  int connects = 0;
  int open = 0;       // connections open now
  int most_open = 0;  // at once
  std::vector<Clock::time_point> connect_times, end_times;

 protected:
  virtual std::unique_ptr<Session> Serve(Link& link) = 0;
  const Script script_;

 private:
  int refusals_due_ = 0;
};

// --- HTTP/1.1: a kept-alive connection, one request at a time -------------------------------

std::string HttpAnswer(bool close) {
  constexpr std::string_view kBody = R"({"predictions":[1]})";
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
         std::string(close ? "Connection: close\r\n" : "") +
         "Content-Length: " + std::to_string(kBody.size()) + "\r\n\r\n" + std::string(kBody);
}

// Ends the cued request's connection by `how`: "close" answers it with Connection: close (the
// server's orderly end), "reset" drops the connection without answering.
class Http1Server final : public CountingServer {
 public:
  Http1Server(Script script, std::string how) : CountingServer(script), how_(std::move(how)) {}

 private:
  class Http1Session final : public Session {
   public:
    Http1Session(Http1Server& server, Link& link) : server_(server), link_(link) {}
    void OnBytes(std::string_view bytes) override {
      buffer_ += bytes;
      for (;;) {
        const size_t head_end = buffer_.find("\r\n\r\n");
        if (head_end == std::string::npos) return;
        const size_t length_at = buffer_.find("Content-Length: ");
        size_t length = 0;
        std::from_chars(buffer_.data() + length_at + 16, buffer_.data() + head_end, length);
        if (buffer_.size() < head_end + 4 + length) return;
        buffer_.erase(0, head_end + 4 + length);
        const int n = ++server_.requests;
        if (!server_.EndsWith(n)) {
          ++server_.answers;
          link_.Send(HttpAnswer(false));
          continue;
        }
        server_.Ended();
        if (server_.how_ == "close") {
          ++server_.answers;
          link_.Send(HttpAnswer(true));
          link_.Drop("closed");
        } else {
          ++server_.unanswered;
          link_.Drop(server_.how_);
        }
        return;
      }
    }

   private:
    Http1Server& server_;
    Link& link_;
    std::string buffer_;
  };

  std::unique_ptr<Session> Serve(Link& link) override {
    return std::make_unique<Http1Session>(*this, link);
  }

  const std::string how_;
};

// --- WebSocket: several messages in flight, answered by id ----------------------------------

constexpr std::string_view kSwitchingProtocols =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: AVSrdWl5GS3a3WZHg7S/8m0iX1c=\r\n\r\n";

std::string ServerFrame(ws::Opcode opcode, std::string_view payload) {
  std::string frame;
  ws::AppendFrameHeader(opcode, payload.size(), &frame);
  frame.append(payload);
  return frame;
}

// Answers what arrived together once the client has sent it all (a task later), so that several
// are in flight at once; the cued message and those after it in the batch get a Close 1001
// instead, and what comes after the Close is never read.
class WebSocketServer final : public CountingServer {
 public:
  using CountingServer::CountingServer;
  std::vector<int> close_codes_echoed;

 private:
  class WebSocketSession final : public Session {
   public:
    WebSocketSession(WebSocketServer& server, Link& link) : server_(server), link_(link) {}
    void OnBytes(std::string_view bytes) override {
      buffer_ += bytes;
      if (!upgraded_) {
        const size_t head_end = buffer_.find("\r\n\r\n");
        if (head_end == std::string::npos) return;
        buffer_.erase(0, head_end + 4);
        upgraded_ = true;
        link_.Send(std::string(kSwitchingProtocols));
      }
      for (;;) {
        ws::FrameHeader header;
        std::string error;
        if (ws::ParseFrameHeader(buffer_.data(), buffer_.size(), &header, &error) !=
                ws::ParseStatus::kOk ||
            buffer_.size() < header.header_length + header.payload_length) {
          return;
        }
        std::string payload = buffer_.substr(header.header_length, header.payload_length);
        buffer_.erase(0, header.header_length + header.payload_length);
        ws::Unmask(payload.data(), payload.size(), header.mask);
        if (header.opcode == ws::Opcode::kClose) {
          server_.close_codes_echoed.push_back(payload.size() >= 2
                                                   ? static_cast<uint8_t>(payload[0]) << 8 |
                                                         static_cast<uint8_t>(payload[1])
                                                   : 1005);
          continue;
        }
        if (closing_) {  // sent before our Close arrived: never read
          ++server_.unanswered;
          continue;
        }
        const size_t at = payload.find("\"id\":") + 5;
        uint64_t id = 0;
        std::from_chars(payload.data() + at, payload.data() + payload.size(), id);
        pending_.push_back(id);
        if (pending_.size() == 1) link_.Later([this] { Answer(); });
      }
    }

   private:
    void Answer() {
      for (size_t i = 0; i < pending_.size(); ++i) {
        const int n = ++server_.requests;
        if (server_.EndsWith(n)) {
          server_.Ended();
          server_.unanswered += static_cast<int>(pending_.size() - i);
          std::string close;
          ws::AppendCloseFrame(ws::kCloseGoingAway, "server going away", &close);
          link_.Send(std::move(close));
          closing_ = true;
          break;
        }
        const std::string answer =
            ServerFrame(ws::Opcode::kText, R"({"id":)" + std::to_string(pending_[i]) +
                                               R"(,"model":"m","predictions":[1]})");
        for (int copy = 0; copy < (server_.Duplicates(n) ? 2 : 1); ++copy) {
          ++server_.answers;
          link_.Send(answer);
        }
      }
      pending_.clear();
    }

    WebSocketServer& server_;
    Link& link_;
    std::string buffer_;
    bool upgraded_ = false;
    bool closing_ = false;
    std::vector<uint64_t> pending_;
  };

  std::unique_ptr<Session> Serve(Link& link) override {
    return std::make_unique<WebSocketSession>(*this, link);
  }
};

// --- HTTP/2 and gRPC: GOAWAY with streams in flight -----------------------------------------

const testing::H2TestServer::Fields kRestHeaders = {{":status", "200"},
                                                    {"content-type", "application/json"}};
const testing::H2TestServer::Fields kGrpcHeaders = {{":status", "200"},
                                                    {"content-type", "application/grpc"}};
const testing::H2TestServer::Fields kGrpcOk = {{"grpc-status", "0"}};

std::string Framed(const google::protobuf::Message& message) {
  const std::string bytes = message.SerializeAsString();
  const auto length = static_cast<uint32_t>(bytes.size());
  std::string framed = {0, static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                        static_cast<char>(length >> 8), static_cast<char>(length)};
  return framed + bytes;
}

inference::ModelInferResponse InferResponse(const std::string& id) {
  inference::ModelInferResponse response;
  response.set_model_name("m");
  response.set_id(id);
  response.add_outputs()->set_name("predictions");
  return response;
}

// The ids of the gRPC request messages in `body` from `*read` on; `*read` moves past them.
std::vector<std::string> RequestIds(const std::string& body, size_t* read) {
  std::vector<std::string> ids;
  while (body.size() - *read >= 5) {
    const uint32_t length = uint32_t{static_cast<uint8_t>(body[*read + 1])} << 24 |
                            uint32_t{static_cast<uint8_t>(body[*read + 2])} << 16 |
                            uint32_t{static_cast<uint8_t>(body[*read + 3])} << 8 |
                            static_cast<uint8_t>(body[*read + 4]);
    if (body.size() - *read - 5 < length) break;
    inference::ModelInferRequest request;
    request.ParseFromString(body.substr(*read + 5, length));
    ids.push_back(request.id());
    *read += 5 + length;
  }
  return ids;
}

// Serves h2-multiplexed (REST), grpc (unary) and grpc-stream. What arrived together is answered
// a task later, so several streams are in flight at once. At the cue it says GOAWAY: REST and
// unary keep the streams up to the cued one, answered after the GOAWAY (the client is going
// away meanwhile), and refuse the rest; grpc-stream answers the messages before the cued one,
// then ends its call (OK, as a draining server does) with the rest unanswered.
class H2Server final : public CountingServer {
 public:
  H2Server(Script script, bool grpc_stream) : CountingServer(script), stream_(grpc_stream) {}

 private:
  class H2Session final : public Session {
   public:
    H2Session(H2Server& server, Link& link) : server_(server), link_(link) {
      link_.Send(h2_.Take());  // the server's SETTINGS
    }
    void OnBytes(std::string_view bytes) override {
      EXPECT_TRUE(h2_.Receive(bytes));
      if (!scheduled_) {
        scheduled_ = true;
        link_.Later([this] { Answer(); });
      }
      link_.Send(h2_.Take());  // SETTINGS' acknowledgement, WINDOW_UPDATEs
    }

   private:
    void Answer() {
      scheduled_ = false;
      server_.stream_ ? AnswerCall() : AnswerStreams();
      link_.Send(h2_.Take());
    }

    void AnswerStreams() {
      std::vector<int32_t> kept;
      for (auto& [stream_id, request] : h2_.requests) {
        if (!request.ended || request.closed || answered_.contains(stream_id)) continue;
        answered_.insert(stream_id);
        const int n = ++server_.requests;
        if (goaway_) {
          ++server_.unanswered;  // refused by the GOAWAY
          continue;
        }
        kept.push_back(stream_id);
        if (server_.EndsWith(n)) {
          server_.Ended();
          goaway_ = true;
          h2_.GoAway(stream_id);  // streams after this one are refused
        }
      }
      auto answer = [this](int32_t stream_id) {
        ++server_.answers;
        if (h2_.requests[stream_id].fields[":path"].starts_with("/inference")) {
          h2_.Respond(stream_id, kGrpcHeaders, Framed(InferResponse(std::to_string(stream_id))),
                      kGrpcOk);
        } else {
          h2_.Respond(stream_id, kRestHeaders, R"({"predictions":[1]})");
        }
      };
      if (!goaway_) {
        for (int32_t stream_id : kept) answer(stream_id);
        return;
      }
      // The GOAWAY first; the streams it kept are answered after it, once the client has had
      // time to open the next connection.
      link_.Send(h2_.Take());
      link_.Later([this, kept, answer] {
        link_.Later([this, kept, answer] {
          for (int32_t stream_id : kept) answer(stream_id);
          link_.Send(h2_.Take());
        });
      });
    }

    void AnswerCall() {
      auto& call = h2_.requests[1];
      const std::vector<std::string> ids = RequestIds(call.body, &read_);
      if (goaway_) {  // sent before the client heard the GOAWAY: never answered
        server_.unanswered += static_cast<int>(ids.size());
        return;
      }
      if (!opened_) {
        opened_ = true;
        h2_.Open(1, kGrpcHeaders);
      }
      for (size_t i = 0; i < ids.size(); ++i) {
        const int n = ++server_.requests;
        if (server_.EndsWith(n)) {
          server_.Ended();
          server_.unanswered += static_cast<int>(ids.size() - i);
          goaway_ = true;
          h2_.GoAway(1);  // the call may go on ...
          link_.Send(h2_.Take());
          // ... but ends later, what was still in flight on it unanswered.
          link_.Later([this] {
            link_.Later([this] {
              h2_.End(1, kGrpcOk);
              link_.Send(h2_.Take());
            });
          });
          return;
        }
        inference::ModelStreamInferResponse answer;
        *answer.mutable_infer_response() = InferResponse(ids[i]);
        for (int copy = 0; copy < (server_.Duplicates(n) ? 2 : 1); ++copy) {
          ++server_.answers;
          h2_.Write(1, Framed(answer));
        }
      }
    }

    H2Server& server_;
    Link& link_;
    testing::H2TestServer h2_;
    std::set<int32_t> answered_;
    bool scheduled_ = false;
    bool goaway_ = false;
    bool opened_ = false;
    size_t read_ = 0;
  };

  std::unique_ptr<Session> Serve(Link& link) override {
    return std::make_unique<H2Session>(*this, link);
  }

  const bool stream_;
};

// --- The driver against them -----------------------------------------------------------------

struct Load {
  std::string wire;
  int users = 8;  // closed loop
  int connections = 1;
  uint64_t requests = 400;
  int pipeline = 8;
  std::function<void(BenchOptions&)> adjust = {};
};

BenchResult RunLoad(TestServer& server, const Load& load) {
  BenchOptions options;
  options.wire = *ParseWire(load.wire);
  options.target_url = options.wire.wire->family == WireFamily::kGrpc ? "grpc://model.test:8081"
                                                                      : "http://model.test:8080";
  options.model = "m";
  options.features = 2;
  options.concurrency = load.users;
  options.connections = load.connections;
  options.pipeline = load.pipeline;
  options.requests = load.requests;
  options.warmup = std::chrono::nanoseconds(0);
  options.timeout = std::chrono::seconds(10);
  options.progress = false;
  if (load.adjust) load.adjust(options);
  const absl::Status resolved = ResolveOptions(&options);
  EXPECT_TRUE(resolved.ok()) << resolved;
  const Target target = *ParseTarget(options.target_url);
  const RequestBody body = *options.wire.wire->encode_body(PayloadOf(options, target));
  const LoadDriver::Destination destination{
      .endpoint = {},
      .target = target,
      .body = body,
      .make_pipe = [&server](asio::io_context& context, BytePipe::Handler& handler) {
        return std::make_unique<LoopbackPipe>(context, handler, server);
      }};
  LoadDriver::Share share;
  share.connections = *options.connections;
  share.users = options.concurrency;
  share.requests = options.requests;
  share.seed = 11;
  LoadDriver driver(options, share, destination);
  driver.Run(Clock::now());
  return driver.result();
}

// Every request answered once, whatever happened on the way.
void ExpectEachAnsweredOnce(const BenchResult& result, uint64_t requests) {
  EXPECT_EQ(result.requests, requests);
  EXPECT_EQ(result.latency.count(), requests);
  EXPECT_EQ(result.errors, 0u) << ToJson(result);
  EXPECT_THAT(result.errors_by_kind, IsEmpty());
  EXPECT_EQ(result.lost, 0u);
}

TEST(ReconnectTest, HttpConnectionCloseReconnectsAtOnceAndLosesNothing) {
  Http1Server server({.end_every = 25}, "close");
  const BenchResult result =
      RunLoad(server, {.wire = "rest-keepalive", .users = 4, .connections = 4});
  ExpectEachAnsweredOnce(result, 400);
  EXPECT_EQ(server.ends, 16);
  EXPECT_EQ(result.reconnects, server.reconnects(4));
  EXPECT_GE(result.reconnects, 16u - 4);
  EXPECT_EQ(result.resent, 0u);                      // answered, then closed: nothing was in flight
  EXPECT_THAT(result.connection_errors, IsEmpty());  // an orderly end is no error
  EXPECT_EQ(server.answers, 400);
}

TEST(ReconnectTest, ADroppedConnectionsRequestIsSentAgainAndAnsweredOnce) {
  Http1Server server({.end_every = 20}, "reset");
  const BenchResult result =
      RunLoad(server, {.wire = "rest-keepalive", .users = 4, .connections = 4});
  ExpectEachAnsweredOnce(result, 400);
  EXPECT_EQ(server.unanswered, server.ends);
  EXPECT_EQ(result.resent, static_cast<uint64_t>(server.ends));
  EXPECT_EQ(result.reconnects, server.reconnects(4));
  EXPECT_GE(result.reconnects, static_cast<uint64_t>(server.ends - 4));
  EXPECT_EQ(result.connection_errors,
            (std::map<std::string, uint64_t>{{"reset", static_cast<uint64_t>(server.ends)}}));
  EXPECT_EQ(server.answers, 400);  // the server answered each exactly once too
  EXPECT_EQ(server.requests, 400 + server.ends);
}

TEST(ReconnectTest, WithoutResendADroppedConnectionsRequestsAreErrorsOfItsKind) {
  Http1Server server({.end_every = 20}, "reset");
  const BenchResult result = RunLoad(
      server,
      {.wire = "rest-keepalive", .users = 4, .connections = 4, .adjust = [](BenchOptions& options) {
         options.reconnect.resend = false;
       }});
  EXPECT_EQ(result.requests, 380u);
  EXPECT_EQ(result.errors, 20u);
  EXPECT_EQ(result.lost, 20u);
  EXPECT_EQ(result.resent, 0u);
  EXPECT_EQ(result.errors_by_kind, (std::map<std::string, uint64_t>{{"reset", 20}}));
  EXPECT_EQ(result.reconnects, server.reconnects(4));
}

TEST(ReconnectTest, AWebSocketCloseGoingAwayLosesNothingInFlight) {
  for (const char* wire : {"ws", "ws-pipelined"}) {
    SCOPED_TRACE(wire);
    WebSocketServer server({.end_every = 37});
    const BenchResult result = RunLoad(server, {.wire = wire, .users = 8, .connections = 2});
    ExpectEachAnsweredOnce(result, 400);
    ASSERT_GT(server.ends, 8);
    EXPECT_EQ(result.reconnects, server.reconnects(2));
    EXPECT_GE(result.reconnects, static_cast<uint64_t>(server.ends - 2));
    EXPECT_EQ(result.resent, static_cast<uint64_t>(server.unanswered));
    if (std::string_view(wire) == "ws-pipelined") {
      EXPECT_GT(server.unanswered, server.ends);  // several in flight at each Close
    }
    EXPECT_THAT(result.connection_errors, IsEmpty());  // 1001: going away, in order
    EXPECT_EQ(server.answers, 400);
    // The client answered each Close with one of its own, echoing the code.
    EXPECT_EQ(server.close_codes_echoed.size(), static_cast<size_t>(server.ends));
    for (int code : server.close_codes_echoed) EXPECT_EQ(code, 1001);
  }
}

TEST(ReconnectTest, AGoAwayReplacesTheConnectionAndItsRefusedStreamsGoAgain) {
  for (const char* wire : {"h2-multiplexed", "grpc", "grpc-stream"}) {
    SCOPED_TRACE(wire);
    H2Server server({.end_every = 45}, std::string_view(wire) == "grpc-stream");
    const BenchResult result = RunLoad(server, {.wire = wire, .users = 8, .connections = 1});
    ExpectEachAnsweredOnce(result, 400);
    ASSERT_GT(server.ends, 5);
    EXPECT_EQ(result.reconnects, server.reconnects(1));
    EXPECT_GE(result.reconnects, static_cast<uint64_t>(server.ends - 1));
    EXPECT_EQ(result.resent, static_cast<uint64_t>(server.unanswered));
    if (std::string_view(wire) != "grpc") {  // one call at a time: the GOAWAY keeps it
      EXPECT_GT(server.unanswered, 0);
    }
    EXPECT_THAT(result.connection_errors, IsEmpty()) << ToJson(result);
    EXPECT_EQ(server.answers, 400);
    // The next connection opened while the one going away still finished its streams.
    EXPECT_EQ(server.most_open, 2);
  }
}

TEST(ReconnectTest, ADuplicateAnswerIsCountedNeverTakenTwice) {
  // (Not the 400th: the run is over once it is answered, before a second copy could come.)
  WebSocketServer ws_server({.duplicate_every = 7});
  BenchResult result = RunLoad(ws_server, {.wire = "ws-pipelined", .users = 8});
  ExpectEachAnsweredOnce(result, 400);
  EXPECT_EQ(result.duplicates, 57u);
  EXPECT_EQ(ws_server.answers, 457);

  H2Server h2_server({.duplicate_every = 19}, /*grpc_stream=*/true);
  result = RunLoad(h2_server, {.wire = "grpc-stream", .users = 8});
  ExpectEachAnsweredOnce(result, 400);
  EXPECT_EQ(result.duplicates, 21u);
}

TEST(ReconnectTest, RepeatedFailuresBackOffAndTheGapShowsIt) {
  // Each drop is followed by two refused connects: 20 ms, then 32 ms, then 51 ms (± 20%) before
  // the connect that works; the next answer starts the backoff over.
  Http1Server server({.end_every = 50, .refuse_after_end = 2}, "reset");
  const BenchResult result =
      RunLoad(server, {.wire = "rest-keepalive", .users = 1, .requests = 150});
  ExpectEachAnsweredOnce(result, 150);
  EXPECT_EQ(server.ends, 3);
  EXPECT_EQ(server.refused, 6);
  EXPECT_EQ(result.reconnects, 9u);
  EXPECT_EQ(result.connection_errors,
            (std::map<std::string, uint64_t>{{"refused", 6}, {"reset", 3}}));
  ASSERT_EQ(server.end_times.size(), 3u);
  for (Clock::time_point ended : server.end_times) {
    // The connect that worked came after the three delays.
    auto next = std::upper_bound(server.connect_times.begin(), server.connect_times.end(), ended);
    ASSERT_GE(server.connect_times.end() - next, 3);
    EXPECT_GE(next[2] - ended, milliseconds(82));  // (20 + 32 + 51) × 0.8
  }
  EXPECT_GE(result.longest_gap, milliseconds(82));
  EXPECT_LT(result.longest_gap, milliseconds(5000));
}

TEST(ReconnectTest, AnOrderlyEndReconnectsAtOnceAFailureAfterTheBackoff) {
  // A backoff far longer than a reconnect at once takes, even on a busy machine.
  auto slow_backoff = [](BenchOptions& options) {
    options.reconnect.initial = milliseconds(400);
    options.reconnect.jitter = 0;
  };
  for (const char* how : {"close", "reset"}) {
    SCOPED_TRACE(how);
    Http1Server server({.end_every = 5}, how);
    RunLoad(server, {.wire = "rest-keepalive", .users = 1, .requests = 10, .adjust = slow_backoff});
    ASSERT_GE(server.connect_times.size(), 2u);
    for (size_t i = 0; i + 1 < server.connect_times.size(); ++i) {
      const auto waited = server.connect_times[i + 1] - server.end_times[i];
      if (std::string_view(how) == "close") {
        EXPECT_LT(waited, milliseconds(200));
      } else {
        EXPECT_GE(waited, milliseconds(400));
      }
    }
  }
}

TEST(ReconnectTest, AConnectThatHangsIsGivenUpAfterTheConnectTimeout) {
  Http1Server server({.hang_first = true}, "reset");
  const BenchResult result = RunLoad(
      server,
      {.wire = "rest-keepalive", .users = 2, .requests = 20, .adjust = [](BenchOptions& options) {
         options.reconnect.connect_timeout = milliseconds(50);
       }});
  ExpectEachAnsweredOnce(result, 20);
  EXPECT_EQ(result.connection_errors, (std::map<std::string, uint64_t>{{"connect_timeout", 1}}));
  EXPECT_EQ(result.reconnects, 1u);
}

TEST(ReconnectTest, ARequestIsSentAgainAtMostMaxResendsTimesThenLost) {
  // Every request's connection is dropped: each is sent 1 + 2 times, then lost.
  Http1Server server({.end_every = 1}, "reset");
  const BenchResult result = RunLoad(
      server,
      {.wire = "rest-keepalive", .users = 1, .requests = 4, .adjust = [](BenchOptions& options) {
         options.reconnect.max_resends = 2;
         options.reconnect.max = milliseconds(40);
       }});
  EXPECT_EQ(result.requests, 0u);
  EXPECT_EQ(result.errors_by_kind, (std::map<std::string, uint64_t>{{"lost", 4}}));
  EXPECT_EQ(result.lost, 4u);
  EXPECT_EQ(result.resent, 8u);
  EXPECT_EQ(server.requests, 12);
}

TEST(ReconnectTest, RestSendsARefusedRequestAgainOnANewConnection) {
  // rest opens a connection per request: after each answered request the next connect is
  // refused once; the request goes again after its backoff on a connection of its own.
  Http1Server server({.end_every = 1, .refuse_after_end = 1}, "close");
  const BenchResult result = RunLoad(server, {.wire = "rest", .users = 2, .requests = 30});
  ExpectEachAnsweredOnce(result, 30);
  EXPECT_EQ(result.resent, static_cast<uint64_t>(server.refused));
  EXPECT_GT(server.refused, 10);
  EXPECT_EQ(result.connection_errors,
            (std::map<std::string, uint64_t>{{"refused", static_cast<uint64_t>(server.refused)}}));
  EXPECT_EQ(result.reconnects, 0u);  // a rest request's connection is its own, never reopened
}

TEST(ReconnectTest, TheCountsShowInTextAndJsonAndAddUpAcrossRounds) {
  BenchResult round;
  round.reconnects = 3;
  round.resent = 5;
  round.lost = 1;
  round.duplicates = 2;
  round.longest_gap = milliseconds(250);
  BenchResult total;
  MergeResults(round, &total);
  round.longest_gap = milliseconds(40);
  MergeResults(round, &total);
  EXPECT_EQ(total.reconnects, 6u);
  EXPECT_EQ(total.resent, 10u);
  EXPECT_EQ(total.lost, 2u);
  EXPECT_EQ(total.duplicates, 4u);
  EXPECT_EQ(total.longest_gap, milliseconds(250));  // the longest of the rounds'

  EXPECT_THAT(FormatTable(total),
              HasSubstr("reconnects 6  resent 10  lost 2  duplicates 4  longest gap without an "
                        "answer 250.0 ms"));
  boost::system::error_code error;
  const boost::json::value json = boost::json::parse(ToJson(total), error);
  ASSERT_FALSE(error);
  EXPECT_EQ(json.at("reconnects").as_int64(), 6);
  EXPECT_EQ(json.at("resent").as_int64(), 10);
  EXPECT_EQ(json.at("lost").as_int64(), 2);
  EXPECT_EQ(json.at("duplicates").as_int64(), 4);
  EXPECT_DOUBLE_EQ(json.at("longest_gap_us").as_double(), 250000);
  EXPECT_TRUE(json.at("resend").as_bool());
  EXPECT_EQ(json.at("max_resends").as_int64(), 3);
  EXPECT_DOUBLE_EQ(json.at("backoff").at("initial_us").as_double(), 20000);
  EXPECT_DOUBLE_EQ(json.at("backoff").at("multiplier").as_double(), 1.6);
  EXPECT_DOUBLE_EQ(json.at("backoff").at("connect_timeout_us").as_double(), 1e6);
  EXPECT_THAT(CsvHeader(), HasSubstr(",reconnects,resent,lost,duplicates,longest_gap_us\n"));
  EXPECT_THAT(ToCsvRow(total), HasSubstr(",6,10,2,4,250000.000\n"));
}

TEST(ReconnectTest, BadReconnectOptionsAreRefusedClearly) {
  auto resolved = [](std::function<void(ReconnectOptions&)> change) {
    BenchOptions options;
    options.target_url = "http://model.test:8080";
    change(options.reconnect);
    return ResolveOptions(&options);
  };
  EXPECT_TRUE(resolved([](ReconnectOptions&) {}).ok());
  EXPECT_FALSE(resolved([](ReconnectOptions& r) { r.initial = milliseconds(0); }).ok());
  EXPECT_FALSE(resolved([](ReconnectOptions& r) { r.max = milliseconds(5); }).ok());
  EXPECT_FALSE(resolved([](ReconnectOptions& r) { r.multiplier = 0.5; }).ok());
  EXPECT_FALSE(resolved([](ReconnectOptions& r) { r.jitter = 1; }).ok());
  EXPECT_FALSE(resolved([](ReconnectOptions& r) { r.connect_timeout = milliseconds(0); }).ok());
  EXPECT_FALSE(resolved([](ReconnectOptions& r) { r.max_resends = kMaxResends + 1; }).ok());
}

}  // namespace
}  // namespace predictwire::loadgen
