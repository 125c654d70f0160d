#include "loadgen/report/report_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "loadgen/compare/decision.h"
#include "loadgen/compare/judging.h"
#include "loadgen/report/report_html.h"
#include "loadgen/report/report_json.h"

namespace predictwire::loadgen {
namespace {

using ::testing::HasSubstr;

BenchResult Result(double p50_us, uint64_t requests) {
  BenchResult result;
  for (uint64_t i = 0; i < requests; ++i) {
    result.latency.Record(static_cast<uint64_t>(p50_us * 1000));
  }
  result.requests = requests;
  result.throughput_rps = requests;
  result.batch_p50_us = {p50_us * 0.99, p50_us, p50_us * 1.01};
  return result;
}

TEST(ReportTextTest, TheProgressLineShowsTheRoundItsOwn) {
  BenchResult round = Result(412, 10);
  auto line = [&](size_t done) {
    return RoundProgressLine({.done = done,
                              .total = 80,
                              .placement = "split",
                              .scenario = "sporadic",
                              .label = "ws",
                              .round = 2,
                              .rounds = 3,
                              .result = round});
  };
  EXPECT_EQ(line(12), "[12/80 split] sporadic / ws (round 2/3): p50 412 µs, 10 req/s, 0 errors\n");
  // A round merged into an earlier one must not change the line printed for it.
  BenchResult total = Result(100, 1000);
  MergeResults(round, &total);
  EXPECT_THAT(line(13), HasSubstr("p50 412 µs"));
}

TEST(ReportTextTest, TheJsonHasTheDecisionAndEachRunsInterval) {
  Report report;
  Scenario scenario;
  scenario.id = "high-frequency";
  scenario.row = FindScenario(scenario.id);
  scenario.placement = "split";
  loadgen::Run ws{.wire = "ws", .label = "ws", .result = Result(50, 200)};
  ws.result.options.wire = *ParseWire("ws");
  loadgen::Run rest{.wire = "rest", .label = "rest", .result = Result(90, 200)};
  rest.result.options.wire = *ParseWire("rest");
  scenario.runs = {ws, rest};
  scenario.verdict = Recommend(scenario);
  report.scenarios = {scenario};
  report.decision = DecisionLines(report);
  report.overall = OverallLines(report);
  const std::string json = ReportToJson(report);
  EXPECT_THAT(json, HasSubstr(R"("decision": [)"));
  EXPECT_THAT(json, HasSubstr(R"({"scenario": "high-frequency", "placement": "split", )"
                              R"("best": ["ws"], "tie": false, "margin_pct": 44.)"));
  EXPECT_THAT(json, HasSubstr(R"("meaning": "for back-to-back predictions: ws")"));
  EXPECT_THAT(json, HasSubstr(R"("ci_pct": [)"));
  EXPECT_THAT(json, HasSubstr(R"("overall": ["Request rate: for back-to-back predictions: ws")"));
  EXPECT_THAT(json, HasSubstr(R"("p50_ci_us": [48.7)"));
  EXPECT_THAT(json, HasSubstr(R"("verdict": {"best": ["ws"], "tie": false)"));
  EXPECT_THAT(json, HasSubstr(R"("text": "ws leads (p50 50 µs); ws is 44% faster than rest)"));
  EXPECT_THAT(DecisionText(report), HasSubstr("== Decision\n   high-frequency [split]: ws, 44%"));
}

// A scale-out event run: report.json's fleet member has its counts, figures and timeline, and the
// page plots the timeline with the event marked.
TEST(ReportTextTest, AFleetRunHasItsEventAndTimelineInTheJsonAndOnThePage) {
  Report report;
  Scenario scenario;
  scenario.id = "scale-out-events";
  scenario.row = FindScenario(scenario.id);
  ASSERT_NE(scenario.row, nullptr);
  scenario.placement = "split";
  loadgen::Run ws{.wire = "ws", .label = "ws, kill -9", .result = Result(50, 30)};
  ws.result.options.wire = *ParseWire("ws");
  ws.result.options.rate = 100;
  ws.result.options.duration = std::chrono::milliseconds(300);
  ws.result.options.timeline_bin = std::chrono::milliseconds(100);
  // The fourth bin is past the 300 ms window: its answers are counted apart, in no bin.
  for (uint64_t answered : {10, 4, 10, 6}) {
    ws.result.timeline.push_back(
        {.answered = answered, .latencies_us = std::vector<uint32_t>(answered, 700)});
  }
  ws.fleet = {.event = "kill -9",
              .backend_requests = {-1, 20, 21},
              .event_at_ms = 100,
              .event_end_ms = 105};
  scenario.runs = {ws};
  scenario.verdict = Recommend(scenario);
  report.scenarios = {scenario};
  const std::string json = ReportToJson(report);
  EXPECT_THAT(json, HasSubstr(R"("fleet": {"backend_requests": [-1, 20, 21], "shares": [], )"
                              R"("skew": 0.000, "event": "kill -9", "event_at_ms": 100.0, )"
                              R"("event_end_ms": 105.0, "event_error": null, )"
                              R"("offered_rps": 100.0, "p99_during_us": 700.0, )"
                              R"("recovered_ms": 100.0, "share_after_ms": -1.0, )"
                              R"("timeline": {"bin_ms": 100, "answered_rps": [100, 40, 100], )"
                              R"("p99_us": [700, 700, 700], "errors": [0, 0, 0], )"
                              R"("answered_after": 6}})"));
  const std::string html = RenderHtml(report);
  EXPECT_THAT(html, HasSubstr("kill -9: answered requests/s (100 ms bins)"));
  EXPECT_THAT(html, HasSubstr("kill -9: p99 latency (100 ms bins)"));
}

}  // namespace
}  // namespace predictwire::loadgen
