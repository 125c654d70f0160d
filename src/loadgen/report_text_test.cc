#include "loadgen/report_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "loadgen/recommend.h"

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
  EXPECT_EQ(RoundProgressLine(12, 80, "split", "sporadic", "ws", 2, 3, round),
            "[12/80 split] sporadic / ws (round 2/3): p50 412 µs, 10 req/s, 0 errors\n");
  // A round merged into an earlier one must not change the line printed for it.
  BenchResult total = Result(100, 1000);
  MergeResults(round, &total);
  EXPECT_THAT(RoundProgressLine(13, 80, "split", "sporadic", "ws", 2, 3, round),
              HasSubstr("p50 412 µs"));
}

TEST(ReportTextTest, TheJsonHasTheDecisionAndEachRunsInterval) {
  Report report;
  Scenario scenario;
  scenario.id = "high-frequency";
  scenario.placement = "split";
  loadgen::Run ws{.wire = "ws", .label = "ws", .result = Result(50, 200)};
  ws.result.options.wire = *ParseWire("ws");
  loadgen::Run rest{.wire = "rest", .label = "rest", .result = Result(90, 200)};
  rest.result.options.wire = *ParseWire("rest");
  scenario.runs = {ws, rest};
  scenario.verdict = Recommend(scenario);
  report.scenarios = {scenario};
  const std::string json = ReportToJson(report);
  EXPECT_THAT(json, HasSubstr(R"("decision": [)"));
  EXPECT_THAT(json, HasSubstr(R"({"scenario": "high-frequency", "placement": "split", )"
                              R"("best": ["ws"], "margin_pct": 44.)"));
  EXPECT_THAT(json, HasSubstr(R"("ci_pct": [)"));
  EXPECT_THAT(json, HasSubstr(R"("overall": ["Request rate: for back-to-back predictions: ws")"));
  EXPECT_THAT(json, HasSubstr(R"("p50_ci_us": [48.7)"));
  EXPECT_THAT(DecisionText(report), HasSubstr("== Decision\n   high-frequency [split]: ws, 44%"));
}

}  // namespace
}  // namespace predictwire::loadgen
