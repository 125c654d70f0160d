#include "loadgen/stats/confidence.h"

#include <gtest/gtest.h>

#include <cmath>

namespace predictwire::loadgen {
namespace {

TEST(ConfidenceTest, StudentQuantiles) {
  EXPECT_DOUBLE_EQ(StudentT95(1), 12.706);
  EXPECT_DOUBLE_EQ(StudentT95(10), 2.228);
  EXPECT_NEAR(StudentT95(2.5), (4.303 + 3.182) / 2, 1e-9);
  EXPECT_DOUBLE_EQ(StudentT95(1e6), 1.96);
  for (double degrees = 1; degrees < 2000; degrees += 0.5) {
    EXPECT_GE(StudentT95(degrees), StudentT95(degrees + 0.5)) << degrees;
  }
}

TEST(ConfidenceTest, IntervalOfTheBatchMedians) {
  EXPECT_FALSE(MedianInterval({}).has_value());
  EXPECT_FALSE(MedianInterval({100}).has_value());
  const auto interval = MedianInterval({98, 100, 102, 100});
  ASSERT_TRUE(interval.has_value());
  // mean 100, s = 1.633, t(3) = 3.182: 100 ± 2.598
  EXPECT_NEAR(interval->low, 97.402, 0.01);
  EXPECT_NEAR(interval->high, 102.598, 0.01);
}

TEST(ConfidenceTest, AClearWinnerHasAnIntervalAboveZero) {
  // a ~ 555 µs, b ~ 645 µs, steady: a is ~14% faster and nothing like a tie.
  const Margin margin = CompareBatches({550, 560, 555, 553, 557}, {640, 650, 645, 648, 642});
  EXPECT_NEAR(margin.percent, 14, 0.5);
  ASSERT_TRUE(margin.interval.has_value());
  EXPECT_GT(margin.interval->low, 12);
  EXPECT_LT(margin.interval->high, 16);
  EXPECT_FALSE(margin.tie);
  // The other way round: a negative margin, b is the faster.
  const Margin reverse = CompareBatches({640, 650, 645, 648, 642}, {550, 560, 555, 553, 557});
  EXPECT_LT(reverse.percent, -15);
  EXPECT_LT(reverse.interval->high, 0);
  EXPECT_FALSE(reverse.tie);
}

TEST(ConfidenceTest, ADifferenceInsideTheNoiseIsATie) {
  // 5% apart on average, but batches swing by ±30%: cannot be told apart.
  const Margin margin = CompareBatches({400, 700, 500, 650, 420}, {560, 450, 720, 500, 540});
  EXPECT_TRUE(margin.tie);
  ASSERT_TRUE(margin.interval.has_value());
  EXPECT_LT(margin.interval->low, 0);
  EXPECT_GT(margin.interval->high, 0);
}

TEST(ConfidenceTest, TooFewBatchesCannotBeToldApart) {
  const Margin margin = CompareBatches({100}, {200, 210, 190});
  EXPECT_NEAR(margin.percent, 50, 1);
  EXPECT_FALSE(margin.interval.has_value());
  EXPECT_TRUE(margin.tie);
  EXPECT_TRUE(CompareBatches({}, {1, 2}).tie);
}

TEST(ConfidenceTest, IdenticalSteadyRunsAreATieAndDifferentSteadyOnesAreNot) {
  EXPECT_TRUE(CompareBatches({100, 100, 100}, {100, 100, 100}).tie);
  EXPECT_FALSE(CompareBatches({100, 100, 100}, {110, 110, 110}).tie);
}

}  // namespace
}  // namespace predictwire::loadgen
