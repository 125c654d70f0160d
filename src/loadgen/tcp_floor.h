#ifndef PREDICTWIRE_LOADGEN_TCP_FLOOR_H_
#define PREDICTWIRE_LOADGEN_TCP_FLOOR_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
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

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_TCP_FLOOR_H_
