#ifndef PREDICTWIRE_TRANSPORT_COMMON_TLS_H_
#define PREDICTWIRE_TRANSPORT_COMMON_TLS_H_

// TLS for every wire, server and client alike, as a filter between the socket and the protocol:
// ciphertext read from the socket goes in, plaintext comes out for the protocol, and the
// protocol's plaintext output comes back as ciphertext to write. Memory buffers rather than
// an Asio ssl::stream, so a connection keeps one read buffer, one output buffer and its
// coalesced writes whether or not it is encrypted. OpenSSL's headers stay in tls.cc.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

struct ssl_ctx_st;
struct ssl_st;
struct ssl_session_st;

namespace predictwire::transport {

// An OpenSSL context: certificate, key, protocol versions, ALPN. Shared by every connection of
// one listener (or one load generator); thread-safe once created.
class TlsContext {
 public:
  struct ServerOptions {
    std::string certificate_file;  // PEM, the certificate chain
    std::string private_key_file;  // PEM
    // Application protocols offered by ALPN, most preferred first ("h2", "http/1.1").
    std::vector<std::string> alpn = {"http/1.1"};
  };
  struct ClientOptions {
    // PEM file of trusted certificates; empty: the peer's certificate is not checked (a load
    // generator measuring a server with a throwaway certificate).
    std::string ca_file;
    std::vector<std::string> alpn = {"http/1.1"};
    // Keep sessions so that a new connection can resume one (TLS 1.3 tickets).
    bool session_cache = true;
  };

  static absl::StatusOr<std::unique_ptr<TlsContext>> CreateServer(const ServerOptions& options);
  static absl::StatusOr<std::unique_ptr<TlsContext>> CreateClient(const ClientOptions& options);
  ~TlsContext();

  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  ssl_ctx_st* native() const { return context_; }
  bool is_server() const { return server_; }

 private:
  TlsContext(ssl_ctx_st* context, bool server, std::string alpn_wire);

  ssl_ctx_st* const context_;
  const bool server_;
  const std::string alpn_wire_;  // ALPN list in wire format (length-prefixed names)
};

// A client-side session to resume on the next connection. Copyable handle; empty when none.
class TlsSession {
 public:
  TlsSession() = default;
  explicit TlsSession(ssl_session_st* session);  // takes one reference
  TlsSession(const TlsSession& other);
  TlsSession& operator=(const TlsSession& other);
  ~TlsSession();
  bool empty() const { return session_ == nullptr; }
  ssl_session_st* native() const { return session_; }

 private:
  ssl_session_st* session_ = nullptr;
};

// One TLS connection's state machine over memory buffers. Not thread-safe: used on the thread
// of the connection that owns it.
class TlsEngine {
 public:
  // `context` must outlive the engine. A client engine may resume `session`.
  static std::unique_ptr<TlsEngine> Create(const TlsContext& context,
                                           const TlsSession& session = {});
  ~TlsEngine();

  TlsEngine(const TlsEngine&) = delete;
  TlsEngine& operator=(const TlsEngine&) = delete;

  // Advances the handshake without reading application data (a client calls it once to send
  // its hello, then after each Feed until it returns true). DataLoss when the handshake failed.
  absl::StatusOr<bool> Handshake();

  // Ciphertext received from the peer.
  void Feed(const char* data, size_t size);

  // Advances the handshake and decrypts into [out, out + capacity). Returns the plaintext bytes
  // written (0: more ciphertext is needed, or the handshake is still going on), or an error:
  // OutOfRange when the peer sent close_notify, DataLoss for a TLS failure (bad record, failed
  // handshake, a client speaking plain text), with OpenSSL's reason in the message.
  absl::StatusOr<size_t> Decrypt(char* out, size_t capacity);

  // Plaintext to send. Before the handshake completes it is held and sent once it does.
  absl::Status Encrypt(std::string_view plaintext);

  // Queues close_notify.
  void Shutdown();

  // Gives back OpenSSL's record buffers (some 34 KiB) and the memory BIOs' storage while
  // nothing is pending in them; they are taken again for the next record. For a quiet
  // connection; harmless on a busy one, which keeps none of this.
  void ReleaseBuffers();

  // Moves every ciphertext byte waiting to be sent (handshake messages, records, alerts) to
  // the end of `out`. Returns whether there were any.
  bool TakeCiphertext(std::string* out);

  bool handshake_done() const;
  // Whether the handshake resumed a session rather than doing a full key exchange.
  bool resumed() const;
  // The protocol ALPN agreed on, empty if none.
  std::string_view alpn() const;
  // For a client: the session to offer on the next connection (empty until the server sent a
  // ticket, which TLS 1.3 does after the handshake).
  TlsSession session() const;

 private:
  explicit TlsEngine(ssl_st* ssl);
  absl::Status FlushPending();

  ssl_st* const ssl_;
  std::string pending_plaintext_;  // written before the handshake finished
};

// Writes a throwaway self-signed certificate (ECDSA P-256, for localhost, 127.0.0.1 and ::1,
// valid for a day) and its private key as PEM files, the key readable by the owner only. For
// tools and tests that need a TLS server for a moment, never for serving real clients.
absl::Status WriteSelfSignedCertificate(const std::string& certificate_file,
                                        const std::string& private_key_file);

// Whether `first_byte` of a connection can begin a TLS record (a handshake record); a plain-text
// HTTP request on a TLS port starts with a letter instead.
inline bool LooksLikeTls(char first_byte) { return first_byte == 0x16; }

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_TLS_H_
