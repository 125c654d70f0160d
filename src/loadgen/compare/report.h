#ifndef PREDICTWIRE_LOADGEN_COMPARE_REPORT_H_
#define PREDICTWIRE_LOADGEN_COMPARE_REPORT_H_

// What `predictwire compare` measured and concluded, in the shape every report format is
// written from (the terminal table, report.json, report.csv and index.html, in report/).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/compare/sweep.h"
#include "loadgen/driver/bench.h"
#include "loadgen/harness/placement.h"
#include "loadgen/stats/confidence.h"

namespace predictwire::loadgen {

struct ScenarioRow;

// One wire (or one point of a sweep) within a scenario.
struct Run {
  std::string wire;   // e.g. "ws-binary"; "peer-flask", "peer-websockets" for the article's
  std::string label;  // what tells this run apart in its scenario, e.g. "ws-binary, 1 MiB"
  // The swept value for sweep scenarios (compute ms, payload bytes, concurrency), else 0.
  double sweep_value = 0;
  // Measured once, to plan the scenario's other runs (the capacity scenario's estimate of
  // what each wire carries): shown, never judged or plotted.
  bool probe = false;
  BenchResult result;
  // Server resources, where the scenario records them (many clients): resident memory and
  // CPU seconds used during the run, and connections held.
  double server_rss_mib = 0;
  double server_rss_idle_mib = 0;
  double server_cpu_seconds = 0;
  int server_connections = 0;
  // A run on the scale-out scenario's fleet: each backend's requests and the event.
  FleetObservation fleet;
  // Why the run was not measured; empty for a measured run.
  std::string skipped;
};

// How a scenario came out (compare/judging.h): the runs that lead, how far ahead they are of
// the next, and the sentences saying so.
struct Verdict {
  // What leads: run labels, or for sweeps the runs' `wire` (a line of the sweep's plot).
  std::vector<std::string> best;
  // More than one best: they cannot be told apart. False when each names a finding of its own
  // (the batching scenario's: one per model).
  bool tie = false;
  std::optional<double> margin_pct;       // how much faster the best is than the nearest other
  std::optional<Interval> margin_ci_pct;  // its 95% interval
  std::string text;     // every margin, with its interval: the scenario's full verdict
  std::string meaning;  // one line on what to do about it, for the decision
  // Of a row that plans several scenarios, the one whose meaning speaks for the row in the
  // overall lines (else the row's first does).
  bool overall = false;
};

struct Scenario {
  std::string id;         // "sporadic", "high-frequency", "many-clients-100", ...
  std::string title;      // "Sporadic: one client, 5 requests/s with idle gaps"
  std::string question;   // the question it answers
  std::string placement;  // "same" or "split"
  Sweep sweep = Sweep::kNone;
  std::vector<Run> runs;
  Verdict verdict;
  // The capacity scenario: the p99 a wire must hold, µs (0 elsewhere).
  double slo_us = 0;
  // The row it was planned from (its judge and report columns); null for a scenario made by
  // hand, which is judged on latency and has no columns of its own.
  const ScenarioRow* row = nullptr;
};

struct Report {
  std::string version;  // predictwire's
  std::string date;     // UTC, ISO 8601
  std::string machine;  // CPU model, CPU count, kernel
  std::string command;  // the command line that produced it
  bool quick = false;
  std::map<std::string, Floor> floors;            // by placement
  std::map<std::string, std::string> placements;  // "split" → "server on CPU 0, client on CPU 1"
  std::vector<Scenario> scenarios;
  std::vector<std::string> notes;  // anything the reader must know (skipped parts, with why)
  // The decision: a line per scenario, then a line per criterion of the article measured.
  std::vector<std::string> decision;
  std::vector<std::string> overall;
};

// Whether `run` is a raw TCP floor (the tcp wires), measured as a yardstick, not a candidate.
inline bool IsFloor(const Run& run) { return run.result.options.wire.wire->floor; }

// The run's median and 99th percentile latency, µs.
inline double P50(const Run& run) { return run.result.latency.ValueAtPercentile(50) / 1000.0; }
inline double P99(const Run& run) { return run.result.latency.ValueAtPercentile(99) / 1000.0; }

// Server memory each open connection cost during the run, in KiB (0 when not recorded).
inline double KibPerConnection(const Run& run) {
  if (run.server_connections <= 0) return 0;
  const double grown = run.server_rss_mib - run.server_rss_idle_mib;
  return grown > 0 ? grown * 1024 / run.server_connections : 0;
}

// The floor a run is measured against, in µs (0 when none was measured): a run that opens a
// new connection per request (rest) against the new-connection exchange (tcp-new), every other
// run against the kept-open one (tcp). A scenario that measured its own floor runs, loaded like
// its wires, is measured against those, else against the placement's back-to-back floor.
double FloorFor(const Report& report, const Scenario& scenario, const Run& run);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_COMPARE_REPORT_H_
