#include "transport/http2/preface.h"

#include <gtest/gtest.h>

#include <string>

namespace predictwire::transport::http2 {
namespace {

TEST(MatchClientPrefaceTest, WholePrefaceIsHttp2) {
  EXPECT_EQ(MatchClientPreface(kClientPreface), PrefaceMatch::kHttp2);
  EXPECT_EQ(MatchClientPreface(std::string(kClientPreface) + "\x00\x00\x12\x04"),
            PrefaceMatch::kHttp2);
}

TEST(MatchClientPrefaceTest, PrefaceInPiecesWaitsForMore) {
  EXPECT_EQ(MatchClientPreface(""), PrefaceMatch::kNeedMore);
  for (size_t length = 1; length < kClientPreface.size(); ++length) {
    EXPECT_EQ(MatchClientPreface(kClientPreface.substr(0, length)), PrefaceMatch::kNeedMore)
        << length;
  }
}

TEST(MatchClientPrefaceTest, Http1RequestsAreNotHttp2) {
  EXPECT_EQ(MatchClientPreface("GET / HTTP/1.1\r\n"), PrefaceMatch::kNotHttp2);
  EXPECT_EQ(MatchClientPreface("POST /predict HTTP/1.1\r\n"), PrefaceMatch::kNotHttp2);
  EXPECT_EQ(MatchClientPreface("PUT"), PrefaceMatch::kNotHttp2);
  EXPECT_EQ(MatchClientPreface("G"), PrefaceMatch::kNotHttp2);
}

TEST(MatchClientPrefaceTest, GarbledPrefaceIsNotHttp2) {
  EXPECT_EQ(MatchClientPreface("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"), PrefaceMatch::kNotHttp2);
  EXPECT_EQ(MatchClientPreface("PRI * HTTP/1.1\r\n"), PrefaceMatch::kNotHttp2);
  EXPECT_EQ(MatchClientPreface("PRI * HTTP/2.0\r\n\r\nSM\r\n\r"), PrefaceMatch::kNeedMore);
}

}  // namespace
}  // namespace predictwire::transport::http2
