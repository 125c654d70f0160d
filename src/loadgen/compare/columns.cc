#include "loadgen/compare/columns.h"

#include <fmt/format.h>

#include "loadgen/stats/format.h"

namespace predictwire::loadgen {
namespace {

std::string ConnectP50(const Run& run) {
  if (run.result.connect.count() == 0) return "";
  return FormatMicroseconds(PercentileUs(run.result.connect, 50));
}

std::string TlsHandshakes(const Run& run) {
  if (!run.result.options.wire.tls) return "";
  return fmt::format("{} / {}", run.result.tls_full_handshakes, run.result.tls_resumed_handshakes);
}

std::string ServerRss(const Run& run) {
  return run.server_connections > 0 ? fmt::format("{:.1f} MiB", run.server_rss_mib) : "";
}

std::string ServerConnections(const Run& run) {
  return run.server_connections > 0 ? fmt::format("{}", run.server_connections) : "";
}

std::string KibEach(const Run& run) {
  return run.server_connections > 0 ? fmt::format("{:.1f} KiB", KibPerConnection(run)) : "";
}

std::string KernelKibEach(const Run& run) {
  const std::optional<ServerMemory>& memory = run.result.server_memory;
  if (run.server_connections <= 0 || !memory || memory->kernel_tcp_before < 0) return "";
  return fmt::format("{:.1f} KiB", (memory->kernel_tcp_after - memory->kernel_tcp_before) /
                                       run.server_connections / 1024);
}

std::string AllOpenAfter(const Run& run) {
  if (run.server_connections <= 0 || run.result.all_open_after.count() <= 0) return "";
  return fmt::format("{:.2f} s", std::chrono::duration<double>(run.result.all_open_after).count());
}

std::string ServerCpu(const Run& run) {
  return run.server_connections > 0 ? fmt::format("{:.2f} s", run.server_cpu_seconds) : "";
}

constexpr ReportColumn kConnectionColumns[] = {
    {.header = "connect p50",
     .meaning = "connection set-up: TCP, then TLS, the WebSocket handshake or the HTTP/2 preface",
     .cell = ConnectP50},
    {.header = "TLS full / resumed",
     .meaning = "how many TLS handshakes were full, and how many resumed a session",
     .cell = TlsHandshakes},
};

constexpr ReportColumn kServerResourceColumns[] = {
    {.header = "server RSS",
     .meaning = "the server's peak resident memory during the run (a fresh server per run)",
     .cell = ServerRss},
    {.header = "connections",
     .meaning = "connections the load held open",
     .cell = ServerConnections},
    {.header = "per connection",
     .meaning = "the server's memory growth over its idle size, per open connection",
     .cell = KibEach},
    {.header = "kernel TCP each",
     .meaning = "the kernel's TCP memory growth (/proc/net/sockstat, the whole machine's: the "
                "client's sockets too) per open connection, apart from the server's RSS",
     .cell = KernelKibEach},
    {.header = "all open after",
     .meaning = "from the start of the run until every connection had opened",
     .cell = AllOpenAfter},
    {.header = "server CPU", .meaning = "the server's CPU time during the run", .cell = ServerCpu},
};

}  // namespace

std::span<const ReportColumn> ConnectionColumns() { return kConnectionColumns; }
std::span<const ReportColumn> ServerResourceColumns() { return kServerResourceColumns; }

}  // namespace predictwire::loadgen
