#ifndef PREDICTWIRE_LOADGEN_BROWSER_HEADLESS_CHROMIUM_H_
#define PREDICTWIRE_LOADGEN_BROWSER_HEADLESS_CHROMIUM_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace predictwire::loadgen {

// Debian's Chromium, headless, driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: commands go to the browser's fd 3, replies and events come from its
// fd 4, each one JSON text ended by a NUL byte), so no port is opened and nothing is downloaded.
// It runs with a fresh profile, deleted afterwards, and without its background networking, so
// it makes no request but the pages it is sent to. Used from one thread.
class HeadlessChromium {
 public:
  // Debian's package: no browser is downloaded.
  static constexpr std::string_view kDebianChromium = "/usr/bin/chromium";

  struct Options {
    std::string executable = std::string(kDebianChromium);
    std::vector<int> cpus;                  // the browser and its helpers; empty: no pinning
    std::string stderr_path = "/dev/null";  // the browser's own log
  };

  // Whether Debian's Chromium is installed where Options says.
  static bool Available(std::string_view executable = kDebianChromium);

  // Starts the browser; fails with its log's tail if it does not answer within seconds.
  static absl::StatusOr<std::unique_ptr<HeadlessChromium>> Start(const Options& options);
  ~HeadlessChromium();  // closes the browser and deletes its profile

  // Sends one command (`params_json` a JSON object; `session` a session id from
  // Target.attachToTarget with flatten, or empty for the browser) and waits up to `timeout` for
  // its reply. Returns the reply's "result" object as JSON text, or the protocol's error.
  absl::StatusOr<std::string> Call(std::string_view method, std::string_view params_json,
                                   std::string_view session, std::chrono::milliseconds timeout);

  // Waits until the event `method` has arrived for `session` since the last call that asked for
  // it (events are kept, by name, as they arrive during calls).
  absl::Status WaitForEvent(std::string_view method, std::string_view session,
                            std::chrono::milliseconds timeout);

  // What the pages reported as errors so far: console errors, uncaught exceptions and failed
  // loads (Runtime and Log must be enabled on the session).
  const std::vector<std::string>& page_errors() const { return page_errors_; }

 private:
  HeadlessChromium(pid_t pid, int to_browser, int from_browser, std::string profile,
                   std::string stderr_path)
      : pid_(pid),
        to_browser_(to_browser),
        from_browser_(from_browser),
        profile_(std::move(profile)),
        stderr_path_(std::move(stderr_path)) {}

  // A reply to a command: its id and its result (JSON text) or error message.
  struct Reply {
    int id = 0;  // 0: the message was an event
    std::string result;
    std::string error;
  };
  // Reads one message's text, waiting until `deadline`.
  absl::StatusOr<std::string> ReadMessage(std::chrono::steady_clock::time_point deadline);
  // Reads one message: a reply is returned, an event is noted (its name in events_, a page error
  // in page_errors_) and returned as id 0.
  absl::StatusOr<Reply> ReadReplyOrEvent(std::chrono::steady_clock::time_point deadline);

  const pid_t pid_;
  const int to_browser_;
  const int from_browser_;
  const std::string profile_;
  const std::string stderr_path_;
  std::string pending_;  // bytes read after the last complete message
  int next_id_ = 0;
  std::vector<std::string> events_;  // "SESSION METHOD" of events not yet waited for
  std::vector<std::string> page_errors_;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_BROWSER_HEADLESS_CHROMIUM_H_
