#!/usr/bin/env python3
"""
check_threats.py - judges the threat samples of tests/data/gen_threats.py
with `airlockctl check --json`, twice: as sent by an unknown outside
sender, and by a known one (`--auth alice`, an authenticated client).

Usage: check_threats.py AIRLOCKCTL|BUILD_DIR OUTDIR

What each sample must give is in OUTDIR/threats.json, written by the
generator next to the samples (the meaning of each field is in
gen_threats.py, function sample()). For every sample and both senders:
  - the item named there carries every expected reason, and nothing but
    those and the listed side findings (plus unknown-origin from the
    unknown sender, never from the known one);
  - the inner file named there (path suffix) carries the reasons too;
  - the message carries the expected message-wide reasons, and no reason
    outside what is expected;
  - the action is hold for polyglots, viruses and message-wide findings,
    strip otherwise: a threat is quarantined whoever sends it;
  - a clean control (plain DICOM, a clean PDF...) is accepted from the
    known sender and stripped (unknown-origin only) from the unknown one.
The invariants of tests/check_corpus.py (schema, accept means no reason,
polyglot/virus means hold...) hold for every verdict.

Prints "ok ..." or "FAIL ..." per check, then alone on a line "N passed,
M failed". Exit status 0 when nothing failed, 1 otherwise (also when the
generator fails: never a skip). Python 3 standard library only.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import check_corpus as cc  # noqa: E402

GENERATOR = HERE / "data" / "gen_threats.py"
SENDERS = [("unknown sender", [], False), ("known sender --auth alice", ["--auth", "alice"], True)]


def expected_action(e, known):
    if e["clean"]:
        return "accept" if known else "strip"
    return "hold" if e["hold"] else "strip"


def item_problems(e, v, known):
    out = []
    if e["item"] is None:
        return out
    matches = cc.find_items(v, "name", e["item"])
    if len(matches) != 1:
        return ["item %r: expected once, found %d times (item names: %r)"
                % (e["item"], len(matches), [i.get("filename") for i in v["items"]])]
    item = matches[0]
    got = set(item["reasons"])
    origin = {"unknown-origin"} if not known else set()
    required = set(e["reasons"]) | origin
    allowed = required | set(e["also"])
    if e["clean"]:
        out += cc.set_diff("item %r reasons (clean control)" % e["item"], origin, got)
    else:
        if required - got:
            out.append("item %r: missing %s (got %s)" % (e["item"], cc.fmt_set(required - got),
                                                         cc.fmt_set(got)))
        if got - allowed:
            out.append("item %r: unexpected %s (allowed %s)"
                       % (e["item"], cc.fmt_set(got - allowed), cc.fmt_set(allowed)))
    if e["inner"]:
        found = [i for i in item["inner"]
                 if i["path"] == e["inner"] or i["path"].endswith("/" + e["inner"])]
        if not found:
            out.append("item %r: no inner file %r (inner paths: %r)"
                       % (e["item"], e["inner"], [i["path"] for i in item["inner"]]))
        elif set(e["reasons"]) - set(found[0]["reasons"]):
            out.append("inner %r: missing %s (got %s)"
                       % (e["inner"], cc.fmt_set(set(e["reasons"]) - set(found[0]["reasons"])),
                          cc.fmt_set(found[0]["reasons"])))
    return out


def compare(e, v, known):
    out = cc.schema_problems(v)
    if out:
        return out
    out += cc.invariant_problems(v)
    if v["origin"]["known"] != known:
        out.append("origin: expected %s, got %s" % ("known" if known else "unknown",
                                                    v["origin"].get("why")))
    want = expected_action(e, known)
    if v["action"] != want:
        out.append("action: expected %s, got %s" % (want, v["action"]))
    got = set(v["reasons"])
    origin = set() if known else {"unknown-origin"}
    if set(e["message"]) - got:
        out.append("message reasons: missing %s (got %s)"
                   % (cc.fmt_set(set(e["message"]) - got), cc.fmt_set(got)))
    allowed = set(e["reasons"]) | set(e["also"]) | set(e["message"]) | origin
    if got - allowed:
        out.append("message reasons: unexpected %s (allowed %s)"
                   % (cc.fmt_set(got - allowed), cc.fmt_set(allowed)))
    if known and "unknown-origin" in got:
        out.append("unknown-origin from a known sender")
    return out + item_problems(e, v, known)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: check_threats.py AIRLOCKCTL|BUILD_DIR OUTDIR\n")
        return 2
    airlockctl = cc.resolve_airlockctl(argv[1])
    outdir = Path(argv[2]).resolve()
    if airlockctl is None:
        print("0 passed, 1 failed")
        return 1
    r = cc.run([sys.executable, str(GENERATOR), str(outdir)])
    if r.error or r.rc != 0:
        sys.stderr.write("check_threats.py: the generator failed (%s):\n%s\n"
                         % (r.status(), r.stderr.decode("utf-8", "replace")))
        print("0 passed, 1 failed")
        return 1
    expectations = json.loads((outdir / "threats.json").read_text(encoding="utf-8"))
    tally = cc.Tally()
    report = tally.report

    paths = [outdir / name for name in sorted(expectations)]
    for label, args, known in SENDERS:
        verdicts, failures, problems = cc.judge_group(airlockctl, outdir / "test.conf", args,
                                                      paths)
        report("run: airlockctl check --json %s(%d files, %s)"
               % ("".join(a + " " for a in args), len(paths), label), problems)
        for path in paths:
            title = "%s (%s)" % (path.name, label)
            if str(path) in failures:
                report(title, [failures[str(path)]])
                continue
            v = verdicts[str(path)]
            problems = compare(expectations[path.name], v, known)
            report(title, problems, cc.describe(v) if problems else ())
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
