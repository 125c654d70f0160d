#ifndef PREDICTWIRE_TRANSPORT_COMMON_CONNECTION_H_
#define PREDICTWIRE_TRANSPORT_COMMON_CONNECTION_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.h"
#include "transport/common/asio_types.h"
#include "transport/common/io_pool.h"
#include "transport/common/limits.h"
#include "transport/common/memory_budget.h"
#include "transport/common/protocol.h"
#include "transport/common/protocol_connection.h"
#include "transport/common/tls.h"

namespace predictwire::transport {

// One accepted TCP connection: owns the socket, a read buffer and an output buffer, and feeds
// input to the current Protocol. Lives on one IoThread; every member function must be called on
// that thread except those ProtocolConnection says any thread may call.
//
// Writes are coalesced: Write only appends, and the connection flushes once at the end of each
// event (a read, a posted completion, a sweep), so replies produced together leave in one send.
// Where a connection is counted: the server's metrics (null: nowhere) under its listener.
struct ConnectionCounters {
  Metrics* metrics = nullptr;
  ListenerKind kind = ListenerKind::kHttp;
};

// The deadlines every connection keeps (limits.h), checked by the IO thread's sweep, and the
// budget its unsent output is charged to (null: none).
struct ConnectionLimits {
  std::chrono::seconds header_timeout = kDefaultHeaderTimeout;
  std::chrono::seconds tls_handshake_timeout = kDefaultTlsHandshakeTimeout;
  std::chrono::seconds write_timeout = kDefaultWriteTimeout;
  // Past this age, give or take 10% drawn per connection so that connections opened together
  // do not all go together, the connection is asked to go (Protocol::OnGoAway), by the sweep:
  // up to a second later. Zero: never.
  std::chrono::seconds max_age{0};
  // How long a connection asked to go by its age may take to finish what it has.
  std::chrono::seconds max_age_grace = kDefaultMaxConnectionAgeGrace;
  MemoryBudget* memory = nullptr;
};

class Connection final : public ProtocolConnection,
                         public std::enable_shared_from_this<Connection> {
 public:
  // With `tls` (which must outlive the connection) the bytes on the socket are TLS records; the
  // protocol sees and writes plaintext either way. The connection and the bytes it reads and
  // writes on its socket are counted in `counters`.
  Connection(TcpSocket socket, IoThread& thread, const TlsContext* tls = nullptr,
             ConnectionCounters counters = {}, ConnectionLimits limits = {});
  ~Connection() override;

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Registers with the IO thread and starts reading into `protocol`.
  void Start(std::unique_ptr<Protocol> protocol);

  // ProtocolConnection.
  void SwitchProtocol(std::unique_ptr<Protocol> protocol) override;
  void Write(std::string_view bytes) override;
  std::string& output() override { return output_next_; }
  void PauseInput() override;
  void ResumeInput() override;
  // Closing sends what is queued, closes the sending side and, after a short linger, the socket.
  void CloseAfterWrite() override;
  void Close() override;
  bool closing() const override { return close_after_write_ || closed_; }
  std::shared_ptr<ProtocolConnection> KeepAlive() override { return shared_from_this(); }

  bool closed() const { return closed_; }

  // Called by the IO thread's sweep: closes the connection if it has been idle too long (no
  // input and no output), if its TLS handshake or a request head is overdue, if its output has
  // stalled or if a ping went unanswered; pings it when quiet, asks it to go past its maximum
  // age and ends what is left once the grace is over; and lets go of buffers grown for large
  // messages once it has been quiet for a sweep interval.
  void SweepIfIdle(uint64_t tick);
  // Asks the connection to go (the server drains): what is in flight has `grace` to finish.
  void Drain(std::chrono::seconds grace);
  // The server's readiness changed (Protocol::OnReadinessChanged).
  void NotifyReadinessChanged();

  // Since which sweep tick the connection has awaited a request head (as the sweep last saw),
  // or none; and how many bytes it has sent in all. What chooses a connection to make room.
  std::optional<uint64_t> awaiting_head_since() const {
    return head_since_tick_ == kNotAwaiting ? std::nullopt : std::optional(head_since_tick_);
  }
  uint64_t bytes_received() const { return bytes_received_; }
  // Closes the connection to make room for another (counted as kEvicted).
  void Evict() { Defend(ConnectionDefence::kEvicted); }

 private:
  void StartRead();
  void OnRead(const ErrorCode& error, size_t bytes);
  // A quiet connection waits for its socket to be readable, then reads into its IO thread's
  // buffer (connection.cc) and hands the bytes to OnRead.
  void WaitReadable();
  void GiveBackSmallInput();
  void OnReadable(const ErrorCode& error);
  // Bytes an idle read brought (into small_input_ or the IO thread's buffer): handled from there
  // when they are the whole of what was waiting, else moved into a read buffer of its own.
  void OnIdleRead(size_t bytes);
  void DeliverInput();
  // Offers [data, data + size) to the protocol until it takes no more; returns what it took.
  size_t Deliver(char* data, size_t size);
  // After a quiet sweep interval: gives back the read and write buffers (and TLS's), the
  // protocol's idle memory and the protocols retired by a switch, unless a message is half
  // read. True when nothing is left to give back (no write or read still holds a buffer).
  bool ReleaseIdleBuffers();
  void EnsureReadSpace();
  void Flush();
  void WriteSome();
  // Ends the connection for `defence`, counted.
  void Defend(ConnectionDefence defence);
  // Asks the protocol to go (Protocol::OnGoAway) unless it was asked already; what is left is
  // ended `grace` later.
  void GoAway(GoAwayReason reason, std::chrono::seconds grace);
  // The sweep's keepalive: a ping when the connection has been quiet for the protocol's ping
  // interval, and the end when a ping goes a whole interval unanswered. False if it closed.
  bool KeepAlive(uint64_t tick);
  void OnWritten(const ErrorCode& error, size_t bytes);
  // TLS: decrypts what `bytes` of ciphertext yield into the input buffer; false if the
  // connection failed or closed meanwhile.
  bool DecryptInput(const char* ciphertext, size_t bytes);
  // TLS: turns the queued plaintext (and any handshake or close_notify) into ciphertext.
  void SealOutput();
  // A plain-text request on a TLS port gets a plain-text answer saying so, then the close.
  void RefusePlaintext();
  void ShutdownSend();
  // Whether the socket holds no input not yet read (closing it then sends FIN, not RST).
  bool NothingUnread();
  // Flushes and applies state changes after any event that may have produced output.
  void AfterEvent();
  // ProtocolConnection's hop back to this thread.
  bool OnIoThread() const override;
  void Post(CompletionTask&& function) override;

  TcpSocket socket_;
  IoThread& thread_;
  const ConnectionCounters counters_;
  const ConnectionLimits limits_;
  std::unique_ptr<Protocol> protocol_;
  std::vector<std::unique_ptr<Protocol>> retired_protocols_;

  std::unique_ptr<TlsEngine> tls_;  // null for plain TCP
  std::vector<char> ciphertext_input_;
  bool tls_first_read_ = true;
  bool tls_shutdown_sent_ = false;

  std::vector<char> input_;     // the read buffer, none while idle (plaintext over TLS)
  size_t input_begin_ = 0;      // first unconsumed byte
  size_t input_end_ = 0;        // one past the last byte read
  std::string output_next_;     // queued, not yet handed to the socket
  std::string output_writing_;  // being written
  size_t output_written_ = 0;   // of output_writing_, by the writes so far
  MemoryCharge output_charge_;  // output_writing_'s bytes against the memory budget

  uint64_t last_input_tick_ = 0;
  uint64_t bytes_received_ = 0;
  uint64_t last_output_tick_ = 0;  // when output last moved (or began to wait)
  // The input and output ticks of the quiet spell whose buffers were all given back.
  uint64_t released_after_input_ = UINT64_MAX;
  uint64_t released_after_output_ = UINT64_MAX;
  uint64_t start_tick_ = 0;
  // Since when a request head has been awaited; kNotAwaiting while none is.
  static constexpr uint64_t kNotAwaiting = ~uint64_t{0};
  uint64_t head_since_tick_ = kNotAwaiting;
  bool release_input_ = false;     // a read was cancelled to release its large buffer
  uint64_t close_tick_ = 0;        // when CloseAfterWrite was called
  uint64_t age_limit_ticks_ = 0;   // the maximum age drawn for this connection; 0: none
  uint64_t grace_end_tick_ = 0;    // once asked to go: when what is left is ended
  uint64_t ping_sent_tick_ = 0;    // when the unanswered ping went; 0: none outstanding
  bool going_away_ = false;        // asked to go (Protocol::OnGoAway)
  bool input_since_ping_ = false;  // input arrived since the last ping went
  bool grace_over_ = false;        // Protocol::OnGraceOver was called
  bool reading_ = false;
  bool reading_idle_ = false;   // the read pending is a few bytes' (into small_input_, or none)
  bool idle_into_own_ = false;  // ... into small_input_; else a readiness wait (OnReadable)
  // An active connection's few bytes of idle input (kIdleReadBytes, from its IO thread's
  // SmallBufferPool); none once it is quiet. Given back on the IO thread only.
  char* small_input_ = nullptr;
  bool writing_ = false;
  bool input_paused_ = false;       // by the protocol
  bool output_backlogged_ = false;  // reading stopped because too much output is queued
  bool delivering_ = false;         // inside DeliverInput
  bool peer_closed_ = false;        // the peer sent EOF
  bool close_after_write_ = false;
  bool send_shut_ = false;
  bool closed_ = false;
  bool draining_ = false;  // the server is stopping
};

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_CONNECTION_H_
