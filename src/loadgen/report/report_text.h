#ifndef PREDICTWIRE_LOADGEN_REPORT_REPORT_TEXT_H_
#define PREDICTWIRE_LOADGEN_REPORT_REPORT_TEXT_H_

// What `predictwire compare` prints on the terminal as it goes.

#include <string>
#include <string_view>

#include "loadgen/compare/report.h"
#include "loadgen/compare/run_compare.h"

namespace predictwire::loadgen {

// The progress line after one round of one run, from that round's own result:
// "[12/80 split] sporadic / ws (round 2/3): p50 412 µs, 10 req/s, 0 errors".
std::string RoundProgressLine(const CompareObserver::Round& round);

// "[split] TCP floor (640 B → 210 B): persistent p50 48.2 µs, new connection p50 95.0 µs".
std::string FloorLine(std::string_view placement, const Floor& floor);

// The terminal table of one scenario: a row per run with p50/p99, × floor, throughput and
// errors, then the cells of the scenario's own columns, then its verdict.
std::string ScenarioTable(const Report& report, const Scenario& scenario);

// The decision the terminal output ends with: a line per scenario, then the overall
// recommendation.
std::string DecisionText(const Report& report);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_REPORT_REPORT_TEXT_H_
