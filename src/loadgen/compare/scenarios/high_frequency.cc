// High frequency: one client streaming as fast as the wire allows (and, in a full run, at fixed
// rates), with the real model, which computes in microseconds, so the wire is most of the time.

#include <fmt/format.h>

#include "core/default_models.h"
#include "loadgen/compare/judging.h"
#include "loadgen/compare/planning.h"

namespace predictwire::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<PlannedScenario> Plan(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{
      "high-frequency", "High frequency: one client back to back, the real XGBoost model",
      "Continuous predictions (a live dashboard) from a model that computes in microseconds: "
      "how fast is each wire when it is never idle?"};
  const auto warmup = Warmup(options);
  const std::vector<WireSpec> wires =
      SelectWires(options, [](const Wire& wire, bool trim) { return !trim || !wire.multiplexes; });
  AddFloorRuns(ClosedLoad({}, 1, quick ? milliseconds(900) : seconds(3), warmup),
               AnyNewConnectionPerRequest(wires), &scenario);
  const std::string model = ModelFor(options, kDefaultModelName);
  for (const WireSpec& wire : wires) {
    scenario.runs.push_back(
        ServerRun(WireLabel(wire),
                  ClosedLoad(wire, 1, quick ? milliseconds(900) : seconds(5), warmup), model));
    if (quick || wire.wire->new_connection_per_request) continue;
    for (double rate : {1000.0, 5000.0}) {
      scenario.runs.push_back(
          ServerRun(fmt::format("{}, {:g} req/s", WireLabel(wire), rate),
                    OpenLoad(wire, rate, Arrival::kConstant, 1, seconds(5), warmup), model));
    }
  }
  return {scenario};
}

void JudgeHighFrequency(const Scenario& scenario, const RunsToJudge& runs, Verdict* verdict) {
  JudgeLatency(scenario, runs, verdict);
  verdict->meaning = fmt::format("for back-to-back predictions: {}", verdict->meaning);
}

}  // namespace

extern const ScenarioRow kHighFrequencyScenario = {
    .id = "high-frequency",
    .summary = "one client back to back with the real model: the wire is most of the time",
    .criterion = Criterion::kRequestRate,
    .plan = Plan,
    .judge = JudgeHighFrequency,
};

}  // namespace predictwire::loadgen
