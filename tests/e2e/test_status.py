#!/usr/bin/env python3
"""End-to-end tests of airlockctl status against a real airlock-milter.

    python3 tests/e2e/test_status.py BUILD_DIR        (as root, or any user)

The daemon is BUILD_DIR's airlock-milter started by tests/lib/airlock.py
(as root: it drops to the system user airlock-test, as in test_admin.py),
its ClamAV database at first /nonexistent. One message goes through the
milter protocol (tests/lib/milter_client.py) and is stripped, so the
store and the 24-hour counts have something in them. airlockctl status
runs as root with the daemon's config, as a monitoring agent would.

Scenarios, in order (each one leaves the daemon as the next expects):
no ClamAV database -> exit 1 with a line saying so; --json holds the
figures (pid, signatures, store, the message counted); a fresh database
(a generated .hdb) loaded by SIGHUP -> exit 0; the state file gone ->
exit 1; an old database (a .cvd header built 10 days ago) -> exit 1; an
original older than the retention -> exit 1 (purge has not run); the
store unreadable (airlock.db mode 000) -> exit 2; a config that cannot be
read -> exit 3; the daemon stopped -> exit 2. Prints one line per
scenario and "N passed, M failed"; exits 1 on any failure.
"""

import hashlib
import json
import os
import pwd
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import messages  # noqa: E402
from airlock import Daemon, find_binary  # noqa: E402
from milter_client import MilterError, MilterSession  # noqa: E402
from util import (run_scenarios, HarnessError, ensure_system_user, excerpt, give_to, is_root,  # noqa: E402
                  suite_main, system_python)

OUTSIDE_IP = "198.51.100.7"
DAY = 86400


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def cvd_header(built_at, version):
    """A .cvd/.cld-style file: the 512-byte header padded with spaces, then
    bytes standing for the compressed tar (airlockctl reads the header
    only; the daemon is never asked to load this file)."""
    date = time.strftime("%d %b %Y %H-%M +0000", time.gmtime(built_at))
    header = (f"ClamAV-VDB:{date}:{version}:2041572:90:c1537143239006af01e814a4dcd58a48:"
              f"QC2ZncCPK0AzfYPW8OKvde9GFOO1HyH5qbozl9JZbm:airlock-test:{built_at}").encode()
    return header.ljust(512, b" ") + b"\x1f\x8b\x08\x00not really a tar.gz"


class Status:
    def __init__(self, build_dir):
        build_dir = os.path.abspath(build_dir)
        self.ctl = os.path.join(build_dir, "src", "ctl", "airlockctl")
        if not os.access(self.ctl, os.X_OK):
            raise HarnessError(f"{self.ctl} not found: build it first")
        self.binary = find_binary(build_dir)
        if is_root():
            ensure_system_user("airlock-test", "postfix")
            self.user = "airlock-test"
        else:
            self.user = pwd.getpwuid(os.getuid()).pw_name
        self.daemon = None
        self.passed = 0
        self.failed = 0
        self.qid = None

    # ---- set-up ----

    def setup(self):
        self.daemon = Daemon(self.binary, self.user, name="status")
        self.daemon.start()
        self.fresh_db = self.database_dir("clamav-fresh")
        sig = b"airlock status test signature\n"
        with open(os.path.join(self.fresh_db, "airlock-test.hdb"), "w", encoding="ascii") as f:
            f.write(f"{hashlib.md5(sig).hexdigest()}:{len(sig)}:Airlock.Status.Test\n")
        self.old_db = self.database_dir("clamav-old")
        with open(os.path.join(self.old_db, "daily.cvd"), "wb") as f:
            f.write(cvd_header(int(time.time()) - 10 * DAY, 27001))
        self.send_stripped_message()
        # The daemon writes its state every minute and after each reload:
        # a reload makes the count of the message above visible now.
        self.daemon.reload()

    def database_dir(self, name):
        path = os.path.join(self.daemon.dir, name)
        os.makedirs(path)
        give_to(path, self.daemon.uid, self.daemon.gid, 0o755)
        return path

    def send_stripped_message(self):
        original = messages.corpus("pdf-stranger.eml")
        try:
            with MilterSession(self.daemon.socket) as session:
                session.negotiate()
                result = session.transaction(original, client_ip=OUTSIDE_IP,
                                             mail_from="stranger@unknown.example",
                                             rcpts=("bob@test.example",))
        except (OSError, MilterError) as e:
            raise HarnessError(f"milter session failed: {e}\n{excerpt(self.daemon.stderr())}")
        rows = self.daemon.store.messages()
        if result.reply != "accept" or len(rows) != 1:
            raise HarnessError(f"the message was not stripped and stored (reply {result.reply}, "
                               f"{len(rows)} rows)\n{excerpt(self.daemon.stderr())}")
        self.qid = rows[0]["id"]

    def teardown(self):
        if self.daemon is not None:
            self.daemon.cleanup()

    # ---- helpers ----

    def status(self, *args, config=None):
        proc = subprocess.run([self.ctl, "status", "-c", config or self.daemon.config] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=120)
        return proc.returncode, proc.stdout, proc.stderr

    def expect(self, code, needles, *args, **kw):
        """status exits code; its first line names the state; every needle
        is in one of the problem lines. Returns stdout."""
        got, out, err = self.status(*args, **kw)
        names = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}
        check(got == code, f"airlockctl status exited {got}, expected {code}:\n{out}{err}"
              f"\ndaemon log (end):\n{excerpt(self.daemon.stderr(), 1500)}")
        lines = out.splitlines()
        check(lines and lines[0].startswith(f"AIRLOCK {names[code]} - "),
              f"first line {lines[:1]}, expected AIRLOCK {names[code]} - ...")
        problems = [line for line in lines[1:] if re.match(r"^(WARNING|CRITICAL|UNKNOWN): ", line)]
        for needle in needles:
            check(any(needle in line for line in problems),
                  f"no problem line with {needle!r}:\n{out}")
        return out

    def json_status(self):
        got, out, err = self.status("--json")
        try:
            doc = json.loads(out)
        except ValueError as e:
            raise TestFailure(f"status --json is not JSON ({e}):\n{out}{err}") from None
        check(doc["exit"] == got, f"exit member {doc['exit']}, exit status {got}")
        return doc

    def signatures_logged(self):
        counts = re.findall(r"(\d+) signatures", self.daemon.stderr())
        check(counts, "the daemon did not log its signature count")
        return int(counts[-1])

    def as_store_owner(self, code):
        st = os.stat(self.daemon.quarantine)
        kw = {"user": st.st_uid, "group": st.st_gid, "extra_groups": []} if is_root() else {}
        subprocess.run([system_python(), "-c", code, os.path.join(self.daemon.quarantine,
                                                                  "airlock.db"), self.qid],
                       check=True, timeout=60, cwd="/", **kw)

    # ---- scenarios ----

    def test_no_clamav_database_is_a_warning(self):
        out = self.expect(1, ["no ClamAV database in /nonexistent", "install clamav-freshclam"])
        check("CRITICAL" not in out, f"a critical problem:\n{out}")
        n = self.signatures_logged()
        check(f"only Airlock's own {n} signatures" in out, f"no signature count {n}:\n{out}")
        check("daemon answering" in out.splitlines()[0], out.splitlines()[0])

    def test_json_holds_the_figures(self):
        doc = self.json_status()
        check(doc["status"] == "WARNING" and doc["exit"] == 1, f"status {doc['status']}")
        check([p["severity"] for p in doc["problems"]] == ["warning"] and
              doc["problems"][0]["what"].startswith("no ClamAV database in /nonexistent"),
              f"problems {doc['problems']}")
        d = doc["daemon"]
        check(d["answering"] and d["milter_version"] == 6, f"daemon {d}")
        check(d["pid"] == self.daemon.pid and d["pid_alive"], f"pid {d['pid']}, {self.daemon.pid}")
        check(d["state_written_at"] and abs(d["state_written_at"] - time.time()) < 120,
              f"state written at {d['state_written_at']}")
        e = doc["engine"]
        check(e["known"] and e["signatures"] == self.signatures_logged(), f"engine {e}")
        check(e["generation"] >= 2 and not e["clamav_loaded"], f"engine {e}")
        check(e["last_reload"]["ok"] and e["last_reload"]["trigger"] == "signal", f"engine {e}")
        db = doc["clamav_database"]
        check(db["dir"] == "/nonexistent" and not db["found"] and db["age_seconds"] is None,
              f"clamav_database {db}")
        s = doc["store"]
        check(s["reachable"] and s["schema_version"] == s["expected_schema_version"] >= 1,
              f"store {s}")
        rows = self.daemon.store.query("SELECT received_at FROM messages WHERE status = "
                                       "'quarantined'")
        check(s["quarantined"] == len(rows) == 1, f"store {s}, {len(rows)} rows")
        check(s["oldest_quarantined_at"] == rows[0]["received_at"], f"store {s}")
        check(doc["disk"]["measured"] and doc["disk"]["free_bytes"] > 0, f"disk {doc['disk']}")
        day = doc["last_24h"]
        check(day["known"] and day["judged"] == 1 and day["quarantined"] == 1 and
              day["tempfailed"] == 0, f"last_24h {day}")

    def test_fresh_database_is_ok(self):
        self.daemon.set("scan", "clamav_database", self.fresh_db)
        self.daemon.reload()
        out = self.expect(0, [])
        check(out.splitlines()[0].startswith("AIRLOCK OK - daemon answering"), out)
        check(not re.search(r"(?m)^(WARNING|CRITICAL)", out), f"problem lines:\n{out}")
        doc = self.json_status()
        check(doc["problems"] == [] and doc["engine"]["clamav_loaded"], f"{doc}")
        check(doc["clamav_database"]["found"], f"{doc['clamav_database']}")

    def test_missing_state_file_is_a_warning(self):
        state = os.path.join(self.daemon.run_dir, "airlock.status")
        check(os.path.exists(state), f"no state file {state}")
        os.unlink(state)
        self.expect(1, ["no state file " + state])
        self.daemon.reload()  # written again
        self.expect(0, [])

    def test_old_database_is_a_warning(self):
        # airlockctl reads the config file: the daemon keeps the fresh one.
        self.daemon.set("scan", "clamav_database", self.old_db)
        try:
            out = self.expect(1, [f"the ClamAV database in {self.old_db} was built 10 days ago",
                                  "max_database_age"])
            doc = self.json_status()
            db = doc["clamav_database"]
            check(db["found"] and db["version"] == 27001 and
                  9 * DAY < db["age_seconds"] < 11 * DAY, f"clamav_database {db}")
            check(len(doc["problems"]) == 1, f"problems {doc['problems']}\n{out}")
        finally:
            self.daemon.set("scan", "clamav_database", self.fresh_db)

    def test_original_past_retention_is_a_warning(self):
        self.as_store_owner("import sqlite3, sys, time\n"
                            "db = sqlite3.connect(sys.argv[1])\n"
                            "db.execute('UPDATE messages SET received_at = ? WHERE id = ?',"
                            " (int(time.time()) - 40 * 86400, sys.argv[2]))\n"
                            "db.commit()\n")
        self.expect(1, ["past [quarantine] retention_days (30)", "airlockctl purge has not run",
                        "airlock-purge.timer"])

    def test_unreadable_store_is_critical(self):
        db = os.path.join(self.daemon.quarantine, "airlock.db")
        os.chmod(db, 0)
        try:
            self.expect(2, ["the quarantine store is unreachable"])
            doc = self.json_status()
            check(not doc["store"]["reachable"] and doc["store"]["error"], f"{doc['store']}")
        finally:
            os.chmod(db, 0o600)

    def test_unreadable_config_is_unknown(self):
        missing = os.path.join(self.daemon.dir, "no-such.conf")
        got, out, err = self.status(config=missing)
        check(got == 3 and out.startswith("AIRLOCK UNKNOWN - ") and missing in out,
              f"exit {got}:\n{out}{err}")

    def test_stopped_daemon_is_critical(self):
        status = self.daemon.stop()
        check(status == 0, f"airlock-milter exited {status}:\n{excerpt(self.daemon.stderr())}")
        out = self.expect(2, ["airlock-milter is not running"])
        check("daemon NOT answering" in out.splitlines()[0], out)
        doc = self.json_status()
        check(not doc["daemon"]["answering"] and doc["daemon"]["error"], f"{doc['daemon']}")

    # ---- main ----

    def scenarios(self):
        return [self.test_no_clamav_database_is_a_warning,
                self.test_json_holds_the_figures,
                self.test_fresh_database_is_ok,
                self.test_missing_state_file_is_a_warning,
                self.test_old_database_is_a_warning,
                self.test_original_past_retention_is_a_warning,
                self.test_unreadable_store_is_critical,
                self.test_unreadable_config_is_unknown,
                self.test_stopped_daemon_is_critical]

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
    return suite_main(Status, "test_status.py BUILD_DIR")


if __name__ == "__main__":
    sys.exit(main())
