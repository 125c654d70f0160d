#ifndef PREDICTWIRE_LOADGEN_REPORT_REPORT_FILES_H_
#define PREDICTWIRE_LOADGEN_REPORT_REPORT_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "loadgen/compare/report.h"

namespace predictwire::loadgen {

// Writes report.json, report.csv and index.html into `directory` (created if needed).
absl::Status WriteReport(const Report& report, const std::string& directory);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_REPORT_REPORT_FILES_H_
