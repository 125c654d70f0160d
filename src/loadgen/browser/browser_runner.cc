#include "loadgen/browser/browser_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>

#include "codec/json_writer.h"
#include "loadgen/browser/browser_wires.h"
#include "loadgen/browser/headless_chromium.h"
#include "loadgen/client/payload.h"
#include "os/host_port.h"

namespace predictwire::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Requests the page sends before it starts timing: the connection is open and warm by then.
constexpr int kWarmupRequests = 5;

absl::StatusOr<boost::json::object> ParseObject(std::string_view json, std::string_view what) {
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(json, error);
  if (error || !value.is_object()) {
    return absl::InvalidArgumentError(fmt::format("{} is not a JSON object", what));
  }
  return std::move(value.as_object());
}

absl::StatusOr<std::vector<double>> Numbers(const boost::json::object& object,
                                            std::string_view key) {
  const boost::json::value* array = object.if_contains(key);
  if (array == nullptr || !array->is_array()) {
    return absl::InvalidArgumentError(fmt::format("the page's result has no '{}' list", key));
  }
  std::vector<double> numbers;
  numbers.reserve(array->as_array().size());
  for (const boost::json::value& number : array->as_array()) {
    if (!number.is_number()) {
      return absl::InvalidArgumentError(fmt::format("'{}' holds something not a number", key));
    }
    numbers.push_back(number.to_number<double>());
  }
  return numbers;
}

uint64_t Nanoseconds(double microseconds) {
  return static_cast<uint64_t>(std::max(0.0, microseconds) * 1000.0 + 0.5);
}

// The string `key` of a DevTools result, or an error naming it.
absl::StatusOr<std::string> StringOf(std::string_view json, std::string_view key) {
  absl::StatusOr<boost::json::object> object = ParseObject(json, key);
  if (!object.ok()) return object.status();
  const boost::json::value* value = object->if_contains(key);
  if (value == nullptr || !value->is_string()) {
    return absl::InternalError(fmt::format("Chromium's reply has no {}: {}", key, json));
  }
  return std::string(value->get_string());
}

}  // namespace

absl::StatusOr<PageMeasurement> ParsePageMeasurement(std::string_view json) {
  absl::StatusOr<boost::json::object> object = ParseObject(json, "the page's result");
  if (!object.ok()) return object.status();
  PageMeasurement page;
  for (auto [key, numbers] :
       {std::pair<std::string_view, std::vector<double>*>{"latency_us", &page.latency_us},
        {"server_us", &page.server_us},
        {"connect_us", &page.connect_us}}) {
    absl::StatusOr<std::vector<double>> read = Numbers(*object, key);
    if (!read.ok()) return read.status();
    *numbers = *std::move(read);
  }
  if (page.server_us.size() != page.latency_us.size()) {
    return absl::InvalidArgumentError("the page's result has a server time per request missing");
  }
  if (const boost::json::value* errors = object->if_contains("errors");
      errors != nullptr && errors->is_object()) {
    for (const auto& [kind, count] : errors->as_object()) {
      if (count.is_number()) page.errors[std::string(kind)] = count.to_number<uint64_t>();
    }
  }
  if (const boost::json::value* first = object->if_contains("first_error");
      first != nullptr && first->is_string()) {
    page.first_error = std::string(first->get_string());
  }
  if (const boost::json::value* elapsed = object->if_contains("seconds");
      elapsed != nullptr && elapsed->is_number()) {
    page.seconds = elapsed->to_number<double>();
  }
  return page;
}

BenchResult ToBenchResult(const PageMeasurement& page, const BenchOptions& bench) {
  BenchResult result;
  result.options = bench;
  result.connections =
      bench.wire.wire->new_connection_per_request ? static_cast<int>(page.connect_us.size()) : 1;
  for (size_t i = 0; i < page.latency_us.size(); ++i) {
    result.latency.Record(Nanoseconds(page.latency_us[i]));
    if (page.server_us[i] < 0) continue;
    result.server.Record(Nanoseconds(page.server_us[i]));
    result.network.Record(Nanoseconds(page.latency_us[i] - page.server_us[i]));
  }
  for (double connect : page.connect_us) result.connect.Record(Nanoseconds(connect));
  result.requests = page.latency_us.size();
  for (const auto& [kind, count] : page.errors) {
    result.errors += count;
    result.errors_by_kind[kind] += count;
  }
  result.measured_seconds = page.seconds;
  result.throughput_rps = page.seconds > 0 ? result.requests / page.seconds : 0;
  // Consecutive slices of the requests, as bench cuts a run with --requests.
  const size_t count = page.latency_us.size();
  const size_t batches = static_cast<size_t>(std::max(1, bench.batches));
  for (size_t batch = 0; batch < batches; ++batch) {
    Histogram slice;
    for (size_t i = batch * count / batches; i < (batch + 1) * count / batches; ++i) {
      slice.Record(Nanoseconds(page.latency_us[i]));
    }
    if (slice.count() > 0) result.batch_p50_us.push_back(slice.ValueAtPercentile(50) / 1000.0);
  }
  return result;
}

BrowserRunner::BrowserRunner(const Options& options, std::unique_ptr<HeadlessChromium> browser,
                             std::string session)
    : options_(options), browser_(std::move(browser)), session_(std::move(session)) {}

BrowserRunner::~BrowserRunner() = default;

absl::StatusOr<std::unique_ptr<BrowserRunner>> BrowserRunner::Start(const Options& options) {
  absl::StatusOr<std::unique_ptr<HeadlessChromium>> browser =
      HeadlessChromium::Start({.cpus = options.cpus, .stderr_path = options.log_path});
  if (!browser.ok()) return browser.status();
  HeadlessChromium& chromium = **browser;
  absl::StatusOr<std::string> target =
      chromium.Call("Target.createTarget", R"({"url":"about:blank"})", "", seconds(30));
  if (!target.ok()) return target.status();
  absl::StatusOr<std::string> target_id = StringOf(*target, "targetId");
  if (!target_id.ok()) return target_id.status();
  absl::StatusOr<std::string> attached = chromium.Call(
      "Target.attachToTarget",
      fmt::format(R"({{"targetId":{},"flatten":true}})", codec::JsonQuoted(*target_id)), "",
      seconds(30));
  if (!attached.ok()) return attached.status();
  absl::StatusOr<std::string> session = StringOf(*attached, "sessionId");
  if (!session.ok()) return session.status();
  for (const char* domain : {"Page.enable", "Runtime.enable", "Log.enable"}) {
    if (absl::StatusOr<std::string> enabled = chromium.Call(domain, "{}", *session, seconds(30));
        !enabled.ok()) {
      return enabled.status();
    }
  }
  const std::string page_url = fmt::format("http://{}/", options.server_address);
  absl::StatusOr<std::string> navigated =
      chromium.Call("Page.navigate", fmt::format(R"({{"url":{}}})", codec::JsonQuoted(page_url)),
                    *session, seconds(30));
  if (!navigated.ok()) return navigated.status();
  if (absl::StatusOr<std::string> failed = StringOf(*navigated, "errorText"); failed.ok()) {
    return absl::UnavailableError(fmt::format("Chromium cannot load {}: {}", page_url, *failed));
  }
  if (absl::Status loaded = chromium.WaitForEvent("Page.loadEventFired", *session, seconds(30));
      !loaded.ok()) {
    return loaded;
  }
  absl::StatusOr<std::string> ready = chromium.Call(
      "Runtime.evaluate",
      R"json({"expression":"window.predictwire.ready.then(() => true)","awaitPromise":true,"returnByValue":true})json",
      *session, seconds(30));
  if (!ready.ok()) return ready.status();
  if (!chromium.page_errors().empty() || ready->find("exceptionDetails") != std::string::npos) {
    return absl::InternalError(fmt::format("the page at {} did not start cleanly: {} {}", page_url,
                                           fmt::join(chromium.page_errors(), "; "), *ready));
  }
  return std::unique_ptr<BrowserRunner>(
      new BrowserRunner(options, *std::move(browser), *std::move(session)));
}

absl::StatusOr<BenchResult> BrowserRunner::Run(const BenchOptions& bench) {
  if (!IsBrowserWire(*bench.wire.wire)) {
    return absl::InvalidArgumentError(
        fmt::format("{} is not a wire the browser measures", bench.wire.wire->name));
  }
  const uint64_t requests = bench.requests.value_or(100);
  std::string features = "[";
  for (int i = 0; i < bench.features; ++i) {
    if (i > 0) features += ',';
    codec::AppendJsonNumber(FeatureValue(i), &features);
  }
  features += ']';
  // The second origin: the server under its other loopback name, on the same port.
  const absl::StatusOr<os::HostPort> server = os::ParseHostPort(options_.server_address);
  if (!server.ok()) return server.status();
  const std::string expression = fmt::format(
      "window.predictwire.measureWire({}, {{requests: {}, warmup: {}, model: {}, features: {}, "
      "corsBase: {}}})",
      codec::JsonQuoted(PageWireName(*bench.wire.wire)), requests, kWarmupRequests,
      codec::JsonQuoted(bench.model), features,
      codec::JsonQuoted(fmt::format("http://localhost:{}", server->port)));
  // Generous: a new WebSocket per request takes about 10 ms in Chromium here.
  const milliseconds timeout = std::max<milliseconds>(seconds(60), milliseconds(100) * requests);
  absl::StatusOr<std::string> evaluated =
      browser_->Call("Runtime.evaluate",
                     fmt::format(R"({{"expression":{},"awaitPromise":true,"returnByValue":true}})",
                                 codec::JsonQuoted(expression)),
                     session_, timeout);
  if (!evaluated.ok()) return evaluated.status();
  absl::StatusOr<boost::json::object> reply = ParseObject(*evaluated, "Chromium's reply");
  if (!reply.ok()) return reply.status();
  const boost::json::value* value = nullptr;
  if (const boost::json::value* result = reply->if_contains("result");
      result != nullptr && result->is_object() && !reply->contains("exceptionDetails")) {
    value = result->as_object().if_contains("value");
  }
  if (value == nullptr) {
    return absl::InternalError(
        fmt::format("the page failed to measure {}: {}", bench.wire.wire->name, *evaluated));
  }
  absl::StatusOr<PageMeasurement> page = ParsePageMeasurement(boost::json::serialize(*value));
  if (!page.ok()) return page.status();
  if (!page->first_error.empty()) {
    std::fprintf(stderr, "  %s in Chromium: %s\n", std::string(bench.wire.wire->name).c_str(),
                 page->first_error.c_str());
  }
  return ToBenchResult(*page, bench);
}

}  // namespace predictwire::loadgen
