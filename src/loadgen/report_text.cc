#include "loadgen/report_text.h"

#include <fmt/format.h>

#include "codec/json_writer.h"
#include "loadgen/recommend.h"

namespace predictwire::loadgen {
namespace {

std::string Quote(std::string_view text) {
  std::string out;
  codec::AppendJsonString(text, &out);
  return out;
}

std::string IntervalJson(const std::optional<Interval>& interval) {
  return interval ? fmt::format("[{:.3f}, {:.3f}]", interval->low, interval->high) : "null";
}

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string ReportToJson(const Report& report) {
  std::string out = fmt::format(
      "{{\n  \"tool\": \"predictwire compare\",\n  \"version\": {},\n  \"date\": {},\n"
      "  \"machine\": {},\n  \"command\": {},\n  \"quick\": {},\n  \"placements\": {{",
      Quote(report.version), Quote(report.date), Quote(report.machine), Quote(report.command),
      report.quick ? "true" : "false");
  bool first = true;
  for (const auto& [name, description] : report.placements) {
    out += fmt::format("{}{}: {}", first ? "" : ", ", Quote(name), Quote(description));
    first = false;
  }
  out += "},\n  \"floors\": {";
  first = true;
  for (const auto& [placement, floor] : report.floors) {
    out += fmt::format(
        "{}\n    {}: {{\"persistent_p50_us\": {:.2f}, \"persistent_p99_us\": {:.2f}, "
        "\"new_connection_p50_us\": {:.2f}, \"new_connection_p99_us\": {:.2f}, "
        "\"request_bytes\": {}, \"reply_bytes\": {}}}",
        first ? "" : ",", Quote(placement), floor.persistent_p50_us, floor.persistent_p99_us,
        floor.new_connection_p50_us, floor.new_connection_p99_us, floor.request_bytes,
        floor.reply_bytes);
    first = false;
  }
  out += "\n  },\n  \"decision\": [";
  for (size_t s = 0; s < report.scenarios.size(); ++s) {
    const Scenario& scenario = report.scenarios[s];
    const Verdict& verdict = scenario.verdict;
    std::string best;
    for (size_t i = 0; i < verdict.best.size(); ++i) best += (i ? ", " : "") + Quote(verdict.best[i]);
    out += fmt::format(
        "{}\n    {{\"scenario\": {}, \"placement\": {}, \"best\": [{}], \"margin_pct\": {}, "
        "\"ci_pct\": {}, \"text\": {}}}",
        s ? "," : "", Quote(scenario.id), Quote(scenario.placement), best,
        verdict.margin_pct ? fmt::format("{:.2f}", *verdict.margin_pct) : "null",
        verdict.margin_ci_pct ? fmt::format("[{:.2f}, {:.2f}]", verdict.margin_ci_pct->low,
                                            verdict.margin_ci_pct->high)
                              : "null",
        Quote(verdict.meaning));
  }
  out += "\n  ],\n  \"overall\": [";
  const std::vector<std::string> overall = OverallLines(report);
  for (size_t i = 0; i < overall.size(); ++i) out += (i ? ", " : "") + Quote(overall[i]);
  out += "],\n  \"notes\": [";
  for (size_t i = 0; i < report.notes.size(); ++i) out += (i ? ", " : "") + Quote(report.notes[i]);
  out += "],\n  \"scenarios\": [";
  for (size_t s = 0; s < report.scenarios.size(); ++s) {
    const Scenario& scenario = report.scenarios[s];
    out += fmt::format(
        "{}\n    {{\"id\": {}, \"title\": {}, \"question\": {}, \"placement\": {}, \"sweep\": {}, "
        "\"recommendation\": {}, \"runs\": [",
        s ? "," : "", Quote(scenario.id), Quote(scenario.title), Quote(scenario.question),
        Quote(scenario.placement), Quote(SweepName(scenario.sweep)), Quote(scenario.verdict.text));
    for (size_t r = 0; r < scenario.runs.size(); ++r) {
      const Run& run = scenario.runs[r];
      const double floor = FloorFor(report, scenario, run);
      const double p50 = run.result.latency.ValueAtPercentile(50) / 1000.0;
      out += fmt::format(
          "{}\n      {{\"wire\": {}, \"label\": {}, \"floor\": {}, \"sweep_value\": {}, "
          "\"times_floor\": {:.3f}, \"p50_ci_us\": {}, "
          "\"server_rss_mib\": {:.2f}, \"server_rss_idle_mib\": {:.2f}, "
          "\"server_cpu_seconds\": {:.3f}, \"server_connections\": {}, "
          "\"server_kib_per_connection\": {:.2f}, \"result\": {}}}",
          r ? "," : "", Quote(run.wire), Quote(run.label), IsFloor(run), run.sweep_value,
          floor > 0 ? p50 / floor : 0.0, IntervalJson(MedianInterval(run.result.batch_p50_us)), run.server_rss_mib, run.server_rss_idle_mib,
          run.server_cpu_seconds, run.server_connections, KibPerConnection(run),
          ToJson(run.result));
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
      const double p50 = run.result.latency.ValueAtPercentile(50) / 1000.0;
      out += fmt::format("{},{},{},{},{},{:.3f},{:.2f},{},", scenario.id, scenario.placement,
                         SweepName(scenario.sweep), run.sweep_value, CsvField(run.label),
                         floor > 0 ? p50 / floor : 0.0, run.server_rss_mib, run.server_connections);
      out += ToCsvRow(run.result);
    }
  }
  return out;
}

std::string RoundProgressLine(size_t done, size_t total, const std::string& placement,
                              const std::string& scenario, const std::string& label, int round,
                              int rounds, const BenchResult& round_result) {
  return fmt::format("[{}/{} {}] {} / {} (round {}/{}): p50 {}, {:.0f} req/s, {} errors\n", done,
                     total, placement, scenario, label, round, rounds,
                     FormatMicroseconds(round_result.latency.ValueAtPercentile(50) / 1000.0),
                     round_result.throughput_rps, round_result.errors);
}

std::string DecisionText(const Report& report) {
  std::string out = "\n== Decision\n";
  for (const std::string& line : DecisionLines(report)) out += fmt::format("   {}\n", line);
  out += "\n   Overall, by the article's criteria:\n";
  for (const std::string& line : OverallLines(report)) out += fmt::format("   - {}\n", line);
  return out;
}

std::string ScenarioTable(const Report& report, const Scenario& scenario) {
  std::string out =
      fmt::format("\n== {} [{}]\n   {}\n", scenario.title, scenario.placement, scenario.question);
  out += fmt::format("   {:<34}{:>10}{:>10}{:>9}{:>11}{:>8}\n", "", "p50", "p99", "× floor",
                     "req/s", "errors");
  for (const Run& run : scenario.runs) {
    const double floor = FloorFor(report, scenario, run);
    const Histogram& latency = run.result.latency;
    const double p50 = latency.ValueAtPercentile(50) / 1000.0;
    std::string extra;
    if (run.server_connections > 0) {
      extra = fmt::format("  server {:.1f} MiB for {} connections ({:.1f} KiB each), {:.2f} s CPU",
                          run.server_rss_mib, run.server_connections, KibPerConnection(run),
                          run.server_cpu_seconds);
    }
    if (scenario.id == "tls" && run.result.connect.count() > 0) {
      extra += fmt::format("  connect p50 {}",
                           FormatMicroseconds(run.result.connect.ValueAtPercentile(50) / 1000.0));
    }
    if (run.result.options.wire.tls) {
      extra += fmt::format(" ({} full, {} resumed handshakes)", run.result.tls_full_handshakes,
                           run.result.tls_resumed_handshakes);
    }
    if (!run.skipped.empty()) {
      out += fmt::format("   {:<34}{:>10}  {}\n", run.label, "-", run.skipped);
      continue;
    }
    out += fmt::format(
        "   {:<34}{:>10}{:>10}{:>9}{:>11.0f}{:>8}{}\n", run.label,
        latency.count() ? FormatMicroseconds(p50) : "-",
        latency.count() ? FormatMicroseconds(latency.ValueAtPercentile(99) / 1000.0) : "-",
        floor > 0 && latency.count() ? fmt::format("{:.2f}", p50 / floor) : "-",
        run.result.throughput_rps, run.result.errors, extra);
  }
  out += fmt::format("   → {}\n", scenario.verdict.text);
  return out;
}

}  // namespace predictwire::loadgen
