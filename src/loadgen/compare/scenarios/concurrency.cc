// Throughput against latency, closed loop: how much each wire carries as requests pile up.

#include <fmt/format.h>

#include <algorithm>
#include <map>

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
  PlannedScenario scenario{"concurrency", "Throughput vs latency: closed loop, more outstanding",
                           "Heavy traffic: how much can each wire carry, and at what latency?",
                           Sweep::kConcurrency};
  const std::vector<int> levels =
      quick ? std::vector<int>{1, 16} : std::vector<int>{1, 4, 16, 64, 256};
  // A new connection per request is the sporadic scenario's subject. --quick: the multiplexing
  // wires against the article's one-request-at-a-time wires.
  const std::vector<WireSpec> wires = SelectWires(options, [](const Wire& wire, bool trim) {
    return !wire.new_connection_per_request && (!trim || wire.multiplexes || wire.article);
  });
  for (const WireSpec& wire : wires) {
    for (int level : levels) {
      BenchOptions bench =
          ClosedLoad(wire, level, quick ? milliseconds(1000) : seconds(5), Warmup(options));
      bench.pipeline = level;  // a multiplexing wire: all on one connection
      PlannedRun run = ServerRun(fmt::format("{}, {} outstanding", WireLabel(wire), level), bench,
                                 ModelFor(options, kDefaultModelName));
      run.sweep_value = level;
      scenario.runs.push_back(std::move(run));
    }
  }
  return {scenario};
}

// The most throughput each wire reached, and at what latency.
void JudgeThroughput(const Scenario&, const RunsToJudge& runs, Verdict* verdict) {
  std::map<std::string, const Run*> best_by_wire;
  for (const Run* run : runs.healthy) {
    const Run*& best = best_by_wire[run->wire];
    if (best == nullptr || run->result.throughput_rps > best->result.throughput_rps) best = run;
  }
  std::vector<const Run*> best;
  for (const auto& [wire, run] : best_by_wire) best.push_back(run);
  std::sort(best.begin(), best.end(), [](const Run* a, const Run* b) {
    return a->result.throughput_rps > b->result.throughput_rps;
  });
  std::vector<std::string> parts;
  for (const Run* run : best) {
    parts.push_back(fmt::format("{} {:.0f} req/s (p50 {} at {:g} outstanding)", run->wire,
                                run->result.throughput_rps, FormatMicroseconds(P50(*run)),
                                run->sweep_value));
  }
  verdict->best = {best.front()->wire};
  if (best.size() > 1 && best[1]->result.throughput_rps > 0) {
    verdict->margin_pct =
        (best.front()->result.throughput_rps / best[1]->result.throughput_rps - 1) * 100;
  }
  verdict->text = fmt::format("most throughput: {}", fmt::join(parts, ", "));
  verdict->meaning = fmt::format("under heavy load {} carries the most ({:.0f} req/s)",
                                 best.front()->wire, best.front()->result.throughput_rps);
}

}  // namespace

extern const ScenarioRow kConcurrencyScenario = {
    .id = "concurrency",
    .summary = "closed loop, 1 to 256 outstanding: throughput against latency",
    .criterion = Criterion::kClients,
    .plan = Plan,
    .judge = JudgeThroughput,
};

}  // namespace predictwire::loadgen
