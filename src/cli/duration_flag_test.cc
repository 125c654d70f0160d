#include "cli/duration_flag.h"

#include <gtest/gtest.h>

namespace predictwire::cli {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(DurationFlagTest, ParsesWhatItFormats) {
  for (const std::chrono::nanoseconds duration :
       {std::chrono::nanoseconds(0), std::chrono::nanoseconds(microseconds(30)),
        std::chrono::nanoseconds(microseconds(1500)), std::chrono::nanoseconds(seconds(60)),
        std::chrono::nanoseconds(seconds(600)), std::chrono::nanoseconds(milliseconds(2500))}) {
    const std::string text = FormatDuration(duration);
    EXPECT_EQ(CheckDuration(text), "") << text;
    EXPECT_EQ(ParseDuration(text), duration) << text;
  }
  EXPECT_EQ(FormatDuration(microseconds(30)), "30us");
  EXPECT_EQ(FormatDuration(seconds(60)), "1m");
}

TEST(DurationFlagTest, RejectsTextWithoutAUnitOrNegative) {
  EXPECT_EQ(CheckDuration("0"), "");
  EXPECT_NE(CheckDuration("30"), "");
  EXPECT_NE(CheckDuration("-1s"), "");
  EXPECT_NE(CheckDuration("fast"), "");
}

}  // namespace
}  // namespace predictwire::cli
