#ifndef PREDICTWIRE_TRANSPORT_GRPC_GRPC_STATUS_H_
#define PREDICTWIRE_TRANSPORT_GRPC_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace predictwire::transport::grpc_transport {

// The one place an error on the request path becomes a gRPC status: the canonical codes are the
// same in abseil and gRPC, so NOT_FOUND stays NOT_FOUND and INVALID_ARGUMENT stays
// INVALID_ARGUMENT; the message is kept.
::grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace predictwire::transport::grpc_transport

#endif  // PREDICTWIRE_TRANSPORT_GRPC_GRPC_STATUS_H_
