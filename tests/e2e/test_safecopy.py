#!/usr/bin/env python3
"""Safe copies end to end (issue 17): airlock-milter behind a real, private
Postfix, with BUILD_DIR/src/safecopy/airlock-safecopy as its helper.

    python3 tests/e2e/test_safecopy.py BUILD_DIR        (as root)

The set-up of tests/e2e/test_e2e.py (Postfix on 127.0.0.1, the daemon as
airlock-test, delivery into Maildirs) with [safecopy] helper set to the
build tree's helper. Inputs come from tests/data/gen_safecopy.py, each
mailed by an unknown sender (client 127.0.0.1 outside internal_networks).

Scenarios:
  - a PDF with JavaScript, an OpenAction and an embedded file (reasons
    macro + unknown-origin): delivered stripped, with the notice (fr+en)
    and "hostile (copie sûre).pdf" attached: a 2-page PDF of images only,
    without JavaScript or embedded file; the store holds a safe-copy
    event whose size and SHA-256 are those of the delivered copy;
    airlockctl show lists it; airlockctl safecopy rebuilds the same copy
    from the stored original;
  - a JPEG with EXIF GPS: the copy attached is a JPEG without EXIF;
  - a PDF past max_pages and a malformed PDF: delivered stripped with the
    notice saying why there is no copy, no PDF part, no safe-copy event;
  - a Word .docm with a VBA project ([safecopy] office = auto, LibreOffice
    installed): delivered stripped with "macro (copie sûre).pdf", pages
    of images only, no JavaScript; a .docx LibreOffice cannot read:
    delivered stripped with the notice saying the conversion failed, no
    copy, no LibreOffice process left;
  - a helper that hangs (a shell script that sleeps, [safecopy]
    max_seconds = 2): the message is delivered all the same (no 4xx, no
    5xx), the notice says the conversion took too long;
  - a DICOM/PE polyglot (a PE program in the preamble, another after the
    data set) from outside (XCLIENT 198.51.100.7): held, never delivered;
    the hold notice, mailed back through Postfix and this milter as in
    production (notices from 127.0.0.1, internal), reaches bob with
    "polyglot (copie sûre).dcm": preamble zeroed, data elements byte for
    byte, no program; its safe-copy event names those bytes; the
    original stays quarantined;
  - gen_threats.py's polyglots (a program or an archive after a PDF, a
    JPEG, a PNG, a GIF): held the same way, the notice carrying a copy
    in the same format without the appended bytes; a program showing a
    PDF header: held, no copy offered;
  - airlockctl report (json, text) counts every copy delivered;
  - the daemon stops cleanly (and, with AIRLOCK_VALGRIND=1, valgrind
    memcheck finds no error and no definite leak).
Prints one line per scenario and "N passed, M failed".
"""

import atexit
import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from email.message import EmailMessage

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import messages  # noqa: E402
from airlock import FAKE_SENDMAIL, VALGRIND_EXIT, Daemon, find_binary  # noqa: E402
from postfix import Postfix  # noqa: E402
from util import (HarnessError, ensure_system_user, excerpt, free_port,  # noqa: E402
                  is_root, require_tool, run_scenarios, suite_main, system_python)

DAEMON_USER = "airlock-test"
GENERATOR = os.path.join(os.path.dirname(HERE), "data", "gen_safecopy.py")
THREATS = os.path.join(os.path.dirname(HERE), "data", "gen_threats.py")
# gen_threats.py's polyglots: (sample, attachment name, what the copy
# starts with; None: a program, offered no copy).
POLYGLOTS = [("pdf-appended-pe.eml", "invoice.pdf", b"%PDF-"),
             ("jpeg-appended-pe.eml", "photo.jpg", b"\xff\xd8\xff"),
             ("jpeg-appended-zip.eml", "photo.jpg", b"\xff\xd8\xff"),
             ("png-appended-zip.eml", "scan.png", b"\x89PNG"),
             ("gif-appended-pe.eml", "animation.gif", b"GIF8"),
             ("pe-with-pdf-header.eml", "report.pdf", None)]
ID_RE = re.compile(r"^stripped; id=([0-9A-HJKMNP-TV-Z]{26})$")
HANG_SECONDS = 987  # a sleep no other process runs, to look for it after
COPY_NAME = "hostile (copie s\u00fbre).pdf"
DOCM_TYPE = "application/vnd.ms-word.document.macroEnabled.12"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_SECONDS = "90"  # LibreOffice's first start on a cold cache takes a while

# Run with Debian's python3: pypdf and Pillow are importable from it only.
INSPECT_PDF = r"""
import io, json, sys
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
r = PdfReader(io.BytesIO(sys.stdin.buffer.read()))
keys, seen, todo = set(), set(), [r.trailer]
while todo:
    o = todo.pop()
    if isinstance(o, IndirectObject):
        if o.idnum in seen:
            continue
        seen.add(o.idnum)
        o = o.get_object()
    if isinstance(o, DictionaryObject):
        keys.update(o.keys()); todo.extend(o.values())
    elif isinstance(o, ArrayObject):
        todo.extend(o)
print(json.dumps({"pages": len(r.pages), "keys": sorted(keys)}))
"""
INSPECT_JPEG = r"""
import io, json, sys
from PIL import Image
im = Image.open(io.BytesIO(sys.stdin.buffer.read()))
print(json.dumps({"format": im.format, "size": im.size, "exif": len(im.getexif()),
                  "gps": len(im.getexif().get_ifd(0x8825))}))
"""


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def processes_running(cmdline):
    """Pids whose /proc/PID/cmdline is cmdline (NUL-separated)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read() == cmdline.encode():
                    found.append(int(pid))
        except OSError:
            continue
    return found


def inspect(script, data):
    import json
    proc = subprocess.run([system_python(), "-c", script], input=data, capture_output=True,
                          timeout=120)
    check(proc.returncode == 0, f"inspecting the copy failed: {proc.stderr.decode()[-500:]}")
    return json.loads(proc.stdout)


class SafeCopyE2E:
    def __init__(self, build_dir):
        if not is_root():
            raise HarnessError("the safe-copy end-to-end tests need root (a private Postfix)")
        require_tool("postfix", "postfix")
        self.build_dir = os.path.abspath(build_dir)
        self.binary = find_binary(build_dir)
        self.helper = os.path.join(self.build_dir, "src", "safecopy", "airlock-safecopy")
        self.ctl = os.path.join(self.build_dir, "src", "ctl", "airlockctl")
        ensure_system_user(DAEMON_USER, "postfix")
        self.passed = self.failed = 0
        self.pf = self.daemon = None
        self.tmp = tempfile.mkdtemp(prefix="airlock-safecopy-e2e-")
        os.chmod(self.tmp, 0o755)
        if not os.environ.get("AIRLOCK_TEST_KEEP"):
            atexit.register(shutil.rmtree, self.tmp, True)
        self.gen = os.path.join(self.tmp, "gen")
        subprocess.run([system_python(), GENERATOR, self.gen], check=True, timeout=300)
        self.threats = os.path.join(self.tmp, "threats")
        subprocess.run([system_python(), THREATS, self.threats], check=True, timeout=300,
                       stdout=subprocess.DEVNULL)
        self.serial = 0
        self.copies = 0  # copies checked delivered, for the report's count

    def setup(self):
        port = free_port()
        self.daemon = Daemon(self.binary, DAEMON_USER, {
            "milter": {"max_jobs": "1"},
            "origin": {"internal_networks": "10.99.0.0/16"},
            "safecopy": {"helper": self.helper, "max_seconds": MAX_SECONDS},
        }, notice="record", name="safecopy")
        self.pf = Postfix(milter_socket=self.daemon.socket, name="mx", port=port)
        self.daemon.start()
        self.pf.start()

    def teardown(self):
        if self.pf is not None:
            try:
                self.pf.cleanup()
            except HarnessError as e:
                print(f"warning: {e}", flush=True)
        if self.daemon is not None:
            self.daemon.cleanup()

    def diagnostics(self):
        return (f"\n--- maillog (end) ---\n{excerpt(self.pf.log(), 2000)}"
                f"\n--- airlock-milter stderr (end) ---\n{excerpt(self.daemon.stderr(), 2000)}")

    def mail_with(self, name, ctype):
        self.serial += 1
        msg = EmailMessage()
        msg["From"] = "stranger@unknown.example"
        msg["To"] = "bob@sink.test"
        msg["Subject"] = f"Document {name}"
        msg["Message-ID"] = f"<safecopy-{self.serial}@airlock-test.example>"
        msg.set_content("Bonjour, voici le document.\n")
        with open(os.path.join(self.gen, name), "rb") as f:
            data = f.read()
        main, sub = ctype.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
        return bytes(msg).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), msg["Message-ID"]

    def deliver(self, name, ctype):
        """Sends one attachment; returns the delivered message and its id."""
        sent, mid = self.mail_with(name, ctype)
        snap = self.pf.snapshot()
        code, text = self.pf.send(sent, "stranger@unknown.example", ["bob@sink.test"])
        check(code == 250, f"the MTA answered {code} {text}" + self.diagnostics())
        try:
            self.pf.wait_until_queue_empty(120)
        except HarnessError as e:
            raise TestFailure(str(e) + self.diagnostics()) from None
        got = [m for m in self.pf.new_since(snap, "bob")
               if messages.header_values(m, "Message-ID") == [mid]]
        check(len(got) == 1, f"bob received {len(got)} copies of {mid}" + self.diagnostics())
        marks = messages.header_values(got[0], "X-Airlock")
        m = ID_RE.match(marks[0]) if len(marks) == 1 else None
        check(m is not None, f"X-Airlock: {marks}")
        return got[0], m.group(1)

    def attachments(self, delivered):
        return {p.get_filename(): (p.get_content_type(), p.get_payload(decode=True))
                for p in messages.parse(delivered).walk() if p.get_filename()}

    def copy_events(self, qid):
        return self.daemon.store.query(
            "SELECT detail FROM events WHERE message_id = ? AND event = 'safe-copy'", [qid])

    def ctl_run(self, *args):
        return subprocess.run([self.ctl] + list(args[:1]) + ["-c", self.daemon.config]
                              + list(args[1:]), capture_output=True, timeout=300)

    # ---- scenarios ----

    def test_pdf_stripped_with_safe_copy(self):
        delivered, qid = self.deliver("hostile.pdf", "application/pdf")
        parts = self.attachments(delivered)
        check(set(parts) == {COPY_NAME}, f"attachments delivered: {sorted(parts)}")
        ctype, copy = parts[COPY_NAME]
        check(ctype == "application/pdf" and copy.startswith(b"%PDF-"), f"copy type {ctype}")
        info = inspect(INSPECT_PDF, copy)
        bad = {"/JavaScript", "/JS", "/OpenAction", "/EmbeddedFiles", "/Annots", "/Font"}
        check(info["pages"] == 2 and not bad & set(info["keys"]),
              f"the copy: {info['pages']} pages, keys {bad & set(info['keys'])}")
        text = messages.decoded_text(delivered)
        for needle in ("copie s\u00fbre", "safe copy", "macros", COPY_NAME, qid):
            check(needle in text, f"the notice lacks {needle!r}:\n{text[:3000]}")
        events = self.copy_events(qid)
        want = f"{len(copy)} bytes, sha256 {hashlib.sha256(copy).hexdigest()}"
        check(len(events) == 1 and want in events[0]["detail"],
              f"safe-copy events {events}, expected one with {want!r}")
        self.copies += 1
        shown = self.ctl_run("show", qid)
        check(shown.returncode == 0 and b"safe-copy" in shown.stdout,
              f"airlockctl show lacks the safe-copy event:\n{shown.stdout[-1500:]!r}")
        # airlockctl runs as the store's owner once it opened the store.
        outdir = os.path.join(self.tmp, "admin")
        os.makedirs(outdir, exist_ok=True)
        os.chmod(outdir, 0o1777)
        out = os.path.join(outdir, "admin-copy.pdf")
        made = self.ctl_run("safecopy", qid, "-o", out)
        check(made.returncode == 0, f"airlockctl safecopy: {made.returncode} {made.stderr!r}")
        with open(out, "rb") as f:
            admin = f.read()
        check(inspect(INSPECT_PDF, admin)["pages"] == 2 and admin[:5] == b"%PDF-",
              "airlockctl safecopy did not give the 2-page copy")

    def test_jpeg_copy_without_gps(self):
        delivered, qid = self.deliver("gps.jpg", "image/jpeg")
        parts = self.attachments(delivered)
        name = "gps (copie s\u00fbre).jpg"
        check(set(parts) == {name}, f"attachments delivered: {sorted(parts)}")
        info = inspect(INSPECT_JPEG, parts[name][1])
        check(info["format"] == "JPEG" and info["exif"] == 0 and info["gps"] == 0,
              f"the copy: {info}")
        check(len(self.copy_events(qid)) == 1, "no safe-copy event for the JPEG")
        self.copies += 1

    def no_copy(self, name, words, ctype="application/pdf"):
        delivered, qid = self.deliver(name, ctype)
        parts = self.attachments(delivered)
        check(not parts, f"attachments delivered: {sorted(parts)}")
        check(all(p.get_content_type() != "application/pdf"
                  for p in messages.parse(delivered).walk()), "a PDF part was delivered")
        text = messages.decoded_text(delivered)
        for needle in (qid, name) + words:
            check(needle in text, f"the notice lacks {needle!r}:\n{text[:3000]}")
        check(not self.copy_events(qid), "a safe-copy event for a copy never delivered")

    def test_past_max_pages_no_copy(self):
        self.no_copy("many-pages.pdf", ("trop de pages", "too many pages"))

    def test_malformed_pdf_no_copy(self):
        self.no_copy("malformed.pdf", ("pas pu \u00eatre converti", "could not be converted"))

    def test_docm_copy(self):
        delivered, qid = self.deliver("macro.docm", DOCM_TYPE)
        parts = self.attachments(delivered)
        name = "macro (copie s\u00fbre).pdf"
        check(set(parts) == {name}, f"attachments delivered: {sorted(parts)}")
        ctype, copy = parts[name]
        check(ctype == "application/pdf" and copy.startswith(b"%PDF-"), f"copy type {ctype}")
        info = inspect(INSPECT_PDF, copy)
        bad = {"/JavaScript", "/JS", "/OpenAction", "/EmbeddedFiles", "/Annots", "/Font"}
        check(info["pages"] >= 1 and not bad & set(info["keys"]),
              f"the copy: {info['pages']} pages, keys {bad & set(info['keys'])}")
        text = messages.decoded_text(delivered)
        for needle in ("copie s\u00fbre", "safe copy", "macros", name, qid):
            check(needle in text, f"the notice lacks {needle!r}:\n{text[:3000]}")
        check(len(self.copy_events(qid)) == 1, "no safe-copy event for the .docm")
        self.copies += 1

    def test_broken_docx_no_copy(self):
        self.no_copy("broken.docx", ("pas pu \u00eatre converti", "could not be converted"),
                     DOCX_TYPE)
        left = [pid for pid in filter(str.isdigit, os.listdir("/proc"))
                if b"soffice" in self.cmdline(pid)]
        check(not left, f"LibreOffice processes left: {left}")

    @staticmethod
    def cmdline(pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return f.read()
        except OSError:
            return b""

    def test_hanging_helper_killed(self):
        script = os.path.join(self.tmp, "hanging-helper")
        with open(script, "w") as f:
            f.write(f"#!/bin/sh\n# a renderer that never answers\nexec sleep {HANG_SECONDS}\n")
        os.chmod(script, 0o755)
        self.daemon.set("safecopy", "helper", script)
        self.daemon.set("safecopy", "max_seconds", "2")
        self.daemon.reload()
        try:
            self.no_copy("hostile.pdf", ("trop de temps", "took too long"))
        finally:
            self.daemon.set("safecopy", "helper", self.helper)
            self.daemon.set("safecopy", "max_seconds", MAX_SECONDS)
            self.daemon.reload()
        check(not processes_running(f"sleep\0{HANG_SECONDS}\0"),
              "the hanging helper still runs after the deadline")

    @contextlib.contextmanager
    def notices_through_postfix(self):
        """As in production: notices go through the MTA's sendmail and come
        back through this milter from an internal address."""
        self.daemon.set("origin", "internal_networks", "10.99.0.0/16;127.0.0.0/8")
        self.daemon.set("notice", "command",
                        f"{system_python()} {FAKE_SENDMAIL} --smtp 127.0.0.1:{self.pf.port}")
        self.daemon.reload()
        try:
            yield
        finally:
            self.daemon.set("origin", "internal_networks", "10.99.0.0/16")
            self.daemon.set("notice", "command",
                            f"{system_python()} {FAKE_SENDMAIL} --record {self.daemon.notices}")
            self.daemon.reload()

    def held(self, sent, mid):
        """Sends sent from outside (XCLIENT); checks it is held, one store
        row, never delivered; returns (quarantine id, the hold notice bob
        got, its attachments)."""
        snap = self.pf.snapshot()
        before = {r["id"] for r in self.daemon.store.messages()}
        code, text = self.pf.send(sent, "stranger@unknown.example", ["bob@sink.test"],
                                  xclient={"ADDR": "198.51.100.7",
                                           "NAME": "mail.unknown.example"})
        check(code == 250, f"the MTA answered {code} {text}" + self.diagnostics())
        try:
            self.pf.wait_until_queue_empty(120)
        except HarnessError as e:
            raise TestFailure(str(e) + self.diagnostics()) from None
        new = {r["id"] for r in self.daemon.store.messages()} - before
        check(len(new) == 1, f"expected one new store row, got {sorted(new)}")
        qid = new.pop()
        row = self.daemon.store.message(qid)
        check(row["action"] == "hold" and row["status"] == "quarantined",
              f"{mid}: action {row['action']}, status {row['status']}")
        got = self.pf.new_since(snap, "bob")
        check(not [m for m in got if messages.header_values(m, "Message-ID") == [mid]],
              f"the held {mid} reached bob")
        check(len(got) == 1, f"bob received {len(got)} messages, expected the notice"
              + self.diagnostics())
        notice = got[0]
        check(messages.header_values(notice, "X-Airlock") == ["clean"],
              f"the notice came back through the milter as "
              f"{messages.header_values(notice, 'X-Airlock')}")
        return qid, notice, self.attachments(notice)

    def check_copy_event(self, qid, copy):
        events = self.copy_events(qid)
        want = f"{len(copy)} bytes, sha256 {hashlib.sha256(copy).hexdigest()}"
        check(len(events) == 1 and want in events[0]["detail"],
              f"safe-copy events {events}, expected one with {want!r}")
        self.copies += 1

    def test_polyglot_dicom_held_with_copy(self):
        name = "polyglot.dcm"
        with open(os.path.join(self.gen, name), "rb") as f:
            original = f.read()
        with open(os.path.join(self.gen, "polyglot.tail"), "rb") as f:
            tail = f.read()
        with self.notices_through_postfix():
            qid, notice, parts = self.held(*self.mail_with(name, "application/dicom"))
        copy_name = "polyglot (copie s\u00fbre).dcm"
        check(set(parts) == {copy_name}, f"attachments of the notice: {sorted(parts)}")
        ctype, copy = parts[copy_name]
        check(ctype == "application/dicom", f"copy type {ctype}")
        data = original[:len(original) - len(tail)]
        check(copy[:128] == bytes(128) and copy[128:] == data[128:],
              "the copy is not the data set with a zeroed preamble "
              f"({len(copy)} bytes, original data set {len(data)})")
        check(b"MZ" not in copy[:128] and tail not in copy, "a program is left in the copy")
        text = messages.decoded_text(notice)
        for needle in (qid, copy_name, "DICOM", "copie s\u00fbre", "safe copy"):
            check(needle in re.sub(r"\s+", " ", text) or needle in text,
                  f"the notice lacks {needle!r}:\n{text[:3000]}")
        self.check_copy_event(qid, copy)

    def test_other_polyglots_held_with_copies(self):
        """tests/data/gen_threats.py's polyglots: a program or an archive
        after a PDF, a JPEG, a PNG, a GIF are held, and the hold notice
        carries a copy rebuilt from pixels, in the same format, without
        what was appended; a program that shows a PDF header is a program:
        no copy is offered."""
        with self.notices_through_postfix():
            for sample, item, magic in POLYGLOTS:
                with open(os.path.join(self.threats, sample), "rb") as f:
                    sent = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                mid = messages.header_values(sent, "Message-ID")[0]
                qid, notice, parts = self.held(sent, mid)
                if magic is None:
                    check(not parts, f"{sample}: attachments {sorted(parts)} for a program")
                    continue
                stem, ext = os.path.splitext(item)
                copy_name = f"{stem} (copie s\u00fbre){ext}"
                check(set(parts) == {copy_name},
                      f"{sample}: attachments of the notice {sorted(parts)}, "
                      f"expected {copy_name!r}:\n{messages.decoded_text(notice)[:2000]}")
                copy = parts[copy_name][1]
                check(copy.startswith(magic), f"{sample}: the copy starts {copy[:8]!r}")
                for payload in (b"PE\0\0", b"This program", b"PK\x03\x04", b"hidden archive"):
                    check(payload not in copy, f"{sample}: {payload!r} is left in the copy")
                self.check_copy_event(qid, copy)

    def test_report_counts_copies(self):
        import json
        done = self.ctl_run("report", "--days", "2", "--format", "json")
        check(done.returncode == 0, f"airlockctl report: {done.stderr!r}")
        totals = json.loads(done.stdout)["totals"]
        check(totals.get("safe_copies") == self.copies,
              f"the report counts {totals.get('safe_copies')} safe copies, expected "
              f"{self.copies} (the PDF, the JPEG, the .docm and the polyglots' copies)")
        text = self.ctl_run("report", "--days", "2", "--lang", "en").stdout.decode()
        check(re.search(rf"of which delivered as a safe copy\W+{self.copies}\b", text)
              is not None,
              f"the text report lacks the count of safe copies:\n{text[:1500]}")

    def test_clean_stop(self):
        """SIGTERM: exit 0, nothing from the sanitizers; under valgrind
        (AIRLOCK_VALGRIND=1) no error and no definite leak."""
        status = self.daemon.stop()
        if self.daemon.valgrind:
            report = self.daemon.valgrind_report()
            check(status != VALGRIND_EXIT and "ERROR SUMMARY: 0 errors" in report,
                  f"valgrind found errors or definite leaks (exit {status}):\n"
                  f"{excerpt(report, 8000)}")
        check(status == 0, f"airlock-milter exited {status}:\n{excerpt(self.daemon.stderr())}")
        log = self.daemon.stderr()
        for bad in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
            check(bad not in log, f"the daemon's stderr reports '{bad}':\n{excerpt(log)}")

    def run(self):
        tests = [self.test_pdf_stripped_with_safe_copy, self.test_jpeg_copy_without_gps,
                 self.test_past_max_pages_no_copy, self.test_malformed_pdf_no_copy,
                 self.test_docm_copy, self.test_broken_docx_no_copy,
                 self.test_hanging_helper_killed, self.test_polyglot_dicom_held_with_copy,
                 self.test_other_polyglots_held_with_copies, self.test_report_counts_copies,
                 self.test_clean_stop]
        try:
            self.setup()
        except (HarnessError, TestFailure) as e:
            self.failed += len(tests)
            print(f"FAIL setup (all {len(tests)} scenarios): {e}", flush=True)
            return
        run_scenarios(self, tests, (HarnessError, TestFailure))


def main():
    return suite_main(SafeCopyE2E, "test_safecopy.py BUILD_DIR")


if __name__ == "__main__":
    sys.exit(main())
