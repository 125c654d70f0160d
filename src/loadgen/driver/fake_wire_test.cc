// A wire that is not in the table, run through bench end to end: a row and a connection class
// are all a wire needs. The fake speaks a line protocol ("<id>\n" answered by "<id>\n") to an
// echo server of this test's own, over the shared ClientPipe.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <thread>

#include "loadgen/client/client_pipe.h"
#include "loadgen/client/wire_connection.h"
#include "loadgen/driver/bench.h"
#include "loadgen/driver/bench_output.h"

namespace predictwire::loadgen {
namespace {

// Echoes every byte back on each connection it accepts, one thread per connection.
class LineEchoServer {
 public:
  LineEchoServer() {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    listen(listener_, 16);
    socklen_t length = sizeof(address);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] {
      while (true) {
        const int fd = accept(listener_, nullptr, nullptr);
        if (fd < 0) return;
        ++accepted_;
        std::thread([fd] {
          char buffer[4096];
          ssize_t n;
          while ((n = read(fd, buffer, sizeof(buffer))) > 0) {
            if (write(fd, buffer, n) != n) break;
          }
          close(fd);
        }).detach();
      }
    });
  }
  ~LineEchoServer() {
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    acceptor_.join();
  }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
};

class LineConnection : public WireConnection, private ClientPipe::Handler {
 public:
  explicit LineConnection(const ConnectionSetup& setup)
      : body_(setup.body),
        listener_(setup.listener),
        pipe_(setup.context, setup.endpoint, setup.tls, *this) {}

  void Connect() override {
    if (pipe_.closed()) pipe_.Open();
  }
  bool CanSend() const override { return pipe_.open() && !in_flight_; }
  void Send(uint64_t tag) override {
    in_flight_ = true;
    body_.Append(tag, &pipe_.output());
    pipe_.Flush();
  }
  void Abandon(uint64_t) override {
    Close();
    pipe_.Open();
  }
  void Close() override {
    pipe_.Close();
    in_flight_ = false;
  }

 private:
  void OnPipeOpen() override {
    listener_.OnConnected(*this, pipe_.SinceOpenStarted());
    listener_.OnReady(*this);
  }
  size_t OnPipeInput(char* data, size_t size) override {
    const std::string_view input(data, size);
    const size_t newline = input.find('\n');  // one request at a time: one line at most
    if (newline == std::string_view::npos) return 0;
    ReplyInfo reply;
    reply.has_id = std::from_chars(data, data + newline, reply.id).ec == std::errc();
    in_flight_ = false;
    listener_.OnReply(*this, reply.id, reply);
    if (CanSend()) listener_.OnReady(*this);
    return newline + 1;
  }
  void OnPipeFailed(std::string_view kind) override {
    std::vector<uint64_t> lost;
    in_flight_ = false;
    listener_.OnFailed(*this, kind, lost);
  }

  const RequestBody& body_;
  ConnectionListener& listener_;
  ClientPipe pipe_;
  bool in_flight_ = false;
};

absl::StatusOr<RequestBody> LineBody(const PayloadOptions&) {
  return RequestBody("", "", "\n", RequestBody::IdSlot::kJsonNumber);
}

std::unique_ptr<WireConnection> MakeLineConnection(const ConnectionSetup& setup) {
  return std::make_unique<LineConnection>(setup);
}

constexpr Wire kLineWire = {.name = "line-echo",
                            .family = WireFamily::kHttp1,
                            .help = "a test's line protocol",
                            .route = {.scheme = "http", .port_key = "http", .alpn = "http/1.1"},
                            .encode_body = LineBody,
                            .make_connection = MakeLineConnection};

TEST(FakeWireTest, BenchRunsAWireFromItsRowAlone) {
  LineEchoServer server;
  BenchOptions options;
  options.wire = {&kLineWire, false};
  options.target_url = "http://127.0.0.1:" + std::to_string(server.port());
  options.concurrency = 3;  // three connections, one request at a time each
  options.requests = 300;
  options.warmup = std::chrono::nanoseconds(0);
  options.progress = false;
  absl::StatusOr<BenchResult> result = RunBench(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->requests, 300u);
  EXPECT_EQ(result->errors, 0u);
  EXPECT_EQ(result->latency.count(), 300u);
  EXPECT_EQ(result->connections, 3);
  EXPECT_EQ(result->connect.count(), 3u);
  EXPECT_EQ(server.accepted(), 3);
  EXPECT_THAT(FormatTable(*result), ::testing::HasSubstr("wire line-echo"));
  EXPECT_THAT(ToJson(*result), ::testing::HasSubstr(R"("wire": "line-echo")"));
}

}  // namespace
}  // namespace predictwire::loadgen
