#include "loadgen/harness/fleet.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "loadgen/harness/balancer_config.h"
#include "os/host_port.h"
#include "transport/common/ready_line.h"

namespace predictwire::loadgen {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A port free on loopback now (the balancer binds it a moment later, as fleet.py does).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

void SetTimeouts(int fd, milliseconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

// Sends `request` on `fd` and reads until the peer closes; empty on failure.
std::string Exchange(int fd, const std::string& request) {
  std::string reply;
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return reply;
  }
  char chunk[16384];
  for (;;) {
    const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) break;
    reply.append(chunk, static_cast<size_t>(n));
  }
  close(fd);
  return reply;
}

int ConnectTcp(const std::string& address, milliseconds timeout) {
  const auto parsed = os::ParseHostPort(address);
  if (!parsed.ok()) return -1;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  SetTimeouts(fd, timeout);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(parsed->port);
  inet_pton(AF_INET, parsed->host.c_str(), &to.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// GET `path` from HOST:PORT over HTTP/1.1: the status and the body (0 and empty when none).
std::pair<int, std::string> HttpGet(const std::string& address, const std::string& path) {
  const int fd = ConnectTcp(address, milliseconds(2000));
  if (fd < 0) return {0, ""};
  const std::string reply = Exchange(
      fd, fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", path, address));
  if (!reply.starts_with("HTTP/1.1 ") || reply.size() < 12) return {0, ""};
  const int status = std::atoi(reply.substr(9, 3).c_str());
  const size_t body = reply.find("\r\n\r\n");
  return {status, body == std::string::npos ? "" : reply.substr(body + 4)};
}

// A command on HAProxy's runtime socket, and its answer.
std::string RuntimeCommand(const std::string& socket_path, const std::string& command) {
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return "";
  SetTimeouts(fd, milliseconds(2000));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(address.sun_path)) {
    close(fd);
    return "";
  }
  std::copy(socket_path.begin(), socket_path.end(), address.sun_path);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return "";
  }
  return Exchange(fd, command + "\n");
}

// The pids whose parent is `pid`. Read with read(2): a process may exit between the listing
// and the reading (ESRCH), which a stream would throw on.
std::set<pid_t> ChildrenOf(pid_t pid) {
  std::set<pid_t> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int fd = open((entry.path() / "stat").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char buffer[1024];
    const ssize_t n = read(fd, buffer, sizeof(buffer) - 1);
    close(fd);
    if (n <= 0) continue;
    const std::string_view text(buffer, static_cast<size_t>(n));
    const size_t paren = text.rfind(')');
    if (paren == std::string_view::npos) continue;
    // ") S PPID ...": the state, then the parent's pid.
    const std::string rest(text.substr(paren + 1));
    char state = 0;
    long parent = 0;
    if (std::sscanf(rest.c_str(), " %c %ld", &state, &parent) == 2 && parent == pid) {
      found.insert(static_cast<pid_t>(std::stol(name)));
    }
  }
  return found;
}

template <typename Predicate>
bool WaitFor(Predicate done, milliseconds timeout, milliseconds step = milliseconds(20)) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace

std::string BalancerBinary(const std::string& name) {
  for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/usr/local/sbin/"}) {
    const std::string path = dir + name;
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

absl::StatusOr<std::unique_ptr<Fleet>> Fleet::Start(FleetOptions options, int backends) {
  if (options.balancer != "haproxy" && options.balancer != "nginx") {
    return absl::InvalidArgumentError(
        fmt::format("unknown balancer '{}' (haproxy or nginx)", options.balancer));
  }
  if (options.balancer_binary.empty()) options.balancer_binary = BalancerBinary(options.balancer);
  if (options.balancer_binary.empty()) {
    return absl::FailedPreconditionError(fmt::format("{} is not installed", options.balancer));
  }
  std::unique_ptr<Fleet> fleet(new Fleet(std::move(options)));
  // In $TMPDIR (else /tmp): the configuration, HAProxy's runtime socket, nginx's files.
  std::error_code no_temp;
  std::string run_dir =
      (std::filesystem::temp_directory_path(no_temp) / "pw-fleet-XXXXXX").string();
  if (no_temp) run_dir = "/tmp/pw-fleet-XXXXXX";
  if (mkdtemp(run_dir.data()) == nullptr) {
    return absl::InternalError("cannot create the fleet's directory");
  }
  fleet->run_dir_ = run_dir;
  if (absl::Status restored = fleet->Restore(backends); !restored.ok()) return restored;
  return fleet;
}

Fleet::~Fleet() {
  StopBalancer();
  for (Backend& backend : backends_) backend.process.reset();
  if (!run_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(run_dir_, ignored);
  }
}

std::string Fleet::Description() const {
  return fmt::format("{} backends (predictwire serve) behind {} ({}), all on CPU {}",
                     backends_.size(), options_.balancer == "haproxy" ? "HAProxy" : "nginx",
                     options_.balancer_binary,
                     options_.cpus.empty() ? std::string("any")
                                           : fmt::format("{}", fmt::join(options_.cpus, ",")));
}

std::vector<std::string> Fleet::Addresses() const {
  std::vector<std::string> addresses;
  for (const Backend& backend : backends_) addresses.push_back(backend.address);
  return addresses;
}

absl::StatusOr<std::string> Fleet::BalancerUrl(const WireSpec& wire) const {
  // nginx takes h2c (prior knowledge) and gRPC on a port of its own.
  const bool h2 = wire.wire->family == WireFamily::kHttp2 || wire.wire->family == WireFamily::kGrpc;
  const std::string& address = options_.balancer == "nginx" && h2 ? listen_h2c_ : listen_;
  return WireUrl(wire, ServerAddresses{.by_key = {{"http", address}, {"grpc", address}}});
}

absl::StatusOr<std::string> Fleet::DirectUrl(const WireSpec& wire) const {
  if (backends_.empty()) return absl::FailedPreconditionError("the fleet has no backend");
  const std::string& address = backends_.front().address;
  return WireUrl(wire, ServerAddresses{.by_key = {{"http", address}, {"grpc", address}}});
}

std::vector<double> Fleet::RequestsServed() const {
  std::vector<double> served;
  for (const Backend& backend : backends_) {
    const auto [status, body] = HttpGet(backend.address, "/metrics");
    if (status != 200) {
      served.push_back(-1);
      continue;
    }
    double total = 0;
    std::istringstream lines(body);
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with("predictwire_requests_total{")) continue;
      const size_t space = line.rfind(' ');
      if (space != std::string::npos) total += std::atof(line.c_str() + space + 1);
    }
    served.push_back(total);
  }
  return served;
}

absl::Status Fleet::StartBackend(Backend& backend) {
  os::ChildProcess::Options start;
  // Each backend's own gRPC ports go unused (the balancer sends gRPC to --http) but must be free.
  start.argv = {options_.binary,   "serve",
                "--http",          backend.address,
                "--grpc",          "127.0.0.1:0",
                "--grpcs",         "127.0.0.1:0",
                "--io-threads",    "1",
                "--drain-delay",   fmt::format("{}ms", options_.drain_delay.count()),
                "--drain-timeout", "10s"};
  if (!max_connection_age_.empty()) {
    start.argv.push_back("--max-connection-age");
    start.argv.push_back(max_connection_age_);
  }
  for (const std::string& model : options_.server_models) {
    start.argv.push_back("--model");
    start.argv.push_back(model);
  }
  if (backend.in_cut_namespace) {
    start.argv.insert(start.argv.begin(), {"/sbin/ip", "netns", "exec", options_.cut_namespace});
  }
  start.cpus = options_.cpus;
  start.stderr_path =
      (std::filesystem::path(options_.log_dir) / fmt::format("fleet-backend-{}.log", next_log_++))
          .string();
  start.ready_prefix = std::string(transport::kReadyPrefix);
  // A port just let go by a backend killed may take a moment to bind again.
  absl::Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<std::unique_ptr<os::ChildProcess>> started = os::ChildProcess::Start(start);
    if (started.ok()) {
      backend.process = *std::move(started);
      if (WaitFor([&] { return HttpGet(backend.address, "/v2/health/ready").first == 200; },
                  milliseconds(20000))) {
        return absl::OkStatus();
      }
      return absl::UnavailableError(fmt::format("backend {} never got ready", backend.address));
    }
    last = started.status();
    std::this_thread::sleep_for(milliseconds(200));
  }
  return last;
}

absl::Status Fleet::Render(const std::vector<std::string>& addresses) {
  const std::string name = options_.balancer == "haproxy" ? "haproxy.cfg" : "nginx.conf";
  const std::string text =
      ReadFile((std::filesystem::path(options_.deploy_dir) / options_.balancer / name).string());
  if (text.empty()) {
    return absl::FailedPreconditionError(fmt::format("cannot read the template {}/{}/{}",
                                                     options_.deploy_dir, options_.balancer, name));
  }
  std::map<std::string, std::string> values = {{"RUN_DIR", run_dir_}, {"LISTEN", listen_}};
  if (options_.balancer == "haproxy") {
    values["CHECK_INTERVAL"] = fmt::format("{}ms", options_.check_interval.count());
  } else {
    values["LISTEN_H2C"] = listen_h2c_;
  }
  absl::StatusOr<std::string> rendered = RenderBalancerConfig(text, addresses, values);
  if (!rendered.ok()) return rendered.status();
  config_path_ = (std::filesystem::path(run_dir_) / name).string();
  const std::string temporary = config_path_ + ".new";
  {
    std::ofstream out(temporary);
    out << *rendered;
    if (!out) return absl::InternalError(fmt::format("cannot write {}", temporary));
  }
  std::filesystem::rename(temporary, config_path_);
  return absl::OkStatus();
}

bool Fleet::Accepting() const {
  for (const std::string& address : {listen_, listen_h2c_}) {
    if (address.empty()) continue;
    const int fd = ConnectTcp(address, milliseconds(500));
    if (fd < 0) return false;
    close(fd);
  }
  return true;
}

absl::Status Fleet::StartBalancer() {
  listen_ = fmt::format("127.0.0.1:{}", FreePort());
  if (options_.balancer == "nginx") listen_h2c_ = fmt::format("127.0.0.1:{}", FreePort());
  if (absl::Status rendered = Render(Addresses()); !rendered.ok()) return rendered;
  os::ChildProcess::Options start;
  if (options_.balancer == "haproxy") {
    start.argv = {options_.balancer_binary, "-W", "-db", "-f", config_path_};
  } else {
    start.argv = {
        options_.balancer_binary, "-c", config_path_, "-e", "stderr", "-g", "daemon off;"};
  }
  start.cpus = options_.cpus;
  start.stderr_path =
      (std::filesystem::path(options_.log_dir) / ("fleet-" + options_.balancer + ".log")).string();
  start.no_ready_line = true;
  absl::StatusOr<std::unique_ptr<os::ChildProcess>> started = os::ChildProcess::Start(start);
  if (!started.ok()) return started.status();
  balancer_ = *std::move(started);
  const bool up = WaitFor([&] { return balancer_->WaitExit(milliseconds(0)) || Accepting(); },
                          milliseconds(20000), milliseconds(50));
  if (!up || balancer_->exited()) {
    const std::string log = os::LogTail(start.stderr_path);
    StopBalancer();
    return absl::UnavailableError(fmt::format("{} did not start: {}", options_.balancer, log));
  }
  return WaitRouted(milliseconds(30000));
}

void Fleet::StopBalancer() {
  if (!balancer_) return;
  // Workers a reload left behind go with their master; any that outlive it are stopped by pid.
  const std::set<pid_t> workers = ChildrenOf(balancer_->pid());
  balancer_->Stop(milliseconds(5000));
  for (pid_t worker : workers) kill(worker, SIGKILL);
  balancer_.reset();
}

absl::Status Fleet::Reload() {
  const std::set<pid_t> before = ChildrenOf(balancer_->pid());
  balancer_->Signal(options_.balancer == "haproxy" ? SIGUSR2 : SIGHUP);
  const bool reloaded = WaitFor(
      [&] {
        for (pid_t child : ChildrenOf(balancer_->pid())) {
          if (!before.count(child)) return true;
        }
        return false;
      },
      milliseconds(20000));
  if (!reloaded) return absl::UnavailableError(fmt::format("{} did not reload", options_.balancer));
  return absl::OkStatus();
}

bool Fleet::Routed(const std::vector<std::string>& names) const {
  if (options_.balancer != "haproxy") return true;
  const std::string stat = RuntimeCommand(run_dir_ + "/haproxy.sock", "show stat");
  std::set<std::string> up;
  std::istringstream lines(stat);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) fields.push_back(cell);
    if (fields.size() > 17 && fields[0] == "predictwire_http" && fields[17].starts_with("UP") &&
        !fields[17].starts_with("UP ")) {
      up.insert(fields[1]);
    }
  }
  for (const std::string& name : names) {
    if (!up.count(name)) return false;
  }
  return true;
}

absl::Status Fleet::WaitRouted(milliseconds timeout) {
  std::vector<std::string> names;
  for (size_t i = 0; i < backends_.size(); ++i) names.push_back(fmt::format("b{}", i + 1));
  if (WaitFor([&] { return Routed(names); }, timeout, milliseconds(50))) return absl::OkStatus();
  return absl::UnavailableError(fmt::format("{} does not see every backend up", options_.balancer));
}

absl::Status Fleet::Kill(size_t index) {
  if (index >= backends_.size()) return absl::OutOfRangeError("no such backend");
  Backend& backend = backends_[index];
  backend.process->Signal(SIGKILL);
  backend.process->WaitExit(milliseconds(5000));
  return absl::OkStatus();
}

absl::Status Fleet::Cut() {
  if (!options_.cut) return absl::FailedPreconditionError("the fleet has no link to cut");
  return options_.cut();
}

absl::Status Fleet::Drain(size_t index) {
  if (index >= backends_.size()) return absl::OutOfRangeError("no such backend");
  backends_[index].process->Signal(SIGTERM);
  if (options_.balancer == "nginx") {
    std::vector<std::string> others;
    for (size_t i = 0; i < backends_.size(); ++i) {
      if (i != index) others.push_back(backends_[i].address);
    }
    if (absl::Status rendered = Render(others); !rendered.ok()) return rendered;
    return Reload();
  }
  return absl::OkStatus();
}

bool Fleet::WaitExited(size_t index, milliseconds timeout) {
  return index < backends_.size() && backends_[index].process->WaitExit(timeout);
}

absl::Status Fleet::RollingRestart() {
  for (size_t i = 0; i < backends_.size(); ++i) {
    if (absl::Status drained = Drain(i); !drained.ok()) return drained;
    if (!backends_[i].process->WaitExit(options_.drain_delay + milliseconds(15000))) {
      backends_[i].process->Stop(milliseconds(1000));
    }
    if (absl::Status started = StartBackend(backends_[i]); !started.ok()) return started;
    if (options_.balancer == "nginx") {
      if (absl::Status rendered = Render(Addresses()); !rendered.ok()) return rendered;
      if (absl::Status reloaded = Reload(); !reloaded.ok()) return reloaded;
    }
    if (absl::Status routed = WaitRouted(milliseconds(30000)); !routed.ok()) return routed;
  }
  return absl::OkStatus();
}

absl::Status Fleet::AddBackend() {
  Backend& backend = backends_.emplace_back();
  backend.address = fmt::format("127.0.0.1:{}", FreePort());
  if (absl::Status started = StartBackend(backend); !started.ok()) return started;
  if (absl::Status rendered = Render(Addresses()); !rendered.ok()) return rendered;
  return Reload();
}

absl::Status Fleet::Restore(int count, const std::string& max_connection_age) {
  const bool fresh_set = static_cast<int>(backends_.size()) != count ||
                         max_connection_age != max_connection_age_ || backends_.empty();
  bool changed = false;
  if (fresh_set) {
    for (Backend& backend : backends_) backend.process->Stop(milliseconds(5000));
    backends_.clear();
    max_connection_age_ = max_connection_age;
    backends_.resize(static_cast<size_t>(count));
    for (Backend& backend : backends_) {
      backend.in_cut_namespace = &backend == &backends_.front() && !options_.cut_namespace.empty();
      backend.address = backend.in_cut_namespace ? options_.cut_host + ":8000"
                                                 : fmt::format("127.0.0.1:{}", FreePort());
      if (absl::Status started = StartBackend(backend); !started.ok()) return started;
    }
    changed = true;
  } else {
    for (Backend& backend : backends_) {
      // A backend draining finishes first; one that will not is stopped.
      if (!backend.process->WaitExit(milliseconds(0))) {
        if (HttpGet(backend.address, "/v2/health/ready").first == 200) continue;
        if (!backend.process->WaitExit(options_.drain_delay + milliseconds(15000))) {
          backend.process->Stop(milliseconds(1000));
        }
      }
      if (absl::Status started = StartBackend(backend); !started.ok()) return started;
      changed = true;
    }
  }
  if (!balancer_) return StartBalancer();
  if (changed && (fresh_set || options_.balancer == "nginx")) {
    if (absl::Status rendered = Render(Addresses()); !rendered.ok()) return rendered;
    if (absl::Status reloaded = Reload(); !reloaded.ok()) return reloaded;
  }
  return WaitRouted(milliseconds(30000));
}

}  // namespace predictwire::loadgen
