#include "loadgen/compare/planning.h"

#include <algorithm>

#include "core/default_models.h"

namespace predictwire::loadgen {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

std::vector<WireSpec> SelectWires(const PlanOptions& options, WireFilter filter) {
  std::vector<WireSpec> selected;
  for (const WireSpec& spec : options.wires) {
    if (spec.wire->floor) continue;  // measured beside the wires, as a yardstick
    if (filter(*spec.wire, options.quick && !options.wires_chosen)) selected.push_back(spec);
  }
  return selected;
}

bool AnyNewConnectionPerRequest(const std::vector<WireSpec>& wires) {
  return std::any_of(wires.begin(), wires.end(),
                     [](const WireSpec& spec) { return spec.wire->new_connection_per_request; });
}

BenchOptions ClosedLoad(const WireSpec& wire, int concurrency, nanoseconds duration,
                        nanoseconds warmup) {
  BenchOptions bench;
  bench.wire = wire;
  bench.concurrency = concurrency;
  bench.duration = duration;
  bench.warmup = warmup;
  bench.features = kDefaultModelFeatures;
  bench.progress = false;
  return bench;
}

BenchOptions OpenLoad(const WireSpec& wire, double rate, Arrival arrival, int connections,
                      nanoseconds duration, nanoseconds warmup) {
  BenchOptions bench = ClosedLoad(wire, 1, duration, warmup);
  bench.rate = rate;
  bench.arrival = arrival;
  bench.connections = connections;
  return bench;
}

nanoseconds Warmup(const PlanOptions& options) {
  return options.quick ? milliseconds(200) : milliseconds(1000);
}

std::string ModelFor(const PlanOptions& options, std::string_view wanted) {
  return options.own_server ? std::string(wanted) : options.model;
}

PlannedRun ServerRun(std::string label, BenchOptions bench, std::string model) {
  PlannedRun run;
  run.wire = WireLabel(bench.wire);
  run.label = std::move(label);
  bench.model = std::move(model);
  run.bench = std::move(bench);
  return run;
}

const Wire& FindWire(std::string_view name) { return *ParseWire(name)->wire; }

void AddFloorRuns(const BenchOptions& bench, bool new_connection, PlannedScenario* scenario) {
  for (const bool fresh : {true, false}) {
    if (fresh && !new_connection) continue;
    BenchOptions floor_bench = bench;
    floor_bench.wire = {&FindWire(fresh ? "tcp-new" : "tcp"), false};
    PlannedRun floor;
    floor.wire = WireLabel(floor_bench.wire);
    floor.label = fresh ? "raw TCP, new connection" : "raw TCP, kept open";
    floor.bench = floor_bench;
    scenario->runs.push_back(std::move(floor));
  }
}

std::string NeedsOwnServer(const PlanOptions& options) {
  return options.own_server ? ""
                            : "it needs compare's own server (its certificate, page and test "
                              "models); a --target server was started elsewhere";
}

}  // namespace predictwire::loadgen
