#!/usr/bin/env python3
"""End-to-end tests of the admin's tool: airlockctl init, list, show,
release, delete and purge on the store of a real airlock-milter behind a
real, private Postfix.

    python3 tests/e2e/test_admin.py BUILD_DIR        (as root)

The set-up is test_e2e.py's (its E2E class): a Postfix instance on
127.0.0.1 whose milter is BUILD_DIR's airlock-milter running as the
system user airlock-test, mail for sink.test delivered into Maildirs.
airlockctl runs as root with the daemon's config, as an admin would: it
does its store work as the store's owner. release_command is
tests/lib/fake_sendmail.py --smtp (submits over SMTP to the same
Postfix; see that file for why not sendmail -C) or --record DIR, which
keeps the signed message so that the test can replay it, edited or not.

Scenarios: a stripped attachment released reaches the recipient with its
original bytes and is not stripped again; a held message (EICAR) is not
released without --force, and with it reaches every original recipient;
a release to one recipient only; list and show --json checked field by
field; a forged header, a replayed one, an edited one and one signed two
hours earlier (faketime) do not pass; two releases at once deliver once;
unknown id, released id and a missing key: exit 1, one line, nothing
changed; delete and purge remove the original and keep the audit trail;
init creates a store owned by the daemon's user and refuses one that
others can read. Prints "N passed, M failed"; exits 1 on any failure.
"""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)

import messages  # noqa: E402
from test_e2e import E2E, body_of, by_message_id, check  # noqa: E402
from util import HarnessError, excerpt, require_tool, suite_main, system_python  # noqa: E402

FAKE_SENDMAIL = os.path.join(os.path.dirname(HERE), "lib", "fake_sendmail.py")
ID_RE = re.compile(r"\b[0-7][0-9A-HJKMNP-TV-Z]{25}\b")
ONE_LINE = re.compile(r"^airlockctl: [^\n]+\n$")


class Admin(E2E):
    def __init__(self, build_dir):
        super().__init__(build_dir)
        require_tool("faketime", "faketime")
        self.ctl = os.path.join(os.path.abspath(build_dir), "src", "ctl", "airlockctl")
        if not os.access(self.ctl, os.X_OK):
            raise HarnessError(f"{self.ctl} not found: build it first")
        self.record_dir = None

    def setup(self):
        super().setup()
        self.record_dir = tempfile.mkdtemp(prefix="airlock-release-")
        os.chmod(self.record_dir, 0o777)
        self.use_smtp_release()

    def teardown(self):
        super().teardown()
        if self.record_dir:
            shutil.rmtree(self.record_dir, ignore_errors=True)

    # ---- helpers ----

    def use_smtp_release(self):
        self.daemon.set("quarantine", "release_command",
                        f"{system_python()} {FAKE_SENDMAIL} --smtp 127.0.0.1:{self.pf.port}")

    def use_recorded_release(self):
        self.daemon.set("quarantine", "release_command",
                        f"{system_python()} {FAKE_SENDMAIL} --record {self.record_dir}")

    def airlockctl(self, *args, env=None, prefix=()):
        proc = subprocess.run(list(prefix) + [self.ctl, args[0], "-c", self.daemon.config]
                              + list(args[1:]), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=300, env=env)
        return proc.returncode, proc.stdout.decode("utf-8", "replace"), \
            proc.stderr.decode("utf-8", "replace")

    def ok(self, *args, **kw):
        code, out, err = self.airlockctl(*args, **kw)
        check(code == 0, f"airlockctl {' '.join(args)} exited {code}:\n{out}{err}"
              + self.diagnostics())
        check(err == "", f"airlockctl {' '.join(args)} wrote to stderr: {err}")
        return out

    def user_error(self, expect, *args):
        """airlockctl fails with exit 1 and one line on stderr containing
        expect."""
        code, out, err = self.airlockctl(*args)
        check(code == 1, f"airlockctl {' '.join(args)} exited {code}, expected 1:\n{out}{err}")
        check(ONE_LINE.match(err), f"airlockctl {' '.join(args)}: not one line:\n{err!r}")
        check(expect in err, f"airlockctl {' '.join(args)}: {err.strip()!r} lacks {expect!r}")
        return err

    def quarantine(self, corpus_name, tag, rcpts, mail_from="stranger@unknown.example"):
        """Sends a corpus message; returns (sent bytes, message-id, the
        new store id)."""
        sent = messages.numbered(messages.corpus(corpus_name), 1, tag)
        mid = f"<{tag}-1@airlock-test.example>"
        before = {r["id"] for r in self.daemon.store.messages()}
        self.send_ok(sent, mail_from, rcpts)
        self.settle()
        new = {r["id"] for r in self.daemon.store.messages()} - before
        check(len(new) == 1, f"expected one new store row, got {sorted(new)}" + self.diagnostics())
        return sent, mid, new.pop()

    def status(self, qid):
        return self.daemon.store.message(qid)["status"]

    def released_copy_ok(self, got, sent, qid):
        check(messages.header_values(got, "X-Airlock") == [f"released; id={qid}"],
              f"X-Airlock headers: {messages.header_values(got, 'X-Airlock')}, expected "
              f"released; id={qid}" + self.diagnostics())
        check(messages.header_values(got, "X-Airlock-Release") == [],
              "the release header was delivered")
        check(body_of(got) == body_of(messages.lf(sent)),
              "the released body is not the original, byte for byte")

    # ---- scenarios ----

    def test_stripped_attachment_released_with_original_bytes(self):
        snap = self.pf.snapshot()
        sent, mid, qid = self.quarantine("pdf-stranger.eml", "rel", ["bob@sink.test"])
        first = self.one_delivered(snap, "bob", mid)
        check(self.stripped_id(first) == qid, "the stripped copy names another id")
        snap = self.pf.snapshot()
        out = self.ok("release", qid.lower())
        check(out.strip() == f"{qid}: released to bob@sink.test", f"release said {out!r}")
        self.settle()
        got = self.one_delivered(snap, "bob", mid)
        self.released_copy_ok(got, sent, qid)
        check("report.pdf" in messages.attachment_names(got), "report.pdf is not attached")
        check(self.status(qid) == "released", self.status(qid))
        check(self.daemon.store.events(qid) == ["quarantined", "released", "delivered"],
              f"events {self.daemon.store.events(qid)}")
        self.user_error(f"{qid} is already released", "release", qid)

    def test_held_virus_needs_force_then_reaches_everyone(self):
        rcpts = ["bob@sink.test", "carol@sink.test", "dave@sink.test"]
        sent, mid, qid = self.quarantine("eicar-attachment-stranger.eml", "hold", rcpts)
        err = self.user_error("--force", "release", qid)
        check("virus" in err, f"the refusal does not say why: {err!r}")
        check(self.status(qid) == "quarantined", "a refused release changed the status")
        check(self.daemon.store.events(qid) == ["quarantined", "notified"],
              f"events {self.daemon.store.events(qid)}")
        snap = self.pf.snapshot()
        out = self.ok("release", "--force", qid)
        check(out.strip() == f"{qid}: released to {', '.join(rcpts)}", f"release said {out!r}")
        self.settle()
        eicar = messages.eicar()
        for box in ("bob", "carol", "dave"):
            got = self.one_delivered(snap, box, mid)
            self.released_copy_ok(got, sent, qid)
            check(base64.b64encode(eicar)[:40] in got, f"{box} did not get the attachment")
        events = self.daemon.store.events(qid)
        check(events == ["quarantined", "notified", "released", "forced", "delivered"],
              f"events {events}")

    def test_release_to_one_recipient_then_the_others(self):
        sent, mid, qid = self.quarantine("pdf-stranger.eml", "part",
                                         ["bob@sink.test", "carol@sink.test"])
        snap = self.pf.snapshot()
        self.user_error("is not a recipient", "release", "--to", "eve@sink.test", qid)
        out = self.ok("release", "--to", "CAROL@sink.test", qid)
        check(out.strip() == f"{qid}: released to carol@sink.test", out)
        self.settle()
        self.released_copy_ok(self.one_delivered(snap, "carol", mid), sent, qid)
        check(not by_message_id(self.pf.new_since(snap, "bob"), mid), "bob got it too")
        check(self.status(qid) == "quarantined", "released before every recipient was")
        self.user_error("already released to carol@sink.test", "release", "--to",
                        "carol@sink.test", qid)
        out = self.ok("release", qid)
        check(out.strip() == f"{qid}: released to bob@sink.test", out)
        self.settle()
        self.released_copy_ok(self.one_delivered(snap, "bob", mid), sent, qid)
        check(self.status(qid) == "released", self.status(qid))

    def test_list_and_show_json_field_by_field(self):
        sent, mid, qid = self.quarantine("pdf-stranger.eml", "show", ["bob@sink.test"])
        rows = [json.loads(line) for line in self.ok("list", "--json", "--limit", "0").splitlines()]
        check(rows and rows[0]["id"] == qid, f"the newest listed is not {qid}")
        check([r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True),
              "list is not newest first")
        shown = json.loads(self.ok("show", "--json", qid))
        row = self.daemon.store.message(qid)
        listed = rows[0]
        for doc in (listed, shown):
            check(doc["status"] == "quarantined" and doc["action"] == "strip", str(doc))
            check(doc["reasons"] == ["unknown-origin"], f"reasons {doc['reasons']}")
            check(doc["envelope_from"] == "stranger@unknown.example", doc["envelope_from"])
            check(doc["recipients"] == ["bob@sink.test"] and doc["released_to"] == [],
                  f"recipients {doc['recipients']} / {doc['released_to']}")
            check(doc["subject"] == row["subject"] and doc["subject"], f"subject {doc['subject']!r}")
            check(doc["size"] == row["size"] and doc["sha256"] == row["sha256"], "size/sha256")
            check(doc["queue_id"] == row["queue_id"], "queue id")
            check(doc["client"]["addr"] == "127.0.0.1", f"client {doc['client']}")
            check(doc["origin"] == {"known": False, "why": row["origin_why"]}, str(doc["origin"]))
            pdfs = [i for i in doc["items"] if i["filename"] == "report.pdf"]
            check(len(pdfs) == 1, f"items {doc['items']}")
            check(pdfs[0]["verdict"] == "quarantine" and pdfs[0]["reasons"] == ["unknown-origin"]
                  and pdfs[0]["detected_type"] == "application/pdf", str(pdfs[0]))
        check("events" not in listed, "list --json carries events")
        check([e["event"] for e in shown["events"]] == ["quarantined"], str(shown["events"]))
        check(shown["events"][0]["who"] == "airlock", str(shown["events"][0]))
        check(self.ok("show", "--raw", qid).encode() == self.daemon.store.original(row),
              "show --raw is not the original")
        text = self.ok("show", qid)
        for needle in (qid, "report.pdf", "QUARANTINED", "unknown-origin", "History:",
                       "stranger@unknown.example"):
            check(needle in text, f"show lacks {needle!r}:\n{text}")
        table = self.ok("list", "--reason", "unknown-origin", "--rcpt", "BOB@")
        check(qid in table and "report.pdf" in table, f"list table:\n{table}")
        check(qid not in self.ok("list", "--reason", "virus"), "--reason virus lists it")
        check(qid not in self.ok("list", "--from", "nobody.example"), "--from lists it")
        code, _, err = self.airlockctl("list", "--reason", "nonsense")
        check(code == 2 and ONE_LINE.match(err) and "not a reason code" in err,
              f"list --reason nonsense: exit {code}, {err!r}")

    def recorded_release(self, qid):
        """Releases qid into the recorder; returns the signed message."""
        self.use_recorded_release()
        try:
            before = set(os.listdir(self.record_dir))
            self.ok("release", qid)
        finally:
            self.use_smtp_release()
        new = sorted(n for n in set(os.listdir(self.record_dir)) - before if n.endswith(".eml"))
        check(len(new) == 1, f"recorded {new}")
        with open(os.path.join(self.record_dir, new[0]), "rb") as f:
            return re.sub(rb"\r?\n", b"\r\n", f.read())

    def resent_is_stripped(self, data, mid, what):
        snap = self.pf.snapshot()
        self.send_ok(re.sub(rb"\r?\n", b"\r\n", data), "stranger@unknown.example",
                     ["bob@sink.test"])
        self.settle()
        got = self.one_delivered(snap, "bob", mid)
        values = messages.header_values(got, "X-Airlock")
        check(len(values) == 1 and values[0].startswith("stripped; id="),
              f"{what}: delivered with X-Airlock {values}")
        check("report.pdf" not in messages.attachment_names(got), f"{what}: the PDF passed")

    def test_forged_replayed_edited_and_old_headers_do_not_pass(self):
        sent, mid, qid = self.quarantine("pdf-stranger.eml", "replay", ["bob@sink.test"])
        signed = self.recorded_release(qid)
        value = messages.header_values(signed, "X-Airlock-Release")
        check(len(value) == 1 and f"id={qid}" in value[0], f"release header {value}")
        # A forged MAC.
        forged = messages.replace_header(signed, "X-Airlock-Release",
                                         re.sub(r"mac=[0-9a-f]+", "mac=" + "ab" * 32, value[0]))
        self.resent_is_stripped(forged, mid, "forged mac")
        # Edited: another subject under the genuine header.
        edited = messages.replace_header(signed, "Subject", "Edited after signing")
        self.resent_is_stripped(edited, mid, "edited subject")
        # The genuine one passes once...
        snap = self.pf.snapshot()
        self.send_ok(re.sub(rb"\r?\n", b"\r\n", signed), "stranger@unknown.example",
                     ["bob@sink.test"])
        self.settle()
        self.released_copy_ok(self.one_delivered(snap, "bob", mid), sent, qid)
        # ...and not twice.
        self.resent_is_stripped(signed, mid, "replayed")
        # Signed two hours ago: too old.
        sent2, mid2, qid2 = self.quarantine("pdf-stranger.eml", "old", ["bob@sink.test"])
        self.use_recorded_release()
        try:
            before = set(os.listdir(self.record_dir))
            env = dict(os.environ, ASAN_OPTIONS="verify_asan_link_order=0")
            self.ok("release", qid2, prefix=("faketime", "-f", "-2h"), env=env)
        finally:
            self.use_smtp_release()
        new = sorted(n for n in set(os.listdir(self.record_dir)) - before if n.endswith(".eml"))
        with open(os.path.join(self.record_dir, new[0]), "rb") as f:
            old = f.read()
        self.resent_is_stripped(old, mid2, "signed two hours ago")
        log = self.daemon.stderr()
        check(log.count("X-Airlock-Release header removed") >= 4,
              f"the daemon did not log the refused headers:\n{excerpt(log, 3000)}")

    def test_two_releases_at_once_deliver_once(self):
        sent, mid, qid = self.quarantine("pdf-stranger.eml", "race", ["bob@sink.test"])
        snap = self.pf.snapshot()
        results = []

        def release():
            results.append(self.airlockctl("release", qid))

        threads = [threading.Thread(target=release) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r[0] for r in results)
        check(codes == [0, 1, 1], f"exit codes {codes}: {results}")
        self.settle()
        got = by_message_id(self.pf.new_since(snap, "bob"), mid)
        check(len(got) == 1, f"bob received {len(got)} released copies")
        check(self.daemon.store.events(qid).count("released") == 1,
              f"events {self.daemon.store.events(qid)}")

    def test_user_errors_change_nothing(self):
        sent, mid, qid = self.quarantine("pdf-stranger.eml", "err", ["bob@sink.test"])
        self.user_error("no quarantined message", "show", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ")
        self.user_error("is not a quarantine id", "release", "../../etc/passwd")
        self.user_error("no quarantined message", "delete", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
        key = os.path.join(self.daemon.quarantine, "release.key")
        os.rename(key, key + ".away")
        try:
            self.user_error("airlockctl init creates the key", "release", qid)
        finally:
            os.rename(key + ".away", key)
        check(self.status(qid) == "quarantined", "a failed release changed the status")
        check(self.daemon.store.events(qid) == ["quarantined"], str(self.daemon.store.events(qid)))
        code, out, err = self.airlockctl("release")
        check(code == 2, f"release without an id exited {code}")

    def test_delete_and_purge_keep_the_audit_trail(self):
        _, _, deleted = self.quarantine("pdf-stranger.eml", "del", ["bob@sink.test"])
        _, _, old = self.quarantine("pdf-stranger.eml", "purge", ["bob@sink.test"])
        _, _, recent = self.quarantine("pdf-stranger.eml", "keep", ["bob@sink.test"])
        out = self.ok("delete", deleted)
        check(f"{deleted}: deleted" in out, out)
        check(f"{deleted}.eml" not in self.daemon.store.files(), "the deleted original remains")
        self.user_error(f"{deleted} is already deleted", "release", deleted)
        self.user_error("its original is no longer kept", "show", "--raw", deleted)
        # Make one message 40 days old, as the store's owner.
        db = os.path.join(self.daemon.quarantine, "airlock.db")
        st = os.stat(self.daemon.quarantine)
        subprocess.run([system_python(), "-c",
                        "import sqlite3,sys,time; db=sqlite3.connect(sys.argv[1]);"
                        "db.execute('UPDATE messages SET received_at=? WHERE id=?',"
                        "(int(time.time())-40*86400, sys.argv[2])); db.commit()", db, old],
                       check=True, user=st.st_uid, group=st.st_gid, extra_groups=[])
        out = self.ok("purge")
        check(out.strip() == "purged 1 message received more than 30 days ago", out)
        files = self.daemon.store.files()
        check(f"{old}.eml" not in files and f"{recent}.eml" in files, f"files {files}")
        check(self.status(old) == "purged", self.status(old))
        check(self.daemon.store.events(old) == ["quarantined", "purged"],
              str(self.daemon.store.events(old)))
        shown = json.loads(self.ok("show", "--json", old))
        check(shown["status"] == "purged" and shown["items"], "the purged record lost its items")
        check(self.ok("purge").strip() == "purged 0 messages received more than 30 days ago",
              "a second purge purged again")

    def test_init_creates_and_checks_the_store(self):
        tmp = tempfile.mkdtemp(prefix="airlock-init-")
        os.chmod(tmp, 0o755)  # the daemon's user must reach its store
        try:
            conf = os.path.join(tmp, "airlock.conf")
            store = os.path.join(tmp, "var", "quarantine")
            with open(self.daemon.config, encoding="utf-8") as f:
                text = f.read()
            text = re.sub(r"(?m)^dir = .*$", f"dir = {store}", text)
            with open(conf, "w", encoding="utf-8") as f:
                f.write(text)
            for want in ("created", "checked"):
                proc = subprocess.run([self.ctl, "init", "-c", conf], capture_output=True,
                                      text=True, timeout=60)
                check(proc.returncode == 0, f"init exited {proc.returncode}: {proc.stderr}")
                check(proc.stdout.count(want) == 2, f"init said:\n{proc.stdout}")
            st = os.stat(store)
            check(st.st_mode & 0o777 == 0o700 and st.st_uid == self.daemon.uid,
                  f"store mode {oct(st.st_mode)} owner {st.st_uid}")
            for name in ("airlock.db", "release.key"):
                st = os.stat(os.path.join(store, name))
                check(st.st_mode & 0o777 == 0o600 and st.st_uid == self.daemon.uid,
                      f"{name} mode {oct(st.st_mode)} owner {st.st_uid}")
            os.chmod(store, 0o755)
            proc = subprocess.run([self.ctl, "init", "-c", conf], capture_output=True,
                                  text=True, timeout=60)
            check(proc.returncode == 1 and "chmod 700" in proc.stderr,
                  f"init on a readable store: {proc.returncode} {proc.stderr}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def scenarios(self):
        return [self.test_stripped_attachment_released_with_original_bytes,
                self.test_held_virus_needs_force_then_reaches_everyone,
                self.test_release_to_one_recipient_then_the_others,
                self.test_list_and_show_json_field_by_field,
                self.test_forged_replayed_edited_and_old_headers_do_not_pass,
                self.test_two_releases_at_once_deliver_once,
                self.test_user_errors_change_nothing,
                self.test_delete_and_purge_keep_the_audit_trail,
                self.test_init_creates_and_checks_the_store,
                self.test_clean_stop]


def main():
    return suite_main(Admin, "test_admin.py BUILD_DIR")


if __name__ == "__main__":
    sys.exit(main())
