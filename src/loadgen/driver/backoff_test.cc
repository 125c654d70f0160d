#include "loadgen/driver/backoff.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>

namespace predictwire::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TEST(BackoffTest, DelaysGrowByTheMultiplierUpToTheMaxEachWithinItsJitter) {
  const ReconnectOptions options;  // 20 ms × 1.6 up to 2 s, ± 20%
  Backoff backoff(options, 1);
  double expected_ms = 20;
  for (int attempt = 0; attempt < 20; ++attempt) {
    const double current_ms = std::chrono::duration<double, std::milli>(backoff.current()).count();
    EXPECT_NEAR(current_ms, expected_ms, 1e-5);
    const double delay = std::chrono::duration<double, std::milli>(backoff.Next()).count();
    EXPECT_GE(delay, expected_ms * 0.8) << attempt;
    EXPECT_LE(delay, expected_ms * 1.2) << attempt;
    expected_ms = std::min(2000.0, expected_ms * 1.6);
  }
  EXPECT_EQ(backoff.current(), milliseconds(2000));
  backoff.Reset();
  EXPECT_EQ(backoff.current(), milliseconds(20));
}

TEST(BackoffTest, JitterSpreadsClientsAndIsFixedBySeed) {
  const ReconnectOptions options;
  std::set<nanoseconds::rep> firsts;
  for (uint64_t seed = 0; seed < 50; ++seed) firsts.insert(Backoff(options, seed).Next().count());
  EXPECT_GT(firsts.size(), 45u);  // fifty clients that failed together come back apart
  EXPECT_EQ(Backoff(options, 7).Next(), Backoff(options, 7).Next());

  ReconnectOptions exact;
  exact.jitter = 0;
  exact.initial = milliseconds(10);
  exact.multiplier = 2;
  exact.max = milliseconds(35);
  Backoff backoff(exact, 3);
  for (int ms : {10, 20, 35, 35}) EXPECT_EQ(backoff.Next(), milliseconds(ms));
}

TEST(BackoffTest, TheNthDelayStandsAlone) {
  ReconnectOptions options;
  options.jitter = 0;
  uint64_t random = 1;
  EXPECT_EQ(BackoffDelay(options, 0, &random), milliseconds(20));
  EXPECT_EQ(BackoffDelay(options, 1, &random), milliseconds(32));
  EXPECT_EQ(BackoffDelay(options, 50, &random), milliseconds(2000));
}

}  // namespace
}  // namespace predictwire::loadgen
