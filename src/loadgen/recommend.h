#ifndef PREDICTWIRE_LOADGEN_RECOMMEND_H_
#define PREDICTWIRE_LOADGEN_RECOMMEND_H_

#include <string>

#include "loadgen/report.h"

namespace predictwire::loadgen {

// The verdict for one scenario, from its measured runs only: the wire with the lowest median
// latency and how much faster it was than each other wire ("ws-binary: p50 38 µs vs
// rest-keepalive 52 µs (−27%) and rest 140 µs (−73%)"), what changes at p99, and for sweeps how
// the verdict moves along the sweep. Runs with more than 1% errors are named and set aside.
std::string Recommend(const Scenario& scenario);

// Latency as a person reads it: "38 µs", "1.25 ms", "2.1 s".
std::string FormatMicroseconds(double microseconds);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_RECOMMEND_H_
