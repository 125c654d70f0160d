#include "loadgen/driver/load_driver.h"

#include <algorithm>
#include <thread>

namespace predictwire::loadgen {

namespace asio = transport::asio;

namespace {

// How often timeouts, reconnects and connect timeouts are checked.
constexpr std::chrono::milliseconds kSweepInterval{5};
constexpr LoadDriver::Clock::time_point kNever = LoadDriver::Clock::time_point::max();

}  // namespace

LoadDriver::LoadDriver(const BenchOptions& options, const Share& share,
                       const Destination& destination)
    : options_(options), share_(share), random_((share.seed + 1) * 0x9E3779B97F4A7C15ull | 1) {
  tls_client_.context = destination.tls;
  tls_client_.resume = options.tls_resume;
  const Wire& wire = *options.wire.wire;
  ConnectionSetup::PipeFactory make_pipe;
  if (destination.make_pipe) {
    make_pipe = [this, make = destination.make_pipe](BytePipe::Handler& handler) {
      return make(context_, handler);
    };
  }
  setup_.emplace(ConnectionSetup{.context = context_,
                                 .endpoint = destination.endpoint,
                                 .wire = wire,
                                 .target = destination.target,
                                 .body = destination.body,
                                 .depth = wire.Depth(options.pipeline),
                                 .listener = *this,
                                 .tls = destination.tls != nullptr ? &tls_client_ : nullptr,
                                 .make_pipe = std::move(make_pipe),
                                 .source_addresses = options.source_addresses});
  slots_.reserve(static_cast<size_t>(std::max(0, share.connections)));
  for (int i = 0; i < share.connections; ++i) {
    slots_.push_back(Slot{.connection = MakeConnection(static_cast<size_t>(i)),
                          .backoff = Backoff(options_.reconnect, share.seed * 7919 + i)});
  }
  batch_latencies_.resize(static_cast<size_t>(std::max(1, options.batches)));
}

LoadDriver::~LoadDriver() {
  for (Slot& slot : slots_) slot.connection->Close();
  for (auto& connection : draining_) connection->Close();
}

std::unique_ptr<WireConnection> LoadDriver::MakeConnection(size_t slot) {
  std::unique_ptr<WireConnection> connection = options_.wire.wire->make_connection(*setup_);
  connection->slot = static_cast<int>(slot);
  return connection;
}

void LoadDriver::Run(Clock::time_point start) {
  // Every thread's first request is due at `start`: none may go out before it.
  std::this_thread::sleep_until(start);
  start_ = start;
  warmup_end_ = start + options_.warmup;
  issue_end_ = options_.requests ? Clock::time_point::max() : warmup_end_ + options_.duration;
  last_answer_ = warmup_end_;
  result_.options = options_;

  if (options_.wire.wire->new_connection_per_request) {
    for (Slot& slot : slots_) OnReady(*slot.connection);
  } else {
    OpenMore(start);
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
  outstanding_.emplace(tag, Outstanding{due, measured, 0, nullptr, ordinal});
  backlog_.push_back(tag);
  deadlines_.emplace_back(due + options_.timeout, tag);
}

void LoadDriver::Dispatch() {
  while (!backlog_.empty() && !ready_.empty()) {
    // Off the queue while it sends: whatever Send reports (even its end) finds it off.
    WireConnection* connection = ready_.front();
    ready_.pop_front();
    if (!connection->CanSend()) {
      connection->queued_as_ready = false;
      continue;
    }
    const uint64_t tag = backlog_.front();
    backlog_.pop_front();
    auto it = outstanding_.find(tag);
    if (it == outstanding_.end()) {  // timed out while waiting
      ready_.push_front(connection);
      continue;
    }
    it->second.connection = connection;
    connection->Send(tag);
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

void LoadDriver::OnConnected(WireConnection& connection, std::chrono::nanoseconds elapsed) {
  // Persistent connections open during the warm-up: their set-up is recorded whenever it happens.
  result_.connect.Record(static_cast<uint64_t>(elapsed.count()));
  if (connection.slot >= 0) {
    const auto index = static_cast<size_t>(connection.slot);
    Slot& slot = slots_[index];
    slot.connect_by = kNever;
    const Clock::time_point now = Clock::now();
    if (!std::exchange(slot.opened, true) && ++slots_opened_ == slots_.size()) {
      result_.all_open_after = now - start_;
    }
    EndRamp(index, now);
  }
}

void LoadDriver::OnReply(WireConnection& connection, uint64_t tag, const ReplyInfo& reply) {
  auto it = outstanding_.find(tag);
  if (it == outstanding_.end()) return CountStray(tag);
  const Clock::time_point now = Clock::now();
  if (reply.unprocessed) {  // as good as lost with its connection
    Unanswered(it, reply.error, now);
    QueueResends();
    Dispatch();
    return MaybeStop();
  }
  connection.answered = true;
  NoteGap(now);
  last_answer_ = now;
  const Outstanding request = it->second;
  outstanding_.erase(it);
  if (request.measured) {
    const size_t word = tag / 64;
    if (word >= answered_.size()) answered_.resize(std::max(word + 1, answered_.size() * 2));
    answered_[word] |= uint64_t{1} << (tag % 64);
    if (reply.ok) {
      const uint64_t latency =
          now > request.due ? static_cast<uint64_t>((now - request.due).count()) : 0;
      ++result_.requests;
      result_.latency.Record(latency);
      NoteTimeline(now, latency);
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
      NoteTimeline(now, std::nullopt);
    }
    last_completion_ = now;
  }
  (reply.ok ? answered : failed).fetch_add(1, std::memory_order_relaxed);
  Finish(tag, now);
}

void LoadDriver::OnLateReply(WireConnection&, uint64_t tag) { CountStray(tag); }

void LoadDriver::CountStray(uint64_t tag) {
  // Answered already (a duplicate), or a late answer to a request given up (not counted).
  const size_t word = tag / 64;
  if (word < answered_.size() && (answered_[word] >> (tag % 64) & 1) != 0) ++result_.duplicates;
}

void LoadDriver::NoteGap(Clock::time_point now) {
  if (now <= warmup_end_) return;
  const Clock::time_point since = std::max(last_answer_, warmup_end_);
  result_.longest_gap = std::max<std::chrono::nanoseconds>(result_.longest_gap, now - since);
}

void LoadDriver::NoteTimeline(Clock::time_point now, std::optional<uint64_t> latency_ns) {
  if (options_.timeline_bin.count() <= 0 || now < warmup_end_) return;
  const size_t bin = static_cast<size_t>((now - warmup_end_) / options_.timeline_bin);
  if (bin >= result_.timeline.size()) result_.timeline.resize(bin + 1);
  TimelineBin& into = result_.timeline[bin];
  if (latency_ns) {
    ++into.answered;
    into.latencies_us.push_back(
        static_cast<uint32_t>(std::min<uint64_t>(*latency_ns / 1000, UINT32_MAX)));
  } else {
    ++into.errors;
  }
}

void LoadDriver::OnFailed(WireConnection& connection, std::string_view error,
                          const std::vector<uint64_t>& lost) {
  const Clock::time_point now = Clock::now();
  const bool orderly = IsOrderlyEnd(error, !lost.empty());
  if (!orderly) ++result_.connection_errors[std::string(error)];
  for (uint64_t tag : lost) {
    auto it = outstanding_.find(tag);
    if (it != outstanding_.end()) Unanswered(it, error, now);
  }
  if (connection.slot < 0) {
    Retire(connection);  // let go earlier: its place has a connection of its own
  } else if (!stopped_) {
    const bool answered_since_connect = connection.answered;
    connection.answered = false;
    Reopen(static_cast<size_t>(connection.slot), orderly, answered_since_connect, now);
  }
  QueueResends();
  Dispatch();
  MaybeStop();
}

void LoadDriver::OnGoingAway(WireConnection& connection) {
  if (connection.slot < 0 || stopped_) return;
  // The server lets it go: it finishes what it has while a new one takes its place at once.
  const auto index = static_cast<size_t>(connection.slot);
  Slot& slot = slots_[index];
  const bool answered_since_connect = connection.answered;
  connection.slot = -1;
  draining_.push_back(std::move(slot.connection));
  slot.connection = MakeConnection(index);
  Reopen(index, /*orderly=*/true, answered_since_connect, Clock::now());
}

void LoadDriver::Reopen(size_t index, bool orderly, bool answered_since_connect,
                        Clock::time_point now) {
  EndRamp(index, now);  // its first connect failed: the next connection may start opening
  Slot& slot = slots_[index];
  slot.connect_by = kNever;
  if (answered_since_connect) {
    slot.ends = 0;
    slot.backoff.Reset();
  }
  // An orderly end of a connection that worked is the server's choice, not trouble: at once.
  // Anything else, or ends in a row with no answer between (a server that takes connections
  // and drops them), waits out the backoff.
  const bool at_once = orderly && slot.ends == 0;
  ++slot.ends;
  if (options_.wire.wire->new_connection_per_request) {
    // Its next request opens a connection of its own anyway; a resend waits its own backoff.
    OnReady(*slot.connection);
    return;
  }
  slot.reopen_at = at_once ? now : now + slot.backoff.Next();
  Watch(index);
  if (at_once) {
    // Not from inside the connection's report of its end: once it has returned.
    asio::post(context_, [this, index] {
      if (!stopped_ && slots_[index].reopen_at != kNever) {
        slots_[index].reopen_at = kNever;
        ++result_.reconnects;
        Connect(index, Clock::now());
      }
    });
  }
}

void LoadDriver::OpenMore(Clock::time_point now) {
  while (ramping_ < kMostOpening && next_to_open_ < slots_.size()) {
    slots_[next_to_open_].ramping = true;
    ++ramping_;
    Connect(next_to_open_++, now);
  }
}

void LoadDriver::EndRamp(size_t index, Clock::time_point now) {
  if (!std::exchange(slots_[index].ramping, false)) return;
  --ramping_;
  OpenMore(now);
}

void LoadDriver::Connect(size_t index, Clock::time_point now) {
  Slot& slot = slots_[index];
  slot.connection->answered = false;
  slot.connect_by = now + std::max(options_.reconnect.connect_timeout, slot.backoff.current());
  Watch(index);
  slot.connection->Connect();
}

void LoadDriver::Watch(size_t index) {
  if (slots_[index].watched) return;
  slots_[index].watched = true;
  watched_.push_back(index);
}

void LoadDriver::SweepSlots(Clock::time_point now) {
  for (size_t k = 0; k < watched_.size();) {
    const size_t index = watched_[k];
    Slot& slot = slots_[index];
    if (slot.connect_by <= now) {
      // A connect that hangs (a server gone without a reset): given up, a failure like others.
      slot.connection->Close();
      ++result_.connection_errors["connect_timeout"];
      Reopen(index, /*orderly=*/false, /*answered_since_connect=*/false, now);
    }
    if (slot.reopen_at <= now) {
      slot.reopen_at = kNever;
      ++result_.reconnects;
      Connect(index, now);
    }
    if (slot.connect_by == kNever && slot.reopen_at == kNever) {
      slot.watched = false;
      watched_[k] = watched_.back();
      watched_.pop_back();
    } else {
      ++k;
    }
  }
}

void LoadDriver::Retire(WireConnection& connection) {
  std::erase(ready_, &connection);
  connection.queued_as_ready = false;
  for (auto& [tag, request] : outstanding_) {
    if (request.connection == &connection) request.connection = nullptr;  // never to be used
  }
  for (auto& draining : draining_) {
    if (draining.get() != &connection) continue;
    retiring_.push_back(std::move(draining));
    std::swap(draining, draining_.back());
    draining_.pop_back();
    return;
  }
}

void LoadDriver::Unanswered(OutstandingMap::iterator it, std::string_view why,
                            Clock::time_point now) {
  const uint64_t tag = it->first;
  Outstanding& request = it->second;
  request.connection = nullptr;
  const ReconnectOptions& reconnect = options_.reconnect;
  const bool in_time = now < request.due + options_.timeout;
  if (reconnect.resend && !stopped_ && in_time && request.resends < reconnect.max_resends) {
    ++request.resends;
    if (request.measured) ++result_.resent;
    if (options_.wire.wire->new_connection_per_request) {
      delayed_.emplace_back(now + BackoffDelay(reconnect, request.resends - 1, &random_), tag);
    } else {
      resends_.push_back(tag);
    }
    return;
  }
  // Never to be answered: under --no-resend as its connection ended, else lost (out of resends)
  // or out of time.
  const std::string_view kind = !reconnect.resend ? why : in_time ? "lost" : "timeout";
  if (request.measured) {
    ++result_.errors;
    ++result_.errors_by_kind[std::string(kind)];
    ++result_.lost;
    NoteTimeline(now, std::nullopt);
    last_completion_ = now;
  }
  outstanding_.erase(it);
  failed.fetch_add(1, std::memory_order_relaxed);
  Finish(tag, now);
}

void LoadDriver::QueueResends() {
  if (resends_.empty()) return;
  std::sort(resends_.begin(), resends_.end());  // tags go in issue order: oldest first
  backlog_.insert(backlog_.begin(), resends_.begin(), resends_.end());
  resends_.clear();
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
  retired_.clear();  // retired a whole sweep ago: their sockets' completions have all run
  retired_.swap(retiring_);
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
      ++result_.lost;
      NoteTimeline(now, std::nullopt);
      last_completion_ = now;
    }
    failed.fetch_add(1, std::memory_order_relaxed);
    if (request.connection != nullptr) request.connection->Abandon(tag);
    Finish(tag, now);
  }
  for (size_t k = 0; k < delayed_.size();) {
    if (delayed_[k].first <= now) {
      resends_.push_back(delayed_[k].second);
      delayed_[k] = delayed_.back();
      delayed_.pop_back();
    } else {
      ++k;
    }
  }
  QueueResends();
  if (!stopped_) SweepSlots(now);
  Dispatch();
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
  NoteGap(Clock::now());  // the end of the window, however long since the last answer
  arrival_timer_.cancel();
  think_timer_.cancel();
  sweep_timer_.cancel();
  for (Slot& slot : slots_) slot.connection->Close();
  for (auto& connection : draining_) connection->Close();
}

}  // namespace predictwire::loadgen
