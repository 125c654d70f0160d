#ifndef PREDICTWIRE_LOADGEN_REPORT_REPORT_HTML_H_
#define PREDICTWIRE_LOADGEN_REPORT_REPORT_HTML_H_

#include <string>

#include "loadgen/compare/report.h"

namespace predictwire::loadgen {

// index.html: the whole report as one self-contained HTML5 page — inline CSS and inline SVG
// plots, no scripts and nothing fetched, so it reads offline and can be mailed as one file.
//
// The page has a header (date, version, machine, command, quick or full, the placements with
// their TCP floors, the notes), then one section per scenario in report order: its question,
// its recommendation, a table of its runs (percentiles in µs, × floor, server resources when
// recorded) and plots — latency by percentile on a "nines" axis, the latency CDF, and for a
// sweep either p50/p99 against the swept value or, for the concurrency sweep, throughput
// against latency. A wire has the same colour on every plot of the page. Every text from the
// report is escaped. A run with no samples is left out of the plots; a plot left with nothing
// to draw says "no data".
std::string RenderHtml(const Report& report);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_REPORT_REPORT_HTML_H_
