#ifndef PREDICTWIRE_LOADGEN_GRPC_CONNECTION_H_
#define PREDICTWIRE_LOADGEN_GRPC_CONNECTION_H_

// The gRPC wires of the load generator: the Open Inference Protocol's ModelInfer (unary) and
// ModelStreamInfer (one bidirectional stream). gRPC's headers stay in grpc_connection.cc.

#include <memory>
#include <string>

#include "loadgen/payload.h"
#include "loadgen/wire_connection.h"
#include "transport/common/asio_types.h"

namespace predictwire::loadgen {

// A gRPC channel of its own (its own TCP connection) to `address` ("HOST:PORT"), speaking
// kGrpc (one ModelInfer call at a time) or kGrpcStream (up to `depth` requests in flight on one
// ModelStreamInfer stream, matched by id). Requests carry the encoder's model and a [rows,
// features] FP32 tensor in raw_input_contents, as high-throughput v2 clients send it. With `tls`,
// the channel verifies the server against tls->grpc_ca_pem; gRPC keeps no TLS session cache
// for it, so every channel's handshake is a full one (counted in tls->full_handshakes) whatever
// tls->resume says. Replies arrive on gRPC's threads and
// are handed to `listener` on `context`'s thread; the destructor cancels what is in flight and
// waits for gRPC to let go. `encoder`, `listener` and `tls` must outlive it.
std::unique_ptr<WireConnection> MakeGrpcConnection(transport::asio::io_context& context,
                                                   const std::string& address, WireKind wire,
                                                   const RequestEncoder& encoder, int depth,
                                                   ConnectionListener& listener,
                                                   TlsClient* tls);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_GRPC_CONNECTION_H_
