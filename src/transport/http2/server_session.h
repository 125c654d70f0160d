#ifndef PREDICTWIRE_TRANSPORT_HTTP2_SERVER_SESSION_H_
#define PREDICTWIRE_TRANSPORT_HTTP2_SERVER_SESSION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "transport/common/limits.h"
#include "transport/common/memory_budget.h"
#include "transport/common/rest_router.h"

struct nghttp2_session;  // nghttp2 stays out of this header

namespace predictwire::transport::http2 {

// The headers of a gRPC call (a stream whose content-type is application/grpc...).
struct GrpcCallHeaders {
  std::string_view path;          // "/inference.GRPCInferenceService/ModelInfer"
  std::string_view encoding;      // grpc-encoding: how request messages are compressed
  std::string_view timeout;       // grpc-timeout, e.g. "100m"; empty: none
  std::string_view content_type;  // "application/grpc", "application/grpc+proto"
};

class ServerSession;

// What happens to gRPC calls, as it happens: they are not buffered into a RestRequest, since a
// streaming call's messages must be answered while its request stream is still open.
class GrpcCallHandler {
 public:
  virtual ~GrpcCallHandler() = default;
  // A call's headers arrived; `headers`' views are valid only during the call.
  virtual void OnCallBegin(int32_t stream_id, const GrpcCallHeaders& headers) = 0;
  // Bytes of the call's request stream: length-prefixed messages, split anywhere.
  virtual void OnCallData(int32_t stream_id, std::string_view bytes) = 0;
  // The client has sent its last message.
  virtual void OnCallHalfClosed(int32_t stream_id) = 0;
  // The stream is gone: finished, or reset by the client (`reset`). Nothing more may be sent.
  virtual void OnCallClosed(int32_t stream_id, bool reset) = 0;

  // The session whose calls these are; set once, before any input.
  virtual void Attach(ServerSession* session) = 0;
  // The connection is asked to go (its GOAWAY is queued): calls already open carry on, and no
  // new call will come.
  virtual void GoAway() = 0;
  // The grace is over: every call not yet finished ends UNAVAILABLE.
  virtual void EndCalls() = 0;
  // Whether the server reports ready has changed: health watchers are told.
  virtual void OnReadinessChanged() {}
  // The connection is idle (the session is handing back its own memory): drop what the calls
  // that have ended left allocated.
  virtual void ReleaseIdleMemory() {}
  // Calls not yet finished: an open call is work in progress.
  virtual size_t open_calls() const = 0;
};

// The server side of one HTTP/2 connection, bytes in and bytes out, with no socket: nghttp2 does
// the framing, HPACK and flow control; this class turns each stream into one RestRequest and
// each RestReply into a response on its stream, or, for a gRPC call, hands its events to a
// GrpcCallHandler and sends its messages and trailers. Streams are independent: replies may come
// in any order. Not thread-safe; the owner calls it from one thread.
class ServerSession {
 public:
  struct Options {
    size_t max_body_bytes = kDefaultMaxBodyBytes;  // per stream; more is answered 413
    // Counts refused streams and connections ended for errors, if set; outlives the session.
    Metrics* metrics = nullptr;
    // Large request bodies (until answered) and reply bodies (until sent) are charged here; a
    // body the budget has no room for is answered 503. Null: no budget.
    MemoryBudget* memory = nullptr;
  };

  // Receives each complete request; must eventually call Reply(stream_id, ...) exactly once,
  // possibly from inside the call. `request`'s views are valid only during the call.
  using RequestHandler = absl::AnyInvocable<void(int32_t stream_id, RestRequest request)>;

  // Makes a session that has queued its SETTINGS (see limits.h) for the first Send. gRPC calls
  // go to `grpc` when given (it must outlive the session), else are answered UNIMPLEMENTED.
  static absl::StatusOr<std::unique_ptr<ServerSession>> Create(const Options& options,
                                                               RequestHandler on_request,
                                                               GrpcCallHandler* grpc = nullptr);
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

  // gRPC: sends `framed` (whole length-prefixed messages) on the call, after the response
  // headers the first time. Ignored once the call is finished or gone.
  void GrpcWrite(int32_t stream_id, std::string_view framed);
  // gRPC: the handler has taken `bytes` more of the call's request stream, which reopens the
  // stream's flow-control window by as much (the handler's input is otherwise held back).
  void GrpcConsumed(int32_t stream_id, size_t bytes);
  // gRPC: ends the call with canonical status `code` and `message` (percent-encoded here) in
  // its trailers, after what was written; a call nothing was written on gets a trailers-only
  // response. Ignored for a call already finished or gone.
  void GrpcFinish(int32_t stream_id, int code, std::string_view message);

  // Appends every frame that may be sent now to `out`.
  void Send(std::string* out);

  // Starts a graceful close: GOAWAY with the last stream received, so streams already open are
  // answered and new ones refused. Finished() becomes true once they are done.
  void Shutdown();

  // True when the session neither expects input nor has output: the connection may close.
  bool Finished() const;

  // Whether the client's first SETTINGS (after its preface) has arrived.
  bool client_settings_received() const { return client_settings_received_; }
  // Whether a head is incomplete: the preface and SETTINGS, or a stream's header block (a
  // HEADERS frame whose CONTINUATIONs have not all come).
  bool AwaitingRequestHead() const;
  // Whether some reply or gRPC message waits for the client to open a flow-control window.
  bool HasParkedOutput() const;
  // The flag a request of `stream_id` carries into the scheduler: set once the stream closes
  // or CancelAll is called. Null for a stream the session does not know.
  CancelFlag CancelFlagOf(int32_t stream_id) const;
  // The connection is gone: every open stream's requests still queued are dropped.
  void CancelAll();

  // Requests handed to the handler and not yet replied to.
  size_t requests_in_flight() const { return requests_in_flight_; }
  // Streams open (REST requests and gRPC calls alike).
  size_t open_streams() const { return streams_.size(); }
  // Queues a PING; the client's acknowledgement arrives as input.
  void SendPing();
  // With nothing to send, hands the pages of nghttp2's 16 KiB frame buffer back to the system
  // (it holds no data between frames; the pages come back, zeroed, when the next frame is
  // written), and with no stream open the page of its stream map's table (all empty buckets,
  // zeros). Most of an idle session's memory.
  void ReleaseIdleMemory();
  // Bytes of the frame buffer resident for this session's own pages, as mincore says (tests).
  size_t frame_buffer_resident_bytes() const;
  // The same for nghttp2's stream map table, handed back too while no stream is open.
  size_t stream_table_resident_bytes() const;

 private:
  struct Stream;
  class Callbacks;
  struct FrameBufferMemory;
  // A block of nghttp2's on pages of its own (mmap), so that its pages can be handed back.
  struct PagedBlock {
    void* pages = nullptr;
    size_t mapped = 0;
  };
  static size_t ResidentBytes(const PagedBlock& block);

  ServerSession(const Options& options, RequestHandler on_request, GrpcCallHandler* grpc);
  // Submits the response headers of a gRPC call, with its message stream as their body.
  void StartGrpcResponse(int32_t stream_id, Stream& stream);
  // The request on `stream` is complete: hand it to the handler, or answer an error.
  void Dispatch(int32_t stream_id, Stream& stream);
  // A HEADERS or DATA frame of a gRPC call arrived.
  void OnGrpcFrame(int32_t stream_id, Stream& stream, uint8_t frame_type, bool end_stream);
  // Forgets a stream nghttp2 has closed (answered or reset).
  void Forget(int32_t stream_id);
  void Count(ProtocolError error);
  // Rewrites SETTINGS_MAX_CONCURRENT_STREAMS in the server's first SETTINGS frame, at the start
  // of `preamble`, to kHttp2MaxConcurrentStreams; false if the frame is not there.
  static bool PatchAdvertisedStreamLimit(std::string* preamble);

  const Options options_;
  RequestHandler on_request_;
  GrpcCallHandler* const grpc_;
  nghttp2_session* session_ = nullptr;  // owned
  // nghttp2's allocations go through FrameBufferMemory (in the .cc): its frame buffer (the one
  // block of 16 KiB or more it allocates when the session is created) and its stream map's
  // table (the one calloc of a page or more then) get pages of their own, so that
  // ReleaseIdleMemory can give them back.
  PagedBlock frame_buffer_;
  PagedBlock stream_table_;
  bool creating_ = true;  // only blocks asked for while nghttp2 creates the session are these
  std::string preamble_;  // the server's first frames, as the client is to see them: Send
  // Shared: a request in the scheduler's queue holds its stream's cancel flag.
  std::unordered_map<int32_t, std::shared_ptr<Stream>> streams_;
  size_t requests_in_flight_ = 0;
  size_t buffered_body_bytes_ = 0;  // over every open stream
  bool failed_ = false;             // a callback asked for the connection to end
  bool client_settings_received_ = false;
};

}  // namespace predictwire::transport::http2

#endif  // PREDICTWIRE_TRANSPORT_HTTP2_SERVER_SESSION_H_
