"""The Open Inference Protocol's gRPC stubs, generated for this run by python3-grpc-tools from the
project's proto/grpc_service.proto (pb: the messages, pb_grpc: the service stub), and a ModelInfer
request to send with them."""

import importlib
import os
import struct
import subprocess
import sys
import tempfile

from server_fixture import ROOT

STUBS = tempfile.TemporaryDirectory()


def load_stubs():
    """Generates grpc_service_pb2 and grpc_service_pb2_grpc from the project's .proto."""
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", os.path.join(ROOT, "proto"),
                    f"--python_out={STUBS.name}", f"--grpc_python_out={STUBS.name}",
                    "grpc_service.proto"], check=True, capture_output=True, timeout=60)
    sys.path.insert(0, STUBS.name)
    return importlib.import_module("grpc_service_pb2"), importlib.import_module("grpc_service_pb2_grpc")


pb, pb_grpc = load_stubs()
FEATURES = [1.0, 2.0, 3.5]


def infer_request(model="instant", features=FEATURES, request_id="r1", raw=False, shape=None):
    request = pb.ModelInferRequest(model_name=model, id=request_id)
    tensor = request.inputs.add(name="features", datatype="FP32",
                                shape=shape if shape is not None else [1, len(features)])
    if raw:
        request.raw_input_contents.append(struct.pack(f"<{len(features)}f", *features))
    else:
        tensor.contents.fp32_contents.extend(features)
    return request
