#include "transport/common/rest_router.h"

#include <fmt/format.h>

#include <vector>

#include "codec/json_writer.h"
#include "codec/predict_json.h"
#include "codec/v2_json.h"
#include "core/status.h"
#include "transport/common/limits.h"
#include "transport/common/rest_formats.h"
#include "transport/common/web_page.h"

namespace predictwire::transport {
namespace {

constexpr std::string_view kModelVersion = codec::kV2ModelVersion;
const std::string kModelVersions[] = {std::string(kModelVersion)};

constexpr std::string_view kRoutesText =
    "predictwire: ML predictions over every wire\n"
    "\n"
    "GET  /                             the browser page: ask a model, measure each wire\n"
    "GET  /predictwire.js               the JavaScript client (an ES module) for pages and Node\n"
    "GET  /routes                       this list\n"
    "GET  /models                       the models, as JSON: name, platform, features\n"
    "GET  /metrics                      Prometheus metrics (text exposition 0.0.4)\n"
    "POST /predict                      {\"model\"?: NAME, \"features\": [numbers]}\n"
    "GET  /ws                           WebSocket: JSON text or compact binary messages\n"
    "GET  /v2                           Open Inference Protocol v2 server metadata\n"
    "GET  /v2/health/live | /v2/health/ready\n"
    "GET  /v2/models/NAME               model metadata\n"
    "GET  /v2/models/NAME/ready\n"
    "POST /v2/models/NAME/infer         v2 inference request\n"
    "\n"
    "See docs/api.md for the payloads.\n";

constexpr std::string_view kGet = "GET, HEAD";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes in one path segment; a malformed escape is kept as written.
std::string PercentDecode(std::string_view segment) {
  std::string decoded;
  decoded.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '%' && i + 2 < segment.size()) {
      const int high = HexValue(segment[i + 1]);
      const int low = HexValue(segment[i + 2]);
      if (high >= 0 && low >= 0) {
        decoded.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    decoded.push_back(segment[i]);
  }
  return decoded;
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    if (slash != 0) segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

RestReply EmptyReply(int status) {
  RestReply reply;
  reply.status = status;
  reply.content_type = "text/plain";
  return reply;
}

// The answer to a method the route at `path` does not take (it takes `allow`): 405, or for
// OPTIONS 204 with the route's methods (RFC 9110 section 9.3.7), which Handle turns into a CORS
// preflight's answer for an allowed origin.
RestReply WrongMethod(std::string_view method, std::string_view path, std::string_view allow) {
  if (method == "OPTIONS") {
    RestReply options = EmptyReply(204);
    options.allow = allow;
    return options;
  }
  RestReply reply = RestRouter::ErrorReply(
      405, fmt::format("{} is not allowed on {}; use {}", method, path, allow));
  reply.allow = allow;
  return reply;
}

// The page at /: served with the headers that make it cross-origin isolated, which gives its
// measurements a 5 µs clock instead of a 100 µs one (in a secure context: HTTPS or loopback).
RestReply PageReply() {
  RestReply page;
  page.content_type = "text/html; charset=utf-8";
  page.body = std::string(WebPage());
  page.headers.push_back({"cross-origin-opener-policy", "same-origin"});
  page.headers.push_back({"cross-origin-embedder-policy", "require-corp"});
  page.headers.push_back({"cache-control", "no-cache"});
  return page;
}

// Whether an If-None-Match value names `etag` (a quoted entity tag) or is "*": RFC 9110 section
// 13.1.2, by weak comparison (a W/ prefix does not matter).
bool IfNoneMatchNames(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    header.remove_prefix(comma == std::string_view::npos ? header.size() : comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

// GET /predictwire.js: the JavaScript client, with an ETag (its version, quoted) and a 304 for a
// browser that has it already. A request naming the current version (?v=VERSION, as the page
// imports it) may be cached for a year unchanged; the bare URL for a day, then revalidated.
RestReply ClientModuleReply(std::string_view query, std::string_view if_none_match) {
  static const std::string etag = fmt::format("\"{}\"", ClientModuleVersion());
  static const std::string versioned_query = fmt::format("v={}", ClientModuleVersion());
  RestReply module;
  module.content_type = "text/javascript; charset=utf-8";
  const bool versioned = query == versioned_query;
  module.headers.push_back({"cache-control", versioned ? "public, max-age=31536000, immutable"
                                                       : "public, max-age=86400"});
  module.headers.push_back({"etag", etag});
  if (!if_none_match.empty() && IfNoneMatchNames(if_none_match, etag)) {
    module.status = 304;
    return module;
  }
  module.body = std::string(ClientModule());
  return module;
}

// GET /models: {"default": NAME, "models": [{"name", "platform", "features"}]}, features -1
// for a model that takes any number.
RestReply ModelsReply(const ModelRegistry& registry) {
  RestReply list;
  std::string& out = list.body;
  out += "{\"default\":";
  codec::AppendJsonString(registry.default_model().name(), &out);
  out += ",\"models\":[";
  for (const auto& model : registry.models()) {
    if (out.back() != '[') out += ',';
    const BackendInfo& info = model->info();
    out += "{\"name\":";
    codec::AppendJsonString(model->name(), &out);
    out += ",\"platform\":";
    codec::AppendJsonString(info.platform, &out);
    out += ",\"features\":";
    codec::AppendJsonNumber(info.input.shape.size() == 2 ? info.input.shape[1] : int64_t{-1}, &out);
    out += '}';
  }
  out += "]}";
  return list;
}

}  // namespace

RestRouter::RestRouter(const Options& options, const ModelRegistry& registry, Scheduler& scheduler,
                       const std::atomic<bool>& ready)
    : options_(options),
      registry_(registry),
      http1_path_(registry, scheduler, options.metrics, RequestProtocol::kHttp1,
                  options.max_response_bytes),
      http2_path_(registry, scheduler, options.metrics, RequestProtocol::kHttp2,
                  options.max_response_bytes),
      ready_(ready) {}

int RestRouter::HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

RestReply RestRouter::ErrorReply(int http_status, std::string_view message) {
  RestReply reply;
  reply.status = http_status;
  codec::AppendErrorJson("", message, &reply.body);
  // 503 is what this server answers only for what passes (memory, a full queue, a drain): a
  // balancer may send the request elsewhere, and a client may send it again in a second.
  if (http_status == 503) reply.headers.push_back({"retry-after", "1"});
  return reply;
}

RestReply RestRouter::ErrorReply(const absl::Status& status) {
  return ErrorReply(HttpStatusFor(status), MessageOf(status));
}

RestReply RestRouter::BodyTooLargeReply(size_t max_body_bytes) {
  return ErrorReply(413, fmt::format("the request body exceeds the {}-byte limit", max_body_bytes));
}

RestReply RestRouter::HeaderTooLargeReply() {
  return ErrorReply(431, fmt::format("the request header exceeds {} bytes", kMaxHeaderBytes));
}

RestReply RestRouter::BodyRefusedForMemoryReply() {
  return ErrorReply(503, "the server is short of memory for this request's body; retry later");
}

void RestRouter::Handle(RestRequest request, RestReplyFunction reply) const {
  // Without an allowed Origin (every non-browser client), nothing more than the route's work.
  if (request.origin.empty() || !options_.cors.Allows(request.origin)) {
    return Route(std::move(request), std::move(reply));
  }
  const bool preflight = request.method == "OPTIONS";
  std::string origin(request.origin);
  Route(std::move(request), [preflight, origin = std::move(origin),
                             reply = std::move(reply)](RestReply answer) mutable {
    if (preflight && answer.status == 204) {
      CorsPolicy::AppendPreflightHeaders(origin, answer.allow, &answer.headers);
    } else {
      CorsPolicy::AppendAnswerHeaders(origin, &answer.headers);
    }
    std::move(reply)(std::move(answer));
  });
}

void RestRouter::Route(RestRequest request, RestReplyFunction reply) const {
  const std::string_view target = request.target;
  const std::string_view path = target.substr(0, target.find('?'));
  const std::string_view method = request.method;
  const bool get = method == "GET" || method == "HEAD";

  if (path == "/predict") {
    if (method != "POST") return std::move(reply)(WrongMethod(method, path, "POST"));
    return Predict(std::move(request), std::move(reply));
  }
  if (path == kWebSocketPath) {
    RestReply upgrade =
        ErrorReply(426,
                   "/ws is a WebSocket endpoint: send GET with 'Upgrade: websocket' and "
                   "'Connection: Upgrade' (or use a WebSocket client)");
    upgrade.upgrade = "websocket";
    return std::move(reply)(std::move(upgrade));
  }
  if (path == "/") {
    if (!get) return std::move(reply)(WrongMethod(method, path, kGet));
    return std::move(reply)(PageReply());
  }
  if (path == "/predictwire.js") {
    if (!get) return std::move(reply)(WrongMethod(method, path, kGet));
    const size_t question = target.find('?');
    const std::string_view query =
        question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
    return std::move(reply)(ClientModuleReply(query, request.if_none_match));
  }
  if (path == "/routes") {
    if (!get) return std::move(reply)(WrongMethod(method, path, kGet));
    RestReply routes;
    routes.content_type = "text/plain; charset=utf-8";
    routes.body = std::string(kRoutesText);
    return std::move(reply)(std::move(routes));
  }
  if (path == "/models") {
    if (!get) return std::move(reply)(WrongMethod(method, path, kGet));
    return std::move(reply)(ModelsReply(registry_));
  }
  if (path == "/metrics" && options_.metrics != nullptr) {
    if (!get) return std::move(reply)(WrongMethod(method, path, kGet));
    RestReply metrics;
    metrics.content_type = "text/plain; version=0.0.4; charset=utf-8";
    metrics.body = options_.metrics->Render();
    return std::move(reply)(std::move(metrics));
  }
  if (path == "/v2" || path.starts_with("/v2/")) {
    return V2Route(method, path, std::move(request), std::move(reply));
  }
  std::move(reply)(ErrorReply(
      404, fmt::format("no route for {} {}; see GET /routes for the routes", method, path)));
}

void RestRouter::Predict(RestRequest request, RestReplyFunction reply) const {
  PathFor(request).RunOwned<RestPredictFormat>(
      std::move(request.body), [](std::string_view body) { return body; }, std::move(reply),
      {.cancelled = std::move(request.cancelled)});
}

void RestRouter::V2Route(std::string_view method, std::string_view path, RestRequest request,
                         RestReplyFunction reply) const {
  const bool get = method == "GET" || method == "HEAD";
  const std::vector<std::string_view> segments = SplitPath(path.substr(3));  // after "/v2"
  if (segments.empty()) {
    if (!get) return std::move(reply)(WrongMethod(method, path, kGet));
    RestReply metadata;
    static constexpr std::string_view kExtensions[] = {"binary_tensor_data"};
    codec::AppendV2ServerMetadata(options_.server_name, options_.server_version, kExtensions,
                                  &metadata.body);
    return std::move(reply)(std::move(metadata));
  }
  if (segments[0] == "health" && segments.size() == 2 &&
      (segments[1] == "live" || segments[1] == "ready")) {
    if (!get) return std::move(reply)(WrongMethod(method, path, kGet));
    const bool healthy = segments[1] == "live" || ready_.load(std::memory_order_relaxed);
    // The protocol answers health with the status alone: 200 for true, 4xx for false.
    return std::move(reply)(EmptyReply(healthy ? 200 : 400));
  }
  if (segments[0] != "models" || segments.size() < 2) {
    return std::move(reply)(ErrorReply(404, fmt::format("no route for {} {}", method, path)));
  }

  // /v2/models/NAME[/versions/VERSION][/ready|/infer]
  const std::string name = PercentDecode(segments[1]);
  size_t next = 2;
  if (segments.size() > next && segments[next] == "versions") {
    if (segments.size() == next + 1) {
      return std::move(reply)(ErrorReply(404, fmt::format("no route for {} {}", method, path)));
    }
    const std::string version = PercentDecode(segments[next + 1]);
    if (registry_.Find(name) != nullptr && version != kModelVersion) {
      return std::move(reply)(
          ErrorReply(404, fmt::format("model '{}' has no version '{}'; it has version {}", name,
                                      version, kModelVersion)));
    }
    next += 2;
  }
  const std::string_view action = segments.size() > next ? segments[next] : std::string_view();
  if (segments.size() > next + 1 || (!action.empty() && action != "ready" && action != "infer")) {
    return std::move(reply)(ErrorReply(404, fmt::format("no route for {} {}", method, path)));
  }
  // A preflight is answered for a model not loaded yet too: the request it clears then gets the
  // 404 the page can read.
  if (method == "OPTIONS") {
    return std::move(reply)(WrongMethod(method, path, action == "infer" ? "POST" : kGet));
  }
  const Model* model = registry_.Find(name);
  if (model == nullptr) return std::move(reply)(ErrorReply(registry_.Resolve(name).status()));

  if (action == "infer") {
    if (method != "POST") return std::move(reply)(WrongMethod(method, path, "POST"));
    return V2Infer(*model, std::move(request), std::move(reply));
  }
  if (!get) return std::move(reply)(WrongMethod(method, path, kGet));
  if (action == "ready") {
    return std::move(reply)(EmptyReply(ready_.load(std::memory_order_relaxed) ? 200 : 400));
  }
  RestReply metadata;
  codec::AppendV2ModelMetadata(model->name(), kModelVersions, model->info(), &metadata.body,
                               model->Properties());
  std::move(reply)(std::move(metadata));
}

void RestRouter::V2Infer(const Model& model, RestRequest request, RestReplyFunction reply) const {
  // The header's view may not outlive the request (an HTTP/2 stream), so it is copied: a few
  // digits, within std::string's inline buffer.
  PathFor(request).RunOwned<RestV2InferFormat>(
      std::move(request.body),
      [&model,
       header_length = std::string(request.inference_header_length)](std::string_view body) {
        return RestV2InferFormat::Input{model, body, header_length};
      },
      std::move(reply), {.cancelled = std::move(request.cancelled)});
}

}  // namespace predictwire::transport
