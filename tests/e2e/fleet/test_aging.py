"""Connection aging spreads long-lived connections over a backend added later: two backends
with a short --max-connection-age behind HAProxy and behind nginx, WebSocket and ModelStreamInfer
clients on them, then a third backend added to the balancer (its configuration rendered again
and reloaded). A balancer keeps a WebSocket where it is (its old worker holds the tunnel), so
without aging the new backend would get none of them; with it, each connection is asked to go
(Close 1001, a stream ended UNAVAILABLE) within its age, its client connects again, and the
balancer places it on the newcomer too. Nothing is lost on the way."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from fleet import (WIRE_MODELS, Balancer, assert_each_answered_once, GrpcClient, WebSocketClient,  # noqa: E402
                   served_by_model, start_backend)
from hostile_clients import wait_for  # noqa: E402

AGE = 4  # seconds, give or take 10%
AGING = ("--max-connection-age", f"{AGE}s", "--max-connection-age-grace", "5s")
CLIENTS_PER_WIRE = 4


class AgingTest(unittest.TestCase):
    def newcomer_gets_its_share(self, kind):
        backends = [start_backend(*AGING, models=WIRE_MODELS) for _ in range(2)]
        clients = []
        try:
            with Balancer(kind, backends) as balancer:
                http1 = f"127.0.0.1:{balancer.port}"
                for _ in range(CLIENTS_PER_WIRE):
                    clients.append(WebSocketClient(http1, depth=2, pace=0.02, model="ws"))
                    clients.append(GrpcClient(balancer.h2c_address, stream=True, depth=2,
                                              pace=0.02, model="grpc-stream"))
                for client in clients:
                    client.start()
                for client in clients:
                    self.assertTrue(client.wait_answered(10, 60), client.ledger.summary())

                newcomer = start_backend(*AGING, models=WIRE_MODELS)
                backends.append(newcomer)
                balancer.set_backends(backends)
                added = time.monotonic()
                first = {}
                for wire in ("ws", "grpc-stream"):
                    # Every connection is asked to go within its age (+10%) and a sweep tick;
                    # 8 ages is a wide margin for a loaded machine.
                    self.assertTrue(wait_for(lambda: served_by_model(newcomer)[wire] > 0, 8 * AGE),
                                    f"{wire}: nothing reached the backend added later: "
                                    f"{[served_by_model(b) for b in backends]} "
                                    f"{[c.ledger.summary() for c in clients]}")
                    first[wire] = time.monotonic() - added
                # Its share: over a window, about a third of each wire's requests (one in six is
                # enough to tell it from none).
                shares = {}
                deadline = added + 12 * AGE
                while time.monotonic() < deadline:
                    counts = [served_by_model(b) for b in backends]
                    time.sleep(2)
                    later = [served_by_model(b) for b in backends]
                    shares = {}
                    for wire in ("ws", "grpc-stream"):
                        total = sum(l[wire] - c[wire] for c, l in zip(counts, later))
                        shares[wire] = (later[2][wire] - counts[2][wire]) / max(total, 1)
                    if all(share >= 1 / 6 for share in shares.values()):
                        break
                share_time = time.monotonic() - added
                for client in clients:
                    client.stop()
                for client in clients:
                    client.join(60)
                summaries = [client.ledger.summary() for client in clients]
                print(f"\n{kind}: the added backend's first WebSocket request after "
                      f"{first['ws']:.1f} s, first stream request after {first['grpc-stream']:.1f} s;"
                      f" its share of the last 2 s at {share_time:.1f} s: "
                      + ", ".join(f"{w} {s:.0%}" for w, s in shares.items()) + "\n  " +
                      "\n  ".join(summaries), file=sys.stderr)
                for wire, share in shares.items():
                    self.assertGreaterEqual(share, 1 / 6, f"{wire}: {shares}")
                assert_each_answered_once(self, clients)
        finally:
            for client in clients:
                client.stop(finish_within=0)
            for backend in backends:
                backend.stop()

    def test_haproxy(self):
        self.newcomer_gets_its_share("haproxy")

    def test_nginx(self):
        self.newcomer_gets_its_share("nginx")


if __name__ == "__main__":
    unittest.main()
