#include "transport/common/tls.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace predictwire::transport {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A throwaway self-signed certificate, made by the openssl tool for this test run.
class TlsEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    directory_ = new fs::path(fs::temp_directory_path() /
                              ("predictwire_tls_test_" + std::to_string(::getpid())));
    fs::create_directories(*directory_);
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=localhost -keyout " +
        (*directory_ / "key.pem").string() + " -out " + (*directory_ / "cert.pem").string() +
        " >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << "needs the openssl tool";
  }
  static void TearDownTestSuite() {
    fs::remove_all(*directory_);
    delete directory_;
  }

  std::unique_ptr<TlsContext> Server(std::vector<std::string> alpn = {"http/1.1"}) {
    auto context =
        TlsContext::CreateServer({.certificate_file = (*directory_ / "cert.pem").string(),
                                  .private_key_file = (*directory_ / "key.pem").string(),
                                  .alpn = std::move(alpn)});
    EXPECT_TRUE(context.ok()) << context.status();
    return context.ok() ? *std::move(context) : nullptr;
  }

  // Moves ciphertext both ways and decrypts whatever arrives, until neither side has more.
  static void Pump(TlsEngine& client, TlsEngine& server, std::string* client_got,
                   std::string* server_got) {
    for (int i = 0; i < 20; ++i) {
      std::string to_server, to_client;
      const bool any = client.TakeCiphertext(&to_server) | server.TakeCiphertext(&to_client);
      server.Feed(to_server.data(), to_server.size());
      client.Feed(to_client.data(), to_client.size());
      char buffer[4096];
      for (auto [engine, got] : {std::pair{&server, server_got}, std::pair{&client, client_got}}) {
        while (true) {
          absl::StatusOr<size_t> n = engine->Decrypt(buffer, sizeof(buffer));
          ASSERT_TRUE(n.ok()) << n.status();
          if (*n == 0) break;
          got->append(buffer, *n);
        }
      }
      if (!any && i > 2) return;
    }
  }

  static fs::path* directory_;
};

fs::path* TlsEngineTest::directory_ = nullptr;

TEST_F(TlsEngineTest, HandshakesAgreesOnAlpnAndCarriesDataBothWays) {
  auto server_context = Server({"h2", "http/1.1"});
  auto client_context = TlsContext::CreateClient({.alpn = {"http/1.1", "h2"}});
  ASSERT_TRUE(client_context.ok());
  auto server = TlsEngine::Create(*server_context);
  auto client = TlsEngine::Create(**client_context);
  ASSERT_TRUE(client->Handshake().ok());
  // Written before the handshake is done: held, then sent.
  ASSERT_TRUE(client->Encrypt("GET / HTTP/1.1\r\n\r\n").ok());
  std::string client_got, server_got;
  Pump(*client, *server, &client_got, &server_got);
  EXPECT_TRUE(client->handshake_done());
  EXPECT_TRUE(server->handshake_done());
  EXPECT_EQ(server->alpn(), "h2");  // the server's preference among what both offer
  EXPECT_EQ(server_got, "GET / HTTP/1.1\r\n\r\n");
  const std::string large(100000, 'x');  // several records
  ASSERT_TRUE(server->Encrypt(large).ok());
  Pump(*client, *server, &client_got, &server_got);
  EXPECT_EQ(client_got, large);
  EXPECT_FALSE(client->resumed());
}

TEST_F(TlsEngineTest, ASecondConnectionResumesTheSession) {
  auto server_context = Server();
  auto client_context = TlsContext::CreateClient({});
  ASSERT_TRUE(client_context.ok());
  TlsSession session;
  for (int connection = 0; connection < 2; ++connection) {
    auto server = TlsEngine::Create(*server_context);
    auto client = TlsEngine::Create(**client_context, session);
    ASSERT_TRUE(client->Handshake().ok());
    std::string client_got, server_got;
    Pump(*client, *server, &client_got, &server_got);
    ASSERT_TRUE(client->handshake_done());
    EXPECT_EQ(client->resumed(), connection == 1);
    EXPECT_EQ(server->resumed(), connection == 1);
    session = client->session();  // TLS 1.3: the ticket came after the handshake
    EXPECT_FALSE(session.empty());
  }
}

TEST_F(TlsEngineTest, PlainTextIsNotTlsAndFailsTheHandshake) {
  EXPECT_FALSE(LooksLikeTls('G'));
  auto server_context = Server();
  auto server = TlsEngine::Create(*server_context);
  const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  server->Feed(request.data(), request.size());
  char buffer[256];
  absl::StatusOr<size_t> n = server->Decrypt(buffer, sizeof(buffer));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(TlsEngineTest, CloseNotifyReadsAsTheEndOfInput) {
  auto server_context = Server();
  auto client_context = TlsContext::CreateClient({});
  auto server = TlsEngine::Create(*server_context);
  auto client = TlsEngine::Create(**client_context);
  ASSERT_TRUE(client->Handshake().ok());
  std::string client_got, server_got;
  Pump(*client, *server, &client_got, &server_got);
  client->Shutdown();
  std::string to_server;
  client->TakeCiphertext(&to_server);
  server->Feed(to_server.data(), to_server.size());
  char buffer[256];
  absl::StatusOr<size_t> n = server->Decrypt(buffer, sizeof(buffer));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kOutOfRange);
}

TEST_F(TlsEngineTest, WritesASelfSignedCertificateAServerCanUse) {
  const std::string certificate = (*directory_ / "own_cert.pem").string();
  const std::string key = (*directory_ / "own_key.pem").string();
  ASSERT_TRUE(WriteSelfSignedCertificate(certificate, key).ok());
  EXPECT_EQ(fs::status(key).permissions() & fs::perms::others_read, fs::perms::none);
  auto server_context =
      TlsContext::CreateServer({.certificate_file = certificate, .private_key_file = key});
  ASSERT_TRUE(server_context.ok()) << server_context.status();
  // A client that trusts it (as its own CA) completes a verified handshake.
  auto client_context = TlsContext::CreateClient({.ca_file = certificate});
  ASSERT_TRUE(client_context.ok()) << client_context.status();
  auto server = TlsEngine::Create(**server_context);
  auto client = TlsEngine::Create(**client_context);
  ASSERT_TRUE(client->Handshake().ok());
  std::string client_got, server_got;
  Pump(*client, *server, &client_got, &server_got);
  EXPECT_TRUE(client->handshake_done());
}

TEST_F(TlsEngineTest, BadFilesGiveClearErrors) {
  auto missing = TlsContext::CreateServer(
      {.certificate_file = "/nonexistent/cert.pem", .private_key_file = "/nonexistent/key.pem"});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent/cert.pem"));
  auto bad_alpn = TlsContext::CreateClient({.alpn = {""}});
  EXPECT_FALSE(bad_alpn.ok());
}

}  // namespace
}  // namespace predictwire::transport
