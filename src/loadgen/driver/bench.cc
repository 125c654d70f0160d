#include "loadgen/driver/bench.h"

#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "loadgen/driver/load_driver.h"
#include "loadgen/stats/confidence.h"
#include "loadgen/stats/format.h"
#include "os/process_info.h"

namespace predictwire::loadgen {

namespace asio = transport::asio;
using Clock = std::chrono::steady_clock;

namespace {

double CpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// The median of each batch that has latencies, in µs (the upper median of an even count, as
// Histogram reports).
std::vector<double> BatchMedians(std::vector<std::vector<uint64_t>>& batches) {
  std::vector<double> medians;
  for (std::vector<uint64_t>& batch : batches) {
    if (batch.empty()) continue;
    const auto middle = batch.begin() + batch.size() / 2;
    std::nth_element(batch.begin(), middle, batch.end());
    medians.push_back(Microseconds(*middle));
  }
  return medians;
}

}  // namespace

// Files a bench keeps for itself beside its connections: standard streams, the event loops'
// descriptors, the files it writes.
constexpr uint64_t kSpareFiles = 64;
// Connections from one source address: Linux's default ephemeral port range (32768-60999)
// holds 28,232 ports, but the sockets earlier runs left in TIME_WAIT hold theirs for a minute,
// and connect() searches longer for a free port the fuller the range (18,000 connections from
// one address after a few such runs took over 5 s to open, and some not at all; from four, 1.9 s).
constexpr int kConnectionsPerSource = 5000;

absl::Status ResolveOptions(BenchOptions* options) {
  if (options->target_url.empty()) {
    absl::StatusOr<std::string> url = WireUrl(options->wire, DefaultServerAddresses());
    if (!url.ok()) return url.status();
    options->target_url = *url;
  }
  absl::StatusOr<Target> target = ParseTarget(options->target_url);
  if (!target.ok()) return target.status();
  if (target->tls) options->wire.tls = true;
  if (absl::Status fits = CheckTargetFits(options->wire, *target); !fits.ok()) return fits;
  if (options->rate < 0) return absl::InvalidArgumentError("--rate must be positive");
  if (options->concurrency < 1) return absl::InvalidArgumentError("--concurrency must be >= 1");
  if (options->threads < 1) return absl::InvalidArgumentError("--threads must be >= 1");
  if (absl::StatusOr<RequestBody> body =
          options->wire.wire->encode_body(PayloadOf(*options, *target));
      !body.ok()) {
    return body.status();
  }
  if (!options->tls_ca_file.empty() && !std::filesystem::exists(options->tls_ca_file)) {
    return absl::InvalidArgumentError(
        fmt::format("--tls-ca: there is no file '{}'", options->tls_ca_file));
  }
  if (options->duration.count() <= 0 && !options->requests) {
    return absl::InvalidArgumentError("give a --duration or a number of --requests");
  }
  if (options->requests && *options->requests == 0) {
    return absl::InvalidArgumentError("--requests must be >= 1");
  }
  if (options->timeout.count() <= 0) return absl::InvalidArgumentError("--timeout must be > 0");
  const ReconnectOptions& reconnect = options->reconnect;
  if (reconnect.initial.count() <= 0 || reconnect.max < reconnect.initial) {
    return absl::InvalidArgumentError(
        "--reconnect-initial must be > 0 and --reconnect-max at least as long");
  }
  if (!(reconnect.multiplier >= 1) || !(reconnect.jitter >= 0 && reconnect.jitter < 1)) {
    return absl::InvalidArgumentError(
        "--reconnect-multiplier must be >= 1 and --reconnect-jitter within [0, 1)");
  }
  if (reconnect.connect_timeout.count() <= 0) {
    return absl::InvalidArgumentError("--connect-timeout must be > 0");
  }
  if (reconnect.max_resends < 0 || reconnect.max_resends > kMaxResends) {
    return absl::InvalidArgumentError(fmt::format("--max-resends must be 0 to {}", kMaxResends));
  }
  if (options->batches < 1) return absl::InvalidArgumentError("batches must be >= 1");
  const int depth = options->wire.wire->Depth(options->pipeline);
  if (!options->connections) {
    options->connections = options->rate > 0 ? 1 : (options->concurrency + depth - 1) / depth;
  }
  if (*options->connections < 1) return absl::InvalidArgumentError("--connections must be >= 1");
  // Each connection is a file descriptor of this process: stop short of the limit, and say it.
  if (const std::optional<uint64_t> limit = os::OpenFileLimit();
      limit && !options->wire.wire->new_connection_per_request &&
      static_cast<uint64_t>(*options->connections) + kSpareFiles > *limit) {
    return absl::InvalidArgumentError(fmt::format(
        "--connections {}: each is an open file, and this process may have {} (RLIMIT_NOFILE, "
        "raised to its hard limit; `ulimit -Hn` as root raises that, where the system allows). "
        "Use at most {}, keeping {} for the rest",
        *options->connections, *limit, *limit > kSpareFiles ? *limit - kSpareFiles : 0,
        kSpareFiles));
  }
  if (options->source_addresses < 0 || options->source_addresses > 254) {
    return absl::InvalidArgumentError("--source-addresses must be 1 to 254 (0: automatic)");
  }
  if (options->source_addresses == 0) {
    options->source_addresses = 1 + (*options->connections - 1) / kConnectionsPerSource;
  }
  options->threads = std::min(options->threads, *options->connections);
  return absl::OkStatus();
}

PayloadOptions PayloadOf(const BenchOptions& options, const Target& target) {
  return PayloadOptions{.shape = options.shape,
                        .model = options.model,
                        .features = options.features,
                        .rows = options.rows,
                        .path = target.path,
                        .echo_request_bytes = options.echo_request_bytes,
                        .echo_reply_bytes = options.echo_reply_bytes};
}

namespace {

// One load made ready to run: its options resolved, its body, endpoint and TLS, and a driver
// per thread. Members the drivers point into live here, so it never moves once made.
struct PreparedBench {
  BenchOptions options;
  Target target;
  std::optional<RequestBody> body;
  std::unique_ptr<transport::TlsContext> tls;
  std::optional<LoadDriver::Destination> destination;
  std::vector<std::unique_ptr<LoadDriver>> drivers;
};

// `deal`: this load's place in a stream of arrivals dealt in turn to `deal.second` loads.
absl::StatusOr<std::unique_ptr<PreparedBench>> Prepare(BenchOptions options,
                                                       std::pair<int, int> deal = {0, 1}) {
  if (absl::Status status = ResolveOptions(&options); !status.ok()) return status;
  auto prepared = std::make_unique<PreparedBench>();
  prepared->options = options;
  prepared->target = *ParseTarget(options.target_url);
  const Target& target = prepared->target;
  const Wire& wire = *options.wire.wire;
  prepared->body.emplace(*wire.encode_body(PayloadOf(options, target)));

  asio::io_context resolver_context;
  asio::ip::tcp::resolver resolver(resolver_context);
  transport::ErrorCode error;
  const auto endpoints = resolver.resolve(target.host, std::to_string(target.port), error);
  if (error || endpoints.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("cannot resolve {}: {}", target.host, error.message()));
  }

  // One TLS context for every thread; each driver keeps its own session to resume.
  if (options.wire.tls) {
    absl::StatusOr<std::unique_ptr<transport::TlsContext>> created =
        transport::TlsContext::CreateClient({.ca_file = options.tls_ca_file,
                                             .alpn = {std::string(wire.route.alpn)},
                                             .session_cache = options.tls_resume});
    if (!created.ok()) return created.status();
    prepared->tls = *std::move(created);
  }
  prepared->destination.emplace(LoadDriver::Destination{.endpoint = endpoints.begin()->endpoint(),
                                                        .target = target,
                                                        .body = *prepared->body,
                                                        .tls = prepared->tls.get()});

  const int threads = options.threads;
  const int connections = *options.connections;
  const uint64_t requests = options.requests.value_or(0);
  for (int t = 0; t < threads; ++t) {
    LoadDriver::Share share;
    share.connections = connections / threads + (t < connections % threads);
    share.rate = options.rate / threads;
    share.users = options.concurrency / threads + (t < options.concurrency % threads);
    if (options.requests) {
      share.requests = requests / threads + (t < static_cast<int>(requests % threads));
    }
    share.seed = options.seed + t;
    share.deal_index = deal.first;
    share.deal_count = deal.second;
    prepared->drivers.push_back(
        std::make_unique<LoadDriver>(options, share, *prepared->destination));
  }
  return prepared;
}

// Runs every driver of every load from one start, on a thread each, printing progress a line a
// second when the (single) load asks for it.
void RunDrivers(std::vector<std::unique_ptr<PreparedBench>>& loads, Clock::time_point start) {
  // Timers fire within a microsecond of their time instead of the default 50 µs slack.
  prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
  std::vector<std::thread> workers;
  std::atomic<int> running{0};
  std::vector<LoadDriver*> drivers;
  for (auto& load : loads) {
    for (auto& driver : load->drivers) drivers.push_back(driver.get());
  }
  running = static_cast<int>(drivers.size());
  for (LoadDriver* driver : drivers) {
    workers.emplace_back([&running, driver, start] {
      driver->Run(start);
      running.fetch_sub(1);
    });
  }
  const BenchOptions& options = loads.front()->options;
  if (loads.size() == 1 && options.progress) {
    uint64_t last_done = 0;
    Clock::time_point last = Clock::now();
    while (running.load() > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const Clock::time_point now = Clock::now();
      if (now - last < std::chrono::seconds(1) && running.load() > 0) continue;
      uint64_t done = 0, failed = 0;
      for (LoadDriver* driver : drivers) {
        done += driver->answered.load(std::memory_order_relaxed);
        failed += driver->failed.load(std::memory_order_relaxed);
      }
      const double elapsed = std::chrono::duration<double>(now - start).count();
      const double rate = (done - last_done) / std::chrono::duration<double>(now - last).count();
      std::fprintf(stderr, "bench %s: %5.1fs%s %llu answered, %llu failed, %.0f req/s\n",
                   WireLabel(options.wire).c_str(), elapsed,
                   now < start + options.warmup ? " (warm-up)" : "",
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(failed),
                   rate);
      last_done = done;
      last = now;
    }
  }
  for (std::thread& worker : workers) worker.join();
}

// The result of a load its drivers have run, with `cpu_seconds` of the client's CPU.
BenchResult Collect(PreparedBench& load, Clock::time_point start, double cpu_seconds) {
  const BenchOptions& options = load.options;
  BenchResult result;
  result.options = options;
  result.connections = *options.connections;
  result.measure_start = start + options.warmup;
  Clock::time_point last_completion = start + options.warmup;
  std::vector<std::vector<uint64_t>> batches(static_cast<size_t>(std::max(1, options.batches)));
  std::chrono::nanoseconds longest_gap = std::chrono::nanoseconds::max();
  for (auto& driver : load.drivers) {
    MergeResults(driver->result(), &result);
    // A gap no thread had an answer in is a gap of each thread's: the shortest bounds it.
    longest_gap = std::min(longest_gap, driver->result().longest_gap);
    last_completion = std::max(last_completion, driver->last_completion());
    for (size_t b = 0; b < batches.size(); ++b) {
      std::vector<uint64_t>& from = driver->batch_latencies()[b];
      batches[b].insert(batches[b].end(), from.begin(), from.end());
    }
  }
  if (!load.drivers.empty()) result.longest_gap = longest_gap;
  result.client_cpu_seconds = cpu_seconds;  // MergeResults added the drivers' zeros
  result.client_completions = 0;
  for (auto& driver : load.drivers) {
    result.client_completions += driver->answered.load(std::memory_order_relaxed) +
                                 driver->failed.load(std::memory_order_relaxed);
  }
  result.batch_p50_us = BatchMedians(batches);
  const Clock::time_point window_end =
      options.requests ? last_completion
                       : std::max(last_completion, start + options.warmup + options.duration);
  result.measured_seconds =
      std::chrono::duration<double>(window_end - (start + options.warmup)).count();
  if (options.rate > 0 && !options.requests) {
    result.measured_seconds = std::chrono::duration<double>(options.duration).count();
  }
  result.throughput_rps =
      result.measured_seconds > 0 ? result.requests / result.measured_seconds : 0;
  return result;
}

}  // namespace

absl::StatusOr<BenchResult> RunBench(BenchOptions options) {
  absl::StatusOr<std::unique_ptr<PreparedBench>> prepared = Prepare(std::move(options));
  if (!prepared.ok()) return prepared.status();
  std::vector<std::unique_ptr<PreparedBench>> loads;
  loads.push_back(*std::move(prepared));
  const std::optional<int> server_pid = loads.front()->options.server_pid;
  ServerMemory memory;
  if (server_pid) {
    memory.rss_before = os::ReadProcessStats(*server_pid).resident_bytes;
    memory.kernel_tcp_before = static_cast<double>(os::KernelTcpMemoryBytes().value_or(0));
  }
  const double cpu_before = CpuSeconds();
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(20);
  RunDrivers(loads, start);
  BenchResult result = Collect(*loads.front(), start, CpuSeconds() - cpu_before);
  if (server_pid) {  // the drivers are done, their connections still open
    memory.rss_after = os::ReadProcessStats(*server_pid).resident_bytes;
    memory.kernel_tcp_after = static_cast<double>(os::KernelTcpMemoryBytes().value_or(0));
    result.server_memory = memory;
  }
  return result;
}

absl::StatusOr<std::vector<BenchResult>> RunBenchTogether(std::vector<BenchOptions> options) {
  if (options.empty()) return std::vector<BenchResult>();
  const BenchOptions& first = options.front();
  std::vector<std::unique_ptr<PreparedBench>> loads;
  for (size_t i = 0; i < options.size(); ++i) {
    BenchOptions& load = options[i];
    if (load.rate <= 0 || load.rate != first.rate || load.arrival != first.arrival ||
        load.duration != first.duration || load.warmup != first.warmup || load.requests ||
        load.threads != 1) {
      return absl::InvalidArgumentError(
          "loads run together share one open-loop rate, arrival, duration and warm-up, on one "
          "thread each");
    }
    load.seed = first.seed;  // one stream of arrivals, dealt in turn
    absl::StatusOr<std::unique_ptr<PreparedBench>> prepared =
        Prepare(load, {static_cast<int>(i), static_cast<int>(options.size())});
    if (!prepared.ok()) return prepared.status();
    loads.push_back(*std::move(prepared));
  }
  const double cpu_before = CpuSeconds();
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(20);
  RunDrivers(loads, start);
  const double cpu_seconds = CpuSeconds() - cpu_before;
  std::vector<BenchResult> results;
  uint64_t completions = 0;
  for (auto& load : loads) {
    results.push_back(Collect(*load, start, 0));
    completions += results.back().client_completions;
  }
  // The client's CPU, shared out by requests: one process ran them all.
  for (BenchResult& result : results) {
    result.client_cpu_seconds =
        completions > 0 ? cpu_seconds * result.client_completions / completions : 0;
  }
  return results;
}

void MergeResults(const BenchResult& part, BenchResult* total) {
  total->requests += part.requests;
  total->errors += part.errors;
  for (const auto& [kind, count] : part.errors_by_kind) total->errors_by_kind[kind] += count;
  for (const auto& [kind, count] : part.connection_errors) total->connection_errors[kind] += count;
  total->reconnects += part.reconnects;
  total->resent += part.resent;
  total->lost += part.lost;
  total->duplicates += part.duplicates;
  total->longest_gap = std::max(total->longest_gap, part.longest_gap);
  // Opened in parallel on each thread (or, in rounds, each time): the last of them.
  total->all_open_after = std::max(total->all_open_after, part.all_open_after);
  total->latency.Merge(part.latency);
  total->server.Merge(part.server);
  total->network.Merge(part.network);
  total->connect.Merge(part.connect);
  total->batch_p50_us.insert(total->batch_p50_us.end(), part.batch_p50_us.begin(),
                             part.batch_p50_us.end());
  total->tls_full_handshakes += part.tls_full_handshakes;
  total->tls_resumed_handshakes += part.tls_resumed_handshakes;
  total->measured_seconds += part.measured_seconds;
  total->client_cpu_seconds += part.client_cpu_seconds;
  total->client_completions += part.client_completions;
  if (total->timeline.size() < part.timeline.size()) total->timeline.resize(part.timeline.size());
  for (size_t bin = 0; bin < part.timeline.size(); ++bin) {
    TimelineBin& into = total->timeline[bin];
    into.answered += part.timeline[bin].answered;
    into.errors += part.timeline[bin].errors;
    into.latencies_us.insert(into.latencies_us.end(), part.timeline[bin].latencies_us.begin(),
                             part.timeline[bin].latencies_us.end());
  }
  total->throughput_rps =
      total->measured_seconds > 0 ? total->requests / total->measured_seconds : 0;
}

}  // namespace predictwire::loadgen
