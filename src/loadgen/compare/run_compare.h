#ifndef PREDICTWIRE_LOADGEN_COMPARE_RUN_COMPARE_H_
#define PREDICTWIRE_LOADGEN_COMPARE_RUN_COMPARE_H_

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/compare/report.h"
#include "loadgen/compare/scenario.h"

namespace predictwire::loadgen {

// `predictwire compare`: every wire under every scenario, with the TCP floor of the same run,
// in one or both CPU placements; a verdict per scenario and a decision.
struct CompareOptions {
  bool quick = false;
  // Where the servers', peers' and browser's logs go (the report's directory).
  std::string log_dir = "report";
  // An already running server; empty: compare starts `predictwire serve` itself.
  std::string target;
  std::string model;        // with --target: the model to ask (default: the server's default)
  std::string grpc_target;  // with --target: the server's gRPC HOST:PORT (needs --model)
  std::vector<std::string> placements = {"split"};  // "same", "split"
  std::vector<std::string> wires;                   // empty: every candidate
  std::vector<std::chrono::nanoseconds> rtts;       // the WAN view; empty: none
  // The capacity scenario's objective: the p99 each wire must keep as its load rises.
  std::chrono::nanoseconds slo = std::chrono::milliseconds(1);
  bool peers = false;  // also the article's servers
  // The scale-out scenario: the balancer (haproxy or nginx), the backends behind it, and the
  // checkout's deploy/ with the balancer templates.
  std::string balancer = "haproxy";
  int backends = 3;
  std::string deploy_dir;
  std::vector<std::string> scenarios;  // only these (id prefixes); empty: all
  std::string binary;                  // this predictwire, to start the server
  std::string models_dir;              // where breast_cancer.json is
  std::string peers_dir;               // where flask_server.py and websockets_server.py are
  std::string python = "/usr/bin/python3";
  std::string command_line;  // recorded in the report
  // The scenarios to choose from (a test may run compare through rows of its own).
  std::span<const ScenarioRow* const> rows = Scenarios();
};

// Progress as compare goes; every call on the thread that called RunCompare.
class CompareObserver {
 public:
  virtual ~CompareObserver() = default;
  // A placement's floor was measured.
  virtual void OnFloor(std::string_view placement, const Floor& floor) {}
  // One round of one run is done: the `done`-th of `total` measurements so far planned (a
  // scenario that plans as it goes raises `total`), with that round's own result.
  struct Round {
    size_t done = 0;
    size_t total = 0;
    std::string_view placement;
    std::string_view scenario;
    std::string_view label;
    int round = 0;  // from 1
    int rounds = 0;
    const BenchResult& result;
  };
  virtual void OnRound(const Round& round) {}
  // A scenario is measured and judged (`report` holds the scenarios before it).
  virtual void OnScenario(const Report& report, const Scenario& scenario) {}
};

// The scenarios of `rows` that `asked` names (ids or id prefixes; empty: all) and can run with
// `plan`, each with its row, in the rows' order; a scenario with no wire to measure is left out.
// A row that cannot run is noted, when it was named or is not opt-in. An unknown id is an error.
struct ComparePlan {
  std::vector<std::pair<const ScenarioRow*, PlannedScenario>> scenarios;
  std::vector<std::string> notes;    // "browser scenario skipped: ..."
  std::vector<std::string> reasons;  // why the rows `asked` named cannot run
};
absl::StatusOr<ComparePlan> PlanCompare(const PlanOptions& plan,
                                        std::span<const ScenarioRow* const> rows = Scenarios(),
                                        const std::vector<std::string>& asked = {});

// Runs every chosen scenario in every placement and returns the report, its decision and
// overall lines included. Fails only when nothing can be measured (bad options, a server that
// does not start, no scenario left); a scenario that cannot run is left out with a note.
absl::StatusOr<Report> RunCompare(const CompareOptions& options, CompareObserver& observer);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_COMPARE_RUN_COMPARE_H_
