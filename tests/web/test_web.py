#!/usr/bin/env python3
"""airlock-web over HTTP, against the real daemon and store.

    python3 tests/web/test_web.py BUILD_DIR        (as root)

The set-up is test_e2e.py's (a private Postfix on 127.0.0.1 whose milter
is BUILD_DIR's airlock-milter, as user airlock-test), plus BUILD_DIR's
airlock-web on 127.0.0.1 with the same airlock.conf (it drops to the
same user). Messages from an unknown sender are stripped by the real
milter into the real SQLite store; the links are made from the store's
key as weblink.h says; the admin's password is set with airlockctl
passwd.

Scenarios: a recipient's page lists their message with the subject and
the file name (both full of <script> and quotes) escaped, never another
recipient's, with the security headers; altered, forged, malformed and
expired links refused (403, how to get a new link); another recipient's
item refused (404) and untouched; a POST without, with another link's
or with a made-up CSRF token refused and nothing changed, the right one
accepted; the admin's cookie attributes, CSRF on the admin's forms,
delete, logout; a wrong password answered after a delay that grows
with the failures (counted by the page; lower bounds only); a request
denied with a reason mailed to the recipient; a virus released by the
admin to one of two recipients only with the confirmation box, delivered
once; the list's filters and paging and the report; a release the MTA
refuses (release_command /bin/false: 502, nothing released, still
retryable); two browsers and airlockctl releasing one message at once
(one succeeds, delivered once); airlockctl passwd (empty, short, bad names, two
different entries on a terminal, an argon2id hash stored); TLS with
a root-only key (the page over HTTPS, the cookie Secure, no plain HTTP
on that port); French and English; 503 when the store cannot be read; -t,
-V and a clean stop on SIGTERM.
Prints "N passed, M failed"; exits 1 on any failure.
"""

import http.client
import os
import pty
import re
import secrets
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import weblib  # noqa: E402,I100
from weblib import ADMIN, Web, hidden, release_by_smtp  # noqa: E402

import messages  # noqa: E402
from test_e2e import E2E, TestFailure, by_message_id, check  # noqa: E402
from util import HarnessError, give_to, run_scenarios, suite_main  # noqa: E402

SUBJECT = "<script>alert(\"s\")</script> 'quoted' & co"
SUBJECT_HTML = "&lt;script&gt;alert(&quot;s&quot;)&lt;/script&gt; &#39;quoted&#39; &amp; co"
FILENAME = "<script>x</script>\"q'.pdf"
FILENAME_HTML = "&lt;script&gt;x&lt;/script&gt;&quot;q&#39;.pdf"
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def rfc2231(value):
    from urllib.parse import quote
    return "utf-8''" + quote(value, safe="")


class WebSuite(E2E):
    def __init__(self, build_dir):
        super().__init__(build_dir)
        self.build_dir = build_dir
        self.web = None
        self.ids = {}

    def setup(self):
        super().setup()
        release_by_smtp(self.daemon, self.pf.port)
        self.web = Web.for_daemon(self.build_dir, self.daemon)
        # The milter reads [web] for the links in its notices: restart it.
        self.daemon.stop()
        self.daemon.start()
        self.web.start()
        self.web.set_password()
        self.ids["xss"] = self.quarantine("xss", ["bob@sink.test"], SUBJECT, FILENAME)
        self.ids["carol"] = self.quarantine("carol", ["carol@sink.test"], "for carol only",
                                            "carol.pdf")
        self.ids["csrf"] = self.quarantine("csrf", ["bob@sink.test"], "csrf target", "c.pdf")

    def teardown(self):
        if self.web is not None and self.web.running():
            self.web.stop()
        super().teardown()

    def diagnostics(self):
        web = self.web.stderr() if self.web is not None else ""
        return super().diagnostics() + f"\n--- airlock-web stderr ---\n{web}"

    def quarantine(self, tag, rcpts, subject, filename):
        """Sends pdf-stranger.eml with this subject and file name; the id
        of the one new store row."""
        data = messages.corpus("pdf-stranger.eml")
        data = messages.replace_header(data, "Message-ID", f"<web-{tag}@airlock-test.example>")
        data = messages.replace_header(data, "Subject", subject)
        data = data.replace(b'name="report.pdf"', f"name*={rfc2231(filename)}".encode())
        before = {r["id"] for r in self.daemon.store.messages()}
        self.send_ok(data, "stranger@unknown.example", rcpts)
        self.settle()
        new = {r["id"] for r in self.daemon.store.messages()} - before
        check(len(new) == 1, f"expected one new store row for {tag}, got {sorted(new)}"
              + self.diagnostics())
        return new.pop()

    def events(self, qid):
        return self.daemon.store.events(qid)

    # ---- scenarios ----

    def test_own_page_lists_escaped(self):
        r = self.web.get(self.web.link("bob@sink.test"))
        check(r.status == 200, f"bob's page: {r}")
        check(f'id="m-{self.ids["xss"]}"' in r.body, f"bob's message is not listed: {r}")
        check(SUBJECT_HTML in r.body, f"the subject is not shown escaped: {r}")
        check(FILENAME_HTML in r.body, f"the file name is not shown escaped: {r}")
        check("<script" not in r.body.lower(), "a raw <script> reached the page")
        check(self.ids["carol"] not in r.body, "carol's message is on bob's page")
        check("JVBERi0" not in r.body and "%PDF" not in r.body, "attachment content shown")
        csp = r.header("Content-Security-Policy") or ""
        check("default-src 'none'" in csp and "form-action 'self'" in csp, f"CSP {csp!r}")
        for name, value in SECURITY_HEADERS.items():
            check(r.header(name) == value, f"{name}: {r.header(name)!r}, expected {value!r}")
        check('name="viewport"' in r.body, "no viewport meta (phones)")

    def test_altered_links_refused(self):
        now = int(time.time())
        key = self.web.key()
        good = weblib.link_token(key, "bob@sink.test", now + 3600)
        addr, expires, mac = good.split(".")
        carol = weblib.b64url(b"carol@sink.test")
        flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
        bad = {
            "mac altered": f"{addr}.{expires}.{flipped}",
            "address swapped": f"{carol}.{expires}.{mac}",
            "expiry moved": f"{addr}.{int(expires) + 86400}.{mac}",
            "other key": weblib.link_token(secrets.token_bytes(32), "bob@sink.test", now + 3600),
            "malformed": "not-a-token",
            "markup": "%3Cscript%3E",
        }
        for what, token in bad.items():
            r = self.web.get(f"/r/{token}")
            check(r.status == 403, f"{what}: {r}")
            check("new link" in r.body, f"{what}: the page does not say how to get a new link")
            check("sink.test" not in r.body, f"{what}: the page names an address")
            check("<script" not in r.body.lower(), f"{what}: markup echoed")
        r = self.web.get(f"/r/{good}")
        check(r.status == 200, f"the good link: {r}")

    def test_expired_link_refused(self):
        r = self.web.get(self.web.link("bob@sink.test", expires=int(time.time()) - 60))
        check(r.status == 403 and "new link" in r.body, f"expired link: {r}")
        check(self.ids["xss"] not in r.body, "the expired link showed a message")

    def test_other_recipients_item_refused(self):
        link = self.web.link("bob@sink.test")
        csrf = hidden(self.web.get(link).body, "csrf")
        check(csrf is not None, "bob's page has no CSRF field")
        before = self.events(self.ids["carol"])
        for action in ("dismiss", "request", "release"):
            r = self.web.post(link, {"csrf": csrf, "id": self.ids["carol"], "action": action})
            check(r.status in (403, 404), f"{action} of carol's message with bob's link: {r}")
            check("carol" not in r.body, f"{action}: the page names carol")
        check(self.events(self.ids["carol"]) == before,
              f"carol's message changed: {self.events(self.ids['carol'])}")
        row = self.daemon.store.message(self.ids["carol"])
        check(row["status"] == "quarantined", f"carol's message is {row['status']}")

    def test_post_needs_csrf(self):
        link = self.web.link("bob@sink.test")
        other = self.web.link("carol@sink.test")
        qid = self.ids["csrf"]
        carols = hidden(self.web.get(other).body, "csrf")
        before = self.events(qid)
        forms = {
            "no token": {"id": qid, "action": "dismiss"},
            "carol's link's token": {"csrf": carols, "id": qid, "action": "dismiss"},
            "made-up token": {"csrf": secrets.token_hex(32), "id": qid, "action": "dismiss"},
            "empty token": {"csrf": "", "id": qid, "action": "dismiss"},
        }
        for what, form in forms.items():
            r = self.web.post(link, form)
            check(r.status == 403, f"POST with {what}: {r}")
        check(self.events(qid) == before, f"a refused POST changed the message: {self.events(qid)}")
        csrf = hidden(self.web.get(link).body, "csrf")
        r = self.web.post(link, {"csrf": csrf, "id": qid, "action": "dismiss"})
        check(r.status == 200, f"dismiss with the right token: {r}")
        check("dismissed" in self.events(qid), f"no dismissed event: {self.events(qid)}")
        page = self.web.get(link).body
        check(f'id="m-{qid}"' not in page, "the dismissed message is still listed")
        check(f'id="m-{self.ids["xss"]}"' in page, "dismissing one message hid another")

    def test_admin_cookie_and_csrf(self):
        r = self.web.get("/admin")
        check(r.status == 200 and 'name="password"' in r.body, f"no login form: {r}")
        r, session = self.web.login()
        check(r.status == 303 and r.header("Location") == "/admin", f"login: {r}")
        check(session is not None, f"no session cookie: {r.cookies()}")
        cookie = next(c for c in r.cookies() if c.startswith("al_admin="))
        attrs = [a.strip().lower() for a in cookie.split(";")[1:]]
        for want in ("httponly", "samesite=strict", "path=/admin"):
            check(want in attrs, f"cookie {cookie!r} lacks {want}")
        check(any(re.fullmatch(r"max-age=\d+", a) for a in attrs), f"no Max-Age: {cookie!r}")
        check("secure" not in attrs, f"Secure on plain HTTP (no https public_url): {cookie!r}")
        jar = {"al_admin": session}
        page = self.web.get("/admin", cookies=jar)
        csrf = hidden(page.body, "csrf")
        check(page.status == 200 and csrf is not None, f"/admin: {page}")
        msg = self.web.get(f"/admin/message?id={self.ids['xss']}", cookies=jar)
        check(msg.status == 200 and SUBJECT_HTML in msg.body and FILENAME_HTML in msg.body,
              f"the admin's message page: {msg}")
        check("<script" not in msg.body.lower(), "a raw <script> on the admin's page")
        qid = self.ids["carol"]
        for what, form in {"no token": {"id": qid, "confirm": "1"},
                           "a wrong token": {"id": qid, "confirm": "1",
                                             "csrf": secrets.token_hex(32)}}.items():
            r = self.web.post("/admin/delete", form, cookies=jar)
            check(r.status == 403, f"delete with {what}: {r}")
        check(self.daemon.store.message(qid)["status"] == "quarantined", "deleted without CSRF")
        r = self.web.post("/admin/delete", {"id": qid, "confirm": "1", "csrf": csrf}, cookies=jar)
        check(r.status == 200, f"delete with the token: {r}")
        check(self.daemon.store.message(qid)["status"] == "deleted", "not deleted")
        r = self.web.get(f"/admin/message?id={qid}", cookies=jar)
        check(ADMIN in r.body and "deleted" in r.body, f"audit trail lacks the admin: {r}")
        r = self.web.get("/admin/message?id=00000000000000000000000000", cookies=jar)
        check(r.status == 404, f"unknown id: {r}")
        r = self.web.post("/admin/logout", {"csrf": csrf}, cookies=jar)
        check(any(c.startswith("al_admin=;") and "max-age=0" in c.lower() for c in r.cookies()),
              f"logout does not clear the cookie: {r.cookies()}")
        r = self.web.get("/admin", cookies=jar)
        check('name="password"' in r.body and hidden(r.body, "csrf") is None,
              f"the session lives on after logout: {r}")

    def test_wrong_password_delayed(self):
        for n in (1, 2):
            r, session = self.web.login(password="wrong password!")
            check(r.status == 403 and session is None, f"wrong password {n}: {r}")
            check(f"from your address: {n}." in r.body, f"failure {n} not counted: {r}")
            check(r.elapsed >= n, f"failure {n} answered after {r.elapsed:.2f}s, "
                  f"expected at least {n}s")
        r, session = self.web.login(name="nobody", password="wrong password!")
        check(r.status == 403 and "from your address: 3." in r.body, f"unknown name: {r}")
        r, session = self.web.login()
        check(r.status == 303 and session is not None, f"the right password: {r}")
        r, _ = self.web.login(password="wrong again!!")
        check("from your address: 1." in r.body, f"a good login did not reset the count: {r}")

    def test_languages(self):
        link = self.web.link("bob@sink.test")
        r = self.web.get(link, headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
        check('lang="fr"' in r.body and "Votre quarantaine" in r.body, f"French: {r}")
        r = self.web.get(link + "?lang=en", headers={"Accept-Language": "fr"})
        check('lang="en"' in r.body and "Your quarantine" in r.body, f"?lang=en: {r}")
        check(any(c.startswith("al_lang=en;") for c in r.cookies()), f"{r.cookies()}")
        r = self.web.get(link, headers={"Accept-Language": "fr"}, cookies={"al_lang": "en"})
        check('lang="en"' in r.body, "the language cookie is not followed")

    def admin(self):
        """A fresh admin session: (cookie jar, CSRF token)."""
        r, session = self.web.login()
        check(session is not None, f"admin login: {r}")
        jar = {"al_admin": session}
        return jar, hidden(self.web.get("/admin", cookies=jar).body, "csrf")

    def test_request_denied(self):
        link = self.web.link("bob@sink.test")
        qid = self.ids["xss"]
        csrf = hidden(self.web.get(link).body, "csrf")
        r = self.web.post(link, {"csrf": csrf, "id": qid, "action": "request",
                                 "note": "<b>please</b>" + "x" * 1200})
        check(r.status == 200, f"request: {r}")
        r = self.web.post(link, {"csrf": csrf, "id": qid, "action": "request"})
        check(r.status == 409, f"a second request while one is pending: {r}")
        jar, admin_csrf = self.admin()
        page = self.web.get("/admin", cookies=jar)
        check(qid in page.body and "&lt;b&gt;please&lt;/b&gt;" + "x" * 987 + " »" in page.body,
              f"the request (note escaped, kept to 1000 characters) is not on /admin: {page}")
        r = self.web.post("/admin/deny", {"csrf": admin_csrf, "id": qid,
                                          "rcpt": "bob@sink.test", "reason": "  "}, cookies=jar)
        check(r.status == 400, f"a denial without a reason: {r}")
        snap = self.pf.snapshot()
        why = "Ask the lab to send it from its usual address"
        r = self.web.post("/admin/deny", {"csrf": admin_csrf, "id": qid,
                                          "rcpt": "bob@sink.test", "reason": why}, cookies=jar)
        check(r.status == 200, f"deny: {r}")
        check("request-denied" in self.events(qid), f"events: {self.events(qid)}")
        self.settle()
        mails = [messages.decoded_text(m) for m in self.pf.new_since(snap, "bob")]
        check(any(why in text for text in mails),
              f"bob was not mailed the reason ({len(mails)} new messages)" + self.diagnostics())
        page = self.web.get(link).body
        check("release refused" in page, "bob's page does not say the release was refused")

    def test_admin_releases_some_forced(self):
        mid = "<web-virus@airlock-test.example>"
        data = messages.replace_header(messages.corpus("eicar-attachment-stranger.eml"),
                                       "Message-ID", mid)
        before = {r["id"] for r in self.daemon.store.messages()}
        self.send_ok(data, "stranger@unknown.example", ["bob@sink.test", "carol@sink.test"])
        self.settle()
        new = {r["id"] for r in self.daemon.store.messages()} - before
        check(len(new) == 1, f"expected one held message, got {sorted(new)}")
        qid = self.ids["virus"] = new.pop()
        jar, csrf = self.admin()
        page = self.web.get(f"/admin/message?id={qid}", cookies=jar)
        check('name="force"' in page.body, f"no confirmation box for a virus: {page}")
        form = {"csrf": csrf, "id": qid, "rcpt": ["carol@sink.test"]}
        r = self.web.post("/admin/release", form, cookies=jar)
        check(r.status == 403, f"a virus released without the confirmation: {r}")
        snap = self.pf.snapshot()
        r = self.web.post("/admin/release", dict(form, force="1"), cookies=jar)
        check(r.status == 200 and "carol@sink.test" in r.body, f"forced release: {r}")
        self.settle()
        self.pf.flush()
        self.settle()
        carol = by_message_id(self.pf.new_since(snap, "carol"), mid)
        bob = by_message_id(self.pf.new_since(snap, "bob"), mid)
        check(len(carol) == 1 and not bob, f"carol got {len(carol)}, bob {len(bob)} copies"
              + self.diagnostics())
        check("forced" in self.events(qid), f"no forced event: {self.events(qid)}")
        check(self.daemon.store.message(qid)["status"] == "quarantined",
              "released to every recipient")

    def test_admin_list_and_report(self):
        jar, _ = self.admin()
        r = self.web.get("/admin/list?reason=virus", cookies=jar)
        check(r.status == 200 and self.ids["virus"] in r.body and self.ids["xss"] not in r.body,
              f"list by reason: {r}")
        r = self.web.get("/admin/list?status=deleted", cookies=jar)
        check(self.ids["carol"] in r.body and self.ids["xss"] not in r.body, f"by status: {r}")
        r = self.web.get("/admin/list?from=STRANGER%40unknown&rcpt=bob", cookies=jar)
        check(self.ids["xss"] in r.body and self.ids["carol"] not in r.body, f"by address: {r}")
        r = self.web.get("/admin/list", cookies=jar)
        check(re.search(r"(\d+) messages · page 1/1", r.body), f"paging line: {r}")
        check(SUBJECT_HTML in r.body and "<script" not in r.body.lower(), "list not escaped")
        r = self.web.get("/admin/list?reason=bogus", cookies=jar)
        check(r.status == 400, f"an unknown reason: {r}")
        today = time.strftime("%Y-%m-%d", time.gmtime())
        r = self.web.get(f"/admin/report?since=2020-01-01&until={today}", cookies=jar)
        check(r.status == 200 and "<svg" in r.body, f"report: {r}")
        check(r.header("Content-Security-Policy") is not None, "the report lacks the CSP")
        r = self.web.get(f"/admin/report?since={today}&until=2020-01-01", cookies=jar)
        check(r.status == 400, f"a reversed period: {r}")
        r = self.web.get("/admin/list")
        check('name="password"' in r.body and self.ids["xss"] not in r.body,
              "the list without a session")

    def second_web(self, directory, replace):
        """Another airlock-web on a free port with the daemon's config
        edited by replace (a dict of old -> new text)."""
        port = weblib.free_port()
        with open(self.daemon.config, encoding="utf-8") as f:
            text = f.read()
        for old, new in dict(replace, **{f"127.0.0.1:{self.web.port}":
                                         f"127.0.0.1:{port}"}).items():
            text = text.replace(old, new)
        config = os.path.join(directory, "airlock.conf")
        with open(config, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(config, 0o644)
        store = replace.get(self.daemon.quarantine, self.daemon.quarantine)
        return Web(self.build_dir, config, store, directory, port)

    def test_release_refused_by_mta(self):
        qid = self.quarantine("mta", ["bob@sink.test"], "refused by the MTA", "m.pdf")
        other = tempfile.mkdtemp(prefix="airlock-web-mta-")
        os.chmod(other, 0o755)
        command = [line for line in open(self.daemon.config, encoding="utf-8")
                   if line.startswith("release_command")][0].split("=", 1)[1].strip()
        web = self.second_web(other, {command: "/bin/false"})
        web.start()
        try:
            link = web.link("bob@sink.test")
            csrf = hidden(web.get(link).body, "csrf")
            r = web.post(link, {"csrf": csrf, "id": qid, "action": "release"})
            check(r.status == 502 and "refused" in r.body and "nothing was released" in r.body,
                  f"a release the MTA refused: {r}")
            check(self.daemon.store.message(qid)["status"] == "quarantined", "status changed")
            check("release-failed" in self.events(qid), f"events: {self.events(qid)}")
            r = web.get(link)
            check(f'id="m-{qid}"' in r.body and "button" in r.body, "the item cannot be retried")
        finally:
            check(web.stop() == 0, "the second airlock-web did not stop cleanly")
            shutil.rmtree(other, ignore_errors=True)

    def test_three_releases_at_once(self):
        """Two browsers and airlockctl release one message at the same
        time: one of them releases it, it is delivered once."""
        qid = self.quarantine("race", ["bob@sink.test"], "released once", "r.pdf")
        mid = "<web-race@airlock-test.example>"
        link = self.web.link("bob@sink.test")
        csrf = hidden(self.web.get(link).body, "csrf")
        results = {}
        start = threading.Barrier(3)

        def browser(n):
            start.wait()
            results[f"web {n}"] = self.web.post(
                link, {"csrf": csrf, "id": qid, "action": "release"}).status

        def cli():
            start.wait()
            results["cli"] = subprocess.run(
                [self.web.ctl, "release", "-c", self.web.config, qid], stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, timeout=300).returncode

        snap = self.pf.snapshot()
        threads = [threading.Thread(target=browser, args=(n,)) for n in (1, 2)]
        threads.append(threading.Thread(target=cli))
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        done = [who for who, status in results.items() if status in (0, 200)]
        check(len(results) == 3 and len(done) == 1, f"results {results}: expected one release")
        check(all(status in (0, 200, 1, 409) for status in results.values()), f"{results}")
        self.settle()
        self.pf.flush()
        self.settle()
        got = by_message_id(self.pf.new_since(snap, "bob"), mid)
        check(len(got) == 1, f"bob received {len(got)} copies" + self.diagnostics())

    def test_tls(self):
        other = tempfile.mkdtemp(prefix="airlock-web-tls-")
        os.chmod(other, 0o755)
        cert, key = os.path.join(other, "web.pem"), os.path.join(other, "web.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                        "2", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120)
        os.chmod(key, 0o600)  # root's only: read before the daemon drops to its user
        old = f"public_url = http://127.0.0.1:{self.web.port}"
        web = self.second_web(other, {old: f"tls_certificate = {cert}\ntls_key = {key}\n"
                                           f"public_url = https://127.0.0.1:{self.web.port}"})
        web.tls = True
        web.start()
        try:
            r = web.get(web.link("bob@sink.test"))
            check(r.status == 200 and f'id="m-{self.ids["xss"]}"' in r.body, f"over TLS: {r}")
            r, session = web.login()
            cookie = next((c for c in r.cookies() if c.startswith("al_admin=")), "")
            check(session is not None and "; Secure" in cookie, f"TLS cookie: {cookie!r}")
            plain = Web(self.build_dir, web.config, web.quarantine, other, web.port)
            try:
                r = plain.get("/")
                check(r.status != 200, f"plain HTTP answered on the TLS port: {r}")
            except (OSError, http.client.HTTPException):
                pass  # refused at the TLS layer: what is expected
        finally:
            check(web.stop() == 0, "the TLS airlock-web did not stop cleanly")
            shutil.rmtree(other, ignore_errors=True)

    def test_store_unreadable_503(self):
        other = tempfile.mkdtemp(prefix="airlock-web-broken-")
        try:
            os.chmod(other, 0o755)
            store = os.path.join(other, "quarantine")
            os.makedirs(store)
            shutil.copy(os.path.join(self.daemon.quarantine, "release.key"), store)
            with open(os.path.join(store, "airlock.db"), "wb") as f:
                f.write(b"this is not a database\n" * 200)
            for path, mode in ((store, 0o700), (os.path.join(store, "release.key"), 0o600),
                               (os.path.join(store, "airlock.db"), 0o600)):
                give_to(path, self.daemon.uid, self.daemon.gid, mode)
            web = self.second_web(other, {self.daemon.quarantine: store})
            web.start()
            try:
                r = web.get(web.link("bob@sink.test"))
                check(r.status == 503 and r.header("Retry-After"), f"a link: {r}")
                r = web.post("/admin/login", {"name": ADMIN, "password": "x"})
                check(r.status == 503, f"a login: {r}")
            finally:
                check(web.stop() == 0, "airlock-web did not stop cleanly")
        finally:
            shutil.rmtree(other, ignore_errors=True)

    def passwd(self, argv, stdin):
        proc = subprocess.run([self.web.ctl, "passwd", "-c", self.web.config] + argv,
                              input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=120)
        return proc.returncode, proc.stdout + proc.stderr

    def passwd_on_tty(self, name, first, second):
        """airlockctl passwd on a pseudo-terminal typed twice: (status, output)."""
        master, slave = pty.openpty()
        proc = subprocess.Popen([self.web.ctl, "passwd", "-c", self.web.config, name],
                                stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        out = b""
        try:
            for prompt, answer in ((b"New password:", first), (b"Again:", second)):
                deadline = time.monotonic() + 60
                while prompt not in out:
                    ready, _, _ = select.select([master], [], [], 1)
                    if ready:
                        out += os.read(master, 1024)
                    elif time.monotonic() > deadline or proc.poll() is not None:
                        raise TestFailure(f"no {prompt!r} prompt: {out!r}")
                os.write(master, answer.encode() + b"\n")
            status = proc.wait(120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        try:
            while True:
                chunk = os.read(master, 1024)
                if not chunk:
                    break
                out += chunk
        except OSError:
            pass
        os.close(master)
        return status, out.decode("utf-8", "replace")

    def test_passwd(self):
        for what, argv, stdin, want_status, want in [
                ("empty", ["x"], "\n", 1, "empty"),
                ("short", ["x"], "short\n", 1, "too short"),
                ("no name", [], "long enough pass\n", 2, "NAME"),
                ("bad name", ["a b"], "long enough pass\n", 2, "NAME"),
                ("nothing", ["x"], "", 1, "no password")]:
            status, out = self.passwd(argv, stdin)
            check(status == want_status and want in out, f"passwd {what}: {status} {out!r}")
        status, out = self.passwd_on_tty("typist", "first password 1", "other password 2")
        check(status == 1 and "differ" in out, f"two different entries: {status} {out!r}")
        check("first password" not in out, f"the password was echoed: {out!r}")
        status, out = self.passwd_on_tty("typist", "typed twice ok", "typed twice ok")
        check(status == 0 and "password set" in out, f"typed twice: {status} {out!r}")
        r, session = self.web.login("typist", "typed twice ok")
        check(session is not None, f"the account made on a terminal cannot log in: {r}")
        rows = self.daemon.store.query("SELECT name, hash FROM admins")
        check(sorted(r["name"] for r in rows) == [ADMIN, "typist"], f"admins: {rows}")
        check(all(r["hash"].startswith("$argon2id$") for r in rows),
              f"admins rows are not argon2id hashes: {rows}")
        check(not any("typed twice ok" in r["hash"] or weblib.ADMIN_PASSWORD in r["hash"]
                      for r in rows), "a password is stored in clear")

    def test_flags_and_clean_stop(self):
        proc = subprocess.run([self.web.binary, "-t", "-c", self.web.config],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=60)
        check(proc.returncode == 0 and "configuration OK" in proc.stdout,
              f"-t: {proc.returncode} {proc.stdout} {proc.stderr}")
        proc = subprocess.run([self.web.binary, "-V"], stdout=subprocess.PIPE, text=True,
                              timeout=60)
        check(proc.returncode == 0 and proc.stdout.startswith("airlock-web "), f"-V: {proc}")
        check(self.web.stop() == 0, "airlock-web did not exit 0 on SIGTERM")

    def run(self):
        tests = [self.test_own_page_lists_escaped, self.test_altered_links_refused,
                 self.test_expired_link_refused, self.test_other_recipients_item_refused,
                 self.test_post_needs_csrf, self.test_admin_cookie_and_csrf,
                 self.test_wrong_password_delayed, self.test_request_denied,
                 self.test_admin_releases_some_forced, self.test_admin_list_and_report,
                 self.test_release_refused_by_mta, self.test_three_releases_at_once,
                 self.test_passwd, self.test_tls,
                 self.test_languages,
                 self.test_store_unreadable_503, self.test_flags_and_clean_stop]
        try:
            self.setup()
        except (HarnessError, TestFailure) as e:
            self.failed += len(tests)
            print(f"FAIL setup (all {len(tests)} scenarios): {e}", flush=True)
            return
        run_scenarios(self, tests, (TestFailure, HarnessError))


def main():
    return suite_main(WebSuite, "test_web.py BUILD_DIR")


if __name__ == "__main__":
    sys.exit(main())
