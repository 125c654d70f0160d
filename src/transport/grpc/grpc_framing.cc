#include "transport/grpc/grpc_framing.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace predictwire::transport::grpc_transport {

void AppendFramedMessage(std::string_view message, std::string* out) {
  const uint32_t length = static_cast<uint32_t>(message.size());
  const char prefix[kMessagePrefixBytes] = {
      0, static_cast<char>(length >> 24), static_cast<char>(length >> 16),
      static_cast<char>(length >> 8), static_cast<char>(length)};
  out->append(prefix, sizeof(prefix));
  out->append(message);
}

void MessageReader::Feed(std::string_view bytes) {
  while (!bytes.empty() && error_.ok()) {
    if (prefix_size_ < kMessagePrefixBytes) {
      const size_t taken = std::min(bytes.size(), kMessagePrefixBytes - prefix_size_);
      std::memcpy(prefix_ + prefix_size_, bytes.data(), taken);
      prefix_size_ += taken;
      bytes.remove_prefix(taken);
      if (prefix_size_ < kMessagePrefixBytes) return;
      const auto* prefix = reinterpret_cast<const uint8_t*>(prefix_);
      length_ = (size_t{prefix[1]} << 24) | (size_t{prefix[2]} << 16) | (size_t{prefix[3]} << 8) |
                size_t{prefix[4]};
      if (length_ > max_message_bytes_) {
        error_ = absl::ResourceExhaustedError(fmt::format(
            "a message of {} bytes is larger than the limit of {}", length_, max_message_bytes_));
        return;
      }
      reading_.compressed = prefix[0] != 0;
      reading_.bytes.reserve(length_);
    }
    const size_t taken = std::min(bytes.size(), length_ - reading_.bytes.size());
    reading_.bytes.append(bytes.data(), taken);
    bytes.remove_prefix(taken);
    if (reading_.bytes.size() == length_) {
      complete_.push_back(std::move(reading_));
      reading_ = Message();
      prefix_size_ = 0;
    }
  }
}

absl::StatusOr<std::optional<MessageReader::Message>> MessageReader::Next() {
  if (!complete_.empty()) {
    Message message = std::move(complete_.front());
    complete_.pop_front();
    return message;
  }
  if (!error_.ok()) return error_;
  return std::nullopt;
}

absl::StatusOr<std::string> Decompress(std::string_view encoding, std::string_view compressed,
                                       size_t max_bytes) {
  int window_bits = 0;
  if (encoding == "gzip") {
    window_bits = 16 + MAX_WBITS;  // a gzip header and trailer
  } else if (encoding == "deflate") {
    window_bits = MAX_WBITS;  // a zlib stream
  } else if (encoding.empty() || encoding == "identity") {
    // A client that flags a message compressed yet names no compression breaks the protocol:
    // INTERNAL, as gRPC's own implementations answer it.
    return absl::InternalError(
        "a message flagged compressed, but the call's grpc-encoding names no compression");
  } else {
    return absl::UnimplementedError(fmt::format(
        "a compressed message in grpc-encoding '{}'; this server reads gzip and deflate",
        encoding));
  }
  z_stream stream{};
  if (inflateInit2(&stream, window_bits) != Z_OK) {
    return absl::InternalError("zlib could not start inflating");
  }
  std::string out;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  int result = Z_OK;
  char chunk[16 * 1024];
  while (result != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof(chunk);
    result = inflate(&stream, Z_NO_FLUSH);
    if (result != Z_OK && result != Z_STREAM_END) break;
    out.append(chunk, sizeof(chunk) - stream.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&stream);
      return absl::ResourceExhaustedError(
          fmt::format("a message inflates past the limit of {} bytes", max_bytes));
    }
    if (result == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) break;  // truncated
  }
  inflateEnd(&stream);
  if (result != Z_STREAM_END) {
    return absl::InvalidArgumentError(fmt::format("a message does not inflate as {}", encoding));
  }
  return out;
}

std::string GzipCompress(std::string_view message) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, message.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data()));
  stream.avail_in = static_cast<uInt>(message.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(out.size() - stream.avail_out);
  deflateEnd(&stream);
  return out;
}

std::optional<std::chrono::nanoseconds> ParseGrpcTimeout(std::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  uint64_t amount = 0;
  const std::string_view digits = value.substr(0, value.size() - 1);
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), amount);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  uint64_t unit_ns = 0;
  switch (value.back()) {
    case 'H':
      unit_ns = 3'600'000'000'000;
      break;
    case 'M':
      unit_ns = 60'000'000'000;
      break;
    case 'S':
      unit_ns = 1'000'000'000;
      break;
    case 'm':
      unit_ns = 1'000'000;
      break;
    case 'u':
      unit_ns = 1'000;
      break;
    case 'n':
      unit_ns = 1;
      break;
    default:
      return std::nullopt;
  }
  // Eight digits of hours overflow nanoseconds: longer than kMaxGrpcTimeout is that long.
  const uint64_t most = static_cast<uint64_t>(kMaxGrpcTimeout.count());
  if (amount > most / unit_ns) return kMaxGrpcTimeout;
  return std::chrono::nanoseconds(std::min(amount * unit_ns, most));
}

}  // namespace predictwire::transport::grpc_transport
