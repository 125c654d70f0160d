"""The article's WebSocket server ("Implementing ML Predictions with WebSockets"), kept as the baseline.

Faithful to the article: the `websockets` library with its default settings, a handler that
reads one message at a time per connection, answers it and only then reads the next, and a fake
model that blocks in time.sleep inside that handler (so it also stalls the event loop, and with
it every other connection, exactly as the article's code does). Reply:
`{"result": "prediction", "input": <the message's JSON>}`.

Deviations, each marked "Deviation:" below and listed in peers/README.md: the compute time comes
from $PEER_COMPUTE_MS, host and port from --host/--port, the server starts the way
websockets 10.4 documents (`async with websockets.serve(...)` under asyncio.run), prints a ready
line once bound, and SIGINT/SIGTERM stop it cleanly. Run it with Debian's /usr/bin/python3
(python3-websockets 10.4).
"""

import argparse
import asyncio
import json
import os
import signal
import time

import websockets

# Deviation: the article sleeps a fixed 0.05 s; here the time comes from $PEER_COMPUTE_MS
# (milliseconds, default 50) so tests can use a shorter one.
COMPUTE_SECONDS = float(os.environ.get("PEER_COMPUTE_MS", "50")) / 1000


# Simulate a machine learning prediction function
def predict(input_data):
    time.sleep(COMPUTE_SECONDS)  # Simulate model computation time (50ms by default)
    return {"result": "prediction", "input": input_data}


async def handler(websocket, path):
    async for message in websocket:
        data = json.loads(message)  # Convert JSON message to Python dict
        prediction = predict(data)
        await websocket.send(json.dumps(prediction))  # Send prediction as JSON


async def serve(host, port):
    # Deviation: the article runs websockets.serve(handler, "localhost", 5001) through
    # get_event_loop().run_until_complete/run_forever; this is the same call in the form the
    # websockets 10.4 documentation gives, which also lets us stop on a signal.
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)

    async with websockets.serve(handler, host, port) as server:
        # Deviation: announce readiness once bound, with the port the kernel chose for --port 0.
        bound_port = server.sockets[0].getsockname()[1]
        print(f"peer: listening ws={host}:{bound_port}", flush=True)
        await stopping.wait()
    # Leaving the `async with` closes the listening socket and the open connections; exit 0.


def main():
    # Deviation: the article hard-codes "localhost" and 5001; the host defaults to 127.0.0.1
    # (one IPv4 socket, where "localhost" may also bind ::1).
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001, help="0 picks a free port")
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == '__main__':
    main()
