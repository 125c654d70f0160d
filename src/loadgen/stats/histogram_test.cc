#include "loadgen/stats/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace predictwire::loadgen {
namespace {

// The exact percentile of sorted samples by the same rank rule as the histogram.
uint64_t ExactPercentile(const std::vector<uint64_t>& sorted, double percentile) {
  const uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(percentile / 100.0 * sorted.size())));
  return sorted[rank - 1];
}

void ExpectWithinRelativeError(uint64_t actual, uint64_t expected, double relative) {
  EXPECT_LE(std::fabs(static_cast<double>(actual) - static_cast<double>(expected)),
            relative * static_cast<double>(expected) + 1)
      << "actual " << actual << " expected " << expected;
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram histogram;
  for (uint64_t v = 0; v < 256; ++v) histogram.Record(v);
  EXPECT_EQ(histogram.count(), 256u);
  EXPECT_EQ(histogram.min(), 0u);
  EXPECT_EQ(histogram.max(), 255u);
  EXPECT_EQ(histogram.ValueAtPercentile(50), 127u);
  EXPECT_EQ(histogram.ValueAtPercentile(100), 255u);
  EXPECT_DOUBLE_EQ(histogram.mean(), 127.5);
}

TEST(HistogramTest, BucketsTileTheRangeWithinOnePercent) {
  for (uint64_t value : {uint64_t{256}, uint64_t{257}, uint64_t{1000}, uint64_t{65535},
                         uint64_t{1} << 40, (uint64_t{1} << 63) + 12345, UINT64_MAX}) {
    const size_t index = Histogram::IndexOf(value);
    const uint64_t low = Histogram::LowestValueAt(index);
    const uint64_t width = Histogram::WidthAt(index);
    EXPECT_LE(low, value);
    EXPECT_LE(value - low, width - 1);
    EXPECT_LE(static_cast<double>(width) / static_cast<double>(low), 1.0 / 128);
  }
  for (size_t index = 1; index < 7000; ++index) {  // contiguous, no gaps or overlaps
    ASSERT_EQ(Histogram::LowestValueAt(index),
              Histogram::LowestValueAt(index - 1) + Histogram::WidthAt(index - 1));
  }
}

TEST(HistogramTest, PercentilesOfKnownDistributionsWithinOnePercent) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> lognormal(std::log(50'000.0), 1.0);  // ~50 µs, long tail
  std::uniform_int_distribution<uint64_t> uniform(1'000, 10'000'000);
  for (int distribution = 0; distribution < 2; ++distribution) {
    Histogram histogram;
    std::vector<uint64_t> samples;
    for (int i = 0; i < 200'000; ++i) {
      const uint64_t value =
          distribution == 0 ? static_cast<uint64_t>(lognormal(random)) : uniform(random);
      samples.push_back(value);
      histogram.Record(value);
    }
    std::sort(samples.begin(), samples.end());
    for (double percentile : {0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
      ExpectWithinRelativeError(histogram.ValueAtPercentile(percentile),
                                ExactPercentile(samples, percentile), 0.01);
    }
    EXPECT_EQ(histogram.min(), samples.front());
    EXPECT_EQ(histogram.max(), samples.back());
  }
}

TEST(HistogramTest, MergeEqualsRecordingEverything) {
  Histogram a, b, all;
  std::mt19937_64 random(3);
  for (int i = 0; i < 10'000; ++i) {
    const uint64_t value = random() % 5'000'000;
    (i % 3 == 0 ? a : b).Record(value);
    all.Record(value);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double p : {50.0, 99.0, 99.99}) EXPECT_EQ(a.ValueAtPercentile(p), all.ValueAtPercentile(p));
  EXPECT_EQ(a.Buckets(), all.Buckets());
}

TEST(HistogramTest, ExtremeValuesAndEmpty) {
  Histogram empty;
  EXPECT_EQ(empty.ValueAtPercentile(50), 0u);
  EXPECT_EQ(empty.min(), 0u);
  EXPECT_EQ(empty.mean(), 0.0);
  Histogram histogram;
  histogram.Record(0);
  histogram.Record(UINT64_MAX);
  EXPECT_EQ(histogram.ValueAtPercentile(0), 0u);
  EXPECT_EQ(histogram.ValueAtPercentile(100), UINT64_MAX);
  histogram.RecordN(1000, 98);
  EXPECT_EQ(histogram.count(), 100u);
  EXPECT_NEAR(static_cast<double>(histogram.ValueAtPercentile(50)), 1000.0, 1000.0 * 0.004);
  histogram.Clear();
  EXPECT_EQ(histogram.count(), 0u);
}

}  // namespace
}  // namespace predictwire::loadgen
