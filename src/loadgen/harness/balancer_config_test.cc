#include "loadgen/harness/balancer_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace predictwire::loadgen {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(BalancerConfigTest, RepeatsBackendLinesAndFillsTheRest) {
  const auto text = RenderBalancerConfig(
      "bind ${LISTEN}\n"
      "server ${BACKEND_NAME} ${BACKEND_ADDRESS} track http/${BACKEND_NAME}\n"
      "timeout ${STREAM_TIMEOUT}\n"
      "set $connection_upgrade ${RUN_DIR}/x",  // nginx's own $variables stay as they are
      {"127.0.0.1:1001", "127.0.0.1:1002"}, {{"LISTEN", "127.0.0.1:9"}, {"RUN_DIR", "/tmp/r"}});
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text,
            "bind 127.0.0.1:9\n"
            "server b1 127.0.0.1:1001 track http/b1\n"
            "server b2 127.0.0.1:1002 track http/b2\n"
            "timeout 75s\n"  // render.py's default
            "set $connection_upgrade /tmp/r/x");
}

TEST(BalancerConfigTest, RefusesAPlaceholderWithoutValueAndAValueWithoutPlaceholder) {
  const auto missing = RenderBalancerConfig("x ${NOT_A_DEFAULT}\n", {"h:1"}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("${NOT_A_DEFAULT}"));
  const auto unused = RenderBalancerConfig("bind ${LISTEN}\n", {"h:1"}, {{"LISTN", "x"}});
  ASSERT_FALSE(unused.ok());
  EXPECT_THAT(unused.status().message(), HasSubstr("LISTN"));
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The templates of deploy/ render for three backends with what the fleet sets, as render.py
// renders them for tests/e2e/support/fleet.py.
TEST(BalancerConfigTest, RendersTheDeployTemplates) {
  const std::string haproxy = ReadFile(PREDICTWIRE_DEPLOY_DIR "/haproxy/haproxy.cfg");
  ASSERT_FALSE(haproxy.empty());
  const std::vector<std::string> backends = {"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"};
  const auto rendered = RenderBalancerConfig(
      haproxy, backends,
      {{"RUN_DIR", "/tmp/r"}, {"LISTEN", "127.0.0.1:5"}, {"CHECK_INTERVAL", "200ms"}});
  ASSERT_TRUE(rendered.ok()) << rendered.status();
  EXPECT_THAT(*rendered, Not(ContainsRegex(R"(\$\{[A-Z])")));  // "${...}" in a comment stays
  EXPECT_THAT(*rendered, HasSubstr("    server b3 127.0.0.1:3\n"));
  EXPECT_THAT(*rendered, HasSubstr("server b2 127.0.0.1:2 proto h2 track predictwire_http/b2\n"));
  EXPECT_THAT(*rendered, HasSubstr("inter 200ms"));

  const std::string nginx = ReadFile(PREDICTWIRE_DEPLOY_DIR "/nginx/nginx.conf");
  ASSERT_FALSE(nginx.empty());
  const auto nginx_rendered = RenderBalancerConfig(
      nginx, backends,
      {{"RUN_DIR", "/tmp/r"}, {"LISTEN", "127.0.0.1:5"}, {"LISTEN_H2C", "127.0.0.1:6"}});
  ASSERT_TRUE(nginx_rendered.ok()) << nginx_rendered.status();
  EXPECT_THAT(*nginx_rendered, Not(ContainsRegex(R"(\$\{[A-Z])")));
  EXPECT_THAT(*nginx_rendered, HasSubstr("listen 127.0.0.1:6 http2;"));
  EXPECT_THAT(*nginx_rendered, HasSubstr("server 127.0.0.1:3 max_fails"));
}

}  // namespace
}  // namespace predictwire::loadgen
