#ifndef PREDICTWIRE_LOADGEN_DRIVER_ARRIVAL_SCHEDULE_H_
#define PREDICTWIRE_LOADGEN_DRIVER_ARRIVAL_SCHEDULE_H_

#include <chrono>
#include <cstdint>
#include <random>
#include <string_view>

namespace predictwire::loadgen {

enum class Arrival {
  kConstant,  // evenly spaced, 1/rate apart
  kPoisson,   // exponentially distributed gaps with mean 1/rate (independent arrivals)
};

// "constant" or "poisson"; ParseArrival reads them back (nothing else: false).
std::string_view ArrivalName(Arrival arrival);
bool ParseArrival(std::string_view name, Arrival* arrival);

// The intended send times of an open-loop load: request i is due at start + offset(i), whether
// or not earlier requests have been answered. Latency is counted from these times (the wrk2
// rule), so a stalled server cannot hide by slowing the load down.
class ArrivalSchedule {
 public:
  // `rate` in requests per second (> 0). `seed` makes Poisson schedules repeatable. With
  // `every` > 1 the schedule is one load's share of a stream dealt in turn to `every` loads:
  // arrivals `offset`, offset + every, offset + 2·every, ... of the stream of `rate`.
  ArrivalSchedule(Arrival arrival, double rate, uint64_t seed = 1, int every = 1, int offset = 0);

  // The offset from the start of the next request; strictly increasing for kConstant,
  // non-decreasing for kPoisson.
  std::chrono::nanoseconds Next();

 private:
  // The next arrival of the whole stream.
  std::chrono::nanoseconds NextOfStream();

  const Arrival arrival_;
  const double mean_gap_ns_;
  const int every_;
  int skip_;  // arrivals of other loads before this one's first
  double elapsed_ns_ = 0;
  uint64_t issued_ = 0;
  std::mt19937_64 random_;
  std::exponential_distribution<double> gaps_;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_DRIVER_ARRIVAL_SCHEDULE_H_
