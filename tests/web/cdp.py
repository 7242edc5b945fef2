"""A small Chrome DevTools Protocol client for the browser tests: starts
headless Chromium (Debian package chromium) on a private profile with
--remote-debugging-port=0, reads the port it chose from the profile's
DevToolsActivePort file, opens one page target and talks to it over
its WebSocket (Debian package python3-websocket).

The page is driven as a user would: navigate, click an element (a real
mouse press and release at its centre, Input.dispatchMouseEvent), type
text into the focused field (Input.insertText), read the DOM text and
take PNG screenshots. Runtime.evaluate is used only to find elements and
read the page, never to submit forms.
"""

import base64
import json
import os
import shutil
import struct
import subprocess
import tempfile
import time
import urllib.request

import websocket

from util import HarnessError, wait_for


class Browser:
    def __init__(self, chromium, work_dir):
        self.profile = tempfile.mkdtemp(prefix="chromium-", dir=work_dir)
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-sync", "--window-size=412,900",
             f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
             "--remote-debugging-address=127.0.0.1", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.profile, "chromium.log"), "wb"))
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        wait_for(lambda: os.path.exists(port_file) and open(port_file).read().count("\n") >= 1,
                 60, what="Chromium's DevToolsActivePort")
        self.port = int(open(port_file).read().split("\n")[0])
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/new?about:blank",
                                     method="PUT")
        with urllib.request.urlopen(req, timeout=60) as resp:
            target = json.load(resp)
        self.ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=60,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []
        self.call("Page.enable")
        self.call("Runtime.enable")

    def close(self):
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - closing a dead socket is fine
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def call(self, method, timeout=60, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise HarnessError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)
        raise HarnessError(f"no answer to {method} within {timeout}s")

    def wait_event(self, name, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["method"] == name:
                    del self.events[: i + 1]
                    return e
            if time.monotonic() >= deadline:
                raise HarnessError(f"no {name} within {timeout}s")
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                msg = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
            finally:
                self.ws.settimeout(60)
            if "method" in msg:
                self.events.append(msg)

    def navigate(self, url):
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise HarnessError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def text(self):
        return self.evaluate("document.body ? document.body.innerText : ''")

    def html(self):
        return self.evaluate("document.documentElement.outerHTML")

    def exists(self, selector):
        return self.evaluate(f"document.querySelector({json.dumps(selector)}) !== null")

    def _centre(self, selector):
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        if box is None:
            raise HarnessError(f"no element {selector} on the page:\n{self.text()[:2000]}")
        return box

    def click(self, selector, navigates=True):
        x, y = self._centre(selector)
        self.events.clear()
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                      clickCount=1)
        if navigates:
            self.wait_event("Page.loadEventFired", timeout=180)

    def type_into(self, selector, text):
        self.click(selector, navigates=False)
        self.call("Input.insertText", text=text)

    def screenshot(self, path):
        """A PNG of the page, written to path; (width, height) from its
        IHDR after checking the signature."""
        data = base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])
        with open(path, "wb") as f:
            f.write(data)
        if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
            raise HarnessError(f"{path} is not a PNG")
        return struct.unpack(">II", data[16:24])
