#include "transport/common/cors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "transport/common/rest_router.h"

namespace predictwire::transport {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(CorsPolicyTest, AllowsNothingByDefault) {
  const CorsPolicy policy;
  EXPECT_FALSE(policy.enabled());
  EXPECT_FALSE(policy.Allows("http://localhost:3000"));
  EXPECT_FALSE(policy.Allows(""));
}

TEST(CorsPolicyTest, AllowsListedOriginsOnly) {
  const CorsPolicy policy = *CorsPolicy::Create({"http://localhost:3000", "https://App.Example"});
  EXPECT_TRUE(policy.enabled());
  EXPECT_TRUE(policy.Allows("http://localhost:3000"));
  EXPECT_TRUE(policy.Allows("https://app.example"));  // scheme and host in any case
  EXPECT_FALSE(policy.Allows("http://localhost:3001"));
  EXPECT_FALSE(policy.Allows("https://localhost:3000"));
  EXPECT_FALSE(policy.Allows("http://app.example"));
  EXPECT_FALSE(policy.Allows("null"));
  EXPECT_FALSE(policy.Allows(""));
}

TEST(CorsPolicyTest, StarAllowsAnyOriginThatIsSent) {
  const CorsPolicy policy = *CorsPolicy::Create({"*"});
  EXPECT_TRUE(policy.Allows("http://anything.example:81"));
  EXPECT_TRUE(policy.Allows("null"));
  EXPECT_FALSE(policy.Allows(""));  // no Origin: not a browser's cross-origin request
}

TEST(CorsPolicyTest, RefusesWhatIsNotAnOrigin) {
  for (const char* bad : {"localhost:3000", "http://", "http://host/", "http://host/path",
                          "ftp://host", "http://host:port", "http://host:70000", "*.example"}) {
    const absl::StatusOr<CorsPolicy> policy = CorsPolicy::Create({bad});
    ASSERT_FALSE(policy.ok()) << bad;
    EXPECT_THAT(policy.status().message(), HasSubstr(bad));
  }
  EXPECT_TRUE(CorsPolicy::Create({"http://[::1]:8000", "null"}).ok());
}

TEST(CorsPolicyTest, WebSocketsFromTheServersOwnPagesAndAllowedOrigins) {
  const CorsPolicy none;
  EXPECT_TRUE(none.AcceptsWebSocket("", "127.0.0.1:8000"));  // no Origin: not a browser
  EXPECT_TRUE(none.AcceptsWebSocket("http://127.0.0.1:8000", "127.0.0.1:8000"));
  EXPECT_TRUE(none.AcceptsWebSocket("https://Example.org", "example.org:443"));
  EXPECT_FALSE(none.AcceptsWebSocket("http://evil.example", "127.0.0.1:8000"));
  EXPECT_FALSE(none.AcceptsWebSocket("http://localhost:8000", "127.0.0.1:8000"));
  EXPECT_FALSE(none.AcceptsWebSocket("null", "127.0.0.1:8000"));
  const CorsPolicy some = *CorsPolicy::Create({"http://localhost:3000"});
  EXPECT_TRUE(some.AcceptsWebSocket("http://localhost:3000", "127.0.0.1:8000"));
  EXPECT_FALSE(some.AcceptsWebSocket("http://localhost:3001", "127.0.0.1:8000"));
}

TEST(CorsPolicyTest, OriginIsHostCountsDefaultPorts) {
  EXPECT_TRUE(OriginIsHost("http://example.org", "example.org"));
  EXPECT_TRUE(OriginIsHost("http://example.org", "example.org:80"));
  EXPECT_TRUE(OriginIsHost("http://example.org:80", "example.org"));
  EXPECT_FALSE(OriginIsHost("http://example.org", "example.org:443"));
  EXPECT_TRUE(OriginIsHost("https://example.org", "example.org:443"));
  EXPECT_TRUE(OriginIsHost("http://[::1]:8000", "[::1]:8000"));
  EXPECT_FALSE(OriginIsHost("http://[::1]:8000", "[::1]:8001"));
  EXPECT_FALSE(OriginIsHost("http://example.org", ""));
  EXPECT_FALSE(OriginIsHost("http://example.org.evil", "example.org"));
}

TEST(CorsPolicyTest, AnswerAndPreflightHeaders) {
  std::vector<HeaderField> answer;
  CorsPolicy::AppendAnswerHeaders("http://localhost:3000", &answer);
  EXPECT_THAT(answer,
              Contains(HeaderField{"access-control-allow-origin", "http://localhost:3000"}));
  EXPECT_THAT(answer, Contains(HeaderField{"timing-allow-origin", "http://localhost:3000"}));
  EXPECT_THAT(answer, Contains(HeaderField{"access-control-expose-headers",
                                           "server-timing, inference-header-content-length"}));
  EXPECT_THAT(answer, Contains(HeaderField{"vary", "origin"}));

  std::vector<HeaderField> preflight;
  CorsPolicy::AppendPreflightHeaders("http://localhost:3000", "POST", &preflight);
  EXPECT_THAT(preflight,
              Contains(HeaderField{"access-control-allow-origin", "http://localhost:3000"}));
  EXPECT_THAT(preflight, Contains(HeaderField{"access-control-allow-methods", "POST"}));
  EXPECT_THAT(preflight, Contains(HeaderField{"access-control-allow-headers",
                                              "content-type, inference-header-content-length"}));
  EXPECT_THAT(preflight, Contains(HeaderField{"access-control-max-age", "600"}));
  EXPECT_THAT(preflight, Contains(HeaderField{"vary", "origin"}));
  // With the page's own three headers, within what a reply may carry.
  EXPECT_LE(preflight.size() + 3, RestReply::kMaxHeaders);
  EXPECT_LE(answer.size() + 3, RestReply::kMaxHeaders);
}

}  // namespace
}  // namespace predictwire::transport
