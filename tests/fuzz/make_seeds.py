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
  mimeparams the Content-Disposition values found in the corpus and a few
             hand-written ones (first byte 0: the parameter parser), and
             hand-written yEnc and begin-base64 text bodies (odd first
             byte: through al_mime_parse(); see fuzz_mimeparams.c)
  tnef       TNEF streams written by tests/data/threats_wrap.py
  cms        S/MIME compressed and signed (openssl(1)) structures from it
  markup     the SVG, HTML, RTF and CSV files of tests/data/threats_markup.py
             (first byte: the name fuzz_markup.c inspects them under)
  pdf        the PDFs of tests/data/threats_pdf.py (object streams through
             filter chains, XFA, actions, clean controls) and the corpus's
             plain PDF
  office     the parts of the documents of tests/data/threats_office.py,
             its Word 2003 XML and Flat OPC documents and compound files
             (first byte: the name fuzz_office.c inspects them under)
  unpack     the containers of tests/data/threats_archives.py (RAR 4 and 5,
             tar.zst, LZMA, ZIP with LZMA/XZ members and a Unicode Path
             name, PAX and GNU tar, tar.gz) and a plain ZIP
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
EXTRA_MIMEPARAMS = [
    b"\x00attachment; filename=\"a.pdf\"; filename=\"a.exe\"",
    b"\x00attachment filename=invoice.exe",
    b"\x00attachment; filename*=utf-8''a.pdf%00.exe; filename=\"=?utf-8?Q?b=00.js?=\"",
    b"\x00attachment; filename*0*=iso-8859-1'fr'r%E9; filename*1=\"sum.pdf\"",
    b"\x01Text\r\n=ybegin line=128 size=4 name=x.exe\r\nwx\x8a=}\r\n=yend size=4\r\n",
    b"\x03=ybegin part=1 total=2 line=128 size=4 name=y.exe\r\n=ypart begin=1 end=2\r\nwx\r\n"
    b"=yend part=1\r\n=ybegin part=2 total=2 line=128 size=4 name=y.exe\r\nwx\r\n=yend\r\n",
    b"\x01begin-base64 755 run.bat\r\nQGVjaG8gb2Zm\r\n====\r\n",
    b"\x05=}=J=M==\r\n=yend\r\n",
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
    for value in re.findall(rb"(?im)^Content-Disposition:[ \t]*(.*(?:\r?\n[ \t].*)*)", data):
        write(os.path.join(out, "mimeparams"), b"\x00" + value.rstrip(b"\r\n"))
    for value in re.findall(rb"(?im)^Authentication-Results:[ \t]*(.*(?:\r?\n[ \t].*)*)", data):
        write(os.path.join(out, "authres"), value.rstrip(b"\r\n"))
    for m in re.finditer(rb"(?i);\s*((?:file)?name\*?[0-9]*\*?=(?:\"[^\"\r\n]*\"|[^;\r\n]*)"
                         rb"(?:\s*;\s*(?:file)?name\*?[0-9]*\*?=(?:\"[^\"\r\n]*\"|[^;\r\n]*))*)",
                         data):
        params = m.group(1)
        write(os.path.join(out, "filename"), b"\x01" + params)
        value = params.split(b"=", 1)[1].strip(b"\"")
        write(os.path.join(out, "filename"), b"\x00" + value)


def wrapper_seeds(out):
    """tnef and cms: the wrapper builders of tests/data/threats_wrap.py."""
    sys.path.insert(0, os.path.join(REPO, "tests", "data"))
    import gen_corpus as gc
    import threats_wrap as tw
    pe, pdf = gc.make_pe(), gc.make_pdf("Seed")
    write(os.path.join(out, "tnef"), tw.make_tnef([("INVOIC~1.EXE", "invoice.exe", pe)],
                                                  tw.LETTER_RTF))
    write(os.path.join(out, "tnef"), tw.make_tnef([("A.PDF", None, pdf), ("B.EXE", "b.exe", pe)]))
    write(os.path.join(out, "tnef"), tw.make_tnef([], tw.OBJECT_RTF))
    write(os.path.join(out, "cms"), tw.cms_compress(tw.inner_with_exe()))
    write(os.path.join(out, "cms"), tw.cms_sign(tw.inner_with_exe()))
    write(os.path.join(out, "cms"), tw.cms_sign(b"Content-Type: text/plain\r\n\r\nHi\r\n",
                                                detached=True))


def markup_seeds(out):
    """markup: the files of tests/data/threats_markup.py, each under the
    name fuzz_markup.c's first byte selects (0 svg, 1 html, 2 rtf, 3 csv)."""
    sys.path.insert(0, os.path.join(REPO, "tests", "data"))
    import threats_markup as tm
    svgs = [tm.SVG_PREFIXED, tm.SVG_CHAR_REFS, tm.SVG_FOREIGN, tm.SVG_HANDLER, tm.SVG_LOGO]
    htmls = [tm.HTML_FROMCHARCODE, tm.HTML_JOIN, tm.HTML_ATOB, tm.HTML_DATA_BUILT,
             tm.HTML_REFRESH, tm.HTML_NEWSLETTER]
    rtfs = [tm.RTF_TEMPLATE, tm.RTF_INCLUDEPICTURE, tm.RTF_DDE, tm.rtf_letter_with_picture(),
            tm.rtf_package_object()]
    csvs = [text for _, text in tm.CSV_THREATS] + [tm.CSV_LABS]
    for selector, texts in ((0, svgs), (1, htmls), (3, csvs)):
        for text in texts:
            write(os.path.join(out, "markup"), bytes([selector]) + text.encode())
    for data in rtfs:
        write(os.path.join(out, "markup"), b"\x02" + data)


def pdf_seeds(out):
    """pdf: the documents of tests/data/threats_pdf.py."""
    sys.path.insert(0, os.path.join(REPO, "tests", "data"))
    import gen_corpus as gc
    import threats_pdf as tp
    for data in tp.seed_documents() + [gc.make_pdf("Seed")]:
        write(os.path.join(out, "pdf"), data)


def unpack_seeds(out):
    """unpack: the containers of tests/data/threats_archives.py."""
    sys.path.insert(0, os.path.join(REPO, "tests", "data"))
    import gen_corpus as gc
    import threats_archives as ta
    for data in ta.seed_archives() + [gc.make_zip([gc.zip_entry("a.txt", b"seed")])]:
        write(os.path.join(out, "unpack"), data)


def office_seeds(out):
    """office: the parts of the documents of tests/data/threats_office.py
    (first byte: the name fuzz_office.c inspects them under, 0 for a
    .rels part, 1 for another XML part, 3 for a whole XML document, 4
    for a compound file)."""
    import io
    import zipfile
    sys.path.insert(0, os.path.join(REPO, "tests", "data"))
    import threats_office as to
    zips = [to.docx_rels_utf16(), to.docx_rels_uppercase(), to.docx_dde(), to.xlsx_ddelink(),
            to.xlsx_macrosheet(), to.odt_basic(), to.odt_event_script(), to.odt_encrypted(),
            to.clean_docx(), to.clean_odt()]
    for data in zips:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                part = archive.read(info)
                selector = 0 if info.filename.lower().endswith(".rels") else 1
                write(os.path.join(out, "office"), bytes([selector]) + part)
    for data in (to.word2003_activemime(), to.flat_opc_vba()):
        write(os.path.join(out, "office"), b"\x03" + data)
    for data in (to.make_xls(1), to.make_doc_with_package(),
                 to.package_object("a.exe", b"MZ")):
        write(os.path.join(out, "office"), b"\x04" + data)


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
    for value in EXTRA_MIMEPARAMS:
        write(os.path.join(out, "mimeparams"), value)
    for value in EXTRA_AUTHRES:
        write(os.path.join(out, "authres"), value)
    wrapper_seeds(out)
    markup_seeds(out)
    pdf_seeds(out)
    office_seeds(out)
    unpack_seeds(out)
    for target in ("pipeline", "filename", "authres", "config", "mimeparams", "tnef", "cms",
                   "markup", "pdf", "office", "unpack"):
        count = len(os.listdir(os.path.join(out, target)))
        if count == 0:
            print(f"make_seeds.py: no seeds for {target}", file=sys.stderr)
            return 1
        print(f"make_seeds.py: {count} seeds for {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
