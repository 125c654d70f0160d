#include "loadgen/driver/arrival_schedule.h"

#include <algorithm>

namespace predictwire::loadgen {

std::string_view ArrivalName(Arrival arrival) {
  return arrival == Arrival::kPoisson ? "poisson" : "constant";
}

bool ParseArrival(std::string_view name, Arrival* arrival) {
  for (Arrival known : {Arrival::kConstant, Arrival::kPoisson}) {
    if (name == ArrivalName(known)) {
      *arrival = known;
      return true;
    }
  }
  return false;
}

ArrivalSchedule::ArrivalSchedule(Arrival arrival, double rate, uint64_t seed, int every, int offset)
    : arrival_(arrival),
      mean_gap_ns_(1e9 / rate),
      every_(std::max(1, every)),
      skip_(offset),
      random_(seed),
      gaps_(1.0) {}

std::chrono::nanoseconds ArrivalSchedule::Next() {
  for (; skip_ > 0; --skip_) NextOfStream();
  const std::chrono::nanoseconds mine = NextOfStream();
  skip_ = every_ - 1;
  return mine;
}

std::chrono::nanoseconds ArrivalSchedule::NextOfStream() {
  if (arrival_ == Arrival::kConstant) {
    // Multiplying rather than summing keeps a long schedule free of accumulated rounding.
    return std::chrono::nanoseconds(static_cast<int64_t>(mean_gap_ns_ * issued_++));
  }
  const std::chrono::nanoseconds offset(static_cast<int64_t>(elapsed_ns_));
  elapsed_ns_ += gaps_(random_) * mean_gap_ns_;
  return offset;
}

}  // namespace predictwire::loadgen
