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

// The terminal table of one scenario: a row per run with p50/p99, × floor and throughput, then
// the recommendation.
std::string ScenarioTable(const Report& report, const Scenario& scenario);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_REPORT_TEXT_H_
