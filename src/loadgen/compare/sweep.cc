#include "loadgen/compare/sweep.h"

#include <fmt/format.h>

namespace predictwire::loadgen {

std::string_view SweepName(Sweep sweep) {
  switch (sweep) {
    case Sweep::kNone:
      return "";
    case Sweep::kComputeMs:
      return "compute_ms";
    case Sweep::kPayloadBytes:
      return "payload_bytes";
    case Sweep::kConcurrency:
      return "concurrency";
    case Sweep::kRttMs:
      return "rtt_ms";
    case Sweep::kOfferedRate:
      return "offered_rps";
  }
  return "";
}

std::string_view SweepAxisTitle(Sweep sweep) {
  switch (sweep) {
    case Sweep::kNone:
      return "";
    case Sweep::kComputeMs:
      return "model compute time (ms)";
    case Sweep::kPayloadBytes:
      return "payload (bytes)";
    case Sweep::kConcurrency:
      return "requests outstanding";
    case Sweep::kRttMs:
      return "added round-trip time (ms)";
    case Sweep::kOfferedRate:
      return "offered load (requests/s)";
  }
  return "";
}

std::string FormatSweepValue(Sweep sweep, double value) {
  switch (sweep) {
    case Sweep::kComputeMs:
      return fmt::format("{:g} ms compute", value);
    case Sweep::kPayloadBytes:
      return value >= 1 << 20 ? fmt::format("{:.1f} MiB", value / (1 << 20))
             : value >= 1024  ? fmt::format("{:.0f} KiB", value / 1024)
                              : fmt::format("{:g} B", value);
    case Sweep::kConcurrency:
      return fmt::format("{:g} outstanding", value);
    case Sweep::kRttMs:
      return fmt::format("{:g} ms RTT", value);
    case Sweep::kOfferedRate:
      return fmt::format("{:g} req/s", value);
    case Sweep::kNone:
      break;
  }
  return fmt::format("{:g}", value);
}

}  // namespace predictwire::loadgen
