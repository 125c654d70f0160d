#ifndef PREDICTWIRE_LOADGEN_COMPARE_SWEEP_H_
#define PREDICTWIRE_LOADGEN_COMPARE_SWEEP_H_

#include <string>
#include <string_view>

namespace predictwire::loadgen {

// What a scenario varies from run to run, besides the wire (Run::sweep_value holds the value).
enum class Sweep {
  kNone,          // one run per wire
  kComputeMs,     // the model's compute time, ms
  kPayloadBytes,  // the request's tensor, bytes
  kConcurrency,   // requests outstanding (closed loop)
  kRttMs,         // round-trip time added by the delay proxy, ms
  kOfferedRate,   // open-loop requests per second offered (the capacity scenario)
};

// The name report.json uses: "", "compute_ms", "payload_bytes", "concurrency", "rtt_ms".
std::string_view SweepName(Sweep sweep);
// A plot axis: "model compute time (ms)".
std::string_view SweepAxisTitle(Sweep sweep);
// One value for a sentence: "50 ms compute", "1.0 MiB", "16 outstanding", "20 ms RTT".
std::string FormatSweepValue(Sweep sweep, double value);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_COMPARE_SWEEP_H_
