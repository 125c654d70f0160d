#ifndef PREDICTWIRE_LOADGEN_CLIENT_WIRE_H_
#define PREDICTWIRE_LOADGEN_CLIENT_WIRE_H_

// The wires `bench` and `compare` can measure, as one table: everything the load generator
// knows of a wire is in its row (wire_table.cc), and nothing else in the load generator lists
// wires. Adding a wire is a row and its connection class (wire_connection.h).

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/client/payload.h"

namespace predictwire::loadgen {

class WireConnection;
struct ConnectionSetup;

enum class WireFamily { kHttp1, kWebSocket, kHttp2, kGrpc, kTcp };
std::string_view FamilyName(WireFamily family);

// Where a wire's requests go: URL schemes, the key of the server's port in its ready line
// ("predictwire: listening http=... grpc=... https=... grpcs=..."), in the clear and over TLS
// (empty: no TLS variant), and the protocol it asks for by ALPN over TLS.
struct WireRoute {
  std::string_view scheme;
  std::string_view tls_scheme;
  std::string_view port_key;
  std::string_view tls_port_key;
  std::string_view alpn;
};

// One row of the wire table.
struct Wire {
  using BodyEncoder = absl::StatusOr<RequestBody> (*)(const PayloadOptions&);
  using ConnectionFactory = std::unique_ptr<WireConnection> (*)(const ConnectionSetup&);

  std::string_view name;  // as on the command line; "+tls" appended runs it over TLS
  WireFamily family;
  std::string_view help;  // one line for `bench --help`
  // Each request opens (and closes) a connection of its own, so its latency includes the
  // handshake; otherwise connections are opened once and kept.
  bool new_connection_per_request = false;
  // Up to --pipeline requests in flight on one connection; otherwise one at a time.
  bool multiplexes = false;
  // One of the article's own wires (REST, WebSocket): compare --quick measures only these in
  // the scenarios where every wire would repeat the same figures.
  bool article = false;
  // A yardstick, not a candidate: the raw TCP exchange every other wire is a multiple of.
  // compare measures it beside the wires of the same connection pattern, never ranks it.
  bool floor = false;
  WireRoute route;
  BodyEncoder encode_body;
  ConnectionFactory make_connection;

  // Requests one connection may have in flight, given --pipeline.
  int Depth(int pipeline) const { return multiplexes ? std::max(1, pipeline) : 1; }
};

// Every wire, in the order help texts and reports list them.
std::span<const Wire> Wires();
// rest-keepalive: bench's default.
const Wire& DefaultWire();

// A wire as named on the command line: its row, and whether it runs over TLS ("ws+tls").
struct WireSpec {
  const Wire* wire = &DefaultWire();
  bool tls = false;

  // The server port it goes to (a ready-line key) and its URL scheme, plain or TLS.
  std::string_view port_key() const {
    return tls ? wire->route.tls_port_key : wire->route.port_key;
  }
  std::string_view scheme() const { return tls ? wire->route.tls_scheme : wire->route.scheme; }
};

absl::StatusOr<WireSpec> ParseWire(std::string_view name);
// "ws" or "ws+tls".
std::string WireLabel(const WireSpec& spec);
// The plain wires' names.
std::vector<std::string> WireNames();
// The plain names of the wires compare ranks (all but the floors).
std::vector<std::string> CandidateWireNames();
// Every name ParseWire accepts: each wire, then each wire's "+tls" variant.
std::vector<std::string> AllWireNames();

// Where to send: "http://HOST:PORT[/PATH]", "ws://...", "grpc://HOST:PORT", or over TLS
// "https://...", "wss://...", "grpcs://..." (the schemes of the wire table).
struct Target {
  std::string host;
  uint16_t port = 0;
  std::string path;      // as given, empty when the URL has none
  bool tls = false;      // the scheme is a TLS one
  std::string port_key;  // which of the server's ports the scheme names: http, https, grpc, grpcs
};

absl::StatusOr<Target> ParseTarget(std::string_view url);

// Where one server listens: the KEY=HOST:PORT pairs of its ready line, and a path every URL to
// it ends with (for a server whose routes are not predictwire's; empty for ours).
struct ServerAddresses {
  std::map<std::string, std::string, std::less<>> by_key;
  std::string path;
};

// Reads "predictwire: listening http=127.0.0.1:8000 grpc=127.0.0.1:8001 ...".
ServerAddresses ParseReadyLine(std::string_view line);
// A `predictwire serve` on this machine with its default addresses.
ServerAddresses DefaultServerAddresses();

// The URL `spec` sends to on `server`: the wire's scheme and the address of the wire's port.
// The one place a run's URL is made (bench's default target, every compare run).
absl::StatusOr<std::string> WireUrl(const WireSpec& spec, const ServerAddresses& server);

// Whether `target`'s scheme names a port of `spec`'s (plain or TLS: "+tls" may ask for TLS on a
// plain scheme's URL); a clear error if not, e.g. for a gRPC wire sent to the HTTP port.
absl::Status CheckTargetFits(const WireSpec& spec, const Target& target);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_CLIENT_WIRE_H_
