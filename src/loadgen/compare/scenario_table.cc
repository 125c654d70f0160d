// The scenario table: one row per scenario compare measures, in the order it measures them.
// Adding a scenario is its file under scenarios/ and its row here; compare's help, its
// --scenarios, the verdicts, the decision and the reports all read the rows.

#include <algorithm>

#include "loadgen/compare/scenario.h"

namespace predictwire::loadgen {

extern const ScenarioRow kSporadicScenario;
extern const ScenarioRow kHighFrequencyScenario;
extern const ScenarioRow kTlsScenario;
extern const ScenarioRow kManyClientsScenario;
extern const ScenarioRow kComputeScenario;
extern const ScenarioRow kPayloadScenario;
extern const ScenarioRow kConcurrencyScenario;
extern const ScenarioRow kCapacityScenario;
extern const ScenarioRow kBatchingScenario;
extern const ScenarioRow kWanScenario;
extern const ScenarioRow kArticleScenario;
extern const ScenarioRow kBrowserScenario;
extern const ScenarioRow kScaleOutScenario;

namespace {

constexpr const ScenarioRow* kScenarios[] = {
    &kSporadicScenario, &kHighFrequencyScenario, &kTlsScenario,         &kManyClientsScenario,
    &kComputeScenario,  &kPayloadScenario,       &kConcurrencyScenario, &kCapacityScenario,
    &kBatchingScenario, &kWanScenario,           &kArticleScenario,     &kBrowserScenario,
    &kScaleOutScenario,
};

}  // namespace

std::span<const ScenarioRow* const> Scenarios() { return kScenarios; }

const ScenarioRow* FindScenario(std::string_view id, std::span<const ScenarioRow* const> rows) {
  const auto found = std::find_if(rows.begin(), rows.end(),
                                  [&](const ScenarioRow* row) { return id.starts_with(row->id); });
  return found == rows.end() ? nullptr : *found;
}

}  // namespace predictwire::loadgen
