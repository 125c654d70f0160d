#ifndef PREDICTWIRE_LOADGEN_COMPARE_SCENARIO_H_
#define PREDICTWIRE_LOADGEN_COMPARE_SCENARIO_H_

// A scenario of `predictwire compare` is one row, as a wire is one row of the wire table:
// everything compare knows of it — its id, the question it answers and the article's criterion
// it speaks to, its plan, its judge and its report columns — is in its row, written in its own
// file under compare/scenarios/ and listed once in scenario_table.cc. Compare's help, the
// choice of --scenarios, the runs, the verdicts, the decision and every report read the rows.

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/client/wire.h"
#include "loadgen/compare/report.h"
#include "loadgen/compare/sweep.h"
#include "loadgen/driver/bench.h"
#include "loadgen/harness/placement.h"

namespace predictwire::loadgen {

// What compare was asked to measure, as the plans see it.
struct PlanOptions {
  bool quick = false;
  std::vector<WireSpec> wires;  // the wires to measure (compare's --wires, or every candidate)
  // The user named the wires: --quick then measures each wherever it fits, rather than
  // trimming to the article's wires where every wire would repeat the same figures.
  bool wires_chosen = false;
  // The server is compare's own, with its certificate and test models (test_models.h); false
  // for a --target server, whose only model is `model`.
  bool own_server = true;
  std::string model;
  std::vector<std::chrono::nanoseconds> rtts;  // the WAN view's round trips (--rtt)
  // The capacity scenario's latency objective: the p99 each wire must keep.
  std::chrono::nanoseconds slo = std::chrono::milliseconds(1);
  bool peers = false;    // --peers: the article's own servers
  bool browser = false;  // Debian's Chromium is installed
  // The scale-out scenario: the balancer asked for (--lb), whether it is installed, the
  // backends behind it (--backends), and whether deploy/'s templates were found.
  std::string balancer = "haproxy";
  bool balancer_installed = false;
  int backends = 3;
  bool deploy_dir_found = false;
  // The --scenarios asked for (ids or prefixes; empty: the default set): an opt-in row that
  // needs nothing else is measured when named.
  std::vector<std::string> scenarios;
};

// One load of a scenario: a wire (or a peer) at one point of its sweep.
struct PlannedRun {
  std::string wire;  // shown in reports: a wire's label, or peer-flask / peer-websockets
  std::string label;
  double sweep_value = 0;
  Route route;         // where it goes (harness/placement.h)
  bool probe = false;  // measured once, to plan more runs (Run::probe)
  // Measured once, in the first round, and judged like any run (an event under load, which
  // is not repeated in every round).
  bool once = false;
  bool record_server_stats = false;  // on a fresh server of its own: memory, CPU, connections
  BenchOptions bench;                // everything but the target URL
};

struct PlannedScenario {
  std::string id;
  std::string title;
  std::string question;
  Sweep sweep = Sweep::kNone;
  std::vector<PlannedRun> runs;
  // The capacity scenario: the p99 a run must keep to (0 elsewhere).
  std::chrono::nanoseconds slo{0};
  // The runs share one stream of open-loop arrivals, dealt to them in turn request by request
  // (RunBenchTogether), rather than taking turns run by run.
  bool interleaved = false;
};

// The article's decision criteria, in the order the overall recommendation lists them.
enum class Criterion {
  kNone,
  kRequestRate,
  kComputeTime,
  kPayloadSize,
  kClients,
  kBatching,
  kRoundTrip,
  kTls,
  kScale,
  kClient,
};
// "Request rate", "Model compute time", ...
std::string_view CriterionName(Criterion criterion);

// An extra column of a scenario's run tables (the terminal's and the page's).
struct ReportColumn {
  std::string_view header;   // "connect p50"
  std::string_view meaning;  // for the page's legend
  // The cell of `run`; empty when the run has nothing to show there.
  std::string (*cell)(const Run& run);
};

// The runs of a measured scenario as its judge sees them.
struct RunsToJudge {
  std::vector<const Run*> healthy;     // candidates measured with at most 1% errors
  std::vector<const Run*> measured;    // every candidate measured, errors or not
  std::vector<const Run*> floors;      // the raw TCP runs measured beside them
  std::vector<std::string> unhealthy;  // "label (3 of 40 requests failed)"
};

struct ScenarioRow {
  // The id, and the prefix of the ids of every scenario it plans ("many-clients" plans
  // many-clients-100 and many-clients-1000); --scenarios selects rows by it.
  std::string_view id;
  std::string_view summary;  // one line for `compare --help`
  Criterion criterion = Criterion::kNone;
  // What the overall recommendation says of the criterion when this row was not measured
  // (empty: nothing).
  std::string_view unmeasured;
  // Measured only when asked for by its options (--rtt, --peers): left out without a note
  // otherwise.
  bool opt_in = false;
  // Why it cannot run with `options` (it needs compare's own server, Chromium, --rtt); empty:
  // it can. Null: always.
  std::string (*unavailable)(const PlanOptions& options) = nullptr;
  // The scenarios it measures with `options`: none when no wire of the plan fits.
  std::vector<PlannedScenario> (*plan)(const PlanOptions& options) = nullptr;
  // More runs, given what it measured so far in `scenario` (the capacity search): each step's
  // runs are measured in every round before the next step is asked for; none when it has all it
  // needs. Null: the plan is the whole scenario.
  std::vector<PlannedRun> (*extend)(const PlannedScenario& planned,
                                    const Scenario& scenario) = nullptr;
  // The verdict from its measured runs, once at least one candidate is healthy (or, with
  // `errors_are_findings`, measured). Null: JudgeLatency (judging.h).
  void (*judge)(const Scenario& scenario, const RunsToJudge& runs, Verdict* verdict) = nullptr;
  // Runs past an objective or with errors are what it measures (capacity), not failures: the
  // judge sees them and the verdict gets no notes on them.
  bool errors_are_findings = false;
  std::span<const ReportColumn> columns;
};

// Every scenario compare knows, in the order it measures them (scenario_table.cc).
std::span<const ScenarioRow* const> Scenarios();
// The row whose id is `id` or a prefix of it ("many-clients-100" → many-clients); null if none.
const ScenarioRow* FindScenario(std::string_view id,
                                std::span<const ScenarioRow* const> rows = Scenarios());

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_COMPARE_SCENARIO_H_
