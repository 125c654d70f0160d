#ifndef PREDICTWIRE_LOADGEN_SCENARIOS_H_
#define PREDICTWIRE_LOADGEN_SCENARIOS_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/bench.h"
#include "loadgen/report.h"
#include "loadgen/sweep.h"
#include "loadgen/wire.h"

namespace predictwire::loadgen {

// Which server a planned run goes to.
enum class RunTarget {
  kServer,          // predictwire serve, started by compare (or --target)
  kServerViaProxy,  // the same, through the delay proxy (sweep_value is the RTT in ms)
  kPeerFlask,       // the article's Flask server
  kPeerWebSockets,  // the article's websockets server
  kBrowser,         // headless Chromium on the server's page (browser_runner.h); a browser wire
};

struct PlannedRun {
  std::string wire;  // shown in reports: a wire's label, or peer-flask / peer-websockets
  std::string label;
  double sweep_value = 0;
  RunTarget target = RunTarget::kServer;
  int peer_compute_ms = 0;  // for peer targets
  bool record_server_stats = false;
  BenchOptions bench;  // everything but the target URL
};

struct PlannedScenario {
  std::string id;
  std::string title;
  std::string question;
  Sweep sweep = Sweep::kNone;
  std::vector<PlannedRun> runs;
  // The capacity scenario: the p99 a run must keep to (0 elsewhere); compare stops raising a
  // wire's rate once a run of it breaks this or has errors.
  std::chrono::nanoseconds slo{0};
  // The runs share one stream of open-loop arrivals, dealt to them in turn request by request
  // (RunBenchTogether), rather than taking turns run by run.
  bool interleaved = false;
};

struct PlanOptions {
  bool quick = false;
  std::vector<WireSpec> wires;  // the wires to measure (ParseWire of compare's --wires)
  // The user named the wires: --quick then measures each wherever it fits, rather than
  // trimming to the article's wires where every wire would repeat the same figures.
  bool wires_chosen = false;
  // Models the server offers (compare starts it with all of these; a --target server must
  // have them for the scenarios that use them).
  bool server_has_test_models = true;
  std::string model;  // for --target servers: the model every scenario uses
  std::vector<std::chrono::nanoseconds> rtts;
  // The capacity scenario's latency objective: the p99 each wire must keep.
  std::chrono::nanoseconds slo = std::chrono::milliseconds(1);
  bool peers = false;
  // Debian's Chromium is installed: the browser scenario measures it on compare's own server.
  bool browser = false;
  // Only scenarios whose id starts with one of these (empty: all), e.g. "many-clients".
  std::vector<std::string> only;
};

// The scenario matrix, each named after the article's decision criteria. --quick keeps every
// scenario but shortens runs and sweeps, to finish in about a minute and a half. Which wires a
// scenario measures follows from their rows in the wire table (wire.h), never from names.
std::vector<PlannedScenario> PlanScenarios(const PlanOptions& options);

// The scenarios' ids (or id prefixes, for families like many-clients-100 and -1000), for
// --scenarios and its help.
const std::vector<std::string>& ScenarioIds();

// The batching scenario's models: a model's name with this suffix is the same model, batched.
inline constexpr std::string_view kBatchedSuffix = "_batched";

// The models compare starts its server with: NAME=SPEC flags.
std::vector<std::string> ServerModels(const std::string& models_dir);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_SCENARIOS_H_
