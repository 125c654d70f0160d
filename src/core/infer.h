#ifndef PREDICTWIRE_CORE_INFER_H_
#define PREDICTWIRE_CORE_INFER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "core/tensor.h"

namespace predictwire {

using SteadyClock = std::chrono::steady_clock;

// Set (to true) by a transport once the client of a request has gone: its stream was reset, its
// call cancelled, its connection closed. Shared, so that the transport may forget the stream
// while the request waits in a queue; null for a request nobody can cancel.
using CancelFlag = std::shared_ptr<const std::atomic<bool>>;

inline bool IsCancelled(const CancelFlag& flag) {
  return flag != nullptr && flag->load(std::memory_order_relaxed);
}

// The protocol-neutral request every transport builds with a codec and hands to the Scheduler.
// `input` has shape [rows, cols]; the codec has already checked that values.size() == rows * cols.
struct InferRequest {
  Tensor input;
  // After this the answer is of no use: a request still queued then is dropped without running,
  // one that finishes later is answered DEADLINE_EXCEEDED. max(): no deadline.
  SteadyClock::time_point deadline = SteadyClock::time_point::max();
  // A request whose flag is set when a worker reaches it is dropped without running.
  CancelFlag cancelled;
};

// Where the server spent its time on one request, reported back to clients so that a latency can
// be split into network+protocol, queue and compute.
struct ServerTiming {
  uint32_t queue_us = 0;    // submitted to the scheduler → the model started
  uint32_t compute_us = 0;  // the model started → the model finished
};

// The protocol-neutral answer. `output` has shape [rows] (one prediction per input row).
struct InferResponse {
  Tensor output;
  ServerTiming timing;
};

// Microseconds between two instants, clamped to the range of uint32_t.
inline uint32_t MicrosecondsBetween(SteadyClock::time_point from, SteadyClock::time_point to) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
  if (us <= 0) return 0;
  return us > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(us);
}

}  // namespace predictwire

#endif  // PREDICTWIRE_CORE_INFER_H_
