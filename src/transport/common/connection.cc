#include "transport/common/connection.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <utility>

#include "transport/common/limits.h"
#include "transport/common/small_buffer_pool.h"

namespace predictwire::transport {
namespace {

// What a quiet connection's read brings, in one buffer for every connection of the IO thread: a
// connection quiet for a sweep interval waits for readiness with no buffer at all, and reads
// once its bytes are there. Its protocol copies what it keeps, and what it leaves moves into the
// connection's own read buffer before the thread reads for another.
thread_local char t_idle_input[kIdleReadBytes];

// A connection's maximum age in sweep ticks: `max_age` give or take 10%, drawn per connection.
uint64_t DrawAgeTicks(std::chrono::seconds max_age) {
  if (max_age.count() <= 0) return 0;
  thread_local std::minstd_rand random(std::random_device{}());
  const double jitter = std::uniform_real_distribution<double>(0.9, 1.1)(random);
  const double ticks = jitter * static_cast<double>(max_age / kSweepInterval);
  return std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(ticks)));
}

}  // namespace

Connection::Connection(TcpSocket socket, IoThread& thread, const TlsContext* tls,
                       ConnectionCounters counters, ConnectionLimits limits)
    : socket_(std::move(socket)),
      thread_(thread),
      counters_(counters),
      limits_(limits),
      output_charge_(limits.memory) {
  if (tls != nullptr) tls_ = TlsEngine::Create(*tls);
  if (counters_.metrics != nullptr) counters_.metrics->ConnectionOpened(counters_.kind);
}

Connection::~Connection() = default;

void Connection::Start(std::unique_ptr<Protocol> protocol) {
  protocol_ = std::move(protocol);
  last_input_tick_ = last_output_tick_ = start_tick_ = thread_.tick();
  head_since_tick_ = start_tick_;
  age_limit_ticks_ = DrawAgeTicks(limits_.max_age);
  ErrorCode ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  socket_.non_blocking(true, ignored);  // the read after readiness never waits (OnReadable)
  thread_.Register(shared_from_this());
  StartRead();
}

void Connection::SwitchProtocol(std::unique_ptr<Protocol> protocol) {
  retired_protocols_.push_back(std::move(protocol_));
  protocol_ = std::move(protocol);
}

void Connection::Write(std::string_view bytes) {
  if (closed_ || send_shut_) return;
  output_next_.append(bytes);
}

void Connection::PauseInput() { input_paused_ = true; }

void Connection::ResumeInput() {
  if (!input_paused_) return;
  input_paused_ = false;
  DeliverInput();  // a no-op when called from inside DeliverInput, whose loop carries on
}

void Connection::CloseAfterWrite() {
  if (close_after_write_ || closed_) return;
  close_after_write_ = true;
  close_tick_ = thread_.tick();
}

bool Connection::OnIoThread() const { return thread_.executor().running_in_this_thread(); }

void Connection::Post(CompletionTask&& function) {
  asio::post(thread_.executor(),
             [self = shared_from_this(), function = std::move(function)]() mutable {
               if (self->closed_) return;
               std::move(function)();
               self->AfterEvent();
             });
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  if (protocol_) protocol_->OnPeerGone(/*half_close=*/false);
  if (counters_.metrics != nullptr) counters_.metrics->ConnectionClosed(counters_.kind);
  output_charge_.Reset();
  // On the IO thread, whose pool it came from; a read pending into it gives it back (OnRead).
  if (!(reading_ && reading_idle_ && idle_into_own_)) GiveBackSmallInput();
  ErrorCode ignored;
  socket_.close(ignored);
  // Last: the registry may hold the last reference. Every caller holds its own as well.
  thread_.Unregister(this);
}

void Connection::StartRead() {
  if (reading_ || closed_ || peer_closed_) return;
  const bool discarding = close_after_write_;
  if (!discarding && (input_paused_ || output_backlogged_)) return;
  reading_ = true;
  auto on_read = [self = shared_from_this()](const ErrorCode& error, size_t bytes) {
    self->OnRead(error, bytes);
  };
  // Without a read buffer the connection reads a few bytes at a time: into its own 256 while it
  // is active (one read a message, as with any buffer), and, once quiet for a sweep interval,
  // into none until its socket is readable, then into the thread's (OnReadable). A busy one
  // keeps its large buffer (ReleaseIdleBuffers gives both back).
  if (tls_ ? ciphertext_input_.empty() : input_.empty()) {
    reading_idle_ = true;
    idle_into_own_ = small_input_ != nullptr;
    if (idle_into_own_) {
      socket_.async_read_some(asio::buffer(small_input_, kIdleReadBytes), std::move(on_read));
    } else {
      WaitReadable();
    }
    return;
  }
  if (tls_) {
    socket_.async_read_some(asio::buffer(ciphertext_input_), std::move(on_read));
    return;
  }
  EnsureReadSpace();
  socket_.async_read_some(asio::buffer(input_.data() + input_end_, input_.size() - input_end_),
                          std::move(on_read));
}

void Connection::WaitReadable() {
  socket_.async_wait(TcpSocket::wait_read, [self = shared_from_this()](const ErrorCode& error) {
    self->OnReadable(error);
  });
}

void Connection::OnReadable(const ErrorCode& error) {
  if (error || closed_) {
    OnRead(error ? error : asio::error::operation_aborted, 0);
    return;
  }
  ErrorCode read_error;
  const size_t bytes = socket_.read_some(asio::buffer(t_idle_input), read_error);
  if (read_error == asio::error::would_block || read_error == asio::error::try_again) {
    WaitReadable();  // ready, then not (another reader, or a spurious wake): wait again
    return;
  }
  // Active again: its next reads go into bytes of its own, without a readiness wait each.
  if (!read_error) small_input_ = SmallBufferPool::ForThisThread().Take();
  OnRead(read_error, bytes);
}

void Connection::GiveBackSmallInput() {
  if (small_input_ == nullptr) return;
  SmallBufferPool::ForThisThread().Give(std::exchange(small_input_, nullptr));
}

void Connection::OnRead(const ErrorCode& error, size_t bytes) {
  reading_ = false;
  const bool idle_read = std::exchange(reading_idle_, false);
  if (closed_) {
    GiveBackSmallInput();  // the read that held it is over
    return;
  }
  if (release_input_) {
    release_input_ = false;
    if (error == asio::error::operation_aborted) {  // cancelled by ReleaseIdleBuffers
      std::vector<char>().swap(input_);
      std::vector<char>().swap(ciphertext_input_);
      GiveBackSmallInput();
      input_begin_ = input_end_ = 0;
      StartRead();
      return;
    }
  }
  if (error) {
    if (error != asio::error::eof || close_after_write_) {
      Close();
      return;
    }
    peer_closed_ = true;
    protocol_->OnPeerGone(/*half_close=*/true);
    if (!protocol_->HasWorkInFlight()) CloseAfterWrite();
    AfterEvent();
    return;
  }
  last_input_tick_ = thread_.tick();
  bytes_received_ += bytes;
  input_since_ping_ = true;
  if (counters_.metrics != nullptr) counters_.metrics->BytesReceived(counters_.kind, bytes);
  if (close_after_write_) {  // closing: read only to let the peer finish, and discard
    input_begin_ = input_end_ = 0;
    if (draining_ && send_shut_ && NothingUnread()) {
      Close();
      return;
    }
    StartRead();
    return;
  }
  if (idle_read) return OnIdleRead(bytes);
  if (tls_) {
    if (!DecryptInput(ciphertext_input_.data(), bytes)) return;
  } else {
    input_end_ += bytes;
  }
  DeliverInput();
  AfterEvent();
}

void Connection::OnIdleRead(size_t bytes) {
  char* const idle_input = idle_into_own_ ? small_input_ : t_idle_input;
  const bool more_waiting = bytes == kIdleReadBytes;
  if (tls_) {
    // More than the few bytes: the next reads take a whole record at a time.
    if (more_waiting) ciphertext_input_.resize(kTlsReadBytes);
    if (!DecryptInput(idle_input, bytes)) return;
    DeliverInput();
    AfterEvent();
    return;
  }
  if (more_waiting || input_begin_ != input_end_) {
    EnsureReadSpace();
    std::memcpy(input_.data() + input_end_, idle_input, bytes);
    input_end_ += bytes;
    DeliverInput();
    AfterEvent();
    return;
  }
  // The whole of what was waiting, handled in place: a small message costs no read buffer. What
  // the protocol leaves (the start of a larger message) moves into one.
  const size_t consumed = Deliver(idle_input, bytes);
  if (consumed < bytes && !closed_ && !close_after_write_) {
    EnsureReadSpace();
    std::memcpy(input_.data(), idle_input + consumed, bytes - consumed);
    input_begin_ = 0;
    input_end_ = bytes - consumed;
  }
  AfterEvent();
}

bool Connection::DecryptInput(const char* ciphertext, size_t bytes) {
  if (tls_first_read_) {
    tls_first_read_ = false;
    if (bytes > 0 && !LooksLikeTls(ciphertext[0])) {
      RefusePlaintext();
      return false;
    }
  }
  tls_->Feed(ciphertext, bytes);
  while (true) {
    EnsureReadSpace();
    absl::StatusOr<size_t> plaintext =
        tls_->Decrypt(input_.data() + input_end_, input_.size() - input_end_);
    if (!plaintext.ok()) {
      if (absl::IsOutOfRange(plaintext.status())) {
        // close_notify, the peer's EOF: what came before it is still served (AfterEvent closes
        // once nothing is in flight).
        peer_closed_ = true;
        return true;
      }
      // A broken record or handshake: send OpenSSL's alert, if any, and go.
      CloseAfterWrite();
      AfterEvent();
      return false;
    }
    if (*plaintext == 0) return true;
    input_end_ += *plaintext;
  }
}

void Connection::RefusePlaintext() {
  tls_.reset();
  static constexpr std::string_view kBody = "{\"error\": \"this port speaks HTTPS (TLS)\"}";
  output_next_ = fmt::format(
      "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: "
      "{}\r\nConnection: close\r\n\r\n{}",
      kBody.size(), kBody);
  CloseAfterWrite();
  AfterEvent();
}

void Connection::SealOutput() {
  if (!output_next_.empty()) {
    const absl::Status sealed = tls_->Encrypt(output_next_);
    output_next_.clear();
    if (!sealed.ok()) {
      Close();
      return;
    }
  }
  if (close_after_write_ && !tls_shutdown_sent_) {
    tls_shutdown_sent_ = true;
    tls_->Shutdown();
  }
  tls_->TakeCiphertext(&output_next_);
}

void Connection::DeliverInput() {
  if (delivering_) return;
  input_begin_ += Deliver(input_.data() + input_begin_, input_end_ - input_begin_);
  if (input_begin_ == input_end_) input_begin_ = input_end_ = 0;
}

size_t Connection::Deliver(char* data, size_t size) {
  delivering_ = true;
  size_t taken = 0;
  while (!closed_ && !close_after_write_ && !input_paused_ && taken < size) {
    Protocol* const protocol = protocol_.get();
    const size_t consumed = protocol->OnInput(data + taken, size - taken);
    taken += consumed;
    if (consumed == 0 && protocol_.get() == protocol) break;  // it needs more input
  }
  delivering_ = false;
  return taken;
}

void Connection::EnsureReadSpace() {
  if (input_.empty()) input_.resize(kInitialReadBufferBytes);
  if (input_.size() - input_end_ >= kMinReadSpaceBytes) return;
  if (input_begin_ > 0) {
    std::memmove(input_.data(), input_.data() + input_begin_, input_end_ - input_begin_);
    input_end_ -= input_begin_;
    input_begin_ = 0;
  }
  if (input_.size() - input_end_ < kMinReadSpaceBytes) {
    input_.resize(std::max(input_.size() * 2, input_end_ + kMinReadSpaceBytes));
  }
}

void Connection::Flush() {
  if (writing_ || closed_) return;
  if (tls_) {
    SealOutput();
    if (closed_) return;
  }
  if (output_next_.empty()) {
    if (close_after_write_ && !send_shut_) ShutdownSend();
    return;
  }
  output_writing_.swap(output_next_);
  output_written_ = 0;
  output_charge_.ForceTo(output_writing_.size());
  last_output_tick_ = thread_.tick();
  WriteSome();
}

void Connection::WriteSome() {
  // Piece by piece rather than one async_write, so that each piece the peer takes counts as
  // progress: a slow reader of a large answer is moving, a stalled one is not (write timeout).
  writing_ = true;
  socket_.async_write_some(asio::buffer(output_writing_.data() + output_written_,
                                        output_writing_.size() - output_written_),
                           [self = shared_from_this()](const ErrorCode& error, size_t bytes) {
                             self->OnWritten(error, bytes);
                           });
}

void Connection::OnWritten(const ErrorCode& error, size_t bytes) {
  writing_ = false;
  if (counters_.metrics != nullptr) counters_.metrics->BytesSent(counters_.kind, bytes);
  if (closed_) return;
  if (error) {
    Close();
    return;
  }
  if (bytes > 0) last_output_tick_ = thread_.tick();
  output_written_ += bytes;
  if (output_written_ < output_writing_.size()) {
    WriteSome();
    return;
  }
  output_writing_.clear();
  output_charge_.Reset();
  AfterEvent();
}

void Connection::ShutdownSend() {
  send_shut_ = true;
  ErrorCode ignored;
  socket_.shutdown(asio::socket_base::shutdown_send, ignored);
  if (peer_closed_) Close();  // both directions are done
  // A stopping server has no reason to wait for the peer's FIN (an idle gRPC client sends none
  // for seconds): it closes as soon as no unread input would turn the close into a reset.
  if (draining_ && NothingUnread()) Close();
}

void Connection::AfterEvent() {
  if (closed_) return;
  if (peer_closed_ && !close_after_write_ && !protocol_->HasWorkInFlight()) CloseAfterWrite();
  Flush();
  if (closed_) return;
  output_backlogged_ = writing_ && output_next_.size() >= kOutputHighWaterBytes;
  StartRead();
}

void Connection::SweepIfIdle(uint64_t tick) {
  if (closed_) return;
  // A whole interval without input: give the buffers back, once for each quiet spell (the
  // sweep visits every connection every second; one already bare is not asked again).
  if (tick - last_input_tick_ >= 2 &&
      (released_after_input_ != last_input_tick_ || released_after_output_ != last_output_tick_) &&
      ReleaseIdleBuffers()) {
    released_after_input_ = last_input_tick_;
    released_after_output_ = last_output_tick_;
  }
  // A stamp of tick T means "some time during tick T", so only after more than N ticks have
  // passed is the connection certainly N sweep intervals old: it closes after N to N+1.
  if (close_after_write_) {
    if (tick - close_tick_ > static_cast<uint64_t>(kLingerTimeout / kSweepInterval)) Close();
    return;
  }
  if (tls_ && !tls_->handshake_done() &&
      tick - start_tick_ > static_cast<uint64_t>(limits_.tls_handshake_timeout / kSweepInterval)) {
    return Defend(ConnectionDefence::kHandshakeTimeout);
  }
  // The head's clock starts when the sweep first sees it awaited (the first request's at the
  // accept), so it may run up to one interval long: no clock call on the request path.
  if (!protocol_->AwaitingRequestHead()) {
    head_since_tick_ = kNotAwaiting;
  } else if (head_since_tick_ == kNotAwaiting) {
    head_since_tick_ = tick;
  } else if (tick - head_since_tick_ >
             static_cast<uint64_t>(limits_.header_timeout / kSweepInterval)) {
    return Defend(ConnectionDefence::kHeaderTimeout);
  }
  if (going_away_ && !grace_over_ && tick >= grace_end_tick_) {
    // What the grace did not see finished is ended; the connection goes once that is sent.
    grace_over_ = true;
    protocol_->OnGraceOver();
    if (!closed_ && !close_after_write_) CloseAfterWrite();
    AfterEvent();
    return;
  }
  if (!going_away_ && age_limit_ticks_ > 0 && tick - start_tick_ > age_limit_ticks_) {
    GoAway(GoAwayReason::kMaxAge, limits_.max_age_grace);
    if (closed_ || close_after_write_) return;
  }
  if (writing_ || protocol_->HasParkedOutput()) {
    // Output waits for the peer: only the write timeout applies, and only while nothing moves.
    if (tick - last_output_tick_ > static_cast<uint64_t>(limits_.write_timeout / kSweepInterval)) {
      Defend(ConnectionDefence::kWriteTimeout);
    }
    return;
  }
  if (!KeepAlive(tick)) return;
  const auto idle_ticks = static_cast<uint64_t>(protocol_->IdleTimeout() / kSweepInterval);
  const uint64_t last_activity = std::max(last_input_tick_, last_output_tick_);
  if (protocol_->HasWorkInFlight() || tick - last_activity <= idle_ticks) return;
  protocol_->OnIdle();
  if (close_after_write_) {
    AfterEvent();  // sends the goodbye; the linger above closes the socket
  } else {
    Close();
  }
}

void Connection::Defend(ConnectionDefence defence) {
  if (counters_.metrics != nullptr) counters_.metrics->ConnectionDefended(counters_.kind, defence);
  if (defence == ConnectionDefence::kHeaderTimeout) {
    protocol_->OnHeaderTimeout();
    if (close_after_write_) {
      AfterEvent();  // sends the 408; the linger closes the socket
      return;
    }
  }
  Close();
}

bool Connection::ReleaseIdleBuffers() {
  retired_protocols_.clear();  // not on the call stack: the sweep runs between events
  protocol_->ReleaseIdleMemory();
  if (!writing_ && output_writing_.capacity() > 0) std::string().swap(output_writing_);
  if (output_next_.empty() && output_next_.capacity() > 0) std::string().swap(output_next_);
  if (tls_) tls_->ReleaseBuffers();
  if (input_begin_ != input_end_) return false;  // a message is half read: its bytes stay
  if (tls_ && input_.capacity() > 0) std::vector<char>().swap(input_);  // not a read target
  std::vector<char>& read_target = tls_ ? ciphertext_input_ : input_;
  // Without a read buffer, what may be held is the few bytes of idle input (small_input_).
  const bool small = read_target.empty();
  if (small && small_input_ == nullptr) return !writing_;
  const bool pending_read_holds_it =
      reading_ && (small ? reading_idle_ && idle_into_own_ : !reading_idle_);
  if (!pending_read_holds_it) {
    if (small) {
      GiveBackSmallInput();
    } else {
      std::vector<char>().swap(read_target);
      input_begin_ = input_end_ = 0;
    }
    return !writing_;
  }
  // The pending read holds it: cancel the read, and OnRead gives the buffer back and reads again
  // into a smaller one or none. Only with no write pending, which the cancel would end too.
  if (!writing_) {
    release_input_ = true;
    ErrorCode ignored;
    socket_.cancel(ignored);
  }
  return false;
}

bool Connection::NothingUnread() {
  ErrorCode error;
  return socket_.available(error) == 0 && !error;
}

bool Connection::KeepAlive(uint64_t tick) {
  const auto interval_ticks = static_cast<uint64_t>(protocol_->PingInterval() / kSweepInterval);
  if (interval_ticks == 0) {
    ping_sent_tick_ = 0;
    return true;
  }
  if (ping_sent_tick_ != 0) {
    if (input_since_ping_) {
      ping_sent_tick_ = 0;  // the peer is there
    } else if (tick - ping_sent_tick_ > interval_ticks) {
      // A whole interval without a word: the peer is gone (a cut network sends no reset).
      Defend(ConnectionDefence::kPingTimeout);
      return false;
    } else {
      return true;
    }
  }
  if (tick - last_input_tick_ < interval_ticks) return true;
  input_since_ping_ = false;
  ping_sent_tick_ = tick;
  protocol_->SendPing();
  AfterEvent();
  return !closed_;
}

void Connection::GoAway(GoAwayReason reason, std::chrono::seconds grace) {
  if (closed_ || going_away_) return;
  going_away_ = true;
  grace_end_tick_ = thread_.tick() + static_cast<uint64_t>(grace / kSweepInterval);
  protocol_->OnGoAway(reason);
  AfterEvent();
}

void Connection::NotifyReadinessChanged() {
  if (closed_) return;
  protocol_->OnReadinessChanged();
  AfterEvent();
}

void Connection::Drain(std::chrono::seconds grace) {
  if (closed_) return;
  draining_ = true;
  GoAway(GoAwayReason::kServerStopping, grace);
}

}  // namespace predictwire::transport
