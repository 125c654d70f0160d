#ifndef PREDICTWIRE_CORE_METRICS_H_
#define PREDICTWIRE_CORE_METRICS_H_

// What the server counts for /metrics (Prometheus text exposition 0.0.4): requests per protocol,
// model and outcome, where their time went, what is in flight and queued, connections and bytes
// per listener, batch sizes, and the process. Recording is a few relaxed atomic additions into
// the calling thread's own shard of every counter, so threads never share a cache line on the
// request path; a scrape adds the shards up.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/infer.h"

namespace predictwire {

// The protocol a request arrived on, as the server sees it.
enum class RequestProtocol : uint8_t { kHttp1, kHttp2, kWebSocket, kGrpc };
inline constexpr size_t kRequestProtocols = 4;
std::string_view RequestProtocolName(RequestProtocol protocol);

// Where connections arrive: one label per listener.
enum class ListenerKind : uint8_t { kHttp, kHttps, kGrpc, kGrpcs };
inline constexpr size_t kListenerKinds = 4;
std::string_view ListenerKindName(ListenerKind kind);

// Input a connection refused before it became a request: a request HTTP/1.1 could not frame
// (malformed, smuggling-shaped, a header or body over its limit, a refused WebSocket handshake),
// an HTTP/2 stream beyond the concurrency limit (REFUSED_STREAM), and a violation that ended
// the connection (WebSocket close 1002, 1007 or 1009; HTTP/2 GOAWAY with an error).
enum class ProtocolError : uint8_t { kMalformed, kRefusedStream, kViolation };
inline constexpr size_t kProtocolErrors = 3;
// Why the server ended a connection it did not want to keep (transport/common/limits.h).
enum class ConnectionDefence : uint8_t {
  kRefused,           // over --max-connections: closed as soon as accepted
  kHeaderTimeout,     // no whole request head within --header-timeout
  kHandshakeTimeout,  // no whole TLS handshake within --tls-handshake-timeout
  kWriteTimeout,      // output stalled for --write-timeout
  kPingTimeout,       // a keepalive ping went unanswered: the peer is gone
  kEvicted,           // at the connection or descriptor limit: the slowest request head made room
};
inline constexpr size_t kConnectionDefences = 6;
std::string_view ConnectionDefenceName(ConnectionDefence defence);

class Metrics {
 public:
  // Upper bounds of the latency histograms' buckets, in microseconds (exposed in seconds).
  static constexpr std::array<uint32_t, 18> kLatencyBucketsUs = {
      5,    10,    25,    50,    100,    250,    500,    1000,    2500,
      5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 5000000};
  // Upper bounds of the batch-size histogram's buckets, in rows.
  static constexpr std::array<uint32_t, 10> kBatchBuckets = {1,  2,  4,   8,   16,
                                                             32, 64, 128, 256, 1024};
  // Canonical status codes, OK to UNAUTHENTICATED.
  static constexpr size_t kCodes = 17;

  // `models` names the registry's models in index order (Model::index()).
  explicit Metrics(std::vector<std::string> models);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // A request began (it counts as in flight until RequestFinished).
  void RequestStarted(RequestProtocol protocol);
  // A request was answered with `code`: `model` is the model it named (nullptr when it named
  // none the server has), `timing` the model's queue and compute time when one ran, `total_us`
  // the server's whole time from decoding to the encoded answer.
  void RequestFinished(RequestProtocol protocol, const size_t* model, absl::StatusCode code,
                       const ServerTiming* timing, uint64_t total_us);
  // A backend call of `rows` rows for `model` (1 per request without batching).
  void RecordBatch(size_t model, size_t rows);
  // A request dropped from a queue because its deadline had passed.
  void RecordExpired(size_t model);
  // A request dropped from a queue because its client had gone.
  void RecordCancelled(size_t model);

  void ConnectionOpened(ListenerKind listener);
  void ConnectionClosed(ListenerKind listener);
  void BytesReceived(ListenerKind listener, uint64_t bytes);
  void BytesSent(ListenerKind listener, uint64_t bytes);
  void RecordProtocolError(RequestProtocol protocol, ProtocolError error);
  // A connection refused or cut off by one of the connection defences.
  void ConnectionDefended(ListenerKind listener, ConnectionDefence defence);

  // Gauges read when scraped: e.g. each model's queue depth, from the scheduler.
  struct Gauge {
    std::string name;
    std::string help;
    // (labels, value) pairs; labels as Prometheus writes them, e.g. model="m".
    std::function<std::vector<std::pair<std::string, double>>()> read;
    // "gauge", or "counter" for a total kept elsewhere (e.g. the memory budget's refusals).
    std::string type = "gauge";
  };
  void AddGauge(Gauge gauge);
  // `name="value"` with the value escaped as the exposition format wants, for a gauge's labels.
  static std::string Label(std::string_view name, std::string_view value);

  // The exposition, text format 0.0.4.
  std::string Render() const;

  // Sums for tests: requests finished for `protocol` (every model and outcome).
  uint64_t RequestsFinished(RequestProtocol protocol) const;

 private:
  struct Shard;
  Shard& Local();
  template <typename Read>
  uint64_t Sum(Read read) const;

  const std::vector<std::string> models_;
  const size_t model_slots_;  // models + 1: the last is "no such model"
  const uint64_t start_time_seconds_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<Gauge> gauges_;
};

}  // namespace predictwire

#endif  // PREDICTWIRE_CORE_METRICS_H_
