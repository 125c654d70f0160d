#ifndef PREDICTWIRE_LOADGEN_TCP_FLOOR_H_
#define PREDICTWIRE_LOADGEN_TCP_FLOOR_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/arrival_schedule.h"
#include "loadgen/bench.h"
#include "loadgen/report.h"

namespace predictwire::loadgen {

// The raw TCP floor: a ping-pong on loopback with the given request and reply sizes, against an
// echo server thread pinned to `server_cpus` while the calling thread (pinned by the caller)
// measures `round_trips` exchanges on one persistent connection and `new_connections`
// exchanges each on a new connection. Nothing a real protocol could do is cheaper.
struct FloorOptions {
  size_t request_bytes = 300;
  size_t reply_bytes = 200;
  std::vector<int> server_cpus;
  int round_trips = 5000;
  int new_connections = 500;
};

absl::StatusOr<Floor> MeasureFloor(const FloorOptions& options);

// The floor measured like a scenario's load, in turn with its runs: the same ping-pong, back to
// back, or sent at the due times of an arrival schedule (latency counted from the due time, as
// bench does). On a VM an idle gap lets both vCPUs halt, and waking them costs far more than a
// back-to-back exchange; only a floor paced like the load shows what any protocol must pay for
// that. And the floor drifts over minutes, so a floor measured beside the runs beats one
// measured at the start.
struct PacedFloorOptions {
  size_t request_bytes = 300;
  size_t reply_bytes = 200;
  std::vector<int> server_cpus;
  double rate = 5;  // exchanges per second; 0: back to back
  Arrival arrival = Arrival::kPoisson;
  std::chrono::nanoseconds duration = std::chrono::seconds(1);
  bool new_connection = false;  // a new connection per exchange, else one kept open
  uint64_t seed = 1;
};

// The result as a BenchResult (latency, requests, errors, throughput) so that reports show it
// as a row beside the wires it is the floor of.
absl::StatusOr<BenchResult> MeasurePacedFloor(const PacedFloorOptions& options);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_TCP_FLOOR_H_
