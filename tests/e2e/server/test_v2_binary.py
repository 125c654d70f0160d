"""The Open Inference Protocol's binary tensor data extension over HTTP, as Triton documents it:
raw input bytes after an Inference-Header-Content-Length JSON header, raw output bytes back,
checked against the JSON path's numbers for the same rows."""

import http.client
import json
import os
import struct
import sys
import unittest

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from server_fixture import Server, breast_cancer_rows


class V2BinaryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()  # breast_cancer (XGBoost) and sleep50
        cls.rows = [features for features, _ in breast_cancer_rows()[:16]]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def post(self, path, body, headers):
        connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=30)
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response, data

    def json_predictions(self):
        body = json.dumps({"inputs": [{"name": "features", "shape": [len(self.rows), 30], "datatype": "FP32",
                                       "data": self.rows}]})
        response, data = self.post("/v2/models/breast_cancer/infer", body, {"Content-Type": "application/json"})
        self.assertEqual(response.status, 200, data)
        predictions = json.loads(data)["outputs"][0]["data"]
        self.assertEqual(len(predictions), len(self.rows), predictions)
        return predictions

    def assert_same_predictions(self, got, expected):
        """One prediction a row, each within 1e-6 of the JSON path's (itself checked against
        the first row's known answer, so that two empty or equally wrong paths cannot agree)."""
        self.assertEqual(len(got), len(self.rows), got)
        self.assertEqual(len(expected), len(self.rows), expected)
        self.assertAlmostEqual(expected[0], 0.0131836319, delta=1e-6)
        for index, (a, b) in enumerate(zip(got, expected)):
            self.assertAlmostEqual(a, b, delta=1e-6, msg=f"row {index}")

    def binary_request(self, datatype="FP32", binary_output=True, extra=b""):
        fmt_char = {"FP32": "f", "FP64": "d"}[datatype]
        raw = struct.pack("<%d%s" % (len(self.rows) * 30, fmt_char), *[v for row in self.rows for v in row])
        header = {"inputs": [{"name": "features", "shape": [len(self.rows), 30], "datatype": datatype,
                              "parameters": {"binary_data_size": len(raw)}}]}
        if binary_output:
            header["outputs"] = [{"name": "predictions", "parameters": {"binary_data": True}}]
        header_bytes = json.dumps(header).encode()
        return self.post("/v2/models/breast_cancer/infer", header_bytes + raw + extra,
                         {"Content-Type": "application/octet-stream",
                          "Inference-Header-Content-Length": str(len(header_bytes))})

    def test_binary_in_binary_out_matches_the_json_path(self):
        response, data = self.binary_request()
        self.assertEqual(response.status, 200, data)
        self.assertEqual(response.getheader("Content-Type"), "application/octet-stream")
        length = int(response.getheader("Inference-Header-Content-Length"))
        header = json.loads(data[:length])
        output = header["outputs"][0]
        self.assertNotIn("data", output)
        self.assertEqual(output["shape"], [len(self.rows)])
        self.assertEqual(output["parameters"]["binary_data_size"], 4 * len(self.rows))
        self.assertEqual(len(data) - length, 4 * len(self.rows))
        values = struct.unpack("<%df" % len(self.rows), data[length:])
        self.assert_same_predictions(values, self.json_predictions())

    def test_binary_in_json_out_and_fp64_input(self):
        response, data = self.binary_request(datatype="FP64", binary_output=False)
        self.assertEqual(response.status, 200, data)
        self.assertIsNone(response.getheader("Inference-Header-Content-Length"))
        output = json.loads(data)["outputs"][0]
        self.assertEqual(output["shape"], [len(self.rows)])
        self.assert_same_predictions(output["data"], self.json_predictions())

    def test_sizes_that_do_not_add_up_are_400(self):
        response, data = self.binary_request(extra=b"\0\0\0\0")
        self.assertEqual(response.status, 400)
        self.assertIn("belong to no input", json.loads(data)["error"])
        response, data = self.post("/v2/models/breast_cancer/infer", b"{}",
                                   {"Inference-Header-Content-Length": "99"})
        self.assertEqual(response.status, 400)
        self.assertIn("Inference-Header-Content-Length", json.loads(data)["error"])

    def test_server_metadata_lists_the_extension(self):
        connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=30)
        connection.request("GET", "/v2")
        metadata = json.loads(connection.getresponse().read())
        self.assertIn("binary_tensor_data", metadata["extensions"])


if __name__ == "__main__":
    unittest.main()
