"""Three backends behind HAProxy and behind nginx, both configured from deploy/ (rendered by
deploy/render.py, started on free ports): every wire is answered through each, with our own
counting clients and with `predictwire bench --target` at the balancer, and the wires balanced
per request reach every backend; grpc.health.v1 answers through each from grpcio without
generated stubs."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from fleet import Balancer, assert_each_answered_once, every_client, grpc_health, requests_served, start_backend  # noqa: E402
from server_fixture import bench  # noqa: E402

# Every plain-text wire of bench, and where it goes on the balancer.
BENCH_WIRES = ["rest", "rest-keepalive", "ws", "ws-pipelined", "ws-binary", "h2",
               "h2-multiplexed", "grpc", "grpc-stream"]


class BalancersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.backends = []
        for _ in range(3):
            cls.backends.append(start_backend())

    @classmethod
    def tearDownClass(cls):
        for backend in cls.backends:
            backend.stop()

    def served(self, protocol):
        return [requests_served(backend, protocol) for backend in self.backends]

    def every_wire_through(self, kind):
        with Balancer(kind, self.backends) as balancer:
            http1, grpc_before = self.served("http1"), self.served("grpc")
            clients = every_client(balancer)
            for client in clients:
                client.start()
            for client in clients:
                self.assertTrue(client.wait_answered(60, 60), client.ledger.summary())
            for client in clients:
                client.stop()
            for client in clients:
                client.join(60)
            assert_each_answered_once(self, clients)
            for client in clients:
                # Nothing here asks a connection to go: nothing needed sending again.
                self.assertEqual(client.ledger.resent, 0, client.ledger.summary())

            for wire in BENCH_WIRES:
                with self.subTest(wire=wire):
                    grpc_wire = wire.startswith("grpc")
                    h2_wire = grpc_wire or wire.startswith("h2")
                    target = (("grpc://" if grpc_wire else "http://") +
                              (balancer.h2c_address if h2_wire else f"127.0.0.1:{balancer.port}"))
                    code, result, output = bench("--wire", wire, "--target", target, "--model",
                                                 "m", "--concurrency", "4", "--requests", "400",
                                                 "--warmup", "0", "--quiet")
                    self.assertEqual(code, 0, output)
                    self.assertEqual(result["requests"], 400, output)
                    self.assertEqual(result["errors"], 0, result["errors_by_kind"])

            # REST and unary gRPC are balanced per request: every backend answered some.
            for before, after in zip(http1, self.served("http1")):
                self.assertGreater(after - before, 50)
            for before, after in zip(grpc_before, self.served("grpc")):
                self.assertGreater(after - before, 20)

            self.assertEqual(grpc_health(balancer.h2c_address), "SERVING")
            self.assertEqual(grpc_health(balancer.h2c_address, "m"), "SERVING")

    def test_haproxy(self):
        self.every_wire_through("haproxy")

    def test_nginx(self):
        self.every_wire_through("nginx")


if __name__ == "__main__":
    unittest.main()
