#include "transport/grpc/inference_service.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "core/test_backend.h"

namespace predictwire::transport::grpc_transport {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The service on an in-process gRPC server (no sockets), with one model "sum" of 2 features
// that predicts each row's sum.
class InferenceServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<ModelRegistry::Entry> entries;
    entries.push_back({"sum", predictwire::testing::FunctionBackend::RowSum(2)});
    registry_ = *ModelRegistry::Create(std::move(entries), "");
    scheduler_ = *Scheduler::Create(*registry_, {});
    service_ = std::make_unique<InferenceService>(
        InferenceService::Options{.server_version = "9.9"}, *registry_, *scheduler_, ready_);
    ::grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    stub_ = inference::GRPCInferenceService::NewStub(
        server_->InProcessChannel(::grpc::ChannelArguments()));
  }
  void TearDown() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_->Wait();
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

  std::atomic<bool> ready_{true};
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<InferenceService> service_;
  std::unique_ptr<::grpc::Server> server_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub_;
};

TEST_F(InferenceServiceTest, HealthAndMetadata) {
  ::grpc::ClientContext live_context;
  inference::ServerLiveResponse live;
  ASSERT_TRUE(stub_->ServerLive(&live_context, {}, &live).ok());
  EXPECT_TRUE(live.live());

  ready_ = false;
  ::grpc::ClientContext ready_context;
  inference::ServerReadyResponse server_ready;
  ASSERT_TRUE(stub_->ServerReady(&ready_context, {}, &server_ready).ok());
  EXPECT_FALSE(server_ready.ready());
  ready_ = true;

  ::grpc::ClientContext model_context;
  inference::ModelReadyRequest model_request;
  model_request.set_name("sum");
  inference::ModelReadyResponse model_ready;
  ASSERT_TRUE(stub_->ModelReady(&model_context, model_request, &model_ready).ok());
  EXPECT_TRUE(model_ready.ready());

  ::grpc::ClientContext missing_context;
  model_request.set_name("nope");
  EXPECT_EQ(stub_->ModelReady(&missing_context, model_request, &model_ready).error_code(),
            ::grpc::StatusCode::NOT_FOUND);

  ::grpc::ClientContext server_context;
  inference::ServerMetadataResponse server;
  ASSERT_TRUE(stub_->ServerMetadata(&server_context, {}, &server).ok());
  EXPECT_EQ(server.name(), "predictwire");
  EXPECT_EQ(server.version(), "9.9");

  ::grpc::ClientContext metadata_context;
  inference::ModelMetadataRequest metadata_request;
  metadata_request.set_name("sum");
  inference::ModelMetadataResponse metadata;
  ASSERT_TRUE(stub_->ModelMetadata(&metadata_context, metadata_request, &metadata).ok());
  EXPECT_THAT(metadata.versions(), ElementsAre("1"));
  EXPECT_THAT(metadata.inputs(0).shape(), ElementsAre(-1, 2));

  ::grpc::ClientContext version_context;
  metadata_request.set_version("7");
  EXPECT_EQ(stub_->ModelMetadata(&version_context, metadata_request, &metadata).error_code(),
            ::grpc::StatusCode::NOT_FOUND);
}

TEST_F(InferenceServiceTest, ModelInferAnswersAndRejectsWithProperCodes) {
  ::grpc::ClientContext context;
  inference::ModelInferResponse response;
  ::grpc::Status status = stub_->ModelInfer(&context, Request("a", {1.5f, 2}), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.id(), "a");
  EXPECT_THAT(response.outputs(0).contents().fp32_contents(), ElementsAre(3.5f));
  EXPECT_TRUE(response.parameters().contains("queue_us"));
  EXPECT_TRUE(response.parameters().contains("compute_us"));

  ::grpc::ClientContext unknown_context;
  status = stub_->ModelInfer(&unknown_context, Request("b", {1, 2}, "nope"), &response);
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("nope"));

  ::grpc::ClientContext shape_context;
  status = stub_->ModelInfer(&shape_context, Request("c", {1, 2, 3}), &response);
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);

  ::grpc::ClientContext unnamed_context;
  status = stub_->ModelInfer(&unnamed_context, Request("d", {1, 2}, ""), &response);
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(InferenceServiceTest, StreamAnswersEveryRequestByIdErrorsIncluded) {
  ::grpc::ClientContext context;
  auto stream = stub_->ModelStreamInfer(&context);
  ASSERT_TRUE(stream->Write(Request("1", {1, 1})));
  ASSERT_TRUE(stream->Write(Request("2", {1, 2, 3})));  // wrong shape
  ASSERT_TRUE(stream->Write(Request("3", {2, 2}, "nope")));
  ASSERT_TRUE(stream->Write(Request("4", {4, 4})));
  ASSERT_TRUE(stream->WritesDone());
  std::map<std::string, inference::ModelStreamInferResponse> answers;
  inference::ModelStreamInferResponse answer;
  while (stream->Read(&answer)) answers[answer.infer_response().id()] = answer;
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_TRUE(answers["1"].error_message().empty());
  EXPECT_THAT(answers["1"].infer_response().outputs(0).contents().fp32_contents(),
              ElementsAre(2.0f));
  EXPECT_THAT(answers["2"].error_message(), HasSubstr("feature"));
  EXPECT_THAT(answers["3"].error_message(), HasSubstr("nope"));
  EXPECT_THAT(answers["4"].infer_response().outputs(0).contents().fp32_contents(),
              ElementsAre(8.0f));
}

TEST_F(InferenceServiceTest, StoppingEndsAnOpenStreamAfterItsAnswers) {
  ::grpc::ClientContext context;
  auto stream = stub_->ModelStreamInfer(&context);
  ASSERT_TRUE(stream->Write(Request("1", {1, 2})));
  inference::ModelStreamInferResponse answer;
  ASSERT_TRUE(stream->Read(&answer));
  EXPECT_EQ(answer.infer_response().id(), "1");
  service_->StopStreams();  // the client never half-closes: the server ends the stream
  EXPECT_FALSE(stream->Read(&answer));
  EXPECT_TRUE(stream->Finish().ok());

  ::grpc::ClientContext late_context;
  auto late = stub_->ModelStreamInfer(&late_context);
  EXPECT_FALSE(late->Read(&answer));
  EXPECT_EQ(late->Finish().error_code(), ::grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace predictwire::transport::grpc_transport
