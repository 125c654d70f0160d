"""gRPC end to end: Debian's python3-grpcio calling every RPC of inference.GRPCInferenceService,
with stubs generated for this run by python3-grpc-tools from the project's proto/grpc_service.proto,
in the clear and over TLS; bad input answered with proper status codes; bench on both gRPC wires."""

import json
import os
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import unittest

import grpc

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from certificates import make_certificate
from grpc_stubs import infer_request, pb, pb_grpc
from http2_frames import PREFACE, frame
from server_fixture import Server, bench, curl
from server_metrics import metric, scrape, wait_until_in_flight


def float32(value):
    return struct.unpack("<f", struct.pack("<f", value))[0]


class GrpcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.TemporaryDirectory()
        cls.cert, cls.key = make_certificate(cls.directory.name)
        cls.server = Server("--https", "127.0.0.1:0", "--tls-cert", cls.cert, "--tls-key", cls.key,
                            models=["instant=sleep:0", "slow=sleep:2s",
                                    "breast_cancer=xgboost:models/breast_cancer.json"]).start()
        cls.address = cls.server.addresses["grpc"]
        cls.channel = grpc.insecure_channel(cls.address)
        cls.stub = pb_grpc.GRPCInferenceServiceStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.stop()
        cls.directory.cleanup()

    def test_health_and_metadata(self):
        self.assertTrue(self.stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live)
        self.assertTrue(self.stub.ServerReady(pb.ServerReadyRequest(), timeout=10).ready)
        self.assertTrue(self.stub.ModelReady(pb.ModelReadyRequest(name="instant"), timeout=10).ready)
        server = self.stub.ServerMetadata(pb.ServerMetadataRequest(), timeout=10)
        self.assertEqual(server.name, "predictwire")
        model = self.stub.ModelMetadata(pb.ModelMetadataRequest(name="breast_cancer"), timeout=10)
        self.assertEqual(model.platform, "xgboost_json")
        self.assertIn("instances", model.properties)
        self.assertEqual(list(model.versions), ["1"])
        self.assertEqual(list(model.inputs[0].shape), [-1, 30])
        # The same metadata as the REST v2 route.
        rest = json.loads(curl(f"{self.server.url}/v2/models/breast_cancer").stdout)
        self.assertEqual(rest["inputs"][0]["shape"], list(model.inputs[0].shape))
        self.assertEqual(rest["properties"], dict(model.properties))

    def test_model_infer_matches_rest(self):
        reply = self.stub.ModelInfer(infer_request(), timeout=10)
        self.assertEqual(reply.id, "r1")
        self.assertEqual(reply.model_name, "instant")
        self.assertEqual(list(reply.outputs[0].contents.fp32_contents), [6.5])
        self.assertIn("queue_us", reply.parameters)
        self.assertIn("compute_us", reply.parameters)

        rows = [[float(i % 7) / 3 for i in range(30)], [float(i % 5) for i in range(30)]]
        flat = [v for row in rows for v in row]
        body = json.dumps({"inputs": [{"name": "features", "datatype": "FP32", "shape": [2, 30],
                                       "data": flat}]})
        rest = json.loads(curl("-H", "Content-Type: application/json",
                               f"{self.server.url}/v2/models/breast_cancer/infer", data=body).stdout)
        typed = self.stub.ModelInfer(infer_request("breast_cancer", flat, shape=[2, 30]), timeout=10)
        self.assertEqual(list(typed.outputs[0].shape), [2])
        # JSON prints each float32 in its shortest form; compare as float32.
        expected = [float32(v) for v in rest["outputs"][0]["data"]]
        self.assertEqual(list(typed.outputs[0].contents.fp32_contents), expected)
        # Raw bytes in, raw bytes out: the same numbers.
        raw = self.stub.ModelInfer(infer_request("breast_cancer", flat, raw=True, shape=[2, 30]),
                                   timeout=10)
        self.assertEqual(len(raw.outputs[0].contents.fp32_contents), 0)
        decoded = list(struct.unpack("<2f", raw.raw_output_contents[0]))
        self.assertEqual(decoded, expected)

    def test_stream_answers_every_request(self):
        requests = [infer_request(request_id=str(i), features=[float(i), 1.0]) for i in range(20)]
        requests.insert(5, infer_request(model="no-such-model", request_id="bad"))
        answers = {}
        for answer in self.stub.ModelStreamInfer(iter(requests), timeout=20):
            answers[answer.infer_response.id] = answer
        self.assertEqual(len(answers), 21)
        for i in range(20):
            self.assertEqual(answers[str(i)].error_message, "")
            self.assertEqual(list(answers[str(i)].infer_response.outputs[0].contents.fp32_contents),
                             [i + 1.0])
        self.assertIn("no-such-model", answers["bad"].error_message)

    def test_large_messages_are_answered_whole(self):
        # 100,000 features: a message of 400 KB raw or 500 KB as fp32_contents, above the size
        # (256 KiB) whose decoding moves off the IO thread, unary and on a stream beside small
        # ones.
        features = [float(i % 3) for i in range(100_000)]
        total = float(sum(features))

        def outputs(reply):  # raw bytes in, raw bytes out
            if reply.raw_output_contents:
                return list(struct.unpack("<f", reply.raw_output_contents[0]))
            return list(reply.outputs[0].contents.fp32_contents)

        for raw in (False, True):
            reply = self.stub.ModelInfer(infer_request(features=features, raw=raw), timeout=20)
            self.assertEqual(outputs(reply), [total])
        requests = []
        for i in range(6):
            big = i % 2 == 0
            requests.append(infer_request(request_id=str(i), features=features if big else [1.0, i],
                                          raw=i % 4 == 0))
        answers = {}
        for answer in self.stub.ModelStreamInfer(iter(requests), timeout=20):
            self.assertEqual(answer.error_message, "")
            answers[answer.infer_response.id] = outputs(answer.infer_response)
        self.assertEqual(answers, {str(i): [total] if i % 2 == 0 else [1.0 + i] for i in range(6)})

    def test_slow_call_does_not_hold_up_others(self):
        slow = self.stub.ModelInfer.future(infer_request("slow"), timeout=10)
        for i in range(20):
            self.stub.ModelInfer(infer_request(request_id=str(i)), timeout=10)
        self.assertFalse(slow.done(), "twenty fast calls waited for the 2 s one")
        self.assertEqual(list(slow.result().outputs[0].contents.fp32_contents), [6.5])

    def test_bad_input_gets_proper_codes_and_the_server_keeps_serving(self):
        cases = [
            (infer_request(model="no-such-model"), grpc.StatusCode.NOT_FOUND),
            (infer_request(model="breast_cancer"), grpc.StatusCode.INVALID_ARGUMENT),  # 3 of 30
            (infer_request(shape=[1, 4]), grpc.StatusCode.INVALID_ARGUMENT),  # shape vs values
            (pb.ModelInferRequest(model_name="instant"), grpc.StatusCode.INVALID_ARGUMENT),
        ]
        version = infer_request()
        version.model_version = "9"
        cases.append((version, grpc.StatusCode.NOT_FOUND))
        for request, code in cases:
            with self.assertRaises(grpc.RpcError) as caught:
                self.stub.ModelInfer(request, timeout=10)
            self.assertEqual(caught.exception.code(), code, caught.exception.details())
        with self.assertRaises(grpc.RpcError) as caught:
            self.stub.ModelReady(pb.ModelReadyRequest(name="no-such-model"), timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.NOT_FOUND)
        # Not gRPC at all: garbage, then an HTTP/1.1 request, on the gRPC port.
        host, port = self.address.rsplit(":", 1)
        for junk in (b"\x00" * 64 + os.urandom(512), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"):
            with socket.create_connection((host, int(port)), timeout=5) as sock:
                sock.sendall(junk)
                sock.settimeout(5)
                try:
                    while sock.recv(4096):
                        pass
                except (ConnectionResetError, socket.timeout):
                    pass
        self.assertEqual(list(self.stub.ModelInfer(infer_request(), timeout=10)
                              .outputs[0].contents.fp32_contents), [6.5])

    def test_tls(self):
        with open(self.cert, "rb") as f:
            credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
        secure = self.server.addresses["grpcs"]
        with grpc.secure_channel(secure, credentials,
                                 options=[("grpc.ssl_target_name_override", "localhost")]) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            self.assertTrue(stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live)
            reply = stub.ModelInfer(infer_request(), timeout=10)
            self.assertEqual(list(reply.outputs[0].contents.fp32_contents), [6.5])
            answers = list(stub.ModelStreamInfer(iter([infer_request(request_id="s")]), timeout=10))
            self.assertEqual(answers[0].infer_response.id, "s")
        # A client speaking plain gRPC to the TLS port fails; the server keeps serving.
        with grpc.insecure_channel(secure) as channel:
            with self.assertRaises(grpc.RpcError) as caught:
                pb_grpc.GRPCInferenceServiceStub(channel).ServerLive(pb.ServerLiveRequest(), timeout=3)
            self.assertIn(caught.exception.code(),
                          (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED))
        self.assertTrue(self.stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live)

    def test_deadline_and_cancellation_leave_the_connection_serving(self):
        # grpc-timeout travels with the call: the 2 s model outlives its 300 ms deadline.
        with self.assertRaises(grpc.RpcError) as caught:
            self.stub.ModelInfer(infer_request("slow"), timeout=0.3)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        # A cancelled call (RST_STREAM) is forgotten; its answer later goes nowhere. It is
        # cancelled once the server has it (one more in flight than before it was sent).
        before = metric(scrape(self.server), "predictwire_requests_in_flight", protocol="grpc")
        cancelled = self.stub.ModelInfer.future(infer_request("slow"), timeout=10)
        wait_until_in_flight(self.server, "grpc", before + 1)
        self.assertTrue(cancelled.cancel())
        with self.assertRaises(grpc.FutureCancelledError):
            cancelled.result()
        stream = self.stub.ModelStreamInfer(iter([infer_request("slow", request_id="gone")]),
                                            timeout=10)
        stream.cancel()
        self.assertEqual(list(self.stub.ModelInfer(infer_request(), timeout=10)
                              .outputs[0].contents.fp32_contents), [6.5])

    def test_gzip_compressed_calls(self):
        reply = self.stub.ModelInfer(infer_request(features=[0.5] * 400), timeout=10,
                                     compression=grpc.Compression.Gzip)
        self.assertEqual(list(reply.outputs[0].contents.fp32_contents), [200.0])
        with grpc.insecure_channel(self.address, compression=grpc.Compression.Deflate) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            answers = list(stub.ModelStreamInfer(
                iter([infer_request(request_id=str(i)) for i in range(5)]), timeout=10))
            self.assertEqual(sorted(a.infer_response.id for a in answers), [str(i) for i in range(5)])

    def test_grpc_on_the_http_and_https_ports(self):
        with grpc.insecure_channel(self.server.addresses["http"]) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            self.assertEqual(list(stub.ModelInfer(infer_request(), timeout=10)
                                  .outputs[0].contents.fp32_contents), [6.5])
        with open(self.cert, "rb") as f:
            credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
        with grpc.secure_channel(self.server.addresses["https"], credentials,
                                 options=[("grpc.ssl_target_name_override", "localhost")]) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            self.assertTrue(stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live)
        # REST still answers on the same port.
        self.assertEqual(curl("-o", "/dev/null", "-w", "%{http_code}",
                              f"{self.server.url}/v2/health/live").stdout, "200")

    def test_bench_drives_both_grpc_wires(self):
        for wire, target in (("grpc", f"grpc://{self.address}"),
                             ("grpc-stream", f"grpc://{self.address}"),
                             ("grpc+tls", f"grpc://{self.server.addresses['grpcs']}")):
            status, result, output = bench("--wire", wire, "--target", target, "--model", "instant",
                                           "--concurrency", "4", "--pipeline", "4",
                                           "--requests", "400", "--warmup", "0.2s",
                                           "--tls-ca", self.cert, "--quiet")
            self.assertEqual(status, 0, output)
            self.assertEqual(result["errors"], 0, output)
            self.assertGreaterEqual(result["requests"], 400, output)
            self.assertIn("p50", result["server_us"], output)


class GrpcLifecycleTest(unittest.TestCase):
    def test_stop_finishes_calls_in_flight_and_ends_open_streams(self):
        server = Server(models=["slow=sleep:300ms", "instant=sleep:0"]).start()
        try:
            channel = grpc.insecure_channel(server.addresses["grpc"])
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            self.assertTrue(stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live)
            # An open stream that never half-closes, and a slow call in flight.
            never_ending = threading.Event()

            def requests():
                yield infer_request(request_id="first")
                never_ending.wait(30)

            stream = stub.ModelStreamInfer(requests(), timeout=30)
            self.assertEqual(next(stream).infer_response.id, "first")
            slow = stub.ModelInfer.future(infer_request("slow"), timeout=10)
            wait_until_in_flight(server, "grpc", 1)
            started = time.monotonic()
            self.assertEqual(server.stop(signal.SIGTERM), 0, server.stderr)
            # Held up, the stop would wait out the 10 s drain timeout; it takes the slow call's
            # 300 ms.
            self.assertLess(time.monotonic() - started, 5, "the open stream held up the stop")
            self.assertNotIn("still open after the drain timeout", server.stderr)
            self.assertEqual(list(slow.result().outputs[0].contents.fp32_contents), [6.5])
            # Ended by the server once its answers were out: UNAVAILABLE tells the client to
            # send again, on a new connection, what it got no answer for.
            with self.assertRaises(grpc.RpcError) as ended:
                list(stream)
            self.assertEqual(ended.exception.code(), grpc.StatusCode.UNAVAILABLE)
            self.assertIn("send again", ended.exception.details())
            never_ending.set()
            channel.close()
        finally:
            server.stop()

    def test_grpc_connections_have_the_http2_stream_limit_and_the_idle_timeout(self):
        with Server("--idle-timeout", "1s", models=["m=sleep:0"]) as server:
            host, port = server.addresses["grpc"].rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                sock.sendall(PREFACE + frame(4, 0, 0, b""))
                start = time.monotonic()
                frames = read_frames_until_goaway(sock, timeout=15)
                elapsed = time.monotonic() - start
        settings = dict(struct.unpack(">HI", payload[i:i + 6])
                        for frame_type, flags, payload in frames
                        if frame_type == 4 and not flags & 1  # SETTINGS, not an ACK
                        for i in range(0, len(payload), 6))
        self.assertEqual(settings.get(3), 128)  # SETTINGS_MAX_CONCURRENT_STREAMS, as for h2
        # GOAWAY: the idle connection is let go, after its second of quiet (within 15 s, the
        # read's bound: one or two sweeps of a second each are expected).
        self.assertEqual(frames[-1][0], 7, frames)
        self.assertGreater(elapsed, 0.9)


def read_frames_until_goaway(sock, timeout):
    """The HTTP/2 frames the server sends, as (type, flags, payload), up to its first GOAWAY."""
    sock.settimeout(timeout)
    data, frames = b"", []
    while not frames or frames[-1][0] != 7:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        while len(data) >= 9 and len(data) >= 9 + int.from_bytes(data[:3], "big"):
            length = int.from_bytes(data[:3], "big")
            frames.append((data[3], data[4], data[9:9 + length]))
            data = data[9 + length:]
    return frames


if __name__ == "__main__":
    unittest.main()
