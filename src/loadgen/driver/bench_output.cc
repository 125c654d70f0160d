#include "loadgen/driver/bench_output.h"

#include <fmt/format.h>

#include "codec/json_writer.h"
#include "loadgen/stats/confidence.h"
#include "loadgen/stats/format.h"

namespace predictwire::loadgen {
namespace {

std::string Seconds(std::chrono::nanoseconds duration) {
  return fmt::format("{:g}s", std::chrono::duration<double>(duration).count());
}

}  // namespace

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
  if (result.connections > 1 && !o.wire.wire->new_connection_per_request) {
    out +=
        result.all_open_after.count() > 0
            ? fmt::format("all {} connections open {:.2f}s after the start{}\n", result.connections,
                          std::chrono::duration<double>(result.all_open_after).count(),
                          o.source_addresses > 1
                              ? fmt::format(" (from 127.0.0.1 to 127.0.0.{})", o.source_addresses)
                              : "")
            : fmt::format("not all {} connections ever opened\n", result.connections);
  }
  if (const std::optional<ServerMemory>& memory = result.server_memory) {
    const double each = result.connections > 0 ? 1.0 / result.connections : 0;
    out += fmt::format(
        "server {}: RSS {:.1f} MiB before the connections, {:.1f} MiB with them open, {:.2f} KiB "
        "a connection\n",
        *o.server_pid, memory->rss_before / (1 << 20), memory->rss_after / (1 << 20),
        (memory->rss_after - memory->rss_before) * each / 1024);
    if (memory->kernel_tcp_before >= 0 && memory->kernel_tcp_after >= 0) {
      out += fmt::format(
          "kernel TCP memory (the machine's, not in any RSS): {:.1f} MiB before, {:.1f} MiB "
          "after, {:.2f} KiB a connection\n",
          memory->kernel_tcp_before / (1 << 20), memory->kernel_tcp_after / (1 << 20),
          (memory->kernel_tcp_after - memory->kernel_tcp_before) * each / 1024);
    }
  }
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
  out += fmt::format(
      "reconnects {}  resent {}  lost {}  duplicates {}  longest gap without an answer {:.1f} ms\n",
      result.reconnects, result.resent, result.lost, result.duplicates,
      std::chrono::duration<double, std::milli>(result.longest_gap).count());
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

// The reconnect backoff's settings.
std::string BackoffJson(const ReconnectOptions& reconnect) {
  auto us = [](std::chrono::nanoseconds duration) { return duration.count() / 1000.0; };
  return fmt::format(R"({{"initial_us": {:.3f}, "multiplier": {}, "jitter": {}, "max_us": {:.3f}, )"
                     R"("connect_timeout_us": {:.3f}}})",
                     us(reconnect.initial), reconnect.multiplier, reconnect.jitter,
                     us(reconnect.max), us(reconnect.connect_timeout));
}

std::string CountsJson(const std::map<std::string, uint64_t>& counts) {
  std::string out = "{";
  for (const auto& [kind, count] : counts) {
    if (out.size() > 1) out += ", ";
    out += fmt::format("{}: {}", codec::JsonQuoted(kind), count);
  }
  return out + "}";
}

// The server's memory (BenchOptions::server_pid), or null.
std::string ServerMemoryJson(const BenchResult& result) {
  if (!result.server_memory) return "null";
  const ServerMemory& memory = *result.server_memory;
  return fmt::format(R"({{"pid": {}, "rss_before_bytes": {:.0f}, "rss_after_bytes": {:.0f}, )"
                     R"("kernel_tcp_before_bytes": {:.0f}, "kernel_tcp_after_bytes": {:.0f}}})",
                     result.options.server_pid.value_or(0), memory.rss_before, memory.rss_after,
                     memory.kernel_tcp_before, memory.kernel_tcp_after);
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
      R"({{"wire": {}, "target": {}, "payload": {}, "model": {}, "features": {}, "rows": {}, )"
      R"("mode": "{}", "rate": {}, "arrival": {}, "concurrency": {}, "connections": {}, )"
      R"("pipeline": {}, "requests": {}, "errors": {}, "errors_by_kind": {}, )"
      R"("connection_errors": {}, "reconnects": {}, "resent": {}, "lost": {}, "duplicates": {}, )"
      R"("longest_gap_us": {:.3f}, "resend": {}, "max_resends": {}, "backoff": {}, )"
      R"("measured_seconds": {:.3f}, "throughput_rps": {:.3f}, )"
      R"("latency_us": {}, "server_us": {}, "network_us": {}, "connect_us": {}, )"
      R"("tls": {}, "tls_resume": {}, "tls_full_handshakes": {}, "tls_resumed_handshakes": {}, )"
      R"("client_cpu_seconds": {:.3f}, "client_completions": {}, )"
      R"("client_cpu_us_per_request": {:.2f}, "batch_p50_us": [{}], "p50_ci_us": {}, )"
      R"("all_open_after_us": {:.3f}, "source_addresses": {}, "server_memory": {}, )"
      R"("latency_histogram_us": {}}})",
      codec::JsonQuoted(WireLabel(o.wire)), codec::JsonQuoted(o.target_url),
      codec::JsonQuoted(PayloadShapeName(o.shape)), codec::JsonQuoted(o.model), o.features, o.rows,
      o.rate > 0 ? "open" : "closed", o.rate, codec::JsonQuoted(ArrivalName(o.arrival)),
      o.concurrency, result.connections, o.wire.wire->Depth(o.pipeline), result.requests,
      result.errors, CountsJson(result.errors_by_kind), CountsJson(result.connection_errors),
      result.reconnects, result.resent, result.lost, result.duplicates,
      result.longest_gap.count() / 1000.0, o.reconnect.resend, o.reconnect.max_resends,
      BackoffJson(o.reconnect), result.measured_seconds, result.throughput_rps,
      PercentilesJson(result.latency, true), PercentilesJson(result.server, false),
      PercentilesJson(result.network, false), PercentilesJson(result.connect, false), o.wire.tls,
      o.tls_resume, result.tls_full_handshakes, result.tls_resumed_handshakes,
      result.client_cpu_seconds, result.client_completions, result.client_cpu_us_per_request(),
      fmt::format("{:.3f}", fmt::join(result.batch_p50_us, ", ")), IntervalJson(result),
      result.all_open_after.count() / 1000.0, o.source_addresses, ServerMemoryJson(result), cdf);
}

std::string CsvHeader() {
  return "wire,target,mode,rate,concurrency,connections,requests,errors,throughput_rps,"
         "latency_min_us,latency_p50_us,latency_p90_us,latency_p99_us,latency_p999_us,"
         "latency_p9999_us,latency_max_us,latency_mean_us,server_p50_us,server_p99_us,"
         "network_p50_us,network_p99_us,connect_p50_us,connect_p99_us,reconnects,resent,lost,"
         "duplicates,longest_gap_us\n";
}

std::string ToCsvRow(const BenchResult& result) {
  const BenchOptions& o = result.options;
  const Histogram& h = result.latency;
  auto us = [](uint64_t ns) { return fmt::format("{:.3f}", ns / 1000.0); };
  return fmt::format(
      "{},{},{},{},{},{},{},{},{:.3f},{},{},{},{},{},{},{},{:.3f},{},{},{},{},{},{},{},{},{},{},"
      "{:.3f}\n",
      CsvField(WireLabel(o.wire)), CsvField(o.target_url), o.rate > 0 ? "open" : "closed", o.rate,
      o.concurrency, result.connections, result.requests, result.errors, result.throughput_rps,
      us(h.min()), us(h.ValueAtPercentile(50)), us(h.ValueAtPercentile(90)),
      us(h.ValueAtPercentile(99)), us(h.ValueAtPercentile(99.9)), us(h.ValueAtPercentile(99.99)),
      us(h.max()), h.mean() / 1000, us(result.server.ValueAtPercentile(50)),
      us(result.server.ValueAtPercentile(99)), us(result.network.ValueAtPercentile(50)),
      us(result.network.ValueAtPercentile(99)), us(result.connect.ValueAtPercentile(50)),
      us(result.connect.ValueAtPercentile(99)), result.reconnects, result.resent, result.lost,
      result.duplicates, result.longest_gap.count() / 1000.0);
}

}  // namespace predictwire::loadgen
