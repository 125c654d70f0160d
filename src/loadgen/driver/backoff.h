#ifndef PREDICTWIRE_LOADGEN_DRIVER_BACKOFF_H_
#define PREDICTWIRE_LOADGEN_DRIVER_BACKOFF_H_

#include <chrono>
#include <cstdint>

namespace predictwire::loadgen {

// What a client does when a connection goes away: when it reconnects, and whether it sends its
// unanswered requests again. The backoff follows gRPC's connection backoff
// (grpc/doc/connection-backoff.md) with shorter defaults for a benchmark on one machine or one
// network; gRPC's own are given beside each.
struct ReconnectOptions {
  // The first delay after a failure (INITIAL_BACKOFF, 1 s in gRPC).
  std::chrono::nanoseconds initial = std::chrono::milliseconds(20);
  // Each further failure in a row waits this much longer (MULTIPLIER, 1.6) ...
  double multiplier = 1.6;
  // ... up to this (MAX_BACKOFF, 120 s) ...
  std::chrono::nanoseconds max = std::chrono::seconds(2);
  // ... each delay drawn uniformly within ± this fraction of it (JITTER, 0.2), so that clients
  // that lost their server together do not come back together.
  double jitter = 0.2;
  // A connect (with its TLS and protocol handshakes) not done in the larger of this and the
  // current backoff is given up, and counts as a failure (MIN_CONNECT_TIMEOUT, 20 s).
  std::chrono::nanoseconds connect_timeout = std::chrono::seconds(1);
  // Requests in flight on a connection that went away are sent again (predictions are
  // idempotent), each at most `max_resends` times and only before its timeout.
  bool resend = true;
  int max_resends = 3;
};

// The `attempt`-th delay (0 first): `initial` × `multiplier`^attempt, at most `max`, ± `jitter`
// drawn with `random` (an xorshift64 state, advanced).
std::chrono::nanoseconds BackoffDelay(const ReconnectOptions& options, int attempt,
                                      uint64_t* random);

// The delays between one connection's attempts, one after another: `initial`, then ×
// `multiplier` after each, at most `max`, each ± `jitter` at random. Deterministic for a seed.
class Backoff {
 public:
  // `options` must outlive it.
  Backoff(const ReconnectOptions& options, uint64_t seed);

  // The delay before the next attempt; the one after it grows.
  std::chrono::nanoseconds Next();
  // The delay Next would draw around (without its jitter).
  std::chrono::nanoseconds current() const;
  // After a success: the next delay is `initial` again.
  void Reset() { attempt_ = 0; }

 private:
  const ReconnectOptions* options_;
  int attempt_ = 0;
  uint64_t random_;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_DRIVER_BACKOFF_H_
