// roundtrip: one request at a time over one connection, as fast as the wire allows, for the raw
// TCP floor and for each predictwire wire, measured interleaved in one process so that every
// number shares the same run, the same placement and the same client code.
//
//   roundtrip echo --port P                     a TCP ping-pong server (the floor)
//   roundtrip measure --echo HOST:PORT --server HOST:PORT [--rounds R] [--requests N]
//                     [--features K] [--model NAME]
//   roundtrip load --server HOST:PORT [--seconds S]   REST keep-alive only, for S seconds: the
//                     minimal client bench is measured against (benchmarks/bench_vs_wrk.py)
//
// `measure` drives REST keep-alive (POST /predict), WebSocket JSON text and WebSocket binary
// against the server, and a TCP ping-pong with exactly the bytes of each exchange against the
// echo server, in R interleaved rounds of N round trips each, and prints one JSON object per
// wire: {"wire", "request_bytes", "reply_bytes", "p50_us", "p90_us", "p99_us", "mean_us"}.
// Plain blocking sockets: the client adds as little as a client can.

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "os/host_port.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "roundtrip: %s\n", message.c_str());
  std::exit(1);
}

void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// A connection to HOST:PORT (an IPv4 or IPv6 address, or a name).
int Connect(const std::string& host_port) {
  const absl::StatusOr<predictwire::os::HostPort> address =
      predictwire::os::ParseHostPort(host_port);
  if (!address.ok()) Fail(std::string(address.status().message()));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(address->host.c_str(), std::to_string(address->port).c_str(), &hints, &found) !=
          0 ||
      found == nullptr) {
    Fail("cannot resolve " + host_port);
  }
  const int fd = socket(found->ai_family, SOCK_STREAM, 0);
  const bool connected = connect(fd, found->ai_addr, found->ai_addrlen) == 0;
  freeaddrinfo(found);
  if (!connected) Fail("cannot connect to " + host_port + ": " + std::strerror(errno));
  SetNoDelay(fd);
  return fd;
}

void SendAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) Fail(std::string("send: ") + std::strerror(errno));
    sent += static_cast<size_t>(n);
  }
}

// Reads into `buffer` until `complete(buffer)` returns the length of a full reply (> 0).
template <typename Complete>
size_t ReceiveReply(int fd, std::string& buffer, Complete complete) {
  buffer.clear();
  char chunk[65536];
  for (;;) {
    const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) Fail("connection closed while waiting for a reply");
    buffer.append(chunk, static_cast<size_t>(n));
    if (const size_t length = complete(buffer); length > 0) {
      if (length != buffer.size()) Fail("unexpected bytes after a reply");
      return length;
    }
  }
}

// ---- the echo server: [u32 request bytes][u32 reply bytes][padding] → reply bytes ----------

void EchoConnection(int fd) {
  SetNoDelay(fd);
  std::string buffer;
  std::string reply;
  char chunk[65536];
  for (;;) {
    while (buffer.size() < 8 || buffer.size() < *reinterpret_cast<const uint32_t*>(buffer.data())) {
      const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        close(fd);
        return;
      }
      buffer.append(chunk, static_cast<size_t>(n));
    }
    uint32_t request_bytes, reply_bytes;
    std::memcpy(&request_bytes, buffer.data(), 4);
    std::memcpy(&reply_bytes, buffer.data() + 4, 4);
    buffer.erase(0, request_bytes);
    reply.assign(reply_bytes, 'r');
    SendAll(fd, reply);
  }
}

int RunEcho(int port) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(listener, 64) != 0) {
    Fail(std::string("cannot listen: ") + std::strerror(errno));
  }
  socklen_t length = sizeof(address);
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  std::printf("roundtrip: listening echo=127.0.0.1:%d\n", ntohs(address.sin_port));
  std::fflush(stdout);
  for (;;) {
    const int fd = accept(listener, nullptr, nullptr);
    if (fd >= 0) std::thread(EchoConnection, fd).detach();
  }
}

// ---- the wires ------------------------------------------------------------------------------

// One wire: how to build its request and recognise the end of its reply.
struct Wire {
  std::string name;
  int fd = -1;
  std::string request;
  std::function<size_t(const std::string&)> complete;
  std::vector<double> samples_us;
  size_t reply_bytes = 0;
};

size_t CompleteHttp(const std::string& buffer) {
  const size_t end = buffer.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  const size_t field = buffer.find("Content-Length: ");
  if (field == std::string::npos || field > end) Fail("reply without Content-Length");
  const size_t body = std::strtoul(buffer.c_str() + field + 16, nullptr, 10);
  if (buffer.compare(9, 3, "200") != 0) Fail("HTTP error: " + buffer);
  return buffer.size() >= end + 4 + body ? end + 4 + body : 0;
}

size_t CompleteWebSocket(const std::string& buffer) {
  if (buffer.size() < 2) return 0;
  const auto* bytes = reinterpret_cast<const uint8_t*>(buffer.data());
  size_t header = 2;
  uint64_t length = bytes[1] & 0x7F;
  if (length == 126) {
    if (buffer.size() < 4) return 0;
    length = (uint64_t{bytes[2]} << 8) | bytes[3];
    header = 4;
  } else if (length == 127) {
    Fail("unexpectedly large WebSocket reply");
  }
  return buffer.size() >= header + length ? header + length : 0;
}

std::string MaskedFrame(uint8_t opcode, const std::string& payload) {
  std::string frame;
  frame.push_back(static_cast<char>(0x80 | opcode));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  frame.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) frame.push_back(payload[i] ^ mask[i % 4]);
  return frame;
}

int OpenWebSocket(const std::string& host_port) {
  const int fd = Connect(host_port);
  SendAll(fd,
          "GET /ws HTTP/1.1\r\nHost: " + host_port +
              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  std::string buffer;
  ReceiveReply(fd, buffer, [](const std::string& b) {
    const size_t end = b.find("\r\n\r\n");
    return end == std::string::npos ? 0 : end + 4;
  });
  if (buffer.compare(0, 12, "HTTP/1.1 101") != 0) Fail("WebSocket upgrade refused: " + buffer);
  return fd;
}

std::string FeaturesJson(int features) {
  std::string json = "[";
  for (int i = 0; i < features; ++i) {
    if (i) json += ",";
    json += std::to_string(i + 1) + ".5";
  }
  return json + "]";
}

std::string BinaryRequest(const std::string& model, int features) {
  std::string message;
  auto put = [&](const void* data, size_t size) {
    message.append(static_cast<const char*>(data), size);
  };
  const uint8_t version = 1, flags = 0;
  const uint16_t name = static_cast<uint16_t>(model.size());
  const uint32_t rows = 1, cols = static_cast<uint32_t>(features);
  const uint64_t id = 1;
  put(&version, 1), put(&flags, 1), put(&name, 2), put(&rows, 4), put(&cols, 4), put(&id, 8);
  message += model;
  for (int i = 0; i < features; ++i) {
    const float value = static_cast<float>(i + 1) + 0.5f;
    put(&value, 4);
  }
  return message;
}

double RoundTrip(Wire& wire, std::string& buffer) {
  const auto start = Clock::now();
  SendAll(wire.fd, wire.request);
  wire.reply_bytes = ReceiveReply(wire.fd, buffer, wire.complete);
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

double Percentile(std::vector<double> samples, double fraction) {
  const size_t index = std::min(samples.size() - 1, static_cast<size_t>(fraction * samples.size()));
  std::nth_element(samples.begin(), samples.begin() + index, samples.end());
  return samples[index];
}

int RunMeasure(const std::string& echo, const std::string& server, int rounds, int requests,
               int features, const std::string& model) {
  const std::string body =
      "{\"model\":\"" + model + "\",\"features\":" + FeaturesJson(features) + "}";
  std::vector<Wire> wires;
  wires.push_back({.name = "rest-keepalive",
                   .fd = Connect(server),
                   .request = "POST /predict HTTP/1.1\r\nHost: " + server +
                              "\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body,
                   .complete = CompleteHttp});
  wires.push_back({.name = "ws",
                   .fd = OpenWebSocket(server),
                   .request = MaskedFrame(0x1, body),
                   .complete = CompleteWebSocket});
  wires.push_back({.name = "ws-binary",
                   .fd = OpenWebSocket(server),
                   .request = MaskedFrame(0x2, BinaryRequest(model, features)),
                   .complete = CompleteWebSocket});

  // Learn each exchange's sizes, then add a TCP ping-pong of exactly those sizes per wire.
  std::string buffer;
  const size_t protocol_wires = wires.size();
  for (size_t i = 0; i < protocol_wires; ++i) {
    for (int w = 0; w < 1000; ++w) RoundTrip(wires[i], buffer);  // also warms the server up
    Wire floor{.name = "tcp-floor(" + wires[i].name + ")", .fd = Connect(echo)};
    floor.request.assign(std::max<size_t>(8, wires[i].request.size()), 'q');
    const uint32_t request_bytes = static_cast<uint32_t>(floor.request.size());
    const uint32_t reply_bytes = static_cast<uint32_t>(wires[i].reply_bytes);
    std::memcpy(floor.request.data(), &request_bytes, 4);
    std::memcpy(floor.request.data() + 4, &reply_bytes, 4);
    floor.reply_bytes = reply_bytes;
    floor.complete = [reply_bytes](const std::string& b) -> size_t {
      return b.size() >= reply_bytes ? reply_bytes : 0;
    };
    wires.push_back(std::move(floor));
  }

  for (int round = 0; round < rounds; ++round) {
    for (Wire& wire : wires) {
      for (int i = 0; i < requests / 10; ++i) RoundTrip(wire, buffer);  // settle
      for (int i = 0; i < requests; ++i) wire.samples_us.push_back(RoundTrip(wire, buffer));
    }
  }
  for (const Wire& wire : wires) {
    double sum = 0;
    for (double sample : wire.samples_us) sum += sample;
    std::printf(
        "{\"wire\": \"%s\", \"request_bytes\": %zu, \"reply_bytes\": %zu, \"samples\": %zu, "
        "\"p50_us\": %.2f, \"p90_us\": %.2f, \"p99_us\": %.2f, \"mean_us\": %.2f}\n",
        wire.name.c_str(), wire.request.size(), wire.reply_bytes, wire.samples_us.size(),
        Percentile(wire.samples_us, 0.5), Percentile(wire.samples_us, 0.9),
        Percentile(wire.samples_us, 0.99), sum / wire.samples_us.size());
  }
  return 0;
}

// The minimal client as a load generator: REST keep-alive, one request at a time, for
// `seconds`; prints {"requests", "throughput_rps", "p50_us", "mean_us"}.
int RunLoad(const std::string& server, double seconds, int features, const std::string& model) {
  const std::string body =
      "{\"model\":\"" + model + "\",\"features\":" + FeaturesJson(features) + "}";
  Wire wire{.name = "rest-keepalive",
            .fd = Connect(server),
            .request = "POST /predict HTTP/1.1\r\nHost: " + server +
                       "\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body,
            .complete = CompleteHttp};
  std::string buffer;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  const auto start = Clock::now();
  while (Clock::now() < end) wire.samples_us.push_back(RoundTrip(wire, buffer));
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  double sum = 0;
  for (double sample : wire.samples_us) sum += sample;
  std::printf(
      "{\"requests\": %zu, \"throughput_rps\": %.1f, \"p50_us\": %.2f, \"mean_us\": %.2f}\n",
      wire.samples_us.size(), wire.samples_us.size() / elapsed, Percentile(wire.samples_us, 0.5),
      sum / wire.samples_us.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto value = [&](const std::string& flag, const std::string& fallback) {
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == flag) return args[i + 1];
    }
    return fallback;
  };
  if (args.empty() || args[0] == "--help") {
    std::puts(
        "usage: roundtrip echo [--port P]\n"
        "       roundtrip measure --echo HOST:PORT --server HOST:PORT [--rounds 5] "
        "[--requests 4000] [--features 4] [--model instant]\n"
        "       roundtrip load --server HOST:PORT [--seconds 5] [--features 4] [--model instant]");
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "echo") return RunEcho(std::stoi(value("--port", "0")));
  if (args[0] == "measure") {
    return RunMeasure(value("--echo", ""), value("--server", ""), std::stoi(value("--rounds", "5")),
                      std::stoi(value("--requests", "4000")), std::stoi(value("--features", "4")),
                      value("--model", "instant"));
  }
  if (args[0] == "load") {
    return RunLoad(value("--server", ""), std::stod(value("--seconds", "5")),
                   std::stoi(value("--features", "4")), value("--model", "instant"));
  }
  Fail("unknown command " + args[0]);
}
