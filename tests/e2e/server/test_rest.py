"""REST end to end: the real binary answered by curl (and http.client where curl cannot show it)."""

import http.client
import json
import os
import re
import subprocess
import sys
import unittest

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from server_fixture import Server, breast_cancer_rows, curl


class RestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()  # the default models: breast_cancer and sleep50
        cls.rows = breast_cancer_rows()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def post(self, path, body, *extra):
        done = curl("-i", "-X", "POST", self.server.url + path, "-H", "Content-Type: application/json",
                    "--data-binary", body, *extra)
        self.assertEqual(done.returncode, 0, done.stderr)
        head, _, payload = done.stdout.replace("\r\n", "\n").partition("\n\n")
        status = int(head.split()[1])
        return status, head, payload

    def test_predict_one_row_with_server_timing(self):
        status, head, payload = self.post("/predict", json.dumps({"features": self.rows[0][0]}))
        self.assertEqual(status, 200)
        reply = json.loads(payload)
        self.assertEqual(reply["model"], "breast_cancer")
        self.assertAlmostEqual(reply["predictions"][0], 0.0131836319, delta=1e-6)
        timing = re.search(r"Server-Timing: queue;dur=([\d.]+), compute;dur=([\d.]+)", head)
        self.assertIsNotNone(timing, head)
        self.assertAlmostEqual(float(timing.group(1)) * 1000, reply["timing"]["queue_us"], delta=0.5)
        self.assertAlmostEqual(float(timing.group(2)) * 1000, reply["timing"]["compute_us"], delta=0.5)

    def test_predict_instances_and_named_model(self):
        body = json.dumps({"model": "sleep50", "instances": [[1, 2], [3, 4.5]]})
        status, _, payload = self.post("/predict", body)
        self.assertEqual(status, 200)
        reply = json.loads(payload)
        self.assertEqual(reply["model"], "sleep50")
        self.assertEqual(reply["predictions"], [3, 7.5])
        self.assertGreaterEqual(reply["timing"]["compute_us"], 50000)

    def test_keep_alive_reuses_the_connection(self):
        body = json.dumps({"features": self.rows[1][0]})
        args = ["-v", "-o", "/dev/null", "-H", "Content-Type: application/json", "--data-binary", body,
                self.server.url + "/predict"]
        done = curl(*args, "--next", *args)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("Re-using existing connection", done.stderr)
        self.assertEqual(done.stderr.count("< HTTP/1.1 200 OK"), 2)

    def test_connection_close_is_honoured(self):
        connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=10)
        connection.request("POST", "/predict", body=json.dumps({"features": self.rows[2][0]}),
                           headers={"Connection": "close"})
        response = connection.getresponse()
        self.assertEqual(response.status, 200)
        self.assertEqual(response.getheader("Connection"), "close")
        response.read()
        # The server closed its side: the next read on the socket sees end of stream.
        self.assertEqual(connection.sock.recv(1) if connection.sock else b"", b"")
        connection.close()

    def test_many_requests_on_one_connection(self):
        connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=10)
        for features, _ in self.rows[:100]:
            connection.request("POST", "/predict", body=json.dumps({"features": features}))
            response = connection.getresponse()
            self.assertEqual(response.status, 200)
            json.loads(response.read())
        connection.close()

    def test_http10_and_head(self):
        done = curl("-i", "--http1.0", self.server.url + "/v2/health/live")
        self.assertIn("HTTP/1.1 200 OK", done.stdout)
        done = curl("-I", self.server.url + "/")
        self.assertIn("HTTP/1.1 200 OK", done.stdout)
        self.assertRegex(done.stdout, r"Content-Length: [1-9]")

    def test_large_body_with_expect_continue(self):
        rows = [features for features, _ in self.rows] * 8  # ~4.5k rows, over 1 MiB of JSON
        body = json.dumps({"instances": rows})
        self.assertGreater(len(body), 1 << 20)
        done = subprocess.run(["curl", "-sS", "-v", "-X", "POST", self.server.url + "/predict",
                               "-H", "Expect: 100-continue", "--data-binary", "@-"],
                              input=body, capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("HTTP/1.1 100 Continue", done.stderr)
        self.assertEqual(len(json.loads(done.stdout)["predictions"]), len(rows))


class OpenInferenceProtocolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def get(self, path):
        done = curl("-o", "/dev/stderr", "-w", "%{http_code}", self.server.url + path)
        return int(done.stdout), done.stderr

    def test_health_and_metadata(self):
        self.assertEqual(self.get("/v2/health/live")[0], 200)
        self.assertEqual(self.get("/v2/health/ready")[0], 200)
        status, body = self.get("/v2")
        self.assertEqual(status, 200)
        metadata = json.loads(body)
        self.assertEqual(metadata["name"], "predictwire")
        self.assertIn("version", metadata)
        self.assertIsInstance(metadata["extensions"], list)
        status, body = self.get("/v2/models/breast_cancer")
        self.assertEqual(status, 200)
        model = json.loads(body)
        self.assertEqual(model["name"], "breast_cancer")
        self.assertEqual(model["platform"], "xgboost_json")
        self.assertEqual(set(model["properties"]), {"instances"})  # not batching
        self.assertEqual(model["inputs"], [{"name": "features", "datatype": "FP32", "shape": [-1, 30]}])
        self.assertEqual(model["outputs"][0]["name"], "predictions")
        self.assertEqual(self.get("/v2/models/breast_cancer/ready")[0], 200)
        self.assertEqual(self.get("/v2/models/breast_cancer/versions/1/ready")[0], 200)
        self.assertEqual(self.get("/v2/models/nope/ready")[0], 404)

    def test_infer(self):
        rows = breast_cancer_rows()
        request = {"id": "req-7", "inputs": [{"name": "features", "shape": [2, 30], "datatype": "FP64",
                                               "data": [rows[0][0], rows[1][0]]}],
                   "outputs": [{"name": "predictions"}]}
        done = curl("-X", "POST", self.server.url + "/v2/models/breast_cancer/versions/1/infer",
                    "-H", "Content-Type: application/json", "-d", json.dumps(request))
        reply = json.loads(done.stdout)
        self.assertEqual(reply["model_name"], "breast_cancer")
        self.assertEqual(reply["id"], "req-7")
        output = reply["outputs"][0]
        self.assertEqual((output["name"], output["datatype"], output["shape"]), ("predictions", "FP32", [2]))
        self.assertAlmostEqual(output["data"][0], 0.0131836319, delta=1e-6)
        self.assertAlmostEqual(output["data"][1], 0.00398563221, delta=1e-6)


if __name__ == "__main__":
    unittest.main()
