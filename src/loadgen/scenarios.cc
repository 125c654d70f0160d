#include "loadgen/scenarios.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "loadgen/browser_wires.h"

namespace predictwire::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// Features per request unless a scenario sweeps them: the default model's 30.
constexpr int kFeatures = 30;

// Whether one wire of the plan is a kind of wire a scenario measures. `trim`: --quick with the
// default wires, which keeps fewer where more would repeat the same figures; wires the user
// named are measured wherever they fit.
using WireFilter = bool (*)(const Wire& wire, bool trim);

// The planned wires that pass `filter`, in the plan's order.
std::vector<WireSpec> Select(const PlanOptions& options, WireFilter filter) {
  std::vector<WireSpec> selected;
  for (const WireSpec& spec : options.wires) {
    if (spec.wire->floor) continue;  // measured beside the wires, as a yardstick
    if (filter(*spec.wire, options.quick && !options.wires_chosen)) selected.push_back(spec);
  }
  return selected;
}

bool AnyNewConnectionPerRequest(const std::vector<WireSpec>& wires) {
  return std::any_of(wires.begin(), wires.end(),
                     [](const WireSpec& spec) { return spec.wire->new_connection_per_request; });
}

BenchOptions Closed(const WireSpec& wire, int concurrency, nanoseconds duration,
                    nanoseconds warmup) {
  BenchOptions bench;
  bench.wire = wire;
  bench.concurrency = concurrency;
  bench.duration = duration;
  bench.warmup = warmup;
  bench.features = kFeatures;
  bench.progress = false;
  return bench;
}

BenchOptions Open(const WireSpec& wire, double rate, Arrival arrival, int connections,
                  nanoseconds duration, nanoseconds warmup) {
  BenchOptions bench = Closed(wire, 1, duration, warmup);
  bench.rate = rate;
  bench.arrival = arrival;
  bench.connections = connections;
  return bench;
}

// The model a scenario needs, or the user's model for a server compare did not start.
std::string ModelFor(const PlanOptions& options, const std::string& wanted) {
  return options.server_has_test_models ? wanted : options.model;
}

PlannedRun ServerRun(std::string label, BenchOptions bench, const std::string& model) {
  PlannedRun run;
  run.wire = WireLabel(bench.wire);
  run.label = std::move(label);
  bench.model = model;
  run.bench = std::move(bench);
  return run;
}

const Wire& FindWire(std::string_view name) { return *ParseWire(name)->wire; }

// The raw TCP floor as rows of `scenario`, loaded like `bench` (paced, or back to back) and taking
// turns with the wires, so each row's "× floor" compares numbers from the same moments: on a
// shared VM the floor itself drifts by tens of percent from minute to minute. The kept-open
// exchange, and the new-connection one when a wire connects per request.
void AddFloorRuns(const BenchOptions& bench, bool new_connection, PlannedScenario* scenario) {
  for (const bool fresh : {true, false}) {
    if (fresh && !new_connection) continue;
    BenchOptions floor_bench = bench;
    floor_bench.wire = {&FindWire(fresh ? "tcp-new" : "tcp"), false};
    PlannedRun floor;
    floor.wire = WireLabel(floor_bench.wire);
    floor.label = fresh ? "raw TCP, new connection" : "raw TCP, kept open";
    floor.bench = floor_bench;
    scenario->runs.push_back(std::move(floor));
  }
}

// Load sent before each run's measurement starts.
nanoseconds Warmup(const PlanOptions& options) {
  return options.quick ? milliseconds(200) : milliseconds(1000);
}

std::string PayloadLabel(int features) {
  return FormatSweepValue(Sweep::kPayloadBytes, features * 4.0);
}

// Sporadic: the article says REST suits it. What does a connection per request cost? The wires
// and the floors share one Poisson stream of arrivals, dealt to them in turn, so each request of
// each wire meets the machine as the others' do (after an idle gap every vCPU has halted).
PlannedScenario Sporadic(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{"sporadic",
                           quick ? "Sporadic: each wire ~10 requests/s (Poisson), in turn"
                                 : "Sporadic: each wire ~5 requests/s (Poisson), in turn",
                           "Predictions now and then: is a new connection per request (REST as "
                           "the article writes it) worse than keeping one open?"};
  scenario.interleaved = true;
  const double rate = quick ? 10 : 5;  // per wire: at least 100 requests each in --quick
  const auto duration = quick ? milliseconds(12000) : seconds(30);
  const nanoseconds warmup = Warmup(options);
  // One request at a time: a multiplexing wire measures what its one-at-a-time twin measures.
  const std::vector<WireSpec> wires =
      Select(options, [](const Wire& wire, bool) { return !wire.multiplexes; });
  // The raw TCP floor paced the same way: after an idle gap the machine itself needs time to
  // wake up, and that is not any protocol's cost.
  AddFloorRuns(Open({}, rate, Arrival::kPoisson, 1, duration, warmup), true, &scenario);
  for (const WireSpec& wire : wires) {
    scenario.runs.push_back(ServerRun(WireLabel(wire),
                                      Open(wire, rate, Arrival::kPoisson, 1, duration, warmup),
                                      ModelFor(options, "breast_cancer")));
  }
  return scenario;
}

// High frequency: one client streaming as fast as the wire allows (and, in a full run, at fixed
// rates), with the real model, which computes in microseconds, so the wire is most of the time.
PlannedScenario HighFrequency(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{
      "high-frequency", "High frequency: one client back to back, the real XGBoost model",
      "Continuous predictions (a live dashboard) from a model that computes in microseconds: "
      "how fast is each wire when it is never idle?"};
  const nanoseconds warmup = Warmup(options);
  const std::vector<WireSpec> wires =
      Select(options, [](const Wire& wire, bool trim) { return !trim || !wire.multiplexes; });
  AddFloorRuns(Closed({}, 1, quick ? milliseconds(900) : seconds(3), warmup),
               AnyNewConnectionPerRequest(wires), &scenario);
  for (const WireSpec& wire : wires) {
    scenario.runs.push_back(
        ServerRun(WireLabel(wire),
                  Closed(wire, 1, quick ? milliseconds(900) : seconds(5), warmup),
                  ModelFor(options, "breast_cancer")));
    if (quick || wire.wire->new_connection_per_request) continue;
    for (double rate : {1000.0, 5000.0}) {
      scenario.runs.push_back(ServerRun(fmt::format("{}, {:g} req/s", WireLabel(wire), rate),
                                        Open(wire, rate, Arrival::kConstant, 1, seconds(5), warmup),
                                        ModelFor(options, "breast_cancer")));
    }
  }
  return scenario;
}

// TLS: what encryption adds per request on an open connection, and per new connection with a
// full or resumed handshake. Compare's own server has a certificate; a --target may not.
PlannedScenario Tls(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{
      "tls", "TLS: encryption and handshakes, one client back to back",
      "Behind HTTPS, what does TLS add: per request on an open connection, and per new "
      "connection with a full handshake or a resumed session?"};
  const nanoseconds warmup = Warmup(options);
  const auto duration = quick ? milliseconds(1000) : seconds(5);
  // Each planned wire once, in the clear and over TLS, whichever way it was named.
  std::vector<const Wire*> rows;
  for (const WireSpec& spec : Select(options, [](const Wire&wire, bool) {
         return !wire.multiplexes && !wire.route.tls_port_key.empty();
       })) {
    if (std::find(rows.begin(), rows.end(), spec.wire) == rows.end()) rows.push_back(spec.wire);
  }
  AddFloorRuns(Closed({}, 1, quick ? milliseconds(900) : seconds(3), warmup),
               std::any_of(rows.begin(), rows.end(),
                           [](const Wire* wire) { return wire->new_connection_per_request; }),
               &scenario);
  auto add = [&](const Wire& wire, bool tls, std::string label, bool resume) {
    PlannedRun run = ServerRun(std::move(label), Closed({&wire, tls}, 1, duration, warmup),
                               ModelFor(options, "breast_cancer"));
    run.bench.tls_resume = resume;
    scenario.runs.push_back(std::move(run));
  };
  std::set<WireFamily> families;
  for (const Wire* wire : rows) {
    if (wire->new_connection_per_request) {
      add(*wire, false, fmt::format("{}, new TCP connection", wire->name), true);
      add(*wire, true, fmt::format("{}+tls, full handshake", wire->name), false);
      add(*wire, true, fmt::format("{}+tls, resumed session", wire->name), true);
      continue;
    }
    // --quick: one kept-open wire per protocol family is enough to see what TLS adds.
    if (quick && !options.wires_chosen && !families.insert(wire->family).second) continue;
    add(*wire, false, std::string(wire->name), true);
    add(*wire, true, WireLabel({wire, true}), true);
  }
  return scenario;
}

// Many clients: what does holding connections cost?
PlannedScenario ManyClients(const PlanOptions& options, int clients) {
  const bool quick = options.quick;
  PlannedScenario scenario{
      fmt::format("many-clients-{}", clients),
      fmt::format("Many clients: {} connections, 1 request/s each", clients),
      "Many users at once: what does each open connection cost the server, and does latency "
      "suffer?"};
  for (const WireSpec& wire : Select(options, [](const Wire&wire, bool trim) {
         return !wire.multiplexes && (!trim || wire.article);
       })) {
    BenchOptions bench =
        Open(wire, clients, Arrival::kPoisson, clients, quick ? seconds(2) : seconds(10),
             quick ? milliseconds(500) : milliseconds(1000));
    PlannedRun run = ServerRun(WireLabel(wire), bench, ModelFor(options, "breast_cancer"));
    run.record_server_stats = true;
    scenario.runs.push_back(std::move(run));
  }
  return scenario;
}

// Compute sweep: when does the wire stop mattering?
PlannedScenario Compute(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{"compute", "Compute sweep: simulated models of 0, 1 and 50 ms",
                           "A model that takes milliseconds: does the wire still matter?",
                           Sweep::kComputeMs};
  struct SimulatedModel {
    std::string name;
    double ms;
    std::string kind;
  };
  std::vector<SimulatedModel> models = {
      {"instant", 0, "sleep"}, {"sleep1", 1, "sleep"}, {"sleep50", 50, "sleep"}};
  if (!quick) models.insert(models.end(), {{"busy1", 1, "busy"}, {"busy50", 50, "busy"}});
  const std::vector<WireSpec> wires = Select(options, [](const Wire& wire, bool trim) {
    return !wire.multiplexes && (!trim || wire.article);
  });
  for (const SimulatedModel& model : models) {
    for (const WireSpec& wire : wires) {
      PlannedRun run =
          ServerRun(fmt::format("{}, {} {:g} ms", WireLabel(wire), model.kind, model.ms),
                    Closed(wire, 1, quick ? milliseconds(1000) : seconds(5),
                           quick ? milliseconds(200) : milliseconds(1000)),
                    model.name);
      run.bench.features = 4;
      run.sweep_value = model.ms;
      if (model.kind == "busy") run.wire += " (busy)";
      scenario.runs.push_back(std::move(run));
    }
  }
  return scenario;
}

// Payload sweep: JSON against binary, on the article's wires that keep their connection.
PlannedScenario Payload(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{"payload", "Payload sweep: 30 features to 1 MiB of floats",
                           "Large inputs (images, embeddings): JSON text or binary?",
                           Sweep::kPayloadBytes};
  const std::vector<int> sizes =
      quick ? std::vector<int>{30, 4096, 262144} : std::vector<int>{30, 1024, 16384, 262144};
  const std::vector<WireSpec> wires = Select(options, [](const Wire& wire, bool) {
    return wire.article && !wire.new_connection_per_request;
  });
  for (int features : sizes) {
    for (const WireSpec& wire : wires) {
      PlannedRun run = ServerRun(
          fmt::format("{}, {}", WireLabel(wire), PayloadLabel(features)),
          Closed(wire, 1, quick ? milliseconds(1000) : seconds(5), Warmup(options)), "instant");
      run.bench.features = features;
      run.sweep_value = features * 4.0;
      scenario.runs.push_back(std::move(run));
    }
  }
  return scenario;
}

// Throughput against latency, closed loop.
PlannedScenario Concurrency(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{"concurrency", "Throughput vs latency: closed loop, more outstanding",
                           "Heavy traffic: how much can each wire carry, and at what latency?",
                           Sweep::kConcurrency};
  const std::vector<int> levels =
      quick ? std::vector<int>{1, 16} : std::vector<int>{1, 4, 16, 64, 256};
  // A new connection per request is the sporadic scenario's subject. --quick: the multiplexing
  // wires against the article's one-request-at-a-time wires.
  const std::vector<WireSpec> wires = Select(options, [](const Wire& wire, bool trim) {
    return !wire.new_connection_per_request && (!trim || wire.multiplexes || wire.article);
  });
  for (const WireSpec& wire : wires) {
    for (int level : levels) {
      BenchOptions bench =
          Closed(wire, level, quick ? milliseconds(1000) : seconds(5), Warmup(options));
      bench.pipeline = level;  // a multiplexing wire: all on one connection
      PlannedRun run = ServerRun(fmt::format("{}, {} outstanding", WireLabel(wire), level), bench,
                                 ModelFor(options, "breast_cancer"));
      run.sweep_value = level;
      scenario.runs.push_back(std::move(run));
    }
  }
  return scenario;
}

// Dynamic batching's trade (--model ...,batch=MAX): throughput and latency at 1 to 64 requests
// outstanding, each model with and without batching, on one multiplexing wire (one connection
// carries every outstanding request, as a busy client would send them). The real XGBoost model
// costs per row; busy1 costs 1 ms per call whatever its rows, like a model whose cost is the
// call (an accelerator, an interpreter): batching pays most there.
PlannedScenario Batching(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{
      "batching", "Dynamic batching: with and without, 1 to 64 outstanding",
      "Heavy traffic to one model: does merging concurrent requests into one model call carry "
      "more, and what does it cost a lone request?",
      Sweep::kConcurrency};
  // --quick: the two ends only, briefly (its whole plan must stay within its budget).
  const std::vector<int> levels = quick ? std::vector<int>{1, 64} : std::vector<int>{1, 4, 16, 64};
  const nanoseconds duration = quick ? milliseconds(150) : seconds(4);
  const nanoseconds warmup = quick ? milliseconds(50) : Warmup(options);
  std::vector<WireSpec> wires = Select(options, [](const Wire& wire, bool) {
    return wire.multiplexes && !wire.new_connection_per_request;
  });
  if (wires.empty()) {
    wires =
        Select(options, [](const Wire& wire, bool) { return !wire.new_connection_per_request; });
  }
  if (wires.empty()) return scenario;
  const WireSpec& wire = wires.front();
  for (const std::string model : {"breast_cancer", "busy1"}) {
    for (const bool batched : {false, true}) {
      const std::string served = batched ? model + std::string(kBatchedSuffix) : model;
      for (int level : levels) {
        BenchOptions bench = Closed(wire, level, duration, warmup);
        bench.pipeline = level;
        PlannedRun run = ServerRun(fmt::format("{}, {}{}, {} outstanding", WireLabel(wire), model,
                                               batched ? " batched" : "", level),
                                   bench, served);
        // The plot draws one line per model and batching: the "wire" groups runs.
        run.wire = fmt::format("{} {}{}", WireLabel(wire), model, batched ? " batched" : "");
        run.sweep_value = level;
        scenario.runs.push_back(std::move(run));
      }
    }
  }
  return scenario;
}

// Capacity at a latency objective: each wire's open-loop rate is raised step by step until its
// p99 passes the objective or errors appear (compare stops there); the answer is the highest
// rate each wire held. 16 connections, each carrying one request at a time (16 for a
// multiplexing wire), as a server behind a pool of clients would see.
PlannedScenario Capacity(const PlanOptions& options) {
  const bool quick = options.quick;
  const double slo_ms = std::chrono::duration<double, std::milli>(options.slo).count();
  PlannedScenario scenario{
      "capacity", fmt::format("Capacity: the most load each wire carries within p99 {:g} ms", slo_ms),
      "How many predictions a second can each wire serve before its tail latency passes the "
      "objective?",
      Sweep::kOfferedRate};
  scenario.slo = options.slo;
  const std::vector<double> rates =
      quick ? std::vector<double>{10000, 40000, 80000, 120000, 160000}
            : std::vector<double>{5000, 10000, 20000, 40000, 60000, 80000, 100000, 120000, 160000,
                                  200000};
  const std::vector<WireSpec> wires = Select(options, [](const Wire& wire, bool trim) {
    return !wire.new_connection_per_request && (!trim || wire.article);
  });
  for (const WireSpec& wire : wires) {
    for (double rate : rates) {
      BenchOptions bench = Open(wire, rate, Arrival::kPoisson, 16,
                                quick ? milliseconds(600) : seconds(3), Warmup(options));
      bench.pipeline = 16;
      PlannedRun run = ServerRun(fmt::format("{}, {:g} req/s", WireLabel(wire), rate), bench,
                                 ModelFor(options, "breast_cancer"));
      run.sweep_value = rate;
      scenario.runs.push_back(std::move(run));
    }
  }
  return scenario;
}

// WAN view through the delay proxy: connection set-up grows with the round trip.
PlannedScenario Wan(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{"wan", "WAN view: the same exchange over a delayed link",
                           "Over a real network, how does connection set-up grow with the "
                           "round-trip time?",
                           Sweep::kRttMs};
  const std::vector<WireSpec> wires =
      Select(options, [](const Wire& wire, bool) { return wire.article; });
  auto add = [&](const WireSpec& wire, std::string label, bool resume, double ms) {
    BenchOptions bench = Closed(wire, 1, quick ? seconds(2) : seconds(5), milliseconds(500));
    bench.think = milliseconds(20);
    bench.tls_resume = resume;
    PlannedRun run = ServerRun(std::move(label), bench, ModelFor(options, "breast_cancer"));
    run.target = RunTarget::kServerViaProxy;
    run.sweep_value = ms;
    scenario.runs.push_back(std::move(run));
  };
  for (nanoseconds rtt : options.rtts) {
    const double ms = std::chrono::duration<double, std::milli>(rtt).count();
    for (const WireSpec& wire : wires) {
      add(wire, fmt::format("{}, {:g} ms RTT", WireLabel(wire), ms), true, ms);
    }
    // TLS 1.3 adds one round trip to a new connection, resumed or not (no 0-RTT data).
    if (!options.server_has_test_models) continue;
    for (const WireSpec& wire : wires) {
      if (!wire.wire->new_connection_per_request || wire.tls) continue;
      for (bool resume : {false, true}) {
        add({wire.wire, true},
            fmt::format("{}+tls, {}, {:g} ms RTT", wire.wire->name,
                        resume ? "resumed" : "full handshake", ms),
            resume, ms);
      }
    }
  }
  return scenario;
}

// The article's own servers (Flask, python websockets), side by side with ours.
PlannedScenario Article(const PlanOptions& options, int clients) {
  PlannedScenario scenario{
      fmt::format("article-{}-client{}", clients, clients == 1 ? "" : "s"),
      fmt::format("The article's 50 ms model, {} client{} at once", clients,
                  clients == 1 ? "" : "s"),
      "The article's servers as written (Flask, python websockets) against predictwire with "
      "the same 50 ms sleeping model."};
  const auto duration = options.quick ? seconds(2) : seconds(10);
  for (const WireSpec& wire : Select(options, [](const Wire&wire, bool) { return wire.article; })) {
    BenchOptions bench = Closed(wire, clients, duration, milliseconds(300));
    scenario.runs.push_back(ServerRun("predictwire " + WireLabel(wire), bench, "sleep50"));
  }
  for (RunTarget peer : {RunTarget::kPeerFlask, RunTarget::kPeerWebSockets}) {
    const bool flask = peer == RunTarget::kPeerFlask;
    PlannedRun run;
    run.wire = flask ? "peer-flask" : "peer-websockets";
    run.label = flask ? "article Flask (rest)" : "article websockets (ws)";
    run.target = peer;
    run.peer_compute_ms = 50;
    run.bench =
        Closed({&FindWire(flask ? "rest" : "ws"), false}, clients, duration, milliseconds(300));
    scenario.runs.push_back(std::move(run));
  }
  return scenario;
}

// The browser as a client: Chromium on the server's page times each browser wire (browser_wires.h),
// beside the C++ client's rows of the same exchanges and model and the raw TCP floor, all one
// request at a time and taking turns, so the report shows what the browser adds. Runs are counted
// in requests: a browser request takes milliseconds where the C++ client's takes microseconds.
PlannedScenario Browser(const PlanOptions& options) {
  const bool quick = options.quick;
  PlannedScenario scenario{
      "browser", "Browser: headless Chromium on the server's page, one request at a time",
      "A web page asks for predictions: what does the browser add, and which wire should the "
      "page use?"};
  // Over all rounds: --quick's three rounds give each browser wire 40 requests a round.
  const uint64_t browser_requests = quick ? 120 : 1000;
  const uint64_t client_requests = quick ? 600 : 10000;
  auto counted = [&](const WireSpec& wire, uint64_t requests) {
    BenchOptions bench = Closed(wire, 1, quick ? milliseconds(900) : seconds(3),
                                quick ? milliseconds(50) : milliseconds(100));
    bench.requests = requests;
    return bench;
  };
  AddFloorRuns(counted({}, client_requests), true, &scenario);
  for (const WireSpec& wire : Select(options, [](const Wire& wire, bool) {
         return wire.article && !wire.new_connection_per_request;
       })) {
    scenario.runs.push_back(ServerRun(fmt::format("{}, C++ client", WireLabel(wire)),
                                      counted(wire, client_requests), "breast_cancer"));
  }
  for (const Wire& wire : BrowserWires()) {
    PlannedRun run = ServerRun(std::string(wire.name), counted({&wire, false}, browser_requests),
                               "breast_cancer");
    run.target = RunTarget::kBrowser;
    scenario.runs.push_back(std::move(run));
  }
  return scenario;
}

}  // namespace

std::vector<std::string> ServerModels(const std::string& models_dir) {
  return {"breast_cancer=xgboost:" + models_dir + "/breast_cancer.json", "instant=sleep:0",
          "sleep1=sleep:1ms", "sleep50=sleep:50ms", "busy1=busy:1ms", "busy50=busy:50ms",
          // The batching scenario's: up to 64 rows per call, the oldest waiting at most 100 µs.
          "breast_cancer" + std::string(kBatchedSuffix) + "=xgboost:" + models_dir +
              "/breast_cancer.json,batch=64,batch-delay=100us",
          "busy1" + std::string(kBatchedSuffix) + "=busy:1ms,batch=64,batch-delay=100us"};
}

const std::vector<std::string>& ScenarioIds() {
  static const std::vector<std::string> ids = {
      "sporadic",    "high-frequency", "tls", "many-clients", "compute", "payload",
      "concurrency", "capacity",       "wan", "article",      "browser", "batching"};
  return ids;
}

std::vector<PlannedScenario> PlanScenarios(const PlanOptions& options) {
  // What needs compare's own server: its certificate, and its simulated models.
  const bool own_server = options.server_has_test_models;
  std::vector<PlannedScenario> plan;
  plan.push_back(Sporadic(options));
  plan.push_back(HighFrequency(options));
  if (own_server) plan.push_back(Tls(options));
  for (int clients : options.quick ? std::vector<int>{100} : std::vector<int>{100, 1000}) {
    plan.push_back(ManyClients(options, clients));
  }
  if (own_server) plan.push_back(Compute(options));
  if (own_server) plan.push_back(Payload(options));
  plan.push_back(Concurrency(options));
  plan.push_back(Capacity(options));
  if (own_server) plan.push_back(Batching(options));
  if (!options.rtts.empty()) plan.push_back(Wan(options));
  if (options.peers) {
    for (int clients : {1, 4}) plan.push_back(Article(options, clients));
  }
  // The page and its second origin are compare's own server's (--cors-origin).
  if (own_server && options.browser) plan.push_back(Browser(options));
  // A scenario with no wire to measure (the --wires chosen do not fit it) is left out.
  std::erase_if(plan, [](const PlannedScenario& scenario) {
    return std::all_of(scenario.runs.begin(), scenario.runs.end(),
                       [](const PlannedRun& run) { return run.bench.wire.wire->floor; });
  });
  if (!options.only.empty()) {
    std::erase_if(plan, [&](const PlannedScenario& scenario) {
      return std::none_of(options.only.begin(), options.only.end(), [&](const std::string& prefix) {
        return scenario.id.rfind(prefix, 0) == 0;
      });
    });
  }
  return plan;
}

}  // namespace predictwire::loadgen
