#include "transport/common/tls.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>

namespace predictwire::transport {
namespace {

// OpenSSL's error queue as one line, emptied.
std::string OpenSslErrors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? "unknown TLS error" : text;
}

// ALPN's wire format: each name preceded by its length.
absl::StatusOr<std::string> AlpnWire(const std::vector<std::string>& names) {
  std::string wire;
  for (const std::string& name : names) {
    if (name.empty() || name.size() > 255) {
      return absl::InvalidArgumentError(fmt::format("bad ALPN protocol name '{}'", name));
    }
    wire += static_cast<char>(name.size());
    wire += name;
  }
  return wire;
}

// The server picks its most preferred protocol the client also offers; none in common carries on
// without ALPN (the client then speaks HTTP/1.1).
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_length,
               const unsigned char* offered, unsigned offered_length, void* argument) {
  const auto* ours = static_cast<const std::string*>(argument);
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(
          &selected, out_length, reinterpret_cast<const unsigned char*>(ours->data()),
          static_cast<unsigned>(ours->size()), offered, offered_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

TlsContext::TlsContext(SSL_CTX* context, bool server, std::string alpn_wire)
    : context_(context), server_(server), alpn_wire_(std::move(alpn_wire)) {
  if (server_) {
    SSL_CTX_set_alpn_select_cb(context_, SelectAlpn, const_cast<std::string*>(&alpn_wire_));
  } else if (!alpn_wire_.empty()) {
    SSL_CTX_set_alpn_protos(context_, reinterpret_cast<const unsigned char*>(alpn_wire_.data()),
                            static_cast<unsigned>(alpn_wire_.size()));
  }
}

TlsContext::~TlsContext() { SSL_CTX_free(context_); }

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::CreateServer(const ServerOptions& options) {
  absl::StatusOr<std::string> alpn = AlpnWire(options.alpn);
  if (!alpn.ok()) return alpn.status();
  ERR_clear_error();
  SSL_CTX* context = SSL_CTX_new(TLS_server_method());
  if (context == nullptr) return absl::InternalError("TLS: " + OpenSslErrors());
  std::unique_ptr<TlsContext> result(new TlsContext(context, true, *std::move(alpn)));
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Stateless TLS 1.3 tickets let clients resume; one per handshake is enough for them.
  SSL_CTX_set_num_tickets(context, 1);
  static constexpr unsigned char kSessionContext[] = "predictwire";
  SSL_CTX_set_session_id_context(context, kSessionContext, sizeof(kSessionContext) - 1);
  if (SSL_CTX_use_certificate_chain_file(context, options.certificate_file.c_str()) != 1) {
    return absl::InvalidArgumentError(fmt::format("cannot load the TLS certificate {}: {}",
                                                  options.certificate_file, OpenSslErrors()));
  }
  if (SSL_CTX_use_PrivateKey_file(context, options.private_key_file.c_str(), SSL_FILETYPE_PEM) !=
      1) {
    return absl::InvalidArgumentError(fmt::format("cannot load the TLS private key {}: {}",
                                                  options.private_key_file, OpenSslErrors()));
  }
  if (SSL_CTX_check_private_key(context) != 1) {
    return absl::InvalidArgumentError(
        fmt::format("the TLS private key {} does not match the certificate {}",
                    options.private_key_file, options.certificate_file));
  }
  return result;
}

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::CreateClient(const ClientOptions& options) {
  absl::StatusOr<std::string> alpn = AlpnWire(options.alpn);
  if (!alpn.ok()) return alpn.status();
  ERR_clear_error();
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  if (context == nullptr) return absl::InternalError("TLS: " + OpenSslErrors());
  std::unique_ptr<TlsContext> result(new TlsContext(context, false, *std::move(alpn)));
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  if (options.ca_file.empty()) {
    SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nullptr);
  } else {
    if (SSL_CTX_load_verify_locations(context, options.ca_file.c_str(), nullptr) != 1) {
      return absl::InvalidArgumentError(
          fmt::format("cannot load TLS CA file {}: {}", options.ca_file, OpenSslErrors()));
    }
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  }
  SSL_CTX_set_session_cache_mode(
      context, options.session_cache ? SSL_SESS_CACHE_CLIENT : SSL_SESS_CACHE_OFF);
  return result;
}

TlsSession::TlsSession(SSL_SESSION* session) : session_(session) {}

TlsSession::TlsSession(const TlsSession& other) : session_(other.session_) {
  if (session_ != nullptr) SSL_SESSION_up_ref(session_);
}

TlsSession& TlsSession::operator=(const TlsSession& other) {
  if (this != &other) {
    if (other.session_ != nullptr) SSL_SESSION_up_ref(other.session_);
    if (session_ != nullptr) SSL_SESSION_free(session_);
    session_ = other.session_;
  }
  return *this;
}

TlsSession::~TlsSession() {
  if (session_ != nullptr) SSL_SESSION_free(session_);
}

TlsEngine::TlsEngine(SSL* ssl) : ssl_(ssl) {}

TlsEngine::~TlsEngine() { SSL_free(ssl_); }  // frees both memory BIOs

std::unique_ptr<TlsEngine> TlsEngine::Create(const TlsContext& context, const TlsSession& session) {
  SSL* ssl = SSL_new(context.native());
  if (ssl == nullptr) return nullptr;
  SSL_set_bio(ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  if (context.is_server()) {
    SSL_set_accept_state(ssl);
  } else {
    if (!session.empty()) SSL_set_session(ssl, session.native());
    SSL_set_connect_state(ssl);
  }
  return std::unique_ptr<TlsEngine>(new TlsEngine(ssl));
}

absl::StatusOr<bool> TlsEngine::Handshake() {
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    if (!pending_plaintext_.empty()) {
      if (absl::Status flushed = FlushPending(); !flushed.ok()) return flushed;
    }
    return true;
  }
  const int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return false;
  return absl::DataLossError("TLS handshake: " + OpenSslErrors());
}

void TlsEngine::Feed(const char* data, size_t size) {
  if (size > 0) BIO_write(SSL_get_rbio(ssl_), data, static_cast<int>(size));
}

absl::StatusOr<size_t> TlsEngine::Decrypt(char* out, size_t capacity) {
  ERR_clear_error();
  const int n = SSL_read(ssl_, out, static_cast<int>(std::min<size_t>(capacity, INT32_MAX)));
  if (n > 0) {
    if (!pending_plaintext_.empty()) {
      if (absl::Status flushed = FlushPending(); !flushed.ok()) return flushed;
    }
    return static_cast<size_t>(n);
  }
  switch (SSL_get_error(ssl_, n)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      // The handshake may just have finished (a client's last flight, or a server's).
      if (SSL_is_init_finished(ssl_) && !pending_plaintext_.empty()) {
        if (absl::Status flushed = FlushPending(); !flushed.ok()) return flushed;
      }
      return 0;
    case SSL_ERROR_ZERO_RETURN:
      return absl::OutOfRangeError("the peer closed the TLS session");
    default:
      return absl::DataLossError("TLS: " + OpenSslErrors());
  }
}

absl::Status TlsEngine::Encrypt(std::string_view plaintext) {
  if (plaintext.empty()) return absl::OkStatus();
  pending_plaintext_.append(plaintext);
  if (!SSL_is_init_finished(ssl_)) {
    SSL_do_handshake(ssl_);  // a client's first write starts the handshake
    ERR_clear_error();
    return absl::OkStatus();
  }
  return FlushPending();
}

absl::Status TlsEngine::FlushPending() {
  ERR_clear_error();
  size_t written = 0;
  while (written < pending_plaintext_.size()) {
    const size_t chunk = std::min<size_t>(pending_plaintext_.size() - written, INT32_MAX);
    const int n = SSL_write(ssl_, pending_plaintext_.data() + written, static_cast<int>(chunk));
    if (n <= 0) {
      const int error = SSL_get_error(ssl_, n);
      pending_plaintext_.erase(0, written);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return absl::OkStatus();
      return absl::DataLossError("TLS: " + OpenSslErrors());
    }
    written += static_cast<size_t>(n);
  }
  pending_plaintext_.clear();
  return absl::OkStatus();
}

void TlsEngine::Shutdown() {
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

void TlsEngine::ReleaseBuffers() {
  SSL_free_buffers(ssl_);  // fails, harmlessly, while a record is half read or unsent
  // The memory BIOs keep the most they ever held (a handshake's certificates): swap an empty
  // one for a fresh one.
  BIO* read_bio = SSL_get_rbio(ssl_);
  BIO* write_bio = SSL_get_wbio(ssl_);
  if (BIO_ctrl_pending(read_bio) == 0 && BIO_ctrl_pending(write_bio) == 0) {
    BIO* fresh_read = BIO_new(BIO_s_mem());
    BIO* fresh_write = BIO_new(BIO_s_mem());
    if (fresh_read != nullptr && fresh_write != nullptr) {
      SSL_set_bio(ssl_, fresh_read, fresh_write);  // frees the old ones
    } else {
      BIO_free(fresh_read);
      BIO_free(fresh_write);
    }
  }
}

bool TlsEngine::TakeCiphertext(std::string* out) {
  BIO* const output = SSL_get_wbio(ssl_);
  const size_t pending = BIO_ctrl_pending(output);
  if (pending == 0) return false;
  const size_t offset = out->size();
  out->resize(offset + pending);
  const int n = BIO_read(output, out->data() + offset, static_cast<int>(pending));
  out->resize(offset + static_cast<size_t>(std::max(n, 0)));
  return n > 0;
}

bool TlsEngine::handshake_done() const { return SSL_is_init_finished(ssl_) == 1; }

bool TlsEngine::resumed() const { return SSL_session_reused(ssl_) == 1; }

std::string_view TlsEngine::alpn() const {
  const unsigned char* name = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(ssl_, &name, &length);
  return name == nullptr ? std::string_view()
                         : std::string_view(reinterpret_cast<const char*>(name), length);
}

TlsSession TlsEngine::session() const {
  SSL_SESSION* const current = SSL_get0_session(ssl_);
  if (current == nullptr || SSL_SESSION_is_resumable(current) != 1) return TlsSession();
  // A copy: OpenSSL marks the connection's own session unresumable when the connection is freed
  // without a TLS shutdown, which is how load generators often end connections.
  return TlsSession(SSL_SESSION_dup(current));
}

absl::Status WriteSelfSignedCertificate(const std::string& certificate_file,
                                        const std::string& private_key_file) {
  ERR_clear_error();
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> certificate(X509_new(), X509_free);
  if (!key || !certificate) return absl::InternalError("TLS: " + OpenSslErrors());
  X509* const x509 = certificate.get();
  X509_set_version(x509, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x509), 1);
  X509_gmtime_adj(X509_getm_notBefore(x509), -60);
  X509_gmtime_adj(X509_getm_notAfter(x509), 24 * 3600);
  X509_set_pubkey(x509, key.get());
  X509_NAME* const name = X509_get_subject_name(x509);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x509, name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, x509, x509, nullptr, nullptr, 0);
  X509_EXTENSION* const names = X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name,
                                                    "DNS:localhost,IP:127.0.0.1,IP:::1");
  if (names == nullptr || X509_add_ext(x509, names, -1) != 1) {
    X509_EXTENSION_free(names);
    return absl::InternalError("TLS: " + OpenSslErrors());
  }
  X509_EXTENSION_free(names);
  if (X509_sign(x509, key.get(), EVP_sha256()) == 0) {
    return absl::InternalError("TLS: " + OpenSslErrors());
  }
  auto write = [](const std::string& path, mode_t mode, auto&& writer) -> absl::Status {
    std::FILE* file = std::fopen(path.c_str(), "w");
    if (file == nullptr) return absl::InternalError(fmt::format("cannot write {}", path));
    chmod(path.c_str(), mode);
    const bool ok = writer(file) == 1;
    if (std::fclose(file) != 0 || !ok) {
      return absl::InternalError(fmt::format("cannot write {}", path));
    }
    return absl::OkStatus();
  };
  if (absl::Status status = write(private_key_file, 0600,
                                  [&](std::FILE* file) {
                                    return PEM_write_PrivateKey(file, key.get(), nullptr, nullptr,
                                                                0, nullptr, nullptr);
                                  });
      !status.ok()) {
    return status;
  }
  return write(certificate_file, 0644, [&](std::FILE* file) { return PEM_write_X509(file, x509); });
}

}  // namespace predictwire::transport
