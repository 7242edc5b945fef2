#!/usr/bin/env python3
"""End-to-end tests of airlockctl migrate --to postgresql and of the
admin commands on a PostgreSQL store.

    python3 tests/e2e/test_migrate.py BUILD_DIR     (after the postgres-start fixture)

A real airlock-milter (tests/lib/airlock.py; as root it runs as the
system user airlock-test) quarantines three messages into its SQLite
store through the milter protocol, then stops. The PostgreSQL server is
the ctest fixture's (tests/lib/pg.py); this test makes its own database
in it, with a passfile the daemon's user owns, and drops it at the end.

Scenarios, in order: migrate copies the three messages, their originals
(the SHA-256 of each bytea equals the SQLite row's) and their events;
a second migrate is refused (exit 1, "not empty") and changes nothing;
with backend = postgresql, airlockctl list names the three, show --raw
gives the bytes of the SQLite original, status --json reports the
PostgreSQL store reachable with three quarantined; airlockctl backup is
refused (pg_dump); the daemon restarted on PostgreSQL quarantines a
fourth message there (and none in the SQLite store); a password in dsn
is refused by the config check (exit 1). Prints one line per scenario
and "N passed, M failed".
"""

import hashlib
import json
import os
import pwd
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import messages  # noqa: E402
from airlock import Daemon, find_binary  # noqa: E402
from milter_client import MilterError, MilterSession  # noqa: E402
from pg import dsn_quote, fixture_dsn, write_passfile  # noqa: E402
from util import (HarnessError, ensure_system_user, excerpt, is_root, run_scenarios,  # noqa: E402
                  suite_main)

OUTSIDE_IP = "198.51.100.7"


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def dsn_fields(dsn):
    """key=value pairs of a libpq string as written by pg.py (values
    quoted with '' when they hold spaces)."""
    return {m.group(1): m.group(3) if m.group(3) is not None else m.group(4)
            for m in re.finditer(r"(\w+)=('((?:[^'\\]|\\.)*)'|(\S+))", dsn)}


def passfile_password(path):
    """The password field of a one-line passfile (':' and '\\' escaped)."""
    with open(path) as f:
        line = f.readline().rstrip("\n")
    fields, cur, i = [], "", 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            cur += line[i + 1]
            i += 2
            continue
        if line[i] == ":":
            fields.append(cur)
            cur = ""
        else:
            cur += line[i]
        i += 1
    fields.append(cur)
    return fields[4]


class Migrate:
    def __init__(self, build_dir):
        build_dir = os.path.abspath(build_dir)
        self.ctl = os.path.join(build_dir, "src", "ctl", "airlockctl")
        if not os.access(self.ctl, os.X_OK):
            raise HarnessError(f"{self.ctl} not found: build it first")
        self.binary = find_binary(build_dir)
        self.admin_dsn = fixture_dsn(build_dir)
        if is_root():
            ensure_system_user("airlock-test", "postfix")
            self.user = "airlock-test"
        else:
            self.user = pwd.getpwuid(os.getuid()).pw_name
        self.dbname = f"airlock_migrate_{os.getpid()}"
        self.daemon = None
        self.db_made = False
        self.ids = []
        self.passed = 0
        self.failed = 0

    # ---- set-up ----

    def psql(self, sql, dsn=None):
        proc = subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-d", dsn or self.admin_dsn, "-c", sql],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=120)
        if proc.returncode != 0:
            raise HarnessError(f"psql {sql!r}: {proc.stderr.strip()}")
        return [line.split("|") for line in proc.stdout.splitlines() if line]

    def make_database(self):
        fields = dsn_fields(self.admin_dsn)
        self.psql(f'CREATE DATABASE "{self.dbname}"')
        self.db_made = True
        passfile = os.path.join(self.daemon.dir, "pgpass")
        write_passfile(passfile, fields["host"], fields["port"], self.dbname, fields["user"],
                       passfile_password(fields["passfile"]), owner=self.user)
        self.dsn = (f"host={fields['host']} port={fields['port']} dbname={self.dbname}"
                    f" user={dsn_quote(fields['user'])} passfile={dsn_quote(passfile)}")

    def send(self, rcpt):
        original = messages.corpus("pdf-stranger.eml")
        try:
            with MilterSession(self.daemon.socket) as session:
                session.negotiate()
                result = session.transaction(original, client_ip=OUTSIDE_IP,
                                             mail_from="stranger@unknown.example",
                                             rcpts=(rcpt,))
        except (OSError, MilterError) as e:
            raise HarnessError(f"milter session failed: {e}\n{excerpt(self.daemon.stderr())}")
        return result

    def setup(self):
        self.daemon = Daemon(self.binary, self.user, name="migrate")
        self.daemon.start()
        for n in range(3):
            result = self.send(f"bob{n}@test.example")
            if result.reply != "accept":
                raise HarnessError(f"message {n}: reply {result.reply}")
        rows = self.daemon.store.messages()
        if len(rows) != 3:
            raise HarnessError(f"{len(rows)} messages in the SQLite store, not 3")
        self.ids = sorted(r["id"] for r in rows)
        self.daemon.stop()
        self.make_database()

    def teardown(self):
        if self.daemon is not None:
            self.daemon.cleanup()
        if self.db_made:
            try:
                self.psql(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
            except HarnessError as e:
                print(f"teardown: {e}", flush=True)

    # ---- helpers ----

    def ctl_run(self, *args):
        proc = subprocess.run([self.ctl] + list(args) + ["-c", self.daemon.config],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        return proc.returncode, proc.stdout, proc.stderr.decode(errors="replace")

    def use_postgresql(self):
        self.daemon.set("quarantine", "backend", "postgresql")
        self.daemon.set("quarantine", "dsn", self.dsn)

    def pg_rows(self, sql):
        return self.psql(sql, dsn=self.dsn)

    # ---- scenarios ----

    def test_migrate_copies_rows_originals_and_events(self):
        code, out, err = self.ctl_run("migrate", "--to", "postgresql", "--dsn", self.dsn)
        text = out.decode()
        check(code == 0, f"migrate exited {code}: {text}{err}")
        check("3 messages, 3 originals (SHA-256 verified)" in text, text)
        pg = {row[0]: row for row in self.pg_rows(
            "SELECT m.id, m.sha256, encode(sha256(o.content), 'hex'), m.status"
            " FROM messages m JOIN originals o ON o.message_id = m.id ORDER BY m.id")}
        check(sorted(pg) == self.ids, f"ids in PostgreSQL: {sorted(pg)}, SQLite: {self.ids}")
        for qid in self.ids:
            sqlite_row = self.daemon.store.message(qid)
            _, sha, content_sha, status = pg[qid]
            check(sha == sqlite_row["sha256"] == content_sha,
                  f"{qid}: SQLite {sqlite_row['sha256']}, row {sha}, bytea {content_sha}")
            check(status == "quarantined", f"{qid}: {status}")
            sqlite_events = self.daemon.store.events(qid)
            pg_events = [r[0] for r in self.pg_rows(
                f"SELECT event FROM events WHERE message_id = '{qid}' ORDER BY id")]
            check(pg_events == sqlite_events, f"{qid}: events {pg_events} != {sqlite_events}")

    def test_second_migrate_is_refused(self):
        code, out, err = self.ctl_run("migrate", "--to", "postgresql", "--dsn", self.dsn)
        check(code == 1, f"second migrate exited {code}: {out.decode()}{err}")
        check("is not empty" in err and "nothing copied" in err, err)
        count = self.pg_rows("SELECT count(*) FROM messages")[0][0]
        check(count == "3", f"{count} messages after the refused migrate")

    def test_admin_commands_read_postgresql(self):
        self.use_postgresql()
        code, out, err = self.ctl_run("list")
        check(code == 0, f"list exited {code}: {err}")
        for qid in self.ids:
            check(qid in out.decode(), f"{qid} not listed:\n{out.decode()}")
        code, out, err = self.ctl_run("show", "--raw", self.ids[0])
        check(code == 0, f"show --raw exited {code}: {err}")
        stored = self.daemon.store.original(self.daemon.store.message(self.ids[0]))
        check(out == stored, f"show --raw gave {len(out)} bytes, the SQLite original "
                             f"{len(stored)}")
        code, out, err = self.ctl_run("status", "--json")
        doc = json.loads(out.decode())
        store = doc["store"]
        check(store["backend"] == "postgresql" and store["reachable"],
              f"status store: {store}")
        check(store["quarantined"] == 3, f"status store: {store}")

    def test_backup_is_refused(self):
        target = os.path.join(self.daemon.dir, "backup")
        code, out, err = self.ctl_run("backup", target)
        check(code == 1, f"backup exited {code}: {out.decode()}{err}")
        check("pg_dump" in err, err)
        check(not os.path.exists(target), "backup made its target")

    def test_daemon_quarantines_into_postgresql(self):
        self.daemon.start()
        result = self.send("carol@test.example")
        check(result.reply == "accept", f"reply {result.reply}\n{excerpt(self.daemon.stderr())}")
        self.daemon.stop()
        rows = self.pg_rows("SELECT m.id, m.sha256, encode(sha256(o.content), 'hex')"
                            " FROM messages m JOIN originals o ON o.message_id = m.id"
                            " JOIN recipients r ON r.message_id = m.id"
                            " WHERE r.address = 'carol@test.example'")
        check(len(rows) == 1 and rows[0][1] == rows[0][2], f"PostgreSQL rows: {rows}")
        check(len(self.daemon.store.messages()) == 3, "the SQLite store was written to")

    def test_password_in_dsn_is_refused(self):
        self.daemon.set("quarantine", "dsn", self.dsn + " password=secret")
        code, out, err = self.ctl_run("list")
        check(code == 1, f"list exited {code}: {out.decode()}{err}")
        check("without password=" in err, err)
        self.daemon.set("quarantine", "dsn", self.dsn)

    # ---- main ----

    def scenarios(self):
        return [self.test_migrate_copies_rows_originals_and_events,
                self.test_second_migrate_is_refused,
                self.test_admin_commands_read_postgresql,
                self.test_backup_is_refused,
                self.test_daemon_quarantines_into_postgresql,
                self.test_password_in_dsn_is_refused]

    def run(self):
        tests = self.scenarios()
        try:
            self.setup()
        except (HarnessError, TestFailure) as e:
            self.failed += len(tests)
            print(f"FAIL setup (all {len(tests)} scenarios): {e}", flush=True)
            return
        run_scenarios(self, tests, (TestFailure, HarnessError))


def main():
    return suite_main(Migrate, "test_migrate.py BUILD_DIR")


if __name__ == "__main__":
    sys.exit(main())
