#ifndef PREDICTWIRE_LOADGEN_HARNESS_CUT_LINK_H_
#define PREDICTWIRE_LOADGEN_HARNESS_CUT_LINK_H_

// Two network namespaces of the instrument's own, joined by a veth pair, for the scale-out
// scenario's network cut (as tests/e2e/fleet/test_keepalive.py sets them up): the fleet's
// namespace holds the balancer, the other backends and the load (a thread enters it), the cut
// namespace one backend at kCutHost. Taking the fleet's end of the link down cuts that backend
// off without a reset reaching anyone. Both namespaces (and the link with them) are deleted at
// the end; nothing outside them changes.

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace predictwire::loadgen {

inline constexpr std::string_view kCutHost = "192.0.2.2";

class CutLink {
 public:
  // Fails where `ip netns add` is refused (a container's kernel may refuse it even to root).
  static absl::StatusOr<std::unique_ptr<CutLink>> Create();
  ~CutLink();
  CutLink(const CutLink&) = delete;
  CutLink& operator=(const CutLink&) = delete;

  const std::string& cut_namespace() const { return cut_; }
  // Moves the calling thread (and the threads and processes it starts afterwards) into the
  // fleet's namespace.
  absl::Status EnterFleetNamespace() const;
  // Takes the fleet's end of the link down: the cut backend is gone without a word.
  absl::Status Cut() const;

 private:
  CutLink(std::string fleet, std::string cut, std::string device)
      : fleet_(std::move(fleet)), cut_(std::move(cut)), device_(std::move(device)) {}
  std::string fleet_, cut_, device_;
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_HARNESS_CUT_LINK_H_
