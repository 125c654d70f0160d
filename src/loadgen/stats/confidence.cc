#include "loadgen/stats/confidence.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace predictwire::loadgen {
namespace {

struct Moments {
  double mean = 0;
  double variance = 0;  // of the sample, n - 1
  size_t count = 0;
};

Moments MomentsOf(const std::vector<double>& values) {
  Moments moments;
  moments.count = values.size();
  if (values.empty()) return moments;
  moments.mean = std::accumulate(values.begin(), values.end(), 0.0) / values.size();
  if (values.size() < 2) return moments;
  double squares = 0;
  for (double value : values) squares += (value - moments.mean) * (value - moments.mean);
  moments.variance = squares / (values.size() - 1);
  return moments;
}

std::vector<double> Logarithms(const std::vector<double>& values) {
  std::vector<double> logs;
  logs.reserve(values.size());
  for (double value : values) logs.push_back(std::log(std::max(value, 1e-9)));
  return logs;
}

}  // namespace

double StudentT95(double degrees) {
  // Two-sided 95% quantiles for 1..30 degrees of freedom, then a few beyond.
  static constexpr double kTable[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                                      2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                                      2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                                      2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  if (degrees < 1) return kTable[0];
  if (degrees <= 30) {
    // Welch's degrees are fractional: interpolate between the neighbours.
    const int below = static_cast<int>(std::floor(degrees));
    const double fraction = degrees - below;
    const double low = kTable[below - 1];
    const double high = below < 30 ? kTable[below] : kTable[29];
    return low + (high - low) * fraction;
  }
  if (degrees <= 40) return 2.042 + (2.021 - 2.042) * (degrees - 30) / 10;
  if (degrees <= 60) return 2.021 + (2.000 - 2.021) * (degrees - 40) / 20;
  if (degrees <= 120) return 2.000 + (1.980 - 2.000) * (degrees - 60) / 60;
  if (degrees <= 1000) return 1.980 + (1.962 - 1.980) * (degrees - 120) / 880;
  return 1.960;
}

std::optional<Interval> MedianInterval(const std::vector<double>& batch_medians) {
  const Moments moments = MomentsOf(batch_medians);
  if (moments.count < 2) return std::nullopt;
  const double half = StudentT95(moments.count - 1) * std::sqrt(moments.variance / moments.count);
  return Interval{moments.mean - half, moments.mean + half};
}

Margin CompareBatches(const std::vector<double>& a, const std::vector<double>& b) {
  Margin margin;
  const Moments log_a = MomentsOf(Logarithms(a));
  const Moments log_b = MomentsOf(Logarithms(b));
  if (log_a.count == 0 || log_b.count == 0) return margin;
  // a's median as a share of b's, from the means of the logarithms (geometric means).
  auto faster = [](double log_ratio) { return (1 - std::exp(log_ratio)) * 100; };
  const double difference = log_a.mean - log_b.mean;
  margin.percent = faster(difference);
  if (log_a.count < 2 || log_b.count < 2) return margin;
  const double share_a = log_a.variance / log_a.count;
  const double share_b = log_b.variance / log_b.count;
  const double error = std::sqrt(share_a + share_b);
  double degrees = 1e9;  // identical batches on both sides: no spread at all
  if (error > 0) {
    degrees = (share_a + share_b) * (share_a + share_b) /
              (share_a * share_a / (log_a.count - 1) + share_b * share_b / (log_b.count - 1));
  }
  const double half = StudentT95(degrees) * error;
  // A larger log difference means a is slower: the interval's ends swap.
  margin.interval = Interval{faster(difference + half), faster(difference - half)};
  margin.tie = margin.interval->low <= 0 && margin.interval->high >= 0;
  return margin;
}

}  // namespace predictwire::loadgen
