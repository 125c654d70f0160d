#include "loadgen/compare/judging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "loadgen/browser/browser_wires.h"
#include "loadgen/compare/decision.h"
#include "loadgen/stats/format.h"

namespace predictwire::loadgen {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// A run whose p50 is `p50_us`, with five batches spread by ±`spread` (a share of p50).
Run MakeRun(std::string wire, double p50_us, double sweep = 0, uint64_t errors = 0,
            double spread = 0.01) {
  Run run;
  run.wire = wire;
  run.label = wire;
  run.sweep_value = sweep;
  for (int i = 0; i < 100; ++i) run.result.latency.Record(static_cast<uint64_t>(p50_us * 1000));
  for (double offset : {-1.0, -0.5, 0.0, 0.5, 1.0}) {
    run.result.batch_p50_us.push_back(p50_us * (1 + offset * spread));
  }
  run.result.requests = 100;
  run.result.errors = errors;
  run.result.throughput_rps = 1e6 / p50_us;
  if (auto spec = ParseWire(wire); spec.ok()) run.result.options.wire = *spec;
  return run;
}

// A run of a browser wire, like MakeRun's.
Run MakeBrowserRun(std::string_view name, double p50_us, double connect_us = 0) {
  Run run = MakeRun(std::string(name), p50_us);
  for (const Wire& wire : BrowserWires()) {
    if (wire.name == name) run.result.options.wire = {&wire, false};
  }
  if (connect_us > 0) run.result.connect.Record(static_cast<uint64_t>(connect_us * 1000));
  return run;
}

TEST(RecommendTest, TheBrowserScenarioRanksBrowserWiresAndSaysWhatTheBrowserAdds) {
  Scenario scenario;
  scenario.id = "browser";
  scenario.row = FindScenario(scenario.id);
  scenario.runs = {MakeRun("tcp", 60),
                   MakeRun("rest-keepalive", 70),
                   MakeRun("ws", 72),
                   MakeBrowserRun("browser-fetch", 2000),
                   MakeBrowserRun("browser-fetch-cors", 2500),
                   MakeBrowserRun("browser-fetch-cors-cached", 2010),
                   MakeBrowserRun("browser-ws", 170),
                   MakeBrowserRun("browser-ws-new", 11000, 9500),
                   MakeBrowserRun("browser-module-ws", 190),
                   MakeBrowserRun("browser-module-fetch", 2005)};
  const Verdict verdict = Recommend(scenario);
  EXPECT_EQ(verdict.best, std::vector<std::string>{"browser-ws"});  // not the C++ client's rows
  EXPECT_THAT(verdict.text, StartsWith("in Chromium: browser-ws leads (p50 170 µs)"));
  EXPECT_THAT(verdict.text,
              HasSubstr("browser-fetch 2.00 ms vs rest-keepalive 70 µs +1.93 ms (28.6×)"));
  EXPECT_THAT(verdict.text, HasSubstr("browser-ws 170 µs vs ws 72 µs +98 µs (2.4×)"));
  EXPECT_THAT(
      verdict.text,
      HasSubstr(". A second origin with a preflight before every request adds +500 µs (1.2×)"));
  EXPECT_THAT(verdict.text, HasSubstr("its preflight cached (Max-Age) costs nothing measurable"));
  EXPECT_THAT(verdict.text,
              HasSubstr("a new WebSocket per request takes 11.00 ms (opening it 9.50 ms)"));
  // The JavaScript client is measured against the bare browser wire, not the C++ client.
  EXPECT_THAT(verdict.text, Not(HasSubstr("browser-module-ws 190 µs vs ws")));
  EXPECT_THAT(verdict.text,
              HasSubstr(". What the predictwire.js client adds to the browser's bare WebSocket "
                        "and fetch: browser-module-ws 190 µs vs browser-ws 170 µs: +20 µs (1.1×) "
                        "per request, 95% CI 9–12%"));
  EXPECT_THAT(verdict.text, HasSubstr("browser-module-fetch 2.00 ms vs browser-fetch 2.00 ms: "
                                      "nothing measurable (95% CI"));
  EXPECT_THAT(verdict.meaning,
              StartsWith("from a browser (Chromium): browser-ws (p50 170 µs); a fetch takes "
                         "2.00 ms, 12× as long, a new WebSocket per request 11.00 ms; the browser "
                         "adds +98 µs (2.4×) to the C++ client's ws; the predictwire.js client "
                         "adds +20 µs (1.1×) per request to the bare WebSocket (95% CI 9–12%)"));
  Report report;
  report.scenarios.push_back(scenario);
  report.scenarios.back().verdict = verdict;
  EXPECT_EQ(OverallLines(report).back(), "Client: " + verdict.meaning);
  report.scenarios.clear();  // unmeasured: the row says what measured the client instead
  EXPECT_THAT(OverallLines(report).back(), StartsWith("Client: measured from predictwire's C++"));
}

TEST(RecommendTest, AClearWinnerGetsEveryMarginWithItsInterval) {
  Scenario scenario;
  scenario.runs = {MakeRun("rest-keepalive", 645), MakeRun("ws", 555), MakeRun("rest", 1400)};
  const Verdict verdict = Recommend(scenario);
  EXPECT_THAT(verdict.text, StartsWith("ws leads (p50 555 µs); ws is 14% faster than "
                                       "rest-keepalive (p50 555 µs vs 645 µs, 95% CI 1"));
  EXPECT_THAT(verdict.text, HasSubstr("ws is 60% faster than rest (p50 555 µs vs 1.40 ms"));
  EXPECT_EQ(verdict.best, std::vector<std::string>{"ws"});
  ASSERT_TRUE(verdict.margin_pct.has_value());
  EXPECT_NEAR(*verdict.margin_pct, 14, 0.5);  // against the nearest, rest-keepalive
  ASSERT_TRUE(verdict.margin_ci_pct.has_value());
  EXPECT_GT(verdict.margin_ci_pct->low, 10);
  EXPECT_LT(verdict.margin_ci_pct->high, 18);
}

TEST(RecommendTest, ADifferenceInsideTheNoiseIsATie) {
  Scenario scenario;
  loadgen::Run ws = MakeRun("ws", 555, 0, 0, 0.3);
  loadgen::Run rest = MakeRun("rest-keepalive", 575, 0, 0, 0.3);
  loadgen::Run slow = MakeRun("rest", 2000, 0, 0, 0.3);
  scenario.runs = {ws, rest, slow};
  const Verdict verdict = Recommend(scenario);
  EXPECT_THAT(verdict.text, StartsWith("tie between ws and rest-keepalive (p50 555 µs and "
                                       "575 µs): their differences are inside the noise"));
  EXPECT_THAT(verdict.text, HasSubstr("ws is 72% faster than rest"));
  EXPECT_EQ(verdict.best, (std::vector<std::string>{"ws", "rest-keepalive"}));
}

TEST(RecommendTest, ASteadyButNegligibleDifferenceIsATie) {
  // A 50 ms model: every batch within 0.01%, so a 0.05% difference is "significant". It is
  // still nothing anyone could act on.
  Scenario scenario;
  scenario.runs = {MakeRun("rest", 50'025, 0, 0, 0.0001), MakeRun("ws", 50'000, 0, 0, 0.0001)};
  const Verdict verdict = Recommend(scenario);
  EXPECT_THAT(verdict.text, StartsWith("tie between ws and rest"));
  EXPECT_FALSE(verdict.margin_pct.has_value());
}

TEST(RecommendTest, WithoutBatchesNothingCanBeToldApart) {
  Scenario scenario;
  loadgen::Run a = MakeRun("ws", 40);
  loadgen::Run b = MakeRun("rest", 100);
  a.result.batch_p50_us = {40};
  b.result.batch_p50_us = {100};
  scenario.runs = {a, b};
  const Verdict verdict = Recommend(scenario);
  EXPECT_THAT(verdict.text, StartsWith("tie between ws and rest"));
  EXPECT_FALSE(verdict.margin_pct.has_value());
}

TEST(RecommendTest, SaysWhenTooFewRequestsWereMeasured) {
  Scenario scenario;
  scenario.runs = {MakeRun("ws", 40), MakeRun("rest", 100)};
  EXPECT_THAT(Recommend(scenario).text, ::testing::Not(HasSubstr("indicative")));
  scenario.runs[1].result.requests = 24;
  EXPECT_THAT(Recommend(scenario).text, HasSubstr("indicative only: 24 requests for rest"));
}

TEST(RecommendTest, AFloorIsAYardstickNotACandidate) {
  Scenario scenario;
  loadgen::Run floor = MakeRun("tcp", 300);
  floor.label = "raw TCP, kept open";
  scenario.runs = {floor, MakeRun("ws", 400), MakeRun("rest-keepalive", 500)};
  const Verdict verdict = Recommend(scenario);
  EXPECT_THAT(verdict.text, StartsWith("ws leads (p50 400 µs); ws is 20% faster than "
                                       "rest-keepalive"));
  EXPECT_THAT(verdict.text, HasSubstr("(raw TCP measured in turn with these runs, p50: raw TCP, "
                                      "kept open 300 µs)"));
}

TEST(FloorForTest, PrefersTheScenariosFloorOfTheSameConnectionKind) {
  Report report;
  report.floors["split"] = {.persistent_p50_us = 30, .new_connection_p50_us = 90};
  Scenario scenario;
  scenario.placement = "split";
  scenario.runs = {MakeRun("rest", 1000), MakeRun("ws", 800)};
  EXPECT_DOUBLE_EQ(FloorFor(report, scenario, scenario.runs[0]), 90);
  EXPECT_DOUBLE_EQ(FloorFor(report, scenario, scenario.runs[1]), 30);
  scenario.runs.push_back(MakeRun("tcp-new", 600));
  scenario.runs.push_back(MakeRun("tcp", 400));
  EXPECT_NEAR(FloorFor(report, scenario, scenario.runs[0]), 600, 6);
  EXPECT_NEAR(FloorFor(report, scenario, scenario.runs[1]), 400, 4);
}

TEST(RecommendTest, TheTlsScenarioSaysWhatTlsAddsToEachWire) {
  Scenario scenario;
  scenario.id = "tls";
  scenario.row = FindScenario(scenario.id);
  loadgen::Run plain_rest = MakeRun("rest", 90);
  plain_rest.label = "rest, new TCP connection";
  loadgen::Run full = MakeRun("rest+tls", 1300);
  full.label = "rest+tls, full handshake";
  loadgen::Run ws = MakeRun("ws", 40);
  loadgen::Run ws_tls = MakeRun("ws+tls", 50);
  loadgen::Run h2 = MakeRun("h2", 60, 0, 0, 0.3);
  loadgen::Run h2_tls = MakeRun("h2+tls", 61, 0, 0, 0.3);
  scenario.runs = {plain_rest, full, ws, ws_tls, h2, h2_tls};
  const Verdict verdict = Recommend(scenario);
  EXPECT_THAT(verdict.text, StartsWith("ws leads (p50 40 µs)"));
  EXPECT_THAT(verdict.text,
              HasSubstr("TLS adds per request on an open connection: 25% to ws (p50 40 µs vs "
                        "50 µs, 95% CI 2"));
  EXPECT_THAT(verdict.text, HasSubstr("nothing measurable to h2 (p50 60 µs vs 61 µs"));
  EXPECT_THAT(verdict.text, HasSubstr("a new connection per request costs rest+tls, full "
                                      "handshake 1.30 ms (+1.21 ms over rest, new TCP "
                                      "connection 90 µs)"));
  EXPECT_THAT(verdict.meaning, StartsWith("TLS adds per request"));
}

TEST(RecommendTest, TheBatchingScenarioSaysFromWhichLoadBatchingPaysAndWhatItCosts) {
  Scenario scenario;
  scenario.id = "batching";
  scenario.row = FindScenario(scenario.id);
  scenario.sweep = Sweep::kConcurrency;
  // p50 in µs at 1 and 64 outstanding: batching adds 20 µs alone, then carries 4x more.
  const struct {
    const char* model;
    double level;
    double p50_us;
  } points[] = {{"busy1", 1, 1000},
                {"busy1", 64, 64000},
                {"busy1_batched", 1, 1020},
                {"busy1_batched", 64, 16000}};
  for (const auto& point : points) {
    loadgen::Run run = MakeRun("ws", point.p50_us, point.level);
    run.result.options.model = point.model;
    run.wire = std::string(point.model).ends_with("_batched") ? "ws busy1 batched" : "ws busy1";
    run.result.throughput_rps = point.level * 1e6 / point.p50_us;
    scenario.runs.push_back(run);
  }
  const Verdict verdict = Recommend(scenario);
  // The line of the plot to pick: the batched twin's (run.wire), one finding per model.
  EXPECT_THAT(verdict.best, ::testing::ElementsAre("ws busy1 batched"));
  EXPECT_FALSE(verdict.tie);
  EXPECT_THAT(verdict.meaning, HasSubstr("busy1: batching pays from 64 outstanding"));
  EXPECT_THAT(verdict.meaning, HasSubstr("at 1 outstanding it costs 20 µs on the p50"));
  EXPECT_THAT(verdict.text, HasSubstr("64 outstanding: 4000 vs 1000 req/s (4.00x)"));
}

TEST(RecommendTest, SetsAsideRunsWithErrors) {
  Scenario scenario;
  scenario.runs = {MakeRun("ws", 40), MakeRun("rest", 10, 0, 50)};
  const Verdict verdict = Recommend(scenario);
  EXPECT_THAT(verdict.text, StartsWith("ws leads (p50 40 µs)"));
  EXPECT_THAT(verdict.text, HasSubstr("Not ranked: rest (50 of 150 requests failed)"));
}

TEST(RecommendTest, SweepsGetAVerdictPerValueAndSayWhenTheWireStopsMattering) {
  Scenario scenario;
  scenario.row = FindScenario("compute");
  scenario.sweep = Sweep::kComputeMs;
  scenario.runs = {MakeRun("ws", 40, 0), MakeRun("rest", 100, 0), MakeRun("ws", 50100, 50, 0, 0.05),
                   MakeRun("rest", 50300, 50, 0, 0.05)};
  const Verdict verdict = Recommend(scenario);
  EXPECT_THAT(verdict.text, HasSubstr("at 0 ms compute: ws leads (p50 40 µs); ws is 60% faster "
                                      "than rest"));
  EXPECT_THAT(verdict.text, HasSubstr("at 50 ms compute: tie between ws and rest"));
  EXPECT_THAT(verdict.text, HasSubstr("the wire no longer matters"));
  EXPECT_EQ(verdict.best, std::vector<std::string>{"ws"});  // best at every value
  EXPECT_EQ(verdict.meaning,
            "ws at 0 ms compute; from 50 ms compute on, the wire no longer "
            "matters");
}

TEST(RecommendTest, ConcurrencySweepReportsTheMostThroughput) {
  Scenario scenario;
  scenario.row = FindScenario("concurrency");
  scenario.sweep = Sweep::kConcurrency;
  scenario.runs = {MakeRun("ws", 40, 1), MakeRun("ws", 20, 8), MakeRun("rest-keepalive", 50, 8)};
  const Verdict verdict = Recommend(scenario);
  EXPECT_THAT(verdict.text, HasSubstr("most throughput: ws 50000 req/s"));
  EXPECT_EQ(verdict.best, std::vector<std::string>{"ws"});
}

TEST(RecommendTest, CapacityIsTheHighestRateHeldWithinTheObjective) {
  Scenario scenario;
  scenario.row = FindScenario("capacity");
  scenario.sweep = Sweep::kOfferedRate;
  scenario.slo_us = 1000;
  auto at = [](std::string wire, double rate, double p99_us, uint64_t errors = 0) {
    loadgen::Run run = MakeRun(wire, p99_us / 2, rate, errors);
    run.result.latency.Clear();
    for (int i = 0; i < 100; ++i) run.result.latency.Record(static_cast<uint64_t>(p99_us * 1000));
    return run;
  };
  scenario.runs = {at("ws", 5000, 300), at("ws", 10000, 600), at("ws", 20000, 4000),
                   at("rest-keepalive", 5000, 400), at("rest-keepalive", 10000, 900, 3)};
  loadgen::Run skipped = at("rest-keepalive", 20000, 0);
  skipped.skipped = "not run";
  scenario.runs.push_back(skipped);
  const Verdict verdict = Recommend(scenario);
  EXPECT_EQ(verdict.best, std::vector<std::string>{"ws"});
  EXPECT_THAT(verdict.text, StartsWith("within p99 1.00 ms: ws holds 10000 req/s (p99 600 µs); "
                                       "at 20000 req/s p99 4.00 ms. rest-keepalive holds 5000 "
                                       "req/s (p99 400 µs); at 10000 req/s 3 errors"));
  EXPECT_EQ(verdict.meaning, "with a p99 objective of 1.00 ms: ws carries the most (10000 req/s)");
}

TEST(RecommendTest, TheDecisionHasALinePerScenario) {
  Report report;
  Scenario sporadic;
  sporadic.id = "sporadic";
  sporadic.row = FindScenario(sporadic.id);
  sporadic.placement = "split";
  sporadic.runs = {MakeRun("ws", 400), MakeRun("rest", 900)};
  sporadic.verdict = Recommend(sporadic);
  report.scenarios = {sporadic};
  const std::vector<std::string> lines = DecisionLines(report);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], StartsWith("sporadic [split]: ws, 56% ahead of the next (95% CI 5"));
  EXPECT_THAT(lines[0], HasSubstr("keep the connection open (ws): a new one per request costs "
                                  "125% more"));
}

}  // namespace
}  // namespace predictwire::loadgen
