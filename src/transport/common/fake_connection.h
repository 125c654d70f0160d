#ifndef PREDICTWIRE_TRANSPORT_COMMON_FAKE_CONNECTION_H_
#define PREDICTWIRE_TRANSPORT_COMMON_FAKE_CONNECTION_H_

// For tests only: a ProtocolConnection in memory, so that protocols are unit-tested without
// sockets (as Envoy's codec tests mock Network::Connection).

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "transport/common/protocol.h"
#include "transport/common/protocol_connection.h"

namespace predictwire::transport::testing {

// Offers input to its protocol the way Connection does (all unconsumed bytes, again after
// ResumeInput or a protocol switch, never while paused or closing), keeps what the protocol
// writes and its pause and close state, and queues what other threads post through Complete
// until the test runs it with RunPosted. The "IO thread" is the thread that made the fake; a
// test may name another with set_io_thread. Make it with std::make_shared (KeepAlive shares it).
class FakeConnection final : public ProtocolConnection,
                             public std::enable_shared_from_this<FakeConnection> {
 public:
  FakeConnection() : io_thread_(std::this_thread::get_id()) {}

  // Sets the first protocol.
  void Start(std::unique_ptr<Protocol> protocol) { protocol_ = std::move(protocol); }

  // Bytes arrive from the peer.
  void Receive(std::string_view bytes) {
    input_.append(bytes);
    Deliver();
  }

  // The connection is asked to go (Connection::GoAway: the server drains, or it is too old).
  void Drain(GoAwayReason reason = GoAwayReason::kServerStopping) {
    if (!closed_) protocol_->OnGoAway(reason);
  }
  // The grace after Drain is over (Connection's sweep).
  void EndGrace() {
    if (!closed_) protocol_->OnGraceOver();
  }

  // Blocks until at least `count` completions have been posted and not yet run.
  void WaitForPosted(size_t count) {
    absl::MutexLock lock(&mutex_);
    wanted_posted_ = count;
    mutex_.Await(absl::Condition(this, &FakeConnection::EnoughPosted));
  }

  // Runs up to `most` posted completions on the calling thread, oldest first, as the IO thread
  // would: skipped once the connection has closed. Returns how many it took from the queue.
  size_t RunPosted(size_t most = SIZE_MAX) {
    size_t taken = 0;
    while (taken < most) {
      std::optional<CompletionTask> next;
      {
        absl::MutexLock lock(&mutex_);
        if (posted_.empty()) break;
        next.emplace(std::move(posted_.front()));
        posted_.pop_front();
      }
      ++taken;
      if (!closed_) std::move (*next)();
    }
    return taken;
  }

  size_t posted() {
    absl::MutexLock lock(&mutex_);
    return posted_.size();
  }

  // What the protocol has written since the last TakeOutput.
  std::string TakeOutput() { return std::exchange(output_, std::string()); }
  const std::string& written() const { return output_; }

  bool input_paused() const { return input_paused_; }
  bool close_after_write() const { return close_after_write_; }
  bool closed() const { return closed_; }
  // Input the protocol has not consumed yet.
  std::string_view unconsumed_input() const { return std::string_view(input_).substr(consumed_); }
  Protocol& protocol() { return *protocol_; }
  void set_io_thread(std::thread::id thread) { io_thread_ = thread; }

  // ProtocolConnection.
  void Write(std::string_view bytes) override {
    if (!closed_) output_.append(bytes);
  }
  std::string& output() override { return output_; }
  void PauseInput() override { input_paused_ = true; }
  void ResumeInput() override {
    if (!input_paused_) return;
    input_paused_ = false;
    Deliver();
  }
  void CloseAfterWrite() override { close_after_write_ = true; }
  void Close() override { closed_ = true; }
  bool closing() const override { return close_after_write_ || closed_; }
  void SwitchProtocol(std::unique_ptr<Protocol> protocol) override {
    retired_protocols_.push_back(std::move(protocol_));
    protocol_ = std::move(protocol);
  }
  std::shared_ptr<ProtocolConnection> KeepAlive() override { return shared_from_this(); }

 private:
  bool OnIoThread() const override { return std::this_thread::get_id() == io_thread_; }
  void Post(CompletionTask&& function) override {
    absl::MutexLock lock(&mutex_);
    posted_.push_back(std::move(function));
  }

  bool EnoughPosted() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return posted_.size() >= wanted_posted_;
  }

  // Offers the unconsumed input until the protocol takes no more of it (a protocol that
  // switched gets the same bytes), pauses, or closes.
  void Deliver() {
    if (delivering_) return;  // ResumeInput from inside OnInput: the loop below carries on
    delivering_ = true;
    for (;;) {
      if (closing() || input_paused_ || consumed_ == input_.size()) break;
      Protocol* const offered = protocol_.get();
      const size_t taken = offered->OnInput(input_.data() + consumed_, input_.size() - consumed_);
      consumed_ += taken;
      if (taken == 0 && offered == protocol_.get()) break;
    }
    delivering_ = false;
  }

  std::thread::id io_thread_;
  std::unique_ptr<Protocol> protocol_;
  std::vector<std::unique_ptr<Protocol>> retired_protocols_;
  std::string input_;
  size_t consumed_ = 0;
  std::string output_;
  bool input_paused_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
  bool delivering_ = false;

  absl::Mutex mutex_;
  std::deque<CompletionTask> posted_ ABSL_GUARDED_BY(mutex_);
  size_t wanted_posted_ ABSL_GUARDED_BY(mutex_) = 0;  // for WaitForPosted
};

}  // namespace predictwire::transport::testing

#endif  // PREDICTWIRE_TRANSPORT_COMMON_FAKE_CONNECTION_H_
