#include "loadgen/client/client_tls.h"

namespace predictwire::loadgen {

std::unique_ptr<transport::TlsEngine> StartClientHandshake(TlsClient& client) {
  std::unique_ptr<transport::TlsEngine> engine = transport::TlsEngine::Create(
      *client.context, client.resume ? client.session : transport::TlsSession());
  if (!engine || !engine->Handshake().ok()) return nullptr;
  return engine;
}

absl::StatusOr<bool> ContinueClientHandshake(transport::TlsEngine& engine, TlsClient& client) {
  absl::StatusOr<bool> done = engine.Handshake();
  if (done.ok() && *done) {
    ++(engine.resumed() ? client.resumed_handshakes : client.full_handshakes);
  }
  return done;
}

void KeepSessionForResumption(const transport::TlsEngine& engine, TlsClient& client) {
  if (!client.resume || !engine.handshake_done()) return;
  transport::TlsSession session = engine.session();
  if (!session.empty()) client.session = std::move(session);
}

}  // namespace predictwire::loadgen
