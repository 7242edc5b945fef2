#!/usr/bin/env python3
"""End-to-end tests: airlock-milter behind a real, private Sendmail.

    python3 tests/e2e/test_sendmail.py BUILD_DIR        (as root)

Debian's Sendmail (sendmail-bin, sendmail-base, sendmail-cf) is unpacked
into BUILD_DIR/sendmail/root, not installed (it conflicts with Postfix;
see tests/lib/sendmail.py). The Sendmail MTA listens on 127.0.0.1 with
the milter lines of conf/sendmail.mc (F=T, its timeouts and macros) and
relays everything to a private Postfix without milters, whose virtual
agent writes one Maildir per sink.test recipient. airlock-milter runs as
airlock-test (group postfix) with its socket under /run: Sendmail
refuses a socket below a world-writable directory such as /tmp. Hold
notices and releases go through Sendmail's own submission program
(submit.cf, FEATURE(msp)), which hands them over SMTP to the MTA and so
through the milter again. The test runs in a UTS namespace of its own
with a fully qualified host name (use_private_hostname()).

Scenarios: clean mail accepted (X-Airlock: clean, body unchanged); a PDF
from an unknown sender stripped (the delivered bytes: notice, no PDF,
text part unchanged; the store row); EICAR held (only the notice
arrives); with the milter stopped Sendmail answers 4xx (F=T) and
delivers nothing; airlockctl release of the stripped message re-injected
through Sendmail, delivered once with its original body. Prints one line
per scenario and "N passed, M failed".
"""

import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import messages  # noqa: E402
from airlock import Daemon, find_binary  # noqa: E402
from postfix import Postfix  # noqa: E402
from sendmail import Sendmail, sendmail_root, smtp_send, use_private_hostname  # noqa: E402
from util import (HarnessError, ensure_system_user, excerpt, is_root,  # noqa: E402
                  run_scenarios, suite_main, wait_for)

DAEMON_USER = "airlock-test"
HOSTNAME = "mta.airlock-test.example"
SENDER = "stranger@unknown.example"
ID_RE = re.compile(r"^stripped; id=([0-9A-HJKMNP-TV-Z]{26})$")


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def body_of(data):
    return messages.split(messages.lf(data))[1]


def by_message_id(msgs, mid):
    return [m for m in msgs if messages.header_values(m, "Message-ID") == [mid]]


class SendmailSuite:
    def __init__(self, build_dir):
        if not is_root():
            raise HarnessError("the Sendmail tests need root (a private Sendmail daemon, "
                               f"the {DAEMON_USER} user): run them as root")
        self.build_dir = os.path.abspath(build_dir)
        self.binary = find_binary(build_dir)
        self.ctl = os.path.join(self.build_dir, "src", "ctl", "airlockctl")
        ensure_system_user(DAEMON_USER, "postfix")
        self.root = sendmail_root(os.path.join(self.build_dir, "sendmail"))
        messages.corpus_dir()
        self.passed = 0
        self.failed = 0
        self.run_parent = None
        self.daemon = self.sink = self.sm = None

    def setup(self):
        # Root-owned and 0755 all the way up: Sendmail checks the socket's path.
        self.run_parent = tempfile.mkdtemp(prefix="airlock-sendmail-test-", dir="/run")
        os.chmod(self.run_parent, 0o755)
        self.daemon = Daemon(self.binary, DAEMON_USER, {
            "origin": {"internal_networks": "10.99.0.0/16"},
        }, name="sendmail", parent=self.run_parent)
        self.sink = Postfix(name="sink")
        self.sm = Sendmail(self.root, self.daemon.socket, self.sink.port, DAEMON_USER)
        self.daemon.set("notice", "command", self.sm.submit_command())
        self.daemon.set("quarantine", "release_command", self.sm.submit_command())
        self.sink.start()
        self.daemon.start()
        self.sm.start()

    def teardown(self):
        for what in (self.sm, self.sink, self.daemon):
            if what is not None:
                try:
                    what.cleanup()
                except HarnessError as e:
                    print(f"warning: {e}", flush=True)
        if self.run_parent and not os.environ.get("AIRLOCK_TEST_KEEP"):
            try:
                os.rmdir(self.run_parent)
            except OSError as e:
                print(f"warning: {self.run_parent}: {e}", flush=True)

    # ---- helpers ----

    def diagnostics(self):
        return (f"\n--- sendmail traffic (end) ---\n{excerpt(self.sm.log(), 3000)}"
                f"\n--- sink maillog (end) ---\n{excerpt(self.sink.log(), 1500)}"
                f"\n--- airlock-milter stderr (end) ---\n{excerpt(self.daemon.stderr(), 2000)}")

    def send_ok(self, data, rcpts):
        code, text = smtp_send(self.sm.port, data, SENDER, rcpts)
        check(code == 250, f"Sendmail answered {code} {text}" + self.diagnostics())

    def settle(self):
        try:
            self.sm.wait_until_queue_empty(120)
            self.sink.wait_until_queue_empty(120)
        except HarnessError as e:
            raise TestFailure(str(e) + self.diagnostics()) from None

    def one_delivered(self, snap, mailbox, mid):
        new = self.sink.new_since(snap, mailbox)
        got = by_message_id(new, mid)
        check(len(got) == 1, f"{mailbox}@sink.test received {len(got)} copies of {mid} "
              f"({len(new)} new messages)" + self.diagnostics())
        return got[0]

    def new_row(self, before):
        new = [r for r in self.daemon.store.messages() if r["id"] not in before]
        check(len(new) == 1, f"expected one new store row, got {len(new)}" + self.diagnostics())
        return new[0]

    def airlockctl(self, *args):
        proc = subprocess.run([self.ctl, args[0], "-c", self.daemon.config, *args[1:]],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=300)
        return proc.returncode, proc.stdout + proc.stderr

    # ---- scenarios ----

    def test_clean_mail_accepted(self):
        sent = messages.numbered(messages.corpus("clean-text.eml"), 1, "sm-clean")
        snap, before = self.sink.snapshot(), self.daemon.store.messages()
        self.send_ok(sent, ["bob@sink.test"])
        self.settle()
        got = self.one_delivered(snap, "bob", "<sm-clean-1@airlock-test.example>")
        check(messages.header_values(got, "X-Airlock") == ["clean"],
              f"X-Airlock headers: {messages.header_values(got, 'X-Airlock')}")
        check(body_of(got) == body_of(sent), "the body of a clean message was changed")
        check(self.daemon.store.messages() == before, "a clean message was stored")

    def test_unknown_origin_pdf_stripped(self):
        sent = messages.numbered(messages.corpus("pdf-stranger.eml"), 1, "sm-strip")
        snap, before = self.sink.snapshot(), {r["id"] for r in self.daemon.store.messages()}
        self.send_ok(sent, ["bob@sink.test"])
        self.settle()
        got = self.one_delivered(snap, "bob", "<sm-strip-1@airlock-test.example>")
        values = messages.header_values(got, "X-Airlock")
        check(len(values) == 1 and ID_RE.match(values[0]), f"X-Airlock headers: {values}")
        qid = ID_RE.match(values[0]).group(1)
        text = messages.decoded_text(got)
        check(qid in re.sub(r"[-\s]", "", text.upper()) and "report.pdf" in text,
              f"the notice does not name {qid} and report.pdf:\n{text[:1500]}")
        check("report.pdf" not in messages.attachment_names(got),
              f"report.pdf is still attached: {messages.attachment_names(got)}")
        pdf_b64 = messages.raw_parts(sent)[1].split(b"\n\n", 1)[1][:60]
        check(len(pdf_b64) == 60 and pdf_b64 not in messages.lf(got), "the PDF was delivered")
        check(messages.lf(messages.raw_parts(sent)[0]) == messages.raw_parts(got)[0],
              "the text part was not delivered byte for byte")
        row = self.new_row(before)
        check(row["id"] == qid and row["action"] == "strip" and row["status"] == "quarantined",
              f"store row {row['id']} {row['action']} {row['status']}")
        check(row["envelope_from"] == SENDER, f"envelope_from {row['envelope_from']!r}")
        check(row["queue_id"], f"no Sendmail queue id recorded: {row['queue_id']!r}")
        check(body_of(self.daemon.store.original(row)) == body_of(sent),
              "the stored original is not the message sent")
        self.stripped = (qid, sent)

    def test_eicar_held_notice_only(self):
        sent = messages.numbered(messages.corpus("eicar-attachment-stranger.eml"), 1, "sm-hold")
        mid = "<sm-hold-1@airlock-test.example>"
        snap, before = self.sink.snapshot(), {r["id"] for r in self.daemon.store.messages()}
        self.send_ok(sent, ["bob@sink.test", "carol@sink.test"])
        self.settle()
        row = self.new_row(before)
        check(row["action"] == "hold" and "virus" in row["reasons"],
              f"store row: action {row['action']} reasons {row['reasons']}")
        for box in ("bob", "carol"):
            got = self.sink.new_since(snap, box)
            check(not by_message_id(got, mid), f"the held message reached {box}")
            check(len(got) == 1, f"{box} received {len(got)} messages, expected one notice"
                  + self.diagnostics())
            check(messages.eicar() not in messages.lf(got[0]), f"the notice to {box} carries EICAR")
            text = messages.decoded_text(got[0])
            check(row["id"] in re.sub(r"[-\s]", "", text.upper()),
                  f"the notice to {box} does not name {row['id']}")
        check("notified" in self.daemon.store.events(row["id"]),
              f"events {self.daemon.store.events(row['id'])}: no 'notified'")

    def test_milter_down_is_4xx(self):
        sent = messages.numbered(messages.corpus("clean-text.eml"), 1, "sm-down")
        snap = self.sink.snapshot()
        status = self.daemon.stop()
        check(status == 0, f"airlock-milter exited {status} on SIGTERM")
        try:
            code, text = smtp_send(self.sm.port, sent, SENDER, ["bob@sink.test"])
            check(400 <= code < 500, f"with the milter down Sendmail answered {code} {text}")
            check(not self.sm.queued(), f"Sendmail queued mail: {self.sm.queued()}")
        finally:
            self.daemon.start()
        code, text = smtp_send(self.sm.port, sent, SENDER, ["bob@sink.test"])
        check(code == 250, f"after the restart Sendmail answered {code} {text}"
              + self.diagnostics())
        self.settle()
        got = self.one_delivered(snap, "bob", "<sm-down-1@airlock-test.example>")
        check(messages.header_values(got, "X-Airlock") == ["clean"], "not judged after restart")

    def test_release_reinjected_through_sendmail(self):
        check(getattr(self, "stripped", None), "no stripped message to release (strip failed)")
        qid, sent = self.stripped
        snap = self.sink.snapshot()
        code, out = self.airlockctl("release", qid)
        check(code == 0, f"airlockctl release {qid} exited {code}: {out}" + self.diagnostics())
        self.settle()
        got = self.one_delivered(snap, "bob", "<sm-strip-1@airlock-test.example>")
        check(messages.header_values(got, "X-Airlock") == [f"released; id={qid}"],
              f"X-Airlock headers: {messages.header_values(got, 'X-Airlock')}"
              + self.diagnostics())
        check(messages.header_values(got, "X-Airlock-Release") == [],
              "the release header was delivered")
        check(body_of(got) == body_of(messages.lf(sent)),
              "the released body is not the original, byte for byte")
        wait_for(lambda: self.daemon.store.message(qid)["status"] == "released", 30,
                 what=f"{qid} to be marked released")
        events = self.daemon.store.events(qid)
        check("released" in events and "delivered" in events, f"events {events}")

    def run(self):
        tests = [self.test_clean_mail_accepted, self.test_unknown_origin_pdf_stripped,
                 self.test_eicar_held_notice_only, self.test_milter_down_is_4xx,
                 self.test_release_reinjected_through_sendmail]
        try:
            self.setup()
        except (HarnessError, TestFailure) as e:
            self.failed += len(tests)
            print(f"FAIL setup (all {len(tests)} scenarios): {e}", flush=True)
            return
        run_scenarios(self, tests, (TestFailure, HarnessError))


def main():
    use_private_hostname(HOSTNAME)
    return suite_main(SendmailSuite, "test_sendmail.py BUILD_DIR")


if __name__ == "__main__":
    sys.exit(main())
