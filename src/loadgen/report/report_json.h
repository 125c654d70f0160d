#ifndef PREDICTWIRE_LOADGEN_REPORT_REPORT_JSON_H_
#define PREDICTWIRE_LOADGEN_REPORT_REPORT_JSON_H_

#include <string>

#include "loadgen/compare/report.h"

namespace predictwire::loadgen {

// report.json: the whole report, every run with its full bench result (percentiles and the
// latency histogram's buckets), so other tools can redraw anything. Its keys are documented in
// docs/api.md ("compare's report.json").
std::string ReportToJson(const Report& report);

// report.csv: one row per run, the scenario's columns then `predictwire bench --csv`'s.
std::string ReportToCsv(const Report& report);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_REPORT_REPORT_JSON_H_
