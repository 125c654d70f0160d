#include "core/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace predictwire {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, CountsRequestsByProtocolModelAndCode) {
  Metrics metrics({"a", "b\"q"});
  const size_t a = 0;
  const size_t b = 1;
  const ServerTiming timing{.queue_us = 30, .compute_us = 7000};
  metrics.RequestStarted(RequestProtocol::kHttp1);
  metrics.RequestFinished(RequestProtocol::kHttp1, &a, absl::StatusCode::kOk, &timing, 7100);
  metrics.RequestStarted(RequestProtocol::kGrpc);
  metrics.RequestFinished(RequestProtocol::kGrpc, &b, absl::StatusCode::kInvalidArgument, nullptr,
                          40);
  metrics.RequestStarted(RequestProtocol::kWebSocket);
  metrics.RequestFinished(RequestProtocol::kWebSocket, nullptr, absl::StatusCode::kNotFound,
                          nullptr, 3);
  metrics.RequestStarted(RequestProtocol::kHttp2);  // still in flight

  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("predictwire_requests_total{protocol=\"http1\",model=\"a\","
                              "code=\"OK\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_requests_total{protocol=\"grpc\",model=\"b\\\"q\","
                              "code=\"INVALID_ARGUMENT\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_requests_total{protocol=\"websocket\",model=\"\","
                              "code=\"NOT_FOUND\"} 1\n"));
  // Codes that never occurred are left out, OK excepted.
  EXPECT_THAT(text, Not(HasSubstr("protocol=\"http1\",model=\"a\",code=\"INTERNAL\"")));
  EXPECT_THAT(text, HasSubstr("predictwire_requests_in_flight{protocol=\"http2\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_requests_in_flight{protocol=\"http1\"} 0\n"));
  // 7100 µs falls in the 10 ms bucket; the buckets are cumulative.
  EXPECT_THAT(text, HasSubstr("predictwire_request_duration_seconds_bucket{protocol=\"http1\","
                              "model=\"a\",le=\"0.005\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_request_duration_seconds_bucket{protocol=\"http1\","
                              "model=\"a\",le=\"0.01\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_request_duration_seconds_bucket{protocol=\"http1\","
                              "model=\"a\",le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_request_duration_seconds_sum{protocol=\"http1\","
                              "model=\"a\"} 0.0071\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_queue_duration_seconds_count{model=\"a\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_compute_duration_seconds_sum{model=\"a\"} 0.007\n"));
  EXPECT_EQ(metrics.RequestsFinished(RequestProtocol::kHttp1), 1u);
}

TEST(MetricsTest, ConnectionsBytesBatchesAndGauges) {
  Metrics metrics({"m"});
  metrics.ConnectionOpened(ListenerKind::kHttp);
  metrics.ConnectionOpened(ListenerKind::kHttp);
  metrics.ConnectionClosed(ListenerKind::kHttp);
  metrics.BytesReceived(ListenerKind::kGrpcs, 100);
  metrics.BytesSent(ListenerKind::kGrpcs, 7);
  metrics.RecordBatch(0, 1);
  metrics.RecordBatch(0, 40);
  metrics.RecordExpired(0);
  metrics.RecordCancelled(0);
  metrics.AddGauge({.name = "predictwire_queue_depth", .help = "Requests waiting.", .read = [] {
                      return std::vector<std::pair<std::string, double>>{{"model=\"m\"", 3}};
                    }});
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("predictwire_connections_open{listener=\"http\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_connections_total{listener=\"http\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_received_bytes_total{listener=\"grpcs\"} 100\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_sent_bytes_total{listener=\"grpcs\"} 7\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_batch_size_bucket{model=\"m\",le=\"1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_batch_size_bucket{model=\"m\",le=\"64\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_batch_size_sum{model=\"m\"} 41\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_requests_expired_total{model=\"m\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_requests_cancelled_total{model=\"m\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE predictwire_queue_depth gauge\n"
                              "predictwire_queue_depth{model=\"m\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes "));
  EXPECT_THAT(text, HasSubstr("process_open_fds "));
}

TEST(MetricsTest, ProtocolErrorsByProtocolAndReason) {
  Metrics metrics({"m"});
  metrics.RecordProtocolError(RequestProtocol::kHttp1, ProtocolError::kMalformed);
  metrics.RecordProtocolError(RequestProtocol::kHttp2, ProtocolError::kRefusedStream);
  metrics.RecordProtocolError(RequestProtocol::kHttp2, ProtocolError::kRefusedStream);
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE predictwire_protocol_errors_total counter\n"));
  EXPECT_THAT(
      text,
      HasSubstr("predictwire_protocol_errors_total{protocol=\"http1\",reason=\"malformed\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("predictwire_protocol_errors_total{protocol=\"http2\",reason=\"refused_"
                        "stream\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("predictwire_protocol_errors_total{protocol=\"websocket\",reason="
                              "\"violation\"} 0\n"));
}

TEST(MetricsTest, ThreadsAddUpWithoutLosingCounts) {
  Metrics metrics({"m"});
  const size_t model = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 24; ++t) {  // more threads than shards: some share one
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        metrics.RequestStarted(RequestProtocol::kWebSocket);
        metrics.RequestFinished(RequestProtocol::kWebSocket, &model, absl::StatusCode::kOk, nullptr,
                                1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(metrics.RequestsFinished(RequestProtocol::kWebSocket), 240000u);
  EXPECT_THAT(metrics.Render(),
              HasSubstr("predictwire_requests_total{protocol=\"websocket\",model=\"m\","
                        "code=\"OK\"} 240000\n"));
}

TEST(MetricsTest, TheExpositionHasEveryFamilyOnceInItsOrderGaugesBeforeTheBuild) {
  Metrics metrics({"m"});
  metrics.AddGauge({.name = "predictwire_queue_depth", .help = "Requests waiting.", .read = [] {
                      return std::vector<std::pair<std::string, double>>{{"", 0}};
                    }});
  const std::string text = metrics.Render();
  std::vector<std::string> families;
  for (size_t at = text.find("# TYPE "); at != std::string::npos;
       at = text.find("# TYPE ", at + 1)) {
    families.push_back(text.substr(at + 7, text.find('\n', at) - at - 7));
  }
  EXPECT_THAT(
      families,
      ElementsAre(
          "predictwire_requests_total counter", "predictwire_request_duration_seconds histogram",
          "predictwire_queue_duration_seconds histogram",
          "predictwire_compute_duration_seconds histogram", "predictwire_batch_size histogram",
          "predictwire_requests_expired_total counter",
          "predictwire_requests_cancelled_total counter", "predictwire_requests_in_flight gauge",
          "predictwire_connections_open gauge", "predictwire_connections_total counter",
          "predictwire_received_bytes_total counter", "predictwire_sent_bytes_total counter",
          "predictwire_protocol_errors_total counter",
          "predictwire_connections_defended_total counter", "predictwire_queue_depth gauge",
          "predictwire_build_info gauge", "process_cpu_seconds_total counter",
          "process_resident_memory_bytes gauge", "process_virtual_memory_bytes gauge",
          "process_open_fds gauge", "process_max_fds gauge", "process_start_time_seconds gauge"));
  EXPECT_THAT(text, HasSubstr("predictwire_queue_depth 0\n"));
  EXPECT_THAT(text, ::testing::EndsWith("\n"));
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(Metrics::Label("model", "a\"b\\c\nd"), "model=\"a\\\"b\\\\c\\nd\"");
  Metrics metrics({"x\\y"});
  EXPECT_THAT(metrics.Render(), HasSubstr("predictwire_batch_size_count{model=\"x\\\\y\"} 0\n"));
}

}  // namespace
}  // namespace predictwire
