// WAN view through the delay proxy: connection set-up grows with the round trip.

#include <fmt/format.h>

#include "core/default_models.h"
#include "loadgen/compare/columns.h"
#include "loadgen/compare/judging.h"
#include "loadgen/compare/planning.h"

namespace predictwire::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Unavailable(const PlanOptions& options) {
  return options.rtts.empty() ? "give the round trips to add, e.g. --rtt 5ms,20ms" : "";
}

std::vector<PlannedScenario> Plan(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{"wan", "WAN view: the same exchange over a delayed link",
                           "Over a real network, how does connection set-up grow with the "
                           "round-trip time?",
                           Sweep::kRttMs};
  const std::vector<WireSpec> wires =
      SelectWires(options, [](const Wire& wire, bool) { return wire.article; });
  auto add = [&](const WireSpec& wire, std::string label, bool resume,
                 std::chrono::nanoseconds rtt) {
    BenchOptions bench = ClosedLoad(wire, 1, quick ? seconds(2) : seconds(5), milliseconds(500));
    bench.think = milliseconds(20);
    bench.tls_resume = resume;
    PlannedRun run = ServerRun(std::move(label), bench, ModelFor(options, kDefaultModelName));
    run.route = {.destination = Destination::kServerViaProxy, .added_rtt = rtt};
    run.sweep_value = std::chrono::duration<double, std::milli>(rtt).count();
    scenario.runs.push_back(std::move(run));
  };
  for (std::chrono::nanoseconds rtt : options.rtts) {
    const double ms = std::chrono::duration<double, std::milli>(rtt).count();
    for (const WireSpec& wire : wires) {
      add(wire, fmt::format("{}, {:g} ms RTT", WireLabel(wire), ms), true, rtt);
    }
    // TLS 1.3 adds one round trip to a new connection, resumed or not (no 0-RTT data). Over
    // TLS only with compare's own server, which has a certificate.
    if (!options.own_server) continue;
    for (const WireSpec& wire : wires) {
      if (!wire.wire->new_connection_per_request || wire.tls) continue;
      for (bool resume : {false, true}) {
        add({wire.wire, true},
            fmt::format("{}+tls, {}, {:g} ms RTT", wire.wire->name,
                        resume ? "resumed" : "full handshake", ms),
            resume, rtt);
      }
    }
  }
  return {scenario};
}

}  // namespace

extern const ScenarioRow kWanScenario = {
    .id = "wan",
    .summary = "through a delay proxy (--rtt): how set-up grows with the round trip",
    .criterion = Criterion::kRoundTrip,
    .opt_in = true,
    .unavailable = Unavailable,
    .plan = Plan,
    .judge = JudgeSweep,
    .columns = ConnectionColumns(),
};

}  // namespace predictwire::loadgen
