#include "loadgen/report/report_html.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <vector>

#include "loadgen/compare/scenario.h"
#include "loadgen/compare/scenarios/scale_out.h"
#include "loadgen/report/svg_plot.h"
#include "loadgen/stats/format.h"

namespace predictwire::loadgen {
namespace {

// Twelve colours distinct on screen and in print (Tableau's ten without its grey, which is the
// floor's, and three more); a wire keeps its colour on every plot and table of the page.
constexpr std::array<std::string_view, 12> kPalette = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                       "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
                                                       "#17becf", "#393b79", "#000000", "#ad494a"};
constexpr std::string_view kFloorColor = "#999";

constexpr std::array<LineStyle, 5> kStyles = {LineStyle::kSolid, LineStyle::kDashed,
                                              LineStyle::kDotted, LineStyle::kDashDot,
                                              LineStyle::kDashDotDot};

constexpr std::string_view kCss = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto;
       max-width: 1500px; padding: 0 16px; color: #222; line-height: 1.4; }
h1 { margin-bottom: 4px; }
h2 { margin-top: 40px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; }
th { background: #f3f3f3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.question { font-style: italic; color: #444; }
.recommendation { font-size: 1.2em; font-weight: bold; background: #eef7ee;
                  border-left: 5px solid #2ca02c; padding: 10px 14px; margin: 12px 0; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px;
          vertical-align: -1px; border-radius: 2px; }
.plots { display: flex; flex-wrap: wrap; gap: 16px; }
.plot { max-width: 100%; overflow-x: auto; }
svg.plot { display: block; max-width: 100%; height: auto; border: 1px solid #eee; }
.scroll { max-width: 100%; overflow-x: auto; }
td.short { color: #999; font-style: italic; }
section.decision { background: #f6faf6; border: 1px solid #cde3cd; padding: 4px 16px 8px; }
dl.legend dt { font-weight: bold; }
dl.legend dd { margin: 0 0 4px 16px; }
small { color: #666; }
code { overflow-wrap: anywhere; }
/* Narrow screens: plots keep a size their text reads at and scroll in their box. */
@media (max-width: 600px) {
  body { margin: 8px auto; padding: 0 8px; }
  svg.plot { max-width: none; width: 560px; }
  dl.meta { grid-template-columns: auto; }
}
)";

// Colours by wire in order of first appearance in the report, so that a wire keeps its colour
// on every plot and table of the page.
class WireColors {
 public:
  explicit WireColors(const Report& report) {
    for (const Scenario& scenario : report.scenarios) {
      for (const Run& run : scenario.runs) {
        if (IsFloor(run)) {
          floors_.insert(run.wire);
        } else {
          index_.emplace(run.wire, index_.size());
        }
      }
    }
  }
  std::string Of(const std::string& wire) const {
    if (floors_.count(wire)) return std::string(kFloorColor);  // the yardstick is grey everywhere
    auto it = index_.find(wire);
    return std::string(kPalette[(it == index_.end() ? 0 : it->second) % kPalette.size()]);
  }

 private:
  std::map<std::string, size_t> index_;
  std::set<std::string> floors_;
};

// Gives each series of one plot a look no other series of it has: its wire's colour, and the
// first line style (then the same with markers) that colour has not used in the plot yet.
class LookAllocator {
 public:
  explicit LookAllocator(const WireColors& colors) : colors_(colors) {}

  // A series of `wire`, with markers only if `markers`, unless every plain look of the colour
  // is taken.
  Series Next(const std::string& wire, std::string name, bool markers = false) {
    Series series{.name = std::move(name), .color = colors_.Of(wire)};
    for (int pass = 0; pass < 2; ++pass) {
      const bool with_markers = markers != (pass == 1);
      for (LineStyle style : kStyles) {
        if (used_.insert({series.color, style, with_markers}).second) {
          series.style = style;
          series.markers = with_markers;
          return series;
        }
      }
    }
    return series;  // more than ten series of one colour: the rest repeat
  }

 private:
  const WireColors& colors_;
  std::set<std::tuple<std::string, LineStyle, bool>> used_;
};

// Whether a run is drawn on the plots: measured, with samples, and not a probe.
bool Plotted(const Run& run) {
  return !run.probe && run.skipped.empty() && run.result.latency.count() > 0;
}

// A percentile's cell; one the samples cannot support (p99 of fewer than 100 requests: it is
// one of the slowest few) is greyed, with the count in its title.
std::string PercentileCell(const Histogram& histogram, double percentile) {
  if (histogram.count() == 0) return "<td class=\"n\">–</td>";
  const std::string value = FormatFigure(Microseconds(histogram.ValueAtPercentile(percentile)));
  const double needed = percentile >= 100 ? 0 : 1 / (1 - percentile / 100);
  if (histogram.count() < needed) {
    return fmt::format("<td class=\"n short\" title=\"from {} requests only\">{}</td>",
                       histogram.count(), value);
  }
  return fmt::format("<td class=\"n\">{}</td>", value);
}

// What each column of the run tables means, once, under the decision; the scenarios' own
// columns follow (ColumnLegend).
constexpr std::string_view kColumnLegend = R"(<details>
<summary>What the table columns mean</summary>
<dl class="legend">
<dt>requests, errors</dt><dd>measured requests answered, and those that failed (by kind); a row of fewer than 100 requests is short: its p99 and beyond are grey</dd>
<dt>p50 … max µs</dt><dd>latency percentiles in microseconds, each request counted from the moment it was due (so a stalled server cannot hide)</dd>
<dt>p50 95% CI</dt><dd>the interval of the median, from the medians of the run's batches (each compare round is cut into batches): runs whose intervals of difference hold 0, or differ by under 2%, are a tie</dd>
<dt>server p50, network p50</dt><dd>the server's own time (queue and compute, as each reply reports it) and the rest: network, protocol and both ends' stacks</dd>
<dt>× floor</dt><dd>p50 over the p50 of the raw TCP exchange of the same byte counts (the tcp wires) through the same client, kept open or new per request like the run, measured in turn with it where the scenario lists raw TCP rows, else at the start: the protocol's and the server's cost alone</dd>
<dt>estimate rows</dt><dd>measured once to plan the scenario's other runs (the capacity search's start): shown, neither judged nor plotted</dd>
)";

// The legend: the columns every table has, then each scenario's own, once each.
std::string ColumnLegend(const Report& report) {
  std::string out(kColumnLegend);
  std::set<std::string_view> explained;
  for (const Scenario& scenario : report.scenarios) {
    if (scenario.row == nullptr) continue;
    for (const ReportColumn& column : scenario.row->columns) {
      if (explained.insert(column.header).second) {
        out += fmt::format("<dt>{}</dt><dd>{}</dd>\n", EscapeHtml(column.header),
                           EscapeHtml(column.meaning));
      }
    }
  }
  return out + "</dl>\n</details>\n";
}

const Floor* PlacementFloor(const Report& report, const std::string& placement) {
  auto it = report.floors.find(placement);
  return it == report.floors.end() ? nullptr : &it->second;
}

std::string Header(const Report& report) {
  std::string out = fmt::format(
      "<h1>predictwire compare</h1>\n<dl class=\"meta\">\n<dt>date</dt><dd>{}</dd>\n"
      "<dt>version</dt><dd>{}</dd>\n<dt>machine</dt><dd>{}</dd>\n"
      "<dt>command</dt><dd><code>{}</code></dd>\n<dt>mode</dt><dd>{}</dd>\n</dl>\n",
      EscapeHtml(report.date), EscapeHtml(report.version), EscapeHtml(report.machine),
      EscapeHtml(report.command), report.quick ? "quick" : "full");
  std::map<std::string, std::string> placements = report.placements;
  for (const auto& [placement, floor] : report.floors) placements.emplace(placement, "");
  if (!placements.empty()) {
    out +=
        "<h3>Placements and the raw TCP floor</h3>\n<div class=\"scroll\"><table>\n"
        "<tr><th>placement</th>"
        "<th>where</th><th>persistent p50 µs</th><th>persistent p99 µs</th>"
        "<th>new connection p50 µs</th><th>new connection p99 µs</th><th>request bytes</th>"
        "<th>reply bytes</th></tr>\n";
    for (const auto& [placement, description] : placements) {
      out +=
          fmt::format("<tr><td>{}</td><td>{}</td>", EscapeHtml(placement), EscapeHtml(description));
      if (const Floor* floor = PlacementFloor(report, placement)) {
        out += fmt::format(
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            FormatFigure(floor->persistent_p50_us), FormatFigure(floor->persistent_p99_us),
            FormatFigure(floor->new_connection_p50_us), FormatFigure(floor->new_connection_p99_us),
            floor->request_bytes, floor->reply_bytes);
      } else {
        out += "<td colspan=\"6\">not measured</td></tr>\n";
      }
    }
    out += "</table></div>\n";
  }
  if (!report.notes.empty()) {
    out += "<h3>Notes</h3>\n<ul>\n";
    for (const std::string& note : report.notes) out += "<li>" + EscapeHtml(note) + "</li>\n";
    out += "</ul>\n";
  }
  if (!report.scenarios.empty()) {
    out += "<h3>Scenarios</h3>\n<ul>\n";
    for (const Scenario& scenario : report.scenarios) {
      out += fmt::format("<li><a href=\"#{}\">{}</a></li>\n", EscapeHtml(scenario.id),
                         EscapeHtml(scenario.title));
    }
    out += "</ul>\n";
  }
  return out;
}

std::string RunsTable(const Report& report, const Scenario& scenario, const WireColors& colors) {
  if (scenario.runs.empty()) return "<p>No runs.</p>\n";
  const std::span<const ReportColumn> columns =
      scenario.row != nullptr ? scenario.row->columns : std::span<const ReportColumn>();
  std::string out =
      "<div class=\"scroll\"><table>\n<tr><th>run</th><th>requests</th><th>errors</th>"
      "<th>throughput req/s</th><th>p50 µs</th><th>p50 95% CI</th><th>p90 µs</th>"
      "<th>p99 µs</th><th>p99.9 µs</th><th>max µs</th><th>server p50 µs</th>"
      "<th>network p50 µs</th><th>× floor</th>";
  for (const ReportColumn& column : columns) {
    out += fmt::format("<th>{}</th>", EscapeHtml(column.header));
  }
  out += "</tr>\n";
  for (const Run& run : scenario.runs) {
    const BenchResult& result = run.result;
    std::string errors = fmt::format("{}", result.errors);
    if (!result.errors_by_kind.empty()) {
      std::vector<std::string> kinds;
      for (const auto& [kind, count] : result.errors_by_kind) {
        kinds.push_back(fmt::format("{} {}", EscapeHtml(kind), count));
      }
      errors += fmt::format(" <small>({})</small>", fmt::join(kinds, ", "));
    }
    std::string times_floor;
    const double floor = FloorFor(report, scenario, run);
    if (floor > 0 && result.latency.count() > 0) {
      times_floor =
          fmt::format("{:.2f}×", Microseconds(result.latency.ValueAtPercentile(50)) / floor);
    }
    if (!run.skipped.empty()) {
      out += fmt::format(
          "<tr><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td>"
          "<td colspan=\"{}\">{}</td></tr>\n",
          colors.Of(run.wire), EscapeHtml(run.label), 12 + columns.size(), EscapeHtml(run.skipped));
      continue;
    }
    const std::optional<Interval> interval = MedianInterval(result.batch_p50_us);
    out += fmt::format(
        "<tr><td><span class=\"swatch\" style=\"background:{}\"></span>{}{}</td>"
        "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1f}</td>",
        colors.Of(run.wire), EscapeHtml(run.label),
        run.probe               ? " <small>(estimate)</small>"
        : result.requests < 100 ? " <small>(short)</small>"
                                : "",
        result.requests, errors, result.throughput_rps);
    out += PercentileCell(result.latency, 50);
    out += interval ? fmt::format("<td class=\"n\">{}–{}</td>", FormatFigure(interval->low),
                                  FormatFigure(interval->high))
                    : "<td class=\"n\">–</td>";
    for (double percentile : {90.0, 99.0, 99.9, 100.0}) {
      out += PercentileCell(result.latency, percentile);
    }
    out += PercentileCell(result.server, 50) + PercentileCell(result.network, 50);
    out += fmt::format("<td class=\"n\">{}</td>", times_floor);
    for (const ReportColumn& column : columns) {
      out += fmt::format("<td class=\"n\">{}</td>", EscapeHtml(column.cell(run)));
    }
    out += "</tr>\n";
  }
  return out + "</table></div>\n";
}

// Percentile p sits at x = -log10(1 - p/100): 90 at 1, 99 at 2, 99.9 at 3 ("nines").
std::string PercentilePlot(const Scenario& scenario, const WireColors& colors) {
  uint64_t most_samples = 2;
  for (const Run& run : scenario.runs) {
    if (Plotted(run)) most_samples = std::max(most_samples, run.result.latency.count());
  }
  const double x_min = std::log10(2.0);
  const int nines = std::max(2, static_cast<int>(std::ceil(std::log10(most_samples) - 1e-9)));
  AxisOptions x{.title = "percentile", .min = x_min, .max = nines};
  x.ticks.push_back({x_min, "50"});
  for (int nine = 1; nine <= nines; ++nine) {
    // 90, 99, 99.9, 99.99, ...
    std::string label = nine == 1 ? "90" : "99";
    if (nine > 2) label += fmt::format(".{}", std::string(nine - 2, '9'));
    x.ticks.push_back({static_cast<double>(nine), label});
  }
  LinePlot plot("Latency by percentile", std::move(x),
                {.title = "latency (µs)", .scale = AxisScale::kLog10});
  LookAllocator looks(colors);
  for (size_t i = 0; i < scenario.runs.size(); ++i) {
    const Histogram& latency = scenario.runs[i].result.latency;
    if (!Plotted(scenario.runs[i])) continue;
    Series series = looks.Next(scenario.runs[i].wire, scenario.runs[i].label);
    // Beyond 1 - 1/count every percentile is the maximum: end there, at the maximum.
    const double x_end = std::max(x_min, std::log10(static_cast<double>(latency.count())));
    for (double position = x_min; position < x_end - 1e-9; position += 0.05) {
      const double percentile = 100.0 * (1.0 - std::pow(10.0, -position));
      series.points.push_back({position, Microseconds(latency.ValueAtPercentile(percentile))});
    }
    series.points.push_back({x_end, Microseconds(latency.max())});
    plot.AddSeries(std::move(series));
  }
  return plot.ToSvg();
}

std::string CdfPlot(const Scenario& scenario, const WireColors& colors) {
  LinePlot plot("Latency distribution (CDF)", {.title = "latency (µs)", .scale = AxisScale::kLog10},
                {.title = "fraction of requests", .min = 0.0, .max = 1.0});
  LookAllocator looks(colors);
  for (size_t i = 0; i < scenario.runs.size(); ++i) {
    const Histogram& latency = scenario.runs[i].result.latency;
    if (!Plotted(scenario.runs[i])) continue;
    Series series = looks.Next(scenario.runs[i].wire, scenario.runs[i].label);
    series.step = true;
    uint64_t cumulative = 0;
    for (const auto& [value, count] : latency.Buckets()) {
      if (series.points.empty()) series.points.push_back({Microseconds(value), 0});
      cumulative += count;
      series.points.push_back({Microseconds(value), static_cast<double>(cumulative) /
                                                        static_cast<double>(latency.count())});
    }
    plot.AddSeries(std::move(series));
  }
  return plot.ToSvg();
}

// The runs of each wire, in order of the wire's first run, each sorted by sweep value; runs
// without samples left out.
std::vector<std::vector<const Run*>> RunsByWire(const Scenario& scenario) {
  std::vector<std::vector<const Run*>> groups;
  std::map<std::string, size_t> index;
  for (const Run& run : scenario.runs) {
    if (!Plotted(run)) continue;
    auto [it, added] = index.emplace(run.wire, groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(&run);
  }
  for (auto& group : groups) {
    std::stable_sort(group.begin(), group.end(),
                     [](const Run* a, const Run* b) { return a->sweep_value < b->sweep_value; });
  }
  return groups;
}

// Latency p50 (solid) and p99 (dashed) against the swept value. The x axis is logarithmic when
// the positive values span more than 20×; a value of 0 then sits a decade below the smallest,
// at a tick labelled "0".
std::string SweepPlot(const Scenario& scenario, const WireColors& colors) {
  const auto groups = RunsByWire(scenario);
  double smallest = INFINITY, largest = 0;
  bool has_zero = false;
  for (const auto& group : groups) {
    for (const Run* run : group) {
      if (run->sweep_value > 0) {
        smallest = std::min(smallest, run->sweep_value);
        largest = std::max(largest, run->sweep_value);
      } else {
        has_zero = true;
      }
    }
  }
  AxisOptions x{.title = std::string(SweepAxisTitle(scenario.sweep))};
  double zero_at = 0;
  if (largest > 0 && largest / smallest > 20) {
    x.scale = AxisScale::kLog10;
    if (has_zero) zero_at = std::pow(10.0, std::floor(std::log10(smallest)) - 1);
  }
  // A tick at each value swept (there are few), so every point reads off its axis: 0, 1 and
  // 50 ms rather than the powers of ten around them.
  std::set<double> values;
  for (const auto& group : groups) {
    for (const Run* run : group) values.insert(run->sweep_value > 0 ? run->sweep_value : zero_at);
  }
  if (values.size() >= 2 && values.size() <= 10) {
    x.min = *values.begin();
    x.max = *values.rbegin();
    for (double value : values) {
      x.ticks.push_back({value, value == zero_at && has_zero ? "0" : FormatTickLabel(value)});
    }
  } else if (has_zero && x.scale == AxisScale::kLog10) {
    const auto [low, high] = NiceRange(AxisScale::kLog10, zero_at, largest);
    x.min = low;
    x.max = high;
    for (double value : LogTicks(low, high)) {
      const bool is_zero = std::fabs(value - low) <= 1e-9 * low;
      x.ticks.push_back({value, is_zero ? "0" : FormatTickLabel(value)});
    }
  }
  LinePlot plot(fmt::format("Latency vs {}: p50 plain, p99 with markers",
                            std::string(SweepAxisTitle(scenario.sweep))),
                std::move(x), {.title = "latency (µs)", .scale = AxisScale::kLog10});
  LookAllocator looks(colors);
  for (const auto& group : groups) {
    const std::string& wire = group.front()->wire;
    Series p50 = looks.Next(wire, wire + " p50");
    Series p99 = looks.Next(wire, wire + " p99", /*markers=*/true);
    for (const Run* run : group) {
      const double at = run->sweep_value > 0 ? run->sweep_value : zero_at;
      p50.points.push_back({at, Microseconds(run->result.latency.ValueAtPercentile(50))});
      p99.points.push_back({at, Microseconds(run->result.latency.ValueAtPercentile(99))});
    }
    plot.AddSeries(std::move(p50));
    plot.AddSeries(std::move(p99));
  }
  return plot.ToSvg();
}

// The closed-loop sweep: what each wire carries against what it costs in latency, points in
// order of outstanding requests (labelled with their number).
std::string ThroughputLatencyPlot(const Scenario& scenario, const WireColors& colors) {
  LinePlot plot("Throughput vs latency p50 (labels: requests outstanding)",
                {.title = "throughput (requests/s)"},
                {.title = "latency p50 (µs)", .scale = AxisScale::kLog10});
  LookAllocator looks(colors);
  for (const auto& group : RunsByWire(scenario)) {
    const std::string& wire = group.front()->wire;
    Series series = looks.Next(wire, wire, /*markers=*/true);
    for (const Run* run : group) {
      series.points.push_back(
          {run->result.throughput_rps, Microseconds(run->result.latency.ValueAtPercentile(50))});
      series.point_labels.push_back(FormatTickLabel(run->sweep_value));
    }
    plot.AddSeries(std::move(series));
  }
  return plot.ToSvg();
}

// The scale-out scenario's events: per event, the answered requests a second and the p99 in
// short bins, one line per run (a wire), the event's start marked by a grey dashed line.
std::vector<std::string> TimelinePlots(const Scenario& scenario, const WireColors& colors) {
  std::vector<std::string> events;
  for (const Run& run : scenario.runs) {
    if (run.fleet.event.empty() || run.result.timeline.empty()) continue;
    if (std::find(events.begin(), events.end(), run.fleet.event) == events.end()) {
      events.push_back(run.fleet.event);
    }
  }
  std::vector<std::string> plots;
  for (const std::string& event : events) {
    for (bool rate : {true, false}) {
      LinePlot plot(fmt::format("{}: {} ({} ms bins)", event,
                                rate ? "answered requests/s" : "p99 latency", kTimelineBinMs),
                    {.title = "time since the measurement began (s)"},
                    rate ? AxisOptions{.title = "answered requests/s", .min = 0.0}
                         : AxisOptions{.title = "p99 (µs)", .scale = AxisScale::kLog10});
      LookAllocator looks(colors);
      double event_at_s = -1, event_end_s = -1, top = 1;
      for (const Run& run : scenario.runs) {
        if (run.fleet.event != event || run.result.timeline.empty()) continue;
        const TimelineSeries timeline = TimelineOf(run);
        Series series = looks.Next(run.wire, run.label);
        const std::vector<double>& values = rate ? timeline.answered_rps : timeline.p99_us;
        for (size_t i = 0; i < values.size(); ++i) {
          if (!rate && values[i] <= 0) continue;
          series.points.push_back({(i + 0.5) * timeline.bin_ms / 1000, values[i]});
          top = std::max(top, values[i]);
        }
        event_at_s = run.fleet.event_at_ms / 1000;
        event_end_s = std::max(event_end_s, run.fleet.event_end_ms / 1000);
        plot.AddSeries(std::move(series));
      }
      if (event_at_s >= 0) {
        plot.AddSeries({.name = event,
                        .color = std::string(kFloorColor),
                        .style = LineStyle::kDashed,
                        .points = {{event_at_s, rate ? 0.0 : 1.0}, {event_at_s, top}}});
      }
      // An event that lasts (a drain's delay, a rolling restart): where the last run's ended.
      if (event_at_s >= 0 && event_end_s > event_at_s + 2 * kTimelineBinMs / 1000) {
        plot.AddSeries({.name = event + " over",
                        .color = std::string(kFloorColor),
                        .style = LineStyle::kDotted,
                        .points = {{event_end_s, rate ? 0.0 : 1.0}, {event_end_s, top}}});
      }
      plots.push_back(plot.ToSvg());
    }
  }
  return plots;
}

std::string ScenarioSection(const Report& report, const Scenario& scenario,
                            const WireColors& colors) {
  std::string placement = EscapeHtml(scenario.placement);
  if (auto it = report.placements.find(scenario.placement); it != report.placements.end()) {
    placement += " — " + EscapeHtml(it->second);
  }
  std::string out = fmt::format(
      "<section id=\"{}\">\n<h2>{}</h2>\n<p class=\"question\">{}</p>\n<p>placement: {}</p>\n",
      EscapeHtml(scenario.id), EscapeHtml(scenario.title), EscapeHtml(scenario.question),
      placement);
  if (!scenario.verdict.text.empty()) {
    out += fmt::format("<p class=\"recommendation\">{}</p>\n", EscapeHtml(scenario.verdict.text));
  }
  out += RunsTable(report, scenario, colors);
  auto box = [](const std::string& svg) { return "<div class=\"plot\">" + svg + "</div>\n"; };
  out += "<div class=\"plots\">\n" + box(PercentilePlot(scenario, colors)) +
         box(CdfPlot(scenario, colors));
  if (scenario.sweep == Sweep::kConcurrency) {
    out += box(ThroughputLatencyPlot(scenario, colors));
  } else if (scenario.sweep != Sweep::kNone) {
    out += box(SweepPlot(scenario, colors));
  }
  for (const std::string& plot : TimelinePlots(scenario, colors)) out += box(plot);
  return out + "</div>\n</section>\n";
}

}  // namespace

// The decision first: what to pick, per scenario and overall, before the evidence.
std::string DecisionSection(const Report& report) {
  std::string out = "<section class=\"decision\">\n<h2>Decision</h2>\n<ul>\n";
  for (const std::string& line : report.decision) {
    out += fmt::format("<li>{}</li>\n", EscapeHtml(line));
  }
  out += "</ul>\n<p><b>Overall, by the article's criteria:</b></p>\n<ul>\n";
  for (const std::string& line : report.overall) {
    out += fmt::format("<li>{}</li>\n", EscapeHtml(line));
  }
  return out + "</ul>\n" + ColumnLegend(report) + "</section>\n";
}

std::string RenderHtml(const Report& report) {
  const WireColors colors(report);
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>predictwire compare — {}</title>\n<style>{}</style>\n</head>\n<body>\n",
      EscapeHtml(report.date), kCss);
  out += Header(report);
  out += DecisionSection(report);
  for (const Scenario& scenario : report.scenarios)
    out += ScenarioSection(report, scenario, colors);
  return out + "</body>\n</html>\n";
}

}  // namespace predictwire::loadgen
