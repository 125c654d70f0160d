#include "os/host_port.h"

#include <gtest/gtest.h>

namespace predictwire::os {
namespace {

TEST(HostPortTest, ParsesIpv4Ipv6AndNames) {
  EXPECT_EQ(ParseHostPort("127.0.0.1:8000")->host, "127.0.0.1");
  EXPECT_EQ(ParseHostPort("127.0.0.1:8000")->port, 8000);
  EXPECT_EQ(ParseHostPort("[::1]:0")->host, "::1");
  EXPECT_EQ(ParseHostPort("[::1]:0")->port, 0);
  EXPECT_EQ(ParseHostPort("localhost:65535")->port, 65535);
  EXPECT_EQ(ParseHostPort(":8000")->host, "");
  // Unbracketed IPv6, as flags have always taken it: the port follows the last colon.
  EXPECT_EQ(ParseHostPort("::1:9000")->host, "::1");
}

TEST(HostPortTest, RefusesWhatIsNotHostColonPort) {
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "[::1]", "[::1]8000", "[::1:80", "a:65536",
                          "a:-1", "a:8o", ""}) {
    EXPECT_FALSE(ParseHostPort(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseHostPort("a:99999").status().message(),
            "'99999' in 'a:99999' is not a port number (0-65535)");
}

TEST(HostPortTest, FormatsWithBracketsForIpv6AndRoundTrips) {
  EXPECT_EQ(FormatHostPort("127.0.0.1", 80), "127.0.0.1:80");
  EXPECT_EQ(FormatHostPort("::1", 80), "[::1]:80");
  for (const char* address : {"127.0.0.1:1", "[::1]:2", "[fe80::1%eth0]:3", "example.org:4"}) {
    EXPECT_EQ(FormatHostPort(*ParseHostPort(address)), address);
  }
}

TEST(HostPortTest, SplitsAnAuthorityWhosePortIsOptional) {
  EXPECT_EQ(SplitAuthority("a")->host, "a");
  EXPECT_FALSE(SplitAuthority("a")->has_port);
  EXPECT_TRUE(SplitAuthority("a:")->has_port);
  EXPECT_EQ(SplitAuthority("[::1]")->host, "::1");
  EXPECT_EQ(SplitAuthority("[::1]:443")->port, "443");
  EXPECT_FALSE(SplitAuthority("[::1").has_value());
  EXPECT_FALSE(SplitAuthority("[::1]x").has_value());
  EXPECT_EQ(ParsePort("80"), 80);
  EXPECT_FALSE(ParsePort("").has_value());
  EXPECT_FALSE(ParsePort("70000").has_value());
}

}  // namespace
}  // namespace predictwire::os
