"""The server's predictions for all 569 rows equal the `xgboost` command-line tool's."""

import asyncio
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

import websockets

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
import prerequisites
from server_fixture import ROOT, Server, breast_cancer_rows, curl

MODELS = os.path.join(ROOT, "models")
TOLERANCE = 1e-6


def cli_predictions():
    """Runs `xgboost models/train.conf task=pred` on the training data; returns its predictions."""
    with tempfile.TemporaryDirectory() as work:
        output = os.path.join(work, "pred.txt")
        data = os.path.join(MODELS, "breast_cancer.csv") + "?format=csv&label_column=30"
        subprocess.run(["xgboost", os.path.join(MODELS, "train.conf"), "task=pred",
                        "model_in=" + os.path.join(MODELS, "breast_cancer.json"),
                        "test:data=" + data, "name_pred=" + output],
                       check=True, capture_output=True, cwd=work, timeout=120)
        with open(output) as lines:
            return [float(line) for line in lines]


def setUpModule():
    prerequisites.require_commands("xgboost", package_hint="Debian's xgboost")


class XGBoostMatchesCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.expected = cli_predictions()
        cls.rows = [features for features, _ in breast_cancer_rows()]
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def assert_all_close(self, predictions):
        self.assertEqual(len(self.expected), 569)
        self.assertEqual(len(predictions), len(self.expected))
        worst = max(abs(a - b) for a, b in zip(predictions, self.expected))
        self.assertLessEqual(worst, TOLERANCE, f"largest difference {worst}")

    def test_rest_predict_all_rows_in_one_request(self):
        done = curl(self.server.url + "/predict", data=json.dumps({"instances": self.rows}))
        self.assert_all_close(json.loads(done.stdout)["predictions"])

    def test_v2_infer_all_rows(self):
        request = {"inputs": [{"name": "features", "shape": [569, 30], "datatype": "FP32", "data": self.rows}]}
        done = curl(self.server.url + "/v2/models/breast_cancer/infer", data=json.dumps(request))
        self.assert_all_close(json.loads(done.stdout)["outputs"][0]["data"])

    def test_websocket_row_by_row(self):
        async def scenario():
            async with websockets.connect(self.server.ws_url, compression=None) as ws:
                for i, row in enumerate(self.rows):
                    await ws.send(json.dumps({"id": i, "features": row}))
                replies = [json.loads(await ws.recv()) for _ in self.rows]
            return [reply["predictions"][0] for reply in sorted(replies, key=lambda r: r["id"])]
        self.assert_all_close(asyncio.run(asyncio.wait_for(scenario(), 60)))

    def test_websocket_binary(self):
        async def scenario():
            async with websockets.connect(self.server.ws_url, compression=None) as ws:
                header = struct.pack("<BBHIIQ", 1, 0, 0, len(self.rows), 30, 1)
                await ws.send(header + struct.pack(f"<{569 * 30}f", *[v for row in self.rows for v in row]))
                reply = await ws.recv()
            count = struct.unpack("<I", reply[4:8])[0]
            return list(struct.unpack(f"<{count}f", reply[24:]))
        self.assert_all_close(asyncio.run(asyncio.wait_for(scenario(), 60)))


if __name__ == "__main__":
    unittest.main()
