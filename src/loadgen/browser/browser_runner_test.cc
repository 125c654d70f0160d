#include "loadgen/browser/browser_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "loadgen/browser/browser_wires.h"

namespace predictwire::loadgen {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const Wire& BrowserWire(std::string_view name) {
  for (const Wire& wire : BrowserWires()) {
    if (wire.name == name) return wire;
  }
  ADD_FAILURE() << name;
  return BrowserWires().front();
}

TEST(BrowserWiresTest, AreNotRowsOfTheWireTableButReadLikeWires) {
  std::vector<std::string_view> names;
  for (const Wire& wire : BrowserWires()) {
    names.push_back(wire.name);
    EXPECT_TRUE(IsBrowserWire(wire));
    EXPECT_FALSE(ParseWire(wire.name).ok()) << wire.name << " is not for bench";
    EXPECT_FALSE(wire.floor);
  }
  EXPECT_THAT(names,
              ElementsAre("browser-fetch", "browser-fetch-cors", "browser-fetch-cors-cached",
                          "browser-ws", "browser-ws-binary", "browser-ws-new", "browser-module-ws",
                          "browser-module-ws-binary", "browser-module-fetch"));
  EXPECT_FALSE(IsBrowserWire(DefaultWire()));
  EXPECT_TRUE(BrowserWire("browser-ws-new").new_connection_per_request);
  EXPECT_EQ(PageWireName(BrowserWire("browser-fetch-cors-cached")), "fetch-cors-cached");
}

TEST(BrowserWiresTest, EachIsComparedWithTheClientsSameExchange) {
  EXPECT_EQ(ClientCounterpart(BrowserWire("browser-fetch"))->name, "rest-keepalive");
  EXPECT_EQ(ClientCounterpart(BrowserWire("browser-fetch-cors"))->name, "rest-keepalive");
  EXPECT_EQ(ClientCounterpart(BrowserWire("browser-ws"))->name, "ws");
  EXPECT_EQ(ClientCounterpart(BrowserWire("browser-ws-binary"))->name, "ws-binary");
  EXPECT_EQ(ClientCounterpart(BrowserWire("browser-ws-new")), nullptr);
  EXPECT_EQ(ClientCounterpart(BrowserWire("browser-module-ws"))->name, "ws");
  EXPECT_EQ(ClientCounterpart(BrowserWire("browser-module-fetch"))->name, "rest-keepalive");
}

TEST(BrowserWiresTest, TheJavaScriptClientsWiresAreComparedWithTheBareOnes) {
  EXPECT_EQ(RawCounterpart(BrowserWire("browser-module-ws"))->name, "browser-ws");
  EXPECT_EQ(RawCounterpart(BrowserWire("browser-module-ws-binary"))->name, "browser-ws-binary");
  EXPECT_EQ(RawCounterpart(BrowserWire("browser-module-fetch"))->name, "browser-fetch");
  EXPECT_EQ(RawCounterpart(BrowserWire("browser-ws")), nullptr);
  EXPECT_TRUE(IsModuleWire(BrowserWire("browser-module-ws-binary")));
  EXPECT_FALSE(IsModuleWire(BrowserWire("browser-ws-binary")));
  EXPECT_EQ(PageWireName(BrowserWire("browser-module-ws")), "module-ws");
  EXPECT_FALSE(BrowserWire("browser-module-ws").new_connection_per_request);
}

TEST(PageMeasurementTest, ParsesThePagesResult) {
  const absl::StatusOr<PageMeasurement> page = ParsePageMeasurement(
      R"({"wire": "ws", "latency_us": [200.5, 300, 250], "server_us": [20, -1, 30],
          "connect_us": [1500], "errors": {"timeout": 2}, "first_error": "no answer",
          "seconds": 0.5})");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->latency_us, ElementsAre(200.5, 300, 250));
  EXPECT_THAT(page->server_us, ElementsAre(20, -1, 30));
  EXPECT_THAT(page->connect_us, ElementsAre(1500));
  EXPECT_EQ(page->errors.at("timeout"), 2u);
  EXPECT_EQ(page->first_error, "no answer");
  EXPECT_EQ(page->seconds, 0.5);
}

TEST(PageMeasurementTest, RefusesAnIncompleteResult) {
  EXPECT_FALSE(ParsePageMeasurement("not json").ok());
  EXPECT_THAT(ParsePageMeasurement(R"({"latency_us": [1]})").status().message(),
              HasSubstr("server_us"));
  EXPECT_FALSE(
      ParsePageMeasurement(R"({"latency_us": [1, 2], "server_us": [1], "connect_us": []})").ok());
  EXPECT_FALSE(
      ParsePageMeasurement(R"({"latency_us": ["x"], "server_us": [1], "connect_us": []})").ok());
}

TEST(PageMeasurementTest, BecomesABenchResultLikeAnyRun) {
  PageMeasurement page;
  for (int i = 1; i <= 8; ++i) {
    page.latency_us.push_back(100.0 * i);
    page.server_us.push_back(i == 3 ? -1 : 10);
  }
  page.connect_us = {900, 1100};
  page.errors = {{"http_503", 1}, {"timeout", 1}};
  page.seconds = 2;
  BenchOptions bench;
  bench.wire = {&BrowserWire("browser-ws-new"), false};
  bench.batches = 4;
  const BenchResult result = ToBenchResult(page, bench);
  EXPECT_EQ(result.options.wire.wire->name, "browser-ws-new");
  EXPECT_EQ(result.requests, 8u);
  EXPECT_EQ(result.errors, 2u);
  EXPECT_EQ(result.errors_by_kind.at("http_503"), 1u);
  EXPECT_EQ(result.connections, 2);  // a connection per request: each one opened
  EXPECT_EQ(result.latency.count(), 8u);
  EXPECT_EQ(result.latency.min(), 100000u);  // nanoseconds
  EXPECT_EQ(result.latency.max(), 800000u);
  EXPECT_EQ(result.server.count(), 7u);  // one request reported no server time
  EXPECT_EQ(result.network.count(), 7u);
  EXPECT_EQ(result.network.min(), 90000u);
  EXPECT_EQ(result.connect.count(), 2u);
  EXPECT_DOUBLE_EQ(result.throughput_rps, 4);
  // Four batches of two consecutive requests each, each reported by its median.
  ASSERT_EQ(result.batch_p50_us.size(), 4u);
  EXPECT_LT(result.batch_p50_us[0], result.batch_p50_us[1]);
  EXPECT_LT(result.batch_p50_us[2], result.batch_p50_us[3]);
  EXPECT_NEAR(result.batch_p50_us[3], 700, 4);
  bench.wire = {&BrowserWire("browser-ws"), false};
  EXPECT_EQ(ToBenchResult(page, bench).connections, 1);
}

}  // namespace
}  // namespace predictwire::loadgen
