#include "transport/common/ready_line.h"

#include <gtest/gtest.h>

namespace predictwire::transport {
namespace {

TEST(ReadyLineTest, FormatsAndParsesEveryAddress) {
  const std::string line = FormatReadyLine({{"http", "127.0.0.1:8000"}, {"https", "[::1]:8443"}});
  EXPECT_EQ(line, "predictwire: listening http=127.0.0.1:8000 https=[::1]:8443");
  const auto addresses = ParseReadyLine(line);
  ASSERT_EQ(addresses.size(), 2u);
  EXPECT_EQ(addresses.at("http"), "127.0.0.1:8000");
  EXPECT_EQ(addresses.at("https"), "[::1]:8443");
}

TEST(ReadyLineTest, ReadsOtherPrefixesAndIgnoresWhatIsNotKeyValue) {
  const auto peer = ParseReadyLine("peer: listening ws=127.0.0.1:9 note =x", "peer: listening");
  ASSERT_EQ(peer.size(), 1u);
  EXPECT_EQ(peer.at("ws"), "127.0.0.1:9");
  EXPECT_TRUE(ParseReadyLine("something else http=1.2.3.4:5").empty());
}

}  // namespace
}  // namespace predictwire::transport
