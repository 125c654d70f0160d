#include "loadgen/compare/scenarios/scale_out.h"

#include <gtest/gtest.h>

#include <chrono>

#include "loadgen/compare/run_compare.h"
#include "loadgen/compare/scenario.h"

namespace predictwire::loadgen {
namespace {

using std::chrono::milliseconds;

// An event run of `bins` 100 ms bins at 200 req/s (20 a bin) whose bins `answered` say what
// was answered, each answer taking `latency_us`.
Run EventRun(const std::vector<uint64_t>& answered, double event_at_ms, double event_end_ms,
             uint32_t latency_us = 500) {
  loadgen::Run run;
  run.result.options.rate = 200;
  run.result.options.timeline_bin = milliseconds(100);
  run.result.options.duration = milliseconds(100) * answered.size();
  for (uint64_t count : answered) {
    TimelineBin bin;
    bin.answered = count;
    bin.latencies_us.assign(count, latency_us);
    run.result.timeline.push_back(bin);
  }
  run.fleet.event = "kill -9";
  run.fleet.event_at_ms = event_at_ms;
  run.fleet.event_end_ms = event_end_ms;
  return run;
}

TEST(ScaleOutFiguresTest, TheRateIsBackAfterTheLastBinBelowThreeQuarters) {
  // The event at 250 ms; bins 3 and 4 (300-500 ms) answer 10 and 14 of 20; from 500 ms on, 20.
  const EventFigures figures = EventFiguresOf(
      EventRun({20, 20, 20, 10, 14, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20}, 250, 260));
  ASSERT_TRUE(figures.measured);
  EXPECT_DOUBLE_EQ(figures.offered_rps, 200);
  EXPECT_DOUBLE_EQ(figures.recovered_ms, 500 - 250);
  EXPECT_DOUBLE_EQ(figures.p99_during_us, 500);
}

TEST(ScaleOutFiguresTest, ARateThatNeverDippedOrNeverCameBack) {
  EXPECT_DOUBLE_EQ(EventFiguresOf(EventRun({20, 20, 19, 20, 16, 20}, 150, 160)).recovered_ms, 0);
  EXPECT_DOUBLE_EQ(EventFiguresOf(EventRun({20, 20, 20, 5, 5, 5}, 250, 260)).recovered_ms, -1);
  // Answers after the measured window (draining) are not bins of it.
  loadgen::Run late = EventRun({20, 20, 20, 20}, 150, 160);
  late.result.timeline.push_back({.answered = 0});
  EXPECT_DOUBLE_EQ(EventFiguresOf(late).recovered_ms, 0);
  EXPECT_EQ(TimelineOf(late).answered_rps, (std::vector<double>{200, 200, 200, 200}));
  // No event: nothing measured.
  loadgen::Run plain = EventRun({20, 20}, 0, 0);
  plain.fleet.event_at_ms = -1;
  EXPECT_FALSE(EventFiguresOf(plain).measured);
}

TEST(ScaleOutFiguresTest, SharesAndSkewFromEachBackendsCount) {
  loadgen::Run run;
  run.fleet.backend_requests = {50, 30, 20};
  EXPECT_EQ(BackendShares(run), (std::vector<double>{0.5, 0.3, 0.2}));
  EXPECT_DOUBLE_EQ(Skew(run), 1.5);
  run.fleet.backend_requests = {50, -1, 20};  // one could not tell: no shares
  EXPECT_TRUE(BackendShares(run).empty());
  EXPECT_DOUBLE_EQ(Skew(run), 0);
}

TEST(ScaleOutPlanTest, OptInAndOnlyWithItsBalancer) {
  const ScenarioRow* row = FindScenario("scale-out");
  ASSERT_NE(row, nullptr);
  EXPECT_TRUE(row->opt_in);
  PlanOptions options;
  options.quick = true;
  for (const std::string& name : CandidateWireNames()) options.wires.push_back(*ParseWire(name));
  options.balancer_installed = true;
  options.deploy_dir_found = true;
  EXPECT_NE(row->unavailable(options), "");  // not asked for
  options.scenarios = {"scale-out"};
  EXPECT_EQ(row->unavailable(options), "");
  options.balancer_installed = false;
  EXPECT_NE(row->unavailable(options).find("not installed"), std::string::npos);
  options.balancer_installed = true;

  // --quick: the article's kept-alive REST and WebSocket; the events measured once, on a
  // timeline, at a fixed open-loop rate.
  const std::vector<PlannedScenario> plan = row->plan(options);
  ASSERT_EQ(plan.size(), 4u);
  EXPECT_EQ(plan[0].runs.size(), 4u);  // 2 wires, through the balancer and direct
  EXPECT_EQ(plan[0].runs[1].route.destination, Destination::kFleetDirect);
  EXPECT_EQ(plan[1].runs.size(), 4u);  // 2 wires x 4 and 64 clients
  EXPECT_EQ(plan[2].runs.size(), 8u);  // 2 wires x kill, drain, rolling restart, network cut
  EXPECT_EQ(plan[3].runs.size(), 4u);  // 2 wires x with and without a connection age
  for (const PlannedScenario& scenario : {plan[2], plan[3]}) {
    for (const PlannedRun& run : scenario.runs) {
      EXPECT_TRUE(run.once);
      EXPECT_NE(run.route.event, FleetEvent::kNone);
      EXPECT_GT(run.bench.rate, 0);
      EXPECT_EQ(run.bench.timeline_bin, milliseconds(100));
    }
  }
  EXPECT_EQ(plan[3].runs.front().route.fleet_backends, 2);
}

TEST(ScaleOutJudgeTest, AWireThatLostNothingButInTheCutLeadsAndTheCutIsSaidApart) {
  const ScenarioRow* row = FindScenario("scale-out");
  ASSERT_NE(row, nullptr);
  auto event_run = [](std::string wire, std::string event, uint64_t lost) {
    loadgen::Run run = EventRun({20, 20, 20}, 150, 160);
    run.wire = wire;
    run.label = wire + ", " + event;
    run.fleet.event = event;
    run.result.lost = lost;
    run.result.errors = lost;
    return run;
  };
  const std::vector<loadgen::Run> measured = {
      event_run("ws", "kill -9", 0), event_run("rest", "kill -9", 1),
      event_run("ws", "network cut", 4), event_run("rest", "network cut", 2)};
  Scenario scenario;
  scenario.id = "scale-out-events";
  RunsToJudge runs;
  for (const loadgen::Run& run : measured) runs.measured.push_back(&run);
  Verdict verdict;
  row->judge(scenario, runs, &verdict);
  EXPECT_EQ(verdict.best, (std::vector<std::string>{"ws"}));
  EXPECT_NE(verdict.meaning.find("through every event but the network cut without a loss or an "
                                 "error: ws"),
            std::string::npos)
      << verdict.meaning;
  EXPECT_NE(verdict.meaning.find("a network cut lost what was in flight"), std::string::npos)
      << verdict.meaning;
  EXPECT_NE(verdict.text.find("kill -9: nothing lost by ws (resent 0); lost by rest (1 lost, 1 "
                              "errors)"),
            std::string::npos)
      << verdict.text;
}

}  // namespace
}  // namespace predictwire::loadgen
