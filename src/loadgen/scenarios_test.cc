#include "loadgen/scenarios.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace predictwire::loadgen {
namespace {

std::vector<WireSpec> Every() {
  std::vector<WireSpec> wires;
  for (const std::string& name : CandidateWireNames()) wires.push_back(*ParseWire(name));
  return wires;
}

std::set<std::string> Ids(const std::vector<PlannedScenario>& plan) {
  std::set<std::string> ids;
  for (const auto& scenario : plan) ids.insert(scenario.id);
  return ids;
}

double PlannedSeconds(const std::vector<PlannedScenario>& plan) {
  double seconds = 0;
  for (const auto& scenario : plan) {
    double longest = 0;
    for (const auto& run : scenario.runs) {
      const double run_seconds =
          std::chrono::duration<double>(run.bench.duration + run.bench.warmup).count();
      longest = std::max(longest, run_seconds);
      if (!scenario.interleaved) seconds += run_seconds;
    }
    if (scenario.interleaved) seconds += longest;  // its runs go at once
  }
  return seconds;
}

TEST(ScenariosTest, QuickPlanCoversEveryCriterionWithinItsBudget) {
  PlanOptions options;
  options.quick = true;
  options.wires = Every();  // what compare --quick runs
  const auto plan = PlanScenarios(options);
  EXPECT_EQ(Ids(plan),
            (std::set<std::string>{"sporadic", "high-frequency", "tls", "many-clients-100",
                                   "compute", "payload", "concurrency", "capacity", "batching"}));
  // Load time only; set-up and the floor add a few seconds. compare --quick must stay < 2 min.
  EXPECT_LT(PlannedSeconds(plan), 100);
  // Every run is one bench can make, on a server with every port compare's has.
  const ServerAddresses server = ParseReadyLine(
      "predictwire: listening http=127.0.0.1:1 grpc=127.0.0.1:2 https=127.0.0.1:3 "
      "grpcs=127.0.0.1:4 tcp-echo=127.0.0.1:5");
  for (const auto& scenario : plan) {
    EXPECT_FALSE(scenario.runs.empty()) << scenario.id;
    for (const auto& run : scenario.runs) {
      BenchOptions bench = run.bench;
      bench.target_url = *WireUrl(bench.wire, server);
      const absl::Status resolved = ResolveOptions(&bench);
      EXPECT_TRUE(resolved.ok()) << scenario.id << " " << run.label << ": " << resolved;
    }
  }
}

TEST(ScenariosTest, SporadicDealsOneStreamToItsWiresAndFloors) {
  PlanOptions options;
  options.quick = true;
  options.wires = Every();
  const auto plan = PlanScenarios(options);
  const auto sporadic = std::find_if(
      plan.begin(), plan.end(), [](const auto& scenario) { return scenario.id == "sporadic"; });
  ASSERT_NE(sporadic, plan.end());
  std::set<std::string> floor_kinds;
  for (const auto& run : sporadic->runs) {
    EXPECT_EQ(run.bench.rate, sporadic->runs.back().bench.rate) << run.label;
    EXPECT_EQ(run.bench.arrival, Arrival::kPoisson) << run.label;
    if (run.bench.wire.wire->floor) {
      EXPECT_EQ(run.wire, WireLabel(run.bench.wire));
      floor_kinds.insert(WireLabel(run.bench.wire));
    }
  }
  EXPECT_EQ(floor_kinds, (std::set<std::string>{"tcp", "tcp-new"}));
  EXPECT_TRUE(sporadic->interleaved);
  // At least 100 requests per wire in --quick, on average.
  const auto& first = sporadic->runs.front().bench;
  EXPECT_GE(first.rate * std::chrono::duration<double>(first.duration).count(), 110);
}

TEST(ScenariosTest, CapacityRaisesEachWiresRateUnderItsObjective) {
  PlanOptions options;
  options.quick = true;
  options.wires = Every();
  options.slo = std::chrono::microseconds(500);
  for (const auto& scenario : PlanScenarios(options)) {
    if (scenario.id != "capacity") continue;
    EXPECT_EQ(scenario.slo, std::chrono::microseconds(500));
    EXPECT_EQ(scenario.sweep, Sweep::kOfferedRate);
    std::map<std::string, std::vector<double>> rates;
    for (const auto& run : scenario.runs) {
      EXPECT_GT(run.bench.rate, 0) << run.label;  // open loop
      EXPECT_EQ(run.bench.rate, run.sweep_value);
      EXPECT_FALSE(run.bench.wire.wire->new_connection_per_request) << run.label;
      rates[run.wire].push_back(run.sweep_value);
    }
    EXPECT_TRUE(rates.count("ws"));
    for (const auto& [wire, values] : rates) {
      EXPECT_TRUE(std::is_sorted(values.begin(), values.end())) << wire;  // low to high
      EXPECT_GE(values.size(), 4u) << wire;
    }
    return;
  }
  FAIL() << "no capacity scenario";
}

TEST(ScenariosTest, TlsMeasuresFullAndResumedHandshakesBesidePlainWires) {
  PlanOptions options;
  options.quick = true;
  options.wires = Every();
  const auto plan = PlanScenarios(options);
  const auto tls = std::find_if(plan.begin(), plan.end(),
                                [](const auto& scenario) { return scenario.id == "tls"; });
  ASSERT_NE(tls, plan.end());
  std::set<std::string> labels;
  for (const auto& run : tls->runs) {
    labels.insert(run.label);
    EXPECT_EQ(run.bench.wire.tls, run.wire.ends_with("+tls")) << run.label;
    if (run.label.starts_with("rest+tls")) {
      EXPECT_EQ(run.bench.tls_resume, run.label == "rest+tls, resumed session");
    }
  }
  for (const char* label : {"rest, new TCP connection", "rest+tls, full handshake",
                            "rest+tls, resumed session", "ws", "ws+tls"}) {
    EXPECT_TRUE(labels.count(label)) << label;
  }
  // --quick pairs one kept-open wire of each family with its +tls twin.
  for (const char* label : {"rest-keepalive+tls", "h2+tls", "grpc+tls"}) {
    EXPECT_TRUE(labels.count(label)) << label;
  }
  EXPECT_FALSE(labels.count("ws-binary+tls"));
  options.quick = false;  // the full run pairs every kept-open wire with its +tls twin
  for (const auto& scenario : PlanScenarios(options)) {
    if (scenario.id != "tls") continue;
    labels.clear();
    for (const auto& run : scenario.runs) labels.insert(run.label);
    for (const char* label : {"rest-keepalive+tls", "ws+tls", "ws-binary+tls"}) {
      EXPECT_TRUE(labels.count(label)) << label;
    }
  }
  options.quick = true;
  options.server_has_test_models = false;  // a --target server: no certificate of ours
  EXPECT_FALSE(Ids(PlanScenarios(options)).count("tls"));
}

TEST(ScenariosTest, FullPlanAddsLargerSweepsWanAndPeers) {
  PlanOptions options;
  options.wires = Every();
  options.rtts = {std::chrono::milliseconds(20)};
  options.peers = true;
  const auto plan = PlanScenarios(options);
  const auto ids = Ids(plan);
  for (const char* id : {"many-clients-1000", "wan", "article-1-client", "article-4-clients"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
  for (const auto& scenario : plan) {
    if (scenario.id != "article-4-clients") continue;
    std::set<std::string> wires;
    for (const auto& run : scenario.runs) wires.insert(run.wire);
    EXPECT_TRUE(wires.count("peer-flask"));
    EXPECT_TRUE(wires.count("peer-websockets"));
  }
}

TEST(ScenariosTest, WiresCanBeRestricted) {
  PlanOptions options;
  options.quick = true;
  options.wires = {*ParseWire("ws")};
  for (const auto& scenario : PlanScenarios(options)) {
    for (const auto& run : scenario.runs) {
      if (!run.bench.wire.wire->floor) {
        // A scenario may name what else tells its lines apart after the wire ("ws busy1").
        EXPECT_TRUE(run.wire == "ws" || run.wire == "ws+tls" || run.wire.starts_with("ws "))
            << scenario.id << " " << run.wire;
      }
    }
  }
}

TEST(ScenariosTest, AForeignTargetSkipsTheSweepsThatNeedOurModels) {
  PlanOptions options;
  options.quick = true;
  options.wires = Every();
  options.server_has_test_models = false;
  options.model = "their_model";
  const auto ids = Ids(PlanScenarios(options));
  EXPECT_FALSE(ids.count("compute"));
  EXPECT_FALSE(ids.count("payload"));
  for (const auto& scenario : PlanScenarios(options)) {
    for (const auto& run : scenario.runs) {
      if (!run.bench.wire.wire->floor) {
        EXPECT_EQ(run.bench.model, "their_model");
      }
    }
  }
}

}  // namespace
}  // namespace predictwire::loadgen
