"""The server's /metrics (docs/api.md, "Metrics") read the way tests need it: one scrape as text
(scrape), one sample of it (metric), a sum of samples (total), and waiting for the server to
reach a state it shows (wait_for, wait_for_metric) instead of sleeping and hoping.

A scrape that fails and a sample that is not there are errors (MetricsError), never a zero: a
renamed metric, a changed label or a server that died must fail the test that reads it."""

import re
import time
import urllib.error
import urllib.request


class MetricsError(AssertionError):
    """The scrape failed, or it lacks the sample asked for."""


def scrape(server, timeout=10):
    """The text of one GET /metrics of `server`; MetricsError unless it is answered 200 with the
    server's exposition (its predictwire_build_info sample)."""
    url = f"{server.url}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status, text = response.status, response.read().decode()
    except (OSError, urllib.error.URLError) as error:
        raise MetricsError(f"scraping {url} failed: {error}") from error
    if status != 200 or not re.search(r"^predictwire_build_info\{", text, re.MULTILINE):
        raise MetricsError(f"{url} answered {status} without the server's metrics: {text[:200]!r}")
    return text


def _samples(text, name):
    """Every sample of `name` in `text` as (labels dict, value)."""
    pattern = re.compile("^" + re.escape(name) + r"(?:\{([^}]*)\})? (\S+)$", re.MULTILINE)
    samples = []
    for match in pattern.finditer(text):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        samples.append((labels, float(match.group(2))))
    return samples


def metric(text, name, **labels):
    """The value of the one sample of `name` whose labels are exactly `labels`; MetricsError when
    the scrape has no such sample."""
    for sample_labels, value in _samples(text, name):
        if sample_labels == labels:
            return value
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    raise MetricsError(f"no sample {name}{{{wanted}}} in the scrape")


def total(text, name, **labels):
    """The sum of the samples of `name` whose labels include `labels` (e.g. requests_total of one
    protocol and model over every code); MetricsError when none does."""
    values = [value for sample_labels, value in _samples(text, name)
              if all(sample_labels.get(k) == v for k, v in labels.items())]
    if not values:
        wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
        raise MetricsError(f"no sample of {name} with {{{wanted}}} in the scrape")
    return sum(values)


def wait_for(predicate, timeout, interval=0.05):
    """Polls `predicate` until it is true or `timeout` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def wait_for_metric(server, name, condition, timeout=30, **labels):
    """Scrapes `server` until the sample of `name` with exactly `labels` meets `condition` (a
    function of its value); returns that value. AssertionError, with the last value seen, when
    `timeout` seconds pass first. The state it waits for is what the test needs; the timeout only
    bounds a broken server, so it is generous."""
    last = []

    def met():
        last[:] = [metric(scrape(server), name, **labels)]
        return condition(last[0])

    if not wait_for(met, timeout):
        raise AssertionError(f"{name}{labels} never met the condition in {timeout}s; last {last[0]}")
    return last[0]


def wait_until_in_flight(server, protocol, count, timeout=30):
    """Waits until at least `count` requests of `protocol` (http1, http2, websocket, grpc) are in
    flight on `server` (decoded, not yet answered): the requests a test sent have arrived."""
    return wait_for_metric(server, "predictwire_requests_in_flight", lambda value: value >= count,
                           timeout=timeout, protocol=protocol)
