#!/usr/bin/env python3
"""Two gateways, one quarantine (issue 19): two airlock-milter instances,
each behind its own private Postfix, sharing one PostgreSQL store.

    python3 tests/e2e/test_gateways.py BUILD_DIR        (as root)

Set-up: a private PostgreSQL 15 (tests/lib/pg.py: initdb under /tmp,
listening on 127.0.0.1 at a free port), one role and one database
"airlock" as README.md's "Several gateways" tells admins to make, the
password in a passfile (0600, the daemon's user) per gateway. Gateway A
and gateway B: an airlock-milter each (user airlock-test, [quarantine]
backend = postgresql, the same dsn, each its own directory; B gets a copy
of A's release key, as README.md says), a Postfix each (tests/lib/
postfix.py) delivering sink.test into its own Maildirs, and for the
outage scenario a relay Postfix each (an outside MTA that retries what
the gateway defers). release_command of each gateway submits to its own
Postfix. The daemons trust Authentication-Results from mx.test.example
and count 10.99.0.0/16 as internal (XCLIENT from the test client).

Scenarios:
  quarantined_at_a_released_from_b   a PDF from a stranger stripped at A;
        airlockctl -c B.conf lists it, shows its original byte for byte
        and releases it: delivered once through B, events
        quarantined, released, delivered
  concurrent_releases_from_both      8 airlockctl release of one message
        at once, 4 with A.conf and 4 with B.conf: one exits 0, seven 1,
        one copy delivered in all, one "released" event
  correspondent_learned_at_a_known_at_b   a DKIM-signed PDF from
        sales@partner.example is stripped at B; our staff writes to that
        address through A; the same PDF then passes B (accepted)
  statement_timeout_on_a_locked_store   A with [quarantine]
        statement_timeout = 2; a superuser session holds LOCK TABLE
        messages IN ACCESS EXCLUSIVE MODE in an open transaction; a PDF
        from a stranger (XCLIENT from outside) sent to A's Postfix is
        answered the milter's own 451 (PostgreSQL cancelled its statement:
        "canceling statement due to statement timeout" in A's log), no
        store row, no original, nothing delivered; the lock released,
        the same message is accepted, stored once, delivered stripped once
  postgresql_stopped_during_burst    a burst through both relays, the
        database stopped (pg_ctl -m fast) a third of the way in: clean
        mail keeps being delivered while it is down, what needs the
        quarantine is deferred (4xx) and the daemons' other lines about the
        store come at most once a minute per kind and cause, however many
        messages pass; after a restart every message ends delivered
        (once, marked), held (one store row) or bounced: none lost, none
        twice
  clean_stop                         both daemons exit 0 on SIGTERM

AIRLOCK_GATEWAYS_ONLY=NAME,NAME runs only those scenarios.

Prints one line per scenario and "N passed, M failed"; exits 1 on any
failure. Nothing is skipped: without root, postfix, PostgreSQL or the
binaries the run fails and says why.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import messages  # noqa: E402
from airlock import Daemon, find_binary  # noqa: E402
from pg import PgServer, PgStore, write_passfile  # noqa: E402
from postfix import Postfix  # noqa: E402
from util import (HarnessError, ensure_system_user, excerpt, free_port,  # noqa: E402
                  is_root, require_tool, run_scenarios, suite_main, system_python, wait_for)

DAEMON_USER = "airlock-test"
AUTHSERV_ID = "mx.test.example"
INTERNAL_XCLIENT = {"ADDR": "10.99.0.5", "NAME": "pc.internal.example"}
OUTSIDE_XCLIENT = {"ADDR": "192.0.2.25", "NAME": "mail.unknown.example"}
DB_NAME = DB_ROLE = "airlock"
FAKE_SENDMAIL = os.path.join(os.path.dirname(HERE), "lib", "fake_sendmail.py")
ID_RE = re.compile(r"^stripped; id=([0-9A-HJKMNP-TV-Z]{26})$")
KINDS = {"clean": "clean-text.eml", "strip": "pdf-stranger.eml",
         "hold": "eicar-attachment-stranger.eml"}
SENDER = "sender@sink.test"
CONCURRENT_RELEASES = 8
# postgresql_stopped_during_burst: counts of messages, never times.
BURST_BEFORE = 12     # sent (and settled) before the database stops
BURST_DOWN = 18       # sent while it is down
# While the database is down each message still gets its own log line
# (MESSAGE_LINE_RE: its verdict, the tempfail and why, or an audit event of
# that message not recorded). The other lines about the store are the
# "store down" noise: grouped by kind (STORE_KINDS), each kind may come at
# most STORE_CAUSES times a minute (once per cause: the server shutting
# down, refusing connections, starting up), however many messages pass.
MESSAGE_LINE_RE = re.compile(r"^airlock-milter: [0-9A-F]+: (?:action=|quarantine store failed: "
                             r".*answered tempfail|event '[a-z-]+' for quarantine \S+ not recorded)")
STORE_KINDS = {
    "counters": re.compile(r"daily counters not updated"),
    "learning": re.compile(r"correspondents not recorded"),
    "reopen": re.compile(r"cannot reopen the quarantine store|quarantine store unavailable"),
    "back": re.compile(r"quarantine store .* is available again"),
}
STORE_CAUSES = 3
# statement_timeout_on_a_locked_store: A's statement_timeout (seconds) while
# the messages table is locked, and the milter's own tempfail text (Postfix's
# own, when the milter itself times out, is "Service unavailable").
LOCKED_STATEMENT_TIMEOUT = "2"
MILTER_TEMPFAIL = "Airlock could not check this message, try again later"


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def message_id(data):
    values = messages.header_values(data, "Message-ID")
    return values[0] if values else None


class Gateway:
    """One gateway: its daemon, its Postfix, later its relay."""

    def __init__(self, name, binary, dsn_of, port):
        self.name = name
        self.port = port
        self.daemon = Daemon(binary, DAEMON_USER, {
            # A hold notice goes back through this milter (see test_e2e.py).
            "milter": {"max_jobs": "1"},
            "origin": {"authserv_id": AUTHSERV_ID, "internal_networks": "10.99.0.0/16"},
            "quarantine": {"min_free": "0"},
        }, notice=f"127.0.0.1:{port}", name=f"gw-{name}")
        self.passfile = os.path.join(self.daemon.dir, "pgpass")
        self.daemon.set("quarantine", "backend", "postgresql")
        self.daemon.set("quarantine", "dsn", dsn_of(self.passfile))
        self.daemon.set("quarantine", "release_command",
                        f"{system_python()} {FAKE_SENDMAIL} --smtp 127.0.0.1:{port}")
        # 10.99.0.0/16 may relay (our staff writing out), as 127.0.0.0/8;
        # what goes outside sink.test is accepted, then discarded.
        self.pf = Postfix(milter_socket=self.daemon.socket, name=f"mx-{name}", port=port,
                          extra_main={"mynetworks": "127.0.0.0/8 10.99.0.0/16",
                                      "default_transport": "discard:outside the test sink",
                                      "relay_transport": "discard:outside the test sink"})
        self.relay = None

    @property
    def config(self):
        return self.daemon.config

    def key_path(self):
        return os.path.join(self.daemon.quarantine, "release.key")


class Gateways:
    def __init__(self, build_dir):
        if not is_root():
            raise HarnessError("the gateway tests need root (Postfix instances, PostgreSQL run "
                               f"as postgres, the {DAEMON_USER} user): run them as root")
        require_tool("postfix", "postfix")
        self.binary = find_binary(build_dir)
        self.ctl = os.path.join(os.path.abspath(build_dir), "src", "ctl", "airlockctl")
        if not os.access(self.ctl, os.X_OK):
            raise HarnessError(f"{self.ctl} not found: build it first")
        self.uid, self.gid = ensure_system_user(DAEMON_USER, "postfix")
        messages.corpus_dir()
        self.passed = self.failed = 0
        self.pg = self.store = self.a = self.b = None

    # ---- set-up ----

    def setup(self):
        self.pg = PgServer()
        self.pg.start()
        password = os.urandom(12).hex()
        self.pg.create_role(DB_ROLE, password)
        self.pg.create_database(DB_NAME, DB_ROLE)
        self.store = PgStore(self.pg, DB_NAME)

        def dsn_of(passfile):
            write_passfile(passfile, "127.0.0.1", self.pg.port, DB_NAME, DB_ROLE, password,
                           owner=DAEMON_USER)
            return self.pg.dsn(DB_NAME, DB_ROLE, passfile)
        self.a = Gateway("a", self.binary, dsn_of, free_port())
        self.b = Gateway("b", self.binary, dsn_of, free_port())
        # A first: it creates the schema and its release key; B gets a copy.
        self.a.daemon.start()
        check(os.path.exists(self.a.key_path()), f"A made no release key at {self.a.key_path()}")
        os.makedirs(self.b.daemon.quarantine, mode=0o700, exist_ok=True)
        os.chown(self.b.daemon.quarantine, self.uid, self.gid)
        shutil.copy2(self.a.key_path(), self.b.key_path())
        os.chown(self.b.key_path(), self.uid, self.gid)
        os.chmod(self.b.key_path(), 0o600)
        self.b.daemon.start()
        for gw in (self.a, self.b):
            gw.pf.start()

    def teardown(self):
        for gw in (self.a, self.b):
            if gw is None:
                continue
            for pf in (gw.relay, gw.pf):
                if pf is not None:
                    try:
                        pf.cleanup()
                    except HarnessError as e:
                        print(f"warning: {e}", flush=True)
            gw.daemon.cleanup()
        if self.pg is not None:
            if os.environ.get("AIRLOCK_TEST_KEEP"):
                self.pg.stop()
                print(f"kept PostgreSQL directory {self.pg.base}", flush=True)
            else:
                self.pg.cleanup()

    # ---- helpers ----

    def diagnostics(self):
        out = ""
        for gw in (self.a, self.b):
            out += (f"\n--- {gw.name}: maillog (end) ---\n{excerpt(gw.pf.log(), 1500)}"
                    f"\n--- {gw.name}: airlock-milter stderr (end) ---\n"
                    f"{excerpt(gw.daemon.stderr(), 2000)}")
            if gw.relay is not None:
                out += f"\n--- {gw.name}: relay maillog (end) ---\n{excerpt(gw.relay.log(), 1000)}"
        return out + f"\n--- PostgreSQL log (end) ---\n{excerpt(self.pg.log(), 1500)}"

    def airlockctl(self, gw, *args):
        proc = subprocess.run([self.ctl, args[0], "-c", gw.config] + list(args[1:]),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        return (proc.returncode, proc.stdout.decode("utf-8", "replace"),
                proc.stderr.decode("utf-8", "replace"))

    def ok(self, gw, *args):
        code, out, err = self.airlockctl(gw, *args)
        check(code == 0, f"airlockctl {' '.join(args)} -c {gw.name}.conf exited {code}:\n"
              f"{out}{err}" + self.diagnostics())
        return out

    def send_ok(self, gw, data, mail_from, rcpts, **kw):
        code, text = gw.pf.send(data, mail_from, rcpts, **kw)
        check(code == 250, f"gateway {gw.name} answered {code} {text}" + self.diagnostics())

    def settle(self, timeout=240):
        """Every queue empty (relays flushed first, so that deferred mail is
        retried now rather than after its back-off)."""
        deadline = time.monotonic() + timeout
        pfs = [p for gw in (self.a, self.b) for p in (gw.relay, gw.pf) if p is not None]
        while time.monotonic() < deadline:
            if not any(p.queue_entries() for p in pfs):
                return
            for gw in (self.a, self.b):
                if gw.relay is not None:
                    gw.relay.flush()
            time.sleep(1)
        raise TestFailure(f"the queues did not empty within {timeout}s" + self.diagnostics())

    def delivered(self, mailbox="bob"):
        """[(gateway name, bytes)] delivered to mailbox at either gateway."""
        return [(gw.name, d) for gw in (self.a, self.b) for d in gw.pf.delivered(mailbox)]

    def copies(self, mid, mailbox="bob"):
        return [(g, d) for g, d in self.delivered(mailbox) if message_id(d) == mid]

    def stripped_id(self, data):
        values = messages.header_values(data, "X-Airlock")
        check(len(values) == 1 and ID_RE.match(values[0]),
              f"X-Airlock {values}, expected one 'stripped; id=...'")
        return ID_RE.match(values[0]).group(1)

    # ---- scenarios ----

    def test_quarantined_at_a_released_from_b(self):
        sent = messages.numbered(messages.corpus("pdf-stranger.eml"), 1, "gw-rel")
        mid = message_id(sent)
        self.send_ok(self.a, sent, "stranger@unknown.example", ["bob@sink.test"])
        self.settle()
        got = self.copies(mid)
        check(len(got) == 1 and got[0][0] == "a", f"copies delivered: {[g for g, _ in got]}")
        qid = self.stripped_id(got[0][1])
        listed = self.ok(self.b, "list", "--json", "--limit", "0")
        check(f'"id":"{qid}"' in listed.replace(" ", ""), f"B does not list {qid}:\n{listed}")
        raw = self.ok(self.b, "show", "--raw", qid).encode()
        check(raw == self.store.original(qid), "B's show --raw is not the stored original")
        check(messages.split(messages.lf(raw))[1] == messages.split(messages.lf(sent))[1],
              "the stored original's body is not what was sent")
        out = self.ok(self.b, "release", qid)
        check(out.strip() == f"{qid}: released to bob@sink.test", f"release said {out!r}")
        self.settle()
        got = self.copies(mid)
        released = [(g, d) for g, d in got if messages.header_values(d, "X-Airlock")
                    == [f"released; id={qid}"]]
        check(len(got) == 2 and len(released) == 1 and released[0][0] == "b",
              f"after the release: {[(g, messages.header_values(d, 'X-Airlock')) for g, d in got]}"
              + self.diagnostics())
        check("report.pdf" in messages.attachment_names(released[0][1]), "no report.pdf")
        check(self.store.message(qid)["status"] == "released", str(self.store.message(qid)))
        check(self.store.events(qid) == ["quarantined", "released", "delivered"],
              f"events {self.store.events(qid)}")
        code, _, err = self.airlockctl(self.a, "release", qid)
        check(code == 1 and "already released" in err, f"A released it again: {code} {err}")
        # Status from B: the shared store, reachable, this message in its counts.
        _, out, err = self.airlockctl(self.b, "status", "--json")
        try:
            store = json.loads(out)["store"]
        except (ValueError, KeyError):
            raise TestFailure(f"airlockctl status --json said:\n{out}{err}") from None
        check(store["backend"] == "postgresql" and store["reachable"] is True,
              f"status store section: {store}")

    def test_concurrent_releases_from_both(self):
        sent = messages.numbered(messages.corpus("pdf-stranger.eml"), 1, "gw-race")
        mid = message_id(sent)
        self.send_ok(self.b, sent, "stranger@unknown.example", ["bob@sink.test"])
        self.settle()
        got = self.copies(mid)
        check(len(got) == 1, f"{len(got)} stripped copies")
        qid = self.stripped_id(got[0][1])
        results = []
        lock = threading.Lock()
        start = threading.Barrier(CONCURRENT_RELEASES)

        def release(gw):
            start.wait()
            r = self.airlockctl(gw, "release", qid)
            with lock:
                results.append((gw.name,) + r)
        threads = [threading.Thread(target=release, args=(self.a if n % 2 else self.b,))
                   for n in range(CONCURRENT_RELEASES)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r[1] for r in results)
        check(codes == [0] + [1] * (CONCURRENT_RELEASES - 1),
              f"exit codes {codes}: {results}" + self.diagnostics())
        winner = [r for r in results if r[1] == 0][0]
        print(f"     released by gateway {winner[0]}", flush=True)
        self.settle()
        got = [(g, d) for g, d in self.copies(mid)
               if messages.header_values(d, "X-Airlock") == [f"released; id={qid}"]]
        check(len(got) == 1, f"{len(got)} released copies delivered" + self.diagnostics())
        check(got[0][0] == winner[0], f"released by {winner[0]}, delivered through {got[0][0]}")
        events = self.store.events(qid)
        check(events.count("released") == 1 and events.count("delivered") == 1,
              f"events {events}")

    def test_correspondent_learned_at_a_known_at_b(self):
        partner = "sales@partner.example"
        pdf = messages.corpus("pdf-partner-dkim.eml")
        before = messages.numbered(pdf, 1, "gw-learn")
        self.send_ok(self.b, before, partner, ["bob@sink.test"])
        self.settle()
        got = self.copies(message_id(before))
        check(len(got) == 1, f"{len(got)} copies")
        self.stripped_id(got[0][1])  # not yet known: stripped
        check(not self.store.query("SELECT * FROM correspondents WHERE address = ?", [partner]),
              "already learned")
        out = messages.numbered(messages.corpus("clean-text.eml"), 1, "gw-learn-out")
        out = messages.replace_header(out, "To", f"<{partner}>")
        self.send_ok(self.a, out, "bob@sink.test", [partner], xclient=INTERNAL_XCLIENT)
        self.settle()
        rows = self.store.query("SELECT * FROM correspondents WHERE address = ?", [partner])
        check(len(rows) == 1, f"correspondents rows for {partner}: {rows}" + self.diagnostics())
        after = messages.numbered(pdf, 2, "gw-learn")
        self.send_ok(self.b, after, partner, ["bob@sink.test"])
        self.settle()
        got = self.copies(message_id(after))
        check(len(got) == 1 and got[0][0] == "b", f"copies {[g for g, _ in got]}")
        values = messages.header_values(got[0][1], "X-Airlock")
        check(values == ["clean"], f"a learned correspondent's PDF at B: X-Airlock {values}"
              + self.diagnostics())
        check("report.pdf" in messages.attachment_names(got[0][1]), "report.pdf not delivered")

    def lock_holders(self, table):
        """Backend pids holding a granted ACCESS EXCLUSIVE lock on table."""
        return [r["pid"] for r in self.store.query(
            "SELECT pid FROM pg_locks WHERE locktype = 'relation' AND granted AND "
            f"mode = 'AccessExclusiveLock' AND relation = '{table}'::regclass")]

    def hold_lock(self, table):
        """A superuser psql session on the store's database that opens a
        transaction, takes LOCK TABLE table IN ACCESS EXCLUSIVE MODE and
        keeps it (psql waits on its stdin). Returns once pg_locks shows
        the lock granted: (process, backend pid, output file)."""
        output = open(os.path.join(self.pg.base, "lock-holder.log"), "w+")
        proc = self.pg.session(DB_NAME, output=output)
        holder = [proc, None, output]
        try:
            proc.stdin.write(f"BEGIN;\nLOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;\n")
            proc.stdin.flush()

            def held():
                if proc.poll() is not None:
                    output.seek(0)
                    raise TestFailure(f"the session locking {table} exited {proc.returncode}: "
                                      f"{output.read().strip()}")
                return self.lock_holders(table)
            pids = wait_for(held, 120, interval=0.2, what=f"the lock on {table} to be granted")
            check(len(pids) == 1, f"{table} locked by backends {pids}")
            holder[1] = pids[0]
        except BaseException:
            self.release_lock(holder, table)
            raise
        return holder

    def release_lock(self, holder, table):
        """Ends the session of hold_lock(): ROLLBACK and end of input (psql
        exits); if it does not, it is killed and its backend terminated.
        Returns once no one holds the lock."""
        proc, pid, output = holder
        try:
            if proc.poll() is None:
                proc.stdin.write("ROLLBACK;\n")
                proc.stdin.flush()
        except OSError:  # psql already gone
            pass
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        finally:
            output.close()
        if not self.pg.running():
            return
        for stuck in self.lock_holders(table):
            if stuck == pid or pid is None:
                self.pg.psql(f"SELECT pg_terminate_backend({int(stuck)})", DB_NAME)
        wait_for(lambda: pid not in self.lock_holders(table), 60,
                 what=f"the lock on {table} to be released")

    def rows_of(self, mid):
        """The store rows whose stored original has Message-ID mid, and how
        many stored originals have it."""
        originals = {qid: message_id(data) for qid, data in self.store.originals().items()}
        rows = [r for r in self.store.messages() if originals.get(r["id"]) == mid]
        return rows, list(originals.values()).count(mid)

    def quarantine_files(self, gw):
        out = set()
        for top, _, names in os.walk(gw.daemon.quarantine):
            out.update(os.path.join(top, n) for n in names)
        return out

    def test_statement_timeout_on_a_locked_store(self):
        gw = self.a
        table = "messages"
        sent = messages.numbered(messages.corpus("pdf-stranger.eml"), 1, "gw-locked")
        mid = message_id(sent)
        stranger = "stranger@unknown.example"
        original = gw.daemon.sections["quarantine"].get("statement_timeout")
        gw.daemon.set("quarantine", "statement_timeout", LOCKED_STATEMENT_TIMEOUT)
        try:
            gw.daemon.reload()
            files = self.quarantine_files(gw)
            rows = len(self.store.messages())
            mark = len(gw.daemon.stderr())
            holder = self.hold_lock(table)
            try:
                started = time.monotonic()
                code, text = gw.pf.send(sent, stranger, ["bob@sink.test"],
                                        xclient=OUTSIDE_XCLIENT)
                took = time.monotonic() - started
                # Still locked: the answer came while the insert could not run.
                check(self.lock_holders(table) == [holder[1]],
                      f"the lock on {table} was lost during the send: "
                      f"{self.lock_holders(table)}, expected [{holder[1]}]")
            finally:
                self.release_lock(holder, table)
            print(f"     locked store: {code} {text} (after {took:.1f}s, not checked)", flush=True)
            check(code // 100 == 4 and MILTER_TEMPFAIL in text,
                  f"while {table} was locked A answered {code} {text}, expected 4xx "
                  f"'{MILTER_TEMPFAIL}'" + self.diagnostics())
            log = gw.daemon.stderr()[mark:].splitlines()
            failed = [ln for ln in log if "quarantine store failed:" in ln
                      and "canceling statement due to statement timeout" in ln
                      and "answered tempfail" in ln]
            check(len(failed) == 1, f"A's log after the send, expected one 'quarantine store "
                  f"failed: ... canceling statement due to statement timeout ... answered "
                  f"tempfail' line:\n{excerpt(chr(10).join(log), 2000)}")
            print(f"     {failed[0]}", flush=True)
            self.settle()
            check(not self.copies(mid), "the tempfailed message was delivered" + self.diagnostics())
            mine, originals = self.rows_of(mid)
            check(not mine and originals == 0 and len(self.store.messages()) == rows,
                  f"after the tempfail: store rows {[r['id'] for r in mine]}, {originals} "
                  f"originals, {len(self.store.messages())} rows in all (were {rows})")
            new_files = self.quarantine_files(gw) - files
            check(not new_files, f"files left in A's quarantine directory: {sorted(new_files)}")
            # The lock gone, the same message again (as the MTA would retry).
            self.send_ok(gw, sent, stranger, ["bob@sink.test"], xclient=OUTSIDE_XCLIENT)
            self.settle()
            got = self.copies(mid)
            check(len(got) == 1 and got[0][0] == "a", f"copies delivered after the retry: "
                  f"{[g for g, _ in got]}" + self.diagnostics())
            qid = self.stripped_id(got[0][1])
            check("report.pdf" not in messages.attachment_names(got[0][1]),
                  "the PDF was delivered with the stripped copy")
            mine, originals = self.rows_of(mid)
            check([r["id"] for r in mine] == [qid] and originals == 1,
                  f"store rows {[r['id'] for r in mine]} ({originals} originals) for {qid}")
        finally:
            if original is None:
                gw.daemon.sections["quarantine"].pop("statement_timeout", None)
                gw.daemon.write_config()
            else:
                gw.daemon.set("quarantine", "statement_timeout", original)
            gw.daemon.reload()

    def batch(self, tag, kinds):
        out = []
        for n, kind in enumerate(kinds):
            data = messages.numbered(messages.corpus(KINDS[kind]), n, tag)
            out.append((message_id(data), kind, data, self.a if n % 2 else self.b))
        return out

    def send_via_relays(self, batch):
        for mid, _, data, gw in batch:
            code, text = gw.relay.send(data, SENDER, ["bob@sink.test"])
            check(code == 250, f"relay {gw.name} refused {mid}: {code} {text}")

    def relay_deferred(self):
        rx = re.compile(r"status=deferred \(host \S+ said: 4\d\d ")
        return sum(len([ln for ln in gw.relay.log().splitlines() if rx.search(ln)])
                   for gw in (self.a, self.b))

    def ledger(self, batch):
        """Each message of batch delivered once (marked, with its store row
        when stripped), or held (one store row), or bounced: none missing,
        none twice. Returns the counts."""
        delivered = {}
        for g, data in self.delivered("bob"):
            delivered.setdefault(message_id(data), []).append((g, data))
        bounces = b"\n".join(d for _, d in self.delivered("sender"))
        rows = {}
        originals = self.store.originals()
        for row in self.store.messages():
            rows.setdefault(message_id(originals.get(row["id"], b"")), []).append(row)
        counts = {"delivered": 0, "held": 0, "bounced": 0}
        for mid, kind, _, gw in batch:
            copies = delivered.get(mid, [])
            mine = rows.get(mid, [])
            held = [r for r in mine if r["action"] == "hold"]
            bounced = mid.encode() in bounces
            ends = len(copies) + len(held) + int(bounced)
            check(ends == 1, f"{mid} ({kind}, via {gw.name}) ended {len(copies)} delivered, "
                  f"{len(held)} held, bounced {bounced}: store rows {[r['id'] for r in mine]}"
                  + self.diagnostics())
            if bounced:
                counts["bounced"] += 1
                continue
            if held:
                check(kind == "hold" and len(mine) == 1, f"{mid} ({kind}) held, rows {mine}")
                counts["held"] += 1
                continue
            g, data = copies[0]
            check(g == gw.name, f"{mid} sent via {gw.name}, delivered via {g}")
            values = messages.header_values(data, "X-Airlock")
            if kind == "clean":
                check(values == ["clean"] and not mine, f"{mid} (clean): {values}, rows {mine}")
            else:
                check(kind == "strip" and len(values) == 1 and ID_RE.match(values[0]),
                      f"{mid} ({kind}) delivered with X-Airlock {values}")
                check([r["id"] for r in mine] == [ID_RE.match(values[0]).group(1)],
                      f"{mid}: store rows {[r['id'] for r in mine]} for {values[0]}")
            counts["delivered"] += 1
        return counts

    def test_postgresql_stopped_during_burst(self):
        for gw in (self.a, self.b):
            gw.relay = Postfix(role="relay", relayhost=f"[127.0.0.1]:{gw.port}",
                               name=f"relay-{gw.name}")
            gw.relay.start()
        first = self.batch("pgdown1", ["clean", "strip", "hold"] * (BURST_BEFORE // 3))
        down = self.batch("pgdown2", ["clean", "strip", "clean", "hold", "strip", "clean"]
                          * (BURST_DOWN // 6))
        marks = {gw.name: len(gw.daemon.stderr()) for gw in (self.a, self.b)}
        self.send_via_relays(first)
        wait_for(lambda: len(self.store.messages()) >= 2, 120,
                 what="the first quarantines of the burst")
        started = time.monotonic()
        self.pg.stop(mode="fast")
        try:
            self.send_via_relays(down)
            clean = [mid for mid, kind, _, _ in down if kind == "clean"]
            needs = len(down) - len(clean)
            try:
                wait_for(lambda: all(self.copies(m) for m in clean), 240, interval=0.5,
                         what="the clean messages delivered while PostgreSQL is down")
                wait_for(lambda: self.relay_deferred() >= needs, 240, interval=0.5,
                         what=f"{needs} messages deferred by the gateways")
            except HarnessError as e:
                raise TestFailure(str(e) + self.diagnostics()) from None
            check(not self.pg.running(), "PostgreSQL came back by itself")
        finally:
            self.pg.start()
        self.settle(timeout=600)
        counts = self.ledger(first + down)
        print(f"     {counts}; deferred while down: {self.relay_deferred()} attempts", flush=True)
        check(counts["delivered"] + counts["held"] + counts["bounced"] == len(first) + len(down),
              f"counts {counts}")
        minutes = int((time.monotonic() - started) // 60)
        limit = STORE_CAUSES * (1 + minutes)
        for gw in (self.a, self.b):
            log = [ln for ln in gw.daemon.stderr()[marks[gw.name]:].splitlines()
                   if not MESSAGE_LINE_RE.search(ln)]
            kinds = {k: [ln for ln in log if rx.search(ln)] for k, rx in STORE_KINDS.items()}
            print(f"     {gw.name}: store lines by kind in {minutes + 1} minute(s): "
                  + ", ".join(f"{k} {len(v)}" for k, v in kinds.items()), flush=True)
            check(kinds["reopen"] or kinds["counters"], f"gateway {gw.name} never said the "
                  f"store was down:\n{excerpt(chr(10).join(log), 2000)}")
            for kind, lines in kinds.items():
                check(len(lines) <= limit, f"gateway {gw.name}: {len(lines)} '{kind}' lines in "
                      f"{minutes + 1} minute(s), at most {limit}:\n" + "\n".join(lines[:8]))

    def test_clean_stop(self):
        for gw in (self.a, self.b):
            status = gw.daemon.stop()
            check(status == 0, f"gateway {gw.name} exited {status}:\n"
                  f"{excerpt(gw.daemon.stderr(), 2000)}")

    def run(self):
        try:
            self.setup()
        except (HarnessError, TestFailure) as e:
            self.failed += 1
            print(f"FAIL setup: {e}" + (self.diagnostics() if self.pg and self.a else ""),
                  flush=True)
            return
        tests = [self.test_quarantined_at_a_released_from_b,
                 self.test_concurrent_releases_from_both,
                 self.test_correspondent_learned_at_a_known_at_b,
                 self.test_statement_timeout_on_a_locked_store,
                 self.test_postgresql_stopped_during_burst,
                 self.test_clean_stop]
        only = os.environ.get("AIRLOCK_GATEWAYS_ONLY")
        if only:
            tests = [t for t in tests if t.__name__[5:] in only.split(",")]
        run_scenarios(self, tests, (TestFailure, HarnessError))


def main():
    return suite_main(Gateways, "test_gateways.py BUILD_DIR")


if __name__ == "__main__":
    sys.exit(main())
