#include "loadgen/client/wire.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace predictwire::loadgen {
namespace {

using ::testing::HasSubstr;

TEST(WireTest, NamesRoundTrip) {
  for (const std::string& name : AllWireNames()) {
    auto wire = ParseWire(name);
    ASSERT_TRUE(wire.ok()) << name;
    EXPECT_EQ(WireLabel(*wire), name);
    EXPECT_EQ(wire->tls, name.ends_with("+tls"));
  }
  // Every wire but the raw floors runs over TLS too.
  size_t floors = 0;
  for (const Wire& wire : Wires()) floors += wire.floor;
  EXPECT_EQ(floors, 2u);
  EXPECT_EQ(AllWireNames().size(), 2 * WireNames().size() - floors);
  EXPECT_FALSE(ParseWire("tcp+tls").ok());
  EXPECT_EQ(CandidateWireNames().size(), WireNames().size() - floors);
  EXPECT_TRUE(ParseWire("h2+tls")->tls);
  EXPECT_THAT(ParseWire("carrier-pigeon").status().message(), HasSubstr("rest-keepalive"));
  EXPECT_FALSE(ParseWire("+tls").ok());
  EXPECT_EQ(DefaultWire().name, "rest-keepalive");
  EXPECT_EQ(WireSpec().wire, &DefaultWire());
}

TEST(WireTest, EveryRowIsComplete) {
  std::set<std::string_view> names;
  for (const Wire& wire : Wires()) {
    EXPECT_TRUE(names.insert(wire.name).second) << "duplicate " << wire.name;
    EXPECT_FALSE(wire.help.empty()) << wire.name;
    EXPECT_FALSE(wire.route.scheme.empty()) << wire.name;
    EXPECT_FALSE(wire.route.port_key.empty()) << wire.name;
    EXPECT_EQ(wire.route.alpn.empty(), wire.route.tls_port_key.empty()) << wire.name;
    EXPECT_NE(wire.encode_body, nullptr) << wire.name;
    EXPECT_NE(wire.make_connection, nullptr) << wire.name;
    EXPECT_FALSE(wire.new_connection_per_request && wire.multiplexes) << wire.name;
    EXPECT_EQ(wire.Depth(8), wire.multiplexes ? 8 : 1) << wire.name;
  }
}

TEST(WireTest, ParsesTargets) {
  auto plain = ParseTarget("http://127.0.0.1:8000");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 8000);
  EXPECT_EQ(plain->path, "");
  EXPECT_EQ(plain->port_key, "http");
  auto with_path = ParseTarget("ws://localhost:5001/");
  ASSERT_TRUE(with_path.ok());
  EXPECT_EQ(with_path->path, "/");
  EXPECT_EQ(with_path->port_key, "http");
  auto v6 = ParseTarget("http://[::1]:9000/predict");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9000);
  EXPECT_EQ(v6->path, "/predict");
  auto secure = ParseTarget("https://127.0.0.1");
  ASSERT_TRUE(secure.ok());
  EXPECT_TRUE(secure->tls);
  EXPECT_EQ(secure->port, 443);
  EXPECT_EQ(secure->port_key, "https");
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(ParseTarget("wss://127.0.0.1:8443/ws")->port_key, "https");
  EXPECT_EQ(ParseTarget("grpcs://127.0.0.1:8444")->port_key, "grpcs");
  EXPECT_EQ(ParseTarget("grpc://127.0.0.1:8001")->port_key, "grpc");
  EXPECT_FALSE(ParseTarget("grpc://127.0.0.1:8001")->tls);
  for (const char* bad :
       {"127.0.0.1:8000", "ftp://x:1", "http://:80", "http://x:0", "http://x:y"}) {
    EXPECT_FALSE(ParseTarget(bad).ok()) << bad;
  }
  EXPECT_THAT(ParseTarget("ftp://x:1").status().message(), HasSubstr("grpcs://"));
}

TEST(WireTest, ReadsTheServersReadyLine) {
  const ServerAddresses server = ParseReadyLine(
      "predictwire: listening http=127.0.0.1:41000 grpc=127.0.0.1:41001 https=[::1]:41002");
  EXPECT_EQ(server.by_key.at("http"), "127.0.0.1:41000");
  EXPECT_EQ(server.by_key.at("grpc"), "127.0.0.1:41001");
  EXPECT_EQ(server.by_key.at("https"), "[::1]:41002");
  EXPECT_EQ(server.by_key.count("grpcs"), 0u);
  EXPECT_EQ(server.by_key.count("predictwire:"), 0u);
}

// Every wire of the table, plain and over TLS, gets a URL that goes to its own port, with a
// scheme that parses back to that port and fits the wire.
TEST(WireTest, EveryWireGetsAUrlToItsOwnPort) {
  const ServerAddresses server = ParseReadyLine(
      "predictwire: listening http=127.0.0.1:1 grpc=127.0.0.1:2 "
      "https=127.0.0.1:3 grpcs=127.0.0.1:4 tcp-echo=127.0.0.1:5");
  for (const std::string& name : AllWireNames()) {
    const WireSpec spec = *ParseWire(name);
    absl::StatusOr<std::string> url = WireUrl(spec, server);
    ASSERT_TRUE(url.ok()) << name << ": " << url.status();
    absl::StatusOr<Target> target = ParseTarget(*url);
    ASSERT_TRUE(target.ok()) << *url;
    const std::string_view key = spec.port_key();
    EXPECT_EQ(target->port_key, key) << *url;
    EXPECT_EQ(target->port, server.by_key.at(std::string(key)).back() - '0') << *url;
    EXPECT_EQ(target->tls, spec.tls) << *url;
    EXPECT_TRUE(CheckTargetFits(spec, *target).ok()) << name << " " << *url;
  }
  EXPECT_EQ(*WireUrl(*ParseWire("ws"), {.by_key = {{"http", "127.0.0.1:5"}}, .path = "/"}),
            "ws://127.0.0.1:5/");
}

TEST(WireTest, AServerWithoutTheWiresPortIsAClearError) {
  const ServerAddresses http_only = ParseReadyLine("predictwire: listening http=127.0.0.1:1");
  absl::StatusOr<std::string> url = WireUrl(*ParseWire("grpc"), http_only);
  ASSERT_FALSE(url.ok());
  EXPECT_THAT(url.status().message(), HasSubstr("grpc port"));
  EXPECT_FALSE(WireUrl(*ParseWire("ws+tls"), http_only).ok());
  // A target on another port than the wire's.
  absl::Status misfit = CheckTargetFits(*ParseWire("grpc"), *ParseTarget("http://127.0.0.1:1"));
  EXPECT_THAT(misfit.message(), HasSubstr("grpc://"));
  EXPECT_FALSE(CheckTargetFits(*ParseWire("rest"), *ParseTarget("grpcs://127.0.0.1:1")).ok());
  EXPECT_TRUE(CheckTargetFits(*ParseWire("grpc+tls"), *ParseTarget("grpc://127.0.0.1:1")).ok());
  EXPECT_TRUE(CheckTargetFits(*ParseWire("ws"), *ParseTarget("http://127.0.0.1:1")).ok());
}

TEST(WireTest, DefaultAddressesAreServesDefaults) {
  const ServerAddresses server = DefaultServerAddresses();
  EXPECT_EQ(*WireUrl(*ParseWire("rest"), server), "http://127.0.0.1:8000");
  EXPECT_EQ(*WireUrl(*ParseWire("grpc"), server), "grpc://127.0.0.1:8001");
  EXPECT_EQ(*WireUrl(*ParseWire("ws+tls"), server), "wss://127.0.0.1:8443");
  EXPECT_EQ(*WireUrl(*ParseWire("grpc-stream+tls"), server), "grpcs://127.0.0.1:8444");
}

}  // namespace
}  // namespace predictwire::loadgen
