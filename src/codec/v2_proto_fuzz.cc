// Fuzz target: the v2 protobuf decoder. Bytes are parsed as a ModelInferRequest (as gRPC would
// hand one over) and decoded; a decoded request must hold exactly its shape's values, and its
// answer must encode.

#include <cstdint>
#include <cstdlib>

#include <google/protobuf/stubs/logging.h>

#include "codec/v2_proto.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Invalid UTF-8 in a string field is a parse failure; protobuf would also log each one.
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  inference::ModelInferRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  auto decoded = predictwire::codec::FromProto(request);
  if (!decoded.ok()) return 0;
  for (const auto& input : decoded->inputs) {
    auto count = predictwire::codec::ElementCount(input.tensor.shape);
    if (!count.ok() || *count != input.tensor.values.size()) std::abort();
  }
  predictwire::BackendInfo info;
  info.input = {"features", "FP32", {-1, -1}};
  info.output = {"predictions", "FP32", {-1}};
  auto input = predictwire::codec::TakeModelInput("m", info, *decoded);
  if (!input.ok()) return 0;
  if (input->shape.size() != 2) std::abort();
  predictwire::InferResponse response;
  response.output.shape = {input->shape[0]};
  response.output.values.assign(static_cast<size_t>(input->shape[0] > 0 ? 1 : 0), 1.0f);
  inference::ModelInferResponse answer;
  predictwire::codec::ToProto("m", "1", *decoded, info.output, response, &answer);
  return 0;
}
