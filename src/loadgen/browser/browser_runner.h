#ifndef PREDICTWIRE_LOADGEN_BROWSER_BROWSER_RUNNER_H_
#define PREDICTWIRE_LOADGEN_BROWSER_BROWSER_RUNNER_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/driver/bench.h"

namespace predictwire::loadgen {

class HeadlessChromium;

// What the server's page measured for one browser wire: window.predictwire.measureWire's result
// (web/index.html), each request timed by the page from the call to the parsed answer.
struct PageMeasurement {
  std::vector<double> latency_us;          // each answered request, in the order sent
  std::vector<double> server_us;           // the server's time for each (-1: not reported)
  std::vector<double> connect_us;          // each connection opened (WebSocket wires)
  std::map<std::string, uint64_t> errors;  // failed requests by kind (http_503, timeout, ...)
  std::string first_error;
  double seconds = 0;  // the measured requests took this long
};

// Reads the page's result (JSON); an error names what is missing.
absl::StatusOr<PageMeasurement> ParsePageMeasurement(std::string_view json);

// The page's numbers as a run of bench's: latency, server and network (latency − server)
// histograms in nanoseconds, connections, errors by kind, and the median of each of
// `bench.batches` consecutive slices of the requests (the batches of confidence.h).
BenchResult ToBenchResult(const PageMeasurement& page, const BenchOptions& bench);

// Runs the browser wires (browser_wires.h) of compare's browser scenario: Debian's headless
// Chromium, pinned to the client's CPUs, shows the server's page and measures one wire each
// time it is asked, one request at a time, as the page's measure panel does. The second origin
// of the preflight wires is the server under its other loopback name, so the server must allow
// the page's origin (compare's server runs with --cors-origin '*'). Used from one thread.
class BrowserRunner {
 public:
  struct Options {
    std::string server_address;  // HOST:PORT of the server's plain HTTP port; HOST 127.0.0.1
    std::vector<int> cpus;
    std::string log_path = "/dev/null";  // Chromium's own log
  };

  // Starts Chromium and opens the page (http://HOST:PORT/); fails if it does not load or reports
  // an error.
  static absl::StatusOr<std::unique_ptr<BrowserRunner>> Start(const Options& options);
  ~BrowserRunner();

  // Measures `bench.requests` requests of `bench.wire` (a browser wire) with `bench.model` and
  // `bench.features` features, after a few unmeasured ones. Fails only when the page cannot be
  // asked; failed requests are counted in the result.
  absl::StatusOr<BenchResult> Run(const BenchOptions& bench);

 private:
  BrowserRunner(const Options& options, std::unique_ptr<HeadlessChromium> browser,
                std::string session);

  const Options options_;
  std::unique_ptr<HeadlessChromium> browser_;
  const std::string session_;  // the page's DevTools session
};

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_BROWSER_BROWSER_RUNNER_H_
