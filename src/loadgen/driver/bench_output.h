#ifndef PREDICTWIRE_LOADGEN_DRIVER_BENCH_OUTPUT_H_
#define PREDICTWIRE_LOADGEN_DRIVER_BENCH_OUTPUT_H_

// `predictwire bench`'s result as text: the human table, the JSON object (--json, and each run
// of compare's report.json) and CSV (a header and one row per result).

#include <string>

#include "loadgen/driver/bench.h"

namespace predictwire::loadgen {

std::string FormatTable(const BenchResult& result);
// One JSON object; every text in it (wire, target, model, error kinds) is escaped.
std::string ToJson(const BenchResult& result);
std::string CsvHeader();
std::string ToCsvRow(const BenchResult& result);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_DRIVER_BENCH_OUTPUT_H_
