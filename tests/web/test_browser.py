#!/usr/bin/env python3
"""airlock-web in a real browser: headless Chromium driven over the
DevTools protocol (tests/web/cdp.py), with the real milter, Postfix and
store.

    python3 tests/web/test_browser.py BUILD_DIR        (as root)

The set-up is test_web.py's. Scenarios, each through the pages only
(mouse clicks and typing; the browser keeps the cookies and posts the
forms with their CSRF fields):
  - a PDF from an unknown sender is stripped; the link in the notice
    delivered to bob opens his page; he asks for its release with a
    note; the admin logs in, sees the request and approves it; the
    original, with its PDF, reaches bob through Postfix exactly once;
  - bob releases another unknown-origin PDF himself from his page; it
    arrives once;
  - an EICAR message held for bob is on his page without a release
    button (a request button only), and a release posted anyway is
    refused with nothing delivered;
  - every page is screenshotted (PNG signature and size checked) and its
    DOM text checked.
Prints "N passed, M failed"; exits 1 on any failure.
"""

import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import weblib  # noqa: E402,I100
from util import system_python  # noqa: E402

try:
    import websocket  # noqa: F401
except ImportError:
    # Debian's python3-websocket is installed for the system python; a
    # ctest configured with another interpreter re-runs this under it.
    if os.path.realpath(sys.executable) != os.path.realpath(system_python()):
        os.execv(system_python(), [system_python()] + sys.argv)
    raise

from cdp import Browser  # noqa: E402
from weblib import ADMIN, ADMIN_PASSWORD, Web, hidden, release_by_smtp  # noqa: E402

import messages  # noqa: E402
from test_e2e import E2E, TestFailure, by_message_id, check  # noqa: E402
from util import HarnessError, require_tool, run_scenarios, suite_main  # noqa: E402

LINK_RE = re.compile(r"http://127\.0\.0\.1:\d+/r/[A-Za-z0-9_=.-]+")
MIN_SCREENSHOT = 200  # pixels, each side


class BrowserSuite(E2E):
    def __init__(self, build_dir):
        super().__init__(build_dir)
        self.chromium = require_tool("chromium", "chromium")
        self.build_dir = build_dir
        self.web = None
        self.browser = None
        self.shots = tempfile.mkdtemp(prefix="airlock-web-shots-")

    def setup(self):
        super().setup()
        release_by_smtp(self.daemon, self.pf.port)
        self.daemon.set("notice", "admin_address", "admin@sink.test")
        self.web = Web.for_daemon(self.build_dir, self.daemon)
        self.daemon.stop()
        self.daemon.start()  # the milter's notices carry [web] public_url
        self.web.start()
        self.web.set_password()
        self.browser = Browser(self.chromium, self.shots)

    def teardown(self):
        if self.browser is not None:
            self.browser.close()
        if self.web is not None and self.web.running():
            self.web.stop()
        super().teardown()
        if os.environ.get("AIRLOCK_TEST_KEEP"):
            print(f"kept screenshots in {self.shots}", flush=True)
        else:
            import shutil
            shutil.rmtree(self.shots, ignore_errors=True)

    def diagnostics(self):
        return super().diagnostics() + f"\n--- airlock-web stderr ---\n{self.web.stderr()}"

    # ---- helpers ----

    def shot(self, name):
        width, height = self.browser.screenshot(os.path.join(self.shots, f"{name}.png"))
        check(width >= MIN_SCREENSHOT and height >= MIN_SCREENSHOT,
              f"screenshot {name}: {width}x{height}")

    def send_pdf(self, tag):
        """A PDF from an unknown sender to bob: (quarantine id, the
        message delivered to bob, the Message-ID)."""
        mid = f"<browser-{tag}@airlock-test.example>"
        data = messages.replace_header(messages.corpus("pdf-stranger.eml"), "Message-ID", mid)
        data = messages.replace_header(data, "Subject", f"Lab report {tag}")
        snap = self.pf.snapshot()
        self.send_ok(data, "stranger@unknown.example", ["bob@sink.test"])
        self.settle()
        got = self.one_delivered(snap, "bob", mid)
        qid = self.stripped_id(got)
        return qid, got, mid

    def notice_link(self, delivered):
        text = messages.decoded_text(delivered)
        m = LINK_RE.search(text)
        check(m is not None, f"no link to airlock-web in the notice:\n{text[:3000]}")
        return m.group(0)

    def delivered_once(self, snap, mid):
        """The original delivered to bob exactly once (after the queue
        settles twice), with its PDF."""
        self.settle()
        self.pf.flush()
        self.settle()
        got = by_message_id(self.pf.new_since(snap, "bob"), mid)
        check(len(got) == 1, f"bob received {len(got)} copies of {mid}" + self.diagnostics())
        check("report.pdf" in messages.attachment_names(got[0]),
              f"the released message has no report.pdf: {messages.attachment_names(got[0])}")

    def card(self, qid):
        return f"#m-{qid}"

    # ---- scenarios ----

    def test_request_then_admin_approves(self):
        b = self.browser
        qid, notice, mid = self.send_pdf("request")
        b.navigate(self.notice_link(notice))
        self.shot("staff-page")
        check("Lab report request" in b.text(), f"bob's page:\n{b.text()[:2000]}")
        check(b.exists(f"{self.card(qid)} button[value=request]"), "no request button")
        b.type_into(f"{self.card(qid)} input[name=note]", "It's the lab's report, thanks")
        b.click(f"{self.card(qid)} button[value=request]")
        self.shot("staff-requested")
        check("sent to the administrator" in b.text(), f"after the request:\n{b.text()}")
        check("release-requested" in self.daemon.store.events(qid),
              f"events: {self.daemon.store.events(qid)}")

        b.navigate(f"{self.web.base}/admin")
        check(b.exists("input[name=password]"), f"no login form:\n{b.text()}")
        b.type_into("input[name=name]", ADMIN)
        b.type_into("input[name=password]", ADMIN_PASSWORD)
        b.click("#login")
        self.shot("admin-requests")
        text = b.text()
        check("bob@sink.test" in text and "It's the lab's report, thanks" in text,
              f"the request is not listed for the admin:\n{text[:3000]}")
        snap = self.pf.snapshot()
        b.click(f'form[action="/admin/approve"]:has(input[name=id][value="{qid}"]) button')
        self.shot("admin-approved")
        check("Released to: bob@sink.test" in b.text(), f"after approve:\n{b.text()}")
        self.delivered_once(snap, mid)
        events = self.daemon.store.events(qid)
        check("released" in events and "request-approved" in events, f"events: {events}")
        b.navigate(f"{self.web.base}/admin/message?id={qid}")
        self.shot("admin-message")
        check(ADMIN in b.text() and "request-approved" in b.text(),
              f"the audit trail does not show the admin's approval:\n{b.text()[:3000]}")

    def test_self_release_unknown_origin(self):
        b = self.browser
        qid, notice, mid = self.send_pdf("self")
        b.navigate(self.notice_link(notice))
        check(b.exists(f"{self.card(qid)} button[value=release]"),
              f"no release button for an unknown-origin item:\n{b.text()[:2000]}")
        snap = self.pf.snapshot()
        b.click(f"{self.card(qid)} button[value=release]")
        self.shot("staff-released")
        check("Released" in b.text(), f"after release:\n{b.text()}")
        self.delivered_once(snap, mid)
        row = self.daemon.store.message(qid)
        check(row["status"] == "released", f"status {row['status']}")

    def test_no_self_release_for_virus(self):
        b = self.browser
        mid = "<browser-virus@airlock-test.example>"
        data = messages.replace_header(messages.corpus("eicar-attachment-stranger.eml"),
                                       "Message-ID", mid)
        before = {r["id"] for r in self.daemon.store.messages()}
        self.send_ok(data, "stranger@unknown.example", ["bob@sink.test"])
        self.settle()
        new = {r["id"] for r in self.daemon.store.messages()} - before
        check(len(new) == 1, f"expected one held message, got {sorted(new)}")
        qid = new.pop()
        link = self.web.base + self.web.link("bob@sink.test")
        b.navigate(link)
        self.shot("staff-virus")
        check(b.exists(self.card(qid)), f"the held message is not on bob's page:\n{b.text()}")
        check(not b.exists(f"{self.card(qid)} button[value=release]"),
              "a release button for a virus")
        check(b.exists(f"{self.card(qid)} button[value=request]"), "no request button")
        check(b.evaluate(f"document.querySelector('{self.card(qid)} .why').innerText.length")
              > 0, "no reason sentence on the card")
        # A release posted anyway (with a valid CSRF field) is refused.
        path = self.web.link("bob@sink.test")
        csrf = hidden(self.web.get(path).body, "csrf")
        snap = self.pf.snapshot()
        r = self.web.post(path, {"csrf": csrf, "id": qid, "action": "release"})
        check(r.status == 403, f"a forced self-release of a virus: {r}")
        self.settle()
        check(not by_message_id(self.pf.new_since(snap, "bob"), mid), "the virus was delivered")
        check(self.daemon.store.message(qid)["status"] == "quarantined", "status changed")

    def run(self):
        tests = [self.test_request_then_admin_approves, self.test_self_release_unknown_origin,
                 self.test_no_self_release_for_virus]
        try:
            self.setup()
        except (HarnessError, TestFailure) as e:
            self.failed += len(tests)
            print(f"FAIL setup (all {len(tests)} scenarios): {e}", flush=True)
            return
        run_scenarios(self, tests, (TestFailure, HarnessError))


def main():
    return suite_main(BrowserSuite, "test_browser.py BUILD_DIR")


if __name__ == "__main__":
    sys.exit(main())
