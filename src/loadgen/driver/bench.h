#ifndef PREDICTWIRE_LOADGEN_DRIVER_BENCH_H_
#define PREDICTWIRE_LOADGEN_DRIVER_BENCH_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/client/payload.h"
#include "loadgen/client/wire.h"
#include "loadgen/driver/arrival_schedule.h"
#include "loadgen/driver/backoff.h"
#include "loadgen/stats/histogram.h"

namespace predictwire::loadgen {

// One load on one wire: `predictwire bench`.
struct BenchOptions {
  // The wire, over TLS for a "+tls" name or an https://, wss:// or grpcs:// target.
  WireSpec wire;
  PayloadShape shape = PayloadShape::kPredict;
  // Empty: the wire's port on a `predictwire serve` on this machine with its default addresses
  // (ResolveOptions fills it in).
  std::string target_url;
  // TLS: offer the previous connection's session (resumption) or do a full handshake each time.
  bool tls_resume = true;
  // Over TLS, a PEM file of the CA (or self-signed certificate) the server's certificate must
  // chain to; empty: the certificate is not checked (a throwaway one is what benchmarks meet).
  std::string tls_ca_file;

  // Open loop when rate > 0: requests are due at scheduled times whatever the replies do, and
  // latency counts from the time a request was due. Otherwise closed loop: `concurrency`
  // requests outstanding, each sent when the previous one of its user came back (+ think).
  double rate = 0;
  Arrival arrival = Arrival::kConstant;
  int concurrency = 1;
  // Unset: open loop 1; closed loop enough for `concurrency` (ResolveOptions fills it in).
  std::optional<int> connections;
  int pipeline = 16;  // multiplexing wires: requests in flight per connection
  std::chrono::nanoseconds think{0};

  std::chrono::nanoseconds duration = std::chrono::seconds(10);
  std::optional<uint64_t> requests;  // set: stop after this many measured requests instead
  std::chrono::nanoseconds warmup = std::chrono::seconds(1);
  std::chrono::nanoseconds timeout = std::chrono::seconds(5);
  // When a connection goes away: reconnecting with backoff, and sending its requests again.
  ReconnectOptions reconnect;

  std::string model;  // empty: the server's default
  int features = PayloadOptions().features;
  int rows = 1;
  // The tcp wires: bytes each way of the raw exchange (PayloadOptions has the defaults).
  size_t echo_request_bytes = PayloadOptions().echo_request_bytes;
  size_t echo_reply_bytes = PayloadOptions().echo_reply_bytes;
  int threads = 1;
  uint64_t seed = 1;
  // A loopback target: connections take their source address round robin from 127.0.0.1 to
  // 127.0.0.N, so more of them reach one server port than one address's ephemeral ports allow
  // (about 28,000, fewer with earlier runs' sockets in TIME_WAIT). 0: one address for every
  // 5,000 connections.
  int source_addresses = 0;
  // Set: the server's process, whose resident memory (and the kernel's TCP memory) is read
  // before the connections open and after the run, while they are still open.
  std::optional<int> server_pid;
  // The measured requests are cut into this many batches, by the time they were due (by count
  // with --requests), and each batch's median latency kept: the observations the confidence
  // intervals of compare are made of (confidence.h).
  int batches = 4;
  // Set: the measured window is also cut into bins of this length by the time each request
  // ended (answered or failed), for a timeline (BenchResult::timeline); 0: none.
  std::chrono::nanoseconds timeline_bin{0};
  bool progress = true;  // a line a second on stderr
};

// One bin of a run's timeline (BenchOptions::timeline_bin): the measured requests that ended
// in it.
struct TimelineBin {
  uint64_t answered = 0;
  uint64_t errors = 0;
  std::vector<uint32_t> latencies_us;  // of those answered, in no order
};

// The server's memory while the run's connections were open (BenchOptions::server_pid).
struct ServerMemory {
  double rss_before = 0;  // bytes, before the connections opened
  double rss_after = 0;   // bytes, after the run, the connections still open
  // The kernel's TCP memory (the whole machine's, /proc/net/sockstat) at the same times; -1
  // when unreadable.
  double kernel_tcp_before = -1;
  double kernel_tcp_after = -1;
};

struct BenchResult {
  BenchOptions options;
  int connections = 0;  // as resolved
  // Persistent wires: from the start until every connection had opened once (zero when some
  // never did). Several threads: the last of theirs.
  std::chrono::nanoseconds all_open_after{0};
  std::optional<ServerMemory> server_memory;
  uint64_t requests = 0;                           // measured, answered successfully
  uint64_t errors = 0;                             // measured, failed
  std::map<std::string, uint64_t> errors_by_kind;  // lost, timeout, http_503, refused, ...
  // Connections that failed, or that the server ended other than in an orderly way
  // (IsOrderlyEnd), by kind: refused, reset, closed, connect_timeout, ws_close_1011, ...
  // Whole run, warm-up included.
  std::map<std::string, uint64_t> connection_errors;
  // Connections that went away and what became of their requests (BenchOptions::reconnect).
  // Reconnects: persistent connections opened again after they ended or their server said it
  // was going away (whole run); a rest request's own new connection is none.
  uint64_t reconnects = 0;
  // Measured requests: times one was sent again after its connection went away (or its server
  // refused it unprocessed); a request sent three times counts two.
  uint64_t resent = 0;
  // Measured requests never answered: timed out, or lost with their connection and not (or no
  // longer) sent again. Each is also one of `errors`.
  uint64_t lost = 0;
  // Answers to measured requests answered already: counted here, never twice in `requests`.
  uint64_t duplicates = 0;
  // The longest time in the measured window without any answer (a success or an error reply).
  // Several threads: the shortest of theirs, an upper bound of the time none had an answer;
  // rounds merged: the longest.
  std::chrono::nanoseconds longest_gap{0};
  double measured_seconds = 0;
  double throughput_rps = 0;
  Histogram latency;  // nanoseconds, from the due (intended) time to the reply
  Histogram server;   // queue + compute reported by the server
  Histogram network;  // latency minus server time: network and protocol
  Histogram connect;  // TCP connect (+ TLS and WebSocket handshakes) of each connection
  // The median latency of each batch (BenchOptions::batches) that had a request, µs; rounds of
  // the same load merged (MergeResults) add theirs.
  std::vector<double> batch_p50_us;
  uint64_t tls_full_handshakes = 0;
  uint64_t tls_resumed_handshakes = 0;
  // The client's CPU over the whole run, warm-up included, and the requests it finished in that
  // time (warm-up included, failures too): the client's cost per request is their ratio.
  double client_cpu_seconds = 0;
  uint64_t client_completions = 0;
  // When the measured window began (steady clock), to place events beside the timeline.
  std::chrono::steady_clock::time_point measure_start{};
  // With BenchOptions::timeline_bin: bin k holds what ended in [k, k + 1) bins after
  // measure_start; empty otherwise.
  std::vector<TimelineBin> timeline;
  double client_cpu_us_per_request() const {
    return client_completions > 0 ? client_cpu_seconds * 1e6 / client_completions : 0;
  }
};

// The most --max-resends allows.
inline constexpr int kMaxResends = 100;

// Validates `options` (clear messages for bad combinations) and fills in what depends on other
// options: the target URL, TLS from its scheme, the number of connections.
absl::Status ResolveOptions(BenchOptions* options);

// What every request of `options` carries.
PayloadOptions PayloadOf(const BenchOptions& options, const Target& target);

// Runs the load and returns the merged result. Fails only when the load cannot start (a bad
// target); errors during the run are counted in the result.
absl::StatusOr<BenchResult> RunBench(BenchOptions options);

// Runs several open-loop loads at once as one stream of arrivals dealt to them in turn, request
// by request (arrival 0 to the first load, 1 to the second, ...), so each sees the same machine
// state: every load's rate is its own share, and all must share the rate, arrival, duration and
// warm-up, with one thread each. The results come in the order of `options`; the client's CPU
// is shared out among them by requests.
absl::StatusOr<std::vector<BenchResult>> RunBenchTogether(std::vector<BenchOptions> options);

// Adds `part` (a later measurement of the same load) into `total`: counts, histograms and
// measured time add up, throughput is recomputed.
void MergeResults(const BenchResult& part, BenchResult* total);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_DRIVER_BENCH_H_
