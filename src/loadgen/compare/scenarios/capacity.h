#ifndef PREDICTWIRE_LOADGEN_COMPARE_SCENARIOS_CAPACITY_H_
#define PREDICTWIRE_LOADGEN_COMPARE_SCENARIOS_CAPACITY_H_

// The capacity scenario's search for the highest rate a wire holds within the latency
// objective, apart from the scenario so that it can be tested on its own.

#include <optional>
#include <vector>

namespace predictwire::loadgen {

// Rates the search tells apart: it stops once the lowest rate that broke the objective is
// within this factor of the highest that held.
inline constexpr double kCapacityResolution = 1.15;
// It gives up going down below this many requests a second.
inline constexpr double kCapacityLowestRate = 10;

struct CapacityPoint {
  double rate = 0;
  bool held = false;  // p99 within the objective, and no errors
};

// The next open-loop rate to try for one wire, or none when the search is done: first 0.8 of
// `estimate` (the requests a second the wire carried closed loop, 0 if unknown); then up by half
// while every rate held, down by half while none did, and between the highest held and the
// lowest broken (geometric middle) until they are within kCapacityResolution, or `max_points`
// rates were tried. Rates are rounded to two significant digits.
std::optional<double> NextCapacityRate(double estimate, const std::vector<CapacityPoint>& tried,
                                       size_t max_points);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_COMPARE_SCENARIOS_CAPACITY_H_
