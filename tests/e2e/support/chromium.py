"""Debian's headless Chromium, driven over the DevTools protocol with python3-websockets.

No browser is downloaded: /usr/bin/chromium is Debian's package (scripts/setup.sh installs it).
Chromium runs with a fresh profile and without its background networking, so it makes no
request beyond the pages a test opens. Used as a context manager:

    with Chromium() as browser:
        page = browser.open("file:///tmp/report/index.html", width=390)
        page.evaluate("document.title"); page.screenshot("/tmp/shot.png"); page.errors
"""

import asyncio
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import websockets

# Debian's package; PREDICTWIRE_CHROMIUM names another build (or a missing one, to try the rule
# for missing prerequisites: e2e/support/prerequisites.py).
CHROMIUM = os.environ.get("PREDICTWIRE_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--mute-audio", "--hide-scrollbars"]


# Why a test cannot run without it.
MISSING = f"Debian's chromium is missing ({CHROMIUM}): scripts/setup.sh installs it"


def available():
    return os.access(CHROMIUM, os.X_OK)


class Page:
    """One tab: navigation, script evaluation, screenshots, and the errors it logged."""

    def __init__(self, loop, url):
        self.loop = loop
        self.socket = loop.run_until_complete(websockets.connect(url, max_size=None))
        self.next_id = 0
        self.errors = []  # console errors, uncaught exceptions, failed loads
        self.events = []

    def _call(self, method, params=None, timeout=30):
        return self.loop.run_until_complete(self._call_async(method, params or {}, timeout))

    async def _call_async(self, method, params, timeout):
        self.next_id += 1
        request_id = self.next_id
        await self.socket.send(json.dumps({"id": request_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(await asyncio.wait_for(self.socket.recv(),
                                                        max(0.1, deadline - time.monotonic())))
            if message.get("id") == request_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._on_event(message)

    def _on_event(self, message):
        method = message.get("method", "")
        params = message.get("params", {})
        self.events.append(method)
        if method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append("console: " + " ".join(str(a.get("value", a.get("description", "")))
                                                      for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            self.errors.append("exception: " + params["exceptionDetails"].get("text", ""))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.errors.append("log: " + params["entry"].get("text", ""))

    def _wait_for_event(self, name, timeout=30):
        async def wait():
            deadline = time.monotonic() + timeout
            while name not in self.events:
                message = json.loads(await asyncio.wait_for(
                    self.socket.recv(), max(0.1, deadline - time.monotonic())))
                self._on_event(message)
        self.loop.run_until_complete(wait())

    def navigate(self, url, width, height=900):
        self._call("Emulation.setDeviceMetricsOverride",
                   {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
        self.events.clear()
        self._call("Page.navigate", {"url": url})
        self._wait_for_event("Page.loadEventFired")

    def evaluate(self, expression, timeout=30):
        """The value of `expression` (awaited when it is a promise), as JSON."""
        result = self._call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                 "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path):
        data = self._call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(path, "wb") as file:
            file.write(base64.b64decode(data["data"]))

    def close(self):
        self.loop.run_until_complete(self.socket.close())


class Chromium:
    def __init__(self, *extra_flags):
        """`extra_flags`: more Chromium switches, e.g. --ignore-certificate-errors for a test's
        throwaway certificate."""
        self.extra_flags = list(extra_flags)
        self.process = None
        self.profile = None
        self.loop = None
        self.port = None

    def __enter__(self):
        self.profile = tempfile.mkdtemp(prefix="predictwire-chromium-")
        log_path = os.path.join(self.profile, "chromium.log")
        with open(log_path, "w") as log:  # a file, not a pipe: nothing must block Chromium
            # A session of its own: its helper processes are stopped with it, by its group's id.
            self.process = subprocess.Popen(
                [CHROMIUM, *FLAGS, *self.extra_flags, f"--user-data-dir={self.profile}",
                 "--remote-debugging-port=0",
                 "about:blank"],
                stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 30
        while self.port is None:
            if time.monotonic() > deadline or self.process.poll() is not None:
                with open(log_path) as log:
                    raise RuntimeError(f"Chromium did not start its DevTools endpoint: {log.read()[-2000:]}")
            with open(log_path) as log:
                match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", log.read())
            if match:
                self.port = int(match.group(1))
            else:
                time.sleep(0.1)
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)  # websockets 10 binds to the current loop
        return self

    def open(self, url, width, height=900):
        """A tab showing `url` at `width` × `height` CSS pixels, with its errors recorded."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=10) as reply:
            targets = [t for t in json.load(reply) if t["type"] == "page"]
        page = Page(self.loop, targets[0]["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log"):
            page._call(f"{domain}.enable")
        page.navigate(url, width, height)
        return page

    def __exit__(self, *exc):
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            # A helper (the network service) may outlive the browser and write to the profile
            # after it is deleted: stop the group first.
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.loop:
            self.loop.close()
            asyncio.set_event_loop(None)
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
