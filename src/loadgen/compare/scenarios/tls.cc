// TLS: what encryption adds per request on an open connection, and per new connection with a
// full or resumed handshake. Compare's own server has a certificate; a --target may not.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/default_models.h"
#include "loadgen/compare/columns.h"
#include "loadgen/compare/judging.h"
#include "loadgen/compare/planning.h"
#include "loadgen/stats/format.h"

namespace predictwire::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<PlannedScenario> Plan(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{
      "tls", "TLS: encryption and handshakes, one client back to back",
      "Behind HTTPS, what does TLS add: per request on an open connection, and per new "
      "connection with a full handshake or a resumed session?"};
  const auto warmup = Warmup(options);
  const auto duration = quick ? milliseconds(1000) : seconds(5);
  // Each planned wire once, in the clear and over TLS, whichever way it was named.
  std::vector<const Wire*> rows;
  for (const WireSpec& spec : SelectWires(options, [](const Wire&wire, bool) {
         return !wire.multiplexes && !wire.route.tls_port_key.empty();
       })) {
    if (std::find(rows.begin(), rows.end(), spec.wire) == rows.end()) rows.push_back(spec.wire);
  }
  AddFloorRuns(ClosedLoad({}, 1, quick ? milliseconds(900) : seconds(3), warmup),
               std::any_of(rows.begin(), rows.end(),
                           [](const Wire* wire) { return wire->new_connection_per_request; }),
               &scenario);
  auto add = [&](const Wire& wire, bool tls, std::string label, bool resume) {
    PlannedRun run = ServerRun(std::move(label), ClosedLoad({&wire, tls}, 1, duration, warmup),
                               ModelFor(options, kDefaultModelName));
    run.bench.tls_resume = resume;
    scenario.runs.push_back(std::move(run));
  };
  std::set<WireFamily> families;
  for (const Wire* wire : rows) {
    if (wire->new_connection_per_request) {
      add(*wire, false, fmt::format("{}, new TCP connection", wire->name), true);
      add(*wire, true, fmt::format("{}+tls, full handshake", wire->name), false);
      add(*wire, true, fmt::format("{}+tls, resumed session", wire->name), true);
      continue;
    }
    // --quick: one kept-open wire per protocol family is enough to see what TLS adds.
    if (quick && !options.wires_chosen && !families.insert(wire->family).second) continue;
    add(*wire, false, std::string(wire->name), true);
    add(*wire, true, WireLabel({wire, true}), true);
  }
  return {scenario};
}

// What TLS adds to each wire, against the same wire in the clear.
std::string TlsText(const std::vector<const Run*>& runs) {
  std::vector<std::string> per_request, per_connection;
  for (const Run* secure : runs) {
    if (!secure->result.options.wire.tls) continue;
    const Wire* row = secure->result.options.wire.wire;
    const auto plain = std::find_if(runs.begin(), runs.end(), [&](const Run* run) {
      return run->result.options.wire.wire == row && !run->result.options.wire.tls;
    });
    if (plain == runs.end()) continue;
    const Margin margin = MarginOf(**plain, *secure);
    if (row->new_connection_per_request) {
      per_connection.push_back(fmt::format("{} {} (+{} over {} {})", secure->label,
                                           FormatMicroseconds(P50(*secure)),
                                           FormatMicroseconds(P50(*secure) - P50(**plain)),
                                           (*plain)->label, FormatMicroseconds(P50(**plain))));
      continue;
    }
    const std::string p50s = fmt::format("p50 {} vs {}", FormatMicroseconds(P50(**plain)),
                                         FormatMicroseconds(P50(*secure)));
    if (margin.tie || !margin.interval ||
        std::min(std::abs(margin.interval->low), std::abs(margin.interval->high)) <
            kNegligiblePercent) {
      per_request.push_back(
          fmt::format("nothing measurable to {} ({}, {})", row->name, p50s, CiText(margin)));
      continue;
    }
    std::string ci = "no interval";
    if (margin.interval) {
      ci = fmt::format("95% CI {}", FormatPercentInterval({SlowerPercent(margin.interval->low),
                                                           SlowerPercent(margin.interval->high)}));
    }
    per_request.push_back(
        fmt::format("{:.0f}% to {} ({}, {})", SlowerPercent(margin.percent), row->name, p50s, ci));
  }
  std::string text;
  if (!per_request.empty()) {
    text = fmt::format("TLS adds per request on an open connection: {}", JoinWords(per_request));
  }
  if (!per_connection.empty()) {
    if (!text.empty()) text += "; ";
    text += fmt::format("a new connection per request costs {}", JoinWords(per_connection));
  }
  return text;
}

void JudgeTls(const Scenario& scenario, const RunsToJudge& runs, Verdict* verdict) {
  JudgeLatency(scenario, runs, verdict);
  if (const std::string tls = TlsText(runs.healthy); !tls.empty()) {
    verdict->text += ". " + tls;
    verdict->meaning = tls;
  }
}

}  // namespace

extern const ScenarioRow kTlsScenario = {
    .id = "tls",
    .summary = "what TLS adds per request, and per new connection (full or resumed handshake)",
    .criterion = Criterion::kTls,
    .unavailable = NeedsOwnServer,
    .plan = Plan,
    .judge = JudgeTls,
    .columns = ConnectionColumns(),
};

}  // namespace predictwire::loadgen
