#!/usr/bin/env python3
"""End-to-end tests: airlock-milter behind a real, private Postfix.

    python3 tests/e2e/test_e2e.py BUILD_DIR        (as root)

Builds, in temporary directories, a Postfix instance on 127.0.0.1 (its
own port; see tests/lib/postfix.py) whose smtpd_milters and
non_smtpd_milters are BUILD_DIR/src/milter/airlock-milter, run as the
system user airlock-test (created if missing: useradd --system -g
postfix, so that smtpd, in group postfix, can open the 0660 socket the
daemon chowns to its user). Mail for sink.test is delivered into one
Maildir per recipient. Then sends messages over SMTP and checks what was
delivered, what the quarantine store holds, and what the queues hold.

The daemon's config: internal_networks = 10.99.0.0/16, so that this test
client on 127.0.0.1 is an outside sender (unknown origin); authserv_id =
mx.test.example with trusted_senders = partner.example, and Postfix's
header_checks drops every incoming Authentication-Results header carrying
mx.test.example (as conf/postfix-header_checks tells admins to). Hold
notices go through tests/lib/fake_sendmail.py --smtp into the same
Postfix (the daemon cannot use sendmail -C DIR once it dropped root: see
fake_sendmail.py).

Scenarios: clean mail; a PDF from an unknown sender stripped; EICAR held
(notice only); a forged Authentication-Results with our authserv-id
dropped by Postfix; mail sent while the daemon is down deferred at the
sending MTA and delivered after a restart and a flush; a SIGHUP every
10 messages of a burst of 200, each reloading (and only the main thread
able to take SIGHUP, SIGTERM and SIGINT). Prints one line per scenario
and "N passed, M failed"; exits 1 on any failure. Nothing is skipped:
without root, postfix or the daemon, the run fails and says why.
"""

import base64
import hashlib
import os
import re
import signal
import sys
import threading
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import messages  # noqa: E402
from airlock import Daemon, find_binary  # noqa: E402
from postfix import Postfix  # noqa: E402
from util import (HarnessError, ensure_system_user, excerpt, free_port,  # noqa: E402
                  is_root, require_tool, suite_main, wait_for)

DAEMON_USER = "airlock-test"
AUTHSERV_ID = "mx.test.example"
BURST = 200
BURST_THREADS = 8
BURST_STEP = 10  # messages between two SIGHUPs
ID_RE = re.compile(r"^stripped; id=([0-9A-HJKMNP-TV-Z]{26})$")


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def by_message_id(msgs, mid):
    return [m for m in msgs if messages.header_values(m, "Message-ID") == [mid]]


def body_of(data):
    return messages.split(messages.lf(data))[1]


class E2E:
    def __init__(self, build_dir):
        if not is_root():
            raise HarnessError("the end-to-end tests need root (a private Postfix instance, "
                               f"the {DAEMON_USER} user): run them as root")
        require_tool("postfix", "postfix")
        self.binary = find_binary(build_dir)
        ensure_system_user(DAEMON_USER, "postfix")
        messages.corpus_dir()
        self.passed = 0
        self.failed = 0
        self.pf = None
        self.relay = None
        self.daemon = None

    # ---- set-up ----

    def setup(self):
        port = free_port()
        # max_jobs = 1: a hold notice goes back through Postfix and this
        # milter while its message is being answered; it must not wait for
        # the only job (a deadlock until the MTA's timeout, seen once).
        self.daemon = Daemon(self.binary, DAEMON_USER, {
            "milter": {"max_jobs": "1"},
            "origin": {"authserv_id": AUTHSERV_ID,
                       "trusted_senders": "partner.example;lab@other.example",
                       "internal_networks": "10.99.0.0/16"},
        }, notice=f"127.0.0.1:{port}", name="e2e")
        self.pf = Postfix(milter_socket=self.daemon.socket, authserv_id=AUTHSERV_ID, name="mx",
                          port=port)
        self.daemon.start()
        st = os.stat(self.daemon.socket)
        check(st.st_mode & 0o777 == 0o660, f"socket mode {oct(st.st_mode & 0o777)}, expected 0660")
        self.pf.start()

    def teardown(self):
        for what in (self.relay, self.pf):
            if what is not None:
                try:
                    what.cleanup()
                except HarnessError as e:
                    print(f"warning: {e}", flush=True)
        if self.daemon is not None:
            self.daemon.cleanup()

    # ---- helpers ----

    def diagnostics(self):
        return (f"\n--- maillog (end) ---\n{excerpt(self.pf.log(), 3000)}"
                f"\n--- airlock-milter stderr (end) ---\n{excerpt(self.daemon.stderr(), 3000)}")

    def send_ok(self, data, mail_from, rcpts, **kw):
        code, text = self.pf.send(data, mail_from, rcpts, **kw)
        check(code == 250, f"the MTA answered {code} {text} to a message from {mail_from}"
              + self.diagnostics())

    def settle(self, timeout=120):
        try:
            self.pf.wait_until_queue_empty(timeout)
        except HarnessError as e:
            raise TestFailure(str(e) + self.diagnostics()) from None

    def one_delivered(self, snap, mailbox, mid):
        new = self.pf.new_since(snap, mailbox)
        got = by_message_id(new, mid)
        check(len(got) == 1, f"{mailbox}@sink.test received {len(got)} copies of {mid} "
              f"({len(new)} new messages)" + self.diagnostics())
        return got[0]

    def check_signal_masks(self):
        """SIGHUP, SIGTERM and SIGINT can reach only the daemon's main
        thread (reload, stop after the messages in flight): every other
        thread blocks them, libmilter's own signal thread included, which
        would stop the milter on a SIGHUP (src/milter/sigwait.c)."""
        wanted = {signal.SIGHUP, signal.SIGTERM, signal.SIGINT}
        pid = self.daemon.proc.pid
        tasks = os.listdir(f"/proc/{pid}/task")
        check(len(tasks) > 2, f"airlock-milter runs {len(tasks)} threads")
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/status", encoding="ascii") as f:
                    fields = dict(line.split(":", 1) for line in f if ":" in line)
            except FileNotFoundError:
                continue  # a thread that just ended
            blocked = int(fields["SigBlk"], 16)
            open_ones = {s.name for s in wanted if not blocked & (1 << (s - 1))}
            if int(tid) == pid:
                check(len(open_ones) == len(wanted), "the main thread blocks "
                      f"{sorted({s.name for s in wanted} - open_ones)}")
            else:
                check(not open_ones, f"thread {tid} ({fields['Name'].strip()}) can take "
                      f"{sorted(open_ones)}: a SIGHUP there would not reload")

    def stripped_id(self, delivered):
        values = messages.header_values(delivered, "X-Airlock")
        check(len(values) == 1, f"X-Airlock headers delivered: {values}")
        m = ID_RE.match(values[0])
        check(m is not None, f"X-Airlock: {values[0]!r}, expected 'stripped; id=<26 chars>'")
        return m.group(1)

    def check_row(self, qid, sent, action, reasons, envelope_from, rcpts):
        store = self.daemon.store
        row = store.message(qid)
        check(row is not None, f"no store row for id {qid}")
        check(row["status"] == "quarantined", f"status {row['status']!r}")
        check(row["action"] == action, f"action {row['action']!r}, expected {action!r}")
        got = set(filter(None, (row["reasons"] or "").split(",")))
        check(set(reasons) <= got, f"reasons {row['reasons']!r} lack {set(reasons) - got}")
        check(row["envelope_from"] == envelope_from, f"envelope_from {row['envelope_from']!r}")
        check(store.recipients(qid) == rcpts, f"recipients {store.recipients(qid)}, want {rcpts}")
        stored = store.original(row)
        check(row["sha256"] == hashlib.sha256(stored).hexdigest() and row["size"] == len(stored),
              "size/sha256 columns do not describe the stored file")
        # What the milter saw is what was sent: the same body, the same
        # header fields (Postfix's own Received header is not shown to
        # milters, but allow one on top in case it is).
        check(body_of(stored) == body_of(sent),
              f"stored body differs from the sent one ({len(body_of(stored))} vs "
              f"{len(body_of(sent))} bytes)")
        sent_fields = messages.header_fields(sent)
        stored_fields = messages.header_fields(stored)
        while len(stored_fields) > len(sent_fields) and stored_fields[0][0].lower() == "received":
            stored_fields = stored_fields[1:]
        check(stored_fields == sent_fields,
              f"stored header fields differ from the sent ones:\n{stored_fields}\nvs\n{sent_fields}")
        return row

    # ---- scenarios ----

    def test_clean_mail_delivered_with_header(self):
        sent = messages.numbered(messages.corpus("clean-text.eml"), 1, "clean")
        mid = "<clean-1@airlock-test.example>"
        snap, before = self.pf.snapshot(), self.daemon.store.messages()
        self.send_ok(sent, "stranger@unknown.example", ["bob@sink.test"])
        self.settle()
        got = self.one_delivered(snap, "bob", mid)
        check(messages.header_values(got, "X-Airlock") == ["clean"],
              f"X-Airlock headers: {messages.header_values(got, 'X-Airlock')}")
        check(body_of(got) == body_of(sent), "the body of a clean message was changed")
        check(self.daemon.store.messages() == before, "a clean message was stored")

    def test_unknown_origin_pdf_stripped(self):
        sent = messages.numbered(messages.corpus("pdf-stranger.eml"), 1, "strip")
        mid = "<strip-1@airlock-test.example>"
        snap = self.pf.snapshot()
        self.send_ok(sent, "stranger@unknown.example", ["bob@sink.test"])
        self.settle()
        got = self.one_delivered(snap, "bob", mid)
        qid = self.stripped_id(got)
        text = messages.decoded_text(got)
        check(qid in re.sub(r"[-\s]", "", text.upper()),
              f"the delivered message does not name quarantine id {qid}:\n{text[:2000]}")
        check("report.pdf" in text, "the notice does not name report.pdf")
        check("report.pdf" not in messages.attachment_names(got),
              f"report.pdf is still attached: {messages.attachment_names(got)}")
        check(all(p.get_content_type() != "application/pdf" for p in messages.parse(got).walk()),
              "an application/pdf part was delivered")
        pdf_b64 = messages.raw_parts(sent)[1].split(b"\n\n", 1)[1][:60]
        check(len(pdf_b64) == 60 and pdf_b64 not in messages.lf(got),
              "the PDF's data was delivered")
        sent_text, got_text = messages.raw_parts(sent)[0], messages.raw_parts(got)[0]
        check(messages.lf(sent_text) == got_text,
              f"the text part was not delivered byte for byte:\n{sent_text!r}\nvs\n{got_text!r}")
        self.check_row(qid, sent, "strip", ["unknown-origin"], "stranger@unknown.example",
                       ["bob@sink.test"])

    def test_eicar_held_notice_only(self):
        sent = messages.numbered(messages.corpus("eicar-attachment-stranger.eml"), 1, "hold")
        mid = "<hold-1@airlock-test.example>"
        snap, before = self.pf.snapshot(), {r["id"] for r in self.daemon.store.messages()}
        self.send_ok(sent, "stranger@unknown.example", ["bob@sink.test", "carol@sink.test"])
        self.settle()
        new = {r["id"] for r in self.daemon.store.messages()} - before
        check(len(new) == 1, f"expected one new store row, got {sorted(new)}")
        qid = new.pop()
        row = self.check_row(qid, sent, "hold", ["virus"], "stranger@unknown.example",
                             ["bob@sink.test", "carol@sink.test"])
        eicar_b64 = base64.b64encode(messages.eicar())[:60]
        for box in ("bob", "carol"):
            got = self.pf.new_since(snap, box)
            check(not by_message_id(got, mid), f"the held message reached {box}")
            check(len(got) == 1, f"{box} received {len(got)} messages, expected one notice"
                  + self.diagnostics())
            notice = got[0]
            check(eicar_b64 not in notice and messages.eicar() not in notice,
                  f"the notice to {box} carries the virus")
            text = messages.decoded_text(notice)
            check(qid in re.sub(r"[-\s]", "", text.upper()),
                  f"the notice to {box} does not name quarantine id {qid}:\n{text[:2000]}")
        check("notified" in self.daemon.store.events(qid),
              f"events {self.daemon.store.events(qid)}: no 'notified'")
        check(row["status"] == "quarantined", row["status"])

    def test_forged_authres_from_outside_not_trusted(self):
        data = messages.corpus("pdf-partner-dkim.eml")
        check(any(v.startswith(AUTHSERV_ID + ";")
                  for v in messages.header_values(data, "Authentication-Results")),
              "pdf-partner-dkim.eml has no Authentication-Results with our authserv-id")
        sent = messages.numbered(data, 1, "forged-ar")
        mid = "<forged-ar-1@airlock-test.example>"
        snap = self.pf.snapshot()
        self.send_ok(sent, "sales@partner.example", ["bob@sink.test"],
                     xclient={"ADDR": "203.0.113.9", "NAME": "mail.partner.example"})
        self.settle()
        got = self.one_delivered(snap, "bob", mid)
        check(not any(v.startswith(AUTHSERV_ID) for v in
                      messages.header_values(got, "Authentication-Results")),
              "the forged Authentication-Results header was delivered")
        qid = self.stripped_id(got)
        row = self.daemon.store.message(qid)
        check(row is not None, f"no store row {qid}")
        check(row["origin_known"] == 0, f"origin_known {row['origin_known']}")
        check("unknown-origin" in row["reasons"], f"reasons {row['reasons']}")
        check(row["client_addr"] == "203.0.113.9",
              f"client_addr {row['client_addr']!r}: XCLIENT address not seen by the milter")
        stored = self.daemon.store.original(row)
        check(not any(v.startswith(AUTHSERV_ID) for v in
                      messages.header_values(stored, "Authentication-Results")),
              "the milter saw the forged Authentication-Results header")
        check(body_of(stored) == body_of(sent), "stored body differs from the sent one")

    def test_mail_deferred_while_daemon_down(self):
        self.relay = Postfix(role="relay", relayhost=f"[127.0.0.1]:{self.pf.port}", name="relay")
        self.relay.start()
        clean = messages.numbered(messages.corpus("clean-text.eml"), 2, "down")
        pdf = messages.numbered(messages.corpus("pdf-stranger.eml"), 3, "down")
        snap = self.pf.snapshot()
        status = self.daemon.stop()
        check(status == 0, f"airlock-milter exited {status} on SIGTERM")
        check(not os.path.exists(self.daemon.socket) or not self.daemon.running(),
              "daemon still running")
        # Straight to the MX: a temporary refusal, never a bounce or a 250.
        code, text = self.pf.send(clean, "sender@sink.test", ["bob@sink.test"])
        check(400 <= code < 500, f"with the milter down the MX answered {code} {text}")
        # Through a sending MTA: the message waits in its deferred queue.
        for data in (clean, pdf):
            code, text = self.relay.send(data, "sender@sink.test", ["bob@sink.test"])
            check(code == 250, f"the relay refused the message: {code} {text}")

        def deferred_twice():
            d = self.relay.deferred()
            return len(d) == 2 and all(r.get("delay_reason", "").find(" 4") >= 0
                                       for e in d for r in e["recipients"]) and d
        try:
            entries = wait_for(deferred_twice, 60, interval=0.5,
                               what="both messages in the relay's deferred queue with a 4xx")
        except HarnessError as e:
            raise TestFailure(f"{e}: {self.relay.queue_entries()}\n"
                              f"{excerpt(self.relay.log(), 2000)}") from None
        for e in entries:
            for r in e["recipients"]:
                check("451" in r["delay_reason"] or "4.7.1" in r["delay_reason"],
                      f"deferred for another reason: {r['delay_reason']}")
        check(not self.pf.new_since(snap, "bob"), "mail was delivered while the milter was down")
        check(not self.pf.new_since(snap, "sender"), "a bounce reached the sender")
        check(not self.pf.queue_entries(), f"the MX queued mail: {self.pf.queue_entries()}")
        # Back up: a flush delivers both, judged as usual.
        self.daemon.start()
        self.relay.flush()
        try:
            self.relay.wait_until_queue_empty(90)
        except HarnessError as e:
            raise TestFailure(f"{e}\n{excerpt(self.relay.log(), 2000)}" + self.diagnostics()) \
                from None
        self.settle()
        got = self.one_delivered(snap, "bob", "<down-2@airlock-test.example>")
        check(messages.header_values(got, "X-Airlock") == ["clean"], "clean mail not marked clean")
        got = self.one_delivered(snap, "bob", "<down-3@airlock-test.example>")
        qid = self.stripped_id(got)
        self.check_row(qid, pdf, "strip", ["unknown-origin"], "sender@sink.test",
                       ["bob@sink.test"])
        check(not self.pf.new_since(snap, "sender"), "a bounce reached the sender")

    def test_sighup_during_burst(self):
        clean = messages.corpus("clean-text.eml")
        pdf = messages.corpus("pdf-stranger.eml")
        # prepared once, before the clock starts
        batch = [(n, messages.numbered(pdf if n % 2 else clean, n, "burst")) for n in range(BURST)]
        snap = self.pf.snapshot()
        before = {r["id"] for r in self.daemon.store.messages()}
        reloads_before = self.daemon.stderr().count("reloaded ")
        results, lock, sent_count = {}, threading.Lock(), [0]
        work = list(batch)

        def worker():
            while True:
                with lock:
                    if not work:
                        return
                    n, data = work.pop(0)
                try:
                    res = self.pf.send(data, "stranger@unknown.example", ["bob@sink.test"])
                except Exception as e:  # noqa: BLE001 - recorded as a failure below
                    res = (0, f"client error {e!r}")
                with lock:
                    results[n] = res
                    sent_count[0] += 1

        self.check_signal_masks()
        threads = [threading.Thread(target=worker) for _ in range(BURST_THREADS)]
        for t in threads:
            t.start()
        hups = 0
        try:
            # Each SIGHUP once the previous one has reloaded: the main
            # thread is then back waiting, while the helpers the burst
            # starts keep exiting (SIGCHLD), which is when a SIGHUP could
            # reach libmilter's own signal thread and stop the milter.
            for mark in range(BURST_STEP, BURST, BURST_STEP):
                wait_for(lambda: sent_count[0] >= mark or not any(t.is_alive() for t in threads),
                         300, interval=0.01, what=f"{mark} messages sent")
                self.daemon.proc.send_signal(signal.SIGHUP)
                hups += 1
                wait_for(lambda: self.daemon.stderr().count("reloaded ") >= reloads_before + hups
                         or not self.daemon.running(), 60, interval=0.01,
                         what=f"the reload of SIGHUP {hups}")
        finally:
            for t in threads:
                t.join(600)
        check(hups == BURST // BURST_STEP - 1, f"SIGHUP sent {hups} times")
        refused = {n: r for n, r in results.items() if r[0] != 250}
        check(len(results) == BURST, f"only {len(results)} of {BURST} sends finished")
        check(not refused, f"{len(refused)} messages refused during the SIGHUPs, e.g. "
              f"{sorted(refused.items())[:5]}" + self.diagnostics())
        self.settle(300)
        check(self.daemon.running(), "airlock-milter died during the burst" + self.diagnostics())
        check(self.daemon.stderr().count("reloaded ") == reloads_before + hups,
              f"{hups} SIGHUPs, {self.daemon.stderr().count('reloaded ') - reloads_before} "
              "reloads" + self.diagnostics())
        new = self.pf.new_since(snap, "bob")
        check(len(new) == BURST, f"{len(new)} messages delivered, expected {BURST}")
        ids = set()
        for n, _ in batch:
            got = by_message_id(new, f"<burst-{n}@airlock-test.example>")
            check(len(got) == 1, f"message {n} delivered {len(got)} times")
            values = messages.header_values(got[0], "X-Airlock")
            if n % 2:
                ids.add(self.stripped_id(got[0]))
            else:
                check(values == ["clean"], f"message {n}: X-Airlock {values}")
        rows = {r["id"]: r for r in self.daemon.store.messages() if r["id"] not in before}
        check(set(rows) == ids, f"{len(rows)} new store rows for {len(ids)} stripped messages")
        check(all(r["action"] == "strip" for r in rows.values()), "unexpected actions in the store")

    def test_clean_stop(self):
        status = self.daemon.stop()
        check(status == 0, f"airlock-milter exited {status} after SIGTERM:\n"
              f"{excerpt(self.daemon.stderr(), 2500)}")
        log = self.daemon.stderr()
        for bad in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
            check(bad not in log, f"the daemon's stderr reports '{bad}':\n{excerpt(log)}")

    # ---- main ----

    def run_test(self, name, func):
        try:
            func()
        except (TestFailure, HarnessError) as e:
            self.failed += 1
            print(f"FAIL {name}: {e}", flush=True)
        except Exception:  # noqa: BLE001 - a bug in the test still fails loudly
            self.failed += 1
            print(f"FAIL {name}: unexpected error\n{traceback.format_exc()}", flush=True)
        else:
            self.passed += 1
            print(f"ok   {name}", flush=True)

    def scenarios(self):
        return [self.test_clean_mail_delivered_with_header,
                 self.test_unknown_origin_pdf_stripped,
                 self.test_eicar_held_notice_only,
                 self.test_forged_authres_from_outside_not_trusted,
                 self.test_mail_deferred_while_daemon_down,
                 self.test_sighup_during_burst,
                 self.test_clean_stop]

    def run(self):
        tests = self.scenarios()
        try:
            self.setup()
        except (HarnessError, TestFailure) as e:
            self.failed += len(tests)
            print(f"FAIL setup (all {len(tests)} scenarios): {e}", flush=True)
            return
        for test in tests:
            if test != self.test_clean_stop and not self.daemon.running():
                self.failed += 1
                print(f"FAIL {test.__name__[5:]}: airlock-milter is not running:\n"
                      f"{excerpt(self.daemon.stderr(), 2000)}", flush=True)
                continue
            self.run_test(test.__name__[5:], test)


def main():
    return suite_main(E2E, "test_e2e.py BUILD_DIR")


if __name__ == "__main__":
    sys.exit(main())
