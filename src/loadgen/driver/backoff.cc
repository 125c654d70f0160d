#include "loadgen/driver/backoff.h"

#include <algorithm>
#include <cmath>

namespace predictwire::loadgen {
namespace {

double Undithered(const ReconnectOptions& options, int attempt) {
  const double initial = static_cast<double>(options.initial.count());
  const double max = std::max(initial, static_cast<double>(options.max.count()));
  return std::min(max, initial * std::pow(options.multiplier, attempt));
}

}  // namespace

std::chrono::nanoseconds BackoffDelay(const ReconnectOptions& options, int attempt,
                                      uint64_t* random) {
  uint64_t& state = *random;
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  const double uniform = static_cast<double>(state >> 11) * 0x1.0p-53;  // [0, 1)
  const double delay = Undithered(options, attempt) * (1 + options.jitter * (2 * uniform - 1));
  return std::chrono::nanoseconds(static_cast<int64_t>(delay));
}

Backoff::Backoff(const ReconnectOptions& options, uint64_t seed)
    : options_(&options), random_(((seed + 1) * 0x9E3779B97F4A7C15ull) | 1) {}

std::chrono::nanoseconds Backoff::Next() {
  const std::chrono::nanoseconds delay = BackoffDelay(*options_, attempt_, &random_);
  // Past the cap the delay stops growing; so does the count, far from overflowing.
  if (Undithered(*options_, attempt_) < static_cast<double>(options_->max.count())) ++attempt_;
  return delay;
}

std::chrono::nanoseconds Backoff::current() const {
  return std::chrono::nanoseconds(static_cast<int64_t>(Undithered(*options_, attempt_)));
}

}  // namespace predictwire::loadgen
