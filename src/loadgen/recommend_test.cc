#include "loadgen/recommend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace predictwire::loadgen {
namespace {

using ::testing::HasSubstr;

Run MakeRun(std::string wire, double p50_us, double sweep = 0, uint64_t errors = 0) {
  Run run;
  run.wire = wire;
  run.label = wire;
  run.sweep_value = sweep;
  for (int i = 0; i < 100; ++i) run.result.latency.Record(static_cast<uint64_t>(p50_us * 1000));
  run.result.requests = 100;
  run.result.errors = errors;
  run.result.throughput_rps = 1e6 / p50_us;
  return run;
}

TEST(RecommendTest, NamesTheWinnerAndEveryMargin) {
  Scenario scenario;
  scenario.runs = {MakeRun("rest-keepalive", 52), MakeRun("ws-binary", 38), MakeRun("rest", 140)};
  const std::string verdict = Recommend(scenario);
  EXPECT_THAT(verdict, HasSubstr("ws-binary: p50 38 µs vs rest-keepalive 52 µs (-27%) and "
                                 "rest 140 µs (-73%)"));
}

TEST(RecommendTest, SetsAsideRunsWithErrors) {
  Scenario scenario;
  scenario.runs = {MakeRun("ws", 40), MakeRun("rest", 10, 0, 50)};
  const std::string verdict = Recommend(scenario);
  EXPECT_THAT(verdict, ::testing::StartsWith("ws: p50 40 µs"));
  EXPECT_THAT(verdict, HasSubstr("Not ranked: rest (50 of 150 requests failed)"));
}

TEST(RecommendTest, SweepsGetAVerdictPerValueAndNoticeWhenTheWireStopsMattering) {
  Scenario scenario;
  scenario.sweep = "compute_ms";
  scenario.runs = {MakeRun("ws", 40, 0), MakeRun("rest", 100, 0), MakeRun("ws", 50100, 50),
                   MakeRun("rest", 50300, 50)};
  const std::string verdict = Recommend(scenario);
  EXPECT_THAT(verdict, HasSubstr("at 0 ms compute, ws: p50 40 µs vs rest 100 µs (-60%)"));
  EXPECT_THAT(verdict, HasSubstr("at 50 ms compute, ws: p50 50.10 ms"));
  EXPECT_THAT(verdict, HasSubstr("the wire no longer matters"));
}

TEST(RecommendTest, ConcurrencySweepReportsTheMostThroughput) {
  Scenario scenario;
  scenario.sweep = "concurrency";
  scenario.runs = {MakeRun("ws", 40, 1), MakeRun("ws", 20, 8), MakeRun("rest-keepalive", 50, 8)};
  EXPECT_THAT(Recommend(scenario), HasSubstr("most throughput: ws 50000 req/s"));
}

TEST(RecommendTest, FormatsDurations) {
  EXPECT_EQ(FormatMicroseconds(38.4), "38 µs");
  EXPECT_EQ(FormatMicroseconds(1250), "1.25 ms");
  EXPECT_EQ(FormatMicroseconds(2.1e6), "2.10 s");
}

}  // namespace
}  // namespace predictwire::loadgen
