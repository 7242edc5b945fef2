"""What the airlock-web tests share: the real airlock-web started on
127.0.0.1 with the milter's own config (so it reads the store the real
milter fills behind the private Postfix), the recipients' links made
here from the store's key (the format of include/airlock/weblink.h:
with any expiry, so an expired link needs no faketime), a small HTTP
client that keeps what a test asserts on (status, headers, every
Set-Cookie, body), and the admin's password set with the real
`airlockctl passwd`.
"""

import base64
import hashlib
import hmac
import http.client
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "lib"))
sys.path.insert(0, os.path.join(TESTS, "e2e"))

from util import HarnessError, excerpt, free_port, system_python, wait_for  # noqa: E402,F401

FAKE_SENDMAIL = os.path.join(TESTS, "lib", "fake_sendmail.py")
ADMIN = "admin"
ADMIN_PASSWORD = "correct horse battery staple"
HIDDEN_RE = r'<input type="hidden" name="{}" value="([^"]*)">'


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def link_token(key, address, expires):
    """TOKEN = base64url(address) "." expires "." base64url(mac),
    mac = HMAC-SHA256(key, "airlock-link-v1" LF address LF expires)."""
    address = address.lower()
    mac = hmac.new(key, f"airlock-link-v1\n{address}\n{expires}".encode(), hashlib.sha256).digest()
    return f"{b64url(address.encode())}.{expires}.{b64url(mac)}"


def hidden(body, name):
    m = re.search(HIDDEN_RE.format(re.escape(name)), body)
    return m.group(1) if m else None


class Reply:
    def __init__(self, status, headers, body, elapsed):
        self.status = status
        self.headers = headers  # [(name, value)] as sent
        self.body = body
        self.elapsed = elapsed

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def cookies(self):
        return [v for k, v in self.headers if k.lower() == "set-cookie"]

    def __repr__(self):
        return f"HTTP {self.status}: {excerpt(self.body, 1500)}"


class Web:
    """BUILD_DIR/src/web/airlock-web -f -c CONFIG, where CONFIG's [web]
    listen is 127.0.0.1:port (see configure()) and quarantine its store."""

    def __init__(self, build_dir, config, quarantine, log_dir, port):
        self.binary = os.path.join(os.path.abspath(build_dir), "src", "web", "airlock-web")
        self.ctl = os.path.join(os.path.abspath(build_dir), "src", "ctl", "airlockctl")
        for path in (self.binary, self.ctl):
            if not os.access(path, os.X_OK):
                raise HarnessError(f"{path} not found: build it first")
        self.config = config
        self.quarantine = quarantine
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.stderr_path = os.path.join(log_dir, f"web-{port}.log")
        self.proc = None
        self.tls = False

    @classmethod
    def for_daemon(cls, build_dir, daemon):
        """An airlock-web on a free port with the daemon's own config
        (its [web] section set here)."""
        port = free_port()
        daemon.set("web", "listen", f"127.0.0.1:{port}")
        daemon.set("web", "public_url", f"http://127.0.0.1:{port}")
        return cls(build_dir, daemon.config, daemon.quarantine, daemon.dir, port)

    def start(self, timeout=60):
        self.log_file = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen([self.binary, "-f", "-c", self.config],
                                     stdin=subprocess.DEVNULL, stdout=self.log_file,
                                     stderr=self.log_file)
        wait_for(self._ready, timeout, what=f"airlock-web to listen on port {self.port}")

    def _ready(self):
        if self.proc.poll() is not None:
            raise HarnessError(f"airlock-web exited with status {self.proc.returncode}:\n"
                               f"{self.stderr()}")
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return excerpt(f.read().decode("utf-8", "replace"), 3000)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=60):
        """SIGTERM; the exit status (a clean stop is 0)."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise HarnessError(f"airlock-web did not stop within {timeout}s of SIGTERM")
        finally:
            self.log_file.close()

    # ---- links and accounts ----

    def key(self):
        with open(os.path.join(self.quarantine, "release.key"), "rb") as f:
            return f.read()

    def link(self, address, expires=None):
        if expires is None:
            expires = int(time.time()) + 7 * 86400
        return f"/r/{link_token(self.key(), address, expires)}"

    def set_password(self, name=ADMIN, password=ADMIN_PASSWORD):
        proc = subprocess.run([self.ctl, "passwd", "-c", self.config, name],
                              input=password + "\n", stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=120)
        if proc.returncode != 0:
            raise HarnessError(f"airlockctl passwd exited {proc.returncode}: {proc.stderr}")
        return proc

    # ---- HTTP ----

    def request(self, method, path, form=None, cookies=None, headers=None, timeout=120):
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # a self-signed test certificate
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=context)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        sent = dict(headers or {})
        body = None
        if cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=sent)
            resp = conn.getresponse()
            data = resp.read().decode("utf-8", "replace")
            return Reply(resp.status, resp.getheaders(), data, time.monotonic() - start)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, form, **kw):
        return self.request("POST", path, form=form, **kw)

    def login(self, name=ADMIN, password=ADMIN_PASSWORD):
        """(reply, session cookie value or None)."""
        r = self.post("/admin/login", {"name": name, "password": password})
        for c in r.cookies():
            m = re.match(r"al_admin=([0-9a-f]{64});", c)
            if m:
                return r, m.group(1)
        return r, None


def release_by_smtp(daemon, port):
    """[quarantine] release_command: fake_sendmail --smtp into the same
    Postfix (see tests/e2e/test_admin.py)."""
    daemon.set("quarantine", "release_command",
               f"{system_python()} {FAKE_SENDMAIL} --smtp 127.0.0.1:{port}")
