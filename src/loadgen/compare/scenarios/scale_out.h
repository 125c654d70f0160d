#ifndef PREDICTWIRE_LOADGEN_COMPARE_SCENARIOS_SCALE_OUT_H_
#define PREDICTWIRE_LOADGEN_COMPARE_SCENARIOS_SCALE_OUT_H_

// The scale-out scenario's figures, computed from a run on the fleet alone, for its judge, its
// columns and the reports (report.json's "fleet" member, the page's timelines).

#include <vector>

#include "loadgen/compare/report.h"

namespace predictwire::loadgen {

// The timeline's bin, and the share of the offered rate a bin must reach to count as back.
inline constexpr double kTimelineBinMs = 100;
inline constexpr double kRecoveredShare = 0.75;

// Each backend's share of the run's requests (0..1), and the skew: the largest share over the
// fair share (1 / backends); empty and 0 when the run has no counts (or a backend could not
// tell).
std::vector<double> BackendShares(const Run& run);
double Skew(const Run& run);

struct EventFigures {
  bool measured = false;  // the run had an event and a timeline
  double offered_rps = 0;
  // p99 of the requests answered from the event's bin until the rate was back (at least 1 s
  // after the event, and at least to its end), µs.
  double p99_during_us = 0;
  // From the event to the end of the last bin after it in which fewer than kRecoveredShare of
  // the offered requests were answered; 0 when the rate never dipped, -1 when it was not back
  // by the end of the run.
  double recovered_ms = 0;
};
EventFigures EventFiguresOf(const Run& run);

// The answered requests a second and the p99 (µs, 0 for a bin without answers) of each bin of
// the run's timeline within its measured window.
struct TimelineSeries {
  double bin_ms = 0;
  std::vector<double> answered_rps;
  std::vector<double> p99_us;
  std::vector<double> errors;
  // Answers to requests due within the window that came after it (in no bin here).
  double answered_after = 0;
};
TimelineSeries TimelineOf(const Run& run);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_COMPARE_SCENARIOS_SCALE_OUT_H_
