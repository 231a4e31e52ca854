"""A small Chrome DevTools Protocol client over --remote-debugging-pipe (stdlib only).

Chromium reads commands from fd 3 and writes replies and events to fd 4, each a JSON
message ended by a NUL byte; no websocket library and no downloaded browser are needed.
Every request that does not go to an allowed origin is failed (Fetch domain), so pages
are checked with the network blocked, and the blocked URLs are kept for the report.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import subprocess
import threading
from pathlib import Path

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--lang=ja", "--remote-debugging-pipe",
    # belt and braces with the Fetch interception below: no name resolves but loopback
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


class CDPError(RuntimeError):
    pass


class Browser:
    def __init__(self, binary: str, profile: str, allowed_origin: str, timeout: float = 30):
        self.allowed_origin = allowed_origin
        self.timeout = timeout
        self.blocked: list[str] = []
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds():  # runs in the child: the pipe ends become fds 3 and 4
            # copy first: a pipe end may already be fd 3 or 4, and dup2 onto itself
            # would keep its close-on-exec flag
            read_end, write_end = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=wire_fds, close_fds=False,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._next_id = 0
        self._route_ids = itertools.count(1)  # replies to these are ignored
        self._lock = threading.Lock()
        self._replies: dict[int, dict] = {}
        self._events: list[dict] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page.enable", "Runtime.enable"):
            self.call(domain, session=self.session)
        self.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session=self.session)

    # -- transport --
    def _send(self, message: dict) -> None:
        data = json.dumps(message).encode() + b"\0"
        with self._lock:
            os.write(self._to_child, data)

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_child, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._cond.notify_all()
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if message.get("method") == "Fetch.requestPaused":
                    self._route(message)
                    continue
                with self._cond:
                    if "id" in message:
                        self._replies[message["id"]] = message
                    else:
                        self._events.append(message)
                    self._cond.notify_all()

    def _route(self, message: dict) -> None:
        params = message["params"]
        url = params["request"]["url"]
        if url.startswith(self.allowed_origin) or url.startswith(("data:", "about:")):
            method, extra = "Fetch.continueRequest", {}
        else:
            self.blocked.append(url)
            method, extra = "Fetch.failRequest", {"errorReason": "BlockedByClient"}
        self._send({"id": -next(self._route_ids), "method": method, "sessionId": message.get("sessionId"),
                    "params": {"requestId": params["requestId"], **extra}})

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._send(message)
        with self._cond:
            if not self._cond.wait_for(lambda: ident in self._replies or self.process.poll() is not None,
                                       timeout=self.timeout):
                raise CDPError(f"{method}: no reply within {self.timeout}s")
            reply = self._replies.pop(ident, None)
        if reply is None:
            raise CDPError(f"{method}: chromium exited")
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def wait_event(self, method: str) -> dict:
        with self._cond:
            def found():
                return any(e.get("method") == method for e in self._events)
            if not self._cond.wait_for(found, timeout=self.timeout):
                raise CDPError(f"no {method} within {self.timeout}s")
            event = next(e for e in self._events if e.get("method") == method)
            self._events.remove(event)
            return event

    # -- page helpers --
    def open(self, url: str, width: int, height: int) -> None:
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=self.session)
        with self._cond:
            self._events = [e for e in self._events if e.get("method") != "Page.loadEventFired"]
        result = self.call("Page.navigate", {"url": url}, session=self.session)
        if result.get("errorText"):
            raise CDPError(f"{url}: {result['errorText']}")
        self.wait_event("Page.loadEventFired")
        self.evaluate("document.fonts.ready.then(() => true)")

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                 "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in result:
            raise CDPError(f"script failed: {result['exceptionDetails'].get('text')} in {expression[:80]}")
        return result["result"].get("value")

    def screenshot(self, path: Path, clip: dict | None = None) -> None:
        params: dict = {"format": "png"}
        if clip:
            params.update({"clip": {**clip, "scale": 1}, "captureBeyondViewport": True})
        data = self.call("Page.captureScreenshot", params, session=self.session)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except CDPError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_child)
