#!/usr/bin/env python3
"""Milter protocol tests of airlock-milter, driven by miltertest.

    python3 tests/milter/run_miltertest.py BUILD_DIR

Starts BUILD_DIR/src/milter/airlock-milter -f with a config written into
a temporary directory (unix socket there, the repository's signatures,
no ClamAV database), runs the Lua scripts of this directory against it
with miltertest (-D socket=... and the scenario's parameters), checks each
exit status, then what the daemon stored (airlock.db rows, msg/ID.eml
files) and the hold notices it handed to its sendmail command
(tests/lib/fake_sendmail.py --record). Stops the daemon with SIGTERM and
requires a clean exit (status 0, pid file removed).

Who runs the daemon: as root (CI), airlock-milter refuses to keep root
and drops to [milter] user; the tests use "nobody", which exists
everywhere, and make the temporary directories reachable by it. That also
makes the read-only-store test real: root would ignore a 0500 directory,
nobody does not. Run by another user, the daemon simply stays that user.

Where miltertest cannot go, tests/lib/milter_client.py speaks the MTA
side of the protocol instead: every test where the filter replaces the
body (strip). miltertest 1.6 reads each end-of-message reply into a
1024-byte stack buffer without a length check and aborts ("stack smashing
detected") on any real SMFIR_REPLBODY; its Lua API cannot return the new
body either, and the notice in it is what a strip test must look at.

Messages come from tests/data/gen_corpus.py (generated into a temporary
directory) plus variants written here. Nothing is skipped: a missing
miltertest, daemon or corpus is a failure with a message.

With AIRLOCK_VALGRIND=1 in the environment the daemon runs under
valgrind memcheck (tests/lib/airlock.py): each clean_stop step then also
fails on any invalid access or definite leak valgrind reports
(suppressions: tests/valgrind.supp). .ci/run does that on the plain build.

Prints one line per test and "N passed, M failed"; exits 1 on any failure.
"""

import base64
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import messages  # noqa: E402
from airlock import VALGRIND_EXIT, Daemon, find_binary  # noqa: E402
import milter_client  # noqa: E402
import weblink  # noqa: E402
from milter_client import MilterError, MilterSession  # noqa: E402
from util import HarnessError, excerpt, is_root, require_tool, system_python  # noqa: E402

FAKE_SENDMAIL = os.path.join(os.path.dirname(HERE), "lib", "fake_sendmail.py")

OUTSIDE_IP = "198.51.100.7"  # not in internal_networks
PARTNER_IP = "203.0.113.9"
CHUNK_SIZES = "1,2,3,7,64,1000,65535"


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


class Runner:
    def __init__(self, build_dir):
        self.miltertest = require_tool("miltertest", "miltertest")
        self.binary = find_binary(build_dir)
        self.ctl = os.path.join(os.path.abspath(build_dir), "src", "ctl", "airlockctl")
        self.user = "nobody" if is_root() else None
        self.work = tempfile.mkdtemp(prefix="airlock-mt-")
        os.chmod(self.work, 0o755)
        self.daemon = None
        self.passed = 0
        self.failed = 0
        self.outn = 0

    # ---- plumbing ----

    def new_daemon(self, name, sections=None):
        import getpass
        user = self.user or getpass.getuser()
        base = {
            "origin": {"authserv_id": "mx.test.example",
                       "trusted_senders": "partner.example;lab@other.example",
                       "internal_networks": "127.0.0.0/8;::1/128"},
        }
        for section, keys in (sections or {}).items():
            base.setdefault(section, {}).update(keys)
        return Daemon(self.binary, user, base, notice="record", name=name)

    def write(self, name, data):
        path = os.path.join(self.work, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o644)
        return path

    def out_file(self):
        self.outn += 1
        path = os.path.join(self.work, f"out-{self.outn}.txt")
        if os.path.exists(path):
            os.unlink(path)
        return path

    def miltertest_run(self, script, **params):
        """Runs a Lua script; returns its stdout. A non-zero exit is a
        TestFailure quoting miltertest's output and the daemon's log."""
        argv = [self.miltertest, "-s", os.path.join(HERE, script),
                "-D", f"libdir={HERE}", "-D", f"socket={self.daemon.socket}"]
        for key, value in params.items():
            if value is not None:
                argv += ["-D", f"{key}={value}"]
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=900)
        if proc.returncode != 0:
            raise TestFailure(f"{script} exited {proc.returncode}: "
                              f"{(proc.stdout + proc.stderr).strip()}\n"
                              f"airlock-milter stderr (end):\n{excerpt(self.daemon.stderr(), 2500)}")
        return proc.stdout

    @staticmethod
    def read_out(path):
        out = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                key, _, value = line.rstrip("\n").partition("=")
                out[key] = value
        return out

    def run_test(self, name, func):
        try:
            func()
        except (TestFailure, HarnessError) as e:
            self.failed += 1
            print(f"FAIL {name}: {e}", flush=True)
        except Exception:  # a bug in the test itself still fails loudly
            self.failed += 1
            print(f"FAIL {name}: unexpected error\n{traceback.format_exc()}", flush=True)
        else:
            self.passed += 1
            print(f"ok   {name}", flush=True)

    def ids(self):
        return {row["id"] for row in self.daemon.store.messages()}

    def check_stored(self, qid, original, action, reasons, envelope_from, rcpts):
        """The store row and file of quarantined message qid."""
        store = self.daemon.store
        row = store.message(qid)
        check(row is not None, f"no messages row for id {qid}")
        check(row["status"] == "quarantined", f"status {row['status']!r}, expected quarantined")
        check(row["action"] == action, f"action {row['action']!r}, expected {action!r}")
        got = set(filter(None, (row["reasons"] or "").split(",")))
        check(set(reasons) <= got, f"reasons {row['reasons']!r} lack {sorted(set(reasons) - got)}")
        check(row["envelope_from"] == envelope_from,
              f"envelope_from {row['envelope_from']!r}, expected {envelope_from!r}")
        check(store.recipients(qid) == rcpts,
              f"recipients {store.recipients(qid)!r}, expected {rcpts!r}")
        check(row["path"] == f"msg/{qid}.eml", f"path {row['path']!r}, expected msg/{qid}.eml")
        stored = store.original(row)
        check(stored == original,
              f"stored original differs from what was sent ({len(stored)} vs {len(original)} "
              f"bytes; first difference at byte {first_diff(stored, original)})")
        check(row["size"] == len(original), f"size {row['size']}, expected {len(original)}")
        check(row["sha256"] == hashlib.sha256(original).hexdigest(), "sha256 column wrong")
        st = os.stat(os.path.join(store.dir, row["path"]))
        check(st.st_mode & 0o077 == 0, f"stored original has mode {oct(st.st_mode & 0o777)}")
        check("quarantined" in store.events(qid), f"no 'quarantined' event: {store.events(qid)}")
        return row

    # ---- scenarios, daemon with the default policy ----

    def test_config_check(self):
        status, output = self.daemon.check_config()
        check(status == 0, f"airlock-milter -t exited {status}: {output.strip()}")

    def test_accept_clean_text(self):
        before = self.ids()
        self.miltertest_run("accept.lua", msg=messages.corpus_path("clean-text.eml"),
                            client_ip=OUTSIDE_IP, **{"from": "stranger@unknown.example"})
        check(self.ids() == before, "an accepted message was stored")

    def test_accept_pdf_internal_network(self):
        self.miltertest_run("accept.lua", msg=messages.corpus_path("pdf-stranger.eml"),
                            client_ip="127.0.0.1")

    def test_accept_pdf_authenticated(self):
        self.miltertest_run("accept.lua", msg=messages.corpus_path("pdf-stranger.eml"),
                            client_ip=OUTSIDE_IP, auth="alice")

    def test_accept_trusted_sender_with_our_authres(self):
        # The MTA passed our verifier's header: a trusted sender is known.
        # (End to end, Postfix's header_checks removes such a header when
        # it comes from outside; tests/e2e checks that.)
        self.miltertest_run("accept.lua", msg=messages.corpus_path("pdf-partner-dkim.eml"),
                            client_ip=PARTNER_IP, **{"from": "sales@partner.example"})

    def client_transaction(self, data, chunk=65535, protocol=milter_client.ALL_PROTOCOL, **kw):
        """One message through milter_client (see the module comment)."""
        try:
            with MilterSession(self.daemon.socket) as session:
                session.negotiate(protocol=protocol)
                self.negotiated = session.protocol
                return session.transaction(data, chunk=chunk, **kw)
        except (OSError, MilterError) as e:
            raise TestFailure(f"milter session failed: {e}\nairlock-milter stderr (end):\n"
                              f"{excerpt(self.daemon.stderr(), 2500)}") from None

    def check_strip_result(self, result, original, filename):
        """A stripped message as the MTA would deliver it: ACCEPT, one
        X-Airlock header inserted first, the body replaced by one where the
        flagged attachment is a notice naming it and the quarantine id, the
        text part byte for byte. Returns the id."""
        check(result.reply == "accept", f"end of message answered {result.reply} "
              f"{result.reply_text or ''}, expected accept")
        inserted = result.header_mods("insheader", "X-Airlock")
        check(len(inserted) == 1 and inserted[0][1] == 0,
              f"X-Airlock insertions {inserted}, expected one at index 0")
        m = re.match(rb"^stripped; id=([0-9A-HJKMNP-TV-Z]{26})$", inserted[0][3])
        check(m is not None, f"X-Airlock: {inserted[0][3]!r}, expected 'stripped; id=<26 chars>'")
        qid = m.group(1).decode()
        check(result.new_body() is not None, "the body was not replaced")
        delivered = result.message()
        check(messages.header_values(delivered, "X-Airlock") == [f"stripped; id={qid}"],
              f"X-Airlock headers after the changes: "
              f"{messages.header_values(delivered, 'X-Airlock')}")
        text = messages.decoded_text(delivered)
        check(qid in re.sub(r"[-\s]", "", text.upper()),
              f"the new body does not name quarantine id {qid}:\n{text[:1500]}")
        check(filename in text, f"the notice does not name {filename}:\n{text[:1500]}")
        check(filename not in messages.attachment_names(delivered),
              f"{filename} is still attached: {messages.attachment_names(delivered)}")
        sent_text, new_text = messages.raw_parts(original)[0], messages.raw_parts(delivered)[0]
        check(sent_text == new_text,
              f"the text part changed:\n{sent_text!r}\nvs\n{new_text!r}")
        return qid

    def strip_case(self, name, reasons, filename):
        with open(messages.corpus_path(name), "rb") as f:
            original = f.read()
        before = self.ids()
        notices_before = len(self.daemon.recorded_notices())
        rcpts = ["bob@test.example", "carol@test.example"]
        result = self.client_transaction(original, client_ip=OUTSIDE_IP,
                                         mail_from="stranger@unknown.example",
                                         rcpts=tuple(rcpts))
        qid = self.check_strip_result(result, original, filename)
        check(self.ids() == before | {qid}, f"expected at most one new row, id {qid}")
        self.check_stored(qid, original, "strip", reasons, "stranger@unknown.example", rcpts)
        # Two recipients share the stripped message: it carries no link;
        # each is mailed their own apart.
        delivered = messages.decoded_text(result.message())
        check(not weblink.tokens_in(delivered), "a shared stripped message carries a link")
        # The same message offered again (the store's retry window) was
        # notified already: nothing is sent twice.
        notices = self.daemon.recorded_notices()[notices_before:]
        expected = [] if qid in before else [[r] for r in rcpts]
        check([meta["recipients"] for meta, _ in notices] == expected,
              f"link notices went to {[meta['recipients'] for meta, _ in notices]}, "
              f"expected {expected}")
        key = weblink.read_key(self.daemon.quarantine)
        for (meta, text), rcpt in zip(notices, rcpts):
            tokens = weblink.tokens_in(messages.decoded_text(text))
            check(tokens and all(weblink.verify(t, key) == rcpt for t in tokens),
                  f"{rcpt}'s link notice: {tokens}")

    def test_strip_pdf_unknown_origin(self):
        self.strip_case("pdf-stranger.eml", ["unknown-origin"], "report.pdf")

    def test_strip_executable(self):
        self.strip_case("pe-setup-exe.eml", ["executable"], "setup.exe")

    def test_hold_eicar(self):
        path = messages.corpus_path("eicar-attachment-stranger.eml")
        before = self.ids()
        notices_before = len(self.daemon.recorded_notices())
        self.miltertest_run("hold.lua", msg=path, client_ip=OUTSIDE_IP,
                            rcpts="bob@test.example,carol@test.example",
                            **{"from": "stranger@unknown.example"})
        new = self.ids() - before
        check(len(new) == 1, f"expected one new store row, got {sorted(new)}")
        qid = new.pop()
        with open(path, "rb") as f:
            original = f.read()
        self.check_stored(qid, original, "hold", ["virus"], "stranger@unknown.example",
                          ["bob@test.example", "carol@test.example"])
        # One notice per recipient, each with that recipient's own link
        # (a link opens every item of its recipient: never a shared mail).
        notices = self.daemon.recorded_notices()[notices_before:]
        check(len(notices) == 2, f"expected one hold notice per recipient, got {len(notices)}")
        key = weblink.read_key(self.daemon.quarantine)
        for (meta, text), rcpt in zip(notices, ["bob@test.example", "carol@test.example"]):
            check(meta["sender"] == "", f"notice sender {meta['sender']!r}, expected '' (<>)")
            check(meta["recipients"] == [rcpt], f"notice recipients {meta['recipients']}")
            decoded = messages.decoded_text(text)
            check(qid in re.sub(r"[-\s]", "", decoded.upper()),
                  f"the notice does not name quarantine id {qid}:\n{decoded[:1500]}")
            check(messages.eicar() not in text and
                  base64.b64encode(messages.eicar())[:60] not in text,
                  "the notice carries the virus")
            tokens = weblink.tokens_in(decoded)
            check(len(tokens) == 2, f"expected the link in fr and en, got {tokens}")
            check(all(weblink.verify(t, key) == rcpt for t in tokens),
                  f"the link in {rcpt}'s notice does not open {rcpt}'s page: {tokens}")
        check(self.daemon.store.events(qid).count("notified") == 1,
              f"expected one 'notified' event: {self.daemon.store.events(qid)}")

    def test_forged_headers_removed(self):
        msg = messages.add_headers_top(messages.corpus("clean-text.eml"), [
            b"X-Airlock: clean", b"X-Airlock-Release: v1; id=01J00000000000000000000000; "
            b"t=1700000000; mac=00", b"X-Airlock: stripped; id=01J00000000000000000000000"])
        path = self.write("forged-clean.eml", msg)
        self.miltertest_run("forged.lua", msg=path, client_ip=OUTSIDE_IP, forged=2, release=1,
                            expect="clean")
        # the same on a stripped message (milter_client: see the module comment)
        original = messages.add_headers_top(messages.corpus("pdf-stranger.eml"),
                                            [b"X-Airlock: clean", b"X-Airlock: clean"])
        result = self.client_transaction(original, client_ip=OUTSIDE_IP)
        deleted = [(m[1], m[3]) for m in result.header_mods("chgheader", "X-Airlock")]
        check(sorted(deleted) == [(1, b""), (2, b"")],
              f"X-Airlock changes {deleted}, expected both forged ones deleted")
        self.check_strip_result(result, original, "report.pdf")

    def test_valid_release_header_passes_once(self):
        # A stripped message, released by airlockctl into the recorder: the
        # signed copy is then offered to the milter as the MTA would.
        original = messages.corpus("pdf-stranger.eml")
        qid = self.check_strip_result(self.client_transaction(original, client_ip=OUTSIDE_IP),
                                      original, "report.pdf")
        self.daemon.set("quarantine", "release_command",
                        f"{system_python()} {FAKE_SENDMAIL} --record {self.daemon.notices}")
        before = len(self.daemon.recorded_notices())
        proc = subprocess.run([self.ctl, "release", "-c", self.daemon.config, qid],
                              capture_output=True, text=True, timeout=300)
        check(proc.returncode == 0, f"airlockctl release: {proc.returncode} {proc.stderr}")
        recorded = self.daemon.recorded_notices()
        check(len(recorded) == before + 1, "airlockctl release recorded nothing")
        signed = re.sub(rb"\r?\n", b"\r\n", recorded[-1][1])
        check(len(messages.header_values(signed, "X-Airlock-Release")) == 1, "no release header")
        result = self.client_transaction(signed, client_ip=OUTSIDE_IP)
        check(result.reply == "accept" and result.new_body() is None,
              f"the released message got {result.reply}, body replaced: "
              f"{result.new_body() is not None}")
        inserted = [m[3] for m in result.header_mods("insheader", "X-Airlock")]
        check(inserted == [f"released; id={qid}".encode()], f"X-Airlock insertions {inserted}")
        removed = result.header_mods("chgheader", "X-Airlock-Release")
        check(len(removed) == 1, f"the release header was not removed: {removed}")
        check(self.daemon.store.events(qid)[-1] == "delivered",
              f"events {self.daemon.store.events(qid)}")
        # The same header again is a replay: judged like any other mail.
        again = self.client_transaction(signed, client_ip=OUTSIDE_IP)
        self.check_strip_result(again, signed, "report.pdf")

    def test_big_messages_wait_their_turn(self):
        # max_concurrent_size = 1M, max_jobs = 2: six messages of 0.3 to 2 MB
        # at once are judged two at a time at most (the 2 MB one alone);
        # every one is answered.
        results = {}

        def send(n, size):
            data = messages.numbered(messages.corpus("clean-text.eml"), n, "big")
            data = data.rstrip(b"\r\n") + b"\r\n" + (b"x" * 76 + b"\r\n") * (size // 78)
            results[n] = self.client_transaction(data, client_ip="127.0.0.1").reply

        threads = [threading.Thread(target=send, args=(n, size)) for n, size in
                   enumerate((300_000, 600_000, 2_000_000, 400_000, 900_000, 300_000))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        check(sorted(results) == list(range(6)) and set(results.values()) == {"accept"},
              f"answers {results}")

    def test_log_escapes_control_characters(self):
        # The envelope sender and the queue id come from the SMTP client and
        # the MTA: a CR LF in them must not start a forged log line.
        forged = "airlock-milter: FORGED: action=accept"
        with open(messages.corpus_path("pdf-stranger.eml"), "rb") as f:
            original = f.read()
        mark = len(self.daemon.stderr())
        result = self.client_transaction(original, client_ip=OUTSIDE_IP,
                                         mail_from=f"evil@x.example\r\n{forged}\x1b[2J",
                                         queue_id=f"Q1\n{forged}")
        check(result.reply == "accept", f"answered {result.reply}")
        log = self.daemon.stderr()[mark:]
        lines = [ln for ln in log.splitlines() if "action=strip" in ln]
        check(len(lines) == 1, f"expected one verdict line, got:\n{log}")
        check(not any(ln.startswith(forged) or "\x1b" in ln for ln in log.splitlines()),
              f"control characters from mail reached the log:\n{log!r}")
        check("Q1\\x0aairlock-milter: FORGED" in lines[0] and
              "evil@x.example\\x0d\\x0a" in lines[0] and "\\x1b[2J" in lines[0],
              f"the verdict line does not show the escaped values: {lines[0]!r}")

    def test_tempfail_when_store_is_read_only(self):
        msgdir = os.path.join(self.daemon.quarantine, "msg")
        check(os.path.isdir(msgdir), f"{msgdir} does not exist after quarantines")
        before_ids, before_files = self.ids(), self.daemon.store.files()
        os.chmod(msgdir, 0o500)
        try:
            self.miltertest_run("reply.lua", msg=messages.corpus_path("pdf-stranger.eml"),
                                client_ip=OUTSIDE_IP, code="451", xcode="4.7.1",
                                text="Airlock could not check this message, try again later")
        finally:
            os.chmod(msgdir, 0o700)
        check(self.ids() == before_ids, "a row was stored although the file could not be")
        check(self.daemon.store.files() == before_files, "a stray file was left in msg/")
        check("tempfail" in self.daemon.stderr(), "the daemon did not log the tempfail")
        # and the same message goes through again once the store is writable
        self.strip_case("pdf-stranger.eml", ["unknown-origin"], "report.pdf")

    def test_headers_and_body_stream_without_answers(self):
        # Offered the "no reply" steps (Postfix offers them all), the filter
        # takes them for headers, end of headers and body, so the MTA
        # streams the message; it keeps answering connect, HELO, MAIL and
        # RCPT, which it may refuse. An MTA that cannot skip answers still
        # gets one per step, and the same verdict.
        mc = milter_client
        streamed = mc.SMFIP_NR_HDR | mc.SMFIP_NR_EOH | mc.SMFIP_NR_BODY
        answered = mc.SMFIP_NR_CONN | mc.SMFIP_NR_HELO | mc.SMFIP_NR_MAIL | mc.SMFIP_NR_RCPT
        with open(messages.corpus_path("pdf-stranger.eml"), "rb") as f:
            original = f.read()
        for offered in (mc.ALL_PROTOCOL, mc.ALL_PROTOCOL & ~(streamed | answered)):
            result = self.client_transaction(original, chunk=4096, protocol=offered,
                                             client_ip=OUTSIDE_IP)
            check(self.negotiated & streamed == offered & streamed,
                  f"offered {offered:#x}: negotiated {self.negotiated:#x}, expected no "
                  f"answers to headers, end of headers and body exactly when offered")
            check(self.negotiated & answered == 0,
                  f"negotiated {self.negotiated:#x}: the filter must answer connect, HELO, "
                  f"MAIL and RCPT")
            self.check_strip_result(result, original, "report.pdf")

    def test_chunked_bodies(self):
        nsizes = len(CHUNK_SIZES.split(","))
        # miltertest: the verdicts without a new body
        for name, expect, action in (("clean-text.eml", "SMFIR_ACCEPT/clean/body-kept", None),
                                     ("eicar-attachment-stranger.eml",
                                      "SMFIR_DISCARD/-/body-kept", "hold")):
            path = messages.corpus_path(name)
            with open(path, "rb") as f:
                original = f.read()
            before = self.stored_sends(original)
            self.miltertest_run("chunked.lua", msg=path, expect=expect, sizes=CHUNK_SIZES,
                                out=self.out_file(), client_ip=OUTSIDE_IP)
            self.check_stored_once(name, original, action, nsizes, before)
        # milter_client: the stripped ones, new bodies compared too
        for name, filename in (("pdf-stranger.eml", "report.pdf"),
                               ("pe-setup-exe.eml", "setup.exe")):
            with open(messages.corpus_path(name), "rb") as f:
                original = f.read()
            new, bodies = set(), set()
            before = self.stored_sends(original)
            for size in CHUNK_SIZES.split(","):
                result = self.client_transaction(original, chunk=int(size),
                                                 client_ip=OUTSIDE_IP)
                try:
                    qid = self.check_strip_result(result, original, filename)
                except TestFailure as e:
                    raise TestFailure(f"{name} in chunks of {size} bytes: {e}") from None
                new.add(qid)
                bodies.add(self.without_link(result.new_body().replace(qid.encode(), b"ID")))
            check(len(new) == 1, f"{name}: {len(new)} quarantine ids for {nsizes} sends of "
                  f"the same bytes (the store keeps them once, whatever the chunks)")
            check(len(bodies) == 1, f"{name}: the new body depends on the chunk size "
                  f"({len(bodies)} variants, ids aside)")
            self.check_copies(name, new, original, "strip")
            self.check_stored_once(name, original, "strip", nsizes, before)

    @staticmethod
    def without_link(body):
        """body with the recipient's link masked: its expiry is counted
        from the second the notice was written, so two sends of the same
        bytes may differ there and nowhere else. Quoted-printable soft
        line breaks are joined first (they may cut the link)."""
        joined = re.sub(rb"=\r?\n", b"", body)
        return re.sub(rb"/r/[A-Za-z0-9_-]+\.[0-9]+\.[A-Za-z0-9_-]+", b"/r/LINK", joined)

    def stored_sends(self, original):
        """{id: sends recorded} for the stored messages with these bytes:
        the "quarantined" event and each "received-again"."""
        rows = self.daemon.store.query("SELECT id FROM messages WHERE sha256 = ?",
                                       [hashlib.sha256(original).hexdigest()])
        return {r["id"]: sum(e in ("quarantined", "received-again")
                             for e in self.daemon.store.events(r["id"])) for r in rows}

    def check_stored_once(self, name, original, action, sends, before):
        """The same bytes sent in every chunk size went to one stored
        message (to none when action is None): a chunk size that changed
        a byte would have made a row of its own."""
        after = self.stored_sends(original)
        gained = {qid: n - before.get(qid, 0) for qid, n in after.items()
                  if n != before.get(qid, 0)}
        expected = sends if action else 0
        check(sum(gained.values()) == expected and len(gained) == (1 if action else 0),
              f"{name}: {sends} sends recorded as {gained}, expected all {expected} on one row")
        if action:
            self.check_copies(name, set(gained), original, action)

    def check_copies(self, name, ids, original, action):
        """Every stored copy of a chunked message equals the file."""
        for qid in ids:
            row = self.daemon.store.message(qid)
            check(row is not None and row["action"] == action,
                  f"{name}: row {qid}: {row and row['action']}, expected {action}")
            stored = self.daemon.store.original(row)
            check(stored == original, f"{name}: stored copy {qid} differs from the file "
                  f"at byte {first_diff(stored, original)}")

    # ---- scenarios, daemon with action_virus = reject ----

    def test_reject_virus(self):
        self.miltertest_run("reply.lua", msg=messages.corpus_path("eicar-attachment-stranger.eml"),
                            client_ip="127.0.0.1", code="550", xcode="5.7.1",
                            text="Message refused by Airlock: virus")
        check(not self.daemon.recorded_notices(), "a hold notice was sent for a rejected message")
        # the other reasons keep their default action
        self.strip_case("pdf-stranger.eml", ["unknown-origin"], "report.pdf")

    # ---- main ----

    def with_daemon(self, name, sections, tests):
        self.daemon = self.new_daemon(name, sections)
        try:
            self.daemon.start()
        except HarnessError as e:
            for test in tests:
                self.failed += 1
                print(f"FAIL {name}/{test.__name__[5:]}: daemon did not start: {e}", flush=True)
            self.daemon.cleanup()
            return
        try:
            for test in tests:
                self.run_test(f"{name}/{test.__name__[5:]}", test)
        finally:
            self.run_test(f"{name}/clean_stop", self.stop_daemon)
            self.daemon.cleanup()

    def stop_daemon(self):
        status = self.daemon.stop()
        if self.daemon.valgrind:
            report = self.daemon.valgrind_report()
            check(status != VALGRIND_EXIT and "ERROR SUMMARY: 0 errors" in report,
                  f"valgrind memcheck found errors or definite leaks (exit {status}):\n"
                  f"{excerpt(report, 12000)}")
        check(status == 0, f"airlock-milter exited {status} after SIGTERM:\n"
              f"{excerpt(self.daemon.stderr(), 2500)}")
        log = self.daemon.stderr()
        for bad in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
            check(bad not in log, f"the daemon's stderr reports '{bad}':\n{excerpt(log)}")

    def run(self):
        messages.corpus_dir()
        self.with_daemon("default", None, [
            self.test_config_check,
            self.test_accept_clean_text,
            self.test_accept_pdf_internal_network,
            self.test_accept_pdf_authenticated,
            self.test_accept_trusted_sender_with_our_authres,
            self.test_strip_pdf_unknown_origin,
            self.test_strip_executable,
            self.test_hold_eicar,
            self.test_forged_headers_removed,
            self.test_log_escapes_control_characters,
            self.test_valid_release_header_passes_once,
            self.test_tempfail_when_store_is_read_only,
            self.test_headers_and_body_stream_without_answers,
            self.test_chunked_bodies,
        ])
        self.with_daemon("budget", {"limits": {"max_concurrent_size": "1M"},
                                    "milter": {"max_jobs": "2"}}, [
            self.test_big_messages_wait_their_turn,
        ])
        self.with_daemon("reject", {"policy": {"action_virus": "reject"}}, [
            self.test_config_check,
            self.test_reject_virus,
        ])

    def cleanup(self):
        if self.daemon is not None:
            self.daemon.cleanup()
        if not os.environ.get("AIRLOCK_TEST_KEEP"):
            shutil.rmtree(self.work, ignore_errors=True)


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def main():
    if len(sys.argv) != 2:
        print("usage: run_miltertest.py BUILD_DIR", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        runner = Runner(sys.argv[1])
    except HarnessError as e:
        print(f"FAIL setup: {e}\n0 passed, 1 failed", flush=True)
        return 1
    try:
        runner.run()
    except HarnessError as e:
        runner.failed += 1
        print(f"FAIL setup: {e}", flush=True)
    finally:
        runner.cleanup()
    print(f"{runner.passed} passed, {runner.failed} failed", flush=True)
    return 0 if runner.failed == 0 and runner.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
