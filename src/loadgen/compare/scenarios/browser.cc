// The browser as a client: Chromium on the server's page times each browser wire
// (browser/browser_wires.h), beside the C++ client's rows of the same exchanges and model and
// the raw TCP floor, all one request at a time and taking turns, so the report shows what the
// browser adds; and the same exchanges through the server's JavaScript client (/predictwire.js),
// so it shows what that client adds to the browser's bare WebSocket and fetch. Runs are counted
// in requests: a browser request takes milliseconds where the C++ client's takes microseconds.

#include <fmt/format.h>

#include <map>

#include "core/default_models.h"
#include "loadgen/browser/browser_wires.h"
#include "loadgen/compare/judging.h"
#include "loadgen/compare/planning.h"
#include "loadgen/stats/format.h"

namespace predictwire::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Unavailable(const PlanOptions& options) {
  if (!options.browser) {
    return "Debian's /usr/bin/chromium is not installed (scripts/setup.sh installs it)";
  }
  // The page and its second origin are compare's own server's (--cors-origin).
  return options.own_server ? "" : "it measures compare's own server, whose page and CORS it sets";
}

std::vector<PlannedScenario> Plan(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{
      "browser", "Browser: headless Chromium on the server's page, one request at a time",
      "A web page asks for predictions: what does the browser add, and which wire should the "
      "page use?"};
  // Over all rounds: --quick's three rounds give each browser wire 40 requests a round.
  const uint64_t browser_requests = quick ? 120 : 1000;
  const uint64_t client_requests = quick ? 600 : 10000;
  auto counted = [&](const WireSpec& wire, uint64_t requests) {
    BenchOptions bench = ClosedLoad(wire, 1, quick ? milliseconds(900) : seconds(3),
                                    quick ? milliseconds(50) : milliseconds(100));
    bench.requests = requests;
    return bench;
  };
  const std::string model(kDefaultModelName);
  AddFloorRuns(counted({}, client_requests), true, &scenario);
  for (const WireSpec& wire : SelectWires(options, [](const Wire&wire, bool) {
         return wire.article && !wire.new_connection_per_request;
       })) {
    scenario.runs.push_back(ServerRun(fmt::format("{}, C++ client", WireLabel(wire)),
                                      counted(wire, client_requests), model));
  }
  for (const Wire& wire : BrowserWires()) {
    PlannedRun run =
        ServerRun(std::string(wire.name), counted({&wire, false}, browser_requests), model);
    run.route.destination = Destination::kBrowser;
    scenario.runs.push_back(std::move(run));
  }
  return {scenario};
}

// What the JavaScript client adds to each raw browser exchange: "browser-module-ws 190 µs vs
// browser-ws 170 µs: +20 µs (1.1×) per request, 95% CI 8–14%", or that it costs nothing
// measurable. Empty when no module wire ran beside its raw one.
std::vector<std::string> ModuleCosts(const std::vector<const Run*>& browser,
                                     const std::map<std::string_view, const Run*>& by_wire) {
  std::vector<std::string> costs;
  for (const Run* run : browser) {
    const Wire* raw = RawCounterpart(*run->result.options.wire.wire);
    const auto bare = raw != nullptr ? by_wire.find(raw->name) : by_wire.end();
    if (bare == by_wire.end()) continue;
    const Margin margin = MarginOf(*bare->second, *run);
    costs.push_back(fmt::format(
        "{} {} vs {} {}: {}", run->label, FormatMicroseconds(P50(*run)), bare->second->label,
        FormatMicroseconds(P50(*bare->second)),
        Clear(margin)
            ? fmt::format("{} per request, {}", AddedText(*run, *bare->second), CiText(margin))
            : fmt::format("nothing measurable ({})", CiText(margin))));
  }
  return costs;
}

// The browser scenario: the browser wires ranked among themselves (the C++ client's rows are
// their yardstick, not rivals), what Chromium adds to each exchange over the C++ client, what a
// preflight and a new WebSocket cost, and what the predictwire.js client adds.
void JudgeBrowser(const Scenario&, const RunsToJudge& runs, Verdict* verdict) {
  std::vector<const Run*> browser;
  std::map<std::string_view, const Run*> by_wire;
  for (const Run* run : runs.healthy) {
    by_wire[run->result.options.wire.wire->name] = run;
    if (IsBrowserWire(*run->result.options.wire.wire)) browser.push_back(run);
  }
  if (browser.empty()) {
    verdict->text = "no browser wire completed its requests without errors";
    verdict->meaning = verdict->text;
    return;
  }
  const Judgement judgement = Judge(browser);
  SetBest(judgement, /*by_wire=*/false, verdict);
  std::vector<std::string> added;
  for (const Run* run : browser) {
    const Wire& wire = *run->result.options.wire.wire;
    const Wire* counterpart = ClientCounterpart(wire);
    const auto client = counterpart ? by_wire.find(counterpart->name) : by_wire.end();
    // The second-origin fetches are judged against the same-origin one, and the JavaScript
    // client's wires against the bare ones, below.
    if (client == by_wire.end() || wire.name.starts_with("browser-fetch-cors") ||
        IsModuleWire(wire)) {
      continue;
    }
    added.push_back(fmt::format("{} {} vs {} {} {}", run->label, FormatMicroseconds(P50(*run)),
                                client->second->wire, FormatMicroseconds(P50(*client->second)),
                                AddedText(*run, *client->second)));
  }
  std::string text = fmt::format("in Chromium: {}", JudgementText(judgement));
  if (!added.empty()) {
    text +=
        fmt::format(". What the browser adds to the C++ client's exchange: {}", JoinWords(added));
  }
  const auto fetch = by_wire.find("browser-fetch");
  std::vector<std::string> costs;
  for (std::string_view name : {"browser-fetch-cors", "browser-fetch-cors-cached"}) {
    const auto cors = by_wire.find(name);
    if (fetch == by_wire.end() || cors == by_wire.end()) continue;
    const Margin margin = MarginOf(*fetch->second, *cors->second);
    const bool each = name == "browser-fetch-cors";
    costs.push_back(fmt::format(
        "{} second origin with {} {}", costs.empty() ? "A" : "a",
        each ? "a preflight before every request" : "its preflight cached (Max-Age)",
        !Clear(margin)
            ? fmt::format("costs nothing measurable (p50 {} vs {}, {})",
                          FormatMicroseconds(P50(*cors->second)),
                          FormatMicroseconds(P50(*fetch->second)), CiText(margin))
            : fmt::format("adds {} to a fetch", AddedText(*cors->second, *fetch->second))));
  }
  if (const auto fresh = by_wire.find("browser-ws-new"); fresh != by_wire.end()) {
    costs.push_back(fmt::format(
        "{} new WebSocket per request takes {} (opening it {})", costs.empty() ? "A" : "a",
        FormatMicroseconds(P50(*fresh->second)),
        FormatMicroseconds(fresh->second->result.connect.ValueAtPercentile(50) / 1000.0)));
  }
  if (!costs.empty()) text += fmt::format(". {}", JoinWords(costs));
  const std::vector<std::string> module_costs = ModuleCosts(browser, by_wire);
  if (!module_costs.empty()) {
    text += fmt::format(
        ". What the predictwire.js client adds to the browser's bare WebSocket and fetch: {}",
        JoinWords(module_costs));
  }
  verdict->text = std::move(text);
  const Run& fastest = *judgement.best.front();
  verdict->meaning = fmt::format("from a browser (Chromium): {} (p50 {})", JoinWords(verdict->best),
                                 FormatMicroseconds(P50(fastest)));
  if (fetch != by_wire.end() && fetch->second != &fastest) {
    verdict->meaning +=
        fmt::format("; a fetch takes {}, {:.0f}× as long", FormatMicroseconds(P50(*fetch->second)),
                    P50(fastest) > 0 ? P50(*fetch->second) / P50(fastest) : 0.0);
  }
  if (const auto fresh = by_wire.find("browser-ws-new"); fresh != by_wire.end()) {
    verdict->meaning +=
        fmt::format(", a new WebSocket per request {}", FormatMicroseconds(P50(*fresh->second)));
  }
  const Wire* counterpart = ClientCounterpart(*fastest.result.options.wire.wire);
  if (const auto client = counterpart ? by_wire.find(counterpart->name) : by_wire.end();
      client != by_wire.end()) {
    verdict->meaning += fmt::format("; the browser adds {} to the C++ client's {}",
                                    AddedText(fastest, *client->second), client->second->wire);
  }
  const auto module = by_wire.find("browser-module-ws");
  const auto bare = by_wire.find("browser-ws");
  if (module != by_wire.end() && bare != by_wire.end()) {
    const Margin margin = MarginOf(*bare->second, *module->second);
    verdict->meaning += fmt::format(
        "; the predictwire.js client adds {} per request to the bare WebSocket ({})",
        Clear(margin) ? AddedText(*module->second, *bare->second) : "nothing measurable",
        CiText(margin));
  }
}

}  // namespace

extern const ScenarioRow kBrowserScenario = {
    .id = "browser",
    .summary = "headless Chromium on the server's page: what a web page pays for each wire",
    .criterion = Criterion::kClient,
    .unmeasured =
        "measured from predictwire's C++ client; what a browser adds is measured by "
        "the browser scenario (it needs Debian's chromium)",
    .unavailable = Unavailable,
    .plan = Plan,
    .judge = JudgeBrowser,
};

}  // namespace predictwire::loadgen
