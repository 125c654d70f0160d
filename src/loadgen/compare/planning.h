#ifndef PREDICTWIRE_LOADGEN_COMPARE_PLANNING_H_
#define PREDICTWIRE_LOADGEN_COMPARE_PLANNING_H_

// The pieces the scenarios' plans are made of: which of the planned wires a scenario measures,
// loads of the usual shapes, the raw TCP floor as rows of a scenario.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/compare/scenario.h"

namespace predictwire::loadgen {

// Whether one wire of the plan is a kind of wire a scenario measures. `trim`: --quick with the
// default wires, which keeps fewer where more would repeat the same figures; wires the user
// named are measured wherever they fit.
using WireFilter = bool (*)(const Wire& wire, bool trim);

// The planned wires that pass `filter`, in the plan's order (never the floors).
std::vector<WireSpec> SelectWires(const PlanOptions& options, WireFilter filter);

bool AnyNewConnectionPerRequest(const std::vector<WireSpec>& wires);

// Closed loop: `concurrency` requests outstanding, the default model's features.
BenchOptions ClosedLoad(const WireSpec& wire, int concurrency, std::chrono::nanoseconds duration,
                        std::chrono::nanoseconds warmup);
// Open loop: `rate` requests a second over `connections`.
BenchOptions OpenLoad(const WireSpec& wire, double rate, Arrival arrival, int connections,
                      std::chrono::nanoseconds duration, std::chrono::nanoseconds warmup);

// Load sent before each run's measurement starts.
std::chrono::nanoseconds Warmup(const PlanOptions& options);

// The model a scenario needs, or the user's model for a server compare did not start.
std::string ModelFor(const PlanOptions& options, std::string_view wanted);

// A run of `bench` on the server, shown as its wire's label.
PlannedRun ServerRun(std::string label, BenchOptions bench, std::string model);

// The wire named `name` in the table.
const Wire& FindWire(std::string_view name);

// The raw TCP floor as rows of `scenario`, loaded like `bench` (paced, or back to back) and
// taking turns with the wires, so each row's "× floor" compares numbers from the same moments:
// on a shared VM the floor itself drifts by tens of percent from minute to minute. The kept-open
// exchange, and the new-connection one when a wire connects per request.
void AddFloorRuns(const BenchOptions& bench, bool new_connection, PlannedScenario* scenario);

// Why a scenario needs compare's own server (its certificate, page or test models), or "" when
// the server is compare's own.
std::string NeedsOwnServer(const PlanOptions& options);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_COMPARE_PLANNING_H_
