#include "transport/websocket/websocket_protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "codec/binary_predict.h"
#include "core/test_backend.h"
#include "transport/common/fake_connection.h"

namespace predictwire::transport::websocket {
namespace {

using predictwire::testing::FunctionBackend;
using predictwire::testing::Gate;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using transport::testing::FakeConnection;

constexpr std::array<uint8_t, 4> kMask = {0x12, 0x34, 0x56, 0x78};

struct Frame {
  Opcode opcode;
  std::string payload;
};

// The server frames in `bytes`, which must hold whole frames.
std::vector<Frame> Frames(std::string_view bytes) {
  std::vector<Frame> frames;
  while (!bytes.empty()) {
    FrameHeader header;
    std::string error;
    EXPECT_EQ(ParseFrameHeader(bytes.data(), bytes.size(), &header, &error), ParseStatus::kOk)
        << error;
    frames.push_back(
        {header.opcode, std::string(bytes.substr(header.header_length, header.payload_length))});
    bytes.remove_prefix(header.header_length + header.payload_length);
  }
  return frames;
}

std::string ClientFrame(Opcode opcode, std::string_view payload, bool fin = true) {
  std::string frame;
  AppendClientFrame(opcode, payload, kMask, fin, &frame);
  return frame;
}

std::string BinaryRequest(uint64_t id, std::string_view model, float feature) {
  std::string message;
  codec::AppendBinaryPredictRequest(id, model, Tensor{{1, 1}, {feature}}, &message);
  return ClientFrame(Opcode::kBinary, message);
}

// Models: "sum" (each row's sum), "gated" (the same, one at a time, each call held at gate_),
// "failing" (always INTERNAL). Every model runs on a worker, and its completion waits in the
// fake connection until the test runs it: the test decides when each request is answered.
class WebSocketProtocolTest : public ::testing::Test {
 protected:
  WebSocketProtocolTest() { Start(Scheduler::Options{}.max_queued_per_model); }
  ~WebSocketProtocolTest() override {
    gate_.Open();
    scheduler_->Shutdown();
  }

  // (Re)starts the server side with a queue of `max_queued` per model.
  void Start(size_t max_queued) {
    connection_.reset();
    scheduler_.reset();
    registry_.reset();
    std::vector<ModelRegistry::Entry> entries;
    entries.push_back({"sum", FunctionBackend::RowSum()});
    entries.push_back({"gated", Gate::RowSum(gate_)});
    entries.push_back({"failing", std::make_unique<FunctionBackend>(
                                      FunctionBackend::MakeInfo(-1, ExecutionKind::kCompute, 1),
                                      [](const Tensor&, Tensor*) {
                                        return absl::InternalError("model 'failing' failed");
                                      })});
    registry_ = *ModelRegistry::Create(std::move(entries), "");
    scheduler_ = *Scheduler::Create(
        *registry_, {.mode = ExecutionMode::kWorker, .max_queued_per_model = max_queued});
    connection_ = std::make_shared<FakeConnection>();
    connection_->Start(std::make_unique<WebSocketProtocol>(*connection_, *registry_, *scheduler_,
                                                           WebSocketProtocol::Options{}));
  }

  // Runs the next completion a worker posts back to the IO thread.
  void CompleteNext() {
    connection_->WaitForPosted(1);
    ASSERT_EQ(connection_->RunPosted(1), 1u);
  }

  Protocol& protocol() { return connection_->protocol(); }

  Gate gate_;
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<Scheduler> scheduler_;
  std::shared_ptr<FakeConnection> connection_;
};

TEST_F(WebSocketProtocolTest, FragmentsAreReassembledAcrossFramesAndReads) {
  const std::string message = R"({"id": 9, "features": [1, 2, 3]})";
  const std::string input = ClientFrame(Opcode::kText, message.substr(0, 10), false) +
                            ClientFrame(Opcode::kPing, "in between") +
                            ClientFrame(Opcode::kContinuation, message.substr(10, 10), false) +
                            ClientFrame(Opcode::kContinuation, message.substr(20), true);
  // In pieces of 3 bytes, so frame headers and payloads are split across reads.
  for (size_t at = 0; at < input.size(); at += 3) connection_->Receive(input.substr(at, 3));
  EXPECT_THAT(connection_->unconsumed_input(), IsEmpty());

  // The ping is answered at once, between the fragments; the message once its model is done.
  std::vector<Frame> frames = Frames(connection_->TakeOutput());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].opcode, Opcode::kPong);
  EXPECT_EQ(frames[0].payload, "in between");
  CompleteNext();
  frames = Frames(connection_->TakeOutput());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].opcode, Opcode::kText);
  EXPECT_THAT(frames[0].payload, StartsWith(R"({"id":9,"model":"sum","predictions":[6])"));
}

TEST_F(WebSocketProtocolTest, InputPausesAtTheInFlightLimitAndResumesAsAnswersGoOut) {
  std::string input;
  for (size_t i = 0; i < kMaxInFlightPerConnection + 2; ++i) input += BinaryRequest(i, "", 1);
  const size_t frame_bytes = input.size() / (kMaxInFlightPerConnection + 2);
  connection_->Receive(input);
  EXPECT_TRUE(connection_->input_paused());
  EXPECT_TRUE(protocol().HasWorkInFlight());
  EXPECT_EQ(connection_->unconsumed_input().size(), 2 * frame_bytes);

  // Each answer that goes out lets one more request in.
  connection_->WaitForPosted(1);
  connection_->RunPosted(1);
  EXPECT_EQ(Frames(connection_->TakeOutput()).size(), 1u);
  EXPECT_EQ(connection_->unconsumed_input().size(), frame_bytes);
  EXPECT_TRUE(connection_->input_paused());
  connection_->WaitForPosted(1);
  connection_->RunPosted(1);
  EXPECT_THAT(connection_->unconsumed_input(), IsEmpty());

  // Every request is answered, none dropped, and reading resumes.
  connection_->WaitForPosted(kMaxInFlightPerConnection);
  connection_->RunPosted();
  EXPECT_EQ(Frames(connection_->TakeOutput()).size(), kMaxInFlightPerConnection + 1);
  EXPECT_FALSE(connection_->input_paused());
  EXPECT_FALSE(protocol().HasWorkInFlight());
}

TEST_F(WebSocketProtocolTest, AskedToGoItClosesWith1001OnceTheAnswersInFlightAreSent) {
  connection_->Receive(ClientFrame(Opcode::kText, R"({"id": 1, "features": [1]})") +
                       ClientFrame(Opcode::kText, R"({"id": 2, "features": [2]})"));
  connection_->WaitForPosted(2);
  connection_->Drain();
  EXPECT_THAT(connection_->written(), IsEmpty());
  // A request that arrives now is not read: the client sends it again on its next connection,
  // as the Close says.
  connection_->Receive(ClientFrame(Opcode::kText, R"({"id": 3, "features": [3]})"));
  EXPECT_THAT(connection_->TakeOutput(), IsEmpty());
  EXPECT_EQ(connection_->posted(), 2u);
  std::vector<Frame> frames;

  connection_->RunPosted(1);
  frames = Frames(connection_->TakeOutput());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_FALSE(connection_->closing());
  connection_->RunPosted(1);
  frames = Frames(connection_->TakeOutput());
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].opcode, Opcode::kText);
  EXPECT_EQ(frames[1].opcode, Opcode::kClose);
  EXPECT_EQ(frames[1].payload.substr(0, 2), std::string("\x03\xe9", 2));  // 1001
  EXPECT_THAT(frames[1].payload, HasSubstr("send again"));
  EXPECT_TRUE(connection_->close_after_write());
}

TEST_F(WebSocketProtocolTest, WhenTheGraceIsOverItClosesWithoutWaitingForAnswers) {
  connection_->Receive(ClientFrame(Opcode::kText, R"({"id": 1, "features": [1]})"));
  connection_->WaitForPosted(1);
  connection_->Drain();
  EXPECT_THAT(connection_->written(), IsEmpty());
  connection_->EndGrace();
  std::vector<Frame> frames = Frames(connection_->TakeOutput());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].opcode, Opcode::kClose);
  EXPECT_EQ(frames[0].payload.substr(0, 2), std::string("\x03\xe9", 2));  // 1001
  EXPECT_TRUE(connection_->close_after_write());
  connection_->RunPosted(1);  // the late answer is not sent after the Close
  EXPECT_THAT(connection_->TakeOutput(), IsEmpty());
}

TEST_F(WebSocketProtocolTest, PingsAnEmptyPingUntilItHasSaidGoodbye) {
  EXPECT_EQ(protocol().PingInterval(), kDefaultPingInterval);
  protocol().SendPing();
  std::vector<Frame> frames = Frames(connection_->TakeOutput());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].opcode, Opcode::kPing);
  EXPECT_THAT(frames[0].payload, IsEmpty());
  connection_->Drain();  // nothing in flight: the Close goes at once
  EXPECT_EQ(protocol().PingInterval(), std::chrono::seconds(0));
}

TEST_F(WebSocketProtocolTest, TextErrorsCarryTheStatusCode) {
  connection_->Receive(
      ClientFrame(Opcode::kText, R"({"id": 7, "model": "nope", "features": [1]})") +
      ClientFrame(Opcode::kText, R"({"id": "x", "features": "one"})") +
      ClientFrame(Opcode::kText, "not json"));
  // Decoding errors are answered at once, in order.
  std::vector<Frame> frames = Frames(connection_->TakeOutput());
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_THAT(frames[0].payload, StartsWith(R"({"id":7,"error":"unknown model 'nope')"));
  EXPECT_THAT(frames[0].payload, HasSubstr(R"(,"code":5})"));
  EXPECT_THAT(frames[1].payload, StartsWith(R"({"id":"x","error":)"));
  EXPECT_THAT(frames[1].payload, HasSubstr(R"(,"code":3})"));
  EXPECT_THAT(frames[2].payload, StartsWith(R"({"error":"malformed JSON)"));
  EXPECT_THAT(frames[2].payload, HasSubstr(R"(,"code":3})"));

  connection_->Receive(
      ClientFrame(Opcode::kText, R"({"id": 8, "model": "failing", "features": [1]})"));
  CompleteNext();
  EXPECT_EQ(Frames(connection_->TakeOutput()).at(0).payload,
            R"({"id":8,"error":"model 'failing' failed","code":13})");
  EXPECT_FALSE(connection_->closing());  // errors never close the connection
}

TEST_F(WebSocketProtocolTest, BinaryErrorsCarryTheStatusCodeInTheStatusByte) {
  connection_->Receive(BinaryRequest(5, "nope", 1) + ClientFrame(Opcode::kBinary, "\x01\x00"));
  std::vector<Frame> frames = Frames(connection_->TakeOutput());
  ASSERT_EQ(frames.size(), 2u);
  absl::StatusOr<codec::BinaryPredictResponse> unknown =
      codec::ParseBinaryPredictResponse(frames[0].payload);
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_FALSE(unknown->ok);
  EXPECT_EQ(unknown->id, 5u);
  EXPECT_EQ(unknown->code, 5);
  EXPECT_THAT(unknown->error, HasSubstr("unknown model 'nope'"));
  absl::StatusOr<codec::BinaryPredictResponse> malformed =
      codec::ParseBinaryPredictResponse(frames[1].payload);
  ASSERT_TRUE(malformed.ok()) << malformed.status();
  EXPECT_EQ(malformed->code, 3);
  EXPECT_EQ(malformed->id, 0u);
}

TEST_F(WebSocketProtocolTest, AFullQueueIsResourceExhaustedAndStoppingIsUnavailable) {
  Start(/*max_queued=*/1);
  connection_->Receive(
      ClientFrame(Opcode::kText, R"({"id": 1, "model": "gated", "features": [1]})"));
  gate_.WaitForArrivals(1);  // running, held at the gate
  connection_->Receive(
      ClientFrame(Opcode::kText, R"({"id": 2, "model": "gated", "features": [2]})") +
      ClientFrame(Opcode::kText, R"({"id": 3, "model": "gated", "features": [3]})") +
      BinaryRequest(4, "gated", 4));
  // 2 waits in the queue; 3 and 4 find it full.
  std::vector<Frame> frames = Frames(connection_->TakeOutput());
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_THAT(frames[0].payload, StartsWith(R"({"id":3,"error":"model 'gated' already has 1)"));
  EXPECT_THAT(frames[0].payload, HasSubstr(R"(,"code":8})"));
  EXPECT_EQ(codec::ParseBinaryPredictResponse(frames[1].payload)->code, 8);

  gate_.Open();
  connection_->WaitForPosted(2);
  connection_->RunPosted();
  frames = Frames(connection_->TakeOutput());
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_THAT(frames[0].payload, StartsWith(R"({"id":1,"model":"gated","predictions":[1])"));
  EXPECT_THAT(frames[1].payload, StartsWith(R"({"id":2,"model":"gated","predictions":[2])"));

  scheduler_->Shutdown();
  connection_->Receive(ClientFrame(Opcode::kText, R"({"id": 5, "features": [5]})"));
  EXPECT_THAT(Frames(connection_->TakeOutput()).at(0).payload,
              HasSubstr(R"("error":"the server is shutting down","code":14})"));
}

}  // namespace
}  // namespace predictwire::transport::websocket
