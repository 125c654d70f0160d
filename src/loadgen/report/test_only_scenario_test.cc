// A scenario that is not in the table, run through compare end to end: a row is all a scenario
// needs. Its one wire is a copy of the raw TCP row that is a candidate rather than a floor, so
// it needs no server but the placement's own echo; the target named is closed (nothing is
// sized there), which compare notes and goes on.

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "loadgen/compare/judging.h"
#include "loadgen/compare/planning.h"
#include "loadgen/compare/run_compare.h"
#include "loadgen/report/report_json.h"
#include "loadgen/report/report_text.h"

namespace predictwire::loadgen {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const Wire& EchoWire() {
  static const Wire wire = [] {
    Wire echo = *ParseWire("tcp")->wire;
    echo.name = "test-echo";
    echo.floor = false;  // a candidate, judged like any wire
    return echo;
  }();
  return wire;
}

std::vector<PlannedScenario> PlanEcho(const PlanOptions& options) {
  PlannedScenario scenario{"echo-only", "Echo: a scenario only this test has",
                           "Does compare run a row it was given?"};
  BenchOptions bench = ClosedLoad({&EchoWire(), false}, 1, std::chrono::milliseconds(300),
                                  std::chrono::milliseconds(20));
  bench.requests = options.quick ? 300 : 3000;
  AddFloorRuns(bench, /*new_connection=*/false, &scenario);
  scenario.runs.push_back(ServerRun("test-echo, one at a time", bench, ""));
  return {scenario};
}

void JudgeEcho(const Scenario& scenario, const RunsToJudge& runs, Verdict* verdict) {
  JudgeLatency(scenario, runs, verdict);
  verdict->meaning = "the test's judge says: " + verdict->meaning;
}

std::string AnsweredCell(const Run& run) { return fmt::format("{} answered", run.result.requests); }

constexpr ReportColumn kEchoColumns[] = {
    {.header = "echo answers", .meaning = "the test's own column", .cell = AnsweredCell}};

const ScenarioRow kEchoScenario = {
    .id = "echo-only",
    .summary = "a scenario only this test has",
    .criterion = Criterion::kRequestRate,
    .plan = PlanEcho,
    .judge = JudgeEcho,
    .columns = kEchoColumns,
};
const ScenarioRow* const kRows[] = {&kEchoScenario};

class Recorder : public CompareObserver {
 public:
  void OnFloor(std::string_view placement, const Floor&) override {
    floors.emplace_back(placement);
  }
  void OnRound(const Round& round) override {
    progress.push_back(RoundProgressLine(round));
    total = round.total;
  }
  void OnScenario(const Report& report, const Scenario& scenario) override {
    tables.push_back(ScenarioTable(report, scenario));
  }
  std::vector<std::string> floors, progress, tables;
  size_t total = 0;
};

TEST(TestOnlyScenarioTest, CompareRunsARowItWasGivenFromPlanToReport) {
  CompareOptions options;
  options.quick = true;
  options.log_dir = ::testing::TempDir();
  options.target = "http://127.0.0.1:1";  // nothing listens: compare sizes nothing there
  options.placements = {"same"};
  options.rows = kRows;
  Recorder recorder;
  absl::StatusOr<Report> report = RunCompare(options, recorder);
  ASSERT_TRUE(report.ok()) << report.status();

  ASSERT_EQ(report->scenarios.size(), 1u);
  const Scenario& scenario = report->scenarios[0];
  EXPECT_EQ(scenario.row, &kEchoScenario);
  ASSERT_EQ(scenario.runs.size(), 2u);  // the floor, then the wire
  for (const loadgen::Run& run : scenario.runs) {
    EXPECT_EQ(run.result.requests, 300u) << run.label;  // 100 a round, three rounds
    EXPECT_EQ(run.result.errors, 0u) << run.label;
  }
  EXPECT_EQ(recorder.floors, std::vector<std::string>{"same"});
  EXPECT_EQ(recorder.progress.size(), 6u);
  EXPECT_EQ(recorder.total, 6u);
  EXPECT_THAT(recorder.progress.back(),
              StartsWith("[6/6 same] echo-only / test-echo, one at a time (round 3/3)"));

  // Its judge, its column, its criterion: the decision and every report read the row.
  EXPECT_THAT(scenario.verdict.meaning, StartsWith("the test's judge says: test-echo"));
  ASSERT_EQ(report->decision.size(), 1u);
  EXPECT_THAT(report->decision[0], StartsWith("echo-only [same]: test-echo, one at a time"));
  ASSERT_EQ(report->overall.size(), 1u);
  EXPECT_THAT(report->overall[0], StartsWith("Request rate: the test's judge says:"));
  ASSERT_EQ(recorder.tables.size(), 1u);
  EXPECT_THAT(recorder.tables[0], HasSubstr("echo answers 300 answered"));
  EXPECT_THAT(report->notes, ::testing::Contains(HasSubstr("could not size a REST exchange")));
  boost::system::error_code error;
  const boost::json::value json = boost::json::parse(ReportToJson(*report), error);
  ASSERT_FALSE(error);
  EXPECT_EQ(json.at("scenarios").at(0).at("id").as_string(), "echo-only");
  EXPECT_EQ(json.at("decision").at(0).at("meaning").as_string(), scenario.verdict.meaning);
}

TEST(TestOnlyScenarioTest, AnUnknownScenarioIsAClearError) {
  CompareOptions options;
  options.rows = kRows;
  options.scenarios = {"sporadic"};
  Recorder recorder;
  const absl::StatusOr<Report> report = RunCompare(options, recorder);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().message(), "unknown scenario 'sporadic'; the scenarios are echo-only");
}

}  // namespace
}  // namespace predictwire::loadgen
