#!/usr/bin/env python3
"""Fault tests: airlock-milter behind a real Postfix while things break.

    python3 tests/e2e/test_faults.py BUILD_DIR        (as root)

Two private Postfix instances (tests/lib/postfix.py): the mx, whose
smtpd_milters is the daemon (milter_default_action = tempfail), and a
relay without milters that hands everything to the mx, as an outside
sending MTA would: when the mx answers 4xx the message waits in the
relay's deferred queue and is retried (every 2-4 s here). The daemon runs
as airlock-test (see tests/e2e/test_e2e.py) with its quarantine on a
private tmpfs (so that it can be filled) and its own copy of signatures/
(so that a broken one can be installed).

Every scenario ends with the ledger check: each message sent ends
delivered (exactly one copy, marked by X-Airlock, clean or stripped with
its store row), held (its store row, nothing delivered) or bounced, none
missing and none duplicated, and nothing unscanned got through.

Every scenario starts from the same known state, made by the runner
(clean_state()), not by the scenario: both Postfix queues empty (what is
left is deleted), the daemon stopped, the suite's base configuration and
signature files back, the quarantine tmpfs emptied (a new store: no rows,
no message files, no filler), the mailboxes emptied, the daemon started
again. After each scenario one line says what it left behind ("left by
NAME: ..."): store rows and message files, bytes used on the quarantine
tmpfs, queue entries at the mx and the relay, whether the daemon runs,
any other file or changed setting; a nearly full disk or a queue that
is not empty is flagged there, so that a later failure can be traced.

Bursts are bounded by a count of messages, never by time, and no
assertion depends on the machine's speed: timeouts are generous upper
bounds for things that must happen. The quarantine tmpfs is 8 MiB (so
that quarantine_fs_full can fill it): what a scenario's messages can
take there (files, database, WAL) is counted before they are sent
(plan_store_use()) against a budget below that, so no other scenario
can fill it.

Adding a scenario: a method test_NAME (it may assume the clean state
above; a key it changes with self.daemon.set() is put back by the
runner anyway) and NAME in SCENARIOS.

Scenarios (also disk_guard and signature_update, described at their
methods: [quarantine] min_free, and a new signature file picked up by
itself within [scan] database_check_seconds):
  sigkill_during_burst    SIGKILL while a burst is in flight: the mx
                          tempfails, the relay defers, all is delivered
                          after a restart
  quarantine_fs_full      the quarantine file system full: tempfail with
                          "No space left on device" in the log; delivered
                          once space is back, without a restart
  database_locked         another process holds BEGIN EXCLUSIVE: tempfail
                          ("database is locked"); delivered once released
  database_read_only      the database file not writable by the daemon
                          (owned by root) when the daemon starts: it runs,
                          tempfails what needs the store, and picks the
                          store up once the owner is fixed
  database_corrupt        the database file overwritten with garbage: the
                          same, recovered when the admin restores a backup
  sighup_during_burst     a SIGHUP at the start of each of 8 rounds of 12
                          messages sent straight to the mx by 6 threads:
                          every message accepted (250), each delivered
                          once, every SIGHUP followed by a reload
  broken_signature_reload a reload with a malformed signature file keeps
                          the running engine (EICAR still held) and logs
                          why; a fixed file reloads
  scan_time_budget        a scan past [scan] max_seconds counts as
                          `limits`: stripped by default, 451 with
                          action_limits = tempfail, never accepted
  least_privilege         the daemon's uid, gids and capabilities, the
                          modes of the store, its files and the key, and
                          [milter] user = root refused

AIRLOCK_FAULTS_ONLY=NAME,NAME runs only those scenarios (each still from
the clean state).

Prints one line per scenario and "N passed, M failed"; exits 1 on any
failure. Nothing is skipped: without root, postfix, mount or the daemon
the run fails and says why.
"""

import concurrent.futures
import copy
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import messages  # noqa: E402
from airlock import Daemon, find_binary  # noqa: E402
from postfix import Postfix  # noqa: E402
from util import (REPO_DIR, HarnessError, ensure_system_user, excerpt, free_port,  # noqa: E402
                  is_root, require_tool, run, suite_main, system_python, wait_for)

DAEMON_USER = "airlock-test"
SENDER = "sender@sink.test"
RCPT = "bob@sink.test"
INTERNAL_IP = "10.99.0.5"
QUARANTINE_FS_BYTES = 8 * 1024 * 1024
MIB = 1024 * 1024
# What a scenario's messages take on the quarantine tmpfs (plan_store_use()):
# - a quarantined message: its file, in whole tmpfs pages;
# - every message, quarantined or not (the daily counters): its pages in
#   the WAL, until SQLite's automatic checkpoint (1000 pages) lets the WAL
#   start over, so the WAL file stops growing near 4 MiB;
# - every message: its rows once checkpointed into airlock.db.
# Measured on Debian 12: about 25 KiB of WAL per message judged and 1-2 KiB
# of database; a message the mx tempfails is judged again at each retry.
# The figures below are upper bounds.
TMPFS_PAGE_BYTES = 4096
WAL_BYTES_PER_MESSAGE = 64 * 1024
WAL_MAX_BYTES = 4 * MIB + 256 * 1024
DB_BYTES_PER_MESSAGE = 8 * 1024
# What one scenario may plan to use: the rest of the 8 MiB is slack. Only
# quarantine_fs_full fills the tmpfs, with a filler file.
SCENARIO_STORE_BUDGET_BYTES = 6 * MIB
# A new, empty store (airlock.db, its WAL and shm, release.key, msg/).
NEW_STORE_MAX_BYTES = 512 * 1024
# Less free space than this after a scenario is flagged in its report.
NEARLY_FULL_FREE_BYTES = 2 * MIB
# What the daemon keeps on the quarantine tmpfs; anything else is reported.
STORE_ENTRIES = {"airlock.db", "airlock.db-wal", "airlock.db-shm", "airlock.db-journal",
                 "release.key", "msg"}
# sighup_during_burst: a count of messages, not a time.
HUP_ROUNDS = 8
HUP_ROUND_MESSAGES = 12
HUP_SENDER_THREADS = 6
# A reload's log line; reloads the daemon starts by itself (a changed
# signature directory) do not answer a SIGHUP.
RELOAD_LINE_RE = re.compile(r"^(?!.*database-change).*reloaded ", re.MULTILINE)
# sigkill_during_burst: messages sent to the relay before the kill; the
# rest are sent while the milter is dead, so that some are deferred
# however fast the machine delivered the first part.
KILL_FIRST_PART = 32
# disk_guard: the free space left on the quarantine tmpfs, and the
# min_free above it.
GUARD_FREE_LEFT_BYTES = 3 * MIB
GUARD_MIN_FREE = "5M"
ID_RE = re.compile(r"^stripped; id=([0-9A-HJKMNP-TV-Z]{26})$")
KINDS = {"clean": "clean-text.eml", "strip": "pdf-stranger.eml",
         "hold": "eicar-attachment-stranger.eml"}

LOCK_HOLDER = r"""
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
db.execute("ROLLBACK")
"""


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def message_id(data):
    values = messages.header_values(data, "Message-ID")
    return values[0] if values else None


def kib(n):
    return f"{n / 1024:.0f} KiB" if n < MIB else f"{n / MIB:.1f} MiB"


def tree_bytes(path):
    """Bytes allocated to the files under path (or to path itself)."""
    if not os.path.isdir(path) or os.path.islink(path):
        return os.lstat(path).st_blocks * 512
    total = 0
    for top, _, files in os.walk(path):
        total += sum(os.lstat(os.path.join(top, f)).st_blocks * 512 for f in files)
    return total


def directory_digest(path):
    """{file name: sha256} of the files in path."""
    out = {}
    for name in sorted(os.listdir(path)):
        with open(os.path.join(path, name), "rb") as f:
            out[name] = hashlib.sha256(f.read()).hexdigest()
    return out


class Faults:
    # The scenarios, in order: test_NAME for each NAME. The runner gives
    # each one the clean state (clean_state()) and reports what it left
    # behind (report_leftovers()).
    SCENARIOS = ("sigkill_during_burst",
                 "quarantine_fs_full",
                 "database_locked",
                 "database_read_only",
                 "database_corrupt",
                 "sighup_during_burst",
                 "broken_signature_reload",
                 "scan_time_budget",
                 "disk_guard",
                 "signature_update",
                 "least_privilege")

    def __init__(self, build_dir):
        if not is_root():
            raise HarnessError("the fault tests need root (Postfix instances, a tmpfs mount, "
                               f"the {DAEMON_USER} user): run them as root")
        require_tool("postfix", "postfix")
        self.mount = require_tool("mount", "mount")
        self.binary = find_binary(build_dir)
        self.uid, self.gid = ensure_system_user(DAEMON_USER, "postfix")
        messages.corpus_dir()
        self.passed = 0
        self.failed = 0
        self.pf = self.relay = self.daemon = None
        self.mounted = False
        self.base_sections = None
        self.base_signatures = None
        self.planned_messages = self.planned_file_bytes = self.new_store_bytes = 0
        self.stop_problems = []

    # ---- set-up ----

    def setup(self):
        port = free_port()
        self.daemon = Daemon(self.binary, DAEMON_USER, {
            "origin": {"internal_networks": "10.99.0.0/16"},
            # room for the zip bomb of scan_time_budget: only time limits it
            "scan": {"max_seconds": "1", "max_filesize": "4G", "max_scansize": "4G"},
            # No free-space guard: its default (512M) would refuse every
            # message that needs the 8 MiB quarantine tmpfs.
            "quarantine": {"min_free": "0"},
        }, notice=f"127.0.0.1:{port}", name="faults")
        self.signatures = os.path.join(self.daemon.dir, "signatures")
        # The base set, put back before each scenario (not from the work
        # tree, which may change while the suite runs).
        self.base_signatures_dir = os.path.join(self.daemon.dir, "signatures.base")
        shutil.copytree(os.path.join(REPO_DIR, "signatures"), self.base_signatures_dir)
        self.copy_base_signatures()
        self.daemon.set("scan", "signatures", self.signatures)
        os.makedirs(self.daemon.quarantine)
        run([self.mount, "-t", "tmpfs", "-o",
             f"size={QUARANTINE_FS_BYTES},mode=0700,uid={self.uid},gid={self.gid}",
             "airlock-faults", self.daemon.quarantine])
        self.mounted = True
        self.base_sections = copy.deepcopy(self.daemon.sections)
        self.base_signatures = directory_digest(self.base_signatures_dir)
        self.pf = Postfix(milter_socket=self.daemon.socket, name="mx", port=port)
        self.relay = Postfix(role="relay", relayhost=f"[127.0.0.1]:{port}", name="relay")
        self.pf.start()
        self.relay.start()

    def teardown(self):
        for what in (self.relay, self.pf):
            if what is not None:
                try:
                    what.cleanup()
                except HarnessError as e:
                    print(f"warning: {e}", flush=True)
        if self.daemon is not None:
            self.daemon.kill()
        if self.mounted:
            run(["umount", self.daemon.quarantine], check=False)
        if self.daemon is not None:
            self.daemon.cleanup()

    # ---- the known state between scenarios ----

    def quarantine_fs(self):
        """(total, used, free) bytes of the quarantine tmpfs."""
        st = os.statvfs(self.daemon.quarantine)
        total = st.f_blocks * st.f_frsize
        return total, total - st.f_bfree * st.f_frsize, st.f_bavail * st.f_frsize

    def config_changes(self):
        """["section.key=value", ...] that differ from the base configuration."""
        out = []
        for section in sorted(set(self.base_sections) | set(self.daemon.sections)):
            base = self.base_sections.get(section, {})
            now = self.daemon.sections.get(section, {})
            for key in sorted(set(base) | set(now)):
                if base.get(key) != now.get(key):
                    out.append(f"{section}.{key}={now.get(key, '(unset)')}")
        return out

    def restore_base_config(self):
        """Writes the base configuration back (a reload or a restart applies
        it): for a scenario's finally, and for the runner."""
        self.daemon.sections = copy.deepcopy(self.base_sections)
        self.daemon.write_config()

    def copy_base_signatures(self):
        if os.path.exists(self.signatures):
            shutil.rmtree(self.signatures)
        shutil.copytree(self.base_signatures_dir, self.signatures)
        os.chmod(self.signatures, 0o755)

    def signature_changes(self):
        now = directory_digest(self.signatures)
        return sorted(name for name in set(now) | set(self.base_signatures)
                      if now.get(name) != self.base_signatures.get(name))

    def report_leftovers(self, name):
        """One line: what scenario name left behind. Each part is measured
        on its own, so that a broken store does not hide the queues."""
        parts, warnings = [], []
        try:
            rows = len(self.daemon.store.messages())
        except HarnessError as e:
            rows = f"unreadable ({str(e).splitlines()[0][-80:]})"
        q = self.daemon.quarantine
        files = self.daemon.store.files()
        tmp = [f for f in files if f.endswith(".tmp")]
        sizes = {e: tree_bytes(os.path.join(q, e)) for e in ("msg", "airlock.db", "airlock.db-wal")
                 if os.path.lexists(os.path.join(q, e))}
        parts.append(f"store {rows} rows, {len(files)} message files"
                     + (f" ({len(tmp)} .tmp)" if tmp else "") + " ("
                     + ", ".join(f"{e} {kib(n)}" for e, n in sizes.items()) + ")")
        total, used, free = self.quarantine_fs()
        planned = self.planned_store_bytes()
        parts.append(f"quarantine fs {kib(used)} used (planned at most {kib(planned)}: new "
                     f"store and {self.planned_messages} messages), {kib(free)} free of "
                     f"{kib(total)}")
        if free < NEARLY_FULL_FREE_BYTES:
            warnings.append("the quarantine fs nearly full")
        if used > planned:
            warnings.append("more on the quarantine fs than planned (see plan_store_use())")
        others = [f"{e} ({kib(tree_bytes(os.path.join(q, e)))})"
                  for e in sorted(os.listdir(q)) if e not in STORE_ENTRIES]
        if others:
            parts.append("other files " + ", ".join(others))
            warnings.append("files that are not the store's on the quarantine fs")
        for pf in (self.pf, self.relay):
            try:
                entries = pf.queue_entries()
            except HarnessError as e:
                entries = [str(e)]
            parts.append(f"{pf.name} queue {len(entries)}")
            if entries:
                warnings.append(f"the {pf.name} queue not empty")
        if self.daemon.running():
            parts.append(f"daemon running (pid {self.daemon.pid})")
        elif self.daemon.proc is not None:
            parts.append(f"daemon exited (status {self.daemon.proc.returncode})")
        else:
            parts.append("daemon not running")
        changed = self.config_changes()
        if changed:
            parts.append("config changed " + ", ".join(changed))
            warnings.append("the configuration changed")
        changed = self.signature_changes()
        if changed:
            parts.append("signature files changed " + ", ".join(changed))
            warnings.append("the signature files changed")
        line = f"     left by {name}: " + "; ".join(parts)
        if warnings:
            line += f"\n     WARNING: {name} left " + "; ".join(warnings)
        print(line, flush=True)

    def empty_queues(self):
        """Deletes what is queued at the relay, then at the mx (the relay
        first: it hands mail to the mx), until both stay empty."""
        for _ in range(5):
            if not self.relay.delete_queued() + self.pf.delete_queued():
                return
            self.relay.wait_until_queue_empty(60)
            self.pf.wait_until_queue_empty(60)
            time.sleep(1)  # a delivery under way when its file went may still arrive
        raise HarnessError("the queues do not stay empty")

    def stop_daemon(self, after):
        """Stops the daemon; an unclean stop is recorded for clean_stop."""
        if self.daemon.proc is None:
            return
        try:
            status = self.daemon.stop()
        except HarnessError as e:
            self.stop_problems.append(f"after {after}: {e}")
            self.daemon.kill()
            if os.path.exists(self.daemon.pidfile):
                os.unlink(self.daemon.pidfile)
            return
        if status != 0:
            self.stop_problems.append(f"after {after}: exit status {status}")

    def wipe_quarantine(self):
        """Removes everything on the quarantine tmpfs: the daemon creates a
        new store at its next start."""
        q = self.daemon.quarantine
        if not os.path.ismount(q):
            raise HarnessError(f"{q} is no longer a mount point")
        for entry in os.listdir(q):
            path = os.path.join(q, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        os.chown(q, self.uid, self.gid)
        os.chmod(q, 0o700)
        total, used, _ = self.quarantine_fs()
        if total != QUARANTINE_FS_BYTES or used > 64 * 1024:
            raise HarnessError(f"the emptied quarantine tmpfs has {kib(used)} used of "
                               f"{kib(total)} (expected {kib(QUARANTINE_FS_BYTES)}, empty)")

    def clean_state(self, after):
        """The state every scenario starts from (see the module comment).
        after: the scenario that ran before, for the record of an unclean
        stop."""
        self.empty_queues()
        self.stop_daemon(after)
        if self.config_changes():
            self.restore_base_config()
        if self.signature_changes():
            self.copy_base_signatures()
        self.wipe_quarantine()
        self.pf.clear_mailboxes()
        self.planned_messages = self.planned_file_bytes = 0
        self.daemon.start()
        # What the scenario may rely on.
        check(self.signature_changes() == [], "the signature files could not be restored")
        check(self.daemon.store.messages() == [] and self.daemon.store.files() == [],
              "the new store is not empty")
        total, self.new_store_bytes, _ = self.quarantine_fs()
        check(self.new_store_bytes <= NEW_STORE_MAX_BYTES,
              f"a new store takes {kib(self.new_store_bytes)} of the quarantine tmpfs")
        check(not self.pf.queue_entries() and not self.relay.queue_entries(),
              "a queue is not empty after the daemon's restart")
        check(not self.pf.delivered("bob") and not self.pf.delivered("sender"),
              "the mailboxes are not empty")

    # ---- helpers ----

    def plan_store_use(self, batch):
        """Counts what the messages of batch will take on the quarantine
        tmpfs at most (see WAL_BYTES_PER_MESSAGE); a scenario that would
        use more than SCENARIO_STORE_BUDGET_BYTES fails before sending."""
        for _, kind, data in batch:
            self.planned_messages += 1
            if kind in ("strip", "hold"):
                pages = -(-len(data) // TMPFS_PAGE_BYTES)
                self.planned_file_bytes += pages * TMPFS_PAGE_BYTES
        planned = self.planned_store_bytes()
        check(planned <= SCENARIO_STORE_BUDGET_BYTES,
              f"this scenario's {self.planned_messages} messages would take up to "
              f"{kib(planned)} of the {kib(QUARANTINE_FS_BYTES)} quarantine tmpfs, more than "
              f"the {kib(SCENARIO_STORE_BUDGET_BYTES)} a scenario may use: send fewer")

    def planned_store_bytes(self):
        """The new store's own size, measured, and the plan."""
        return (self.new_store_bytes + self.planned_file_bytes
                + min(self.planned_messages * WAL_BYTES_PER_MESSAGE, WAL_MAX_BYTES)
                + self.planned_messages * DB_BYTES_PER_MESSAGE)

    def diagnostics(self):
        return (f"\n--- mx maillog (end) ---\n{excerpt(self.pf.log(), 2500)}"
                f"\n--- relay maillog (end) ---\n{excerpt(self.relay.log(), 1500)}"
                f"\n--- airlock-milter stderr (end) ---\n{excerpt(self.daemon.stderr(), 3000)}")

    def batch(self, tag, kinds):
        """[(Message-ID, kind, bytes)]: kinds cycled, numbered under tag."""
        out = []
        for n, kind in enumerate(kinds):
            data = messages.numbered(messages.corpus(KINDS[kind]), n, tag)
            mid = message_id(data)
            out.append((mid, kind, data))
        self.plan_store_use(out)
        return out

    def send_via_relay(self, batch):
        for mid, _, data in batch:
            code, text = self.relay.send(data, SENDER, [RCPT])
            check(code == 250, f"the relay refused {mid}: {code} {text}")

    def settle(self, timeout=240):
        """Both queues empty (the relay flushed first, so that deferred
        mail is retried now rather than after its back-off)."""
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if not self.relay.queue_entries() and not self.pf.queue_entries():
                    return
                self.relay.flush()
                time.sleep(1)
            self.relay.wait_until_queue_empty(1)
            self.pf.wait_until_queue_empty(1)
        except HarnessError as e:
            raise TestFailure(str(e) + self.diagnostics()) from None

    def wait_log(self, pattern, timeout=120, start=0):
        """Waits for a daemon stderr line matching pattern after offset
        start; returns it."""
        rx = re.compile(pattern)

        def found():
            for line in self.daemon.stderr()[start:].splitlines():
                if rx.search(line):
                    return line
            return None
        try:
            return wait_for(found, timeout, interval=0.2, what=f"a log line /{pattern}/")
        except HarnessError as e:
            raise TestFailure(str(e) + self.diagnostics()) from None

    def wait_relay_deferred(self, count, timeout=120, start=0):
        """Waits until the relay's log shows count deferrals with a 4xx from
        the mx after offset start (a message being retried is "active", so
        the queue alone does not show it); returns those log lines."""
        rx = re.compile(r"status=deferred \(host \S+ said: 4\d\d ")

        def deferred():
            lines = [ln for ln in self.relay.log()[start:].splitlines() if rx.search(ln)]
            return lines if len(lines) >= count else None
        try:
            return wait_for(deferred, timeout, interval=0.5,
                            what=f"{count} messages deferred at the relay with a 4xx")
        except HarnessError as e:
            raise TestFailure(str(e) + self.diagnostics()) from None

    def store_rows(self):
        """{Message-ID: [row, ...]} of the store, from the stored originals."""
        out = {}
        for row in self.daemon.store.messages():
            mid = message_id(self.daemon.store.original(row))
            out.setdefault(mid, []).append(row)
        return out

    def ledger(self, batch, allow_orphans=False):
        """The invariant: each message of batch delivered exactly once
        (and marked), or held, or bounced; none missing, none duplicated.
        Returns {"delivered": n, "held": n, "bounced": n, "orphans": n}."""
        delivered = {}
        for data in self.pf.delivered("bob"):
            delivered.setdefault(message_id(data), []).append(data)
        bounces = b"\n".join(self.pf.delivered("sender"))
        rows = self.store_rows()
        counts = {"delivered": 0, "held": 0, "bounced": 0, "orphans": 0}
        for mid, kind, _ in batch:
            copies = delivered.get(mid, [])
            held = [r for r in rows.get(mid, []) if r["action"] == "hold"]
            bounced = mid.encode() in bounces
            ends = len(copies) + len(held) + int(bounced)
            check(ends >= 1, f"{mid} ({kind}) is missing: not delivered, held or bounced"
                  + self.diagnostics())
            check(len(copies) <= 1, f"{mid} ({kind}) delivered {len(copies)} times")
            # A crash between the store's commit and the MTA's answer: the
            # MTA offers the message again and the store keeps it once
            # (al_store_quarantine() recognises the same bytes, sender and
            # recipients), so even the kill test allows no second copy.
            check(ends == 1 or (allow_orphans and not copies and not bounced),
                  f"{mid} ({kind}) ended {len(copies)} delivered, {len(held)} held, "
                  f"bounced {bounced}")
            if bounced:
                counts["bounced"] += 1
            elif copies:
                counts["delivered"] += 1
                self.check_delivered(mid, kind, copies[0], rows.get(mid, []), allow_orphans,
                                     counts)
            else:
                check(kind == "hold", f"{mid} ({kind}) held, expected {kind}")
                counts["held"] += 1
                counts["orphans"] += len(held) - 1
        return counts

    def check_delivered(self, mid, kind, data, rows, allow_orphans, counts):
        values = messages.header_values(data, "X-Airlock")
        check(len(values) == 1, f"{mid} delivered with X-Airlock {values}: not scanned?")
        if kind == "clean":
            check(values == ["clean"], f"{mid} (clean) delivered with X-Airlock {values}")
            check(not rows, f"{mid} (clean) has store rows")
            return
        check(kind == "strip", f"{mid} ({kind}) was delivered")
        m = ID_RE.match(values[0])
        check(m is not None, f"{mid}: X-Airlock {values[0]!r}, expected stripped")
        ids = [r["id"] for r in rows]
        check(m.group(1) in ids, f"{mid}: quarantine id {m.group(1)} has no store row ({ids})")
        extra = len(ids) - 1
        check(extra == 0 or allow_orphans, f"{mid}: {len(ids)} store rows: {ids}")
        counts["orphans"] += extra

    # ---- scenarios ----

    def test_sigkill_during_burst(self):
        kinds = ["clean", "strip", "clean", "hold"] * 15
        batch = self.batch("kill", kinds)
        first, rest = batch[:KILL_FIRST_PART], batch[KILL_FIRST_PART:]
        rmark = len(self.relay.log())
        sender = threading.Thread(target=self.send_via_relay, args=(first,))
        sender.start()
        wait_for(lambda: len(self.store_rows()) >= 5 or len(self.pf.delivered("bob")) >= 10,
                 120, interval=0.05, what="the burst to be under way")
        self.daemon.proc.send_signal(signal.SIGKILL)
        self.daemon.proc.wait()
        self.daemon.kill()
        sender.join(300)
        check(not sender.is_alive(), "the relay did not take the first part of the burst")
        # The rest of the burst reaches the mx while the milter is dead:
        # nothing passes, the mx tempfails and the relay defers.
        self.send_via_relay(rest)
        self.wait_relay_deferred(1, timeout=60, start=rmark)
        time.sleep(3)
        for data in self.pf.delivered("bob"):
            check(len(messages.header_values(data, "X-Airlock")) == 1,
                  f"{message_id(data)} delivered without X-Airlock while the milter was dead")
        self.daemon.start()
        self.settle()
        counts = self.ledger(batch)
        print(f"     sigkill: {counts}", flush=True)

    def test_quarantine_fs_full(self):
        filler = os.path.join(self.daemon.quarantine, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        try:
            mark = len(self.daemon.stderr())
            batch = self.batch("full", ["strip", "clean", "hold", "strip"])
            rmark = len(self.relay.log())
            self.send_via_relay(batch)
            line = self.wait_log(r"quarantine store failed: .*No space left on device.*"
                                 r"answered tempfail", start=mark)
            print(f"     log: {line.strip()[:160]}", flush=True)
            self.wait_relay_deferred(3, start=rmark)
            check(not [d for d in self.pf.delivered("bob") if message_id(d) in
                       {m for m, k, _ in batch if k != "clean"}],
                  "a message that needs the quarantine was delivered with the disk full")
        finally:
            os.unlink(filler)
        self.settle()
        self.ledger(batch)

    def test_database_locked(self):
        holder = subprocess.Popen([system_python(), "-c", LOCK_HOLDER, self.daemon.store.db],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  user=self.uid, group=self.gid, extra_groups=[], cwd="/")
        try:
            check(holder.stdout.readline().strip() == "locked", "the lock holder did not lock")
            mark = len(self.daemon.stderr())
            batch = self.batch("locked", ["strip", "hold"])
            rmark = len(self.relay.log())
            self.send_via_relay(batch)
            line = self.wait_log(r"quarantine store failed: .*database is locked.*"
                                 r"answered tempfail", start=mark)
            print(f"     log: {line.strip()[:160]}", flush=True)
            self.wait_relay_deferred(2, start=rmark)
        finally:
            holder.stdin.close()
            holder.wait(30)
        self.settle()
        self.ledger(batch)

    def restart_with_broken_db(self, break_db):
        """Stops the daemon, breaks the database with break_db(), starts the
        daemon again: it must start and say that the store is unavailable."""
        check(self.daemon.stop() == 0, "the daemon did not stop cleanly")
        break_db(self.daemon.store.db)
        mark = len(self.daemon.stderr())
        self.daemon.start()
        line = self.wait_log(r"quarantine store unavailable: .*answered tempfail until it "
                             r"opens", start=mark)
        print(f"     log: {line.strip()[:160]}", flush=True)
        return mark

    def broken_db_case(self, tag, break_db, repair_db, why):
        mark = self.restart_with_broken_db(break_db)
        batch = self.batch(tag, ["strip", "clean", "hold"])
        rmark = len(self.relay.log())
        self.send_via_relay(batch)
        self.wait_log(r"quarantine store failed: .*" + why + r".*answered tempfail", start=mark)
        self.wait_relay_deferred(2, start=rmark)
        clean = [m for m, k, _ in batch if k == "clean"]
        wait_for(lambda: any(message_id(d) in clean for d in self.pf.delivered("bob")), 60,
                 what="clean mail delivered while the store is broken")
        repair_db(self.daemon.store.db)
        self.settle()
        self.wait_log(r"quarantine store .* is available again", start=mark, timeout=10)
        self.ledger(batch)

    def test_database_read_only(self):
        def make_read_only(db):
            os.chown(db, 0, 0)
            os.chmod(db, 0o644)

        def repair(db):
            os.chown(db, self.uid, self.gid)
            os.chmod(db, 0o600)
        self.broken_db_case("readonly", make_read_only, repair, r"chmod|read-?only|denied|not permitted")

    def test_database_corrupt(self):
        backup = os.path.join(self.daemon.dir, "airlock.db.backup")

        def corrupt(db):
            shutil.copy2(db, backup)  # the admin's backup, taken while stopped
            with open(db, "r+b") as f:
                f.write(os.urandom(4096))

        def restore(db):
            shutil.copy2(backup, db + ".new")
            os.chown(db + ".new", self.uid, self.gid)
            os.rename(db + ".new", db)
        self.broken_db_case("corrupt", corrupt, restore, r"not a database|malformed|corrupt")

    def send_direct(self, data, answered):
        """pf.send() for a sender thread, then sets the event answered; a
        client error is an answer (code 0) rather than an exception."""
        try:
            return self.pf.send(data, SENDER, [RCPT])
        except Exception as e:  # noqa: BLE001 - recorded as a failure
            return 0, f"client error {e!r}"
        finally:
            answered.set()

    def signal_reloads(self, start):
        return len(RELOAD_LINE_RE.findall(self.daemon.stderr()[start:]))

    def test_sighup_during_burst(self):
        """HUP_ROUNDS rounds of HUP_ROUND_MESSAGES messages straight to the
        mx from HUP_SENDER_THREADS threads. A round's SIGHUP goes when its
        first answer comes: the other threads' messages, sent at the same
        time, are then in the milter, and the rest of the round is sent
        during the reload (a fraction of a second to seconds), on a slow
        or a fast machine. The next round waits for that reload's log
        line, so that no SIGHUP lands in a reload still running and each
        one must give its own line."""
        batch = self.batch("hup", ["clean", "strip"] * (HUP_ROUNDS * HUP_ROUND_MESSAGES // 2))
        mark = len(self.daemon.stderr())
        results, hups = {}, 0
        with concurrent.futures.ThreadPoolExecutor(HUP_SENDER_THREADS) as pool:
            for n in range(HUP_ROUNDS):
                answered = threading.Event()
                futures = [(mid, pool.submit(self.send_direct, data, answered))
                           for mid, _, data in
                           batch[n * HUP_ROUND_MESSAGES:(n + 1) * HUP_ROUND_MESSAGES]]
                check(answered.wait(300), f"round {n + 1}: no answer from the mx in 300 s")
                self.daemon.proc.send_signal(signal.SIGHUP)
                hups += 1
                for mid, future in futures:
                    try:
                        results[mid] = future.result(600)
                    except concurrent.futures.TimeoutError:
                        results[mid] = (0, "no answer within 600 s")
                check(self.daemon.running(),
                      f"airlock-milter died in round {n + 1} of the SIGHUPs" + self.diagnostics())
                try:
                    wait_for(lambda: self.signal_reloads(mark) >= hups, 120, interval=0.1,
                             what=f"{hups} 'reloaded' log lines")
                except HarnessError as e:
                    raise TestFailure(str(e) + self.diagnostics()) from None
        refused = {m: r for m, r in results.items() if r[0] != 250}
        check(len(results) == len(batch), f"{len(results)} of {len(batch)} sends finished")
        check(not refused, f"{len(refused)} of {len(batch)} refused during the SIGHUPs, e.g. "
              f"{sorted(refused.items())[:3]}" + self.diagnostics())
        self.settle()
        check(self.daemon.running(), "airlock-milter died during the SIGHUPs" + self.diagnostics())
        reloads = self.signal_reloads(mark)
        check(reloads >= hups, f"{hups} SIGHUPs, {reloads} 'reloaded' log lines")
        print(f"     {hups} SIGHUPs, {reloads} reloads during {len(batch)} messages", flush=True)
        self.ledger(batch)

    def test_broken_signature_reload(self):
        broken = os.path.join(self.signatures, "zz-broken.ndb")
        with open(broken, "w", encoding="ascii") as f:
            f.write("Airlock.Broken.Test:0:*:this is not hex\n")
        os.chmod(broken, 0o644)
        try:
            mark = len(self.daemon.stderr())
            self.daemon.proc.send_signal(signal.SIGHUP)
            line = self.wait_log(r"reload failed, keeping the running configuration and "
                                 r"signatures: .+", start=mark)
            print(f"     log: {line.strip()[:200]}", flush=True)
            check(self.daemon.running(), "the daemon died on a broken reload")
            check("reloaded " not in self.daemon.stderr()[mark:], "a broken reload was applied")
            batch = self.batch("badsig", ["hold", "clean", "strip"])
            self.send_via_relay(batch)
            self.settle()
            self.ledger(batch)
        finally:
            os.unlink(broken)
        mark = len(self.daemon.stderr())
        self.daemon.reload()
        check("reload failed" not in self.daemon.stderr()[mark:], "the fixed reload failed")

    def test_scan_time_budget(self):
        bomb = messages.corpus("zip-bomb-200mb.eml")
        xclient = {"ADDR": INTERNAL_IP, "NAME": "pc.internal.example"}
        data = messages.numbered(bomb, 1, "slow")
        mid = message_id(data)
        # The bomb once in the store; its second copy is refused, judged only.
        self.plan_store_use([(mid, "strip", data), (None, "refused", None)])
        before = set(self.store_rows())
        code, text = self.pf.send(data, SENDER, [RCPT], xclient=xclient)
        check(code == 250, f"the mx answered {code} {text}" + self.diagnostics())
        self.settle()
        got = [d for d in self.pf.delivered("bob") if message_id(d) == mid]
        check(len(got) == 1, f"{len(got)} copies of the slow message delivered")
        values = messages.header_values(got[0], "X-Airlock")
        check(len(values) == 1 and ID_RE.match(values[0]),
              f"a scan past its budget gave X-Airlock {values}, expected stripped"
              + self.diagnostics())
        rows = self.store_rows().get(mid, [])
        check(len(rows) == 1 and rows[0]["reasons"].split(",") == ["limits"] and
              mid not in before, f"store rows {rows}: expected one with reasons 'limits' only")
        check(b"PK\x03\x04" not in got[0], "the archive was delivered")
        # The same with action_limits = tempfail: a 4xx, never a 250.
        self.daemon.set("policy", "action_limits", "tempfail")
        self.daemon.reload()
        try:
            data = messages.numbered(bomb, 2, "slow")
            code, text = self.pf.send(data, SENDER, [RCPT], xclient=xclient)
            check(code == 451 and "4.7.1" in text,
                  f"with action_limits = tempfail the mx answered {code} {text}")
        finally:
            self.restore_base_config()
            self.daemon.reload()

    def test_disk_guard(self):
        """[quarantine] min_free above the free space: mail that needs the
        quarantine is answered 451 4.3.1 before anything is written (no
        store row, no file), clean mail is delivered, the guard logs once
        (not once per message) and mails admin_address once; once space
        is back it resumes by itself: everything ends delivered or held."""
        _, _, free = self.quarantine_fs()
        filler = os.path.join(self.daemon.quarantine, "filler")
        with open(filler, "wb") as f:
            f.write(bytes(max(0, free - GUARD_FREE_LEFT_BYTES)))
        self.daemon.set("quarantine", "min_free", GUARD_MIN_FREE)
        self.daemon.set("notice", "admin_address", "postmaster@sink.test")
        self.daemon.reload()
        start = time.monotonic()
        mark, rmark = len(self.daemon.stderr()), len(self.relay.log())
        batch = self.batch("guard", ["strip", "clean", "hold", "strip", "clean", "strip"])
        needs = [m for m, k, _ in batch if k != "clean"]
        self.plan_store_use(batch)
        try:
            self.send_via_relay(batch)
            lines = self.wait_relay_deferred(len(needs), start=rmark)
            check(all("4.3.1" in ln for ln in lines), f"deferred without 4.3.1: {lines[:2]}")
            clean = [m for m, k, _ in batch if k == "clean"]
            wait_for(lambda: len([d for d in self.pf.delivered("bob")
                                  if message_id(d) in clean]) == len(clean), 120,
                     what="the clean messages delivered while the disk is low")
            check(self.daemon.store.messages() == [] and self.daemon.store.files() == [],
                  "the guard let the store write while below min_free")
            wait_for(lambda: self.pf.delivered("postmaster"), 60, what="the admin's alert")
            log = self.daemon.stderr()[mark:]
            check("quarantine store failed" not in log,
                  "a message reached the store's write: the guard did not answer first")
            low = re.findall(r"quarantine disk (?:low|still low):", log)
            minutes = int((time.monotonic() - start) // 60)
            check(1 <= len(low) <= 1 + minutes,
                  f"{len(low)} 'quarantine disk low' lines in {minutes + 1} minute(s)")
        finally:
            os.unlink(filler)
        self.settle()
        self.wait_log(r"quarantine disk space back: ", start=mark, timeout=10)
        alerts = self.pf.delivered("postmaster")
        check(len(alerts) == 1, f"the admin was mailed {len(alerts)} times, expected once")
        subject = " ".join(str(messages.parse(alerts[0])["Subject"]).split())
        check("quarantine disk almost full" in subject, f"the alert's subject: {subject!r}")
        counts = self.ledger(batch)
        print(f"     guard: {counts}, admin mailed once", flush=True)
        self.restore_base_config()
        self.daemon.reload()

    def marker_message(self, n, marker):
        return (f"From: <{SENDER}>\r\nTo: <{RCPT}>\r\nSubject: signature update {n}\r\n"
                f"Message-ID: <sigupdate-{n}@faults.airlock-test.example>\r\n"
                "Date: Sun, 06 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
                f"Hello,\r\n{marker}\r\n").encode("ascii")

    def test_signature_update(self):
        """A signature file dropped into the signature directory (as
        freshclam does) is in use within [scan] database_check_seconds,
        without a signal and with no message refused meanwhile: a message
        accepted before is held as a virus after."""
        self.daemon.set("scan", "database_check_seconds", "2")
        self.daemon.reload()
        marker = "AIRLOCK-FAULTS-SIGNATURE-UPDATE-MARKER"
        xclient = {"ADDR": INTERNAL_IP, "NAME": "pc.internal.example"}
        code, text = self.pf.send(self.marker_message(1, marker), SENDER, [RCPT], xclient=xclient)
        check(code == 250, f"before the update: {code} {text}")
        wait_for(lambda: any(b"signature update 1" in d for d in self.pf.delivered("bob")), 120,
                 what="the marker message delivered before the update")
        mark = len(self.daemon.stderr())
        batch = self.batch("sigupd", ["clean", "strip"] * 6)
        self.plan_store_use(batch)
        before = int(re.findall(r"(\d+) signatures", self.daemon.stderr()[:mark])[-1])
        # Written beside the directory, then renamed in, as freshclam does;
        # a temporary file inside it would not count as a change anyway.
        path = os.path.join(self.signatures, "zz-update.ndb")
        tmp = os.path.join(self.daemon.dir, "zz-update.ndb.tmp")
        with open(tmp, "w", encoding="ascii") as f:
            f.write("Faults.Update.Marker:0:*:%s\n" % marker.encode("ascii").hex())
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
        results = {}
        with concurrent.futures.ThreadPoolExecutor(HUP_SENDER_THREADS) as pool:
            futures = {mid: pool.submit(self.send_direct, data, threading.Event())
                       for mid, _, data in batch}
            line = self.wait_log(r"reloaded .*\(database-change\): \d+ signatures",
                                 start=mark, timeout=60)
            for mid, future in futures.items():
                results[mid] = future.result(600)
        refused = {m: r for m, r in results.items() if r[0] != 250}
        check(not refused, f"{len(refused)} refused during the update: {sorted(refused.items())[:3]}")
        print(f"     log: {line.strip()[:160]}", flush=True)
        after = int(re.search(r"\(database-change\): (\d+) signatures", line).group(1))
        check(after == before + 1, f"{before} signatures before the update, {after} after")
        code, text = self.pf.send(self.marker_message(2, marker), SENDER, [RCPT], xclient=xclient)
        check(code == 250, f"after the update: {code} {text}")
        self.settle()
        # (its hold notice, which quotes the subject, is delivered)
        check(not any(message_id(d) == "<sigupdate-2@faults.airlock-test.example>"
                      for d in self.pf.delivered("bob")),
              "the marker message was delivered after the update")
        held = [r for r in self.daemon.store.messages()
                if "virus" in r["reasons"].split(",") and r["action"] == "hold"]
        check(len(held) == 1, f"expected the marker message held as a virus, store: {held}")
        self.ledger(batch)
        os.unlink(path)
        self.restore_base_config()
        self.daemon.reload()

    def test_least_privilege(self):
        # A quarantined file of its own, to check its mode.
        batch = self.batch("priv", ["strip"])
        self.send_via_relay(batch)
        self.settle()
        self.ledger(batch)
        status = {}
        with open(f"/proc/{self.daemon.pid}/status", encoding="ascii") as f:
            for line in f:
                key, _, value = line.partition(":")
                status[key] = value.split()
        check(status["Uid"] == [str(self.uid)] * 4, f"daemon uids {status['Uid']}")
        check(status["Gid"] == [str(self.gid)] * 4, f"daemon gids {status['Gid']}")
        check("0" not in status["Groups"], f"daemon groups {status['Groups']} include root")
        check(int(status["CapEff"][0], 16) == 0 and int(status["CapPrm"][0], 16) == 0,
              f"daemon capabilities CapEff {status['CapEff']} CapPrm {status['CapPrm']}")
        q = self.daemon.quarantine
        self.check_mode(q, 0o700)
        self.check_mode(os.path.join(q, "msg"), 0o700)
        for name in ("airlock.db", "release.key"):
            self.check_mode(os.path.join(q, name), 0o600)
        for name in self.daemon.store.files():
            self.check_mode(os.path.join(q, "msg", name), 0o600)
        check(self.daemon.store.files(), "no quarantined file to look at")
        self.check_systemd_unit()
        # [milter] user = root: refused before any mail is read.
        root = Daemon(self.binary, "root", name="faults-root")
        try:
            proc = subprocess.run([self.binary, "-f", "-c", root.config], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=120)
            check(proc.returncode != 0 and "refusing to run as root" in proc.stdout,
                  f"[milter] user = root: exit {proc.returncode}, output {proc.stdout!r}")
        finally:
            root.cleanup()

    @staticmethod
    def check_systemd_unit():
        """The shipped unit keeps the sandboxing options (no systemd here to
        run it: its text is checked)."""
        path = os.path.join(REPO_DIR, "conf", "airlock-milter.service")
        with open(path, encoding="utf-8") as f:
            settings = {}
            for line in f:
                key, sep, value = line.strip().partition("=")
                if sep and not key.startswith("#"):
                    settings.setdefault(key, []).append(value)
        wanted = {"User": "airlock", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
                  "PrivateTmp": "yes", "PrivateDevices": "yes", "ProtectHome": "yes",
                  "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
                  "ProtectControlGroups": "yes", "RestrictSUIDSGID": "yes",
                  "CapabilityBoundingSet": "", "AmbientCapabilities": "",
                  "SupplementaryGroups": "postdrop"}
        for key, value in wanted.items():
            check(value in settings.get(key, []),
                  f"{path}: {key}={value} missing (has {settings.get(key)})")
        check(any(v.startswith("~@privileged") for v in settings.get("SystemCallFilter", [])),
              f"{path}: SystemCallFilter does not deny @privileged")

    def check_mode(self, path, mode):
        st = os.stat(path)
        check(st.st_uid == self.uid, f"{path} is owned by uid {st.st_uid}, not {DAEMON_USER}")
        check(st.st_mode & 0o777 == mode,
              f"{path} has mode {oct(st.st_mode & 0o777)}, expected {oct(mode)}")

    # ---- main ----

    def run_test(self, name, func):
        start = time.monotonic()
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
            print(f"ok   {name} ({time.monotonic() - start:.0f}s)", flush=True)

    def run(self):
        names = list(self.SCENARIOS)
        only = os.environ.get("AIRLOCK_FAULTS_ONLY")
        if only:
            wanted = [n.strip() for n in only.split(",") if n.strip()]
            for name in wanted:
                if name not in names:
                    self.failed += 1
                    print(f"FAIL {name}: AIRLOCK_FAULTS_ONLY names no such scenario "
                          f"(there are {', '.join(names)})", flush=True)
            names = [n for n in names if n in wanted]
        try:
            self.setup()
        except (HarnessError, TestFailure) as e:
            self.failed += len(names)
            print(f"FAIL setup (all {len(names)} scenarios): {e}", flush=True)
            return
        previous = "setup"
        for name in names:
            try:
                self.clean_state(previous)
            except (HarnessError, TestFailure) as e:
                self.failed += 1
                print(f"FAIL {name}: no clean state to start from (after {previous}): {e}",
                      flush=True)
                continue
            finally:
                previous = name
            self.run_test(name, getattr(self, f"test_{name}"))
            try:
                self.report_leftovers(name)
            except Exception:  # noqa: BLE001 - the next clean_state() still runs
                print(f"     left by {name}: could not be measured\n{traceback.format_exc()}",
                      flush=True)
        self.stop_daemon(previous)
        log = self.daemon.stderr()
        bad = [b for b in ("AddressSanitizer", "runtime error:", "LeakSanitizer") if b in log]
        if self.stop_problems or bad:
            self.failed += 1
            print(f"FAIL clean_stop: {'; '.join(self.stop_problems)} {bad}\n"
                  f"{excerpt(log, 3000)}", flush=True)
        else:
            self.passed += 1
            print("ok   clean_stop", flush=True)


def main():
    return suite_main(Faults, "test_faults.py BUILD_DIR")


if __name__ == "__main__":
    sys.exit(main())
