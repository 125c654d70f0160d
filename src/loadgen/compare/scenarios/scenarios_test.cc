#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "loadgen/browser/browser_wires.h"
#include "loadgen/compare/run_compare.h"
#include "loadgen/compare/scenario.h"

namespace predictwire::loadgen {
namespace {

using ::testing::ElementsAre;

std::vector<WireSpec> Every() {
  std::vector<WireSpec> wires;
  for (const std::string& name : CandidateWireNames()) wires.push_back(*ParseWire(name));
  return wires;
}

// What compare would measure with `options`: every row's scenarios.
std::vector<PlannedScenario> PlanScenarios(const PlanOptions& options) {
  std::vector<PlannedScenario> plan;
  absl::StatusOr<ComparePlan> planned = PlanCompare(options);
  EXPECT_TRUE(planned.ok()) << planned.status();
  if (!planned.ok()) return plan;
  for (auto& [row, scenario] : planned->scenarios) plan.push_back(std::move(scenario));
  return plan;
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
    // The capacity search adds at most six rates per probe, 0.6 s and its warm-up each.
    if (scenario.id == "capacity") {
      for (const auto& probe : scenario.runs) {
        seconds +=
            5 * std::chrono::duration<double>(std::chrono::milliseconds(600) + probe.bench.warmup)
                    .count();
      }
    }
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

TEST(ScenariosTest, CapacityStartsFromWhatEachWireCarriesFlatOut) {
  PlanOptions options;
  options.quick = true;
  options.wires = Every();
  options.slo = std::chrono::microseconds(500);
  for (const auto& scenario : PlanScenarios(options)) {
    if (scenario.id != "capacity") continue;
    EXPECT_EQ(scenario.slo, std::chrono::microseconds(500));
    EXPECT_EQ(scenario.sweep, Sweep::kOfferedRate);
    std::set<std::string> wires;
    for (const auto& run : scenario.runs) {
      // One closed-loop probe per wire: the rates come from what it measures (capacity_test.cc).
      EXPECT_TRUE(run.probe) << run.label;
      EXPECT_EQ(run.bench.rate, 0) << run.label;
      EXPECT_EQ(run.bench.concurrency, 16) << run.label;
      EXPECT_FALSE(run.bench.wire.wire->new_connection_per_request) << run.label;
      EXPECT_TRUE(wires.insert(run.wire).second) << run.label;
    }
    EXPECT_TRUE(wires.count("ws"));
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
  options.own_server = false;  // a --target server: no certificate of ours
  EXPECT_FALSE(Ids(PlanScenarios(options)).count("tls"));
  const absl::StatusOr<ComparePlan> foreign = PlanCompare(options);
  ASSERT_TRUE(foreign.ok());
  EXPECT_THAT(foreign->notes,
              ::testing::Contains(::testing::StartsWith("tls scenario skipped: it "
                                                        "needs compare's own server")));
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
  options.own_server = false;
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

TEST(ScenariosTest, EveryRowIsComplete) {
  std::set<std::string_view> ids;
  for (const ScenarioRow* row : Scenarios()) {
    EXPECT_TRUE(ids.insert(row->id).second) << row->id;
    EXPECT_FALSE(row->summary.empty()) << row->id;
    EXPECT_NE(row->plan, nullptr) << row->id;
    EXPECT_EQ(FindScenario(row->id), row);
    // No id is a prefix of another's: --scenarios picks rows by prefix.
    for (const ScenarioRow* other : Scenarios()) {
      if (other != row) {
        EXPECT_FALSE(other->id.starts_with(row->id)) << row->id << " " << other->id;
      }
    }
  }
  EXPECT_EQ(FindScenario("many-clients-1000"), FindScenario("many-clients"));
  EXPECT_EQ(FindScenario("no-such-scenario"), nullptr);
}

TEST(ScenariosTest, ScenariosAreChosenByIdOrPrefixAndAnUnknownOneIsAnError) {
  PlanOptions options;
  options.quick = true;
  options.wires = Every();
  absl::StatusOr<ComparePlan> plan = PlanCompare(options, Scenarios(), {"many", "capacity"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::set<std::string> ids;
  for (const auto& [row, scenario] : plan->scenarios) ids.insert(scenario.id);
  EXPECT_EQ(ids, (std::set<std::string>{"many-clients-100", "capacity"}));
  const absl::StatusOr<ComparePlan> unknown = PlanCompare(options, Scenarios(), {"sporadik"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), ::testing::HasSubstr("unknown scenario 'sporadik'"));
  // An opt-in row named without what it needs: noted, with the reason.
  plan = PlanCompare(options, Scenarios(), {"wan"});
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->scenarios.empty());
  EXPECT_THAT(plan->reasons, ::testing::ElementsAre(::testing::HasSubstr("--rtt")));
}

TEST(BrowserScenarioTest, BrowserRowsBesideTheClientsRowsWhenChromiumIsThere) {
  PlanOptions options;
  options.quick = true;
  for (const std::string& name : CandidateWireNames()) options.wires.push_back(*ParseWire(name));
  for (const PlannedScenario& scenario : PlanScenarios(options)) {
    EXPECT_NE(scenario.id, "browser") << "Chromium not installed: no browser scenario";
  }
  options.browser = true;
  const absl::StatusOr<ComparePlan> planned = PlanCompare(options, Scenarios(), {"browser"});
  ASSERT_TRUE(planned.ok()) << planned.status();
  ASSERT_EQ(planned->scenarios.size(), 1u);
  const PlannedScenario& browser_scenario = planned->scenarios[0].second;
  std::vector<std::string> browser, client, floors;
  for (const PlannedRun& run : browser_scenario.runs) {
    if (run.bench.wire.wire->floor) {
      floors.push_back(run.wire);
    } else if (run.route.destination == Destination::kBrowser) {
      browser.push_back(run.wire);
      EXPECT_TRUE(IsBrowserWire(*run.bench.wire.wire));
      EXPECT_GE(*run.bench.requests, 100u) << "--quick measures at least 100 per browser wire";
    } else {
      client.push_back(run.wire);
    }
    EXPECT_TRUE(run.bench.requests.has_value()) << run.wire;
    if (!run.bench.wire.wire->floor) {
      EXPECT_EQ(run.bench.model, "breast_cancer");
    }
  }
  EXPECT_THAT(browser,
              ElementsAre("browser-fetch", "browser-fetch-cors", "browser-fetch-cors-cached",
                          "browser-ws", "browser-ws-binary", "browser-ws-new", "browser-module-ws",
                          "browser-module-ws-binary", "browser-module-fetch"));
  EXPECT_THAT(client, ElementsAre("rest-keepalive", "ws", "ws-binary"));
  EXPECT_THAT(floors, ElementsAre("tcp-new", "tcp"));
  options.own_server = false;  // a --target server: not ours to set CORS on
  EXPECT_TRUE(PlanCompare(options, Scenarios(), {"browser"})->scenarios.empty());
}

}  // namespace
}  // namespace predictwire::loadgen
