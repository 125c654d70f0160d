#include "loadgen/report/report_html.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "loadgen/compare/scenario.h"
#include "loadgen/stats/format.h"

namespace predictwire::loadgen {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// `count` samples of exactly `micros`: every percentile is exact.
Histogram Constant(double micros, int count = 100) {
  Histogram histogram;
  histogram.RecordN(static_cast<uint64_t>(micros * 1000), count);
  return histogram;
}

Run MakeRun(std::string wire, std::string label, double latency_us, double sweep_value = 0,
            double throughput = 1000) {
  Run run;
  run.wire = std::move(wire);
  run.label = std::move(label);
  run.sweep_value = sweep_value;
  run.result.latency = Constant(latency_us);
  run.result.requests = 100;
  run.result.throughput_rps = throughput;
  return run;
}

Report SmallReport() {
  Report report;
  report.version = "0.3.0";
  report.date = "2024-05-01T12:00:00Z";
  report.machine = "Test CPU, 2 CPUs, Linux 6.1";
  report.command = "predictwire compare --quick --target http://127.0.0.1:8000";
  report.quick = true;
  report.floors["same"] = {.persistent_p50_us = 20,
                           .persistent_p99_us = 40,
                           .new_connection_p50_us = 60,
                           .new_connection_p99_us = 120,
                           .request_bytes = 181,
                           .reply_bytes = 123};
  report.placements["same"] = "server and client share CPUs 0-1";
  report.placements["split"] = "server on CPU 0, client on CPU 1";
  report.notes = {"peers skipped: python3 has no flask"};

  Scenario sporadic{.id = "sporadic",
                    .title = "Sporadic <&> test",
                    .question = "Is a new connection per request worse?",
                    .placement = "same",
                    .verdict = {.text = "Use ws: 1.67× faster than rest at p50."}};
  Run rest = MakeRun("rest", "rest", 50);
  rest.result.errors = 2;
  rest.result.errors_by_kind = {{"timeout", 2}};
  rest.result.throughput_rps = 4.96;
  Run ws = MakeRun("ws", "ws", 30);
  ws.result.server = Constant(10);
  ws.result.network = Constant(20);
  sporadic.runs = {rest, ws};

  Scenario compute{.id = "compute",
                   .title = "Compute sweep",
                   .question = "Does the wire matter for slow models?",
                   .placement = "split",
                   .sweep = Sweep::kComputeMs,
                   .verdict = {.text = "Beyond 1 ms of compute the wires are within 5%."}};
  for (double ms : {0.0, 1.0, 50.0}) {
    compute.runs.push_back(MakeRun("ws", "ws, " + std::to_string(ms), 40 + ms * 1000, ms));
    compute.runs.push_back(MakeRun("rest", "rest, " + std::to_string(ms), 90 + ms * 1000, ms));
  }

  Scenario concurrency{.id = "concurrency",
                       .title = "Throughput vs latency",
                       .question = "How much can each wire carry?",
                       .placement = "same",
                       .sweep = Sweep::kConcurrency,
                       .verdict = {.text = "ws-pipelined carries 3× more."}};
  for (int level : {1, 8, 32}) {
    concurrency.runs.push_back(MakeRun("ws", "ws, " + std::to_string(level) + " outstanding",
                                       30 * level, level, 30000 + 1000 * level));
  }

  Scenario many{.id = "many-clients-100",
                .title = "Many clients",
                .question = "What does a connection cost?",
                .placement = "same",
                .verdict = {.text = "Nothing answered."}};
  Run idle;
  idle.wire = "ws";
  idle.label = "ws, no replies";
  idle.server_connections = 100;
  idle.server_rss_mib = 42.5;
  idle.server_rss_idle_mib = 40.5;  // 2 MiB for 100 connections: 20.48 KiB each
  idle.server_cpu_seconds = 0.25;
  many.runs = {idle};
  many.row = FindScenario(many.id);  // its row's columns: the server's resources

  report.scenarios = {sporadic, compute, concurrency, many};
  return report;
}

TEST(ReportHtmlTest, IsOneHtmlPageWithTheHeader) {
  const std::string page = RenderHtml(SmallReport());
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_THAT(page, HasSubstr("</html>"));
  EXPECT_THAT(page, HasSubstr("<h1>predictwire compare</h1>"));
  for (const char* text :
       {"2024-05-01T12:00:00Z", "0.3.0", "Test CPU, 2 CPUs, Linux 6.1", ">quick<",
        "server on CPU 0, client on CPU 1", "peers skipped: python3 has no flask", "not measured",
        ">181<", ">123<", ">120.0<"}) {
    EXPECT_THAT(page, HasSubstr(text)) << text;
  }
}

TEST(ReportHtmlTest, ShowsEveryScenarioWithItsRecommendation) {
  const Report report = SmallReport();
  const std::string page = RenderHtml(report);
  size_t last = 0;
  for (const Scenario& scenario : report.scenarios) {
    if (scenario.id == "sporadic") continue;  // its title is escaped: see below
    const size_t at = page.find("<h2>" + scenario.title + "</h2>");
    ASSERT_NE(at, std::string::npos) << scenario.title;
    EXPECT_GT(at, last) << "scenarios in order";
    last = at;
    EXPECT_THAT(page, HasSubstr(scenario.question));
  }
  EXPECT_THAT(page, HasSubstr("<p class=\"recommendation\">Use ws: 1.67× faster than rest at "
                              "p50.</p>"));
  EXPECT_THAT(page, HasSubstr("Beyond 1 ms of compute the wires are within 5%."));
  EXPECT_THAT(page, HasSubstr("ws-pipelined carries 3× more."));
}

TEST(ReportHtmlTest, TablesHoldTheMeasuredValues) {
  const std::string page = RenderHtml(SmallReport());
  // rest: 50 µs at every percentile, 2.50× the 20 µs floor, errors broken down; no batches,
  // so no interval; p99.9 of 100 requests is marked as short.
  EXPECT_THAT(page, HasSubstr("</span>rest</td><td class=\"n\">100</td>"
                              "<td class=\"n\">2 <small>(timeout 2)</small></td>"
                              "<td class=\"n\">5.0</td><td class=\"n\">50.0</td>"
                              "<td class=\"n\">–</td>"
                              "<td class=\"n\">50.0</td><td class=\"n\">50.0</td>"
                              "<td class=\"n short\" title=\"from 100 requests only\">50.0</td>"
                              "<td class=\"n\">50.0</td>"
                              "<td class=\"n\">–</td><td class=\"n\">–</td>"
                              "<td class=\"n\">2.50×</td></tr>"));
  // ws: server and network split, 1.50× floor.
  EXPECT_THAT(page, HasSubstr("<td class=\"n\">30.0</td><td class=\"n\">10.0</td>"
                              "<td class=\"n\">20.0</td><td class=\"n\">1.50×</td></tr>"));
  // No floor for the split placement: × floor is blank.
  EXPECT_THAT(page, HasSubstr("<td class=\"n\">50040</td><td class=\"n\">–</td>"
                              "<td class=\"n\">–</td><td class=\"n\"></td></tr>"));
  // Server resources only where recorded.
  EXPECT_EQ(CountOf(page, "<th>server RSS</th>"), 1u);
  // The kernel's TCP memory and the time to open them all only where bench read them.
  EXPECT_THAT(page, HasSubstr("<td class=\"n\">42.5 MiB</td><td class=\"n\">100</td>"
                              "<td class=\"n\">20.5 KiB</td><td class=\"n\"></td>"
                              "<td class=\"n\"></td><td class=\"n\">0.25 s</td></tr>"));
}

TEST(ReportHtmlTest, DrawsOnePlotPerExpectedView) {
  const std::string page = RenderHtml(SmallReport());
  // sporadic: percentiles + CDF; compute: + sweep; concurrency: + throughput; many: 2 empty.
  EXPECT_EQ(CountOf(page, "<svg"), 2u + 3u + 3u + 2u);
  EXPECT_EQ(CountOf(page, ">no data<"), 2u);
  EXPECT_THAT(page, HasSubstr("Latency vs model compute time (ms): p50 plain, p99 with markers"));
  EXPECT_THAT(page, HasSubstr("Throughput vs latency p50"));
  EXPECT_THAT(page, HasSubstr(">99<"));  // the nines axis
  EXPECT_THAT(page, HasSubstr(">0<"));   // the compute sweep's 0 ms on its log axis
  EXPECT_THAT(page, HasSubstr(">50<"));  // and a tick at each value swept, 50 ms included
}

TEST(ReportHtmlTest, GivesEachWireOneColourOnThePage) {
  const std::string page = RenderHtml(SmallReport());
  // rest is seen first, then ws: palette entries 0 and 1, in every table and plot.
  EXPECT_THAT(page, HasSubstr("background:#1f77b4\"></span>rest<"));
  EXPECT_THAT(page, HasSubstr("background:#ff7f0e\"></span>ws<"));
  EXPECT_THAT(page, HasSubstr("background:#ff7f0e\"></span>ws, 32 outstanding<"));
  EXPECT_THAT(page, HasSubstr("background:#ff7f0e\"></span>ws, no replies <small>(short)"));
  EXPECT_THAT(page, Not(HasSubstr("#2ca02c\"")));  // only two wires: no third colour
}

// Every <polyline> of every plot: its colour, its dash pattern and whether markers follow it.
std::vector<std::vector<std::string>> SeriesLooksByPlot(const std::string& page) {
  std::vector<std::vector<std::string>> plots;
  const std::regex polyline(
      R"re(<polyline [^>]*stroke="([^"]+)"[^>]*?(stroke-dasharray="([^"]+)")?/>(<circle)?)re");
  size_t at = 0;
  while ((at = page.find("<svg", at)) != std::string::npos) {
    const size_t end = page.find("</svg>", at);
    const std::string svg = page.substr(at, end - at);
    std::vector<std::string> looks;
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), polyline);
         it != std::sregex_iterator(); ++it) {
      looks.push_back((*it)[1].str() + "|" + (*it)[3].str() + "|" + ((*it)[4].matched ? "o" : ""));
    }
    plots.push_back(std::move(looks));
    at = end;
  }
  return plots;
}

TEST(ReportHtmlTest, NoTwoSeriesOfAPlotLookAlike) {
  // Many runs of one wire, its TLS twin and a floor in one scenario, and a sweep.
  Report report = SmallReport();
  Scenario tls{.id = "tls", .title = "TLS", .placement = "split"};
  for (const char* wire : {"ws", "ws+tls", "rest", "rest+tls", "tcp"}) {
    for (int i = 0; i < 3; ++i) {
      loadgen::Run run = MakeRun(wire, fmt::format("{} #{}", wire, i), 40 + i, 0);
      run.result.options.wire = *ParseWire(wire);
      tls.runs.push_back(run);
    }
  }
  report.scenarios.push_back(tls);
  const std::string page = RenderHtml(report);
  size_t checked = 0;
  for (const std::vector<std::string>& looks : SeriesLooksByPlot(page)) {
    const std::set<std::string> distinct(looks.begin(), looks.end());
    EXPECT_EQ(distinct.size(), looks.size()) << ::testing::PrintToString(looks);
    checked += looks.size();
  }
  EXPECT_GT(checked, 30u);
  // The floor is grey, and no wire is.
  EXPECT_THAT(page, HasSubstr("stroke=\"#999\""));
}

TEST(ReportHtmlTest, TlsTablesHaveTheTerminalsColumnsAndThePageExplainsItsColumns) {
  Report report = SmallReport();
  Scenario tls{.id = "tls", .title = "TLS", .placement = "split"};
  tls.row = FindScenario(tls.id);
  loadgen::Run secure = MakeRun("ws+tls", "ws+tls", 50, 0);
  secure.result.options.wire = *ParseWire("ws+tls");
  secure.result.connect.Record(1'500'000);
  secure.result.connect.Record(1'500'000);
  secure.result.tls_full_handshakes = 3;
  secure.result.tls_resumed_handshakes = 7;
  tls.runs = {MakeRun("ws", "ws", 40, 0), secure};
  report.scenarios.push_back(tls);
  const std::string page = RenderHtml(report);
  EXPECT_THAT(page, HasSubstr("<th>connect p50</th><th>TLS full / resumed</th>"));
  EXPECT_THAT(page, HasSubstr("<td class=\"n\">1.50 ms</td><td class=\"n\">3 / 7</td>"));
  EXPECT_THAT(page, HasSubstr("<summary>What the table columns mean</summary>"));
  // The scenarios' own columns are explained once each, after the common ones.
  EXPECT_EQ(CountOf(page, "<dt>connect p50</dt>"), 1u);
  EXPECT_EQ(CountOf(page, "<dt>server RSS</dt>"), 1u);
  EXPECT_THAT(page, HasSubstr("<dt>× floor</dt>"));
  // The decision comes before the scenarios' evidence.
  EXPECT_LT(page.find("<h2>Decision</h2>"), page.find("<section id="));
  // Tables scroll in their own box on a narrow screen.
  EXPECT_EQ(CountOf(page, "<div class=\"scroll\"><table>"), CountOf(page, "<table>"));
}

TEST(ReportHtmlTest, EscapesText) {
  const std::string page = RenderHtml(SmallReport());
  EXPECT_THAT(page, HasSubstr("<h2>Sporadic &lt;&amp;&gt; test</h2>"));
  EXPECT_THAT(page, Not(HasSubstr("Sporadic <&> test")));
}

TEST(ReportHtmlTest, RefersToNothingOutside) {
  const std::string page = RenderHtml(SmallReport());
  EXPECT_THAT(page, HasSubstr("http://127.0.0.1:8000"));  // text is fine
  const std::regex external(R"((src|href)\s*=\s*["']?\s*(https?:|//))", std::regex::icase);
  EXPECT_FALSE(std::regex_search(page, external));
  for (const char* tag : {"<script", "<link", "<img", "<iframe", "@import", "url("}) {
    EXPECT_THAT(page, Not(HasSubstr(tag))) << tag;
  }
}

// A latency distribution shaped like a real one: a body near `base_us` and a power-law tail.
// Deterministic (no random numbers).
Histogram Shaped(double base_us, double tail, int count = 20000) {
  Histogram histogram;
  for (int i = 0; i < count; ++i) {
    const double quantile = (i + 0.5) / count;
    histogram.Record(static_cast<uint64_t>(base_us * 1000 * (0.9 + 0.2 * quantile) *
                                           std::pow(1 - quantile, -tail)));
  }
  return histogram;
}

Run SampleRun(const std::string& wire, const std::string& label, double base_us, double tail,
              double sweep_value = 0, double throughput = 0) {
  Run run;
  run.wire = wire;
  run.label = label;
  run.sweep_value = sweep_value;
  run.result.latency = Shaped(base_us, tail);
  run.result.server = Shaped(base_us * 0.2, tail / 2);
  run.result.network = Shaped(base_us * 0.8, tail);
  run.result.requests = run.result.latency.count();
  run.result.throughput_rps = throughput > 0 ? throughput : 1e6 / base_us;
  return run;
}

// A fuller page, written to look at (TempDir()/sample_report.html) and checked as written: the
// file holds the page, every scenario with its question and recommendation, a table row of each
// run with its own figures, and the plots each scenario calls for. It is written under a name of
// this process's own, read back, then renamed into place, so that a test run beside this one
// writing the same page never shows it a file half written.
TEST(ReportHtmlTest, WritesASamplePage) {
  Report report = SmallReport();
  report.scenarios.clear();
  const std::vector<std::pair<std::string, double>> wires = {
      {"rest", 140}, {"rest-keepalive", 48}, {"ws", 41}, {"ws-pipelined", 39}, {"ws-binary", 33}};
  Scenario sporadic{.id = "sporadic",
                    .title = "Sporadic: one client, ~10 requests/s",
                    .question = "Is a new connection per request worse than keeping one open?",
                    .placement = "same",
                    .verdict = {.text = "ws-binary: p50 4.2× lower than rest (33 vs 140 µs)."}};
  for (const auto& [wire, base] : wires) sporadic.runs.push_back(SampleRun(wire, wire, base, 0.12));
  sporadic.runs.push_back(
      loadgen::Run{.wire = "peer-flask", .label = "article Flask (no samples)"});
  Scenario many{.id = "many-clients-100",
                .title = "Many clients: 100 connections",
                .question = "What does each open connection cost the server?",
                .placement = "split",
                .verdict = {.text = "ws holds 100 connections in 3 MiB."}};
  for (const auto& [wire, base] : wires) {
    loadgen::Run run = SampleRun(wire, wire, base * 1.3, 0.2);
    run.server_connections = wire == "rest" ? 3 : 100;
    run.server_rss_mib = 12.5 + run.server_connections * 0.03;
    many.runs.push_back(run);
  }
  Scenario compute{.id = "compute",
                   .title = "Compute sweep: 0, 1 and 50 ms",
                   .question = "A model that takes milliseconds: does the wire still matter?",
                   .placement = "same",
                   .sweep = Sweep::kComputeMs,
                   .verdict = {.text = "At 50 ms every wire is within 1%."}};
  Scenario concurrency{.id = "concurrency",
                       .title = "Throughput vs latency: closed loop",
                       .question = "How much can each wire carry, and at what latency?",
                       .placement = "same",
                       .sweep = Sweep::kConcurrency,
                       .verdict = {.text = "ws-pipelined carries 2.1× what rest-keepalive does."}};
  for (const auto& [wire, base] : wires) {
    for (double ms : {0.0, 1.0, 50.0}) {
      compute.runs.push_back(
          SampleRun(wire, fmt::format("{}, {:g} ms", wire, ms), base + ms * 1000, 0.05, ms));
    }
    if (wire == "rest") continue;
    for (double level : {1.0, 4.0, 16.0, 64.0, 256.0}) {
      const double capacity = (wire == "ws-pipelined" ? 60000 : 30000) * 40 / base;
      const double throughput = capacity * level / (level + 3);
      concurrency.runs.push_back(SampleRun(wire, fmt::format("{}, {:g} outstanding", wire, level),
                                           1e6 * level / throughput, 0.1, level, throughput));
    }
  }
  report.scenarios = {sporadic, many, compute, concurrency};
  const std::string path = ::testing::TempDir() + "sample_report.html";
  const std::string written = fmt::format("{}.{}", path, getpid());
  const std::string rendered = RenderHtml(report);
  std::ofstream(written) << rendered;
  std::ifstream file(written);
  const std::string page((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::filesystem::rename(written, path);
  ASSERT_EQ(page, rendered);
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_THAT(page, HasSubstr("</html>"));

  // Each scenario, in order, under its title, with its question and recommendation.
  size_t last = 0;
  for (const Scenario& scenario : report.scenarios) {
    const size_t at = page.find("<h2>" + scenario.title + "</h2>");
    ASSERT_NE(at, std::string::npos) << scenario.title;
    EXPECT_GT(at, last) << scenario.title;
    last = at;
    EXPECT_THAT(page, HasSubstr(scenario.question));
    EXPECT_THAT(page, HasSubstr("<p class=\"recommendation\">" + scenario.verdict.text + "</p>"));
  }

  // Each measured run has its row: its label, requests, no errors, then its p50 and p99, and
  // the server's and the network's p50, each its own histogram's.
  const auto cell = [](const Histogram& histogram, double percentile) {
    return fmt::format("<td class=\"n\">{}</td>",
                       FormatFigure(Microseconds(histogram.ValueAtPercentile(percentile))));
  };
  size_t rows = 0;
  for (size_t i = 0; i < report.scenarios.size(); ++i) {
    const Scenario& scenario = report.scenarios[i];
    // Its section: from its title to the next scenario's.
    const size_t begin = page.find("<h2>" + scenario.title + "</h2>");
    const size_t end = i + 1 < report.scenarios.size()
                           ? page.find("<h2>" + report.scenarios[i + 1].title + "</h2>")
                           : page.size();
    const std::string section = page.substr(begin, end - begin);
    for (const loadgen::Run& run : scenario.runs) {
      if (run.result.requests == 0) continue;
      const BenchResult& result = run.result;
      const std::string start = "</span>" + run.label + "</td><td class=\"n\">" +
                                std::to_string(result.requests) + "</td><td class=\"n\">0</td>";
      const size_t at = section.find(start);
      ASSERT_NE(at, std::string::npos) << scenario.id << ": " << run.label;
      const std::string row = section.substr(at, section.find("</tr>", at) - at);
      EXPECT_THAT(row, HasSubstr(fmt::format("<td class=\"n\">{:.1f}</td>{}", result.throughput_rps,
                                             cell(result.latency, 50))))
          << row;
      EXPECT_THAT(row, HasSubstr(cell(result.latency, 99) + cell(result.latency, 99.9)));
      EXPECT_THAT(row, HasSubstr(cell(result.server, 50) + cell(result.network, 50)));
      ++rows;
    }
  }
  EXPECT_EQ(rows, 5u + 5u + 15u + 20u);
  // The run with no samples is listed, short and without figures.
  EXPECT_THAT(page, HasSubstr("article Flask (no samples) <small>(short)</small></td>"
                              "<td class=\"n\">0</td><td class=\"n\">0</td>"
                              "<td class=\"n\">0.0</td><td class=\"n\">–</td>"));
  // Percentiles and CDF for every scenario, plus the sweep's plot for compute and concurrency,
  // and the throughput plot for concurrency; every one has data.
  EXPECT_EQ(CountOf(page, "<svg"), 2u + 2u + 3u + 3u);
  EXPECT_EQ(CountOf(page, ">no data<"), 0u);
}

}  // namespace
}  // namespace predictwire::loadgen
