"""The demo's client: the same predictions over REST and WebSocket, with their latency.

Run by scripts/demo.sh against a running `predictwire serve`. Uses Debian's python3-requests and
python3-websockets (call /usr/bin/python3, which a pyenv python3 may shadow).
"""

import asyncio
import csv
import json
import os
import statistics
import sys
import time

import requests
import websockets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def first_rows(count):
    with open(os.path.join(ROOT, "models", "breast_cancer.csv")) as data:
        return [[float(value) for value in row[:-1]] for row, _ in zip(csv.reader(data), range(count))]


def median_ms(samples):
    return statistics.median(samples) * 1000


def rest(address, rows):
    url = f"http://{address}/predict"
    print("\nREST, a new connection per request (the article's Flask client):")
    timings = []
    for row in rows:
        start = time.perf_counter()
        reply = requests.post(url, json={"features": row}, headers={"Connection": "close"})
        timings.append(time.perf_counter() - start)
        reply.raise_for_status()
    print(f"  prediction {reply.json()['predictions']} "
          f"Server-Timing: {reply.headers['Server-Timing']}")
    print(f"  median round trip {median_ms(timings):.3f} ms over {len(rows)} requests")

    print("REST keep-alive (one connection reused):")
    timings = []
    with requests.Session() as session:
        for row in rows:
            start = time.perf_counter()
            reply = session.post(url, json={"features": row})
            timings.append(time.perf_counter() - start)
    print(f"  median round trip {median_ms(timings):.3f} ms")


async def websocket(address, rows):
    print("\nWebSocket /ws (one connection, one request at a time):")
    async with websockets.connect(f"ws://{address}/ws", compression=None) as ws:
        timings = []
        for i, row in enumerate(rows):
            start = time.perf_counter()
            await ws.send(json.dumps({"id": i, "features": row}))
            reply = json.loads(await ws.recv())
            timings.append(time.perf_counter() - start)
        print(f"  last reply {reply}")
        print(f"  median round trip {median_ms(timings):.3f} ms")

        print("\nThe article's 50 ms model, 4 requests in flight on one WebSocket:")
        start = time.perf_counter()
        for i in range(4):
            await ws.send(json.dumps({"id": f"slow-{i}", "model": "sleep50", "features": [i]}))
        replies = [json.loads(await ws.recv()) for _ in range(4)]
        elapsed = time.perf_counter() - start
        print(f"  replies in completion order: {[r['id'] for r in replies]}")
        print(f"  all four answered in {elapsed * 1000:.1f} ms "
              f"(a server that runs them one by one, like the article's, needs ~200 ms)")


def main():
    address = sys.argv[1]
    rows = first_rows(50)
    rest(address, rows)
    asyncio.run(websocket(address, rows))
    print("\nThese are single-client samples; `predictwire compare` measures every wire properly.")


if __name__ == "__main__":
    main()
