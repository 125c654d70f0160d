#include "loadgen/report/report_text.h"

#include <fmt/format.h>

#include "loadgen/compare/scenario.h"
#include "loadgen/stats/format.h"

namespace predictwire::loadgen {

std::string RoundProgressLine(const CompareObserver::Round& round) {
  return fmt::format("[{}/{} {}] {} / {} (round {}/{}): p50 {}, {:.0f} req/s, {} errors\n",
                     round.done, round.total, round.placement, round.scenario, round.label,
                     round.round, round.rounds,
                     FormatMicroseconds(PercentileUs(round.result.latency, 50)),
                     round.result.throughput_rps, round.result.errors);
}

std::string FloorLine(std::string_view placement, const Floor& floor) {
  return fmt::format(
      "[{}] TCP floor ({} B → {} B): persistent p50 {:.1f} µs, new connection p50 {:.1f} µs\n",
      placement, floor.request_bytes, floor.reply_bytes, floor.persistent_p50_us,
      floor.new_connection_p50_us);
}

std::string ScenarioTable(const Report& report, const Scenario& scenario) {
  std::string out =
      fmt::format("\n== {} [{}]\n   {}\n", scenario.title, scenario.placement, scenario.question);
  out += fmt::format("   {:<34}{:>10}{:>10}{:>9}{:>11}{:>8}\n", "", "p50", "p99", "× floor",
                     "req/s", "errors");
  for (const Run& run : scenario.runs) {
    if (!run.skipped.empty()) {
      out += fmt::format("   {:<34}{:>10}  {}\n", run.label, "-", run.skipped);
      continue;
    }
    const double floor = FloorFor(report, scenario, run);
    const Histogram& latency = run.result.latency;
    const double p50 = PercentileUs(latency, 50);
    std::string extra;
    if (scenario.row != nullptr) {
      for (const ReportColumn& column : scenario.row->columns) {
        if (std::string cell = column.cell(run); !cell.empty()) {
          extra += fmt::format("  {} {}", column.header, cell);
        }
      }
    }
    out += fmt::format("   {:<34}{:>10}{:>10}{:>9}{:>11.0f}{:>8}{}\n", run.label,
                       latency.count() ? FormatMicroseconds(p50) : "-",
                       latency.count() ? FormatMicroseconds(PercentileUs(latency, 99)) : "-",
                       floor > 0 && latency.count() ? fmt::format("{:.2f}", p50 / floor) : "-",
                       run.result.throughput_rps, run.result.errors, extra);
  }
  out += fmt::format("   → {}\n", scenario.verdict.text);
  return out;
}

std::string DecisionText(const Report& report) {
  std::string out = "\n== Decision\n";
  for (const std::string& line : report.decision) out += fmt::format("   {}\n", line);
  out += "\n   Overall, by the article's criteria:\n";
  for (const std::string& line : report.overall) out += fmt::format("   - {}\n", line);
  return out;
}

}  // namespace predictwire::loadgen
