#!/usr/bin/env python3
"""
check_corpus.py - judges the generated corpus with `airlockctl check --json`
and compares every verdict with tests/data/expected.tsv.

Usage: check_corpus.py AIRLOCKCTL|BUILD_DIR OUTDIR

  AIRLOCKCTL  the airlockctl program, or a build directory holding
              src/ctl/airlockctl
  OUTDIR      where tests/data/gen_corpus.py writes the samples (created)

Steps: run the generator into OUTDIR; run airlockctl once per distinct set
of extra arguments (all samples sharing them in one call; a sample whose
verdict is missing is run again alone to show its own exit status and
stderr); compare each JSON line with its expected.tsv row, with
OUTDIR/manifest.json (decoded size and type of the attachments) and with
invariants that hold for every verdict; then check the exit codes for a
missing file, bad configurations and a usage error.

Prints "ok ..." or "FAIL ..." with a diff per check, and last, alone on a
line, "N passed, M failed". Exit status 0 when nothing failed, 1 otherwise
(also when the generator or a fixture it needs is missing: never a skip).

Format of expected.tsv: see tests/data/README.md. Python 3 stdlib only.
"""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GENERATOR = HERE / "data" / "gen_corpus.py"
EXPECTED = HERE / "data" / "expected.tsv"

REASONS = ["virus", "executable", "disguised", "macro", "encrypted", "limits", "malformed",
           "polyglot", "unknown-type", "unscannable", "unknown-origin"]
ACTIONS = ["accept", "strip", "hold", "reject", "tempfail"]
FLAGS = {"not-accept", "any"}
RUN_TIMEOUT_SECONDS = 600

# ------------------------------------------------------------ expected.tsv


class ExpectedError(Exception):
    pass


class Row:
    """One line of expected.tsv: a sample judged with some extra args."""

    def __init__(self, line_number, fields):
        fields = fields + ["-"] * (7 - len(fields))
        if len(fields) != 7:
            raise ExpectedError("line %d: %d columns, want at most 7" % (line_number, len(fields)))
        self.line = line_number
        self.file = fields[0]
        self.args = [] if fields[1] == "-" else shlex.split(fields[1])
        self.origin = None if fields[2] == "-" else fields[2]
        self.action = None if fields[3] == "-" else fields[3]
        self.reasons = parse_reasons(fields[4], line_number)
        self.items = parse_items(fields[5], line_number)
        self.flags = set() if fields[6] == "-" else set(fields[6].split(","))
        if self.origin not in (None, "known", "unknown"):
            raise ExpectedError("line %d: origin must be known, unknown or -" % line_number)
        if self.flags - FLAGS:
            raise ExpectedError("line %d: unknown flag %s" % (line_number, self.flags - FLAGS))
        if not self.flags and self.action not in ACTIONS:
            raise ExpectedError("line %d: action %r is not one of %s"
                                % (line_number, self.action, ACTIONS))

    def title(self):
        return "%s [%s]" % (self.file, " ".join(self.args)) if self.args else self.file


def parse_reasons(text, line_number):
    if text == "-":
        return frozenset()
    reasons = frozenset(r.strip() for r in text.split(","))
    unknown = reasons - set(REASONS)
    if unknown:
        raise ExpectedError("line %d: unknown reason(s) %s" % (line_number, sorted(unknown)))
    return reasons


def unescape_name(text):
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def parse_items(text, line_number):
    """'NAME=REASONS | #PART=REASONS | NAME>INNER=REASONS' -> list of
    (kind, key, inner, reasons); kind is 'name' or 'part'."""
    items = []
    if text == "-":
        return items
    for spec in text.split(" | "):
        key, sep, reasons = spec.rpartition("=")
        if not sep or not key:
            raise ExpectedError("line %d: item spec %r is not KEY=REASONS" % (line_number, spec))
        key, _, inner = key.partition(">")
        kind = "part" if key.startswith("#") else "name"
        key = key[1:] if kind == "part" else unescape_name(key)
        items.append((kind, key, unescape_name(inner) or None,
                      parse_reasons(reasons, line_number)))
    return items


def load_expected(path):
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        rows.append(Row(number, line.split("\t")))
    seen = set()
    for row in rows:
        key = (row.file, tuple(row.args))
        if key in seen:
            raise ExpectedError("line %d: %s appears twice" % (row.line, row.title()))
        seen.add(key)
    return rows

# ------------------------------------------------------------ running


class Run:
    def __init__(self, argv, completed=None, error=None):
        self.argv = argv
        self.rc = completed.returncode if completed else None
        self.stdout = completed.stdout if completed else b""
        self.stderr = completed.stderr if completed else b""
        self.error = error  # timeout or exec failure

    def status(self):
        if self.error:
            return self.error
        if self.rc < 0:
            return "killed by signal %d" % -self.rc
        return "exit %d" % self.rc

    def stderr_lines(self, include_warnings=False):
        lines = self.stderr.decode("utf-8", "replace").splitlines()
        if include_warnings:
            return lines
        return [line for line in lines if not line.startswith("airlockctl: warning:")]


def run(argv):
    try:
        completed = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   stdin=subprocess.DEVNULL, timeout=RUN_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return Run(argv, error="timed out after %d s" % RUN_TIMEOUT_SECONDS)
    except OSError as e:
        return Run(argv, error="cannot run: %s" % e)
    return Run(argv, completed)


def parse_json_lines(run_result):
    """Returns (verdicts by file, problems)."""
    verdicts, problems = {}, []
    for line in run_result.stdout.split(b"\n"):
        if not line.strip():
            continue
        try:
            obj = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            problems.append("output line is not UTF-8 JSON (%s): %r" % (e, line[:200]))
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("file"), str):
            problems.append("output line without a \"file\" member: %r" % line[:200])
            continue
        if obj["file"] in verdicts:
            problems.append("two verdicts for %s" % obj["file"])
        verdicts[obj["file"]] = obj
    return verdicts, problems


def judge_group(airlockctl, config, args, paths):
    """Runs one airlockctl call for paths; any path without a verdict is
    run alone. Returns ({path: verdict}, {path: failure text}, group problems)."""
    base = [str(airlockctl), "check", "--json", "-c", str(config)] + args
    group = run(base + [str(p) for p in paths])
    verdicts, problems = parse_json_lines(group)
    failures = {}
    missing = [p for p in paths if str(p) not in verdicts]
    if missing or group.error or group.rc != 0:
        problems.append("%s on %d files (want exit 0 and one verdict each)%s%s" % (
            group.status(), len(paths),
            "; stderr: " + " / ".join(group.stderr_lines()[-5:]) if group.stderr_lines() else "",
            "; no verdict for %s: run again alone" % ", ".join(p.name for p in missing)
            if missing else ""))
    for path in missing:
        alone = run(base + [str(path)])
        got, alone_problems = parse_json_lines(alone)
        if str(path) in got and not alone.error and alone.rc == 0:
            verdicts[str(path)] = got[str(path)]
            continue
        failures[str(path)] = "no verdict: airlockctl %s; stderr: %s%s" % (
            alone.status(), " / ".join(alone.stderr_lines()[-5:]) or "(empty)",
            "; " + "; ".join(alone_problems) if alone_problems else "")
    return verdicts, failures, problems

# ------------------------------------------------------------ comparing


def fmt_set(reasons):
    ordered = [r for r in REASONS if r in reasons] + sorted(set(reasons) - set(REASONS))
    return "{" + ", ".join(ordered) + "}"


def set_diff(what, expected, got):
    if set(expected) == set(got):
        return []
    parts = []
    if set(expected) - set(got):
        parts.append("missing " + ", ".join(sorted(set(expected) - set(got))))
    if set(got) - set(expected):
        parts.append("unexpected " + ", ".join(sorted(set(got) - set(expected))))
    return ["%s: expected %s, got %s (%s)" % (what, fmt_set(expected), fmt_set(got),
                                              "; ".join(parts))]


def schema_problems(v):
    """Members the JSON must have (DESIGN.md, airlockctl check --json)."""
    out = []
    want = {"file": str, "action": str, "reasons": list, "origin": dict, "items": list}
    for key, kind in want.items():
        if not isinstance(v.get(key), kind):
            out.append("member %r missing or not a %s" % (key, kind.__name__))
    if out:
        return out
    if not isinstance(v["origin"].get("known"), bool):
        out.append("origin.known missing or not a boolean")
    item_want = {"part": str, "size": int, "body": bool, "verdict": str, "reasons": list,
                 "details": list, "viruses": list, "inner": list}
    for i, item in enumerate(v["items"]):
        if not isinstance(item, dict):
            out.append("items[%d] is not an object" % i)
            continue
        for key, kind in item_want.items():
            if not isinstance(item.get(key), kind):
                out.append("items[%d].%s missing or not a %s" % (i, key, kind.__name__))
        for key in ("filename", "declared_type", "detected_type"):
            if key not in item or not isinstance(item[key], (str, type(None))):
                out.append("items[%d].%s missing or not a string/null" % (i, key))
        for j, inner in enumerate(item.get("inner") or []):
            if not isinstance(inner, dict) or not isinstance(inner.get("path"), str) \
                    or not isinstance(inner.get("reasons"), list):
                out.append("items[%d].inner[%d] lacks path/reasons" % (i, j))
    return out


def invariant_problems(v):
    """What holds for every verdict under the default policy."""
    out = []
    reasons = set(v["reasons"])
    if v["action"] not in ACTIONS:
        out.append("action %r is not one of %s" % (v["action"], ACTIONS))
    if reasons - set(REASONS):
        out.append("unknown reason(s) %s" % sorted(reasons - set(REASONS)))
    if (v["action"] == "accept") != (not reasons):
        out.append("action %s with reasons %s: accept must mean no reason at all"
                   % (v["action"], fmt_set(reasons)))
    if reasons & {"virus", "polyglot"} and v["action"] not in ("hold", "reject", "tempfail"):
        out.append("virus/polyglot found but action is %s, not hold" % v["action"])
    for item in v["items"]:
        label = "item %s %r" % (item["part"], item.get("filename"))
        item_reasons = set(item["reasons"])
        if item["verdict"] != ("quarantine" if item_reasons else "clean"):
            out.append("%s: verdict %s with reasons %s" % (label, item["verdict"],
                                                           fmt_set(item_reasons)))
        if item_reasons - reasons:
            out.append("%s: reasons %s missing from the message reasons"
                       % (label, fmt_set(item_reasons - reasons)))
        if "virus" in item_reasons and not item["viruses"]:
            out.append("%s: reason virus but no virus name" % label)
        if item["body"] and "unknown-origin" in item_reasons:
            out.append("%s: a text body must not get unknown-origin" % label)
    return out


def find_items(v, kind, key):
    field = "part" if kind == "part" else "filename"
    return [item for item in v["items"] if item.get(field) == key]


def item_problems(row, v):
    out = []
    for kind, key, inner, reasons in row.items:
        label = ("part %s" if kind == "part" else "item %r") % key
        matches = find_items(v, kind, key)
        if len(matches) != 1:
            names = [item.get("filename") for item in v["items"]]
            out.append("%s: expected once, found %d times (item names: %r)"
                       % (label, len(matches), names))
            continue
        item = matches[0]
        if inner is None:
            out += set_diff(label + " reasons", reasons, item["reasons"])
            continue
        found = [i for i in item["inner"]
                 if i["path"] == inner or i["path"].endswith("/" + inner)]
        if not found:
            out.append("%s: no inner file %r (inner paths: %r)"
                       % (label, inner, [i["path"] for i in item["inner"]]))
            continue
        out += set_diff("%s inner %r reasons" % (label, inner), reasons, found[0]["reasons"])
    return out


def manifest_problems(manifest_items, v):
    """Attachments the generator put in intact: decoded size and type."""
    out = []
    for name, facts in sorted(manifest_items.items()):
        matches = find_items(v, "name", name)
        if len(matches) != 1:
            out.append("attachment %r: expected one item, found %d (item names: %r)"
                       % (name, len(matches), [i.get("filename") for i in v["items"]]))
            continue
        item = matches[0]
        if item["size"] != facts["size"]:
            out.append("attachment %r: decoded size %d, the generator wrote %d bytes"
                       % (name, item["size"], facts["size"]))
        if facts.get("detected_type") and item.get("detected_type") != facts["detected_type"]:
            out.append("attachment %r: detected type %r, want %r"
                       % (name, item.get("detected_type"), facts["detected_type"]))
    return out


def compare(row, v, manifest_items):
    out = schema_problems(v)
    if out:
        return out
    out += invariant_problems(v)
    if row.origin is not None and v["origin"]["known"] != (row.origin == "known"):
        out.append("origin: expected %s, got %s (why: %s)"
                   % (row.origin, "known" if v["origin"]["known"] else "unknown",
                      v["origin"].get("why")))
    if "any" in row.flags:
        return out
    if "not-accept" in row.flags:
        if v["action"] == "accept":
            out.append("action: expected anything but accept, got accept")
        return out
    if v["action"] != row.action:
        out.append("action: expected %s, got %s" % (row.action, v["action"]))
    out += set_diff("reasons", row.reasons, v["reasons"])
    out += item_problems(row, v)
    out += manifest_problems(manifest_items, v)
    return out


def describe(v):
    """The verdict in a few lines, to read next to a diff."""
    lines = ["got: action=%s reasons=%s origin=%s (%s)" % (
        v.get("action"), fmt_set(v.get("reasons") or []),
        "known" if (v.get("origin") or {}).get("known") else "unknown",
        (v.get("origin") or {}).get("why"))]
    for detail in v.get("message_details") or []:
        lines.append("  message: %s" % detail)
    for item in v.get("items") or []:
        if not isinstance(item, dict):
            continue
        lines.append("  part %s %r%s declared=%s detected=%s size=%s %s %s viruses=%s" % (
            item.get("part"), item.get("filename"), " (body)" if item.get("body") else "",
            item.get("declared_type"), item.get("detected_type"), item.get("size"),
            item.get("verdict"), fmt_set(item.get("reasons") or []), item.get("viruses")))
        for detail in item.get("details") or []:
            lines.append("      - %s" % detail)
        for inner in item.get("inner") or []:
            if isinstance(inner, dict):
                lines.append("      inner %r %s %s" % (inner.get("path"), inner.get("type"),
                                                      fmt_set(inner.get("reasons") or [])))
    return lines

# ------------------------------------------------------------ exit codes


def exit_code_checks(airlockctl, outdir):
    """(title, argv, want rc, strings the one stderr line must contain,
    expected verdict files or None to require empty stdout)."""
    config = outdir / "test.conf"
    missing = outdir / "does-not-exist.eml"
    clean = outdir / "clean-text.eml"
    ctl = [str(airlockctl), "check", "--json"]
    checks = [
        ("exit: unreadable file -> 1, one stderr line, other files still judged",
         ctl + ["-c", str(config), str(missing), str(clean)], 1, ["does-not-exist.eml"],
         [str(clean)]),
    ]
    for conf, words in (("bad-unknown-key.conf", ["no_such_key"]),
                        ("bad-unknown-section.conf", ["no_such_section"]),
                        ("bad-cidr.conf", ["internal_networks"]),
                        ("no-such-config.conf", [])):
        checks.append(("exit: config %s -> 1, one stderr line naming the file%s"
                       % (conf, " and " + ", ".join(words) if words else ""),
                       ctl + ["-c", str(outdir / conf), str(clean)], 1, [conf] + words, None))
    checks.append(("exit: no file given -> 2 (usage)", ctl + ["-c", str(config)], 2, [], None))
    results = []
    for title, argv, want_rc, words, verdict_files in checks:
        r = run(argv)
        problems = []
        if r.error or r.rc != want_rc:
            problems.append("expected exit %d, got %s" % (want_rc, r.status()))
        lines = r.stderr_lines()
        if want_rc == 1 and len(lines) != 1:
            problems.append("expected one stderr line (besides warnings), got %d: %r"
                            % (len(lines), lines))
        for word in words:
            if not any(word in line for line in lines):
                problems.append("stderr does not mention %r: %r" % (word, lines))
        verdicts, json_problems = parse_json_lines(r)
        if verdict_files is None:
            if want_rc == 1 and r.stdout.strip():
                problems.append("expected no output on stdout, got %r" % r.stdout[:200])
        else:
            problems += json_problems
            if sorted(verdicts) != sorted(verdict_files):
                problems.append("expected verdicts for %r, got %r"
                                % (verdict_files, sorted(verdicts)))
        results.append((title, problems))
    return results

# ------------------------------------------------------------ main


def resolve_airlockctl(arg):
    path = Path(arg)
    if path.is_dir():
        path = path / "src" / "ctl" / "airlockctl"
    if not path.is_file() or not os.access(path, os.X_OK):
        sys.stderr.write("check_corpus.py: %s is not an executable airlockctl\n" % path)
        return None
    return path.resolve()


class Tally:
    """Counts checks: report() prints "ok" or "FAIL" and the problems;
    finish() prints "N passed, M failed" and returns the exit status."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def report(self, title, problems, extra=()):
        if problems:
            self.failed += 1
            print("FAIL %s" % title)
            for line in list(problems) + list(extra):
                print("    " + line)
        else:
            self.passed += 1
            print("ok   %s" % title)

    def finish(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


def generate(outdir):
    r = run([sys.executable, str(GENERATOR), str(outdir)])
    if r.error or r.rc != 0:
        sys.stderr.write("check_corpus.py: the generator failed (%s):\n%s\n"
                         % (r.status(), r.stderr.decode("utf-8", "replace")))
        return False
    return True


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: check_corpus.py AIRLOCKCTL|BUILD_DIR OUTDIR\n")
        return 2
    airlockctl = resolve_airlockctl(argv[1])
    outdir = Path(argv[2]).resolve()
    try:
        rows = load_expected(EXPECTED)
    except ExpectedError as e:
        sys.stderr.write("check_corpus.py: %s: %s\n" % (EXPECTED, e))
        return 1
    if airlockctl is None or not generate(outdir):
        print("0 passed, 1 failed")
        return 1
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))

    tally = Tally()
    report = tally.report

    covered = {row.file for row in rows}
    for name in sorted(manifest):
        if name not in covered:
            report("coverage: %s" % name, ["sample has no row in expected.tsv"])
    groups = {}
    for row in rows:
        if not (outdir / row.file).is_file():
            report(row.title(), ["expected.tsv line %d names a sample the generator did not "
                                 "write" % row.line])
            continue
        groups.setdefault(tuple(row.args), []).append(row)

    for args, group_rows in groups.items():
        paths = [outdir / row.file for row in group_rows]
        verdicts, failures, group_problems = judge_group(airlockctl, outdir / "test.conf",
                                                         list(args), paths)
        report("run: airlockctl check --json %s(%d files in one call)"
               % ("".join(a + " " for a in args), len(paths)), group_problems)
        for row, path in zip(group_rows, paths):
            if str(path) in failures:
                report(row.title(), [failures[str(path)]])
                continue
            v = verdicts[str(path)]
            problems = compare(row, v, manifest.get(row.file, {}))
            report(row.title(), problems, describe(v) if problems else ())

    for title, problems in exit_code_checks(airlockctl, outdir):
        report(title, problems)

    return tally.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
