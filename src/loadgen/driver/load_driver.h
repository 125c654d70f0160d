#ifndef PREDICTWIRE_LOADGEN_DRIVER_LOAD_DRIVER_H_
#define PREDICTWIRE_LOADGEN_DRIVER_LOAD_DRIVER_H_

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "loadgen/client/wire_connection.h"
#include "loadgen/driver/arrival_schedule.h"
#include "loadgen/driver/backoff.h"
#include "loadgen/driver/bench.h"

namespace predictwire::loadgen {

// One thread's share of a load: its connections, its arrivals (open loop) or users (closed
// loop), and its histograms. Run() blocks until every request it issued has been answered,
// failed or timed out. The counters may be read from other threads for progress.
//
// When a connection goes away it behaves as a real client does (BenchOptions::reconnect):
//  - A persistent connection is reopened: at once after an orderly end (IsOrderlyEnd) of one
//    that answered since it connected; otherwise after its backoff (backoff.h), which grows with
//    each end in a row without an answer and starts over at the next answer. A connect not done
//    in time is given up (connect_timeout) and counts as such an end. When its server says it is
//    going away (OnGoingAway), a new connection takes its place at once while it finishes.
//  - Its requests in flight are sent again (at the front of the queue, on the next connection
//    ready), each at most max_resends times and before its timeout; past either it ends as an
//    error, `lost` or `timeout`. A rest request (a connection of its own) is sent again after
//    the backoff for its resend count instead, its next connection being at once.
//  - Each request is answered at most once: a second answer is counted as a duplicate.
// The bookkeeping is the map of requests outstanding; nothing is added per request that goes
// well.
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
    // Tests: makes each connection's pipe (a fake's, client/fake_pipe.h), on the driver's
    // io_context, instead of a socket to `endpoint`.
    std::function<std::unique_ptr<BytePipe>(transport::asio::io_context&, BytePipe::Handler&)>
        make_pipe = {};
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
    uint8_t resends;             // times sent again after its connection went away
    WireConnection* connection;  // null while waiting for one
    uint64_t ordinal;            // measured requests issued before this one
  };
  using OutstandingMap = absl::flat_hash_map<uint64_t, Outstanding>;
  // One of the share's connections, kept for the whole run: reopened when it ends, replaced
  // when its server lets it go.
  struct Slot {
    std::unique_ptr<WireConnection> connection;
    Backoff backoff;
    int ends = 0;                                             // ends in a row without an answer
    Clock::time_point connect_by = Clock::time_point::max();  // connecting: given up then
    Clock::time_point reopen_at = Clock::time_point::max();   // closed: reopened then
    bool watched = false;                                     // in watched_
    bool opened = false;                                      // has been open once
    bool ramping = false;  // its first connect is one of the kMostOpening in flight
  };
  // Persistent connections open at most this many at a time at the start (each connect's
  // timeout runs from its own start): 18,000 at once would make those the server reaches last
  // time out, and reconnect, in a storm that never ends.
  static constexpr size_t kMostOpening = 256;
  void OpenMore(Clock::time_point now);
  void EndRamp(size_t index, Clock::time_point now);

  void OnReady(WireConnection& connection) override;
  void OnConnected(WireConnection& connection, std::chrono::nanoseconds elapsed) override;
  void OnReply(WireConnection& connection, uint64_t tag, const ReplyInfo& reply) override;
  void OnFailed(WireConnection& connection, std::string_view error,
                const std::vector<uint64_t>& lost) override;
  void OnGoingAway(WireConnection& connection) override;
  void OnLateReply(WireConnection& connection, uint64_t tag) override;

  std::unique_ptr<WireConnection> MakeConnection(size_t slot);
  // Opens slot `slot`'s connection (again), to be connected by its connect timeout.
  void Connect(size_t slot, Clock::time_point now);
  // Slot `slot`'s connection ended (or went away) `orderly` or not, having answered or not
  // since it connected: schedules its reopening, at once or after its backoff.
  void Reopen(size_t slot, bool orderly, bool answered, Clock::time_point now);
  void Watch(size_t slot);
  // Reopens and gives up connects as their times come.
  void SweepSlots(Clock::time_point now);
  // A connection let go has ended: destroyed two sweeps later, once no completion of its
  // closed socket can still be due.
  void Retire(WireConnection& connection);
  // Request `it` got no answer (its connection ended, `why`, or it was refused unprocessed):
  // queued to go again (resends_, delayed_), or ended as an error.
  void Unanswered(OutstandingMap::iterator it, std::string_view why, Clock::time_point now);
  // Puts the requests to send again at the front of the backlog, oldest first.
  void QueueResends();
  // An answer came for `tag` when it was not outstanding.
  void CountStray(uint64_t tag);
  // The measured window had no answer from max(last answer, its start) to `now`.
  void NoteGap(Clock::time_point now);
  // A measured request ended at `now`: answered with `latency_ns`, or failed (nullopt); for
  // the timeline (BenchOptions::timeline_bin).
  void NoteTimeline(Clock::time_point now, std::optional<uint64_t> latency_ns);

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
  std::optional<ConnectionSetup> setup_;
  std::vector<Slot> slots_;
  std::vector<size_t> watched_;  // slots with a connect or a reopening due
  std::deque<WireConnection*> ready_;
  // Connections let go (OnGoingAway) still finishing, and those done, to be destroyed.
  std::vector<std::unique_ptr<WireConnection>> draining_, retiring_, retired_;

  Clock::time_point start_, warmup_end_, issue_end_;
  size_t slots_opened_ = 0;  // slots that have been open once
  size_t next_to_open_ = 0;  // the next slot to open for the first time
  size_t ramping_ = 0;       // first connects in flight
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
  OutstandingMap outstanding_;
  std::deque<uint64_t> backlog_;                                  // due, waiting for a connection
  std::deque<std::pair<Clock::time_point, uint64_t>> deadlines_;  // in issue order
  std::vector<uint64_t> resends_;                                 // to go again, at once
  std::vector<std::pair<Clock::time_point, uint64_t>> delayed_;   // rest: to go again then
  uint64_t random_;                                               // rest: resend jitter
  std::vector<uint64_t> answered_;  // a bit per tag: a measured request answered
  Clock::time_point last_answer_{};
  Clock::time_point last_completion_{};
  BenchResult result_;
  std::vector<std::vector<uint64_t>> batch_latencies_;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_DRIVER_LOAD_DRIVER_H_
