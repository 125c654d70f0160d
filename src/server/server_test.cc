#include "server/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace predictwire::server {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(ParseHostPortTest, AcceptsHostsAndPorts) {
  std::string host;
  uint16_t port = 1;
  ASSERT_TRUE(ParseHostPort("127.0.0.1:0", &host, &port).ok());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(ParseHostPort("[::1]:8000", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 8000);
  for (const char* bad : {"8000", "host:", "host:99999", "host:80x"}) {
    EXPECT_FALSE(ParseHostPort(bad, &host, &port).ok()) << bad;
  }
}

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
  EXPECT_THAT((*server)->Describe(), HasSubstr("instant (predictwire_sleep, any features, default)"));
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
