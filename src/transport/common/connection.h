#ifndef PREDICTWIRE_TRANSPORT_COMMON_CONNECTION_H_
#define PREDICTWIRE_TRANSPORT_COMMON_CONNECTION_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.h"
#include "transport/common/asio_types.h"
#include "transport/common/io_pool.h"
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

class Connection final : public ProtocolConnection,
                         public std::enable_shared_from_this<Connection> {
 public:
  // With `tls` (which must outlive the connection) the bytes on the socket are TLS records; the
  // protocol sees and writes plaintext either way. The connection and the bytes it reads and
  // writes on its socket are counted in `counters`.
  Connection(TcpSocket socket, IoThread& thread, const TlsContext* tls = nullptr,
             ConnectionCounters counters = {});
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

  // Called by the IO thread's sweep: closes the connection if it has been idle too long, and
  // lets go of buffers grown for large messages once it has been quiet for a sweep interval.
  void SweepIfIdle(uint64_t tick);
  // Called when the server drains.
  void Drain();

 private:
  void StartRead();
  void OnRead(const ErrorCode& error, size_t bytes);
  void DeliverInput();
  void ReleaseLargeBuffers();
  void EnsureReadSpace();
  void Flush();
  void OnWritten(const ErrorCode& error, size_t bytes);
  // TLS: decrypts what `bytes` of ciphertext yield into the input buffer; false if the
  // connection failed or closed meanwhile.
  bool DecryptInput(size_t bytes);
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
  std::unique_ptr<Protocol> protocol_;
  std::vector<std::unique_ptr<Protocol>> retired_protocols_;

  std::unique_ptr<TlsEngine> tls_;  // null for plain TCP
  std::vector<char> ciphertext_input_;
  bool tls_first_read_ = true;
  bool tls_shutdown_sent_ = false;

  std::vector<char> input_;
  size_t input_begin_ = 0;      // first unconsumed byte
  size_t input_end_ = 0;        // one past the last byte read
  std::string output_next_;     // queued, not yet handed to the socket
  std::string output_writing_;  // being written

  uint64_t last_input_tick_ = 0;
  bool release_input_ = false;  // a read was cancelled to release its large buffer
  uint64_t close_tick_ = 0;     // when CloseAfterWrite was called
  bool reading_ = false;
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
