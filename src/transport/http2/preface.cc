#include "transport/http2/preface.h"

#include <algorithm>

namespace predictwire::transport::http2 {

PrefaceMatch MatchClientPreface(std::string_view input) {
  const size_t compared = std::min(input.size(), kClientPreface.size());
  if (input.substr(0, compared) != kClientPreface.substr(0, compared)) {
    return PrefaceMatch::kNotHttp2;
  }
  return compared == kClientPreface.size() ? PrefaceMatch::kHttp2 : PrefaceMatch::kNeedMore;
}

PriorKnowledgeDetector::PriorKnowledgeDetector(ProtocolConnection& connection,
                                               const Factory& make_http1, const Factory& make_http2,
                                               std::chrono::seconds idle_timeout)
    : connection_(connection),
      make_http1_(make_http1),
      make_http2_(make_http2),
      idle_timeout_(idle_timeout) {}

size_t PriorKnowledgeDetector::OnInput(char* data, size_t size) {
  const PrefaceMatch match = MatchClientPreface(std::string_view(data, size));
  if (match == PrefaceMatch::kNeedMore) return 0;
  std::unique_ptr<Protocol> next =
      match == PrefaceMatch::kHttp2 ? make_http2_(connection_) : make_http1_(connection_);
  if (!next) {
    connection_.Close();
    return size;
  }
  // The connection offers the same bytes to the new protocol.
  connection_.SwitchProtocol(std::move(next));
  return 0;
}

}  // namespace predictwire::transport::http2
