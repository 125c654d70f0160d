#include "loadgen/driver/load_driver.h"

#include <algorithm>
#include <thread>

namespace predictwire::loadgen {

namespace asio = transport::asio;

namespace {

// How often timeouts and reconnects are checked.
constexpr std::chrono::milliseconds kSweepInterval{5};
// A failed persistent connection is retried after this long.
constexpr std::chrono::milliseconds kReconnectBackoff{100};

}  // namespace

LoadDriver::LoadDriver(const BenchOptions& options, const Share& share,
                       const Destination& destination)
    : options_(options), share_(share) {
  tls_client_.context = destination.tls;
  tls_client_.resume = options.tls_resume;
  const Wire& wire = *options.wire.wire;
  const ConnectionSetup setup{.context = context_,
                              .endpoint = destination.endpoint,
                              .wire = wire,
                              .target = destination.target,
                              .body = destination.body,
                              .depth = wire.Depth(options.pipeline),
                              .listener = *this,
                              .tls = destination.tls != nullptr ? &tls_client_ : nullptr};
  for (int i = 0; i < share.connections; ++i) connections_.push_back(wire.make_connection(setup));
  batch_latencies_.resize(static_cast<size_t>(std::max(1, options.batches)));
}

LoadDriver::~LoadDriver() {
  for (auto& connection : connections_) connection->Close();
}

void LoadDriver::Run(Clock::time_point start) {
  // Every thread's first request is due at `start`: none may go out before it.
  std::this_thread::sleep_until(start);
  start_ = start;
  warmup_end_ = start + options_.warmup;
  issue_end_ = options_.requests ? Clock::time_point::max() : warmup_end_ + options_.duration;
  result_.options = options_;

  for (auto& connection : connections_) {
    if (options_.wire.wire->new_connection_per_request) {
      OnReady(*connection);
    } else {
      connection->Connect();
    }
  }
  if (share_.rate > 0) {
    schedule_.emplace(options_.arrival, share_.rate * share_.deal_count, share_.seed,
                      share_.deal_count, share_.deal_index);
    next_due_ = start_ + schedule_->Next();
    ScheduleArrivals();
  } else {
    for (int user = 0; user < share_.users && Issuing(); ++user) Issue(start_);
    Dispatch();
  }
  Sweep();
  context_.run();
  result_.tls_full_handshakes = tls_client_.full_handshakes;
  result_.tls_resumed_handshakes = tls_client_.resumed_handshakes;
}

bool LoadDriver::Issuing() const { return !issuing_done_ && !stopped_; }

void LoadDriver::Issue(Clock::time_point due) {
  const bool measured = due >= warmup_end_;
  if (due >= issue_end_ || (share_.requests && measured && measured_issued_ >= *share_.requests)) {
    issuing_done_ = true;
    arrival_timer_.cancel();
    return;
  }
  const uint64_t ordinal = measured_issued_;
  if (measured) ++measured_issued_;
  const uint64_t tag = next_tag_++;
  outstanding_.emplace(tag, Outstanding{due, measured, nullptr, ordinal});
  backlog_.push_back(tag);
  deadlines_.emplace_back(due + options_.timeout, tag);
}

void LoadDriver::Dispatch() {
  while (!backlog_.empty() && !ready_.empty()) {
    WireConnection* connection = ready_.front();
    if (!connection->CanSend()) {
      ready_.pop_front();
      connection->queued_as_ready = false;
      continue;
    }
    const uint64_t tag = backlog_.front();
    backlog_.pop_front();
    auto it = outstanding_.find(tag);
    if (it == outstanding_.end()) continue;  // timed out while waiting
    it->second.connection = connection;
    connection->Send(tag);
    ready_.pop_front();
    if (connection->CanSend()) {
      ready_.push_back(connection);  // round robin over pipelined connections
    } else {
      connection->queued_as_ready = false;
    }
  }
}

void LoadDriver::ScheduleArrivals() {
  if (!Issuing()) return;
  arrival_timer_.expires_at(next_due_);
  arrival_timer_.async_wait([this](const transport::ErrorCode& error) {
    if (error) return;
    const Clock::time_point now = Clock::now();
    // Everything due by now, at once: a late timer never drops or delays the schedule's clock.
    while (Issuing() && next_due_ <= now) {
      Issue(next_due_);
      next_due_ = start_ + schedule_->Next();
    }
    Dispatch();
    ScheduleArrivals();
    MaybeStop();
  });
}

void LoadDriver::ScheduleThinking() {
  if (think_timer_armed_ || thinking_.empty() || stopped_) return;
  think_timer_armed_ = true;
  think_timer_.expires_at(thinking_.front());
  think_timer_.async_wait([this](const transport::ErrorCode& error) {
    think_timer_armed_ = false;
    if (error) return;
    const Clock::time_point now = Clock::now();
    while (!thinking_.empty() && thinking_.front() <= now) {
      const Clock::time_point due = thinking_.front();
      thinking_.pop_front();
      if (Issuing()) Issue(due);
    }
    Dispatch();
    ScheduleThinking();
    MaybeStop();
  });
}

void LoadDriver::OnReady(WireConnection& connection) {
  if (!connection.queued_as_ready) {
    connection.queued_as_ready = true;
    ready_.push_back(&connection);
  }
  Dispatch();
}

void LoadDriver::OnConnected(WireConnection&, std::chrono::nanoseconds elapsed) {
  // Persistent connections open during the warm-up: their set-up is recorded whenever it happens.
  result_.connect.Record(static_cast<uint64_t>(elapsed.count()));
}

void LoadDriver::OnReply(WireConnection&, uint64_t tag, const ReplyInfo& reply) {
  auto it = outstanding_.find(tag);
  if (it == outstanding_.end()) return;  // already timed out
  const Clock::time_point now = Clock::now();
  const Outstanding request = it->second;
  outstanding_.erase(it);
  if (request.measured) {
    if (reply.ok) {
      const uint64_t latency =
          now > request.due ? static_cast<uint64_t>((now - request.due).count()) : 0;
      ++result_.requests;
      result_.latency.Record(latency);
      batch_latencies_[BatchOf(request.due, request.ordinal)].push_back(latency);
      if (reply.timing) {
        const uint64_t server =
            (uint64_t{reply.timing->queue_us} + reply.timing->compute_us) * 1000;
        result_.server.Record(server);
        result_.network.Record(latency > server ? latency - server : 0);
      }
    } else {
      ++result_.errors;
      ++result_.errors_by_kind[reply.error];
    }
    last_completion_ = now;
  }
  (reply.ok ? answered : failed).fetch_add(1, std::memory_order_relaxed);
  Finish(tag, now);
}

void LoadDriver::OnFailed(WireConnection& connection, std::string_view error,
                          const std::vector<uint64_t>& lost) {
  const Clock::time_point now = Clock::now();
  for (uint64_t tag : lost) {
    auto it = outstanding_.find(tag);
    if (it == outstanding_.end()) continue;
    if (it->second.measured) {
      ++result_.errors;
      ++result_.errors_by_kind[std::string(error)];
      last_completion_ = now;
    }
    outstanding_.erase(it);
    failed.fetch_add(1, std::memory_order_relaxed);
    Finish(tag, now);
  }
  if (lost.empty()) ++result_.connection_errors[std::string(error)];
  if (options_.wire.wire->new_connection_per_request) {
    OnReady(connection);  // its next request opens a new connection anyway
  } else if (!stopped_) {
    reconnect_after_[&connection] = now + kReconnectBackoff;
  }
}

void LoadDriver::Finish(uint64_t, Clock::time_point now) {
  if (share_.rate <= 0 && Issuing()) {  // closed loop: this user goes again
    if (options_.think.count() > 0) {
      thinking_.push_back(now + options_.think);
      ScheduleThinking();
    } else {
      Issue(now);
    }
  }
  Dispatch();
  MaybeStop();
}

void LoadDriver::Sweep() {
  if (stopped_) return;
  const Clock::time_point now = Clock::now();
  while (!deadlines_.empty() && deadlines_.front().first <= now) {
    const uint64_t tag = deadlines_.front().second;
    deadlines_.pop_front();
    auto it = outstanding_.find(tag);
    if (it == outstanding_.end()) continue;
    const Outstanding request = it->second;
    outstanding_.erase(it);
    if (request.measured) {
      ++result_.errors;
      ++result_.errors_by_kind["timeout"];
      last_completion_ = now;
    }
    failed.fetch_add(1, std::memory_order_relaxed);
    if (request.connection != nullptr) request.connection->Abandon(tag);
    Finish(tag, now);
  }
  for (auto it = reconnect_after_.begin(); it != reconnect_after_.end();) {
    if (it->second <= now) {
      it->first->Connect();
      reconnect_after_.erase(it++);
    } else {
      ++it;
    }
  }
  if (share_.rate > 0 && Issuing() && now >= issue_end_) {
    // The window is over, but arrivals due before its end whose timer is late (a busy machine
    // held this thread) are still the schedule's: issue them, as the arrival timer would. The
    // first one due at or past the end stops the issuing.
    while (Issuing()) {
      Issue(next_due_);
      next_due_ = start_ + schedule_->Next();
    }
    arrival_timer_.cancel();
    Dispatch();
  }
  if (share_.rate <= 0 && Issuing() && now >= issue_end_) issuing_done_ = true;
  MaybeStop();
  if (stopped_) return;
  sweep_timer_.expires_after(kSweepInterval);
  sweep_timer_.async_wait([this](const transport::ErrorCode& error) {
    if (!error) Sweep();
  });
}

size_t LoadDriver::BatchOf(Clock::time_point due, uint64_t ordinal) const {
  const size_t batches = batch_latencies_.size();
  uint64_t index = 0;
  if (share_.requests) {
    index = *share_.requests > 0 ? ordinal * batches / *share_.requests : 0;
  } else if (issue_end_ > warmup_end_) {
    index = static_cast<uint64_t>((due - warmup_end_).count()) * batches /
            static_cast<uint64_t>((issue_end_ - warmup_end_).count());
  }
  return std::min<size_t>(index, batches - 1);
}

void LoadDriver::MaybeStop() {
  if (stopped_ || !issuing_done_ || !outstanding_.empty()) return;
  stopped_ = true;
  arrival_timer_.cancel();
  think_timer_.cancel();
  sweep_timer_.cancel();
  for (auto& connection : connections_) connection->Close();
}

}  // namespace predictwire::loadgen
