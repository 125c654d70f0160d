// Sporadic: the article says REST suits it. What does a connection per request cost? The wires
// and the floors share one Poisson stream of arrivals, dealt to them in turn, so each request of
// each wire meets the machine as the others' do (after an idle gap every vCPU has halted).

#include <fmt/format.h>

#include "core/default_models.h"
#include "loadgen/compare/judging.h"
#include "loadgen/compare/planning.h"
#include "loadgen/stats/format.h"

namespace predictwire::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<PlannedScenario> Plan(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{"sporadic",
                           quick ? "Sporadic: each wire ~10 requests/s (Poisson), in turn"
                                 : "Sporadic: each wire ~5 requests/s (Poisson), in turn",
                           "Predictions now and then: is a new connection per request (REST as "
                           "the article writes it) worse than keeping one open?"};
  scenario.interleaved = true;
  const double rate = quick ? 10 : 5;  // per wire: at least 100 requests each in --quick
  const auto duration = quick ? milliseconds(12000) : seconds(30);
  const auto warmup = Warmup(options);
  // One request at a time: a multiplexing wire measures what its one-at-a-time twin measures.
  const std::vector<WireSpec> wires =
      SelectWires(options, [](const Wire& wire, bool) { return !wire.multiplexes; });
  // The raw TCP floor paced the same way: after an idle gap the machine itself needs time to
  // wake up, and that is not any protocol's cost.
  AddFloorRuns(OpenLoad({}, rate, Arrival::kPoisson, 1, duration, warmup), true, &scenario);
  for (const WireSpec& wire : wires) {
    scenario.runs.push_back(ServerRun(WireLabel(wire),
                                      OpenLoad(wire, rate, Arrival::kPoisson, 1, duration, warmup),
                                      ModelFor(options, kDefaultModelName)));
  }
  return {scenario};
}

// Latency, and what a new connection per request costs against the best kept-open wire.
void JudgeSporadic(const Scenario& scenario, const RunsToJudge& runs, Verdict* verdict) {
  JudgeLatency(scenario, runs, verdict);
  const Judgement judgement = Judge(runs.healthy);
  const std::string best = verdict->meaning;
  verdict->meaning = fmt::format("for predictions now and then: {}", best);
  for (const auto& [run, margin] : judgement.others) {
    if (run->result.options.wire.wire->new_connection_per_request) {
      verdict->meaning = fmt::format(
          "for predictions now and then, keep the connection open ({}): a new one per request "
          "costs {:.0f}% more",
          best, SlowerPercent(margin.percent));
      return;
    }
  }
}

}  // namespace

extern const ScenarioRow kSporadicScenario = {
    .id = "sporadic",
    .summary = "one client now and then: a connection per request against one kept open",
    .criterion = Criterion::kRequestRate,
    .plan = Plan,
    .judge = JudgeSporadic,
};

}  // namespace predictwire::loadgen
