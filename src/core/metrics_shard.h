// Metrics' cells, shared by its two halves: recording (metrics.cc), on the request path, and
// the exposition (metrics_exposition.cc), which adds the shards up when scraped. Included only
// by those two files.
#ifndef PREDICTWIRE_CORE_METRICS_SHARD_H_
#define PREDICTWIRE_CORE_METRICS_SHARD_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/metrics.h"

namespace predictwire {

namespace metrics_internal {

// Cells per latency and batch-size histogram: a count per bucket and one for +Inf.
inline constexpr size_t kLatencySlots = Metrics::kLatencyBucketsUs.size() + 1;
inline constexpr size_t kBatchSlots = Metrics::kBatchBuckets.size() + 1;

}  // namespace metrics_internal

// Every cell one thread (or a few) records into. Histogram buckets are stored as counts per
// bucket and made cumulative when rendered.
struct Metrics::Shard {
  explicit Shard(size_t model_slots)
      : requests(kRequestProtocols * model_slots * kCodes),
        request_us(kRequestProtocols * model_slots * metrics_internal::kLatencySlots),
        request_us_sum(kRequestProtocols * model_slots),
        queue_us(model_slots * metrics_internal::kLatencySlots),
        queue_us_sum(model_slots),
        compute_us(model_slots * metrics_internal::kLatencySlots),
        compute_us_sum(model_slots),
        batch_rows(model_slots * metrics_internal::kBatchSlots),
        batch_rows_sum(model_slots),
        expired(model_slots),
        cancelled(model_slots) {}

  std::vector<std::atomic<uint64_t>> requests;        // [protocol][model][code]
  std::vector<std::atomic<uint64_t>> request_us;      // [protocol][model][bucket]
  std::vector<std::atomic<uint64_t>> request_us_sum;  // [protocol][model]
  std::vector<std::atomic<uint64_t>> queue_us;        // [model][bucket]
  std::vector<std::atomic<uint64_t>> queue_us_sum;
  std::vector<std::atomic<uint64_t>> compute_us;
  std::vector<std::atomic<uint64_t>> compute_us_sum;
  std::vector<std::atomic<uint64_t>> batch_rows;  // [model][bucket]
  std::vector<std::atomic<uint64_t>> batch_rows_sum;
  std::vector<std::atomic<uint64_t>> expired;
  std::vector<std::atomic<uint64_t>> cancelled;
  // Up and down counts: a gauge is started minus finished, summed over shards.
  std::array<std::atomic<uint64_t>, kRequestProtocols> started{};
  std::array<std::atomic<uint64_t>, kRequestProtocols> finished{};
  std::array<std::atomic<uint64_t>, kListenerKinds> opened{};
  std::array<std::atomic<uint64_t>, kListenerKinds> closed{};
  std::array<std::atomic<uint64_t>, kListenerKinds> bytes_in{};
  std::array<std::atomic<uint64_t>, kListenerKinds> bytes_out{};
  std::array<std::atomic<uint64_t>, kRequestProtocols * kProtocolErrors> protocol_errors{};
  std::array<std::atomic<uint64_t>, kListenerKinds * kConnectionDefences> defended{};
};

}  // namespace predictwire

#endif  // PREDICTWIRE_CORE_METRICS_SHARD_H_
