#ifndef PREDICTWIRE_LOADGEN_COMPARE_COLUMNS_H_
#define PREDICTWIRE_LOADGEN_COMPARE_COLUMNS_H_

// Report columns more than one scenario shows (ScenarioRow::columns).

#include <span>

#include "loadgen/compare/scenario.h"

namespace predictwire::loadgen {

// Connection set-up: connect p50 (TCP, TLS, WebSocket or HTTP/2 preface) and how many TLS
// handshakes were full or resumed.
std::span<const ReportColumn> ConnectionColumns();

// What holding connections cost the server: its peak resident memory, connections, memory per
// connection over the idle server, and its CPU time.
std::span<const ReportColumn> ServerResourceColumns();

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_COMPARE_COLUMNS_H_
