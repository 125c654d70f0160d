#include "loadgen/stats/format.h"

#include <gtest/gtest.h>

namespace predictwire::loadgen {
namespace {

TEST(FormatTest, Durations) {
  EXPECT_EQ(FormatMicroseconds(38.4), "38 µs");
  EXPECT_EQ(FormatMicroseconds(1250), "1.25 ms");
  EXPECT_EQ(FormatMicroseconds(2.1e6), "2.10 s");
}

TEST(FormatTest, TableFigures) {
  EXPECT_EQ(FormatFigure(4.271), "4.27");
  EXPECT_EQ(FormatFigure(42.71), "42.7");
  EXPECT_EQ(FormatFigure(427), "427.0");
  EXPECT_EQ(FormatFigure(4270.4), "4270");
  EXPECT_EQ(Microseconds(1500), 1.5);
}

TEST(FormatTest, ListsAndIntervals) {
  EXPECT_EQ(JoinWords({}), "");
  EXPECT_EQ(JoinWords({"a"}), "a");
  EXPECT_EQ(JoinWords({"a", "b"}), "a and b");
  EXPECT_EQ(JoinWords({"a", "b", "c"}), "a, b and c");
  EXPECT_EQ(FormatPercentInterval({9.2, 19.4}), "9–19%");
  EXPECT_EQ(FormatPercentInterval({-3, 5}), "-3 to +5%");
}

TEST(FormatTest, CsvFields) {
  EXPECT_EQ(CsvField("ws"), "ws");
  EXPECT_EQ(CsvField("ws, 1 KiB"), "\"ws, 1 KiB\"");
  EXPECT_EQ(CsvField("a\"b"), "\"a\"\"b\"");
}

TEST(FormatTest, PercentilesInMicroseconds) {
  Histogram histogram;
  histogram.Record(2000);
  EXPECT_NEAR(PercentileUs(histogram, 50), 2.0, 0.01);
}

}  // namespace
}  // namespace predictwire::loadgen
