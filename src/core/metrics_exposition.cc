// Metrics' exposition, read when /metrics is scraped: the text format 0.0.4 (Render) with the
// shards added up, the gauges, and the process's own figures from /proc. The recording half,
// on the request path, is metrics.cc.
#include <fmt/format.h>

#include <optional>

#include "core/metrics.h"
#include "core/metrics_shard.h"
#include "os/process_info.h"

#ifndef PREDICTWIRE_VERSION
#define PREDICTWIRE_VERSION "0.0.0"
#endif

namespace predictwire {
namespace {

using metrics_internal::kBatchSlots;
using metrics_internal::kLatencySlots;

constexpr std::array<std::string_view, Metrics::kCodes> kCodeNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

// A label value as the exposition format writes it: backslash, quote and newline escaped.
std::string Escape(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Seconds(uint64_t microseconds) { return fmt::format("{}", microseconds / 1e6); }

void Family(std::string* out, std::string_view name, std::string_view type, std::string_view help) {
  *out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string_view RequestProtocolName(RequestProtocol protocol) {
  constexpr std::array<std::string_view, kRequestProtocols> kNames = {"http1", "http2", "websocket",
                                                                      "grpc"};
  return kNames[static_cast<size_t>(protocol)];
}

std::string_view ListenerKindName(ListenerKind kind) {
  constexpr std::array<std::string_view, kListenerKinds> kNames = {"http", "https", "grpc",
                                                                   "grpcs"};
  return kNames[static_cast<size_t>(kind)];
}

std::string_view ConnectionDefenceName(ConnectionDefence defence) {
  constexpr std::array<std::string_view, kConnectionDefences> kNames = {
      "refused", "header_timeout", "handshake_timeout", "write_timeout", "ping_timeout", "evicted"};
  return kNames[static_cast<size_t>(defence)];
}

template <typename Read>
uint64_t Metrics::Sum(Read read) const {
  uint64_t total = 0;
  for (const auto& shard : shards_) total += read(*shard).load(std::memory_order_relaxed);
  return total;
}

void Metrics::AddGauge(Gauge gauge) { gauges_.push_back(std::move(gauge)); }

std::string Metrics::Label(std::string_view name, std::string_view value) {
  return fmt::format("{}=\"{}\"", name, Escape(value));
}

uint64_t Metrics::RequestsFinished(RequestProtocol protocol) const {
  return Sum([&](const Shard& shard) -> const std::atomic<uint64_t>& {
    return shard.finished[static_cast<size_t>(protocol)];
  });
}

std::string Metrics::Render() const {
  std::string out;
  auto model_label = [&](size_t m) {
    return m + 1 == model_slots_ ? std::string("model=\"\"")
                                 : fmt::format("model=\"{}\"", Escape(models_[m]));
  };
  // A histogram family's samples: `cell(bucket)` and `sum_cell` for one label set.
  auto histogram = [&](std::string_view name, const std::string& labels, auto cell, auto sum_cell,
                       auto bound, size_t buckets, bool seconds) {
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= buckets; ++b) {
      cumulative +=
          Sum([&](const Shard& shard) -> const std::atomic<uint64_t>& { return cell(shard, b); });
      const std::string le = b == buckets ? std::string("+Inf")
                             : seconds    ? Seconds(bound(b))
                                          : std::to_string(bound(b));
      out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, le, cumulative);
    }
    const uint64_t sum = Sum(sum_cell);
    out += fmt::format("{}_sum{{{}}} {}\n", name, labels,
                       seconds ? Seconds(sum) : std::to_string(sum));
    out += fmt::format("{}_count{{{}}} {}\n", name, labels, cumulative);
  };
  auto latency_bound = [](size_t b) { return kLatencyBucketsUs[b]; };

  Family(&out, "predictwire_requests_total", "counter",
         "Requests answered, by the protocol they came on, the model they named (empty: none the "
         "server has) and the canonical status code of the answer.");
  for (size_t p = 0; p < kRequestProtocols; ++p) {
    for (size_t m = 0; m < model_slots_; ++m) {
      for (size_t c = 0; c < kCodes; ++c) {
        const uint64_t count = Sum([&](const Shard& shard) -> const std::atomic<uint64_t>& {
          return shard.requests[(p * model_slots_ + m) * kCodes + c];
        });
        if (count == 0 && c != 0) continue;  // OK is always shown; other codes once they occur
        out += fmt::format("predictwire_requests_total{{protocol=\"{}\",{},code=\"{}\"}} {}\n",
                           RequestProtocolName(static_cast<RequestProtocol>(p)), model_label(m),
                           kCodeNames[c], count);
      }
    }
  }

  Family(&out, "predictwire_request_duration_seconds", "histogram",
         "Server time of a request, from decoding it to its encoded answer.");
  for (size_t p = 0; p < kRequestProtocols; ++p) {
    for (size_t m = 0; m < model_slots_; ++m) {
      const size_t at = p * model_slots_ + m;
      histogram(
          "predictwire_request_duration_seconds",
          fmt::format("protocol=\"{}\",{}", RequestProtocolName(static_cast<RequestProtocol>(p)),
                      model_label(m)),
          [&](const Shard& shard, size_t b) -> const std::atomic<uint64_t>& {
            return shard.request_us[at * kLatencySlots + b];
          },
          [&](const Shard& shard) -> const std::atomic<uint64_t>& {
            return shard.request_us_sum[at];
          },
          latency_bound, kLatencyBucketsUs.size(), true);
    }
  }
  for (const auto& [name, help, cells_member, sums_member] :
       {std::tuple{"predictwire_queue_duration_seconds",
                   "Time a request waited for its model, from submission to the model starting.",
                   &Shard::queue_us, &Shard::queue_us_sum},
        std::tuple{"predictwire_compute_duration_seconds", "Time the model computed a request.",
                   &Shard::compute_us, &Shard::compute_us_sum}}) {
    // Copies, for the lambdas: clang 14 does not let them capture structured bindings.
    const auto cells = cells_member;
    const auto sums = sums_member;
    Family(&out, name, "histogram", help);
    for (size_t m = 0; m + 1 < model_slots_; ++m) {
      histogram(
          name, model_label(m),
          [&](const Shard& shard, size_t b) -> const std::atomic<uint64_t>& {
            return (shard.*cells)[m * kLatencySlots + b];
          },
          [&](const Shard& shard) -> const std::atomic<uint64_t>& { return (shard.*sums)[m]; },
          latency_bound, kLatencyBucketsUs.size(), true);
    }
  }

  Family(&out, "predictwire_batch_size", "histogram",
         "Rows per backend call (1 per request unless the model batches).");
  for (size_t m = 0; m + 1 < model_slots_; ++m) {
    histogram(
        "predictwire_batch_size", model_label(m),
        [&](const Shard& shard, size_t b) -> const std::atomic<uint64_t>& {
          return shard.batch_rows[m * kBatchSlots + b];
        },
        [&](const Shard& shard) -> const std::atomic<uint64_t>& { return shard.batch_rows_sum[m]; },
        [](size_t b) { return kBatchBuckets[b]; }, kBatchBuckets.size(), false);
  }

  Family(&out, "predictwire_requests_expired_total", "counter",
         "Requests dropped from a model's queue because their deadline passed before they ran.");
  for (size_t m = 0; m + 1 < model_slots_; ++m) {
    out += fmt::format(
        "predictwire_requests_expired_total{{{}}} {}\n", model_label(m),
        Sum([&](const Shard& shard) -> const std::atomic<uint64_t>& { return shard.expired[m]; }));
  }
  Family(&out, "predictwire_requests_cancelled_total", "counter",
         "Requests dropped from a model's queue because their client had gone (a reset stream, "
         "a cancelled call, a closed connection) before they ran.");
  for (size_t m = 0; m + 1 < model_slots_; ++m) {
    out += fmt::format("predictwire_requests_cancelled_total{{{}}} {}\n", model_label(m),
                       Sum([&](const Shard& shard) -> const std::atomic<uint64_t>& {
                         return shard.cancelled[m];
                       }));
  }

  Family(&out, "predictwire_requests_in_flight", "gauge",
         "Requests decoded and not yet answered, by protocol.");
  for (size_t p = 0; p < kRequestProtocols; ++p) {
    const uint64_t started =
        Sum([&](const Shard& shard) -> const std::atomic<uint64_t>& { return shard.started[p]; });
    const uint64_t finished =
        Sum([&](const Shard& shard) -> const std::atomic<uint64_t>& { return shard.finished[p]; });
    out += fmt::format("predictwire_requests_in_flight{{protocol=\"{}\"}} {}\n",
                       RequestProtocolName(static_cast<RequestProtocol>(p)),
                       started >= finished ? started - finished : 0);
  }

  auto per_listener = [&](std::string_view name, std::string_view type, std::string_view help,
                          auto read) {
    Family(&out, name, type, help);
    for (size_t l = 0; l < kListenerKinds; ++l) {
      out += fmt::format("{}{{listener=\"{}\"}} {}\n", name,
                         ListenerKindName(static_cast<ListenerKind>(l)), read(l));
    }
  };
  auto total = [&](auto member) {
    return [this, member](size_t l) {
      return Sum(
          [&](const Shard& shard) -> const std::atomic<uint64_t>& { return (shard.*member)[l]; });
    };
  };
  per_listener("predictwire_connections_open", "gauge", "Connections open, by listener.",
               [&](size_t l) {
                 const uint64_t opened = total(&Shard::opened)(l);
                 const uint64_t closed = total(&Shard::closed)(l);
                 return opened >= closed ? opened - closed : 0;
               });
  per_listener("predictwire_connections_total", "counter", "Connections accepted, by listener.",
               total(&Shard::opened));
  per_listener("predictwire_received_bytes_total", "counter",
               "Bytes received on connections (after TLS), by listener.", total(&Shard::bytes_in));
  per_listener("predictwire_sent_bytes_total", "counter",
               "Bytes sent on connections (before TLS), by listener.", total(&Shard::bytes_out));

  Family(&out, "predictwire_protocol_errors_total", "counter",
         "Input refused before it became a request, by protocol and reason.");
  static constexpr std::string_view kReasons[kProtocolErrors] = {"malformed", "refused_stream",
                                                                 "violation"};
  for (size_t p = 0; p < kRequestProtocols; ++p) {
    for (size_t e = 0; e < kProtocolErrors; ++e) {
      out += fmt::format("predictwire_protocol_errors_total{{protocol=\"{}\",reason=\"{}\"}} {}\n",
                         RequestProtocolName(static_cast<RequestProtocol>(p)), kReasons[e],
                         Sum([&](const Shard& shard) -> const std::atomic<uint64_t>& {
                           return shard.protocol_errors[p * kProtocolErrors + e];
                         }));
    }
  }

  Family(&out, "predictwire_connections_defended_total", "counter",
         "Connections refused (over --max-connections) or closed by a header, TLS handshake or "
         "write timeout, by listener and reason.");
  for (size_t l = 0; l < kListenerKinds; ++l) {
    for (size_t d = 0; d < kConnectionDefences; ++d) {
      out += fmt::format(
          "predictwire_connections_defended_total{{listener=\"{}\",reason=\"{}\"}} {}\n",
          ListenerKindName(static_cast<ListenerKind>(l)),
          ConnectionDefenceName(static_cast<ConnectionDefence>(d)),
          Sum([&](const Shard& shard) -> const std::atomic<uint64_t>& {
            return shard.defended[l * kConnectionDefences + d];
          }));
    }
  }

  for (const Gauge& gauge : gauges_) {
    Family(&out, gauge.name, gauge.type, gauge.help);
    for (const auto& [labels, value] : gauge.read()) {
      out += labels.empty() ? fmt::format("{} {}\n", gauge.name, value)
                            : fmt::format("{}{{{}}} {}\n", gauge.name, labels, value);
    }
  }

  Family(&out, "predictwire_build_info", "gauge", "The server's version (always 1).");
  out += fmt::format("predictwire_build_info{{version=\"{}\"}} 1\n", PREDICTWIRE_VERSION);

  const os::ProcessStats process = os::ReadProcessStats();
  Family(&out, "process_cpu_seconds_total", "counter", "User and system CPU time, in seconds.");
  out += fmt::format("process_cpu_seconds_total {}\n", process.cpu_seconds);
  Family(&out, "process_resident_memory_bytes", "gauge", "Resident memory, in bytes.");
  out += fmt::format("process_resident_memory_bytes {}\n", process.resident_bytes);
  Family(&out, "process_virtual_memory_bytes", "gauge", "Virtual memory, in bytes.");
  out += fmt::format("process_virtual_memory_bytes {}\n", process.virtual_bytes);
  Family(&out, "process_open_fds", "gauge", "Open file descriptors.");
  out += fmt::format("process_open_fds {}\n", os::CountOpenFiles());
  Family(&out, "process_max_fds", "gauge", "The limit on open file descriptors.");
  const std::optional<uint64_t> max_fds = os::OpenFileLimit();
  out += fmt::format("process_max_fds {}\n", max_fds ? static_cast<double>(*max_fds) : 0.0);
  Family(&out, "process_start_time_seconds", "gauge",
         "When the process started, in seconds since the Unix epoch.");
  out += fmt::format("process_start_time_seconds {}\n", start_time_seconds_);
  return out;
}

}  // namespace predictwire
