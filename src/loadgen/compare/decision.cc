#include "loadgen/compare/decision.h"

#include <fmt/format.h>

#include <algorithm>

#include "loadgen/stats/format.h"

namespace predictwire::loadgen {

std::string_view CriterionName(Criterion criterion) {
  switch (criterion) {
    case Criterion::kNone:
      return "";
    case Criterion::kRequestRate:
      return "Request rate";
    case Criterion::kComputeTime:
      return "Model compute time";
    case Criterion::kPayloadSize:
      return "Payload size";
    case Criterion::kClients:
      return "Number of clients";
    case Criterion::kBatching:
      return "Batching";
    case Criterion::kRoundTrip:
      return "Network round trip";
    case Criterion::kTls:
      return "TLS";
    case Criterion::kScale:
      return "Scale (load balancing)";
    case Criterion::kClient:
      return "Client";
  }
  return "";
}

double FloorFor(const Report& report, const Scenario& scenario, const Run& run) {
  const bool new_connection = run.result.options.wire.wire->new_connection_per_request;
  for (const Run& floor : scenario.runs) {
    if (IsFloor(floor) && floor.result.requests > 0 &&
        floor.result.options.wire.wire->new_connection_per_request == new_connection) {
      return P50(floor);
    }
  }
  const auto it = report.floors.find(scenario.placement);
  if (it == report.floors.end()) return 0;
  return new_connection ? it->second.new_connection_p50_us : it->second.persistent_p50_us;
}

std::vector<std::string> DecisionLines(const Report& report) {
  std::vector<std::string> lines;
  for (const Scenario& scenario : report.scenarios) {
    const Verdict& verdict = scenario.verdict;
    std::string margin;
    if (verdict.margin_pct) {
      margin = fmt::format(", {:.0f}% ahead of the next", *verdict.margin_pct);
      if (verdict.margin_ci_pct) {
        margin += fmt::format(" (95% CI {})", FormatPercentInterval(*verdict.margin_ci_pct));
      }
    }
    const std::string best = verdict.best.empty() ? std::string("none")
                             : verdict.tie        ? "tie: " + JoinWords(verdict.best)
                                           : fmt::format("{}", fmt::join(verdict.best, ", "));
    lines.push_back(fmt::format("{} [{}]: {}{} — {}", scenario.id, scenario.placement, best, margin,
                                verdict.meaning));
  }
  return lines;
}

std::vector<std::string> OverallLines(const Report& report,
                                      std::span<const ScenarioRow* const> rows) {
  std::vector<std::string> lines;
  for (int value = static_cast<int>(Criterion::kNone) + 1;
       value <= static_cast<int>(Criterion::kClient); ++value) {
    const Criterion criterion = static_cast<Criterion>(value);
    std::vector<std::string> parts;
    std::string unmeasured;
    for (const ScenarioRow* row : rows) {
      if (row->criterion != criterion) continue;
      // The first placement measured speaks for the row: the scenario whose verdict says it
      // speaks for it, else the row's first.
      auto found = std::find_if(report.scenarios.begin(), report.scenarios.end(),
                                [&](const Scenario& scenario) {
                                  return scenario.row == row && scenario.verdict.overall;
                                });
      if (found == report.scenarios.end()) {
        found = std::find_if(report.scenarios.begin(), report.scenarios.end(),
                             [&](const Scenario& scenario) { return scenario.row == row; });
      }
      if (found != report.scenarios.end() && !found->verdict.meaning.empty()) {
        parts.push_back(found->verdict.meaning);
      } else if (found == report.scenarios.end() && unmeasured.empty()) {
        unmeasured = row->unmeasured;
      }
    }
    if (parts.empty() && !unmeasured.empty()) parts.push_back(unmeasured);
    if (!parts.empty()) {
      lines.push_back(fmt::format("{}: {}", CriterionName(criterion), fmt::join(parts, "; ")));
    }
  }
  return lines;
}

}  // namespace predictwire::loadgen
