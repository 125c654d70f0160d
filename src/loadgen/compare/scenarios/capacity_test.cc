#include "loadgen/compare/scenarios/capacity.h"

#include <gtest/gtest.h>

#include <cmath>

#include "loadgen/compare/judging.h"
#include "loadgen/compare/scenario.h"

namespace predictwire::loadgen {
namespace {

// Runs the search against a wire that holds every rate up to `capacity` and no rate above it,
// starting from `estimate`; returns the highest rate held.
double Search(double capacity, double estimate, size_t max_points, size_t* tried_count) {
  std::vector<CapacityPoint> tried;
  while (std::optional<double> rate = NextCapacityRate(estimate, tried, max_points)) {
    tried.push_back({*rate, *rate <= capacity});
  }
  *tried_count = tried.size();
  double held = 0;
  for (const CapacityPoint& point : tried) {
    if (point.held) held = std::max(held, point.rate);
  }
  return held;
}

TEST(CapacitySearchTest, FindsTheRateOnAnyMachineFromItsEstimate) {
  // From a server that holds 60 requests a second to one that holds 400,000, with the closed
  // loop's estimate right, twice too high or half too low: eight steps find a rate the wire
  // holds, within reach of its capacity.
  for (double capacity : {60.0, 900.0, 4'000.0, 37'000.0, 400'000.0}) {
    for (double error : {1.0, 2.0, 0.5}) {
      size_t steps = 0;
      const double held = Search(capacity, capacity * error, 8, &steps);
      EXPECT_GT(held, 0) << capacity << " " << error;
      EXPECT_LE(held, capacity);
      EXPECT_GE(held * 1.5, capacity) << capacity << " " << error;
      EXPECT_LE(steps, 8u);
    }
  }
}

TEST(CapacitySearchTest, StopsWithinItsResolutionAndNeverRepeatsARate) {
  std::vector<CapacityPoint> tried = {{10000, true}, {11000, false}};
  EXPECT_FALSE(NextCapacityRate(12000, tried, 8).has_value());  // 11000 / 10000 < 1.15
  tried = {{10000, true}, {20000, false}};
  const std::optional<double> between = NextCapacityRate(12000, tried, 8);
  ASSERT_TRUE(between.has_value());
  EXPECT_EQ(*between, 14000);  // sqrt(10000 × 20000) to two digits
  EXPECT_FALSE(NextCapacityRate(12000, tried, 2).has_value());  // out of steps
}

TEST(CapacitySearchTest, GoesDownUntilARateHoldsAndGivesUpAtTheBottom) {
  std::vector<CapacityPoint> tried = {{8000, false}};
  EXPECT_EQ(NextCapacityRate(10000, tried, 8), 4000);
  tried = {{19, false}};
  EXPECT_EQ(NextCapacityRate(20, tried, 8), std::nullopt);  // 9.5 req/s: below the lowest tried
  EXPECT_EQ(NextCapacityRate(0, {}, 8), 1000);              // no estimate: start somewhere
}

// A measured run of the capacity scenario: `rate` offered, p99 as given.
Run At(std::string wire, double rate, double p99_us) {
  Run run;
  run.wire = wire;
  run.label = wire;
  run.sweep_value = rate;
  for (int i = 0; i < 100; ++i) run.result.latency.Record(static_cast<uint64_t>(p99_us * 1000));
  run.result.requests = 100;
  run.result.options.wire = *ParseWire(wire);
  return run;
}

TEST(CapacityVerdictTest, WiresWithinTheSearchResolutionTie) {
  Scenario scenario;
  scenario.row = FindScenario("capacity");
  scenario.sweep = Sweep::kOfferedRate;
  scenario.slo_us = 1000;
  loadgen::Run probe = At("ws", 0, 100);
  probe.probe = true;  // not judged
  scenario.runs = {probe,
                   At("ws", 10000, 500),
                   At("ws", 11000, 3000),
                   At("rest-keepalive", 9000, 600),
                   At("rest-keepalive", 10000, 2000),
                   At("ws-binary", 5000, 300),
                   At("ws-binary", 5500, 4000)};
  const Verdict verdict = Recommend(scenario);
  EXPECT_EQ(verdict.best, (std::vector<std::string>{"ws", "rest-keepalive"}));
  EXPECT_TRUE(verdict.tie);
  EXPECT_EQ(verdict.meaning,
            "with a p99 objective of 1.00 ms: ws and rest-keepalive carry the most (10000 and "
            "9000 req/s: within the 15% the search tells apart)");
  EXPECT_NE(verdict.text.find("ws-binary holds 5000 req/s"), std::string::npos);
}

}  // namespace
}  // namespace predictwire::loadgen
