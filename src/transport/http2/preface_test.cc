#include "transport/http2/preface.h"

#include <gtest/gtest.h>

#include <string>

#include "transport/common/fake_connection.h"

namespace predictwire::transport::http2 {
namespace {

TEST(MatchClientPrefaceTest, WholePrefaceIsHttp2) {
  EXPECT_EQ(MatchClientPreface(kClientPreface), PrefaceMatch::kHttp2);
  EXPECT_EQ(MatchClientPreface(std::string(kClientPreface) + "\x00\x00\x12\x04"),
            PrefaceMatch::kHttp2);
}

TEST(MatchClientPrefaceTest, PrefaceInPiecesWaitsForMore) {
  EXPECT_EQ(MatchClientPreface(""), PrefaceMatch::kNeedMore);
  for (size_t length = 1; length < kClientPreface.size(); ++length) {
    EXPECT_EQ(MatchClientPreface(kClientPreface.substr(0, length)), PrefaceMatch::kNeedMore)
        << length;
  }
}

TEST(MatchClientPrefaceTest, Http1RequestsAreNotHttp2) {
  EXPECT_EQ(MatchClientPreface("GET / HTTP/1.1\r\n"), PrefaceMatch::kNotHttp2);
  EXPECT_EQ(MatchClientPreface("POST /predict HTTP/1.1\r\n"), PrefaceMatch::kNotHttp2);
  EXPECT_EQ(MatchClientPreface("PUT"), PrefaceMatch::kNotHttp2);
  EXPECT_EQ(MatchClientPreface("G"), PrefaceMatch::kNotHttp2);
}

TEST(MatchClientPrefaceTest, GarbledPrefaceIsNotHttp2) {
  EXPECT_EQ(MatchClientPreface("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"), PrefaceMatch::kNotHttp2);
  EXPECT_EQ(MatchClientPreface("PRI * HTTP/1.1\r\n"), PrefaceMatch::kNotHttp2);
  EXPECT_EQ(MatchClientPreface("PRI * HTTP/2.0\r\n\r\nSM\r\n\r"), PrefaceMatch::kNeedMore);
}

// A protocol that keeps every byte it is offered.
class Recorder : public Protocol {
 public:
  explicit Recorder(std::string* received) : received_(*received) {}
  size_t OnInput(char* data, size_t size) override {
    received_.append(data, size);
    return size;
  }
  void OnGoAway(GoAwayReason) override {}
  bool HasWorkInFlight() const override { return false; }
  std::chrono::seconds IdleTimeout() const override { return std::chrono::seconds(1); }

 private:
  std::string& received_;
};

class PriorKnowledgeDetectorTest : public ::testing::Test {
 protected:
  PriorKnowledgeDetectorTest() {
    connection_->Start(std::make_unique<PriorKnowledgeDetector>(
        *connection_, make_http1_, make_http2_, std::chrono::seconds(1)));
  }

  std::string http1_;
  std::string http2_;
  PriorKnowledgeDetector::Factory make_http1_ = [this](ProtocolConnection&) {
    return std::make_unique<Recorder>(&http1_);
  };
  PriorKnowledgeDetector::Factory make_http2_ = [this](ProtocolConnection&) {
    return std::make_unique<Recorder>(&http2_);
  };
  std::shared_ptr<testing::FakeConnection> connection_ =
      std::make_shared<testing::FakeConnection>();
};

TEST_F(PriorKnowledgeDetectorTest, APrefaceInPiecesGoesWholeToHttp2) {
  const std::string input = std::string(kClientPreface) + "frames";
  connection_->Receive(input.substr(0, 5));
  connection_->Receive(input.substr(5, 10));
  EXPECT_EQ(connection_->unconsumed_input(), input.substr(0, 15));  // waiting to decide
  connection_->Receive(input.substr(15));
  EXPECT_EQ(http2_, input);
  EXPECT_EQ(http1_, "");
}

TEST_F(PriorKnowledgeDetectorTest, AnythingElseGoesWholeToHttp1) {
  connection_->Receive("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(http1_, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(http2_, "");
}

TEST_F(PriorKnowledgeDetectorTest, DrainBeforeAnyRequestCloses) {
  connection_->Receive("PRI");
  connection_->Drain();
  EXPECT_TRUE(connection_->closed());
}

}  // namespace
}  // namespace predictwire::transport::http2
