"""The article's REST server ("Implementing ML Predictions with REST"), kept as the baseline.

Faithful to the article: Flask, `POST /predict`, a fake model that blocks in time.sleep inside
the request handler, the reply `{"result": "prediction", "input": <the request's JSON>}`, and
Flask's development server with its default of one thread per request.

Deviations, each marked "Deviation:" below and listed in peers/README.md: the compute time comes
from $PEER_COMPUTE_MS, host and port from --host/--port, the server prints a ready line once
bound, and SIGINT/SIGTERM stop it cleanly. Run it with Debian's /usr/bin/python3
(python3-flask 2.2.2).
"""

import argparse
import os
import signal
import time

from flask import Flask, request, jsonify
from werkzeug.serving import make_server

# Deviation: the article sleeps a fixed 0.05 s; here the time comes from $PEER_COMPUTE_MS
# (milliseconds, default 50) so tests can use a shorter one.
COMPUTE_SECONDS = float(os.environ.get("PEER_COMPUTE_MS", "50")) / 1000

app = Flask(__name__)


# Simulate a machine learning prediction function
def predict(input_data):
    time.sleep(COMPUTE_SECONDS)  # Simulate model computation time (50ms by default)
    return {"result": "prediction", "input": input_data}


@app.route('/predict', methods=['POST'])
def predict_endpoint():
    data = request.get_json()  # Retrieve JSON data from the request
    result = predict(data)
    return jsonify(result)


def stop(signum, frame):
    # Deviation: the article relies on Ctrl-C only; SIGINT and SIGTERM both end serve_forever,
    # which closes the listening socket, and the process exits 0. As with app.run and Ctrl-C,
    # requests in flight are dropped (werkzeug's request threads are daemons).
    raise SystemExit(0)


def main():
    # Deviation: the article hard-codes app.run(port=5000) (host 127.0.0.1, Flask's default).
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000, help="0 picks a free port")
    args = parser.parse_args()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    # Deviation: app.run() builds this same server (werkzeug's make_server, threaded=True is
    # app.run's default) and serves at once; building it ourselves lets us announce readiness
    # only after the socket is bound, and read back the port the kernel chose for --port 0.
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"peer: listening http={args.host}:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main()
