#include "transport/grpc/grpc_status.h"

#include <string>

namespace predictwire::transport::grpc_transport {

::grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return ::grpc::Status::OK;
  const int code = static_cast<int>(status.code());
  // Codes beyond gRPC's range cannot come from abseil today; they would be UNKNOWN.
  const auto grpc_code = code >= 0 && code <= ::grpc::StatusCode::UNAUTHENTICATED
                             ? static_cast<::grpc::StatusCode>(code)
                             : ::grpc::StatusCode::UNKNOWN;
  return ::grpc::Status(grpc_code, std::string(status.message()));
}

}  // namespace predictwire::transport::grpc_transport
