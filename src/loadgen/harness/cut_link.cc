#include "loadgen/harness/cut_link.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <vector>

#include "os/child_process.h"

namespace predictwire::loadgen {
namespace {

// Runs `ip ARGS...` and says whether it exited 0.
absl::Status Ip(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "/sbin/ip");
  auto started = os::ChildProcess::Start({.argv = arguments, .no_ready_line = true});
  if (!started.ok()) return started.status();
  if (!(*started)->WaitExit(std::chrono::seconds(10))) {
    (*started)->Stop(std::chrono::milliseconds(100));
    return absl::UnavailableError(fmt::format("{} did not finish", fmt::join(arguments, " ")));
  }
  if (const int status = (*started)->Stop(); status != 0) {
    return absl::UnavailableError(fmt::format("{} failed ({})", fmt::join(arguments, " "), status));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<CutLink>> CutLink::Create() {
  static std::atomic<int> made{0};
  const std::string tag = fmt::format("pwso{}x{}", getpid() % 100000, made++);
  std::unique_ptr<CutLink> link(new CutLink(tag + "f", tag + "c", tag + "v"));
  if (absl::Status added = Ip({"netns", "add", link->fleet_}); !added.ok()) {
    link->fleet_.clear();
    link->cut_.clear();
    return absl::FailedPreconditionError(fmt::format(
        "the kernel refuses a network namespace here ({})", std::string(added.message())));
  }
  if (absl::Status added = Ip({"netns", "add", link->cut_}); !added.ok()) {
    link->cut_.clear();
    return added;
  }
  const std::string peer = tag + "w";
  for (const std::vector<std::string>& step : std::vector<std::vector<std::string>>{
           {"link", "add", link->device_, "type", "veth", "peer", "name", peer},
           {"link", "set", link->device_, "netns", link->fleet_},
           {"link", "set", peer, "netns", link->cut_},
           {"-n", link->fleet_, "addr", "add", "192.0.2.1/30", "dev", link->device_},
           {"-n", link->cut_, "addr", "add", std::string(kCutHost) + "/30", "dev", peer},
           {"-n", link->fleet_, "link", "set", link->device_, "up"},
           {"-n", link->cut_, "link", "set", peer, "up"},
           {"-n", link->fleet_, "link", "set", "lo", "up"},
           {"-n", link->cut_, "link", "set", "lo", "up"}}) {
    if (absl::Status done = Ip(step); !done.ok()) return done;
  }
  return link;
}

CutLink::~CutLink() {
  // Each namespace takes its end of the veth pair along.
  for (const std::string& name : {fleet_, cut_}) {
    if (!name.empty()) (void)Ip({"netns", "del", name});
  }
  (void)Ip({"link", "del", device_});  // if it never left this namespace (quietly fails else)
}

absl::Status CutLink::EnterFleetNamespace() const {
  const std::string path = "/var/run/netns/" + fleet_;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::UnavailableError(fmt::format("cannot open {}", path));
  const int entered = setns(fd, CLONE_NEWNET);
  close(fd);
  if (entered != 0) return absl::UnavailableError("setns into the fleet's namespace failed");
  return absl::OkStatus();
}

absl::Status CutLink::Cut() const { return Ip({"-n", fleet_, "link", "set", device_, "down"}); }

}  // namespace predictwire::loadgen
