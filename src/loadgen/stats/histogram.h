#ifndef PREDICTWIRE_LOADGEN_STATS_HISTOGRAM_H_
#define PREDICTWIRE_LOADGEN_STATS_HISTOGRAM_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace predictwire::loadgen {

// A latency histogram with log-linear buckets (HdrHistogram's idea): values below 256 are exact,
// and above that every power-of-two range is split into 128 equal buckets, so a reported
// percentile is within 0.4% of the true sample (the bucket's midpoint, at most half a bucket
// width of 1/128 of the value away). Values are unsigned integers, here nanoseconds; the range
// reaches 2^63. Recording is a few instructions and never allocates after construction. One
// histogram per thread; Merge combines them. Not thread-safe.
class Histogram {
 public:
  Histogram();

  void Record(uint64_t value) { RecordN(value, 1); }
  void RecordN(uint64_t value, uint64_t count);
  // Adds every sample of `other`.
  void Merge(const Histogram& other);
  void Clear();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }  // exact
  uint64_t max() const { return max_; }                    // exact
  double mean() const;                                     // exact (from the true sum)

  // The value at `percentile` (0-100): the smallest bucket holding at least that share of the
  // samples, reported at its midpoint and clamped to [min, max]; the first and last sample are
  // reported exactly (min and max). 0 for an empty histogram.
  uint64_t ValueAtPercentile(double percentile) const;

  // Non-empty buckets in increasing order as (representative value, count), for CDF plots.
  std::vector<std::pair<uint64_t, uint64_t>> Buckets() const;

  // Bucket arithmetic, public for tests.
  static size_t IndexOf(uint64_t value);
  static uint64_t LowestValueAt(size_t index);
  static uint64_t WidthAt(size_t index);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_STATS_HISTOGRAM_H_
