#ifndef PREDICTWIRE_LOADGEN_STATS_FORMAT_H_
#define PREDICTWIRE_LOADGEN_STATS_FORMAT_H_

// Numbers and lists as a person reads them, for every text the instrument writes (bench's
// table, compare's verdicts, the report page).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/stats/confidence.h"
#include "loadgen/stats/histogram.h"

namespace predictwire::loadgen {

// Latency: "38 µs", "1.25 ms", "2.10 s".
std::string FormatMicroseconds(double microseconds);

// Nanoseconds as microseconds.
inline double Microseconds(uint64_t nanoseconds) {
  return static_cast<double>(nanoseconds) / 1000.0;
}

// A table cell's number, three significant figures or so: "4.27", "42.7", "427.0", "4270".
std::string FormatFigure(double value);

// A histogram of nanoseconds at `percentile`, in µs.
inline double PercentileUs(const Histogram& histogram, double percentile) {
  return static_cast<double>(histogram.ValueAtPercentile(percentile)) / 1000.0;
}

// "a", "a and b", "a, b and c".
std::string JoinWords(const std::vector<std::string>& items);

// An interval of percentages: "9–19%" when it excludes 0, "-3 to +5%" when it holds it.
std::string FormatPercentInterval(const Interval& interval);

// A CSV field as written: quoted (quotes doubled) when it holds a separator, a quote or a line
// break.
std::string CsvField(std::string_view text);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_STATS_FORMAT_H_
