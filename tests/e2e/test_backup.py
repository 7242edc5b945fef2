#!/usr/bin/env python3
"""End-to-end tests of airlockctl backup and restore on the store of a
real airlock-milter that keeps quarantining while the backup runs.

    python3 tests/e2e/test_backup.py BUILD_DIR        (as root)

The daemon runs as the system user airlock-test (primary group postfix,
as in test_admin.py); messages reach it through the milter protocol
(tests/lib/milter_client.py: an attachment from an unknown sender, so
each one is stripped and quarantined). airlockctl runs as root with the
daemon's config, as an admin would.

Scenarios: a backup taken during a burst, restored into a new store (a
second config): every row of every table and every file identical to
the backup's own database copy, each backed-up row identical to the live
one, owners and modes those of a store; a backup with one byte of one
message changed, with an edited manifest, with an extra file: restore
exits 1 with one line naming the file and creates nothing; after
airlockctl init on a new store directory (the reinstall of a recovery),
a backup without the key restores into that empty store, one with the
key is refused (init's new key is never replaced); a restore while the
daemon answers on the config's socket is refused and changes nothing; a
restore into a store that holds messages is refused, saying how many,
and changes nothing; --into removes backups older than the retention
and keeps the others. Second configs point their socket at a path
nobody listens on, so the running daemon does not stop their restore.
Prints
one line per scenario and "N passed, M failed"; exits 1 on any failure.
"""

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import messages  # noqa: E402
from airlock import Daemon, find_binary  # noqa: E402
from milter_client import MilterError, MilterSession  # noqa: E402
from util import (run_scenarios, HarnessError, ensure_system_user, excerpt, is_root, suite_main,  # noqa: E402
                  wait_for)

DAEMON_USER = "airlock-test"
BURST = 120
BURST_THREADS = 3
BACKUP_AFTER = 30
TABLES = ("messages", "recipients", "items", "events", "correspondents", "daily_counters",
          "release_tokens", "schema_version")
ONE_LINE = re.compile(r"^airlockctl: [^\n]+\n$")


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def dump(db_path):
    """{table: [rows]} of a database nobody writes (immutable: no -shm
    made as root)."""
    db = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
    try:
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}
    finally:
        db.close()


def tree(path):
    """{relative path: (bytes, mode, uid)} of every file under path."""
    out = {}
    for root, _, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            st = os.lstat(full)
            with open(full, "rb") as f:
                out[os.path.relpath(full, path)] = (f.read(), st.st_mode & 0o7777, st.st_uid)
    return out


class Backup:
    def __init__(self, build_dir):
        if not is_root():
            raise HarnessError("the backup tests need root (the airlock-test user, airlockctl "
                               "as root): run them as root")
        self.binary = find_binary(build_dir)
        self.ctl = os.path.join(os.path.abspath(build_dir), "src", "ctl", "airlockctl")
        if not os.access(self.ctl, os.X_OK):
            raise HarnessError(f"{self.ctl} not found: build it first")
        ensure_system_user(DAEMON_USER, "postfix")
        self.pdf = messages.corpus("pdf-stranger.eml")
        self.passed = 0
        self.failed = 0
        self.daemon = None
        self.tmp = tempfile.mkdtemp(prefix="airlock-backup-test-")
        os.chmod(self.tmp, 0o755)
        self.backup = os.path.join(self.tmp, "backup")

    def teardown(self):
        if self.daemon is not None:
            self.daemon.cleanup()
        if not os.environ.get("AIRLOCK_TEST_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- helpers ----

    def airlockctl(self, *args, config=None):
        proc = subprocess.run([self.ctl, args[0], "-c", config or self.daemon.config]
                              + list(args[1:]), capture_output=True, text=True, timeout=300)
        return proc.returncode, proc.stdout, proc.stderr

    def ok(self, *args, config=None):
        code, out, err = self.airlockctl(*args, config=config)
        check(code == 0, f"airlockctl {' '.join(args)} exited {code}:\n{out}{err}"
              f"\n--- daemon stderr ---\n{excerpt(self.daemon.stderr(), 2000)}")
        return out

    def refused(self, expect, *args, config=None):
        code, out, err = self.airlockctl(*args, config=config)
        check(code == 1, f"airlockctl {' '.join(args)} exited {code}, expected 1:\n{out}{err}")
        check(ONE_LINE.match(err), f"not one line on stderr: {err!r}")
        check(expect in err, f"{err.strip()!r} lacks {expect!r}")
        return err

    def second_config(self, name):
        """A copy of the daemon's config whose store is tmp/NAME (missing)
        and whose socket nobody listens on."""
        store = os.path.join(self.tmp, name)
        with open(self.daemon.config, encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"(?m)^dir = .*$", f"dir = {store}", text)
        text = re.sub(r"(?m)^socket = .*$", f"socket = unix:{store}.sock", text)
        conf = os.path.join(self.tmp, f"{name}.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(conf, 0o644)
        return conf, store

    def send(self, n):
        data = messages.numbered(self.pdf, n, "backup")
        with MilterSession(self.daemon.socket) as s:
            s.negotiate()
            return s.transaction(data, client_ip="198.51.100.7", mail_from="x@unknown.example",
                                 rcpts=("bob@clinic.example",), queue_id=f"BK{n}")

    def burst(self, results):
        work, lock = list(range(BURST)), threading.Lock()

        def worker():
            while True:
                with lock:
                    if not work:
                        return
                    n = work.pop(0)
                try:
                    reply = self.send(n).reply
                except (OSError, MilterError) as e:
                    reply = f"error {e}"
                with lock:
                    results[n] = reply

        threads = [threading.Thread(target=worker) for _ in range(BURST_THREADS)]
        for t in threads:
            t.start()
        return threads

    def copy_backup(self, name):
        dst = os.path.join(self.tmp, name)
        shutil.copytree(self.backup, dst)
        return dst

    # ---- scenarios ----

    def test_backup_during_burst_restored_identical(self):
        results = {}
        threads = self.burst(results)
        try:
            wait_for(lambda: len(results) >= BACKUP_AFTER, 300, what=f"{BACKUP_AFTER} messages")
            out = self.ok("backup", "--with-key", self.backup)
            done_at_backup = len(results)
        finally:
            for t in threads:
                t.join(600)
        check(len(results) == BURST and set(results.values()) == {"accept"},
              f"burst replies: {sorted(set(results.values()))} for {len(results)} messages")
        check("release key included" in out, f"backup said {out!r}")
        backed = dump(os.path.join(self.backup, "airlock.db"))
        live = {r["id"]: r for r in self.daemon.store.messages()}
        n = len(backed["messages"])
        # Taken during the burst: some of it, not all.
        check(BACKUP_AFTER <= n < len(live), f"{n} messages in the backup, "
              f"{len(live)} in the store, {done_at_backup} answered at the backup")
        for row in backed["messages"]:
            check(row[0] in live and tuple(live[row[0]].values()) == tuple(row),
                  f"backed-up row {row[0]} differs from the live one")
        conf, store = self.second_config("restored")
        out = self.ok("restore", self.backup, config=conf)
        check(f"{n} originals" in out, f"restore said {out!r}")
        check(dump(os.path.join(store, "airlock.db")) == backed,
              "the restored rows differ from the backup's")
        files = tree(store)
        backup_files = tree(self.backup)
        check(sorted(files) == sorted(f for f in backup_files if f != "MANIFEST"),
              f"restored files {sorted(files)[:5]}... differ from the backup's")
        for rel, (data, mode, uid) in files.items():
            # The database is compared row by row above: its first open
            # after the restore switches it to WAL (header bytes change).
            check(rel == "airlock.db" or data == backup_files[rel][0],
                  f"{rel}: restored bytes differ")
            check(mode == 0o600 and uid == self.daemon.uid, f"{rel}: mode {oct(mode)} uid {uid}")
        for row in backed["messages"]:
            data = files[row[16]][0]
            check(hashlib.sha256(data).hexdigest() == row[15], f"{row[16]}: sha256 column")
        st = os.stat(store)
        check(st.st_mode & 0o777 == 0o700 and st.st_uid == self.daemon.uid,
              f"restored store mode {oct(st.st_mode)} uid {st.st_uid}")
        with open(os.path.join(self.daemon.quarantine, "release.key"), "rb") as a, \
                open(os.path.join(store, "release.key"), "rb") as b:
            check(a.read() == b.read(), "the restored key differs")

    def test_tampered_backup_refused_nothing_written(self):
        first = sorted(os.listdir(os.path.join(self.backup, "msg")))[0]
        cases = []
        bad = self.copy_backup("tampered")
        path = os.path.join(bad, "msg", first)
        with open(path, "r+b") as f:
            f.seek(100)
            byte = f.read(1)
            f.seek(100)
            f.write(bytes([byte[0] ^ 1]))
        cases.append((bad, f"msg/{first}: does not match"))
        edited = self.copy_backup("edited")
        manifest = os.path.join(edited, "MANIFEST")
        with open(manifest, encoding="utf-8") as f:
            text = f.read()
        with open(manifest, "w", encoding="utf-8") as f:
            f.write(text.replace("key yes", "key no"))
        cases.append((edited, "MANIFEST: incomplete, edited"))
        extra = self.copy_backup("extra")
        with open(os.path.join(extra, "msg", "x.eml"), "wb") as f:
            f.write(b"x")
        cases.append((extra, "msg/x.eml: not listed"))
        for backup, expect in cases:
            conf, store = self.second_config("never")
            self.refused(expect, "restore", backup, config=conf)
            check(not os.path.exists(store), f"a refused restore made {store}")

    def test_restore_after_init_into_empty_store(self):
        conf, store = self.second_config("reinstalled")
        self.ok("init", config=conf)
        key = os.path.join(store, "release.key")
        with open(key, "rb") as f:
            new_key = f.read()
        check(dump(os.path.join(store, "airlock.db"))["messages"] == [], "init made messages")
        # Init's new key is never replaced by the backup's.
        self.refused("release.key exists", "restore", self.backup, config=conf)
        check(sorted(tree(store)) == ["airlock.db", "release.key"],
              f"a refused restore changed {store}: {sorted(tree(store))}")
        plain = os.path.join(self.tmp, "backup-without-key")
        self.ok("backup", plain)
        backed = dump(os.path.join(plain, "airlock.db"))
        out = self.ok("restore", plain, config=conf)
        n = len(backed["messages"])
        check(n > 0 and f"{n} originals" in out, f"restore said {out!r}")
        check("airlockctl init creates a new one" not in out, f"restore said {out!r}")
        check(dump(os.path.join(store, "airlock.db")) == backed,
              "the rows restored into the empty store differ from the backup's")
        files = tree(store)
        backup_files = tree(plain)
        check(sorted(files) == sorted(["release.key"] + [f for f in backup_files
                                                          if f != "MANIFEST"]),
              f"restored files {sorted(files)[:5]}... differ from the backup's")
        for rel, (data, mode, uid) in files.items():
            check(rel == "airlock.db" or rel == "release.key" or data == backup_files[rel][0],
                  f"{rel}: restored bytes differ")
            check(mode == 0o600 and uid == self.daemon.uid, f"{rel}: mode {oct(mode)} uid {uid}")
        check(files["release.key"][0] == new_key, "the restore changed init's key")
        self.ok("init", config=conf)  # the restored store checks out

    def test_restore_refused_while_daemon_runs(self):
        before = (self.daemon.store.messages(), self.daemon.store.files())
        plain = os.path.join(self.tmp, "backup-without-key")
        for backup in (self.backup, plain):
            self.refused(f"airlock-milter is running on unix:{self.daemon.socket}: stop it first",
                         "restore", backup)
        check((self.daemon.store.messages(), self.daemon.store.files()) == before,
              "a refused restore changed the store")

    def test_restore_into_non_empty_store_refused(self):
        conf, store = self.second_config("restored")  # restored by the first scenario
        before = tree(store)
        n = len(dump(os.path.join(store, "airlock.db"))["messages"])
        self.refused(f"already holds a store with {n} messages: restore only into an empty store",
                     "restore", self.backup, config=conf)
        check(tree(store) == before, "a refused restore changed the store")

    def test_into_prunes_old_backups_only(self):
        parent = os.path.join(self.tmp, "nightly")
        self.ok("backup", "--into", parent)
        first = os.listdir(parent)
        check(len(first) == 1 and first[0].startswith("airlock-backup-"), str(first))
        old = os.path.join(parent, "airlock-backup-20000101T000000Z")
        os.rename(os.path.join(parent, first[0]), old)
        os.mkdir(os.path.join(parent, "not-a-backup"))
        out = self.ok("backup", "--into", parent)
        check("removed 1 backup older than 30 days" in out, f"backup said {out!r}")
        left = sorted(os.listdir(parent))
        check(len(left) == 2 and "not-a-backup" in left and old not in left, str(left))
        self.refused("not empty", "backup", os.path.join(parent, "not-a-backup", ".."))

    def test_clean_stop(self):
        status = self.daemon.stop()
        check(status == 0, f"airlock-milter exited {status}:\n{excerpt(self.daemon.stderr())}")

    # ---- main ----

    def scenarios(self):
        return [self.test_backup_during_burst_restored_identical,
                self.test_tampered_backup_refused_nothing_written,
                self.test_restore_after_init_into_empty_store,
                self.test_restore_refused_while_daemon_runs,
                self.test_restore_into_non_empty_store_refused,
                self.test_into_prunes_old_backups_only,
                self.test_clean_stop]

    def run(self):
        tests = self.scenarios()
        try:
            self.daemon = Daemon(self.binary, DAEMON_USER, name="backup")
            self.daemon.start()
        except HarnessError as e:
            self.failed += len(tests)
            print(f"FAIL setup (all {len(tests)} scenarios): {e}", flush=True)
            return
        run_scenarios(self, tests, (TestFailure, HarnessError))


def main():
    return suite_main(Backup, "test_backup.py BUILD_DIR")


if __name__ == "__main__":
    sys.exit(main())
