#ifndef PREDICTWIRE_LOADGEN_REPORT_H_
#define PREDICTWIRE_LOADGEN_REPORT_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/bench.h"
#include "loadgen/confidence.h"
#include "loadgen/sweep.h"

namespace predictwire::loadgen {

// What `predictwire compare` measured, in the shape every report format is written from
// (terminal table, report.json, report.csv, index.html).

// The raw TCP floor measured in the same run and placement: a ping-pong with the same request
// and reply sizes as a REST keep-alive exchange, on one persistent connection and with a new
// connection per exchange.
struct Floor {
  double persistent_p50_us = 0;
  double persistent_p99_us = 0;
  double new_connection_p50_us = 0;
  double new_connection_p99_us = 0;
  size_t request_bytes = 0;
  size_t reply_bytes = 0;
};


// One wire (or one point of a sweep) within a scenario.
struct Run {
  std::string wire;   // e.g. "ws-binary"; "peer-flask", "peer-websockets" for the article's
  std::string label;  // what tells this run apart in its scenario, e.g. "ws-binary, 1 MiB"
  // The swept value for sweep scenarios (compute ms, payload bytes, concurrency), else 0.
  double sweep_value = 0;
  BenchResult result;
  // Server resources, where the scenario records them (many clients): resident memory and
  // CPU seconds used during the run, and connections held.
  double server_rss_mib = 0;
  double server_rss_idle_mib = 0;
  double server_cpu_seconds = 0;
  int server_connections = 0;
  // Why the run was not measured (the capacity scenario stops raising a wire's rate once it
  // broke the latency objective); empty for a measured run.
  std::string skipped;
};

// How a scenario came out (recommend.h): the wires that cannot be told apart from the fastest,
// how far ahead they are of the next, and the sentences saying so.
struct Verdict {
  std::vector<std::string> best;     // run labels; more than one is a tie
  std::optional<double> margin_pct;  // how much faster the best is than the nearest run outside
  std::optional<Interval> margin_ci_pct;  // its 95% interval
  std::string text;     // every margin, with its interval: the scenario's recommendation
  std::string meaning;  // one line on what to do about it, for the summary
};

struct Scenario {
  std::string id;         // "sporadic", "high-frequency", ...
  std::string title;      // "Sporadic: one client, 5 requests/s with idle gaps"
  std::string question;   // the article's decision criterion this answers
  std::string placement;  // "same" or "split"
  Sweep sweep = Sweep::kNone;
  std::vector<Run> runs;
  Verdict verdict;  // recommend.h
  // The capacity scenario: the p99 a wire must hold, µs (0 elsewhere).
  double slo_us = 0;
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
};

// Server memory each open connection cost during the run, in KiB (0 when not recorded).
// Whether `run` is a raw TCP floor (the tcp wires), measured as a yardstick, not a candidate.
inline bool IsFloor(const Run& run) { return run.result.options.wire.wire->floor; }

inline double KibPerConnection(const Run& run) {
  if (run.server_connections <= 0) return 0;
  const double grown = run.server_rss_mib - run.server_rss_idle_mib;
  return grown > 0 ? grown * 1024 / run.server_connections : 0;
}

// The floor a run is measured against, in µs (0 when none was measured): a run that opens a
// new connection per request (rest) against the new-connection exchange (tcp-new), every other
// run against the kept-open one (tcp). A scenario that measured its own floor runs, loaded like
// its wires (scenarios.h), is measured against those, else against the placement's back-to-back
// floor.
inline double FloorFor(const Report& report, const Scenario& scenario, const Run& run) {
  const bool new_connection = run.result.options.wire.wire->new_connection_per_request;
  for (const Run& floor : scenario.runs) {
    if (IsFloor(floor) && floor.result.requests > 0 &&
        floor.result.options.wire.wire->new_connection_per_request == new_connection) {
      return floor.result.latency.ValueAtPercentile(50) / 1000.0;
    }
  }
  const auto it = report.floors.find(scenario.placement);
  if (it == report.floors.end()) return 0;
  return new_connection ? it->second.new_connection_p50_us : it->second.persistent_p50_us;
}

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_REPORT_H_
