// The article's own servers (Flask, python websockets), side by side with ours, with the
// article's 50 ms sleeping model.

#include <fmt/format.h>

#include "core/default_models.h"
#include "loadgen/compare/judging.h"
#include "loadgen/compare/planning.h"

namespace predictwire::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kArticleComputeMs = 50;  // the article's time.sleep(0.05)

std::string Unavailable(const PlanOptions& options) {
  if (!options.peers) return "give --peers to start the article's servers";
  return NeedsOwnServer(options);  // predictwire's side needs the article's model
}

PlannedScenario PlanFor(const PlanOptions& options, int clients) {
  PlannedScenario scenario{
      fmt::format("article-{}-client{}", clients, clients == 1 ? "" : "s"),
      fmt::format("The article's 50 ms model, {} client{} at once", clients,
                  clients == 1 ? "" : "s"),
      "The article's servers as written (Flask, python websockets) against predictwire with "
      "the same 50 ms sleeping model."};
  const auto duration = options.quick ? seconds(2) : seconds(10);
  for (const WireSpec& wire :
       SelectWires(options, [](const Wire&wire, bool) { return wire.article; })) {
    BenchOptions bench = ClosedLoad(wire, clients, duration, milliseconds(300));
    scenario.runs.push_back(
        ServerRun("predictwire " + WireLabel(wire), bench, std::string(kArticleModelName)));
  }
  for (Destination peer : {Destination::kPeerFlask, Destination::kPeerWebSockets}) {
    const bool flask = peer == Destination::kPeerFlask;
    PlannedRun run;
    run.wire = flask ? "peer-flask" : "peer-websockets";
    run.label = flask ? "article Flask (rest)" : "article websockets (ws)";
    run.route = {.destination = peer, .peer_compute_ms = kArticleComputeMs};
    run.bench =
        ClosedLoad({&FindWire(flask ? "rest" : "ws"), false}, clients, duration, milliseconds(300));
    scenario.runs.push_back(std::move(run));
  }
  return scenario;
}

std::vector<PlannedScenario> Plan(const PlanOptions& options) {
  return {PlanFor(options, 1), PlanFor(options, 4)};
}

void JudgeArticle(const Scenario& scenario, const RunsToJudge& runs, Verdict* verdict) {
  JudgeLatency(scenario, runs, verdict);
  verdict->meaning = fmt::format("against the article's servers: {}", verdict->meaning);
}

}  // namespace

extern const ScenarioRow kArticleScenario = {
    .id = "article",
    .summary = "the article's Flask and websockets servers beside ours (--peers)",
    .opt_in = true,
    .unavailable = Unavailable,
    .plan = Plan,
    .judge = JudgeArticle,
};

}  // namespace predictwire::loadgen
