#ifndef PREDICTWIRE_TRANSPORT_HTTP2_PREFACE_H_
#define PREDICTWIRE_TRANSPORT_HTTP2_PREFACE_H_

#include <functional>
#include <memory>
#include <string_view>

#include "transport/common/protocol.h"
#include "transport/common/protocol_connection.h"

namespace predictwire::transport::http2 {

// The 24 bytes an HTTP/2 client with prior knowledge sends first (RFC 9113 section 3.4).
inline constexpr std::string_view kClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class PrefaceMatch {
  kHttp2,     // `input` starts with the whole preface
  kNotHttp2,  // `input` differs from the preface somewhere
  kNeedMore,  // `input` is a proper prefix of the preface (possibly empty)
};

// Classifies the first bytes of a connection. Only a prefix of the preface waits for more, so an
// HTTP/1.1 request ("GET ...", "POST ...") is told apart by its first two bytes at most.
PrefaceMatch MatchClientPreface(std::string_view input);

// The first protocol of every connection on the HTTP port: looks at the first bytes and switches
// to HTTP/2 when they are the client preface, to HTTP/1.1 otherwise. Consumes nothing itself;
// the chosen protocol gets every byte. Runs on the connection's thread like any Protocol.
class PriorKnowledgeDetector : public Protocol {
 public:
  // Returns the protocol for `connection`, or null if it cannot be made (the connection closes).
  using Factory = std::function<std::unique_ptr<Protocol>(ProtocolConnection&)>;

  // `make_http1` and `make_http2` must outlive the connection.
  PriorKnowledgeDetector(ProtocolConnection& connection, const Factory& make_http1,
                         const Factory& make_http2, std::chrono::seconds idle_timeout);

  size_t OnInput(char* data, size_t size) override;
  void OnGoAway(GoAwayReason) override { connection_.Close(); }  // nothing was asked yet
  bool HasWorkInFlight() const override { return false; }
  std::chrono::seconds IdleTimeout() const override { return idle_timeout_; }
  // Nothing has been said yet: the first request head is awaited from the accept.
  bool AwaitingRequestHead() const override { return true; }

 private:
  ProtocolConnection& connection_;
  const Factory& make_http1_;
  const Factory& make_http2_;
  const std::chrono::seconds idle_timeout_;
};

}  // namespace predictwire::transport::http2

#endif  // PREDICTWIRE_TRANSPORT_HTTP2_PREFACE_H_
