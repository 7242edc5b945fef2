#!/usr/bin/env python3
"""make_seeds.py - seed corpora for the libFuzzer targets, derived from
the generated test corpus (tests/data/gen_corpus.py), so that no binary
blob is committed.

Usage: make_seeds.py OUTDIR

Writes OUTDIR/<target>/<name> for each target:
  pipeline   every generated .eml up to 256 KiB (the bombs past that
             size only slow the fuzzer down)
  filename   the name= and filename= parameters found in the corpus and
             a few hand-written RFC 2047 / RFC 2231 names, each in both
             routes of fuzz_filename.c (first byte even: a raw name for
             al_mime_decode_filename(); odd: header parameters)
  authres    the Authentication-Results values found in the corpus and a
             few hand-written ones
  config     the corpus's test.conf and bad-*.conf, conf/airlock.conf
Output is deterministic (file names are SHA-1 of the content).
"""

import hashlib
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GEN_CORPUS = os.path.join(REPO, "tests", "data", "gen_corpus.py")
MAX_EML_BYTES = 256 * 1024

EXTRA_NAMES = [
    b"=?UTF-8?B?ZmFjdHVyZS5wZGYuZXhl?=",
    b"=?ISO-8859-1?Q?r=E9sum=E9.pdf?=",
    b"=?utf-8?q?a?= =?utf-8?q?b.exe?=",
    b"report\xe2\x80\xaefdp.exe",
    b"=?x-unknown?B?AAAA?=",
]
EXTRA_PARAMS = [
    b"name*0=\"fact\"; name*1=\"ure.exe\"",
    b"filename*=UTF-8''%E2%80%AEfdp.exe",
    b"filename*0*=utf-8''a%20b; filename*1=\".pdf\"; filename*2*=%00.exe",
    b"filename=\"a\\\"b.pdf\"; name=c.exe",
]
EXTRA_AUTHRES = [
    b"mx.test.example; dkim=pass header.d=partner.example header.i=@partner.example",
    b"mx.test.example 1; spf=pass smtp.mailfrom=a@partner.example; dmarc=pass "
    b"header.from=partner.example",
    b"mx.test.example; (comment (nested)) dkim=pass (ok) header.d=\"quoted.example\"",
    b"mx.test.example; none",
]


def write(directory, data):
    os.makedirs(directory, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def seeds_from_eml(out, data):
    if len(data) <= MAX_EML_BYTES:
        write(os.path.join(out, "pipeline"), data)
    for value in re.findall(rb"(?im)^Authentication-Results:[ \t]*(.*(?:\r?\n[ \t].*)*)", data):
        write(os.path.join(out, "authres"), value.rstrip(b"\r\n"))
    for m in re.finditer(rb"(?i);\s*((?:file)?name\*?[0-9]*\*?=(?:\"[^\"\r\n]*\"|[^;\r\n]*)"
                         rb"(?:\s*;\s*(?:file)?name\*?[0-9]*\*?=(?:\"[^\"\r\n]*\"|[^;\r\n]*))*)",
                         data):
        params = m.group(1)
        write(os.path.join(out, "filename"), b"\x01" + params)
        value = params.split(b"=", 1)[1].strip(b"\"")
        write(os.path.join(out, "filename"), b"\x00" + value)


def main():
    if len(sys.argv) != 2:
        print("usage: make_seeds.py OUTDIR", file=sys.stderr)
        return 2
    out = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="airlock-seeds-") as corpus:
        subprocess.run([sys.executable, GEN_CORPUS, corpus], check=True,
                       stdout=subprocess.DEVNULL)
        for name in sorted(os.listdir(corpus)):
            path = os.path.join(corpus, name)
            with open(path, "rb") as f:
                data = f.read()
            if name.endswith(".eml"):
                seeds_from_eml(out, data)
            elif name.endswith(".conf"):
                write(os.path.join(out, "config"), data)
    with open(os.path.join(REPO, "conf", "airlock.conf"), "rb") as f:
        write(os.path.join(out, "config"), f.read())
    for name in EXTRA_NAMES:
        write(os.path.join(out, "filename"), b"\x00" + name)
    for params in EXTRA_PARAMS:
        write(os.path.join(out, "filename"), b"\x01" + params)
    for value in EXTRA_AUTHRES:
        write(os.path.join(out, "authres"), value)
    for target in ("pipeline", "filename", "authres", "config"):
        count = len(os.listdir(os.path.join(out, target)))
        if count == 0:
            print(f"make_seeds.py: no seeds for {target}", file=sys.stderr)
            return 1
        print(f"make_seeds.py: {count} seeds for {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
