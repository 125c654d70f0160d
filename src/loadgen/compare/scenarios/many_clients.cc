// Many clients: what does holding connections cost the server, and does latency suffer? Each
// wire on a fresh server of its own, whose memory growth is then that wire's alone. The load is
// light (one request a second per connection, at most 1,000 a second spread over all of them):
// what is measured is the holding, not the serving.

#include <fmt/format.h>

#include <algorithm>

#include "core/default_models.h"
#include "loadgen/compare/columns.h"
#include "loadgen/compare/judging.h"
#include "loadgen/compare/planning.h"

namespace predictwire::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The most requests a second the load sends, however many connections it holds.
constexpr int kMostRequestsPerSecond = 1000;

PlannedScenario PlanFor(const PlanOptions& options, int clients) {
  const bool quick = options.quick;
  const int rate = std::min(clients, kMostRequestsPerSecond);
  PlannedScenario scenario{
      fmt::format("many-clients-{}", clients),
      rate == clients ? fmt::format("Many clients: {} connections, 1 request/s each", clients)
                      : fmt::format("Many clients: {} connections, {} requests/s spread over them",
                                    clients, rate),
      "Many users at once: what does each open connection cost the server, and does latency "
      "suffer?"};
  for (const WireSpec& wire : SelectWires(options, [](const Wire&wire, bool trim) {
         return !wire.multiplexes && (!trim || wire.article);
       })) {
    // The warm-up covers opening them all (about 0.1 s a thousand here, more under load).
    const milliseconds warmup =
        (quick ? milliseconds(500) : milliseconds(1000)) + milliseconds(clients / 5);
    BenchOptions bench =
        OpenLoad(wire, rate, Arrival::kPoisson, clients, quick ? seconds(2) : seconds(10), warmup);
    PlannedRun run = ServerRun(WireLabel(wire), bench, ModelFor(options, kDefaultModelName));
    run.record_server_stats = true;
    scenario.runs.push_back(std::move(run));
  }
  return scenario;
}

std::vector<PlannedScenario> Plan(const PlanOptions& options) {
  std::vector<PlannedScenario> plan;
  for (int clients : options.quick ? std::vector<int>{100} : std::vector<int>{100, 1000, 10000}) {
    plan.push_back(PlanFor(options, clients));
  }
  return plan;
}

void JudgeManyClients(const Scenario& scenario, const RunsToJudge& runs, Verdict* verdict) {
  JudgeLatency(scenario, runs, verdict);
  verdict->meaning = fmt::format("with many clients at once: {}", verdict->meaning);
}

}  // namespace

extern const ScenarioRow kManyClientsScenario = {
    .id = "many-clients",
    .summary =
        "100 (full run: also 1,000 and 10,000) connections, 1 request/s each up to 1,000/s: "
        "latency, server memory per connection, the kernel's, and the time to open them",
    .criterion = Criterion::kClients,
    .plan = Plan,
    .judge = JudgeManyClients,
    .columns = ServerResourceColumns(),
};

}  // namespace predictwire::loadgen
