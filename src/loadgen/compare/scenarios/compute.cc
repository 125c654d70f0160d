// Compute sweep: when does the wire stop mattering? Simulated models of fixed compute times.

#include <fmt/format.h>

#include "loadgen/compare/judging.h"
#include "loadgen/compare/planning.h"
#include "loadgen/compare/test_models.h"

namespace predictwire::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<PlannedScenario> Plan(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{"compute", "Compute sweep: simulated models of 0, 1 and 50 ms",
                           "A model that takes milliseconds: does the wire still matter?",
                           Sweep::kComputeMs};
  const std::vector<WireSpec> wires = SelectWires(options, [](const Wire& wire, bool trim) {
    return !wire.multiplexes && (!trim || wire.article);
  });
  for (const SimulatedModel& model : SimulatedModels()) {
    // --quick: the sleeping models only (the busy ones burn the server's CPU as long again).
    if (quick && model.kind == "busy") continue;
    for (const WireSpec& wire : wires) {
      PlannedRun run =
          ServerRun(fmt::format("{}, {} {:g} ms", WireLabel(wire), model.kind, model.ms),
                    ClosedLoad(wire, 1, quick ? milliseconds(1000) : seconds(5),
                               quick ? milliseconds(200) : milliseconds(1000)),
                    std::string(model.name));
      run.bench.features = 4;
      run.sweep_value = model.ms;
      if (model.kind == "busy") run.wire += " (busy)";
      scenario.runs.push_back(std::move(run));
    }
  }
  return {scenario};
}

}  // namespace

extern const ScenarioRow kComputeScenario = {
    .id = "compute",
    .summary = "models of 0, 1 and 50 ms: from which compute time the wire stops mattering",
    .criterion = Criterion::kComputeTime,
    .unavailable = NeedsOwnServer,
    .plan = Plan,
    .judge = JudgeSweep,
};

}  // namespace predictwire::loadgen
