// Payload sweep: JSON against binary, on the article's wires that keep their connection.

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
  PlannedScenario scenario{"payload", "Payload sweep: 30 features to 1 MiB of floats",
                           "Large inputs (images, embeddings): JSON text or binary?",
                           Sweep::kPayloadBytes};
  const std::vector<int> sizes =
      quick ? std::vector<int>{30, 4096, 262144} : std::vector<int>{30, 1024, 16384, 262144};
  const std::vector<WireSpec> wires = SelectWires(options, [](const Wire& wire, bool) {
    return wire.article && !wire.new_connection_per_request;
  });
  for (int features : sizes) {
    const double bytes = features * 4.0;  // float32
    for (const WireSpec& wire : wires) {
      PlannedRun run = ServerRun(
          fmt::format("{}, {}", WireLabel(wire), FormatSweepValue(Sweep::kPayloadBytes, bytes)),
          ClosedLoad(wire, 1, quick ? milliseconds(1000) : seconds(5), Warmup(options)),
          std::string(kInstantModel));
      run.bench.features = features;
      run.sweep_value = bytes;
      scenario.runs.push_back(std::move(run));
    }
  }
  return {scenario};
}

}  // namespace

extern const ScenarioRow kPayloadScenario = {
    .id = "payload",
    .summary = "30 features to 1 MiB of floats: JSON text against the binary format",
    .criterion = Criterion::kPayloadSize,
    .unavailable = NeedsOwnServer,
    .plan = Plan,
    .judge = JudgeSweep,
};

}  // namespace predictwire::loadgen
