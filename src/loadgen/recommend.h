#ifndef PREDICTWIRE_LOADGEN_RECOMMEND_H_
#define PREDICTWIRE_LOADGEN_RECOMMEND_H_

#include <string>
#include <vector>

#include "loadgen/report.h"

namespace predictwire::loadgen {

// The verdict for one scenario, from its measured runs only. The run with the lowest median
// latency leads; every run whose difference from it has a 95% interval holding 0
// (confidence.h) ties with it, and the verdict says "tie" rather than name a winner. Each other
// run gets its margin with its interval: "ws is 14% faster than rest-keepalive (p50 555 vs
// 645 µs, 95% CI 9–19%)". Sweeps get a verdict per swept value, and say from which value on the
// wire stops mattering (every run tied); the concurrency sweep is judged on throughput. Runs
// with more than 1% errors are named and set aside; floors (the tcp wires) are yardsticks,
// never candidates. A verdict built on fewer than 100 requests per run says it is indicative.
Verdict Recommend(const Scenario& scenario);

// The decision at the top of a report: one line per scenario (its best wires, the margin with
// its interval, what it means).
std::vector<std::string> DecisionLines(const Report& report);
// The overall recommendation, a line per criterion of the article that the report measured
// (request rate, payload size, number of clients, network round trip, TLS, the client), each
// from its scenario's verdict (the first placement measured).
std::vector<std::string> OverallLines(const Report& report);

// Latency as a person reads it: "38 µs", "1.25 ms", "2.1 s".
std::string FormatMicroseconds(double microseconds);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_RECOMMEND_H_
