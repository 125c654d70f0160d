#include "loadgen/arrival_schedule.h"

namespace predictwire::loadgen {

ArrivalSchedule::ArrivalSchedule(Arrival arrival, double rate, uint64_t seed)
    : arrival_(arrival), mean_gap_ns_(1e9 / rate), random_(seed), gaps_(1.0) {}

std::chrono::nanoseconds ArrivalSchedule::Next() {
  if (arrival_ == Arrival::kConstant) {
    // Multiplying rather than summing keeps a long schedule free of accumulated rounding.
    return std::chrono::nanoseconds(static_cast<int64_t>(mean_gap_ns_ * issued_++));
  }
  const std::chrono::nanoseconds offset(static_cast<int64_t>(elapsed_ns_));
  elapsed_ns_ += gaps_(random_) * mean_gap_ns_;
  return offset;
}

}  // namespace predictwire::loadgen
