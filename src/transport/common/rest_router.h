#ifndef PREDICTWIRE_TRANSPORT_COMMON_REST_ROUTER_H_
#define PREDICTWIRE_TRANSPORT_COMMON_REST_ROUTER_H_

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "core/infer.h"
#include "core/model_registry.h"
#include "core/scheduler.h"
#include "transport/common/cors.h"
#include "transport/common/header_field.h"
#include "transport/common/inference_path.h"

namespace predictwire::transport {

// One HTTP request as any HTTP version delivers it.
struct RestRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view target;  // path, possibly with a query
  std::string body;
  // The Inference-Header-Content-Length header as sent (v2 binary tensor data extension: the
  // body's first N bytes are JSON, the rest raw tensors); empty when absent.
  std::string_view inference_header_length;
  // The Origin header as sent (browsers send it), empty when absent: CORS (cors.h).
  std::string_view origin;
  // The If-None-Match header as sent, empty when absent: a browser revalidating /predictwire.js.
  std::string_view if_none_match;
  // The HTTP version it came on, for the metrics.
  RequestProtocol protocol = RequestProtocol::kHttp1;
  // Set by the transport once the client has gone (reset stream, closed connection).
  CancelFlag cancelled = nullptr;
};

// The answer, before an HTTP version frames it.
struct RestReply {
  int status = 200;
  std::string_view content_type = "application/json";
  std::string body;
  std::optional<ServerTiming> timing;  // sent as a Server-Timing header
  std::string_view allow;              // for 405: the methods the path takes
  std::string_view upgrade;            // for 426: the protocol to upgrade to
  // v2 binary tensor data: the body's JSON part is this long, raw output bytes follow.
  std::optional<size_t> inference_header_length;
  // Further headers, in order (CORS, the page's isolation headers); empty for most replies.
  // At most kMaxHeaders.
  std::vector<HeaderField> headers;
  static constexpr size_t kMaxHeaders = 8;
};

using RestReplyFunction = absl::AnyInvocable<void(RestReply) &&>;

// The REST API, shared by every HTTP version: the seed's POST /predict and the Open Inference
// Protocol v2 routes (docs/api.md). Knows codecs and the core, nothing of sockets.
class RestRouter {
 public:
  struct Options {
    std::string server_name = "predictwire";
    std::string server_version;
    // The origins whose pages may read answers (serve --cors-origin); none by default.
    CorsPolicy cors;
    // Where requests are counted, and what GET /metrics shows; null: no /metrics. Must outlive
    // the router.
    Metrics* metrics = nullptr;
    // The largest answer (serve --max-response; see InferencePath).
    size_t max_response_bytes = SIZE_MAX;
  };

  // `registry`, `scheduler` and `ready` must outlive the router. `ready` is false while the
  // server starts and once it drains; /v2/health/ready reports it.
  RestRouter(const Options& options, const ModelRegistry& registry, Scheduler& scheduler,
             const std::atomic<bool>& ready);

  // Answers `request` by calling `reply` exactly once: before Handle returns for everything
  // but inference, and for inference on whichever thread the scheduler completes it. OPTIONS on
  // a route is answered 204 with its methods in Allow; when the request's Origin is allowed
  // (Options::cors) every answer carries the CORS headers, and an OPTIONS one a preflight's.
  void Handle(RestRequest request, RestReplyFunction reply) const;

  const CorsPolicy& cors() const { return options_.cors; }

  // The path WebSocket clients upgrade on; a plain request to it gets 426.
  static constexpr std::string_view kWebSocketPath = "/ws";

  // The one translation of a Status into an HTTP status code for every REST transport.
  static int HttpStatusFor(const absl::Status& status);
  // An error reply with body {"error": message}.
  static RestReply ErrorReply(int http_status, std::string_view message);
  static RestReply ErrorReply(const absl::Status& status);
  // The refusals every HTTP version makes before a request reaches Handle, worded once for all:
  // 413 for a body over `max_body_bytes`, 431 for a head over kMaxHeaderBytes (limits.h), 503
  // for a body the memory budget has no room for.
  static RestReply BodyTooLargeReply(size_t max_body_bytes);
  static RestReply HeaderTooLargeReply();
  static RestReply BodyRefusedForMemoryReply();

 private:
  // Handle without CORS: the answer the route gives.
  void Route(RestRequest request, RestReplyFunction reply) const;
  void Predict(RestRequest request, RestReplyFunction reply) const;
  void V2Infer(const Model& model, RestRequest request, RestReplyFunction reply) const;
  void V2Route(std::string_view method, std::string_view path, RestRequest request,
               RestReplyFunction reply) const;

  const Options options_;
  const ModelRegistry& registry_;
  // The inference path of each HTTP version (they count their requests apart).
  const InferencePath& PathFor(const RestRequest& request) const {
    return request.protocol == RequestProtocol::kHttp2 ? http2_path_ : http1_path_;
  }

  const InferencePath http1_path_;
  const InferencePath http2_path_;
  const std::atomic<bool>& ready_;
};

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_REST_ROUTER_H_
