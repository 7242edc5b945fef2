#!/usr/bin/env python3
"""
check_real_documents.py - clean documents written by other projects'
writers (Debian packages: python3-docx, openpyxl, XlsxWriter, xlwt, odfpy,
ReportLab, Pillow, pydicom, Ghostscript, sox, lame, oggenc; zip, tar, xz,
zstd, 7z for archives) must reach staff (issue 15: no clean document
quarantined from a known sender).

Usage: check_real_documents.py AIRLOCKCTL|BUILD_DIR OUTDIR

Runs tests/data/gen_real_documents.py with Debian's /usr/bin/python3 (the
python3-* writer modules are importable from it only) into OUTDIR, then
judges every mail (one document or one archive attached, as a mail client
attaches it) with `airlockctl check --json`:
  - from a known sender (--auth alice): action accept, no reason at all;
  - from an unknown sender: action strip, unknown-origin as the only reason
    of the message and of the attachment.
A writer the generator could not run is a failure naming the Debian package
to install, never a skip. The invariants of tests/check_corpus.py (schema,
accept means no reason...) hold for every verdict.

Prints "ok ..." or "FAIL ..." per mail and sender (with the verdict's
reasons and details when it fails), then alone on a line "N passed,
M failed". Exit status 0 when nothing failed, 1 otherwise.
Python 3 standard library only.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import check_corpus as cc  # noqa: E402

GENERATOR = HERE / "data" / "gen_real_documents.py"
SYSTEM_PYTHON = "/usr/bin/python3"
SENDERS = [("unknown sender", [], False), ("known sender --auth alice", ["--auth", "alice"], True)]


def write_config(outdir):
    config = outdir / "test.conf"
    config.write_text("# Written by tests/check_real_documents.py.\n"
                      "[scan]\n"
                      "signatures = %s\n"
                      "clamav_database = /nonexistent-clamav-db\n"
                      "\n"
                      "[origin]\n"
                      "authserv_id = mx.test.example\n" % (HERE.parent / "signatures"))
    return config


def attachment_problems(entry, v, known):
    """The one item named like the attached file (for a forwarded mail, its
    attachment): decoded intact, and no reason but unknown-origin from the
    unknown sender; no inner file with a reason."""
    name = entry["item"]
    matches = cc.find_items(v, "name", name)
    if len(matches) != 1:
        return ["attachment %r: expected one item, found %d (item names: %r)"
                % (name, len(matches), [i.get("filename") for i in v["items"]])]
    item = matches[0]
    out = []
    if item["size"] != entry["size"]:
        out.append("attachment %r: decoded size %d, the writer made %d bytes"
                   % (name, item["size"], entry["size"]))
    want = set() if known else {"unknown-origin"}
    out += cc.set_diff("attachment %r reasons" % name, want, item["reasons"])
    for inner in item["inner"]:
        if inner["reasons"]:
            out.append("inner file %r (%s): reasons %s" % (inner["path"], inner.get("type"),
                                                          cc.fmt_set(inner["reasons"])))
    return out


def compare(entry, v, known):
    out = cc.schema_problems(v)
    if out:
        return out
    out += cc.invariant_problems(v)
    if v["origin"]["known"] != known:
        out.append("origin: expected %s, got %s (%s)" % ("known" if known else "unknown",
                                                         "known" if v["origin"]["known"]
                                                         else "unknown", v["origin"].get("why")))
    want_action = "accept" if known else "strip"
    if v["action"] != want_action:
        out.append("action: expected %s, got %s" % (want_action, v["action"]))
    out += cc.set_diff("message reasons", set() if known else {"unknown-origin"}, v["reasons"])
    for item in v["items"]:
        if item["body"] and item["reasons"]:
            out.append("body part %s: reasons %s" % (item["part"], cc.fmt_set(item["reasons"])))
    return out + attachment_problems(entry, v, known)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: check_real_documents.py AIRLOCKCTL|BUILD_DIR OUTDIR\n")
        return 2
    airlockctl = cc.resolve_airlockctl(argv[1])
    outdir = Path(argv[2]).resolve()
    if airlockctl is None:
        print("0 passed, 1 failed")
        return 1
    r = cc.run([SYSTEM_PYTHON, str(GENERATOR), str(outdir)])
    if r.error or r.rc != 0:
        sys.stderr.write("check_real_documents.py: the generator failed (%s):\n%s\n"
                         % (r.status(), r.stderr.decode("utf-8", "replace")))
        print("0 passed, 1 failed")
        return 1
    generated = json.loads((outdir / "real.json").read_text(encoding="utf-8"))
    mails = generated["mails"]
    config = write_config(outdir)
    tally = cc.Tally()
    for missing in generated["missing"]:
        tally.report("writer %s" % missing["what"],
                     ["could not write its documents: install the Debian package %s (%s)"
                      % (missing["package"], missing["error"])])
    if not mails:
        tally.report("documents", ["the generator wrote no mail"])
    paths = [outdir / "mail" / name for name in sorted(mails)]
    for label, args, known in SENDERS:
        verdicts, failures, problems = cc.judge_group(airlockctl, config, args, paths)
        tally.report("run: airlockctl check --json %s(%d mails, %s)"
                     % ("".join(a + " " for a in args), len(paths), label), problems)
        for path in paths:
            entry = mails[path.name]
            title = "%s by %s (%s)" % (entry["file"], entry["writer"], label)
            if str(path) in failures:
                tally.report(title, [failures[str(path)]])
                continue
            v = verdicts[str(path)]
            problems = compare(entry, v, known)
            tally.report(title, problems, cc.describe(v) if problems else ())
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
