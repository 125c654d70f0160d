#include "loadgen/browser/headless_chromium.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "codec/json_writer.h"
#include "core/status.h"
#include "os/child_process.h"
#include "os/cpu_affinity.h"

extern char** environ;

namespace predictwire::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

// The switches of a quiet, throwaway browser: no sandbox (it may run as root in a container), no
// GPU, no QUIC (loopback TCP like every other client), and none of the requests a browser makes
// on its own (updates, sync, field trials).
constexpr const char* kSwitches[] = {"--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--disable-quic",
                                     "--no-first-run",
                                     "--disable-background-networking",
                                     "--disable-component-update",
                                     "--disable-sync",
                                     "--disable-default-apps",
                                     "--mute-audio",
                                     "--remote-debugging-pipe"};

// The browser's own fds for the protocol, as --remote-debugging-pipe fixes them.
constexpr int kBrowserReads = 3;
constexpr int kBrowserWrites = 4;

std::string StringField(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

// A page error an event reports, or "".
std::string PageErrorOf(std::string_view method, const boost::json::object& params) {
  if (method == "Runtime.exceptionThrown") {
    const boost::json::value* details = params.if_contains("exceptionDetails");
    if (details != nullptr && details->is_object()) {
      const boost::json::value* exception = details->as_object().if_contains("exception");
      if (exception != nullptr && exception->is_object()) {
        const std::string description = StringField(exception->as_object(), "description");
        if (!description.empty()) return "exception: " + description;
      }
      return "exception: " + StringField(details->as_object(), "text");
    }
    return "exception";
  }
  if (method == "Runtime.consoleAPICalled" && StringField(params, "type") == "error") {
    std::string text = "console:";
    if (const boost::json::value* args = params.if_contains("args"); args && args->is_array()) {
      for (const boost::json::value& arg : args->as_array()) {
        if (!arg.is_object()) continue;
        const boost::json::value* value = arg.as_object().if_contains("value");
        text += ' ';
        text += value != nullptr && value->is_string()
                    ? std::string(value->get_string())
                    : StringField(arg.as_object(), "description");
      }
    }
    return text;
  }
  if (method == "Log.entryAdded") {
    const boost::json::value* entry = params.if_contains("entry");
    if (entry != nullptr && entry->is_object() &&
        StringField(entry->as_object(), "level") == "error") {
      return "log: " + StringField(entry->as_object(), "text");
    }
  }
  return "";
}

}  // namespace

bool HeadlessChromium::Available(std::string_view executable) {
  return access(std::string(executable).c_str(), X_OK) == 0;
}

absl::StatusOr<std::unique_ptr<HeadlessChromium>> HeadlessChromium::Start(const Options& options) {
  if (!Available(options.executable)) {
    return absl::NotFoundError(
        fmt::format("{} is not installed (scripts/setup.sh installs "
                    "Debian's chromium)",
                    options.executable));
  }
  char profile[] = "/tmp/predictwire-chromium-XXXXXX";
  if (mkdtemp(profile) == nullptr) {
    return absl::InternalError("cannot create a directory for Chromium's profile");
  }
  int to_browser[2], from_browser[2];
  if (pipe2(to_browser, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  if (pipe2(from_browser, O_CLOEXEC) != 0) {
    close(to_browser[0]);
    close(to_browser[1]);
    return absl::InternalError("pipe failed");
  }
  // Above the fds the child's ends must land on, so that placing one cannot close the other.
  const int child_reads = fcntl(to_browser[0], F_DUPFD_CLOEXEC, 10);
  const int child_writes = fcntl(from_browser[1], F_DUPFD_CLOEXEC, 10);
  close(to_browser[0]);
  close(from_browser[1]);

  // Everything the child needs is prepared before fork: only async-signal-safe calls after.
  std::vector<std::string> arguments = {options.executable};
  arguments.insert(arguments.end(), std::begin(kSwitches), std::end(kSwitches));
  arguments.push_back(fmt::format("--user-data-dir={}", profile));
  arguments.push_back("about:blank");
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  const cpu_set_t cpus = os::CpuSetOf(options.cpus);
  const bool pin = !options.cpus.empty();

  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(fmt::format("fork failed: {}", std::strerror(errno)));
  if (pid == 0) {
    // A process group of its own: the browser's helper processes are stopped with it.
    setpgid(0, 0);
    dup2(child_reads, kBrowserReads);
    dup2(child_writes, kBrowserWrites);
    const int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
    }
    os::ExecInForkedChild(argv.data(), environ, options.stderr_path.c_str(), pin ? &cpus : nullptr);
  }
  close(child_reads);
  close(child_writes);
  std::unique_ptr<HeadlessChromium> browser(
      new HeadlessChromium(pid, to_browser[1], from_browser[0], profile, options.stderr_path));
  if (absl::StatusOr<std::string> version =
          browser->Call("Browser.getVersion", "{}", "", std::chrono::seconds(30));
      !version.ok()) {
    return absl::UnavailableError(
        fmt::format("Chromium did not answer on its DevTools pipe ({}): {}",
                    MessageOf(version.status()), os::LogTail(options.stderr_path)));
  }
  return browser;
}

HeadlessChromium::~HeadlessChromium() {
  // Politely first, so the profile is written out before it is deleted.
  (void)Call("Browser.close", "{}", "", std::chrono::seconds(3));
  close(to_browser_);
  close(from_browser_);
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(-pid_, SIGKILL);  // any helper still running, in the group the browser made
  std::error_code ignored;
  std::filesystem::remove_all(profile_, ignored);
}

absl::StatusOr<std::string> HeadlessChromium::ReadMessage(Clock::time_point deadline) {
  for (;;) {
    if (const size_t end = pending_.find('\0'); end != std::string::npos) {
      std::string message = pending_.substr(0, end);
      pending_.erase(0, end + 1);
      return message;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return absl::DeadlineExceededError("no answer from Chromium in time");
    pollfd poll_fd{from_browser_, POLLIN, 0};
    const int ready = poll(&poll_fd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline is checked above
    char chunk[65536];
    const ssize_t n = read(from_browser_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError("Chromium closed its DevTools pipe");
    pending_.append(chunk, static_cast<size_t>(n));
  }
}

absl::StatusOr<HeadlessChromium::Reply> HeadlessChromium::ReadReplyOrEvent(
    Clock::time_point deadline) {
  absl::StatusOr<std::string> text = ReadMessage(deadline);
  if (!text.ok()) return text.status();
  Reply reply;
  boost::system::error_code error;
  const boost::json::value message = boost::json::parse(*text, error);
  if (error || !message.is_object()) return reply;  // not the protocol's: skipped
  const boost::json::object& object = message.as_object();
  if (const boost::json::value* id = object.if_contains("id"); id != nullptr) {
    reply.id = id->is_int64() ? static_cast<int>(id->as_int64()) : 0;
    if (const boost::json::value* failure = object.if_contains("error")) {
      reply.error = failure->is_object() ? StringField(failure->as_object(), "message")
                                         : boost::json::serialize(*failure);
      if (reply.error.empty()) reply.error = "error";
    }
    const boost::json::value* result = object.if_contains("result");
    reply.result = result != nullptr ? boost::json::serialize(*result) : std::string("{}");
    return reply;
  }
  const std::string method = StringField(object, "method");
  const boost::json::value* params = object.if_contains("params");
  if (params != nullptr && params->is_object()) {
    if (std::string page_error = PageErrorOf(method, params->as_object()); !page_error.empty()) {
      page_errors_.push_back(std::move(page_error));
    }
  }
  constexpr size_t kEventsKept = 1000;  // events nobody waits for are forgotten, oldest first
  if (events_.size() >= kEventsKept) events_.erase(events_.begin());
  events_.push_back(fmt::format("{} {}", StringField(object, "sessionId"), method));
  return reply;
}

absl::StatusOr<std::string> HeadlessChromium::Call(std::string_view method,
                                                   std::string_view params_json,
                                                   std::string_view session,
                                                   std::chrono::milliseconds timeout) {
  const int id = ++next_id_;
  std::string message = fmt::format("{{\"id\":{},\"method\":", id);
  codec::AppendJsonString(method, &message);
  message += ",\"params\":";
  message += params_json;
  if (!session.empty()) {
    message += ",\"sessionId\":";
    codec::AppendJsonString(session, &message);
  }
  message += "}";
  message.push_back('\0');
  for (size_t sent = 0; sent < message.size();) {
    const ssize_t n = write(to_browser_, message.data() + sent, message.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError("cannot write to Chromium's DevTools pipe");
    sent += static_cast<size_t>(n);
  }
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    absl::StatusOr<Reply> reply = ReadReplyOrEvent(deadline);
    if (!reply.ok()) {
      return absl::Status(reply.status().code(),
                          fmt::format("{}: {}", method, MessageOf(reply.status())));
    }
    if (reply->id != id) continue;  // an event, or a reply given up on
    if (!reply->error.empty()) {
      return absl::InternalError(fmt::format("{}: {}", method, reply->error));
    }
    return std::move(reply->result);
  }
}

absl::Status HeadlessChromium::WaitForEvent(std::string_view method, std::string_view session,
                                            std::chrono::milliseconds timeout) {
  const std::string key = fmt::format("{} {}", session, method);
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    if (const auto found = std::find(events_.begin(), events_.end(), key); found != events_.end()) {
      events_.erase(events_.begin(), found + 1);
      return absl::OkStatus();
    }
    if (absl::StatusOr<Reply> read = ReadReplyOrEvent(deadline); !read.ok()) {
      return absl::Status(read.status().code(),
                          fmt::format("waiting for {}: {}", method, MessageOf(read.status())));
    }
  }
}

}  // namespace predictwire::loadgen
