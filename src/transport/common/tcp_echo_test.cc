#include "transport/common/tcp_echo.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace predictwire::transport {
namespace {

int ConnectTo(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  return fd;
}

// Reads until `size` bytes or the end; returns what came.
std::string ReadUpTo(int fd, size_t size) {
  std::string data(size, '\0');
  size_t got = 0;
  while (got < size) {
    const ssize_t n = read(fd, data.data() + got, size - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  data.resize(got);
  return data;
}

TEST(TcpEchoTest, AnswersEachExchangeWithTheSizeItAsks) {
  auto echo = TcpEchoServer::Start("127.0.0.1", 0);
  ASSERT_TRUE(echo.ok()) << echo.status();
  const int fd = ConnectTo((*echo)->port());
  for (const auto& [request, reply] :
       {std::pair<uint32_t, uint32_t>{8, 1}, {700, 250}, {100000, 3}, {20, 300000}}) {
    std::string bytes;
    AppendEchoHeader(request, reply, &bytes);
    bytes.resize(request, 'q');
    ASSERT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    EXPECT_EQ(ReadUpTo(fd, reply).size(), reply);
  }
  close(fd);
}

TEST(TcpEchoTest, ABadHeaderClosesTheConnectionAndStopEndsEveryOther) {
  auto echo = TcpEchoServer::Start("127.0.0.1", 0);
  ASSERT_TRUE(echo.ok()) << echo.status();
  const int bad = ConnectTo((*echo)->port());
  std::string header;
  AppendEchoHeader(4, 10, &header);  // shorter than its own header
  ASSERT_EQ(write(bad, header.data(), header.size()), 8);
  EXPECT_EQ(ReadUpTo(bad, 1), "");  // closed without a reply
  close(bad);

  const int idle = ConnectTo((*echo)->port());
  (*echo)->Stop();  // must not wait for the idle client
  EXPECT_EQ(ReadUpTo(idle, 1), "");
  close(idle);
}

TEST(TcpEchoTest, RefusesAnAddressItCannotUse) {
  EXPECT_FALSE(TcpEchoServer::Start("not-an-address", 0).ok());
}

}  // namespace
}  // namespace predictwire::transport
