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

TEST(RecommendTest, SaysWhenTooFewRequestsWereMeasured) {
  Scenario scenario;
  scenario.runs = {MakeRun("ws", 40), MakeRun("rest", 100)};
  EXPECT_THAT(Recommend(scenario), ::testing::Not(HasSubstr("indicative")));
  scenario.runs[1].result.requests = 24;
  EXPECT_THAT(Recommend(scenario), HasSubstr("indicative only: 24 requests for rest"));
}

TEST(RecommendTest, APacedFloorIsAYardstickNotACandidate) {
  Scenario scenario;
  loadgen::Run floor = MakeRun("tcp", 300);
  floor.label = "raw TCP, kept open";
  floor.result.options.wire = *ParseWire("tcp");
  scenario.runs = {floor, MakeRun("ws", 400), MakeRun("rest-keepalive", 500)};
  const std::string verdict = Recommend(scenario);
  EXPECT_THAT(verdict, ::testing::StartsWith("ws: p50 400 µs vs rest-keepalive 500 µs (-20%)"));
  EXPECT_THAT(verdict, HasSubstr("(raw TCP measured in turn with these runs, p50: raw TCP, kept open 300 µs)"));
}

TEST(FloorForTest, PrefersTheScenariosPacedFloorOfTheSameConnectionKind) {
  Report report;
  report.floors["split"] = {.persistent_p50_us = 30, .new_connection_p50_us = 90};
  Scenario scenario;
  scenario.placement = "split";
  loadgen::Run rest = MakeRun("rest", 1000);
  rest.result.options.wire = *ParseWire("rest");
  loadgen::Run ws = MakeRun("ws", 800);
  ws.result.options.wire = *ParseWire("ws");
  scenario.runs = {rest, ws};
  EXPECT_DOUBLE_EQ(FloorFor(report, scenario, scenario.runs[0]), 90);
  EXPECT_DOUBLE_EQ(FloorFor(report, scenario, scenario.runs[1]), 30);

  loadgen::Run paced_new = MakeRun("tcp-new", 600);
  paced_new.result.options.wire = *ParseWire("tcp-new");
  loadgen::Run paced_open = MakeRun("tcp", 400);
  paced_open.result.options.wire = *ParseWire("tcp");
  scenario.runs.push_back(paced_new);
  scenario.runs.push_back(paced_open);
  EXPECT_NEAR(FloorFor(report, scenario, scenario.runs[0]), 600, 6);
  EXPECT_NEAR(FloorFor(report, scenario, scenario.runs[1]), 400, 4);
}

TEST(RecommendTest, TheTlsScenarioSaysWhatTlsAddsToEachWire) {
  Scenario scenario;
  scenario.id = "tls";
  loadgen::Run plain_rest = MakeRun("rest", 90);
  plain_rest.label = "rest, new TCP connection";
  plain_rest.result.options.wire = *ParseWire("rest");
  loadgen::Run full = MakeRun("rest+tls", 1300);
  full.label = "rest+tls, full handshake";
  full.result.options.wire = *ParseWire("rest");
  loadgen::Run ws = MakeRun("ws", 40);
  ws.result.options.wire = *ParseWire("ws");
  loadgen::Run ws_tls = MakeRun("ws+tls", 50);
  ws_tls.result.options.wire = *ParseWire("ws");
  scenario.runs = {plain_rest, full, ws, ws_tls};
  const std::string verdict = Recommend(scenario);
  EXPECT_THAT(verdict, ::testing::StartsWith("ws: p50 40 µs"));
  EXPECT_THAT(verdict, HasSubstr("TLS adds per request on an open connection: ws +10 µs (+25%)"));
  EXPECT_THAT(verdict, HasSubstr("a new connection per request costs rest+tls, full handshake "
                                 "1.30 ms (+1.21 ms over rest, new TCP connection 90 µs)"));
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
  scenario.sweep = Sweep::kComputeMs;
  scenario.runs = {MakeRun("ws", 40, 0), MakeRun("rest", 100, 0), MakeRun("ws", 50100, 50),
                   MakeRun("rest", 50300, 50)};
  const std::string verdict = Recommend(scenario);
  EXPECT_THAT(verdict, HasSubstr("at 0 ms compute, ws: p50 40 µs vs rest 100 µs (-60%)"));
  EXPECT_THAT(verdict, HasSubstr("at 50 ms compute, ws: p50 50.10 ms"));
  EXPECT_THAT(verdict, HasSubstr("the wire no longer matters"));
}

TEST(RecommendTest, ConcurrencySweepReportsTheMostThroughput) {
  Scenario scenario;
  scenario.sweep = Sweep::kConcurrency;
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
