// Metrics' recording half, on the request path: each call is a few relaxed atomic additions
// into the calling thread's shard. What a scrape reads is metrics_exposition.cc.
#include "core/metrics.h"

#include <algorithm>
#include <chrono>

#include "core/metrics_shard.h"

namespace predictwire {
namespace {

using metrics_internal::kBatchSlots;
using metrics_internal::kLatencySlots;

// More shards than the threads that record (IO threads and model workers) is rare; past that,
// threads share a shard, which stays correct (the additions are atomic), only slower.
constexpr size_t kShards = 16;

std::atomic<size_t> next_shard{0};

template <size_t N>
size_t BucketOf(const std::array<uint32_t, N>& bounds, uint64_t value) {
  return static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) -
                             bounds.begin());
}

void Add(std::atomic<uint64_t>& cell, uint64_t value) {
  cell.fetch_add(value, std::memory_order_relaxed);
}

}  // namespace

Metrics::Metrics(std::vector<std::string> models)
    : models_(std::move(models)),
      model_slots_(models_.size() + 1),
      start_time_seconds_(
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count())) {
  for (size_t i = 0; i < kShards; ++i) shards_.push_back(std::make_unique<Shard>(model_slots_));
}

Metrics::~Metrics() = default;

Metrics::Shard& Metrics::Local() {
  thread_local const size_t index = next_shard.fetch_add(1, std::memory_order_relaxed);
  return *shards_[index % kShards];
}

void Metrics::RequestStarted(RequestProtocol protocol) {
  Add(Local().started[static_cast<size_t>(protocol)], 1);
}

void Metrics::RequestFinished(RequestProtocol protocol, const size_t* model, absl::StatusCode code,
                              const ServerTiming* timing, uint64_t total_us) {
  Shard& shard = Local();
  const size_t p = static_cast<size_t>(protocol);
  const size_t m = model != nullptr ? *model : model_slots_ - 1;
  const size_t c = std::min(static_cast<size_t>(code), kCodes - 1);
  Add(shard.finished[p], 1);
  Add(shard.requests[(p * model_slots_ + m) * kCodes + c], 1);
  Add(shard.request_us[(p * model_slots_ + m) * kLatencySlots +
                       BucketOf(kLatencyBucketsUs, total_us)],
      1);
  Add(shard.request_us_sum[p * model_slots_ + m], total_us);
  if (timing != nullptr) {
    Add(shard.queue_us[m * kLatencySlots + BucketOf(kLatencyBucketsUs, timing->queue_us)], 1);
    Add(shard.queue_us_sum[m], timing->queue_us);
    Add(shard.compute_us[m * kLatencySlots + BucketOf(kLatencyBucketsUs, timing->compute_us)], 1);
    Add(shard.compute_us_sum[m], timing->compute_us);
  }
}

void Metrics::RecordBatch(size_t model, size_t rows) {
  Shard& shard = Local();
  Add(shard.batch_rows[model * kBatchSlots + BucketOf(kBatchBuckets, rows)], 1);
  Add(shard.batch_rows_sum[model], rows);
}

void Metrics::RecordExpired(size_t model) { Add(Local().expired[model], 1); }
void Metrics::RecordCancelled(size_t model) { Add(Local().cancelled[model], 1); }

void Metrics::RecordProtocolError(RequestProtocol protocol, ProtocolError error) {
  Add(Local().protocol_errors[static_cast<size_t>(protocol) * kProtocolErrors +
                              static_cast<size_t>(error)],
      1);
}

void Metrics::ConnectionOpened(ListenerKind listener) {
  Add(Local().opened[static_cast<size_t>(listener)], 1);
}
void Metrics::ConnectionClosed(ListenerKind listener) {
  Add(Local().closed[static_cast<size_t>(listener)], 1);
}
void Metrics::BytesReceived(ListenerKind listener, uint64_t bytes) {
  Add(Local().bytes_in[static_cast<size_t>(listener)], bytes);
}
void Metrics::BytesSent(ListenerKind listener, uint64_t bytes) {
  Add(Local().bytes_out[static_cast<size_t>(listener)], bytes);
}

void Metrics::ConnectionDefended(ListenerKind listener, ConnectionDefence defence) {
  Add(Local().defended[static_cast<size_t>(listener) * kConnectionDefences +
                       static_cast<size_t>(defence)],
      1);
}

}  // namespace predictwire
