#!/usr/bin/env python3
"""
gen_corpus.py - the benchmark corpus: clinic-like mail, a size sweep and
large messages, with every decoded part written next to its message.

Usage: gen_corpus.py OUTDIR [--messages N] [--sweep-max-mb M]

Writes into OUTDIR:
  mix/NNNN.eml        N messages (default 200), per 10 messages: 4 plain
                      text, 2 with a 100 KB PDF, 1 with a 2 MB image
                      (PNG or DICOM, alternately), 1 zip holding EICAR,
                      1 harmless PE program, 1 clean Word document.
  sweep/SIZE.eml      one message with one PDF attachment of SIZE bytes
                      (10 KB, 100 KB, 1 MB, 10 MB, 50 MB; up to M MB)
  big/big-K.eml       10 messages with a 20 MB attachment each (memory)
  parts/...           every part the pipeline scans (text bodies and
                      decoded attachments), one file each
  manifest.json       {"mix": [{"eml":..., "kind":..., "parts": [...]}],
                       "sweep": [...], "big": [...]}: what scan_only
                      scans to measure libclamav alone on the same bytes

Every attachment is unique (its bytes depend on the message number), as
in real mail: a scanner with a clean-file cache (clamd has one, Airlock
turns libclamav's off) gains nothing from repeats. Deterministic: fixed
dates and boundaries; pseudo-random bytes from random.Random(seed).
Messages are CRLF, as an MTA hands them over SMTP; envelope sender
sender@outside.example, recipient bob@sink.test.

The EICAR string and the PE builder come from tests/data/gen_corpus.py
(EICAR is stored as hex there). Python 3 standard library only.
"""

import argparse
import base64
import json
import random
import struct
import sys
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "data"))
import gen_corpus as base  # noqa: E402

CRLF = b"\r\n"
DATE = "Tue, 04 Jun 2024 10:00:00 +0200"
SENDER = "Laboratoire Externe <resultats@outside.example>"
RECIPIENT = "Bob Durand <bob@sink.test>"
KB, MB = 1024, 1024 * 1024
SWEEP_SIZES = [10 * KB, 100 * KB, 1 * MB, 10 * MB, 50 * MB]
BIG_COUNT, BIG_SIZE = 10, 20 * MB
KINDS = ["text", "text", "pdf", "text", "image", "zip-eicar", "text", "pdf", "pe", "office"]

LOREM = ("Bonjour, veuillez trouver ci-joint les resultats du patient. Le rendez-vous de "
         "controle est prevu la semaine prochaine. Merci de confirmer la reception. "
         "Hello, please find the results attached; the follow-up visit is next week. ")


def rng(seed):
    return random.Random(seed)


def text_body(n, min_bytes=1500, max_bytes=6000):
    r = rng(("text", n).__repr__())
    words = LOREM.split()
    size = r.randint(min_bytes, max_bytes)
    lines, line, total = [], [], 0
    while total < size:
        word = r.choice(words)
        line.append(word)
        total += len(word) + 1
        if len(line) >= 12:
            lines.append(" ".join(line))
            line = []
    lines.append(" ".join(line) + " (message %d)" % n)
    return "\n".join(lines) + "\n"


def pdf_of_size(n, size):
    """A valid PDF whose bulk is one image XObject: FlateDecode of random
    bytes (incompressible, so the file is about size bytes and libclamav
    inflates about as much), as a scanned report is."""
    raw = rng(("pdf", n, size).__repr__()).randbytes(max(size - 1200, 64))
    image = zlib.compress(raw, 1)
    page = b"q 500 0 0 700 40 60 cm /Im1 Do Q BT /F1 12 Tf 40 40 Td (Report %d) Tj ET\n" % n
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 "
        b"0 R >> /XObject << /Im1 6 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(page) + page + b"endstream",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height 1 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(raw), len(image)) + image + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def png_of_size(n, size):
    """A valid PNG of about size bytes: a noisy grey image, stored
    uncompressed (zlib level 0) so that the file has the size asked."""
    width = 1024
    height = max(1, size // (width + 1))
    r = rng(("png", n).__repr__())
    rows = b"".join(b"\0" + r.randbytes(width) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + base.png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + base.png_chunk(b"IDAT", zlib.compress(rows, 0))
            + base.png_chunk(b"IEND", b""))


def dicom_element(group, element, vr, value):
    if len(value) % 2:
        value += b" " if vr in (b"PN", b"LO", b"DA", b"CS", b"UI", b"SH") else b"\0"
    if vr in (b"OB", b"OW", b"UN", b"SQ", b"UT"):
        return struct.pack("<HH2sHI", group, element, vr, 0, len(value)) + value
    return struct.pack("<HH2sH", group, element, vr, len(value)) + value


def dicom_of_size(n, size):
    """A DICOM Part 10 file (explicit VR little endian, 128-byte zero
    preamble, "DICM"), one 16-bit CT slice of noise: about size bytes."""
    pixels = rng(("dicom", n).__repr__()).randbytes(size - 400)
    ts = b"1.2.840.10008.1.2.1"
    meta = dicom_element(0x0002, 0x0010, b"UI", ts)
    out = bytearray(128) + b"DICM"
    out += dicom_element(0x0002, 0x0000, b"UL", struct.pack("<I", len(meta))) + meta
    out += dicom_element(0x0008, 0x0060, b"CS", b"CT")
    out += dicom_element(0x0010, 0x0010, b"PN", b"PATIENT^TEST%d" % n)
    out += dicom_element(0x0028, 0x0010, b"US", struct.pack("<H", 512))
    out += dicom_element(0x0028, 0x0011, b"US", struct.pack("<H", len(pixels) // 1024))
    out += dicom_element(0x7FE0, 0x0010, b"OW", pixels)
    return bytes(out)


def pe_program(n):
    """tests/data's harmless PE, made unique by a tag in its last section."""
    pe = bytearray(base.make_pe())
    tag = b"bench message %d" % n
    pe[-len(tag) - 1:-1] = tag
    return bytes(pe)


def docx(n):
    """tests/data's minimal Word document plus a 40 KB picture."""
    plain = base.make_docx()
    picture = png_of_size(n, 40 * KB)
    # Rebuild with the picture appended (entry order of the original kept).
    types = base.zip_entry("[Content_Types].xml", _zip_member(plain, b"[Content_Types].xml"))
    entries = [types]
    for name in (b"_rels/.rels", b"word/document.xml", b"docProps/core.xml"):
        entries.append(base.zip_entry(name.decode(), _zip_member(plain, name)))
    entries.append(base.zip_entry("word/media/image1.png", picture))
    return base.make_zip(entries)


def _zip_member(archive, name):
    import io
    import zipfile
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return z.read(name.decode())


def eicar_zip(n):
    return base.make_zip([base.zip_entry("resultats-%d.txt" % n, base.EICAR)])


ATTACHMENTS = {
    "pdf": lambda n: (pdf_of_size(n, 100 * KB), "application/pdf", "compte-rendu-%d.pdf"),
    "zip-eicar": lambda n: (eicar_zip(n), "application/zip", "resultats-%d.zip"),
    "pe": lambda n: (pe_program(n), "application/octet-stream", "outil-%d.exe"),
    "office": lambda n: (docx(n), base.MIME_DOCX, "courrier-%d.docx"),
}


def image_attachment(n):
    if (n // 10) % 2 == 0:
        return png_of_size(n, 2 * MB), "image/png", "radio-%d.png"
    return dicom_of_size(n, 2 * MB), "application/dicom", "scanner-%d.dcm"


def message(name, subject, text, attachment=None):
    """(eml bytes, [decoded parts in pipeline order])."""
    headers = [("From", SENDER), ("To", RECIPIENT), ("Subject", subject), ("Date", DATE),
               ("Message-ID", "<%s@bench.airlock.example>" % name), ("MIME-Version", "1.0")]
    body = base.text_lines(text)
    if attachment is None:
        headers += [("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Transfer-Encoding", "7bit")]
        return base.entity(headers, body), [body]
    data, ctype, filename = attachment
    boundary = "bench-%s" % name
    headers.append(("Content-Type", base.multipart_ct("mixed", boundary)))
    parts = [base.text_part(text), base.attachment(data, ctype, filename)]
    return base.entity(headers, base.multipart_body(boundary, parts)), [body, data]


def write_message(outdir, group, name, eml, parts, kind):
    eml_path = outdir / group / (name + ".eml")
    eml_path.parent.mkdir(parents=True, exist_ok=True)
    eml_path.write_bytes(eml)
    part_paths = []
    for i, data in enumerate(parts, start=1):
        path = outdir / "parts" / group / ("%s.%d" % (name, i))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        part_paths.append(str(path.relative_to(outdir)))
    return {"eml": str(eml_path.relative_to(outdir)), "kind": kind, "bytes": len(eml),
            "parts": part_paths}


def mix(outdir, count):
    out = []
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        name = "%04d" % n
        if kind == "text":
            eml, parts = message(name, "Consultation %d" % n, text_body(n))
        else:
            if kind == "image":
                data, ctype, pattern = image_attachment(n)
            else:
                data, ctype, pattern = ATTACHMENTS[kind](n)
            eml, parts = message(name, "Document %d" % n, text_body(n, 300, 1200),
                                 (data, ctype, pattern % n))
        out.append(write_message(outdir, "mix", name, eml, parts, kind))
    return out


def sweep(outdir, max_mb):
    out = []
    for size in SWEEP_SIZES:
        if size > max_mb * MB:
            continue
        name = "%dk" % (size // KB)
        eml, parts = message(name, "Sweep %s" % name, text_body(size, 300, 600),
                             (pdf_of_size(size, size), "application/pdf", "sweep-%s.pdf" % name))
        out.append(write_message(outdir, "sweep", name, eml, parts, "pdf-%s" % name))
    return out


def big(outdir):
    out = []
    for k in range(BIG_COUNT):
        name = "big-%d" % k
        eml, parts = message(name, "Imagerie %d" % k, text_body(k, 300, 600),
                             (pdf_of_size(1000 + k, BIG_SIZE), "application/pdf",
                              "imagerie-%d.pdf" % k))
        out.append(write_message(outdir, "big", name, eml, parts, "pdf-20M"))
    return out


def main(argv):
    parser = argparse.ArgumentParser(description="Writes the benchmark corpus.")
    parser.add_argument("outdir")
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--sweep-max-mb", type=int, default=50)
    args = parser.parse_args(argv[1:])
    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    manifest = {"mix": mix(outdir, args.messages), "sweep": sweep(outdir, args.sweep_max_mb),
                "big": big(outdir)}
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
