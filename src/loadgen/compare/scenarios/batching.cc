// Dynamic batching's trade (--model ...,batch=MAX): throughput and latency at 1 to 64 requests
// outstanding, each model with and without batching, on one multiplexing wire (one connection
// carries every outstanding request, as a busy client would send them). The real XGBoost model
// costs per row; busy1 costs 1 ms per call whatever its rows, like a model whose cost is the
// call (an accelerator, an interpreter): batching pays most there.

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "core/default_models.h"
#include "loadgen/compare/judging.h"
#include "loadgen/compare/planning.h"
#include "loadgen/compare/test_models.h"
#include "loadgen/stats/format.h"

namespace predictwire::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<PlannedScenario> Plan(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{
      "batching", "Dynamic batching: with and without, 1 to 64 outstanding",
      "Heavy traffic to one model: does merging concurrent requests into one model call carry "
      "more, and what does it cost a lone request?",
      Sweep::kConcurrency};
  // --quick: the two ends only, briefly (its whole plan must stay within its budget).
  const std::vector<int> levels = quick ? std::vector<int>{1, 64} : std::vector<int>{1, 4, 16, 64};
  const auto duration = quick ? milliseconds(150) : seconds(4);
  const auto warmup = quick ? milliseconds(50) : Warmup(options);
  std::vector<WireSpec> wires = SelectWires(options, [](const Wire& wire, bool) {
    return wire.multiplexes && !wire.new_connection_per_request;
  });
  if (wires.empty()) {
    wires = SelectWires(options,
                        [](const Wire& wire, bool) { return !wire.new_connection_per_request; });
  }
  if (wires.empty()) return {};
  const WireSpec& wire = wires.front();
  for (const std::string model : {std::string(kDefaultModelName), std::string("busy1")}) {
    for (const bool batched : {false, true}) {
      const std::string served = batched ? model + std::string(kBatchedSuffix) : model;
      for (int level : levels) {
        BenchOptions bench = ClosedLoad(wire, level, duration, warmup);
        bench.pipeline = level;
        PlannedRun run = ServerRun(fmt::format("{}, {}{}, {} outstanding", WireLabel(wire), model,
                                               batched ? " batched" : "", level),
                                   bench, served);
        // The plot draws one line per model and batching: the "wire" groups runs.
        run.wire = fmt::format("{} {}{}", WireLabel(wire), model, batched ? " batched" : "");
        run.sweep_value = level;
        scenario.runs.push_back(std::move(run));
      }
    }
  }
  return {scenario};
}

// Per model, its runs with and without dynamic batching (a served model named with
// kBatchedSuffix is the batched twin) paired at each load: from which load on batching carries
// at least 10% more, and what it costs a lone request (the p50 at the lowest load).
void JudgeBatching(const Scenario&, const RunsToJudge& runs, Verdict* verdict) {
  struct Pair {
    const Run* plain = nullptr;
    const Run* batched = nullptr;
  };
  // model → outstanding → the two runs, in the order they were planned.
  std::vector<std::string> models;
  std::map<std::string, std::map<double, Pair>> pairs;
  for (const Run* run : runs.healthy) {
    std::string model = run->result.options.model;
    const bool batched = model.ends_with(kBatchedSuffix);
    if (batched) model.resize(model.size() - kBatchedSuffix.size());
    if (std::find(models.begin(), models.end(), model) == models.end()) models.push_back(model);
    Pair& pair = pairs[model][run->sweep_value];
    (batched ? pair.batched : pair.plain) = run;
  }
  // Differences under this are within what a shared machine's runs drift by.
  constexpr double kPays = 1.10;
  std::vector<std::string> texts;
  std::vector<std::string> meanings;
  std::vector<std::string> best;
  for (const std::string& model : models) {
    std::vector<std::string> points;
    std::optional<double> pays_from;
    std::string low_load;
    const Pair* highest = nullptr;  // the pair at the highest load
    for (const auto& [level, pair] : pairs[model]) {
      if (pair.plain == nullptr || pair.batched == nullptr) continue;
      highest = &pair;
      const double plain_rps = pair.plain->result.throughput_rps;
      const double batched_rps = pair.batched->result.throughput_rps;
      const double gain = plain_rps > 0 ? batched_rps / plain_rps : 0;
      points.push_back(fmt::format(
          "{:g} outstanding: {:.0f} vs {:.0f} req/s ({:.2f}x), p50 {} vs {}, p99 {} vs {}", level,
          batched_rps, plain_rps, gain, FormatMicroseconds(P50(*pair.batched)),
          FormatMicroseconds(P50(*pair.plain)), FormatMicroseconds(P99(*pair.batched)),
          FormatMicroseconds(P99(*pair.plain))));
      if (!pays_from && gain >= kPays) pays_from = level;
      if (low_load.empty()) {
        low_load = fmt::format("at {:g} outstanding it costs {} on the p50 ({} vs {})", level,
                               FormatMicroseconds(P50(*pair.batched) - P50(*pair.plain)),
                               FormatMicroseconds(P50(*pair.batched)),
                               FormatMicroseconds(P50(*pair.plain)));
      }
    }
    if (points.empty()) continue;
    texts.push_back(fmt::format("{} (batched vs not): {}", model, fmt::join(points, "; ")));
    const std::string from =
        pays_from ? fmt::format("batching pays from {:g} outstanding", *pays_from)
                  : fmt::format("batching never carried {:.0f}% more", (kPays - 1) * 100);
    meanings.push_back(fmt::format("{}: {}; {}", model, from, low_load));
    // The line of the plot to pick for the model: batched when it pays, else without.
    best.push_back(pays_from ? highest->batched->wire : highest->plain->wire);
  }
  verdict->best = std::move(best);  // one finding per model, not a tie between them
  verdict->text = fmt::format("{}", fmt::join(texts, ". "));
  verdict->meaning = fmt::format("{}", fmt::join(meanings, ". "));
}

}  // namespace

extern const ScenarioRow kBatchingScenario = {
    .id = "batching",
    .summary = "each model with and without dynamic batching, 1 to 64 outstanding",
    .criterion = Criterion::kBatching,
    .unavailable = NeedsOwnServer,
    .plan = Plan,
    .judge = JudgeBatching,
};

}  // namespace predictwire::loadgen
