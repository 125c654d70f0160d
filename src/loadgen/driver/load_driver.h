#ifndef PREDICTWIRE_LOADGEN_DRIVER_LOAD_DRIVER_H_
#define PREDICTWIRE_LOADGEN_DRIVER_LOAD_DRIVER_H_

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "loadgen/client/wire_connection.h"
#include "loadgen/driver/arrival_schedule.h"
#include "loadgen/driver/bench.h"

namespace predictwire::loadgen {

// One thread's share of a load: its connections, its arrivals (open loop) or users (closed
// loop), and its histograms. Run() blocks until every request it issued has been answered,
// failed or timed out. The counters may be read from other threads for progress.
class LoadDriver : public ConnectionListener {
 public:
  using Clock = std::chrono::steady_clock;

  struct Share {
    int connections = 1;
    double rate = 0;                   // open loop
    int users = 0;                     // closed loop
    std::optional<uint64_t> requests;  // set: measured requests to issue, else for the duration
    uint64_t seed = 1;
    // Open loop: this driver's arrivals are the deal_index-th of every deal_count of a stream of
    // rate × deal_count (RunBenchTogether); 0 of 1 is a stream of its own.
    int deal_index = 0;
    int deal_count = 1;
  };

  // Where the load goes, and what it sends: shared by every driver of a run, and outliving them.
  struct Destination {
    transport::asio::ip::tcp::endpoint endpoint;
    const Target& target;
    const RequestBody& body;
    const transport::TlsContext* tls = nullptr;  // set: every connection speaks TLS
  };

  // `options` must be resolved (ResolveOptions).
  LoadDriver(const BenchOptions& options, const Share& share, const Destination& destination);
  ~LoadDriver() override;

  // Runs the load from `start`; measurement begins at start + warmup.
  void Run(Clock::time_point start);

  // Results, once Run has returned.
  BenchResult& result() { return result_; }
  // The latencies (ns) of the measured requests answered, by batch (BenchOptions::batches).
  std::vector<std::vector<uint64_t>>& batch_latencies() { return batch_latencies_; }
  Clock::time_point last_completion() const { return last_completion_; }

  std::atomic<uint64_t> answered{0};  // for progress
  std::atomic<uint64_t> failed{0};

 private:
  struct Outstanding {
    Clock::time_point due;
    bool measured;
    WireConnection* connection;  // null while waiting for one
    uint64_t ordinal;            // measured requests issued before this one
  };

  void OnReady(WireConnection& connection) override;
  void OnConnected(WireConnection& connection, std::chrono::nanoseconds elapsed) override;
  void OnReply(WireConnection& connection, uint64_t tag, const ReplyInfo& reply) override;
  void OnFailed(WireConnection& connection, std::string_view error,
                const std::vector<uint64_t>& lost) override;

  bool Issuing() const;
  void Issue(Clock::time_point due);
  void Dispatch();
  void Finish(uint64_t tag, Clock::time_point now);  // after a reply or failure of `tag`
  void ScheduleArrivals();
  void ScheduleThinking();
  void Sweep();
  void MaybeStop();
  // The batch a measured request due at `due` belongs to (the `ordinal`-th of this driver).
  size_t BatchOf(Clock::time_point due, uint64_t ordinal) const;

  const BenchOptions options_;
  const Share share_;
  transport::asio::io_context context_{1};
  TlsClient tls_client_;  // used when tls_client_.context is set
  std::vector<std::unique_ptr<WireConnection>> connections_;
  std::deque<WireConnection*> ready_;
  absl::flat_hash_map<WireConnection*, Clock::time_point> reconnect_after_;

  Clock::time_point start_, warmup_end_, issue_end_;
  std::optional<ArrivalSchedule> schedule_;
  Clock::time_point next_due_;
  transport::SteadyTimer arrival_timer_{context_.get_executor()};
  transport::SteadyTimer think_timer_{context_.get_executor()};
  bool think_timer_armed_ = false;
  std::deque<Clock::time_point> thinking_;  // closed loop: when each resting user comes back
  transport::SteadyTimer sweep_timer_{context_.get_executor()};

  uint64_t next_tag_ = 1;
  uint64_t measured_issued_ = 0;
  bool issuing_done_ = false;
  bool stopped_ = false;
  absl::flat_hash_map<uint64_t, Outstanding> outstanding_;
  std::deque<uint64_t> backlog_;                                  // due, waiting for a connection
  std::deque<std::pair<Clock::time_point, uint64_t>> deadlines_;  // in issue order
  Clock::time_point last_completion_{};
  BenchResult result_;
  std::vector<std::vector<uint64_t>> batch_latencies_;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_DRIVER_LOAD_DRIVER_H_
