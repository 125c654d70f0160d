#ifndef PREDICTWIRE_TRANSPORT_COMMON_REST_FORMATS_H_
#define PREDICTWIRE_TRANSPORT_COMMON_REST_FORMATS_H_

// The inference formats of the REST API (transport/common/inference_path.h), shared by every
// HTTP version through RestRouter. Errors become HTTP statuses in RestRouter::HttpStatusFor.

#include <string_view>

#include "absl/status/status.h"
#include "codec/v2_json.h"
#include "core/infer.h"
#include "core/model_registry.h"
#include "transport/common/inference_path.h"
#include "transport/common/rest_router.h"

namespace predictwire::transport {

// POST /predict: the seed's JSON in; {"model", "predictions", "timing"} and a Server-Timing
// header out.
struct RestPredictFormat {
  using Input = std::string_view;  // the request body
  struct Context {};
  using Reply = RestReply;

  static absl::Status Decode(std::string_view body, const ModelRegistry& registry,
                             DecodedRequest& decoded, Context& context);
  static RestReply EncodeReply(Context& context, const Model& model, const InferResponse& response);
  static RestReply EncodeError(Context& context, const absl::Status& status);
};

// POST /v2/models/NAME/infer: an Open Inference Protocol v2 request in JSON, or with the binary
// tensor data extension (the body's first Inference-Header-Content-Length bytes are JSON, raw
// tensors follow); the answer in the same form.
struct RestV2InferFormat {
  struct Input {
    const Model& model;  // the route named it
    std::string_view body;
    std::string_view inference_header_length;  // the header as sent; empty when absent
  };
  // The request with its input taken out: the id, the outputs asked for, binary or JSON.
  using Context = codec::V2InferRequest;
  using Reply = RestReply;

  static absl::Status Decode(const Input& input, const ModelRegistry& registry,
                             DecodedRequest& decoded, Context& context);
  static RestReply EncodeReply(Context& context, const Model& model, const InferResponse& response);
  static RestReply EncodeError(Context& context, const absl::Status& status);
};

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_REST_FORMATS_H_
