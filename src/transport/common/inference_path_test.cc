#include "transport/common/inference_path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>

#include "core/status.h"
#include "core/test_backend.h"
#include "transport/common/predict_decode.h"

namespace predictwire::transport {
namespace {

using predictwire::testing::FunctionBackend;
using ::testing::HasSubstr;

// A format for the test: the input names a model and one row; the reply is text that shows
// which of the encoders made it and with what context.
struct TextFormat {
  struct Input {
    std::string_view model;
    std::vector<float> row;
  };
  using Context = std::string;  // set by Decode, shown in every reply
  using Reply = std::string;

  static absl::Status Decode(Input input, const ModelRegistry& registry, DecodedRequest& decoded,
                             Context& context) {
    context = "ctx";
    if (input.row.empty()) return absl::InvalidArgumentError("no row");
    Tensor tensor{{1, static_cast<int64_t>(input.row.size())}, std::move(input.row)};
    return ResolveModel(registry, input.model, std::move(tensor), decoded);
  }
  static std::string EncodeReply(Context& context, const Model& model,
                                 const InferResponse& response) {
    return context + " " + model.name() + " " + std::to_string(response.output.values.at(0));
  }
  static std::string EncodeError(Context& context, const absl::Status& status) {
    return context + " error " + std::string(MessageOf(status));
  }
};
static_assert(InferenceFormat<TextFormat>);

std::unique_ptr<ModelRegistry> SumModel() {
  std::vector<ModelRegistry::Entry> entries;
  entries.push_back({"sum", FunctionBackend::RowSum()});
  return *ModelRegistry::Create(std::move(entries), "");
}

std::unique_ptr<Scheduler> MakeScheduler(const ModelRegistry& registry, ExecutionMode mode) {
  Scheduler::Options options;
  options.mode = mode;
  return *Scheduler::Create(registry, options);
}

TEST(InferencePathTest, InlineAnswerArrivesBeforeRunReturns) {
  auto registry = SumModel();
  auto scheduler = MakeScheduler(*registry, ExecutionMode::kInline);
  const InferencePath path(*registry, *scheduler);
  std::string reply;
  path.Run<TextFormat>({"", {1, 2}}, [&](std::string text) { reply = std::move(text); });
  EXPECT_EQ(reply, "ctx sum 3.000000");
}

TEST(InferencePathTest, DecodeAndResolveErrorsAreEncodedWithTheContext) {
  auto registry = SumModel();
  auto scheduler = MakeScheduler(*registry, ExecutionMode::kInline);
  const InferencePath path(*registry, *scheduler);
  std::string reply;
  path.Run<TextFormat>({"", {}}, [&](std::string text) { reply = std::move(text); });
  EXPECT_EQ(reply, "ctx error no row");
  path.Run<TextFormat>({"nope", {1}}, [&](std::string text) { reply = std::move(text); });
  EXPECT_THAT(reply, HasSubstr("ctx error unknown model 'nope'"));
}

TEST(InferencePathTest, WorkerAnswerIsEncodedOnTheWorkerThread) {
  auto registry = SumModel();
  auto scheduler = MakeScheduler(*registry, ExecutionMode::kWorker);
  const InferencePath path(*registry, *scheduler);
  std::promise<std::pair<std::string, std::thread::id>> answered;
  path.Run<TextFormat>({"sum", {4}}, [&](std::string text) {
    answered.set_value({std::move(text), std::this_thread::get_id()});
  });
  const auto [reply, thread] = answered.get_future().get();
  EXPECT_EQ(reply, "ctx sum 4.000000");
  EXPECT_NE(thread, std::this_thread::get_id());
}

TEST(InferencePathTest, CountsEveryRequestWithItsModelAndOutcome) {
  auto registry = SumModel();
  auto scheduler = MakeScheduler(*registry, ExecutionMode::kInline);
  Metrics metrics({"sum"});
  const InferencePath path(*registry, *scheduler, &metrics, RequestProtocol::kWebSocket);
  path.Run<TextFormat>({"", {1, 2}}, [](std::string) {});
  path.Run<TextFormat>({"nope", {1}}, [](std::string) {});
  EXPECT_EQ(metrics.RequestsFinished(RequestProtocol::kWebSocket), 2u);
  const std::string text = metrics.Render();
  EXPECT_THAT(text, ::testing::HasSubstr("predictwire_requests_total{protocol=\"websocket\","
                                         "model=\"sum\",code=\"OK\"} 1\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("predictwire_requests_total{protocol=\"websocket\","
                                         "model=\"\",code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(text,
              ::testing::HasSubstr("predictwire_requests_in_flight{protocol=\"websocket\"} 0\n"));
}

TEST(InferencePathTest, SchedulerRefusalIsEncodedAsAnError) {
  auto registry = SumModel();
  auto scheduler = MakeScheduler(*registry, ExecutionMode::kWorker);
  scheduler->Shutdown();
  const InferencePath path(*registry, *scheduler);
  std::string reply;
  path.Run<TextFormat>({"", {1}}, [&](std::string text) { reply = std::move(text); });
  EXPECT_EQ(reply, "ctx error the server is shutting down");
}

// Decodes a body of text as one row of as many 1s as it has bytes, and notes the thread.
struct BodyFormat {
  using Input = std::string_view;
  using Context = std::thread::id;  // where Decode ran
  using Reply = std::pair<std::thread::id, float>;

  static absl::Status Decode(std::string_view body, const ModelRegistry& registry,
                             DecodedRequest& decoded, Context& context) {
    context = std::this_thread::get_id();
    Tensor tensor{{1, static_cast<int64_t>(body.size())}, std::vector<float>(body.size(), 1)};
    return ResolveModel(registry, "", std::move(tensor), decoded);
  }
  static Reply EncodeReply(Context& context, const Model&, const InferResponse& response) {
    return {context, response.output.values.at(0)};
  }
  static Reply EncodeError(Context& context, const absl::Status&) { return {context, -1}; }
};

TEST(InferencePathTest, LargeBodiesAreDecodedOffTheCallingThreadSmallOnesInPlace) {
  auto registry = SumModel();
  auto scheduler = MakeScheduler(*registry, ExecutionMode::kInline);
  const InferencePath path(*registry, *scheduler);
  const auto view = [](std::string_view body) { return body; };

  std::promise<BodyFormat::Reply> small;
  path.RunOwned<BodyFormat>(std::string(100, 'x'), view,
                            [&](BodyFormat::Reply reply) { small.set_value(reply); });
  const BodyFormat::Reply small_reply = small.get_future().get();
  EXPECT_EQ(small_reply.first, std::this_thread::get_id());
  EXPECT_EQ(small_reply.second, 100);

  std::promise<BodyFormat::Reply> large;
  path.RunOwned<BodyFormat>(std::string(kOffloadDecodeBytes, 'x'), view,
                            [&](BodyFormat::Reply reply) { large.set_value(reply); });
  const BodyFormat::Reply large_reply = large.get_future().get();
  EXPECT_NE(large_reply.first, std::this_thread::get_id());
  EXPECT_EQ(large_reply.second, static_cast<float>(kOffloadDecodeBytes));
}

TEST(InferencePathTest, AfterShutdownAnOffloadedDecodeIsAnsweredUnavailable) {
  auto registry = SumModel();
  auto scheduler = MakeScheduler(*registry, ExecutionMode::kWorker);
  const InferencePath path(*registry, *scheduler);
  scheduler->Shutdown();
  std::promise<BodyFormat::Reply> large;
  path.RunOwned<BodyFormat>(
      std::string(kOffloadDecodeBytes, 'x'), [](std::string_view body) { return body; },
      [&](BodyFormat::Reply reply) { large.set_value(reply); });
  EXPECT_EQ(large.get_future().get().second, -1);
}

// BodyFormat that takes its time over a large body.
struct SlowBodyFormat : BodyFormat {
  static absl::Status Decode(std::string_view body, const ModelRegistry& registry,
                             DecodedRequest& decoded, Context& context) {
    if (body.size() >= kOffloadDecodeBytes)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return BodyFormat::Decode(body, registry, decoded, context);
  }
};
static_assert(InferenceFormat<SlowBodyFormat>);

TEST(InferencePathTest, AnOffloadedDecodeCountsAgainstTheRequestTimeout) {
  auto registry = SumModel();
  Scheduler::Options options;
  options.mode = ExecutionMode::kWorker;
  options.request_timeout = std::chrono::milliseconds(1);
  auto scheduler = *Scheduler::Create(*registry, options);
  const InferencePath path(*registry, *scheduler);
  std::promise<BodyFormat::Reply> large;
  // The decode alone outlasts the timeout (20 ms against 1 ms; a lower bound only).
  path.RunOwned<SlowBodyFormat>(
      std::string(kOffloadDecodeBytes, 'x'), [](std::string_view body) { return body; },
      [&](BodyFormat::Reply reply) { large.set_value(reply); });
  EXPECT_EQ(large.get_future().get().second, -1);
}

}  // namespace
}  // namespace predictwire::transport
