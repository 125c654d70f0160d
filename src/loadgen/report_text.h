#ifndef PREDICTWIRE_LOADGEN_REPORT_TEXT_H_
#define PREDICTWIRE_LOADGEN_REPORT_TEXT_H_

#include <string>

#include "loadgen/report.h"

namespace predictwire::loadgen {

// report.json: the whole report, every run with its full bench result (percentiles and the
// latency histogram's buckets), so other tools can redraw anything.
std::string ReportToJson(const Report& report);

// report.csv: one row per run, the scenario's columns then `predictwire bench --csv`'s.
std::string ReportToCsv(const Report& report);

// compare's progress line after one round of one run, from that round's own result:
// "[12/80 split] sporadic / ws (round 2/3): p50 412 µs, 10 req/s, 0 errors".
std::string RoundProgressLine(size_t done, size_t total, const std::string& placement,
                              const std::string& scenario, const std::string& label, int round,
                              int rounds, const BenchResult& round_result);

// The decision the terminal output ends with: a line per scenario, then the overall
// recommendation (recommend.h).
std::string DecisionText(const Report& report);

// The terminal table of one scenario: a row per run with p50/p99, × floor and throughput, then
// the recommendation.
std::string ScenarioTable(const Report& report, const Scenario& scenario);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_REPORT_TEXT_H_
