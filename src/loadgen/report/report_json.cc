#include "loadgen/report/report_json.h"

#include <fmt/format.h>

#include "codec/json_writer.h"
#include "loadgen/compare/scenarios/scale_out.h"
#include "loadgen/driver/bench_output.h"
#include "loadgen/stats/format.h"

namespace predictwire::loadgen {
namespace {

using codec::JsonQuoted;

std::string IntervalJson(const std::optional<Interval>& interval, int decimals) {
  return interval
             ? fmt::format("[{:.{}f}, {:.{}f}]", interval->low, decimals, interval->high, decimals)
             : "null";
}

std::string StringsJson(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + JsonQuoted(items[i]);
  return out + "]";
}

// The verdict's figures, shared by the decision and the scenario.
std::string VerdictMembers(const Verdict& verdict) {
  return fmt::format(R"("best": {}, "tie": {}, "margin_pct": {}, "ci_pct": {}, "meaning": {})",
                     StringsJson(verdict.best), verdict.tie,
                     verdict.margin_pct ? fmt::format("{:.2f}", *verdict.margin_pct) : "null",
                     IntervalJson(verdict.margin_ci_pct, 2), JsonQuoted(verdict.meaning));
}

std::string NumbersJson(const std::vector<double>& values, int decimals) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    out += fmt::format("{}{:.{}f}", i ? ", " : "", values[i], decimals);
  }
  return out + "]";
}

// A run on the scale-out scenario's fleet: each backend's requests, and its event with the
// figures and the timeline; "null" for any other run.
std::string FleetJson(const Run& run) {
  const FleetObservation& fleet = run.fleet;
  if (fleet.backend_requests.empty() && fleet.event.empty()) return "null";
  std::string out =
      fmt::format("{{\"backend_requests\": {}, \"shares\": {}, \"skew\": {:.3f}, \"event\": {}",
                  NumbersJson(fleet.backend_requests, 0), NumbersJson(BackendShares(run), 4),
                  Skew(run), fleet.event.empty() ? "null" : JsonQuoted(fleet.event));
  if (!fleet.event.empty()) {
    const EventFigures figures = EventFiguresOf(run);
    const TimelineSeries timeline = TimelineOf(run);
    out += fmt::format(
        ", \"event_at_ms\": {:.1f}, \"event_end_ms\": {:.1f}, \"event_error\": {}, "
        "\"offered_rps\": {:.1f}, \"p99_during_us\": {:.1f}, \"recovered_ms\": {:.1f}, "
        "\"share_after_ms\": {:.1f}, \"timeline\": {{\"bin_ms\": {:.0f}, "
        "\"answered_rps\": {}, \"p99_us\": {}, \"errors\": {}, \"answered_after\": {:.0f}}}",
        fleet.event_at_ms, fleet.event_end_ms,
        fleet.error.empty() ? "null" : JsonQuoted(fleet.error), figures.offered_rps,
        figures.p99_during_us, figures.recovered_ms, fleet.share_after_ms, timeline.bin_ms,
        NumbersJson(timeline.answered_rps, 0), NumbersJson(timeline.p99_us, 0),
        NumbersJson(timeline.errors, 0), timeline.answered_after);
  }
  return out + "}";
}

}  // namespace

std::string ReportToJson(const Report& report) {
  std::string out = fmt::format(
      "{{\n  \"tool\": \"predictwire compare\",\n  \"version\": {},\n  \"date\": {},\n"
      "  \"machine\": {},\n  \"command\": {},\n  \"quick\": {},\n  \"placements\": {{",
      JsonQuoted(report.version), JsonQuoted(report.date), JsonQuoted(report.machine),
      JsonQuoted(report.command), report.quick);
  bool first = true;
  for (const auto& [name, description] : report.placements) {
    out += fmt::format("{}{}: {}", first ? "" : ", ", JsonQuoted(name), JsonQuoted(description));
    first = false;
  }
  out += "},\n  \"floors\": {";
  first = true;
  for (const auto& [placement, floor] : report.floors) {
    out += fmt::format(
        "{}\n    {}: {{\"persistent_p50_us\": {:.2f}, \"persistent_p99_us\": {:.2f}, "
        "\"new_connection_p50_us\": {:.2f}, \"new_connection_p99_us\": {:.2f}, "
        "\"request_bytes\": {}, \"reply_bytes\": {}}}",
        first ? "" : ",", JsonQuoted(placement), floor.persistent_p50_us, floor.persistent_p99_us,
        floor.new_connection_p50_us, floor.new_connection_p99_us, floor.request_bytes,
        floor.reply_bytes);
    first = false;
  }
  out += "\n  },\n  \"decision\": [";
  for (size_t s = 0; s < report.scenarios.size(); ++s) {
    const Scenario& scenario = report.scenarios[s];
    out += fmt::format("{}\n    {{\"scenario\": {}, \"placement\": {}, {}}}", s ? "," : "",
                       JsonQuoted(scenario.id), JsonQuoted(scenario.placement),
                       VerdictMembers(scenario.verdict));
  }
  out += fmt::format("\n  ],\n  \"decision_lines\": {},\n  \"overall\": {},\n  \"notes\": {},",
                     StringsJson(report.decision), StringsJson(report.overall),
                     StringsJson(report.notes));
  out += "\n  \"scenarios\": [";
  for (size_t s = 0; s < report.scenarios.size(); ++s) {
    const Scenario& scenario = report.scenarios[s];
    out += fmt::format(
        "{}\n    {{\"id\": {}, \"title\": {}, \"question\": {}, \"placement\": {}, \"sweep\": {}, "
        "\"slo_us\": {:.1f}, \"verdict\": {{{}, \"text\": {}}}, \"runs\": [",
        s ? "," : "", JsonQuoted(scenario.id), JsonQuoted(scenario.title),
        JsonQuoted(scenario.question), JsonQuoted(scenario.placement),
        JsonQuoted(SweepName(scenario.sweep)), scenario.slo_us, VerdictMembers(scenario.verdict),
        JsonQuoted(scenario.verdict.text));
    for (size_t r = 0; r < scenario.runs.size(); ++r) {
      const Run& run = scenario.runs[r];
      const double floor = FloorFor(report, scenario, run);
      out += fmt::format(
          "{}\n      {{\"wire\": {}, \"label\": {}, \"floor\": {}, \"probe\": {}, "
          "\"skipped\": {}, \"sweep_value\": {}, \"times_floor\": {:.3f}, \"p50_ci_us\": {}, "
          "\"server_rss_mib\": {:.2f}, \"server_rss_idle_mib\": {:.2f}, "
          "\"server_cpu_seconds\": {:.3f}, \"server_connections\": {}, "
          "\"server_kib_per_connection\": {:.2f}, \"fleet\": {}, \"result\": {}}}",
          r ? "," : "", JsonQuoted(run.wire), JsonQuoted(run.label), IsFloor(run), run.probe,
          run.skipped.empty() ? "null" : JsonQuoted(run.skipped), run.sweep_value,
          floor > 0 ? P50(run) / floor : 0.0,
          IntervalJson(MedianInterval(run.result.batch_p50_us), 3), run.server_rss_mib,
          run.server_rss_idle_mib, run.server_cpu_seconds, run.server_connections,
          KibPerConnection(run), FleetJson(run), ToJson(run.result));
    }
    out += "]}";
  }
  out += "\n  ]\n}\n";
  return out;
}

std::string ReportToCsv(const Report& report) {
  std::string out =
      "scenario,placement,sweep,sweep_value,label,times_floor,server_rss_mib,"
      "server_connections," +
      CsvHeader();
  for (const Scenario& scenario : report.scenarios) {
    for (const Run& run : scenario.runs) {
      const double floor = FloorFor(report, scenario, run);
      out += fmt::format("{},{},{},{},{},{:.3f},{:.2f},{},", scenario.id, scenario.placement,
                         SweepName(scenario.sweep), run.sweep_value, CsvField(run.label),
                         floor > 0 ? P50(run) / floor : 0.0, run.server_rss_mib,
                         run.server_connections);
      out += ToCsvRow(run.result);
    }
  }
  return out;
}

}  // namespace predictwire::loadgen
