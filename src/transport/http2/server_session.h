#ifndef PREDICTWIRE_TRANSPORT_HTTP2_SERVER_SESSION_H_
#define PREDICTWIRE_TRANSPORT_HTTP2_SERVER_SESSION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "transport/common/limits.h"
#include "transport/common/rest_router.h"

struct nghttp2_session;  // nghttp2 stays out of this header

namespace predictwire::transport::http2 {

// The server side of one HTTP/2 connection, bytes in and bytes out, with no socket: nghttp2 does
// the framing, HPACK and flow control; this class turns each stream into one RestRequest and
// each RestReply into a response on its stream. Streams are independent: replies may come in any
// order. Not thread-safe; the owner calls it from one thread.
class ServerSession {
 public:
  struct Options {
    size_t max_body_bytes = kDefaultMaxBodyBytes;  // per stream; more is answered 413
  };

  // Receives each complete request; must eventually call Reply(stream_id, ...) exactly once,
  // possibly from inside the call. `request`'s views are valid only during the call.
  using RequestHandler = absl::AnyInvocable<void(int32_t stream_id, RestRequest request)>;

  // Makes a session that has queued its SETTINGS (see limits.h) for the first Send.
  static absl::StatusOr<std::unique_ptr<ServerSession>> Create(const Options& options,
                                                               RequestHandler on_request);
  ~ServerSession();

  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  // Consumes all of `data` (starting with the client preface). Returns false when the input was
  // not acceptable HTTP/2 and the connection must close after sending what Send produces (a
  // GOAWAY where the protocol allows one).
  bool Receive(const char* data, size_t size);

  // Answers `stream_id`. A stream the client has reset meanwhile is ignored, as is a second
  // reply; the reply's bytes are produced by Send, flow control permitting.
  void Reply(int32_t stream_id, RestReply reply);

  // Appends every frame that may be sent now to `out`.
  void Send(std::string* out);

  // Starts a graceful close: GOAWAY with the last stream received, so streams already open are
  // answered and new ones refused. Finished() becomes true once they are done.
  void Shutdown();

  // True when the session neither expects input nor has output: the connection may close.
  bool Finished() const;

  // Requests handed to the handler and not yet replied to.
  size_t requests_in_flight() const { return requests_in_flight_; }

 private:
  struct Stream;
  class Callbacks;

  ServerSession(const Options& options, RequestHandler on_request);
  // The request on `stream` is complete: hand it to the handler, or answer an error.
  void Dispatch(int32_t stream_id, Stream& stream);
  // Forgets a stream nghttp2 has closed (answered or reset).
  void Forget(int32_t stream_id);

  const Options options_;
  RequestHandler on_request_;
  nghttp2_session* session_ = nullptr;  // owned
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams_;
  size_t requests_in_flight_ = 0;
  size_t buffered_body_bytes_ = 0;  // over every open stream
  bool failed_ = false;             // a callback asked for the connection to end
};

}  // namespace predictwire::transport::http2

#endif  // PREDICTWIRE_TRANSPORT_HTTP2_SERVER_SESSION_H_
