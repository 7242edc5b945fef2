#!/usr/bin/env python3
"""airlockctl report on a store filled by the real daemon.

    python3 tests/report/test_report.py BUILD_DIR

Starts BUILD_DIR/src/milter/airlock-milter -f with a temporary config
(tests/lib/airlock.py), sends it messages of the generated corpus
(tests/data/gen_corpus.py) plus one hostile message over the milter
protocol (tests/lib/milter_client.py: no MTA needed), stops it, releases
one quarantined message and deletes another with airlockctl, then runs
BUILD_DIR/src/ctl/airlockctl report and checks:

  - the JSON numbers against the store, read with SQL of our own
    (daily_counters for the totals and reasons, messages/items/
    recipients/events for the rest), and against what the milter
    answered for each message;
  - every format (text, html, csv, json) in both languages: exit 0,
    dates in the language's words, the hostile subject and file name
    escaped in HTML and text, intact in JSON, formula-guarded in CSV;
  - --anonymize: no address in any format, stable pseudonyms;
  - usage errors exit 2;
  - the HTML, rendered by headless Chromium (Debian package chromium) to
    a PNG that exists, has the window's size and is not blank (decoded
    here with zlib: many colours, a fair share of non-white pixels).

AIRLOCK_REPORT_KEEP=PREFIX in the environment keeps a copy of each HTML
report and its screenshot as PREFIX.report-LANG.{html,png}.

Nothing is skipped: a missing tool or binary is a failure. As root (CI),
the daemon drops to "nobody" and airlockctl reads the store as its owner.
Prints one line per check group and exits 1 on any failure.
"""

import base64
import collections
import csv
import datetime
import html.parser
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import messages  # noqa: E402
from airlock import FAKE_SENDMAIL, Daemon, find_binary  # noqa: E402
from milter_client import MilterSession  # noqa: E402
from png_check import png_stats  # noqa: E402
from util import (HarnessError, give_to, is_root, require_tool, system_python,  # noqa: E402
                  user_ids)

OUTSIDE_IP = "198.51.100.7"
HOSTILE_SUBJECT = '<script>alert(1)</script>"\u202e'
HOSTILE_FILE = '=HYPERLINK(1)<img src=x onerror=alert(1)>"\u202egnp.txt'
ADDRESS_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+")
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"],
}

# (corpus file, milter transaction arguments, expected reply)
SENT = [
    ("clean-text.eml", {"client_ip": OUTSIDE_IP}, "accept"),
    ("pdf-staff-auth.eml", {"auth": "alice"}, "accept"),
    ("pdf-stranger.eml", {"client_ip": OUTSIDE_IP}, "accept"),
    ("png-stranger.eml", {"client_ip": OUTSIDE_IP,
                          "rcpts": ("alice@test.example", "carol@test.example")}, "accept"),
    ("pe-facture-pdf-exe.eml", {"auth": "alice", "mail_from": "billing@evil.example"}, "accept"),
    ("pe-bidi-rfc2231.eml", {"auth": "alice", "rcpts": ("carol@test.example",)}, "accept"),
    ("script-js.eml", {"auth": "alice"}, "accept"),
    ("eicar-attachment-stranger.eml", {"client_ip": OUTSIDE_IP}, "discard"),
    ("clam-exe.eml", {"auth": "alice", "rcpts": ("dave@test.example",)}, "discard"),
    ("zip-encrypted.eml", {"auth": "alice"}, "replycode"),
    ("message-partial.eml", {"auth": "alice"}, "discard"),
]


class TestFailure(Exception):
    pass


class TagCollector(html.parser.HTMLParser):
    """Every element and attribute that could run or fetch something."""
    ACTIVE = {"script", "img", "iframe", "object", "embed", "link", "image", "use", "a",
              "form", "audio", "video", "source", "base", "foreignobject"}

    def __init__(self):
        super().__init__()
        self.bad = []

    def handle_starttag(self, tag, attrs):
        if tag in self.ACTIVE:
            self.bad.append(tag)
        for name, _ in attrs:
            if name in ("src", "href", "xlink:href", "srcset", "action") or name.startswith("on"):
                self.bad.append(f"{tag} {name}")


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def hostile_message():
    """A stranger's message whose subject and attachment name try to run
    script in a report, reorder it (RLO) and start a spreadsheet formula."""
    subject = base64.b64encode(HOSTILE_SUBJECT.encode()).decode()
    name = urllib.parse.quote(HOSTILE_FILE.encode())
    lines = [
        "From: Evil <evil@hostile.example>",
        "To: bob@test.example",
        f"Subject: =?utf-8?b?{subject}?=",
        "Date: Mon, 03 Jun 2024 09:15:00 +0200",
        "Message-ID: <hostile-1@hostile.example>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b1"',
        "",
        "--b1",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Please open the attachment.",
        "--b1",
        f"Content-Type: text/plain; name*=utf-8''{name}",
        f"Content-Disposition: attachment; filename*=utf-8''{name}",
        "Content-Transfer-Encoding: base64",
        "",
        base64.b64encode(b"hello, this is only text\n").decode(),
        "--b1--",
        "",
    ]
    return "\r\n".join(lines).encode()


def utc_today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def long_date(day, lang):
    if lang == "fr":
        return f"{day.day}{'er' if day.day == 1 else ''} {MONTHS['fr'][day.month - 1]} {day.year}"
    return f"{day.day} {MONTHS['en'][day.month - 1]} {day.year}"


def domain_of(address):
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip().rstrip(">").strip().lower() or None


class Runner:
    def __init__(self, build_dir):
        self.build = os.path.abspath(build_dir)
        self.milter = find_binary(build_dir)
        self.airlockctl = os.path.join(self.build, "src", "ctl", "airlockctl")
        if not os.access(self.airlockctl, os.X_OK):
            raise HarnessError(f"{self.airlockctl} not found: build it first")
        self.chromium = require_tool("chromium", "chromium")
        self.work = tempfile.mkdtemp(prefix="airlock-report-")
        os.chmod(self.work, 0o755)
        self.user = "nobody" if is_root() else None
        self.daemon = None
        self.failed = 0
        self.passed = 0
        self.replies = {}

    # ---- plumbing ----

    def start_daemon(self):
        import getpass
        user = self.user or getpass.getuser()
        releases = os.path.join(self.work, "released")
        os.makedirs(releases)
        uid, gid = user_ids(user) if is_root() else (os.getuid(), os.getgid())
        give_to(releases, uid, gid, 0o755)
        self.releases = releases
        sections = {
            "origin": {"authserv_id": "mx.test.example",
                       "trusted_senders": "partner.example;lab@other.example",
                       "internal_networks": "127.0.0.0/8;::1/128"},
            "policy": {"action_encrypted": "reject"},
            "quarantine": {"release_command":
                           f"{system_python()} {FAKE_SENDMAIL} --record {releases}"},
        }
        self.daemon = Daemon(self.milter, user, sections, notice="record", name="report")
        self.daemon.start()

    def send(self, name, data, kwargs):
        kw = {"rcpts": ("bob@test.example",), "mail_from": "sender@example.org",
              "queue_id": f"RPT{len(self.replies) + 1}"}
        kw.update(kwargs)
        with MilterSession(self.daemon.socket) as session:
            session.negotiate()
            result = session.transaction(data, **kw)
        self.replies[name] = result.reply
        return result.reply

    def ctl(self, *args, expect=0):
        argv = [self.airlockctl, *args]
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=300, cwd=self.work)
        if expect is not None and proc.returncode != expect:
            raise TestFailure(f"{' '.join(argv)} exited {proc.returncode}, expected {expect}\n"
                              f"stderr: {proc.stderr.decode(errors='replace').strip()}")
        return proc

    def report(self, *args):
        """Runs airlockctl report -o FILE ARGS; returns the file's text."""
        out = os.path.join(self.work, f"report-{len(os.listdir(self.work))}.out")
        self.ctl("report", "-c", self.daemon.config, "-o", out, *args)
        with open(out, encoding="utf-8") as f:
            return f.read()

    def query(self, sql, params=()):
        return self.daemon.store.query(sql, list(params))

    def run_test(self, name, func):
        try:
            func()
        except (TestFailure, HarnessError, AssertionError, subprocess.TimeoutExpired,
                json.JSONDecodeError) as e:
            self.failed += 1
            print(f"FAIL {name}: {e}", flush=True)
            if not isinstance(e, TestFailure):
                traceback.print_exc()
            return
        self.passed += 1
        print(f"ok   {name}", flush=True)

    # ---- filling the store ----

    def fill(self):
        self.start_daemon()
        for name, kwargs, expected in SENT:
            reply = self.send(name, messages.corpus(name), kwargs)
            check(reply == expected, f"{name}: the milter answered {reply}, expected {expected}")
        reply = self.send("hostile", hostile_message(), {"client_ip": OUTSIDE_IP,
                                                          "mail_from": "evil@hostile.example"})
        check(reply == "accept", f"hostile message: the milter answered {reply} (strip expected)")
        status = self.daemon.stop()
        check(status == 0, f"airlock-milter exited {status}")
        rows = self.query("SELECT id, subject FROM messages ORDER BY id")
        by_subject = {r["subject"]: r["id"] for r in rows}
        self.released = self.query("SELECT m.id FROM messages m JOIN items i ON i.message_id = m.id"
                                   " WHERE i.filename = 'facture.pdf.exe'")[0]["id"]
        self.deleted = self.query("SELECT m.id FROM messages m JOIN items i ON i.message_id = m.id"
                                  " WHERE i.filename = 'eicar.txt'")[0]["id"]
        check(HOSTILE_SUBJECT in by_subject, f"hostile subject not stored as sent: {by_subject}")
        self.ctl("release", "-c", self.daemon.config, self.released)
        self.ctl("delete", "-c", self.daemon.config, self.deleted)

    # ---- expected values from the store ----

    def expected(self, since, until):
        counters = collections.Counter()
        for r in self.query("SELECT kind, key, sum(count) AS n FROM daily_counters"
                            " WHERE day >= ? AND day <= ? GROUP BY kind, key", (since, until)):
            counters[(r["kind"], r["key"])] = r["n"]
        msgs = self.query("SELECT id, header_from, envelope_from, reasons, status FROM messages")
        items = self.query("SELECT message_id, filename, detected_type, reasons FROM items"
                           " WHERE quarantined = 1")
        rcpts = self.query("SELECT message_id, address FROM recipients")
        events = self.query("SELECT message_id, event FROM events")
        stopped = collections.Counter(i["message_id"] for i in items)
        ev = collections.Counter((e["message_id"], e["event"]) for e in events)
        outcome = collections.defaultdict(collections.Counter)
        domains = collections.defaultdict(lambda: [0, 0])
        for m in msgs:
            released = ev[(m["id"], "released")] > ev[(m["id"], "release-failed")]
            state = ("released" if released or m["status"] == "released" else
                     m["status"] if m["status"] in ("deleted", "purged") else "pending")
            for reason in filter(None, m["reasons"].split(",")):
                outcome[reason][state] += 1
            d = domain_of(m["header_from"]) or domain_of(m["envelope_from"]) or None
            domains[d][0] += stopped[m["id"]]
            domains[d][1] += 1
        recipients = collections.defaultdict(lambda: [0, 0])
        for r in rcpts:
            address = r["address"].strip().strip("<>").strip().lower()
            recipients[address][0] += stopped[r["message_id"]]
            recipients[address][1] += 1
        types = collections.Counter(i["detected_type"] for i in items)
        return {"counters": counters, "messages": msgs, "items": items, "outcome": outcome,
                "domains": domains, "recipients": recipients, "types": types}

    # ---- checks ----

    def test_json_numbers_match_the_store(self):
        rep = json.loads(self.report("--format", "json", "--lang", "en"))
        today = utc_today()
        check(rep["period"]["until"] == today.isoformat(), f"period {rep['period']}")
        check(rep["period"]["days"] == 30 and rep["period"]["trend"] == "day", rep["period"])
        exp = self.expected(rep["period"]["since"], rep["period"]["until"])
        c = exp["counters"]
        t = rep["totals"]
        check(t["messages"]["seen"] == c[("messages", "total")] == len(SENT) + 1,
              f"messages seen {t['messages']['seen']}, store {c[('messages', 'total')]}")
        sent = collections.Counter(self.replies.values())
        for action, reply in (("accept", None), ("strip", None), ("hold", "discard"),
                              ("reject", "replycode"), ("tempfail", None)):
            check(t["messages"][action] == c[("messages", action)],
                  f"{action}: report {t['messages'][action]}, store {c[('messages', action)]}")
            if reply is not None:
                check(t["messages"][action] == sent[reply], f"{action}: milter said {sent}")
        check(t["messages"]["accept"] + t["messages"]["strip"] == sent["accept"], t)
        for key, field in (("total", "seen"), ("accepted", "accepted"),
                           ("quarantined", "stopped")):
            check(t["attachments"][field] == c[("attachments", key)],
                  f"attachments {field}: {t['attachments'][field]} vs {c[('attachments', key)]}")
        check(t["quarantined_messages"] == len(exp["messages"]), t)
        seen = set()
        for r in rep["reasons"]:
            name = r["reason"]
            seen.add(name)
            check(r["attachments"] == c[("attachments", "reason:" + name)], f"reason {r}")
            check(r["messages"] == c[("messages", "reason:" + name)], f"reason {r}")
            o = exp["outcome"][name]
            q = r["quarantined"]
            check((q["pending"], q["released"], q["deleted"], q["purged"]) ==
                  (o["pending"], o["released"], o["deleted"], o["purged"]),
                  f"{name}: report {q}, store {dict(o)}")
            check(r["explanation"] and r["lesson"], f"{name}: no sentence")
        for (kind, key), n in c.items():
            if key.startswith("reason:") and n > 0:
                check(key[7:] in seen, f"{key} counted {n} but not reported")
        for must in ("virus", "executable", "disguised", "malformed", "unknown-origin",
                     "encrypted"):
            check(must in seen, f"reason {must} missing from {sorted(seen)}")
        exe = next(r for r in rep["reasons"] if r["reason"] == "executable")
        check(exe["quarantined"]["released"] >= 1, f"the release is not counted: {exe}")
        virus = next(r for r in rep["reasons"] if r["reason"] == "virus")
        check(virus["quarantined"]["deleted"] >= 1, f"the deletion is not counted: {virus}")
        self.check_lists(rep, exp)

    def check_lists(self, rep, exp):
        for row in rep["detected_types"]:
            check(row["attachments"] == exp["types"][row["type"]], f"type {row}")
        check(len(rep["detected_types"]) == min(10, len(exp["types"])), rep["detected_types"])
        for row in rep["sender_domains"]:
            check(exp["domains"][row["domain"]] == [row["attachments"], row["messages"]],
                  f"domain {row}: store {exp['domains'][row['domain']]}")
        check(len(rep["sender_domains"]) == min(10, len(exp["domains"])), rep["sender_domains"])
        for row in rep["recipients"]:
            check(exp["recipients"][row["recipient"]] == [row["attachments"], row["messages"]],
                  f"recipient {row}: store {exp['recipients'][row['recipient']]}")
        check(len(rep["recipients"]) == min(10, len(exp["recipients"])), rep["recipients"])
        check(sum(b["attachments_stopped"] for b in rep["trend"]) ==
              rep["totals"]["attachments"]["stopped"], "trend does not add up")
        check(len(rep["trend"]) == 30, f"{len(rep['trend'])} trend buckets")
        disguise = [d for d in rep["disguises"] if d["looked_like"] == ".pdf"]
        check(disguise, f"facture.pdf.exe / invoice<RLO>fdp.exe not seen as .pdf: "
                        f"{rep['disguises']}")
        names = {i["filename"] for i in exp["items"]}
        check(0 < len(rep["examples"]) <= 12, f"{len(rep['examples'])} examples")
        for e in rep["examples"]:
            check(e["filename"] is None or e["filename"] in names, f"example {e}")
        hostile = [e for e in rep["examples"] if e["subject"] == HOSTILE_SUBJECT]
        check(hostile and hostile[0]["filename"] == HOSTILE_FILE,
              f"hostile example not intact in JSON: {rep['examples']}")
        tips = {t["reason"] for t in rep["tips"]}
        check(tips == {r["reason"] for r in rep["reasons"]} | {None}, f"tips {tips}")

    def test_every_format_and_language(self):
        today = utc_today()
        for lang in ("fr", "en"):
            words = long_date(today, lang)
            text = self.report("--format", "text", "--lang", lang)
            check(words in text, f"text/{lang}: no '{words}'")
            check("\u202e" not in text and '<script>alert(1)</script>"\\u{202e}' in text,
                  f"text/{lang}: the RLO is not escaped")
            check(not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text), f"text/{lang}: control char")
            page = self.report("--format", "html", "--lang", lang)
            self.check_page(page, lang, words)
            rows = list(csv.reader(io.StringIO(self.report("--format", "csv", "--lang", lang),
                                               newline="")))
            self.check_csv(rows, lang)
            rep = json.loads(self.report("--format", "json", "--lang", lang))
            check(rep["language"] == lang, rep["language"])
        check("Pièces jointes" in self.report("--lang", "fr"), "French text has no French")
        check("Attachments checked" in self.report("--lang", "en"), "English text")
        # Default: text, in the config's first language (fr;en).
        default = self.ctl("report", "-c", self.daemon.config).stdout.decode()
        check(default.startswith("Rapport Airlock"), f"default report: {default[:80]!r}")

    def check_page(self, page, lang, words):
        lower = page.lower()
        check(f'<html lang="{lang}">' in page, f"html/{lang}: lang attribute")
        check(words in page, f"html/{lang}: no '{words}'")
        tags = TagCollector()
        tags.feed(page)
        tags.close()
        check(not tags.bad, f"html/{lang}: external or active content {tags.bad}")
        for bad in ("<script", "<img", "url(", "@import"):
            check(bad not in lower, f"html/{lang}: contains {bad}")
        check("\u202e" not in page, f"html/{lang}: raw RLO")
        check("&lt;script&gt;alert(1)&lt;/script&gt;&quot;" in page, f"html/{lang}: subject")
        check("&lt;img src=x onerror=alert(1)&gt;&quot;" in page, f"html/{lang}: file name")
        check("<svg" in page and "@page{size:A4" in page, f"html/{lang}: charts, print CSS")

    def check_csv(self, rows, lang):
        check(rows[0] == ["section", "key", "field", "value"], f"csv/{lang} header {rows[0]}")
        for row in rows[1:]:
            check(len(row) == 4, f"csv/{lang}: row {row}")
            for cell in row:
                check(not cell or cell[0] not in "=+-@\t\r", f"csv/{lang}: formula cell {row}")
        values = {(r[0], r[1], r[2]): r[3] for r in rows[1:]}
        check(values[("meta", "report", "language")] == lang, f"csv/{lang} language")
        subjects = [r[3] for r in rows if r[0] == "example" and r[2] == "subject"]
        files = [r[3] for r in rows if r[0] == "example" and r[2] == "filename"]
        check(HOSTILE_SUBJECT in subjects, f"csv/{lang}: subject {subjects}")
        check("'" + HOSTILE_FILE in files, f"csv/{lang}: file names {files}")
        n = self.query("SELECT sum(count) AS n FROM daily_counters WHERE kind = 'messages'"
                       " AND key = 'total'")[0]["n"]
        check(values[("totals", "messages", "seen")] == str(n), f"csv/{lang}: totals")

    def test_anonymize_leaves_no_address(self):
        addresses = {r["address"].strip("<>").lower() for r in
                     self.query("SELECT address FROM recipients")}
        senders = {r["a"] for r in self.query(
            "SELECT envelope_from AS a FROM messages UNION SELECT header_from FROM messages")}
        locals_ = {a.split("@")[0] for a in addresses | {s.strip("<>") for s in senders if s}
                   if "@" in a}
        first = None
        for fmt in ("text", "html", "csv", "json"):
            for lang in ("fr", "en"):
                out = self.report("--anonymize", "--format", fmt, "--lang", lang)
                match = ADDRESS_RE.search(out)
                check(match is None, f"{fmt}/{lang}: address {match and match.group(0)}")
                for local in locals_:
                    check(f"{local}@" not in out, f"{fmt}/{lang}: {local}@")
                if fmt == "json":
                    rep = json.loads(out)
                    keys = sorted(r["recipient"] for r in rep["recipients"])
                    check(all(re.fullmatch(r"P-[0-9A-F]{10}", k) for k in keys), keys)
                    check(rep["anonymized"] is True, "anonymized flag")
                    first = first or keys
                    check(keys == first, f"pseudonyms changed between runs: {first} {keys}")
        check(len(first) == len(addresses), f"{len(first)} pseudonyms for {len(addresses)}")

    def test_usage_errors(self):
        conf = self.daemon.config
        for args in (["--days", "3", "--since", "2026-01-01"], ["--format", "pdf"],
                     ["--lang", "de"], ["--since", "2026-02-30"], ["--days", "0"],
                     ["--since", "2026-03-02", "--until", "2026-03-01"], ["extra"]):
            proc = self.ctl("report", "-c", conf, *args, expect=None)
            check(proc.returncode == 2, f"report {args}: exit {proc.returncode}, expected 2")
            check(proc.stderr.decode().startswith("airlockctl: "), f"{args}: {proc.stderr}")
        proc = self.ctl("report", "-c", os.path.join(self.work, "missing.conf"), expect=None)
        check(proc.returncode == 1, f"missing config: exit {proc.returncode}")

    def test_html_renders_in_chromium(self):
        for lang in ("en", "fr"):
            html = os.path.join(self.work, f"report-{lang}.html")
            self.ctl("report", "-c", self.daemon.config, "--format", "html", "--lang", lang,
                     "-o", html)
            png = os.path.join(self.work, f"report-{lang}.png")
            self.screenshot(html, png)
            check(os.path.exists(png), f"chromium wrote no {png}")
            stats = png_stats(png)
            check((stats["width"], stats["height"]) == (1240, 1754), f"png size {stats}")
            check(stats["colours"] >= 64, f"{png}: only {stats['colours']} colours")
            check(0.02 <= stats["non_white"] <= 0.9, f"{png}: non-white share {stats}")
            if os.environ.get("AIRLOCK_REPORT_KEEP"):  # to look at them
                for path in (html, png):
                    shutil.copy(path, os.environ["AIRLOCK_REPORT_KEEP"] + "." +
                                os.path.basename(path))

    def screenshot(self, html, png):
        profile = tempfile.mkdtemp(prefix="chromium-", dir=self.work)
        argv = [self.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                "--hide-scrollbars", f"--screenshot={png}", "--window-size=1240,1754",
                "file://" + html]
        env = dict(os.environ, HOME=profile)
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        try:
            output, _ = proc.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise TestFailure("chromium did not finish within 180 s")
        finally:
            try:  # chromium's helpers must not outlive the test
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        check(proc.returncode == 0, f"chromium exited {proc.returncode}: "
                                    f"{output.decode(errors='replace')[-2000:]}")

    def run(self):
        try:
            self.fill()
        except (TestFailure, HarnessError) as e:
            print(f"FAIL filling the store: {e}", flush=True)
            if self.daemon is not None:
                print(self.daemon.stderr()[-4000:], flush=True)
            return 1
        self.run_test("json numbers match the store", self.test_json_numbers_match_the_store)
        self.run_test("every format and language", self.test_every_format_and_language)
        self.run_test("anonymize leaves no address", self.test_anonymize_leaves_no_address)
        self.run_test("usage errors", self.test_usage_errors)
        self.run_test("html renders in chromium", self.test_html_renders_in_chromium)
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed else 0

    def cleanup(self):
        if self.daemon is not None:
            self.daemon.cleanup()
        shutil.rmtree(self.work, ignore_errors=True)


def main():
    if len(sys.argv) != 2:
        print("usage: test_report.py BUILD_DIR", file=sys.stderr)
        return 2
    try:
        runner = Runner(sys.argv[1])
    except HarnessError as e:
        print(f"FAIL: {e}", flush=True)
        return 1
    try:
        return runner.run()
    finally:
        runner.cleanup()


if __name__ == "__main__":
    sys.exit(main())
