#ifndef PREDICTWIRE_LOADGEN_GRPC_CONNECTION_H_
#define PREDICTWIRE_LOADGEN_GRPC_CONNECTION_H_

// The gRPC wires of the load generator: the Open Inference Protocol's ModelInfer (unary) and
// ModelStreamInfer (one bidirectional stream). gRPC's headers stay in grpc_connection.cc.

#include <memory>

#include "loadgen/payload.h"
#include "loadgen/wire_connection.h"

namespace predictwire::loadgen {

// A gRPC channel of its own (its own TCP connection) to the setup's endpoint, speaking grpc
// (one ModelInfer call at a time) or, for a wire that multiplexes, grpc-stream (up to `depth`
// requests in flight on one ModelStreamInfer stream, matched by id). Requests are the body's
// ModelInferRequest (GrpcRequestBody), each with its own id. Over TLS, the channel verifies the
// server against tls->ca_pem; gRPC keeps no TLS session cache for it, so every channel's
// handshake is a full one (counted in tls->full_handshakes) whatever tls->resume says. Replies
// arrive on gRPC's threads and are handed to the listener on the setup's io_context thread; the
// destructor cancels what is in flight and waits for gRPC to let go.
std::unique_ptr<WireConnection> MakeGrpcConnection(const ConnectionSetup& setup);

// The body of the gRPC wires: a serialized inference.ModelInferRequest naming the model (which
// it needs) with a [rows, features] FP32 tensor in raw_input_contents, as high-throughput v2
// clients send it.
absl::StatusOr<RequestBody> GrpcRequestBody(const PayloadOptions& options);

}  // namespace predictwire::loadgen

#endif  // PREDICTWIRE_LOADGEN_GRPC_CONNECTION_H_
