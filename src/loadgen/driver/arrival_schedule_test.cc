#include "loadgen/driver/arrival_schedule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace predictwire::loadgen {
namespace {

TEST(ArrivalScheduleTest, DealtSchedulesTakeTheStreamInTurn) {
  for (Arrival arrival : {Arrival::kConstant, Arrival::kPoisson}) {
    ArrivalSchedule stream(arrival, 300.0, 7);
    std::vector<ArrivalSchedule> dealt;
    for (int i = 0; i < 3; ++i) dealt.emplace_back(arrival, 300.0, 7, 3, i);
    for (int n = 0; n < 3000; ++n) {
      ASSERT_EQ(dealt[n % 3].Next(), stream.Next()) << n;
    }
  }
}

TEST(ArrivalScheduleTest, ConstantIsEvenlySpaced) {
  ArrivalSchedule schedule(Arrival::kConstant, 1000.0);  // 1 ms apart
  for (int i = 0; i < 100'000; ++i) {
    ASSERT_EQ(schedule.Next(), std::chrono::microseconds(1000) * i);
  }
}

TEST(ArrivalScheduleTest, PoissonHasTheRateAndExponentialGaps) {
  for (double rate : {5.0, 1000.0, 50'000.0}) {
    ArrivalSchedule schedule(Arrival::kPoisson, rate, 42);
    constexpr int kSamples = 200'000;
    std::vector<double> gaps;
    double previous = 0;
    for (int i = 0; i < kSamples; ++i) {
      const double now = static_cast<double>(schedule.Next().count());
      if (i > 0) gaps.push_back(now - previous);
      previous = now;
    }
    const double seconds = previous / 1e9;
    EXPECT_NEAR(kSamples / seconds, rate, rate * 0.01) << rate;  // within 1%
    double mean = 0, square = 0;
    for (double gap : gaps) mean += gap;
    mean /= gaps.size();
    for (double gap : gaps) square += (gap - mean) * (gap - mean);
    const double coefficient_of_variation = std::sqrt(square / gaps.size()) / mean;
    EXPECT_NEAR(coefficient_of_variation, 1.0, 0.02) << rate;  // exponential: sd == mean
    // Memorylessness: the share of gaps above the mean is e^-1.
    const double above =
        std::count_if(gaps.begin(), gaps.end(), [&](double g) { return g > mean; });
    EXPECT_NEAR(above / gaps.size(), std::exp(-1.0), 0.01) << rate;
  }
}

TEST(ArrivalScheduleTest, PoissonIsRepeatableForASeed) {
  ArrivalSchedule a(Arrival::kPoisson, 100.0, 9), b(Arrival::kPoisson, 100.0, 9);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.Next(), b.Next());
}

}  // namespace
}  // namespace predictwire::loadgen
