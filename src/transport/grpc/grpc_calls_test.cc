#include "transport/grpc/grpc_calls.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "core/test_backend.h"
#include "grpc_service.pb.h"
#include "health.pb.h"
#include "transport/common/fake_connection.h"
#include "transport/http2/http2_protocol.h"
#include "transport/http2/test_client.h"

namespace predictwire::transport::grpc_transport {
namespace {

using predictwire::testing::FunctionBackend;
using predictwire::testing::Gate;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using transport::http2::testing::TestClient;
using transport::testing::FakeConnection;

constexpr std::string_view kService = "/inference.GRPCInferenceService/";

// gRPC calls on a real HTTP/2 protocol over a fake connection, driven by an nghttp2 client. The
// "sum" model (2 features) and the "gated" one (any) run on workers; their completions wait in
// the fake connection until the test runs them.
class GrpcCallsTest : public ::testing::Test {
 protected:
  GrpcCallsTest() {
    std::vector<ModelRegistry::Entry> entries;
    entries.push_back({"sum", FunctionBackend::RowSum(2)});
    entries.push_back({"gated", Gate::RowSum(gate_, /*instances=*/2)});
    registry_ = *ModelRegistry::Create(std::move(entries), "");
    scheduler_ = *Scheduler::Create(*registry_, {.mode = ExecutionMode::kWorker});
    router_ = std::make_unique<RestRouter>(RestRouter::Options{}, *registry_, *scheduler_, ready_);
    service_ = std::make_unique<GrpcService>(
        GrpcService::Options{
            .server_version = "9.9", .max_message_bytes = 4096, .max_in_flight_per_stream = 2},
        *registry_, *scheduler_, ready_);
    make_grpc_ = [this](ProtocolConnection& connection, absl::AnyInvocable<void()> flush) {
      return std::make_unique<GrpcCalls>(connection, *service_, std::move(flush));
    };
    connection_->Start(*http2::Http2Protocol::Create(*connection_, *router_, make_grpc_, {}));
  }
  ~GrpcCallsTest() override {
    gate_.Open();
    scheduler_->Shutdown();
  }

  static inference::ModelInferRequest Request(std::string id, std::vector<float> features,
                                              std::string model = "sum") {
    inference::ModelInferRequest request;
    request.set_model_name(std::move(model));
    request.set_id(std::move(id));
    auto* input = request.add_inputs();
    input->set_name("features");
    input->set_datatype("FP32");
    input->add_shape(1);
    input->add_shape(static_cast<int64_t>(features.size()));
    for (float value : features) input->mutable_contents()->add_fp32_contents(value);
    return request;
  }

  static std::string Framed(const google::protobuf::Message& message) {
    std::string framed;
    AppendFramedMessage(message.SerializeAsString(), &framed);
    return framed;
  }

  // Opens a call of `method` with the usual gRPC headers and `extra`.
  int32_t Open(std::string_view method,
               std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::vector<std::pair<std::string, std::string>> fields = {{"content-type", "application/grpc"},
                                                               {"te", "trailers"}};
    for (auto& field : extra) fields.push_back(std::move(field));
    // A method of inference.GRPCInferenceService by name, or any service's by its whole path.
    const std::string path =
        method.starts_with('/') ? std::string(method) : std::string(kService) + std::string(method);
    return client_.Open("POST", path, std::move(fields));
  }

  // A unary call: `request`, then half-close.
  int32_t Unary(std::string_view method, const google::protobuf::Message& request,
                std::vector<std::pair<std::string, std::string>> extra = {}) {
    const int32_t call = Open(method, std::move(extra));
    client_.Write(call, Framed(request), /*end=*/true);
    Exchange();
    return call;
  }

  void Exchange() {
    client_.Exchange([this](std::string_view to_server) {
      if (!to_server.empty()) connection_->Receive(to_server);
      return connection_->TakeOutput();
    });
  }

  // Runs `count` completions posted by workers, then lets the client read the answers.
  void Complete(size_t count) {
    connection_->WaitForPosted(count);
    ASSERT_EQ(connection_->RunPosted(count), count);
    Exchange();
  }

  TestClient::Response& response(int32_t call) { return client_.responses[call]; }
  std::string status(int32_t call) {
    const auto& fields = response(call).fields;
    const auto found = fields.find("grpc-status");
    return found == fields.end() ? "(none)" : found->second;
  }

  // The call's response messages, parsed as `Message`.
  template <typename Message>
  std::vector<Message> Messages(int32_t call) {
    MessageReader reader(1 << 20);
    reader.Feed(response(call).body);
    std::vector<Message> messages;
    for (;;) {
      absl::StatusOr<std::optional<MessageReader::Message>> next = reader.Next();
      EXPECT_TRUE(next.ok());
      if (!next.ok() || !next->has_value()) break;
      messages.emplace_back().ParseFromString((*next)->bytes);
    }
    EXPECT_FALSE(reader.has_partial_message());
    return messages;
  }

  Gate gate_;
  std::atomic<bool> ready_{true};
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<RestRouter> router_;
  std::unique_ptr<GrpcService> service_;
  http2::Http2Protocol::GrpcFactory make_grpc_;
  std::shared_ptr<FakeConnection> connection_ = std::make_shared<FakeConnection>();
  TestClient client_;
};

TEST_F(GrpcCallsTest, HealthAndMetadata) {
  const int32_t live = Unary("ServerLive", inference::ServerLiveRequest());
  EXPECT_EQ(status(live), "0");
  ASSERT_EQ(Messages<inference::ServerLiveResponse>(live).size(), 1u);
  EXPECT_TRUE(Messages<inference::ServerLiveResponse>(live)[0].live());

  ready_ = false;
  const int32_t not_ready = Unary("ServerReady", inference::ServerReadyRequest());
  EXPECT_FALSE(Messages<inference::ServerReadyResponse>(not_ready).at(0).ready());
  ready_ = true;

  inference::ModelReadyRequest model_ready;
  model_ready.set_name("sum");
  const int32_t ready = Unary("ModelReady", model_ready);
  EXPECT_TRUE(Messages<inference::ModelReadyResponse>(ready).at(0).ready());
  model_ready.set_name("nope");
  const int32_t missing = Unary("ModelReady", model_ready);
  EXPECT_EQ(status(missing), "5");                // NOT_FOUND
  EXPECT_EQ(response(missing).header_blocks, 1);  // trailers-only

  const int32_t server = Unary("ServerMetadata", inference::ServerMetadataRequest());
  const auto server_metadata = Messages<inference::ServerMetadataResponse>(server).at(0);
  EXPECT_EQ(server_metadata.name(), "predictwire");
  EXPECT_EQ(server_metadata.version(), "9.9");

  inference::ModelMetadataRequest metadata;
  metadata.set_name("sum");
  const int32_t model = Unary("ModelMetadata", metadata);
  const auto model_metadata = Messages<inference::ModelMetadataResponse>(model).at(0);
  EXPECT_THAT(model_metadata.versions(), ElementsAre("1"));
  EXPECT_THAT(model_metadata.inputs(0).shape(), ElementsAre(-1, 2));
  metadata.set_version("7");
  EXPECT_EQ(status(Unary("ModelMetadata", metadata)), "5");
}

TEST_F(GrpcCallsTest, ModelInferAnswersAndRejectsWithProperCodes) {
  const int32_t call = Unary("ModelInfer", Request("a", {1.5f, 2}));
  EXPECT_TRUE(connection_->protocol().HasWorkInFlight());
  Complete(1);
  ASSERT_EQ(status(call), "0");
  EXPECT_EQ(response(call).header_blocks, 2);
  const auto answer = Messages<inference::ModelInferResponse>(call).at(0);
  EXPECT_EQ(answer.id(), "a");
  EXPECT_THAT(answer.outputs(0).contents().fp32_contents(), ElementsAre(3.5f));
  EXPECT_TRUE(answer.parameters().contains("queue_us"));
  EXPECT_TRUE(answer.parameters().contains("compute_us"));
  EXPECT_TRUE(response(call).closed);
  EXPECT_FALSE(connection_->protocol().HasWorkInFlight());

  // Errors found before a model runs are answered at once.
  const int32_t unknown = Unary("ModelInfer", Request("b", {1, 2}, "nope"));
  EXPECT_EQ(status(unknown), "5");
  EXPECT_THAT(response(unknown).fields["grpc-message"], HasSubstr("nope"));
  EXPECT_EQ(status(Unary("ModelInfer", Request("c", {1, 2, 3}))), "3");  // INVALID_ARGUMENT
  EXPECT_EQ(status(Unary("ModelInfer", Request("d", {1, 2}, ""))), "3");
  EXPECT_EQ(status(Unary("NoSuchMethod", Request("e", {1, 2}))), "12");  // UNIMPLEMENTED
}

TEST_F(GrpcCallsTest, UnaryCallsTakeExactlyOneMessage) {
  const int32_t none = Open("ServerLive");
  client_.Write(none, "", /*end=*/true);
  Exchange();
  EXPECT_EQ(status(none), "12");
  const int32_t two = Open("ServerLive");
  client_.Write(two,
                Framed(inference::ServerLiveRequest()) + Framed(inference::ServerLiveRequest()),
                /*end=*/true);
  Exchange();
  EXPECT_EQ(status(two), "12");
  const int32_t cut = Open("ServerLive");
  client_.Write(cut, std::string("\0\0\0\0\x09partial", 12), /*end=*/true);
  Exchange();
  EXPECT_EQ(status(cut), "3");
  EXPECT_THAT(response(cut).fields["grpc-message"], HasSubstr("inside a message"));
}

TEST_F(GrpcCallsTest, CompressedMessagesAreInflatedAndOversizedOnesRefused) {
  const std::string message = Request("z", {1, 2}).SerializeAsString();
  const std::string gzip = GzipCompress(message);
  std::string framed("\1", 1);
  const uint32_t length = gzip.size();
  framed += std::string{static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                        static_cast<char>(length >> 8), static_cast<char>(length)};
  framed += gzip;

  const int32_t call = Open("ModelInfer", {{"grpc-encoding", "gzip"}});
  client_.Write(call, framed, /*end=*/true);
  Exchange();
  Complete(1);
  ASSERT_EQ(status(call), "0");
  EXPECT_EQ(Messages<inference::ModelInferResponse>(call).at(0).id(), "z");

  const int32_t unknown = Open("ModelInfer", {{"grpc-encoding", "snappy"}});
  client_.Write(unknown, framed, /*end=*/true);
  Exchange();
  EXPECT_EQ(status(unknown), "12");

  // Past --max-body (4096 here): refused from the prefix, before the bytes arrive.
  const int32_t big = Open("ModelInfer");
  client_.Write(big, std::string("\0\0\0\x20\0", 5));
  Exchange();
  EXPECT_EQ(status(big), "8");  // RESOURCE_EXHAUSTED
  EXPECT_TRUE(response(big).closed);
}

TEST_F(GrpcCallsTest, StreamAnswersEveryRequestByIdErrorsIncluded) {
  const int32_t call = Open("ModelStreamInfer");
  client_.Write(call, Framed(Request("1", {1, 1})) + Framed(Request("2", {1, 2, 3})) +
                          Framed(Request("3", {2, 2}, "nope")));
  Exchange();
  client_.Write(call, Framed(Request("4", {4, 4})), /*end=*/true);
  Exchange();
  Complete(2);
  ASSERT_EQ(status(call), "0");
  std::map<std::string, inference::ModelStreamInferResponse> answers;
  for (auto& answer : Messages<inference::ModelStreamInferResponse>(call)) {
    answers[answer.infer_response().id()] = answer;
  }
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_TRUE(answers["1"].error_message().empty());
  EXPECT_THAT(answers["1"].infer_response().outputs(0).contents().fp32_contents(),
              ElementsAre(2.0f));
  EXPECT_THAT(answers["2"].error_message(), HasSubstr("feature"));
  EXPECT_THAT(answers["3"].error_message(), HasSubstr("nope"));
  EXPECT_THAT(answers["4"].infer_response().outputs(0).contents().fp32_contents(),
              ElementsAre(8.0f));
}

TEST_F(GrpcCallsTest, AStreamReadsNoFurtherThanItsInFlightLimit) {
  const int32_t call = Open("ModelStreamInfer");
  client_.Write(call,
                Framed(Request("1", {1}, "gated")) + Framed(Request("2", {2}, "gated")) +
                    Framed(Request("3", {3}, "gated")),
                /*end=*/true);
  Exchange();
  gate_.WaitForArrivals(2);
  // Two in flight (the limit here): the third waits unread until an answer makes room.
  EXPECT_EQ(Messages<inference::ModelStreamInferResponse>(call).size(), 0u);
  gate_.Open();
  Complete(2);
  Complete(1);
  ASSERT_EQ(status(call), "0");
  EXPECT_EQ(Messages<inference::ModelStreamInferResponse>(call).size(), 3u);
}

TEST_F(GrpcCallsTest, AnAnswerAfterTheDeadlineIsDeadlineExceeded) {
  const int32_t call =
      Unary("ModelInfer", Request("slow", {1}, "gated"), {{"grpc-timeout", "20m"}});
  gate_.WaitForArrivals(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  gate_.Open();
  Complete(1);
  EXPECT_EQ(status(call), "4");  // DEADLINE_EXCEEDED
  EXPECT_TRUE(response(call).body.empty());

  EXPECT_EQ(status(Unary("ServerLive", inference::ServerLiveRequest(), {{"grpc-timeout", "soon"}})),
            "3");
  const int32_t in_time = Unary("ModelInfer", Request("quick", {1, 2}), {{"grpc-timeout", "100S"}});
  Complete(1);
  EXPECT_EQ(status(in_time), "0");
}

TEST_F(GrpcCallsTest, ACancelledCallIsForgottenAndTheConnectionCarriesOn) {
  const int32_t call = Unary("ModelInfer", Request("cancelled", {1}, "gated"));
  gate_.WaitForArrivals(1);
  client_.Reset(call);
  Exchange();
  gate_.Open();
  Complete(1);  // the model's answer arrives for a call that is gone
  EXPECT_TRUE(response(call).closed);
  EXPECT_TRUE(response(call).body.empty());
  EXPECT_FALSE(connection_->protocol().HasWorkInFlight());
  const int32_t next = Unary("ModelInfer", Request("next", {1, 2}));
  Complete(1);
  EXPECT_EQ(status(next), "0");
}

TEST_F(GrpcCallsTest, AskedToGoAStreamEndsUnavailableOnceItsAnswersAreOut) {
  const int32_t stream = Open("ModelStreamInfer");
  client_.Write(stream, Framed(Request("1", {1}, "gated")));
  const int32_t waiting = Open("ModelInfer");  // never sends its message
  Exchange();
  gate_.WaitForArrivals(1);
  connection_->Drain();
  Exchange();
  EXPECT_TRUE(client_.goaway);
  EXPECT_EQ(status(waiting), "(none)");  // a unary call carries on
  EXPECT_EQ(status(stream), "(none)");
  // A message sent now is not read: the client sends it again on a new connection.
  client_.Write(stream, Framed(Request("2", {2, 3})));
  gate_.Open();
  Complete(1);
  EXPECT_EQ(Messages<inference::ModelStreamInferResponse>(stream).size(), 1u);
  EXPECT_EQ(status(stream), "14");  // UNAVAILABLE: send again what was not answered
  EXPECT_TRUE(response(stream).closed);
  EXPECT_EQ(status(waiting), "(none)");
  connection_->EndGrace();  // the unary call's message never came: the grace ends it
  Exchange();
  EXPECT_EQ(status(waiting), "14");
}

TEST_F(GrpcCallsTest, HealthChecksAndWatchesFollowReadiness) {
  grpc::health::v1::HealthCheckRequest server;  // the whole server: ""
  grpc::health::v1::HealthCheckRequest model;
  model.set_service("sum");
  grpc::health::v1::HealthCheckRequest nothing;
  nothing.set_service("no_such_model");
  using Response = grpc::health::v1::HealthCheckResponse;
  const int32_t check = Unary("/grpc.health.v1.Health/Check", server);
  EXPECT_EQ(status(check), "0");
  EXPECT_EQ(Messages<Response>(check).at(0).status(), Response::SERVING);
  const int32_t unknown = Unary("/grpc.health.v1.Health/Check", nothing);
  EXPECT_EQ(status(unknown), "5");  // NOT_FOUND
  const int32_t watch = Unary("/grpc.health.v1.Health/Watch", model);
  const int32_t watch_unknown = Unary("/grpc.health.v1.Health/Watch", nothing);
  EXPECT_EQ(status(watch), "(none)");  // the call stays open
  ASSERT_EQ(Messages<Response>(watch).size(), 1u);
  EXPECT_EQ(Messages<Response>(watch)[0].status(), Response::SERVING);
  EXPECT_EQ(Messages<Response>(watch_unknown).at(0).status(), Response::SERVICE_UNKNOWN);
  ready_ = false;  // the server drains
  connection_->protocol().OnReadinessChanged();
  Exchange();
  ASSERT_EQ(Messages<Response>(watch).size(), 2u);
  EXPECT_EQ(Messages<Response>(watch)[1].status(), Response::NOT_SERVING);
  EXPECT_EQ(Messages<Response>(watch_unknown).size(), 1u);  // no change for it
  const int32_t after = Unary("/grpc.health.v1.Health/Check", model);
  EXPECT_EQ(Messages<Response>(after).at(0).status(), Response::NOT_SERVING);
}

TEST_F(GrpcCallsTest, AnIdleConnectionSaysGoodbye) {
  EXPECT_EQ(status(Unary("ServerLive", inference::ServerLiveRequest())), "0");
  connection_->protocol().OnIdle();
  Exchange();
  EXPECT_TRUE(client_.goaway);
  EXPECT_TRUE(connection_->close_after_write());
}

}  // namespace
}  // namespace predictwire::transport::grpc_transport
