#include "loadgen/bench.h"

#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "loadgen/confidence.h"
#include "loadgen/load_driver.h"

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

double Microseconds(uint64_t nanoseconds) { return nanoseconds / 1000.0; }

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

std::string Seconds(std::chrono::nanoseconds duration) {
  return fmt::format("{:g}s", std::chrono::duration<double>(duration).count());
}

}  // namespace

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
  if (options->batches < 1) return absl::InvalidArgumentError("batches must be >= 1");
  const int depth = options->wire.wire->Depth(options->pipeline);
  if (!options->connections) {
    options->connections = options->rate > 0 ? 1 : (options->concurrency + depth - 1) / depth;
  }
  if (*options->connections < 1) return absl::InvalidArgumentError("--connections must be >= 1");
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
  Clock::time_point last_completion = start + options.warmup;
  std::vector<std::vector<uint64_t>> batches(static_cast<size_t>(std::max(1, options.batches)));
  for (auto& driver : load.drivers) {
    MergeResults(driver->result(), &result);
    last_completion = std::max(last_completion, driver->last_completion());
    for (size_t b = 0; b < batches.size(); ++b) {
      std::vector<uint64_t>& from = driver->batch_latencies()[b];
      batches[b].insert(batches[b].end(), from.begin(), from.end());
    }
  }
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
  const double cpu_before = CpuSeconds();
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(20);
  RunDrivers(loads, start);
  return Collect(*loads.front(), start, CpuSeconds() - cpu_before);
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
  total->throughput_rps =
      total->measured_seconds > 0 ? total->requests / total->measured_seconds : 0;
}

std::string FormatTable(const BenchResult& result) {
  const BenchOptions& o = result.options;
  std::string out = fmt::format(
      "wire {} → {}  ({}, {} connection{}{}, {} warm-up, {}{})\n", WireLabel(o.wire), o.target_url,
      o.rate > 0 ? fmt::format("open loop {:g} req/s {}", o.rate, ArrivalName(o.arrival))
                 : fmt::format("closed loop, {} outstanding", o.concurrency),
      result.connections, result.connections == 1 ? "" : "s",
      o.wire.wire->Depth(o.pipeline) > 1 ? fmt::format(", {} in flight each", o.pipeline) : "",
      Seconds(o.warmup), o.requests ? fmt::format("{} requests", *o.requests) : Seconds(o.duration),
      o.think.count() > 0 ? ", think " + Seconds(o.think) : "");
  out +=
      fmt::format("requests {}  errors {}  throughput {:.1f} req/s over {:.2f}s\n", result.requests,
                  result.errors, result.throughput_rps, result.measured_seconds);
  auto row = [&](std::string_view name, const Histogram& h) {
    if (h.count() == 0) return fmt::format("{:<16}{:>10}\n", name, "-");
    return fmt::format(
        "{:<16}{:>10.1f}{:>10.1f}{:>10.1f}{:>10.1f}{:>10.1f}{:>10.1f}{:>11.1f}{:>10.1f}\n", name,
        Microseconds(h.min()), Microseconds(h.ValueAtPercentile(50)),
        Microseconds(h.ValueAtPercentile(90)), Microseconds(h.ValueAtPercentile(99)),
        Microseconds(h.ValueAtPercentile(99.9)), Microseconds(h.ValueAtPercentile(99.99)),
        Microseconds(h.max()), h.mean() / 1000);
  };
  out += fmt::format("{:<16}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>11}{:>10}\n", "µs", "min", "p50",
                     "p90", "p99", "p99.9", "p99.99", "max", "mean");
  out += row("latency", result.latency);
  out += row("  server", result.server);
  out += row("  network+proto", result.network);
  out += row("connect", result.connect);
  if (o.wire.tls) {
    out += fmt::format("TLS handshakes: {} full, {} resumed (session resumption {})\n",
                       result.tls_full_handshakes, result.tls_resumed_handshakes,
                       o.tls_resume ? "on" : "off");
  }
  for (const auto& [kind, count] : result.errors_by_kind) {
    out += fmt::format("error {:<20}{}\n", kind, count);
  }
  for (const auto& [kind, count] : result.connection_errors) {
    out += fmt::format("connection error {:<9}{}\n", kind, count);
  }
  if (result.requests + result.errors > 0) {
    out += fmt::format("client CPU {:.2f}s ({:.2f} µs per request, warm-up included)\n",
                       result.client_cpu_seconds, result.client_cpu_us_per_request());
  }
  return out;
}

namespace {

std::string PercentilesJson(const Histogram& h, bool full) {
  auto us = [](uint64_t ns) { return fmt::format("{:.3f}", ns / 1000.0); };
  if (!full) {
    return fmt::format(R"({{"p50": {}, "p99": {}}})", us(h.ValueAtPercentile(50)),
                       us(h.ValueAtPercentile(99)));
  }
  return fmt::format(
      R"({{"min": {}, "p50": {}, "p90": {}, "p99": {}, "p999": {}, "p9999": {}, "max": {}, "mean": {:.3f}}})",
      us(h.min()), us(h.ValueAtPercentile(50)), us(h.ValueAtPercentile(90)),
      us(h.ValueAtPercentile(99)), us(h.ValueAtPercentile(99.9)), us(h.ValueAtPercentile(99.99)),
      us(h.max()), h.mean() / 1000);
}

// The 95% interval of the run's median from its batches, or null.
std::string IntervalJson(const BenchResult& result) {
  const std::optional<Interval> interval = MedianInterval(result.batch_p50_us);
  return interval ? fmt::format("[{:.3f}, {:.3f}]", interval->low, interval->high) : "null";
}

std::string CountsJson(const std::map<std::string, uint64_t>& counts) {
  std::string out = "{";
  for (const auto& [kind, count] : counts) {
    if (out.size() > 1) out += ", ";
    out += fmt::format(R"("{}": {})", kind, count);
  }
  return out + "}";
}

}  // namespace

std::string ToJson(const BenchResult& result) {
  const BenchOptions& o = result.options;
  std::string cdf = "[";
  for (const auto& [value, count] : result.latency.Buckets()) {
    if (cdf.size() > 1) cdf += ", ";
    cdf += fmt::format("[{:.3f}, {}]", value / 1000.0, count);
  }
  cdf += "]";
  return fmt::format(
      R"({{"wire": "{}", "target": "{}", "payload": "{}", "model": "{}", "features": {}, "rows": {}, )"
      R"("mode": "{}", "rate": {}, "arrival": "{}", "concurrency": {}, "connections": {}, )"
      R"("pipeline": {}, "requests": {}, "errors": {}, "errors_by_kind": {}, )"
      R"("connection_errors": {}, "measured_seconds": {:.3f}, "throughput_rps": {:.3f}, )"
      R"("latency_us": {}, "server_us": {}, "network_us": {}, "connect_us": {}, )"
      R"("tls": {}, "tls_resume": {}, "tls_full_handshakes": {}, "tls_resumed_handshakes": {}, )"
      R"("client_cpu_seconds": {:.3f}, "client_completions": {}, )"
      R"("client_cpu_us_per_request": {:.2f}, "batch_p50_us": [{}], "p50_ci_us": {}, )"
      R"("latency_histogram_us": {}}})",
      WireLabel(o.wire), o.target_url, PayloadShapeName(o.shape), o.model, o.features, o.rows,
      o.rate > 0 ? "open" : "closed", o.rate, ArrivalName(o.arrival), o.concurrency,
      result.connections, o.wire.wire->Depth(o.pipeline), result.requests, result.errors,
      CountsJson(result.errors_by_kind), CountsJson(result.connection_errors),
      result.measured_seconds, result.throughput_rps, PercentilesJson(result.latency, true),
      PercentilesJson(result.server, false), PercentilesJson(result.network, false),
      PercentilesJson(result.connect, false), o.wire.tls, o.tls_resume, result.tls_full_handshakes,
      result.tls_resumed_handshakes, result.client_cpu_seconds, result.client_completions,
      result.client_cpu_us_per_request(), fmt::format("{:.3f}", fmt::join(result.batch_p50_us, ", ")), IntervalJson(result), cdf);
}

std::string CsvHeader() {
  return "wire,target,mode,rate,concurrency,connections,requests,errors,throughput_rps,"
         "latency_min_us,latency_p50_us,latency_p90_us,latency_p99_us,latency_p999_us,"
         "latency_p9999_us,latency_max_us,latency_mean_us,server_p50_us,server_p99_us,"
         "network_p50_us,network_p99_us,connect_p50_us,connect_p99_us\n";
}

std::string ToCsvRow(const BenchResult& result) {
  const BenchOptions& o = result.options;
  const Histogram& h = result.latency;
  auto us = [](uint64_t ns) { return fmt::format("{:.3f}", ns / 1000.0); };
  return fmt::format(
      "{},{},{},{},{},{},{},{},{:.3f},{},{},{},{},{},{},{},{:.3f},{},{},{},{},{},{}\n",
      WireLabel(o.wire), o.target_url, o.rate > 0 ? "open" : "closed", o.rate, o.concurrency,
      result.connections, result.requests, result.errors, result.throughput_rps, us(h.min()),
      us(h.ValueAtPercentile(50)), us(h.ValueAtPercentile(90)), us(h.ValueAtPercentile(99)),
      us(h.ValueAtPercentile(99.9)), us(h.ValueAtPercentile(99.99)), us(h.max()), h.mean() / 1000,
      us(result.server.ValueAtPercentile(50)), us(result.server.ValueAtPercentile(99)),
      us(result.network.ValueAtPercentile(50)), us(result.network.ValueAtPercentile(99)),
      us(result.connect.ValueAtPercentile(50)), us(result.connect.ValueAtPercentile(99)));
}

}  // namespace predictwire::loadgen
