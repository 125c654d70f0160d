#include "loadgen/scenarios.h"

#include <fmt/format.h>

#include <algorithm>

namespace predictwire::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Features per request unless a scenario sweeps them: the default model's 30.
constexpr int kFeatures = 30;

bool Wanted(const PlanOptions& options, std::string_view wire) {
  return std::find(options.wires.begin(), options.wires.end(), wire) != options.wires.end();
}

// Wires that carry many requests at once on one connection. With one request outstanding they
// measure what their one-at-a-time twin measures, so only the concurrency sweep needs them.
bool Multiplexes(std::string_view wire) {
  return wire == "ws-pipelined" || wire == "h2-multiplexed" || wire == "grpc-stream";
}

// The wires --quick keeps where the others would repeat their figures: one of each protocol
// family (HTTP/1.1 new and kept-alive connections, WebSocket text and binary).
bool CoreWire(std::string_view wire) {
  return wire == "rest" || wire == "rest-keepalive" || wire == "ws" || wire == "ws-binary";
}

BenchOptions Closed(std::string_view wire, int concurrency, std::chrono::nanoseconds duration,
                    std::chrono::nanoseconds warmup) {
  BenchOptions bench;
  const WireSpec spec = *ParseWire(wire);
  bench.wire = spec.kind;
  bench.tls = spec.tls;
  bench.concurrency = concurrency;
  bench.duration = duration;
  bench.warmup = warmup;
  bench.features = kFeatures;
  bench.progress = false;
  return bench;
}

BenchOptions Open(std::string_view wire, double rate, Arrival arrival, int connections,
                  std::chrono::nanoseconds duration, std::chrono::nanoseconds warmup) {
  BenchOptions bench = Closed(wire, 1, duration, warmup);
  bench.rate = rate;
  bench.arrival = arrival;
  bench.connections = connections;
  return bench;
}

// The model a scenario needs, or the user's model for a server compare did not start.
std::string Model(const PlanOptions& options, const std::string& wanted) {
  return options.server_has_test_models ? wanted : options.model;
}

PlannedRun ServerRun(std::string_view wire, std::string label, BenchOptions bench,
                     const std::string& model) {
  PlannedRun run;
  run.wire = std::string(wire);
  run.label = std::move(label);
  bench.model = model;
  run.bench = std::move(bench);
  return run;
}

// The raw TCP floor as rows of `scenario`, loaded like `bench` (paced, or back to back) and taking
// turns with the wires, so each row's "× floor" compares numbers from the same moments: on a
// shared VM the floor itself drifts by tens of percent from minute to minute. The kept-open
// exchange, and the new-connection one when a wire connects per request.
void AddFloorRuns(const BenchOptions& bench, bool new_connection, PlannedScenario* scenario) {
  for (const char* kind : {"rest", "rest-keepalive"}) {
    const bool fresh = std::string_view(kind) == "rest";
    if (fresh && !new_connection) continue;
    BenchOptions floor_bench = bench;
    floor_bench.wire = fresh ? WireKind::kRest : WireKind::kRestKeepAlive;
    floor_bench.tls = false;
    floor_bench.warmup = std::chrono::nanoseconds(0);  // a raw socket has nothing to warm up
    PlannedRun floor;
    floor.wire = kPacedFloorWire;
    floor.label = fresh ? "raw TCP, new connection" : "raw TCP, kept open";
    floor.target = RunTarget::kPacedFloor;
    floor.bench = floor_bench;
    scenario->runs.push_back(std::move(floor));
  }
}

std::string PayloadLabel(int features) {
  const int bytes = features * 4;
  return bytes >= 1 << 20 ? fmt::format("{:.0f} MiB", bytes / double(1 << 20))
         : bytes >= 1024  ? fmt::format("{:.0f} KiB", bytes / 1024.0)
                          : fmt::format("{} B", bytes);
}

}  // namespace

std::vector<std::string> ServerModels(const std::string& models_dir) {
  return {"breast_cancer=xgboost:" + models_dir + "/breast_cancer.json",
          "instant=sleep:0",
          "sleep1=sleep:1ms",
          "sleep50=sleep:50ms",
          "busy1=busy:1ms",
          "busy50=busy:50ms"};
}

std::vector<PlannedScenario> PlanScenarios(const PlanOptions& options) {
  const bool quick = options.quick;
  const auto warmup = quick ? milliseconds(200) : milliseconds(1000);
  const std::vector<std::string>& wires = options.wires;
  std::vector<PlannedScenario> plan;

  {  // Sporadic: the article says REST suits it. What does a connection per request cost?
    PlannedScenario scenario{"sporadic",
                             quick ? "Sporadic: one client, ~10 requests/s (Poisson) with idle gaps"
                                   : "Sporadic: one client, ~5 requests/s (Poisson) with idle gaps",
                             "Predictions now and then: is a new connection per request (REST as "
                             "the article writes it) worse than keeping one open?",
                             ""};
    const double rate = quick ? 10 : 5;
    const auto duration = quick ? milliseconds(2400) : seconds(30);
    // The raw TCP floor paced the same way: after an idle gap the machine itself needs time
    // to wake up, and that is not any protocol's cost.
    AddFloorRuns(Open("rest", rate, Arrival::kPoisson, 1, duration, warmup), true, &scenario);
    for (const std::string& wire : wires) {
      if (Multiplexes(wire)) continue;  // one request at a time: the same as its twin
      scenario.runs.push_back(ServerRun(wire, wire,
                                        Open(wire, rate, Arrival::kPoisson, 1, duration, warmup),
                                        Model(options, "breast_cancer")));
    }
    plan.push_back(std::move(scenario));
  }
  {  // High frequency: one client streaming as fast as the wire allows, then at fixed rates.
    PlannedScenario scenario{"high-frequency", "High frequency: one client, back to back",
                             "Continuous predictions (a live dashboard): how fast is each wire "
                             "when it is never idle?",
                             ""};
    AddFloorRuns(Closed("rest", 1, quick ? milliseconds(900) : seconds(3), warmup),
                 Wanted(options, "rest"), &scenario);
    for (const std::string& wire : wires) {
      if (quick && Multiplexes(wire)) continue;
      scenario.runs.push_back(
          ServerRun(wire, wire + ", back to back",
                    Closed(wire, 1, quick ? milliseconds(900) : seconds(5), warmup),
                    Model(options, "breast_cancer")));
      if (!quick && wire != "rest") {
        for (double rate : {1000.0, 5000.0}) {
          scenario.runs.push_back(
              ServerRun(wire, fmt::format("{}, {:g} req/s", wire, rate),
                        Open(wire, rate, Arrival::kConstant, 1, seconds(5), warmup),
                        Model(options, "breast_cancer")));
        }
      }
    }
    plan.push_back(std::move(scenario));
  }
  if (options.server_has_test_models) {  // TLS: compare's own server has a certificate.
    PlannedScenario scenario{
        "tls", "TLS: encryption and handshakes, one client back to back",
        "Behind HTTPS, what does TLS add: per request on an open connection, and per new "
        "connection with a full handshake or a resumed session?",
        ""};
    const auto duration = quick ? milliseconds(1000) : seconds(5);
    AddFloorRuns(Closed("rest", 1, quick ? milliseconds(900) : seconds(3), warmup),
                 Wanted(options, "rest"), &scenario);
    auto add = [&](const std::string& wire, std::string label, bool resume) {
      PlannedRun run =
          ServerRun(wire, std::move(label), Closed(wire, 1, duration, warmup),
                    Model(options, "breast_cancer"));
      run.bench.tls_resume = resume;
      scenario.runs.push_back(std::move(run));
    };
    if (Wanted(options, "rest")) {
      add("rest", "rest, new TCP connection", true);
      add("rest+tls", "rest+tls, full handshake", false);
      add("rest+tls", "rest+tls, resumed session", true);
    }
    for (const std::string base : {"rest-keepalive", "ws", "ws-binary", "h2", "grpc"}) {
      if (!Wanted(options, base) || (quick && base == "rest-keepalive") ||
          (quick && base == "ws-binary")) {
        continue;
      }
      add(base, base, true);
      add(base + "+tls", base + "+tls", true);
    }
    if (!scenario.runs.empty()) plan.push_back(std::move(scenario));
  }
  {  // Many clients: what does holding connections cost?
    for (int clients : quick ? std::vector<int>{100} : std::vector<int>{100, 1000}) {
      PlannedScenario scenario{
          fmt::format("many-clients-{}", clients),
          fmt::format("Many clients: {} connections, 1 request/s each", clients),
          "Many users at once: what does each open connection cost the server, and does latency "
          "suffer?",
          ""};
      for (const std::string& wire : wires) {
        if (Multiplexes(wire) || (quick && !CoreWire(wire))) continue;
        BenchOptions bench = Open(wire, clients, Arrival::kPoisson, clients,
                                  quick ? seconds(2) : seconds(10),
                                  quick ? milliseconds(500) : milliseconds(1000));
        PlannedRun run = ServerRun(wire, wire, bench, Model(options, "breast_cancer"));
        run.record_server_stats = true;
        scenario.runs.push_back(std::move(run));
      }
      plan.push_back(std::move(scenario));
    }
  }
  if (options.server_has_test_models) {  // Compute sweep: when does the wire stop mattering?
    PlannedScenario scenario{"compute", "Compute sweep: simulated models of 0, 1 and 50 ms",
                             "A model that takes milliseconds: does the wire still matter?",
                             "compute_ms"};
    struct Model {
      std::string name;
      double ms;
      std::string kind;
    };
    std::vector<Model> models = {
        {"instant", 0, "sleep"}, {"sleep1", 1, "sleep"}, {"sleep50", 50, "sleep"}};
    if (!quick) models.insert(models.end(), {{"busy1", 1, "busy"}, {"busy50", 50, "busy"}});
    for (const Model& model : models) {
      for (const std::string& wire : wires) {
        if (quick && wire != "rest" && wire != "rest-keepalive" && wire != "ws") continue;
        PlannedRun run =
            ServerRun(wire, fmt::format("{}, {} {:g} ms", wire, model.kind, model.ms),
                      Closed(wire, 1, quick ? milliseconds(1000) : seconds(5), warmup), model.name);
        run.bench.features = 4;
        run.sweep_value = model.ms;
        if (model.kind == "busy") run.wire = wire + " (busy)";
        scenario.runs.push_back(std::move(run));
      }
    }
    plan.push_back(std::move(scenario));
  }
  if (options.server_has_test_models) {  // Payload sweep: JSON versus binary.
    PlannedScenario scenario{"payload", "Payload sweep: 30 features to 1 MiB of floats",
                             "Large inputs (images, embeddings): JSON text or binary?",
                             "payload_bytes"};
    const std::vector<int> sizes =
        quick ? std::vector<int>{30, 4096, 262144} : std::vector<int>{30, 1024, 16384, 262144};
    for (int features : sizes) {
      for (const std::string& wire : wires) {
        if (wire != "rest-keepalive" && wire != "ws" && wire != "ws-binary") continue;
        PlannedRun run =
            ServerRun(wire, fmt::format("{}, {}", wire, PayloadLabel(features)),
                      Closed(wire, 1, quick ? milliseconds(1000) : seconds(5), warmup), "instant");
        run.bench.features = features;
        run.sweep_value = features * 4.0;
        scenario.runs.push_back(std::move(run));
      }
    }
    plan.push_back(std::move(scenario));
  }
  {  // The real model.
    PlannedScenario scenario{"real-model",
                             "Real model: the XGBoost breast-cancer classifier, one client",
                             "With a real model computing in microseconds, which wire answers "
                             "fastest?",
                             ""};
    AddFloorRuns(Closed("rest", 1, quick ? milliseconds(900) : seconds(3), warmup),
                 Wanted(options, "rest"), &scenario);
    for (const std::string& wire : wires) {
      if (quick && Multiplexes(wire)) continue;
      scenario.runs.push_back(
          ServerRun(wire, wire, Closed(wire, 1, quick ? milliseconds(900) : seconds(5), warmup),
                    Model(options, "breast_cancer")));
    }
    plan.push_back(std::move(scenario));
  }
  {  // Throughput against latency, closed loop.
    PlannedScenario scenario{"concurrency", "Throughput vs latency: closed loop, more outstanding",
                             "Heavy traffic: how much can each wire carry, and at what latency?",
                             "concurrency"};
    const std::vector<int> levels =
        quick ? std::vector<int>{1, 16} : std::vector<int>{1, 4, 16, 64, 256};
    for (const std::string& wire : wires) {
      if (wire == "rest") continue;  // a new connection per request: see sporadic
      // --quick: the multiplexing wires against one-connection-per-request HTTP/1.1 and WebSocket.
      if (quick && !Multiplexes(wire) && wire != "rest-keepalive" && wire != "ws") continue;
      for (int level : levels) {
        BenchOptions bench = Closed(wire, level, quick ? milliseconds(1000) : seconds(5), warmup);
        bench.pipeline = level;  // ws-pipelined: all on one connection
        PlannedRun run = ServerRun(wire, fmt::format("{}, {} outstanding", wire, level), bench,
                                   Model(options, "breast_cancer"));
        run.sweep_value = level;
        scenario.runs.push_back(std::move(run));
      }
    }
    plan.push_back(std::move(scenario));
  }
  if (!options.rtts.empty()) {  // WAN view through the delay proxy.
    PlannedScenario scenario{"wan", "WAN view: the same exchange over a delayed link",
                             "Over a real network, how does connection set-up grow with the "
                             "round-trip time?",
                             "rtt_ms"};
    for (std::chrono::nanoseconds rtt : options.rtts) {
      const double ms = std::chrono::duration<double, std::milli>(rtt).count();
      for (const std::string& wire : wires) {
        if (wire != "rest" && wire != "rest-keepalive" && wire != "ws") continue;
        BenchOptions bench = Closed(wire, 1, quick ? seconds(2) : seconds(5), milliseconds(500));
        bench.think = milliseconds(20);
        PlannedRun run = ServerRun(wire, fmt::format("{}, {:g} ms RTT", wire, ms), bench,
                                   Model(options, "breast_cancer"));
        run.target = RunTarget::kServerViaProxy;
        run.sweep_value = ms;
        scenario.runs.push_back(std::move(run));
      }
      // TLS 1.3 adds one round trip to a new connection, resumed or not (no 0-RTT data).
      if (Wanted(options, "rest") && options.server_has_test_models) {
        for (bool resume : {false, true}) {
          BenchOptions bench =
              Closed("rest+tls", 1, quick ? seconds(2) : seconds(5), milliseconds(500));
          bench.think = milliseconds(20);
          bench.tls_resume = resume;
          PlannedRun run = ServerRun(
              "rest+tls",
              fmt::format("rest+tls, {}, {:g} ms RTT", resume ? "resumed" : "full handshake", ms),
              bench, Model(options, "breast_cancer"));
          run.target = RunTarget::kServerViaProxy;
          run.sweep_value = ms;
          scenario.runs.push_back(std::move(run));
        }
      }
    }
    plan.push_back(std::move(scenario));
  }
  if (options.peers) {  // The article's own servers, side by side with ours.
    for (int clients : {1, 4}) {
      PlannedScenario scenario{
          fmt::format("article-{}-client{}", clients, clients == 1 ? "" : "s"),
          fmt::format("The article's 50 ms model, {} client{} at once", clients,
                      clients == 1 ? "" : "s"),
          "The article's servers as written (Flask, python websockets) against predictwire with "
          "the same 50 ms sleeping model.",
          ""};
      const auto duration = quick ? seconds(2) : seconds(10);
      for (const std::string& wire :
           {std::string("rest"), std::string("rest-keepalive"), std::string("ws")}) {
        if (!Wanted(options, wire)) continue;
        BenchOptions bench = Closed(wire, clients, duration, milliseconds(300));
        scenario.runs.push_back(ServerRun(wire, "predictwire " + wire, bench, "sleep50"));
      }
      for (RunTarget peer : {RunTarget::kPeerFlask, RunTarget::kPeerWebSockets}) {
        const bool flask = peer == RunTarget::kPeerFlask;
        PlannedRun run;
        run.wire = flask ? "peer-flask" : "peer-websockets";
        run.label = flask ? "article Flask (rest)" : "article websockets (ws)";
        run.target = peer;
        run.peer_compute_ms = 50;
        run.bench = Closed(flask ? "rest" : "ws", clients, duration, milliseconds(300));
        scenario.runs.push_back(std::move(run));
      }
      plan.push_back(std::move(scenario));
    }
  }
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
