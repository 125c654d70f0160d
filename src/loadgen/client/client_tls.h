#ifndef PREDICTWIRE_LOADGEN_CLIENT_CLIENT_TLS_H_
#define PREDICTWIRE_LOADGEN_CLIENT_CLIENT_TLS_H_

// The TLS steps every stream-based client wire shares (HTTP/1.1, WebSocket, HTTP/2): start a
// handshake offering the last session, advance it and count how it went, and keep the newest
// session for the next connection. Called on the connection's thread.

#include <memory>

#include "absl/status/statusor.h"
#include "loadgen/client/wire_connection.h"
#include "transport/common/tls.h"

namespace predictwire::loadgen {

// A client engine whose ClientHello is ready to send (TakeCiphertext), offering client's last
// session when it resumes; null when OpenSSL fails.
std::unique_ptr<transport::TlsEngine> StartClientHandshake(TlsClient& client);

// Advances the handshake after ciphertext was fed: true once it is done (then counted as full
// or resumed in `client`), false while it needs more, or an error.
absl::StatusOr<bool> ContinueClientHandshake(transport::TlsEngine& engine, TlsClient& client);

// Keeps the newest session `engine` received, for the next connection to resume.
void KeepSessionForResumption(const transport::TlsEngine& engine, TlsClient& client);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_CLIENT_CLIENT_TLS_H_
