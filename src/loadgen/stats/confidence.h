#ifndef PREDICTWIRE_LOADGEN_STATS_CONFIDENCE_H_
#define PREDICTWIRE_LOADGEN_STATS_CONFIDENCE_H_

// How sure a comparison is, by batch medians. A run's requests are cut into batches (each
// round of compare into a few slices of its time); the median latency of each batch is one
// observation. Batches measured at different moments carry the machine's drift, so their spread
// is the honest noise of the run, where the spread of single requests would understate it.
//
// The run's median is estimated by the mean of its batch medians, with a Student-t 95% interval.
// Two runs are compared on the logarithms of their batch medians (Welch's t), so the margin is
// a ratio: "A is 14% faster than B, 95% CI 9-19%". When that interval holds 0 the two are a tie.

#include <cstddef>
#include <optional>
#include <vector>

namespace predictwire::loadgen {

struct Interval {
  double low = 0;
  double high = 0;
};

// The two-sided 95% quantile of Student's t with `degrees` of freedom (1.96 beyond 1000).
double StudentT95(double degrees);

// The 95% interval of the mean of `batch_medians`; none with fewer than two batches.
std::optional<Interval> MedianInterval(const std::vector<double>& batch_medians);

// How much faster (lower latency) `a` is than `b`, in percent of b, from their batch medians:
// +14 means a's median latency is 14% below b's. With the 95% interval of that figure, when
// both have at least two batches; a tie when the interval holds 0.
struct Margin {
  double percent = 0;
  std::optional<Interval> interval;
  bool tie = true;  // no interval also means: cannot be told apart
};
Margin CompareBatches(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_STATS_CONFIDENCE_H_
