"""A rolling deploy's step under load, through HAProxy and through nginx: one of three backends
gets SIGTERM with --drain-delay. It reports not ready at once; the balancer takes it out (HAProxy
by its readiness check, nginx through `deploy/render.py watch`) and routes no new request to it
during the delay, while it still answers what reaches it; then it asks its connections to go and
exits. Every wire's client counts every request it sent: each is answered exactly once, the
clients sending again on a new connection only what a closing connection left unanswered."""

import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from fleet import (WIRE_MODELS, Balancer, assert_each_answered_once, every_client, served_by_model,  # noqa: E402
                   start_backend)
from hostile_clients import wait_for  # noqa: E402
from server_fixture import curl  # noqa: E402

DRAIN_DELAY = 10  # seconds: the balancer takes the backend out within ~1 s of it
DRAIN_TIMEOUT = 10
# Wires a balancer places request by request: none may reach the backend once it is out. (A
# WebSocket and a ModelStreamInfer stream already there stay until the delay ends: that is the
# delay's point; then they are asked to go.)
PER_REQUEST = ["rest-keepalive", "rest", "h2", "grpc"]
LONG_LIVED = ["ws", "grpc-stream"]


class DrainTest(unittest.TestCase):
    def drain_under_load(self, kind):
        backends = [start_backend("--drain-delay", f"{DRAIN_DELAY}s", "--drain-timeout",
                                  f"{DRAIN_TIMEOUT}s", models=WIRE_MODELS) for _ in range(3)]
        draining = backends[1]
        clients = []
        try:
            with Balancer(kind, backends) as balancer:
                if kind == "nginx":
                    balancer.watch_readiness(interval=0.25)
                clients = every_client(balancer, pace=0.005, models=True, long_lived=2)
                for client in clients:
                    client.start()
                for client in clients:
                    self.assertTrue(client.wait_answered(20, 60), client.ledger.summary())
                wait_for(lambda: all(served_by_model(draining)[w] > 0 for w in PER_REQUEST), 15)
                # nginx's least_conn counts connections in use: a busy wire's streams (h2's) can
                # keep another's one-at-a-time calls (gRPC unary) off the backend to drain for
                # the whole wait. A WebSocket and a stream, too, land only where the balancer
                # places their connection. So: more clients of a wire until one reaches it.
                for wire in PER_REQUEST + LONG_LIVED:
                    for _ in range(6):
                        if wait_for(lambda: served_by_model(draining)[wire] > 0, 2):
                            break
                        extra = [c for c in every_client(balancer, pace=0.005, models=True)
                                 if c.ledger.wire == wire][0]
                        clients.append(extra)
                        extra.start()
                    self.assertGreater(served_by_model(draining)[wire], 0,
                                       f"the backend to drain is not in use by {wire}: "
                                       f"{served_by_model(draining)}")

                signalled = time.monotonic()
                draining.process.send_signal(signal.SIGTERM)
                ready = curl(f"{draining.url}/v2/health/ready", "-o", "/dev/null", "-w",
                             "%{http_code}")
                self.assertEqual(ready.stdout, "400")
                # The balancer takes it out well within the delay.
                if kind == "haproxy":
                    out = wait_for(lambda: not balancer.server_states()["b2"].startswith("UP"), 5)
                else:
                    out = wait_for(lambda: len(balancer.renderings) >= 2 and
                                   draining.address not in balancer.renderings[-1], 5)
                self.assertTrue(out, f"{kind} still routes to the draining backend")
                taken_out = time.monotonic() - signalled
                time.sleep(1)  # requests routed before that are answered
                before = served_by_model(draining)
                time.sleep(max(0.0, signalled + DRAIN_DELAY - 2 - time.monotonic()))
                self.assertIsNone(draining.process.poll(), "stopped before its drain delay")
                after = served_by_model(draining)
                for wire in PER_REQUEST:
                    self.assertEqual(after[wire], before[wire],
                                     f"{wire}: routed to the draining backend while out")

                _, draining.stderr = draining.process.communicate(timeout=DRAIN_TIMEOUT + 20)
                self.assertEqual(draining.process.returncode, 0, draining.stderr)
                time.sleep(2)  # the clients carry on with the other two
                for client in clients:
                    client.stop()
                for client in clients:
                    client.join(60)
                summaries = [client.ledger.summary() for client in clients]
                print(f"\n{kind}: out after {taken_out:.1f} s; draining backend's answers by "
                      f"wire {dict(after)}\n  " + "\n  ".join(summaries), file=sys.stderr)
                assert_each_answered_once(self, clients)
                # The WebSocket on the draining backend was asked to go with 1001, the stream
                # ended UNAVAILABLE (through HAProxy, at times CANCELLED: fleet.RESEND_CODES),
                # and their clients moved on.
                self.assertGreater(sum(c.close_codes[1001] for c in clients
                                       if c.ledger.wire == "ws"), 0, summaries)
                self.assertGreater(sum(c.ledger.reconnects[code] for c in clients
                                       for code in ("UNAVAILABLE", "CANCELLED")
                                       if c.ledger.wire == "grpc-stream"), 0, summaries)
        finally:
            for client in clients:
                client.stop(finish_within=0)
            for backend in backends:
                backend.stop()

    def test_haproxy(self):
        self.drain_under_load("haproxy")

    def test_nginx(self):
        self.drain_under_load("nginx")


if __name__ == "__main__":
    unittest.main()
