#include "server/server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "transport/common/tls.h"

namespace predictwire::server {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(ServerTest, StartsOnPortZeroAndStops) {
  ServerOptions options;
  options.http_address = "127.0.0.1:0";
  options.grpc_address = "127.0.0.1:0";
  options.models = {"instant=sleep:0"};
  auto server = Server::Create(options);
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->Start();
  EXPECT_THAT((*server)->ReadyLine(),
              MatchesRegex("predictwire: listening http=127\\.0\\.0\\.1:[1-9][0-9]* "
                           "grpc=127\\.0\\.0\\.1:[1-9][0-9]*"));
  EXPECT_THAT((*server)->Describe(),
              HasSubstr("instant (predictwire_sleep, any features, default)"));
  (*server)->Shutdown();
}

TEST(ServerTest, GrpcCanBeTurnedOffAndABusyGrpcPortIsAnError) {
  ServerOptions options;
  options.http_address = "127.0.0.1:0";
  options.grpc_address = "";
  options.models = {"instant=sleep:0"};
  auto plain = Server::Create(options);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_THAT((*plain)->ReadyLine(),
              MatchesRegex("predictwire: listening http=127\\.0\\.0\\.1:[1-9][0-9]*"));

  options.grpc_address = "127.0.0.1:0";
  auto first = Server::Create(options);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string line = (*first)->ReadyLine();
  options.grpc_address = line.substr(line.find("grpc=") + 5);
  EXPECT_THAT(Server::Create(options).status().message(), HasSubstr("(for gRPC)"));
}

// Whether a TCP connection to 127.0.0.1:`port` is accepted.
bool Accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return connected;
}

// A throwaway certificate for the TLS ports, removed with the test.
class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(directory_);
    ASSERT_TRUE(transport::WriteSelfSignedCertificate(certificate_, key_).ok());
    options_.models = {"instant=sleep:0"};
    options_.tls_certificate_file = certificate_;
    options_.tls_private_key_file = key_;
    for (std::string* address : {&options_.http_address, &options_.grpc_address,
                                 &options_.https_address, &options_.grpcs_address}) {
      *address = "127.0.0.1:0";
    }
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  const std::filesystem::path directory_ =
      std::filesystem::temp_directory_path() /
      ("predictwire_server_test_" + std::to_string(::getpid()));
  const std::string certificate_ = (directory_ / "cert.pem").string();
  const std::string key_ = (directory_ / "key.pem").string();
  ServerOptions options_;
};

TEST_F(TlsServerTest, EveryPortOpensListsInTheReadyLineAndStops) {
  options_.tcp_echo_address = "127.0.0.1:0";
  auto server = Server::Create(options_);
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->Start();
  const std::string line = (*server)->ReadyLine();
  const std::regex expected(
      "predictwire: listening http=127\\.0\\.0\\.1:([0-9]+) grpc=127\\.0\\.0\\.1:([0-9]+) "
      "https=127\\.0\\.0\\.1:([0-9]+) grpcs=127\\.0\\.0\\.1:([0-9]+) "
      "tcp-echo=127\\.0\\.0\\.1:([0-9]+)");
  std::smatch ports;
  ASSERT_TRUE(std::regex_match(line, ports, expected)) << line;
  for (size_t i = 1; i < ports.size(); ++i) {
    EXPECT_TRUE(Accepts(std::stoi(ports[i]))) << ports[i];
  }
  (*server)->Shutdown();
  for (size_t i = 1; i < ports.size(); ++i) {
    EXPECT_FALSE(Accepts(std::stoi(ports[i]))) << ports[i];
  }
}

TEST_F(TlsServerTest, TheTlsGrpcPortNeedsGrpcAndTheEchoKeepsItsHostAsWritten) {
  options_.grpc_address = "";
  options_.tcp_echo_address = ":0";
  auto server = Server::Create(options_);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_THAT((*server)->ReadyLine(),
              MatchesRegex("predictwire: listening http=127\\.0\\.0\\.1:[0-9]+ "
                           "https=127\\.0\\.0\\.1:[0-9]+ tcp-echo=:[0-9]+"));
}

TEST_F(TlsServerTest, TlsNeedsBothFilesAndABusyTlsPortIsNamed) {
  ServerOptions no_key = options_;
  no_key.tls_private_key_file = "";
  EXPECT_THAT(Server::Create(no_key).status().message(),
              HasSubstr("both --tls-cert and --tls-key"));

  auto first = Server::Create(options_);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string line = (*first)->ReadyLine();
  ServerOptions busy = options_;
  const size_t https = line.find("https=") + 6;
  busy.https_address = line.substr(https, line.find(' ', https) - https);
  EXPECT_THAT(Server::Create(busy).status().message(), HasSubstr("(for HTTPS)"));
}

TEST(ServerTest, ReportsBadConfiguration) {
  ServerOptions options;
  options.http_address = "127.0.0.1:0";
  options.models = {"x=warp:1ms"};
  EXPECT_THAT(Server::Create(options).status().message(), HasSubstr("model 'x'"));
  options.models = {"x=sleep:0"};
  options.default_model = "y";
  EXPECT_THAT(Server::Create(options).status().message(), HasSubstr("'y'"));
  options.default_model = "";
  options.http_address = "256.0.0.1:0";
  EXPECT_THAT(Server::Create(options).status().message(), HasSubstr("not an IP address"));
}

TEST(ServerOptionsTest, MembersHoldTheRealDefaults) {
  const ServerOptions options;
  EXPECT_GE(options.io_threads, 1);
  EXPECT_EQ(options.max_body_bytes, transport::kDefaultMaxBodyBytes);
  EXPECT_EQ(options.http_idle_timeout, transport::kHttpIdleTimeout);
  EXPECT_EQ(options.websocket_idle_timeout, transport::kWebSocketIdleTimeout);
}

TEST(ServerTest, ZeroIsNotADefaultButAnError) {
  ServerOptions options;
  options.http_address = "127.0.0.1:0";
  options.grpc_address = "";
  options.models = {"instant=sleep:0"};
  ServerOptions no_threads = options;
  no_threads.io_threads = 0;
  EXPECT_THAT(Server::Create(no_threads).status().message(), HasSubstr("IO thread"));
  ServerOptions no_body = options;
  no_body.max_body_bytes = 0;
  EXPECT_THAT(Server::Create(no_body).status().message(), HasSubstr("body limit"));
  ServerOptions no_idle = options;
  no_idle.websocket_idle_timeout = std::chrono::seconds(0);
  EXPECT_THAT(Server::Create(no_idle).status().message(), HasSubstr("idle timeouts"));
  ServerOptions no_write_time = options;
  no_write_time.write_timeout = std::chrono::seconds(0);
  EXPECT_THAT(Server::Create(no_write_time).status().message(), HasSubstr("write timeouts"));
  ServerOptions no_connections = options;
  no_connections.max_connections = 0;
  EXPECT_THAT(Server::Create(no_connections).status().message(), HasSubstr("connection limit"));
  ServerOptions no_memory = options;
  no_memory.max_memory_bytes = 0;
  EXPECT_THAT(Server::Create(no_memory).status().message(), HasSubstr("memory budget"));
}

}  // namespace
}  // namespace predictwire::server
