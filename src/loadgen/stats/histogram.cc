#include "loadgen/stats/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace predictwire::loadgen {
namespace {

// 2^kSubBucketBits sub-buckets per doubling; the upper half of them is used above the first
// range, giving 128 buckets per power of two.
constexpr int kSubBucketBits = 8;
constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;  // 256
constexpr uint64_t kHalf = kSubBuckets / 2;                      // 128
constexpr int kMaxShift = 64 - kSubBucketBits;
constexpr size_t kBucketCount = static_cast<size_t>(kMaxShift) * kHalf + kSubBuckets;

int ShiftOf(uint64_t value) {
  return std::max(0, static_cast<int>(std::bit_width(value)) - kSubBucketBits);
}

}  // namespace

Histogram::Histogram() : counts_(kBucketCount, 0) {}

size_t Histogram::IndexOf(uint64_t value) {
  const int shift = ShiftOf(value);
  // shift 0: [0, 256) exactly; shift k: mantissa in [128, 256), bucket width 2^k.
  return static_cast<size_t>(shift) * kHalf + static_cast<size_t>(value >> shift);
}

uint64_t Histogram::LowestValueAt(size_t index) {
  if (index < kSubBuckets) return index;
  const size_t shift = (index - kHalf) / kHalf;
  const uint64_t mantissa = index - shift * kHalf;
  return mantissa << shift;
}

uint64_t Histogram::WidthAt(size_t index) {
  if (index < kSubBuckets) return 1;
  return uint64_t{1} << ((index - kHalf) / kHalf);
}

void Histogram::RecordN(uint64_t value, uint64_t count) {
  if (count == 0) return;
  counts_[IndexOf(value)] += count;
  count_ += count;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<long double>(value) * count;
}

void Histogram::Merge(const Histogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void Histogram::Clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
}

double Histogram::mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_ / count_); }

uint64_t Histogram::ValueAtPercentile(double percentile) const {
  if (count_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  const uint64_t rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(count_))));
  if (rank <= 1) return min();
  if (rank >= count_) return max_;
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const uint64_t middle = LowestValueAt(i) + WidthAt(i) / 2;
      return std::clamp(middle, min(), max_);
    }
  }
  return max_;
}

std::vector<std::pair<uint64_t, uint64_t>> Histogram::Buckets() const {
  std::vector<std::pair<uint64_t, uint64_t>> buckets;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) {
      buckets.emplace_back(std::clamp(LowestValueAt(i) + WidthAt(i) / 2, min(), max_), counts_[i]);
    }
  }
  return buckets;
}

}  // namespace predictwire::loadgen
