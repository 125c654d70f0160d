// Many clients: what does holding connections cost the server, and does latency suffer? Each
// wire on a fresh server of its own, whose memory growth is then that wire's alone.

#include <fmt/format.h>

#include "core/default_models.h"
#include "loadgen/compare/columns.h"
#include "loadgen/compare/judging.h"
#include "loadgen/compare/planning.h"

namespace predictwire::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

PlannedScenario PlanFor(const PlanOptions& options, int clients) {
  const bool quick = options.quick;
  PlannedScenario scenario{
      fmt::format("many-clients-{}", clients),
      fmt::format("Many clients: {} connections, 1 request/s each", clients),
      "Many users at once: what does each open connection cost the server, and does latency "
      "suffer?"};
  for (const WireSpec& wire : SelectWires(options, [](const Wire&wire, bool trim) {
         return !wire.multiplexes && (!trim || wire.article);
       })) {
    BenchOptions bench =
        OpenLoad(wire, clients, Arrival::kPoisson, clients, quick ? seconds(2) : seconds(10),
                 quick ? milliseconds(500) : milliseconds(1000));
    PlannedRun run = ServerRun(WireLabel(wire), bench, ModelFor(options, kDefaultModelName));
    run.record_server_stats = true;
    scenario.runs.push_back(std::move(run));
  }
  return scenario;
}

std::vector<PlannedScenario> Plan(const PlanOptions& options) {
  std::vector<PlannedScenario> plan;
  for (int clients : options.quick ? std::vector<int>{100} : std::vector<int>{100, 1000}) {
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
    .summary = "100 (and 1000) connections at 1 request/s each: latency and server memory",
    .criterion = Criterion::kClients,
    .plan = Plan,
    .judge = JudgeManyClients,
    .columns = ServerResourceColumns(),
};

}  // namespace predictwire::loadgen
