#!/usr/bin/env python3
"""
gen_corpus.py - writes the sample messages that `airlockctl check --json`
is judged on (tests/check_corpus.py, expected verdicts in expected.tsv).

Usage: gen_corpus.py OUTDIR

Writes into OUTDIR (created if needed):
  *.eml           one sample message per file (list: tests/data/README.md)
  test.conf       the configuration the samples are judged with
  bad-*.conf      configurations airlockctl must refuse (exit 1)
  manifest.json   for each sample, the attachments it carries intact:
                  decoded size and, where libmagic is unambiguous, the
                  MIME type; the checker compares them with the JSON

Every sample is raw bytes with CRLF line endings, as an MTA hands a
message over SMTP (one sample, pe-setup-exe-lf.eml, uses LF on purpose:
files saved by mail clients do). Output is deterministic: fixed dates,
boundaries, Message-IDs and zip timestamps; the few pseudo-random bytes
come from SHA-256 in counter mode over a fixed seed. Running it twice
gives identical files.

Nothing dangerous is stored in this script: the EICAR test string is
built from hex, the test program (PE) is assembled field by field, and
the one real signature-matching program is copied from Debian's
clamav-testfiles package, which must be installed (this script fails,
it never skips, when it is missing).

Python 3 standard library only.
"""

import base64
import binascii
import hashlib
import json
import os
import struct
import sys
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLAM_EXE = Path("/usr/share/clamav-testfiles/clam.exe")

CRLF = b"\r\n"
DATE = "Mon, 03 Jun 2024 09:15:00 +0200"
ZIP_DATE_TIME = (2024, 6, 3, 9, 15, 0)

STRANGER = "Stranger <stranger@unknown.example>"
PARTNER = "Partner Sales <sales@partner.example>"
STAFF = "Alice Martin <alice@test.example>"
RECIPIENT = "Bob Durand <bob@test.example>"

# What our own verifier (OpenDKIM in front of Airlock) adds for a good
# partner signature; authserv-id mx.test.example is ours in test.conf.
AR_PARTNER_DKIM = ("mx.test.example;\r\n"
                   "\tdkim=pass (2048-bit key; unprotected) header.d=partner.example\r\n"
                   "\theader.i=@partner.example header.s=s2024 header.a=rsa-sha256\r\n"
                   "\theader.b=Zm9vYmFy")
RECEIVED_PARTNER = ("from mail.partner.example (mail.partner.example [192.0.2.10])\r\n"
                    "\tby mx.test.example (Postfix) with ESMTPS id 4Vt1Xk2Q3Hz9sQ\r\n"
                    "\tfor <bob@test.example>; Mon, 03 Jun 2024 09:15:02 +0200")
RECEIVED_STRANGER = ("from mail.unknown.example (mail.unknown.example [198.51.100.7])\r\n"
                     "\tby mx.test.example (Postfix) with ESMTPS id 4Vt1Xk2Q3Hz9sR\r\n"
                     "\tfor <bob@test.example>; Mon, 03 Jun 2024 09:15:02 +0200")

# The 68-byte EICAR anti-virus test file, from hex so that no scanner
# flags this script. Its MD5 is checked below.
EICAR = bytes.fromhex(
    "58354f2150254041505b345c505a58353428505e2937434329377d2445494341"
    "522d5354414e444152442d414e544956495255532d544553542d46494c452124"
    "482b482a")
EICAR_MD5 = "44d88612fea8a8f36de82e1278abb02f"

MIME_PDF = "application/pdf"
MIME_PNG = "image/png"
MIME_ZIP = "application/zip"
MIME_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def fail(message):
    sys.stderr.write("gen_corpus.py: %s\n" % message)
    sys.exit(1)


def prng_bytes(seed, count):
    """count deterministic pseudo-random bytes: SHA-256(seed || counter)."""
    out = bytearray()
    counter = 0
    while len(out) < count:
        out += hashlib.sha256(seed + struct.pack(">Q", counter)).digest()
        counter += 1
    return bytes(out[:count])


# ---------------------------------------------------------------- files

def make_pdf(title="Quarterly report"):
    """A small valid one-page PDF 1.4, xref offsets computed."""
    text = title.encode("latin-1")
    stream = b"BT /F1 18 Tf 72 760 Td (" + text + b") Tj ET\n"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
        b"<< /Title (" + text + b") /Producer (Airlock gen_corpus.py) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, xref))
    return bytes(out)


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def make_png(width=16, height=16):
    """A valid RGB PNG with a colour gradient."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows += bytes((x * 255 // (width - 1), y * 255 // (height - 1), 0x80))
    return (b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(bytes(rows), 9))
            + png_chunk(b"IEND", b""))


def make_pe():
    """A minimal valid PE32 console program for i386 (code: xor eax,eax;
    ret) with two sections, matching no signature. Headers are
    consistent (alignments, sizes, entry point inside .text) so that
    no "broken executable" heuristic fires: it is just a program."""
    file_align, section_align = 0x200, 0x1000
    code = bytes.fromhex("31c0c3")
    rdata = b"Airlock test corpus program: harmless, returns 0.\0"

    dos = bytearray(0x80)
    struct.pack_into("<2s13H", dos, 0, b"MZ", 0x90, 3, 0, 4, 0, 0xFFFF, 0, 0xB8, 0, 0, 0,
                     0x40, 0)
    struct.pack_into("<I", dos, 0x3C, len(dos))  # e_lfanew
    stub = bytes.fromhex("0e1fba0e00b409cd21b8014ccd21") + b"This program cannot be run in DOS mode.\r\r\n$"
    dos[0x40:0x40 + len(stub)] = stub

    coff = struct.pack("<4sHHIIIHH", b"PE\0\0", 0x014C, 2, 0x66000000, 0, 0, 0xE0, 0x0103)
    optional = struct.pack("<HBBIIIIII", 0x10B, 14, 0, file_align, file_align, 0,
                           0x1000, 0x1000, 0x2000)
    optional += struct.pack("<IIIHHHHHHIIIIHHIIIIII", 0x400000, section_align, file_align,
                            6, 0, 0, 0, 6, 0, 0, 0x3000, file_align, 0, 3, 0x8100,
                            0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
    optional += bytes(16 * 8)
    assert len(optional) == 0xE0
    sections = struct.pack("<8sIIIIIIHHI", b".text", len(code), 0x1000, file_align,
                           file_align, 0, 0, 0, 0, 0x60000020)
    sections += struct.pack("<8sIIIIIIHHI", b".rdata", len(rdata), 0x2000, file_align,
                            2 * file_align, 0, 0, 0, 0, 0x40000040)
    headers = bytes(dos) + coff + optional + sections
    assert len(headers) <= file_align
    return (headers.ljust(file_align, b"\0") + code.ljust(file_align, b"\0")
            + rdata.ljust(file_align, b"\0"))


# ---------------------------------------------------------------- zip

class ZipEntry:
    def __init__(self, name, crc, size, method, payload, flags=0):
        self.name, self.crc, self.size = name.encode("utf-8"), crc, size
        self.method, self.payload, self.flags = method, payload, flags


def dos_date_time():
    year, month, day, hour, minute, second = ZIP_DATE_TIME
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


def deflate_raw(data):
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


class ZipCrypto:
    """Traditional PKWARE encryption (APPNOTE 6.1), what `zip -P` does."""
    TABLE = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        TABLE.append(c)

    def __init__(self, password):
        self.keys = [0x12345678, 0x23456789, 0x34567890]
        for byte in password:
            self._update(byte)

    def _crc(self, crc, byte):
        return self.TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)

    def _update(self, byte):
        k0 = self._crc(self.keys[0], byte)
        k1 = ((self.keys[1] + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        k2 = self._crc(self.keys[2], k1 >> 24)
        self.keys = [k0, k1, k2]

    def encrypt(self, data):
        out = bytearray()
        for byte in data:
            temp = (self.keys[2] | 2) & 0xFFFF
            out.append(byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
            self._update(byte)
        return bytes(out)


def zip_entry(name, data, password=None):
    crc = zlib.crc32(data) & 0xFFFFFFFF
    payload = deflate_raw(data)
    if password is None:
        return ZipEntry(name, crc, len(data), 8, payload)
    # 12-byte encryption header: 11 random bytes, then the CRC's high byte
    # (the check byte when no data descriptor is used).
    header = prng_bytes(b"zipcrypto:" + name.encode(), 11) + bytes((crc >> 24,))
    return ZipEntry(name, crc, len(data), 8, ZipCrypto(password).encrypt(header + payload),
                    flags=1)


def zip_entry_zeros(name, size):
    """A deflated entry of size zero bytes, built without holding them."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    crc, parts, left = 0, [], size
    while left > 0:
        piece = chunk if left >= len(chunk) else chunk[:left]
        crc = zlib.crc32(piece, crc)
        parts.append(compressor.compress(piece))
        left -= len(piece)
    parts.append(compressor.flush())
    return ZipEntry(name, crc & 0xFFFFFFFF, size, 8, b"".join(parts))


def make_zip(entries):
    """A plain (non-zip64) archive: local headers, central directory, end."""
    time, date = dos_date_time()
    body, central = bytearray(), bytearray()
    for e in entries:
        offset = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, e.flags, e.method, time, date,
                            e.crc, len(e.payload), e.size, len(e.name), 0)
        body += e.name + e.payload
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, e.flags, e.method,
                               time, date, e.crc, len(e.payload), e.size, len(e.name), 0, 0,
                               0, 0, 0, offset)
        central += e.name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central),
                      len(body), 0)
    return bytes(body + central + end)


def make_docx():
    """A minimal real Word 2007+ document; entry order as Word writes it
    ([Content_Types].xml first, word/ third), which libmagic relies on."""
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    types = head + (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.'
        'openxmlformats-package.core-properties+xml"/></Types>')
    rels = head + (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>')
    document = head + (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        '<w:body><w:p><w:r><w:t>Compte rendu de consultation.</w:t></w:r></w:p>'
        '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>')
    core = head + (
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<dc:title>Compte rendu</dc:title><dc:creator>Airlock corpus</dc:creator>'
        '</cp:coreProperties>')
    return make_zip([zip_entry("[Content_Types].xml", types.encode()),
                     zip_entry("_rels/.rels", rels.encode()),
                     zip_entry("word/document.xml", document.encode()),
                     zip_entry("docProps/core.xml", core.encode())])


# ---------------------------------------------------------------- MIME

def to_bytes(value):
    return value if isinstance(value, bytes) else value.encode("utf-8")


def header_block(headers):
    """headers: (name, value) pairs; a value may hold folded lines."""
    return b"".join(to_bytes(name) + b": " + to_bytes(value) + CRLF for name, value in headers)


def text_lines(text):
    """Text with CRLF line endings, ending with one."""
    return text.rstrip("\n").replace("\n", "\r\n").encode("utf-8") + CRLF


def b64_lines(data, width=76):
    encoded = base64.b64encode(data)
    return b"".join(encoded[i:i + width] + CRLF for i in range(0, len(encoded), width))


def entity(headers, body):
    return header_block(headers) + CRLF + body


def multipart_body(boundary, parts, preamble="This is a multi-part message in MIME format.\n"):
    b = boundary.encode()
    out = text_lines(preamble) if preamble else b""
    for part in parts:
        out += b"--" + b + CRLF + part + CRLF
    return out + b"--" + b + b"--" + CRLF


def multipart_ct(subtype, boundary):
    return 'multipart/%s; boundary="%s"' % (subtype, boundary)


def text_part(text, subtype="plain"):
    raw = text_lines(text)
    cte = "7bit" if max(raw, default=0) < 0x80 else "8bit"
    return entity([("Content-Type", "text/%s; charset=utf-8" % subtype),
                   ("Content-Transfer-Encoding", cte)], raw)


def attachment(data, ctype, filename, disposition="attachment", cid=None, ct_value=None,
               disp_value=None, encoded=None):
    """A base64 leaf part. ct_value / disp_value replace the generated
    header values (for hand-encoded names); encoded replaces the body."""
    headers = [("Content-Type", ct_value or '%s; name="%s"' % (ctype, filename)),
               ("Content-Disposition", disp_value or '%s; filename="%s"' % (disposition, filename)),
               ("Content-Transfer-Encoding", "base64")]
    if cid is not None:
        headers.append(("Content-ID", "<%s>" % cid))
    return entity(headers, b64_lines(data) if encoded is None else encoded)


def stem(sample):
    return sample[:-len(".eml")] if sample.endswith(".eml") else sample


def top_headers(sample, sender, subject, trace=()):
    """The usual top-level headers; trace headers (Authentication-Results,
    Received) come first, as the MTA prepends them."""
    sample = stem(sample)
    return list(trace) + [("From", sender), ("To", RECIPIENT), ("Subject", subject),
                          ("Date", DATE), ("Message-ID", "<%s@corpus.test.example>" % sample),
                          ("MIME-Version", "1.0")]


def partner_trace():
    return [("Authentication-Results", AR_PARTNER_DKIM), ("Received", RECEIVED_PARTNER)]


def stranger_trace():
    return [("Received", RECEIVED_STRANGER)]


def mixed_message(sample, sender, subject, text, parts, trace=()):
    boundary = "airlock-%s-mixed" % stem(sample)
    headers = top_headers(sample, sender, subject, trace)
    headers.append(("Content-Type", multipart_ct("mixed", boundary)))
    return entity(headers, multipart_body(boundary, [text_part(text)] + list(parts)))


# ---------------------------------------------------------------- samples

class Sample:
    """One .eml being built: its name and the attachments it carries
    intact (for manifest.json)."""

    def __init__(self, name):
        self.name = name
        self.items = {}

    def note(self, filename, data, detected_type=None):
        self.items[filename] = {"size": len(data), "detected_type": detected_type}
        return data


SAMPLES = []


def sample(name):
    def register(builder):
        SAMPLES.append((name, builder))
        return builder
    return register


def sender_for(kind):
    """(From, trace headers) for the three kinds of senders."""
    return {"stranger": (STRANGER, stranger_trace()),
            "partner": (PARTNER, partner_trace()),
            "staff": (STAFF, ())}[kind]


def document_sample(kind, sender_kind):
    """pdf/png/docx from a stranger, a DKIM-verified partner, or staff."""
    data, ctype, filename = {
        "pdf": (make_pdf(), MIME_PDF, "report.pdf"),
        "png": (make_png(), MIME_PNG, "scan.png"),
        "docx": (make_docx(), MIME_DOCX, "compte-rendu.docx"),
    }[kind]
    name = "%s-%s.eml" % (kind, {"stranger": "stranger", "partner": "partner-dkim",
                                 "staff": "staff-auth"}[sender_kind])

    def build(s):
        sender, trace = sender_for(sender_kind)
        return mixed_message(s.name, sender, "Document: %s" % filename,
                             "Hello,\n\nplease find the document attached.\n",
                             [attachment(s.note(filename, data, ctype), ctype, filename)],
                             trace)
    SAMPLES.append((name, build))


for _kind in ("pdf", "png", "docx"):
    for _sender in ("stranger", "partner", "staff"):
        document_sample(_kind, _sender)


@sample("clean-text.eml")
def clean_text(s):
    headers = top_headers(s.name, STRANGER, "Appointment next week", stranger_trace())
    headers += [("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Transfer-Encoding", "8bit")]
    return entity(headers, text_lines("Bonjour,\n\nJe voudrais déplacer mon rendez-vous "
                                      "de mardi à jeudi.\n\nMerci\n"))


def html_alternative(sample_name, html):
    boundary = "airlock-%s-alt" % stem(sample_name)
    return entity([("Content-Type", multipart_ct("alternative", boundary))],
                  multipart_body(boundary, [text_part("Newsletter (HTML version attached).\n"),
                                            text_part(html, "html")], preamble=None))


@sample("clean-html.eml")
def clean_html(s):
    boundary = "airlock-%s-alt" % stem(s.name)
    headers = top_headers(s.name, STRANGER, "Newsletter", stranger_trace())
    headers.append(("Content-Type", multipart_ct("alternative", boundary)))
    html = "<html><body><h1>News</h1><p>Opening hours change in July.</p></body></html>\n"
    return entity(headers, multipart_body(boundary, [text_part("News: opening hours change.\n"),
                                                     text_part(html, "html")]))


def related_message(s, html, image_part):
    boundary = "airlock-%s-related" % stem(s.name)
    headers = top_headers(s.name, STRANGER, "Newsletter with logo", stranger_trace())
    headers.append(("Content-Type", 'multipart/related; type="multipart/alternative"; '
                                    'boundary="%s"' % boundary))
    return entity(headers, multipart_body(boundary, [html_alternative(s.name, html), image_part]))


@sample("html-cid-inline-png.eml")
def html_cid_inline_png(s):
    html = ('<html><body><img src="cid:logo@corpus.test.example" alt="logo">'
            '<p>Opening hours change in July.</p></body></html>\n')
    png = s.note("logo.png", make_png(), MIME_PNG)
    return related_message(s, html, attachment(png, MIME_PNG, "logo.png", disposition="inline",
                                               cid="logo@corpus.test.example"))


@sample("html-cid-unreferenced-png.eml")
def html_cid_unreferenced_png(s):
    html = "<html><body><p>No picture is shown here.</p></body></html>\n"
    png = s.note("logo.png", make_png(), MIME_PNG)
    return related_message(s, html, attachment(png, MIME_PNG, "logo.png", disposition="inline",
                                               cid="logo@corpus.test.example"))


@sample("html-cid-png-is-exe.eml")
def html_cid_png_is_exe(s):
    html = ('<html><body><img src="cid:logo@corpus.test.example" alt="logo">'
            '<p>Opening hours change in July.</p></body></html>\n')
    pe = s.note("logo.png", make_pe())
    return related_message(s, html, attachment(pe, MIME_PNG, "logo.png", disposition="inline",
                                               cid="logo@corpus.test.example"))


@sample("text-attachment-stranger.eml")
def text_attachment_stranger(s):
    notes = s.note("notes.txt", b"Blood pressure 12/8, next visit in June.\r\n")
    return mixed_message(s.name, STRANGER, "My notes", "Notes attached.\n",
                         [attachment(notes, "text/plain", "notes.txt")], stranger_trace())


def pdf_with_trace(s, sender, trace, subject="Invoice"):
    pdf = s.note("report.pdf", make_pdf(), MIME_PDF)
    return mixed_message(s.name, sender, subject, "Invoice attached.\n",
                         [attachment(pdf, MIME_PDF, "report.pdf")], trace)


@sample("pdf-partner-spf.eml")
def pdf_partner_spf(s):
    ar = ("mx.test.example;\r\n\tspf=pass (mx.test.example: domain of sales@partner.example "
          "designates 192.0.2.10 as permitted sender)\r\n\tsmtp.mailfrom=sales@partner.example")
    return pdf_with_trace(s, PARTNER, [("Authentication-Results", ar),
                                       ("Received", RECEIVED_PARTNER)])


@sample("pdf-lab-other-dkim.eml")
def pdf_lab_other_dkim(s):
    ar = "mx.test.example; dkim=pass header.d=other.example header.s=lab"
    return pdf_with_trace(s, "Laboratoire <lab@other.example>",
                          [("Authentication-Results", ar)], "Lab results")


@sample("pdf-other-user-dkim.eml")
def pdf_other_user_dkim(s):
    ar = "mx.test.example; dkim=pass header.d=other.example header.s=lab"
    return pdf_with_trace(s, "Bob <bob@other.example>", [("Authentication-Results", ar)])


# --- forged trust

@sample("forged-authserv-other.eml")
def forged_authserv_other(s):
    ar = "mx.evil.example; dkim=pass header.d=partner.example"
    return pdf_with_trace(s, PARTNER, [("Authentication-Results", ar),
                                       ("Received", RECEIVED_STRANGER)])


@sample("forged-dkim-other-domain.eml")
def forged_dkim_other_domain(s):
    ar = "mx.test.example; dkim=pass header.d=unknown.example"
    return pdf_with_trace(s, PARTNER, [("Authentication-Results", ar),
                                       ("Received", RECEIVED_STRANGER)])


@sample("forged-dkim-fail.eml")
def forged_dkim_fail(s):
    ar = "mx.test.example; dkim=fail (bad signature) header.d=partner.example; spf=softfail smtp.mailfrom=sales@partner.example"
    return pdf_with_trace(s, PARTNER, [("Authentication-Results", ar),
                                       ("Received", RECEIVED_STRANGER)])


@sample("forged-display-name.eml")
def forged_display_name(s):
    ar = "mx.test.example; dkim=pass header.d=unknown.example"
    return pdf_with_trace(s, '"sales@partner.example" <stranger@unknown.example>',
                          [("Authentication-Results", ar), ("Received", RECEIVED_STRANGER)])


@sample("forged-envelope-from.eml")
def forged_envelope_from(s):
    # Judged with --from sales@partner.example: the From header decides.
    ar = "mx.test.example; dkim=pass header.d=partner.example"
    return pdf_with_trace(s, STRANGER, [("Authentication-Results", ar),
                                        ("Received", RECEIVED_STRANGER)])


@sample("stranger-dkim-pass.eml")
def stranger_dkim_pass(s):
    ar = "mx.test.example; dkim=pass header.d=unknown.example; spf=pass smtp.mailfrom=stranger@unknown.example"
    return pdf_with_trace(s, STRANGER, [("Authentication-Results", ar),
                                        ("Received", RECEIVED_STRANGER)])


@sample("forged-authres-in-forwarded.eml")
def forged_authres_in_forwarded(s):
    pdf = s.note("report.pdf", make_pdf(), MIME_PDF)
    inner = mixed_message("forwarded-inner", PARTNER, "Invoice", "Invoice attached.\n",
                          [attachment(pdf, MIME_PDF, "report.pdf")],
                          [("Authentication-Results", AR_PARTNER_DKIM)])
    forwarded = entity([("Content-Type", "message/rfc822"),
                        ("Content-Disposition", "inline")], inner)
    return mixed_message(s.name, PARTNER, "Fwd: Invoice", "See the forwarded message.\n",
                         [forwarded], [("Received", RECEIVED_STRANGER)])


@sample("forged-authres-in-part-header.eml")
def forged_authres_in_part_header(s):
    pdf = s.note("report.pdf", make_pdf(), MIME_PDF)
    part = entity([("Authentication-Results", AR_PARTNER_DKIM),
                   ("Content-Type", 'application/pdf; name="report.pdf"'),
                   ("Content-Disposition", 'attachment; filename="report.pdf"'),
                   ("Content-Transfer-Encoding", "base64")], b64_lines(pdf))
    return mixed_message(s.name, PARTNER, "Invoice", "Invoice attached.\n", [part],
                         [("Received", RECEIVED_STRANGER)])


# --- viruses

def eicar_zip():
    return make_zip([zip_entry("eicar.txt", EICAR)])


@sample("eicar-attachment.eml")
def eicar_attachment(s):
    data = s.note("eicar.txt", EICAR)
    return mixed_message(s.name, PARTNER, "Test file", "Test file attached.\n",
                         [attachment(data, "text/plain", "eicar.txt")], partner_trace())


@sample("eicar-attachment-stranger.eml")
def eicar_attachment_stranger(s):
    data = s.note("eicar.txt", EICAR)
    return mixed_message(s.name, STRANGER, "Test file", "Test file attached.\n",
                         [attachment(data, "text/plain", "eicar.txt")], stranger_trace())


@sample("eicar-in-zip.eml")
def eicar_in_zip(s):
    data = s.note("eicar.zip", eicar_zip(), MIME_ZIP)
    return mixed_message(s.name, STAFF, "Archive", "Archive attached.\n",
                         [attachment(data, MIME_ZIP, "eicar.zip")])


@sample("eicar-in-zip-in-zip.eml")
def eicar_in_zip_in_zip(s):
    data = s.note("archive.zip", make_zip([zip_entry("inner.zip", eicar_zip())]), MIME_ZIP)
    return mixed_message(s.name, STAFF, "Archive", "Archive attached.\n",
                         [attachment(data, MIME_ZIP, "archive.zip")])


@sample("eicar-in-rfc822.eml")
def eicar_in_rfc822(s):
    data = s.note("eicar.txt", EICAR)
    inner = mixed_message("eicar-inner", STRANGER, "Test file", "Test file attached.\n",
                          [attachment(data, "text/plain", "eicar.txt")], stranger_trace())
    forwarded = entity([("Content-Type", "message/rfc822"),
                        ("Content-Disposition", "attachment")], inner)
    return mixed_message(s.name, STAFF, "Fwd: Test file", "Forwarding this.\n", [forwarded])


@sample("eicar-uuencoded.eml")
def eicar_uuencoded(s):
    s.note("eicar.txt", EICAR)
    uu = b"".join(binascii.b2a_uu(EICAR[i:i + 45], backtick=True).rstrip(b"\n") + CRLF
                  for i in range(0, len(EICAR), 45))
    body = (text_lines("Hello,\n\nthe file follows.\n\n") + b"begin 644 eicar.txt" + CRLF
            + uu + b"`" + CRLF + b"end" + CRLF + CRLF + text_lines("Bye\n"))
    headers = top_headers(s.name, STAFF, "Uuencoded file")
    headers += [("Content-Type", "text/plain; charset=us-ascii"),
                ("Content-Transfer-Encoding", "7bit")]
    return entity(headers, body)


@sample("clam-exe.eml")
def clam_exe(s):
    data = s.note("clam.exe", CLAM_EXE.read_bytes())
    return mixed_message(s.name, PARTNER, "Tool", "The tool you asked for.\n",
                         [attachment(data, "application/octet-stream", "clam.exe")],
                         partner_trace())


# --- executables and disguises (staff, --auth alice: origin is not the point)

def pe_sample(s, filename, ctype, ct_value=None, disp_value=None):
    pe = s.note(filename, make_pe())
    return mixed_message(s.name, STAFF, "Program", "Program attached.\n",
                         [attachment(pe, ctype, filename, ct_value=ct_value,
                                     disp_value=disp_value)])


@sample("pe-setup-exe.eml")
def pe_setup_exe(s):
    return pe_sample(s, "setup.exe", "application/octet-stream")


@sample("pe-setup-exe-lf.eml")
def pe_setup_exe_lf(s):
    return pe_sample(s, "setup.exe", "application/octet-stream").replace(CRLF, b"\n")


@sample("pe-facture-pdf-exe.eml")
def pe_facture_pdf_exe(s):
    return pe_sample(s, "facture.pdf.exe", MIME_PDF)


@sample("pe-named-report-pdf.eml")
def pe_named_report_pdf(s):
    return pe_sample(s, "report.pdf", MIME_PDF)


@sample("pe-padded-double-extension.eml")
def pe_padded_double_extension(s):
    return pe_sample(s, "invoice.pdf" + " " * 24 + ".exe", "application/octet-stream")


@sample("pe-bidi-rfc2231.eml")
def pe_bidi_rfc2231(s):
    # invoice<U+202E RIGHT-TO-LEFT OVERRIDE>fdp.exe shows as "invoiceexe.pdf".
    encoded = "UTF-8''invoice%E2%80%AEfdp.exe"
    return pe_sample(s, "invoice\u202efdp.exe", "application/octet-stream",
                     ct_value="application/octet-stream; name*=" + encoded,
                     disp_value="attachment; filename*=" + encoded)


@sample("pe-in-zip.eml")
def pe_in_zip(s):
    data = s.note("tools.zip", make_zip([zip_entry("setup.exe", make_pe())]), MIME_ZIP)
    return mixed_message(s.name, STAFF, "Tools", "Tools attached.\n",
                         [attachment(data, MIME_ZIP, "tools.zip")])


JS_CODE = b'var shell = new ActiveXObject("WScript.Shell");\r\nshell.Run("calc.exe");\r\n'


@sample("script-js.eml")
def script_js(s):
    js = s.note("invoice.js", JS_CODE)
    return mixed_message(s.name, STAFF, "Invoice", "Invoice attached.\n",
                         [attachment(js, "application/javascript", "invoice.js")])


def raw_name_sample(s, ct_value, disp_value):
    """A script whose only tell is its name, with hand-made name headers."""
    part = entity([("Content-Type", ct_value), ("Content-Disposition", disp_value),
                   ("Content-Transfer-Encoding", "base64")], b64_lines(JS_CODE))
    return mixed_message(s.name, STAFF, "Invoice", "Invoice attached.\n", [part])


@sample("script-js-nul-in-name.eml")
def script_js_nul_in_name(s):
    # A NUL before the extension: a parser that stops there sees no ".js".
    return raw_name_sample(s, b'application/octet-stream; name="invoice\x00.js"',
                           b'attachment; filename="invoice\x00.js"')


@sample("script-js-name-conflict.eml")
def script_js_name_conflict(s):
    # Content-Disposition says .pdf, Content-Type says .js: mail clients
    # differ in which one they use when saving or opening.
    return raw_name_sample(s, 'application/octet-stream; name="invoice.js"',
                           'attachment; filename="invoice.pdf"')


# --- names that must be decoded (trusted partner: accept)

NAME_RFC2231 = "Rapport annuel été 2024 — version finale.pdf"
NAME_RFC2047 = "Überweisung für März 2024.pdf"


@sample("pdf-rfc2231-continuation.eml")
def pdf_rfc2231_continuation(s):
    params = ("\r\n\tname*0*=UTF-8''Rapport%20annuel%20%C3%A9t%C3%A9;"
              "\r\n\tname*1*=%202024%20%E2%80%94%20version;"
              "\r\n\tname*2=\" finale.pdf\"")
    pdf = s.note(NAME_RFC2231, make_pdf("Rapport annuel"), MIME_PDF)
    part = attachment(pdf, MIME_PDF, None, ct_value="application/pdf;" + params,
                      disp_value="attachment;" + params.replace("name*", "filename*"))
    return mixed_message(s.name, PARTNER, "Rapport annuel", "Le rapport.\n", [part],
                         partner_trace())


@sample("pdf-rfc2047-name.eml")
def pdf_rfc2047_name(s):
    word = "=?UTF-8?B?%s?=" % base64.b64encode(NAME_RFC2047.encode()).decode()
    pdf = s.note(NAME_RFC2047, make_pdf("Ueberweisung"), MIME_PDF)
    part = attachment(pdf, MIME_PDF, None, ct_value='application/pdf; name="%s"' % word,
                      disp_value='attachment; filename="%s"' % word)
    return mixed_message(s.name, PARTNER, "Überweisung", "Anbei die Überweisung.\n", [part],
                         partner_trace())


# --- encrypted, structure, limits

@sample("zip-encrypted.eml")
def zip_encrypted(s):
    data = s.note("contract.zip", make_zip([zip_entry("contract.pdf", make_pdf("Contract"),
                                                      password=b"secret")]), MIME_ZIP)
    return mixed_message(s.name, STAFF, "Contract", "Password: secret\n",
                         [attachment(data, MIME_ZIP, "contract.zip")])


@sample("message-partial.eml")
def message_partial(s):
    # Fragment 1 of 2 of a message carrying a PDF (RFC 2046 5.2.2).
    pdf = b64_lines(make_pdf("Fragmented"))
    inner_boundary = "airlock-partial-inner"
    fragment = (header_block([("Message-ID", "<partial-original@corpus.test.example>"),
                              ("MIME-Version", "1.0"),
                              ("Content-Type", multipart_ct("mixed", inner_boundary))])
                + CRLF + b"--" + inner_boundary.encode() + CRLF
                + header_block([("Content-Type", 'application/pdf; name="big.pdf"'),
                                ("Content-Transfer-Encoding", "base64")])
                + CRLF + pdf[:len(pdf) // 2].rsplit(CRLF, 1)[0] + CRLF)
    headers = top_headers(s.name, STAFF, "Big file (part 1 of 2)")
    headers.append(("Content-Type", 'message/partial; id="airlock-partial@corpus.test.example";'
                                    ' number=1; total=2'))
    return entity(headers, fragment)


def nested_multipart(s, levels):
    body = text_part("The bottom of the nest.\n")
    for level in range(levels - 1, 0, -1):
        boundary = "nest-%d" % level
        body = entity([("Content-Type", multipart_ct("mixed", boundary))],
                      multipart_body(boundary, [body], preamble=None))
    headers = top_headers(s.name, STAFF, "Nested %d levels" % levels)
    headers.append(("Content-Type", multipart_ct("mixed", "nest-0")))
    return entity(headers, multipart_body("nest-0", [body], preamble=None))


@sample("nesting-100-multipart.eml")
def nesting_100_multipart(s):
    return nested_multipart(s, 100)


@sample("nesting-20-multipart.eml")
def nesting_20_multipart(s):
    return nested_multipart(s, 20)


@sample("nesting-40-rfc822.eml")
def nesting_40_rfc822(s):
    body = entity([("From", STAFF), ("Subject", "bottom"),
                   ("Content-Type", "text/plain; charset=us-ascii")],
                  text_lines("The bottom of the nest.\n"))
    for level in range(39, 0, -1):
        body = entity([("From", STAFF), ("Subject", "Fwd: level %d" % level),
                       ("MIME-Version", "1.0"), ("Content-Type", "message/rfc822")], body)
    headers = top_headers(s.name, STAFF, "Forwarded 40 times")
    headers.append(("Content-Type", "message/rfc822"))
    return entity(headers, body)


def many_parts(s, count):
    parts = [entity([("Content-Type", "text/plain; charset=us-ascii")],
                    b"Part %d." % n + CRLF) for n in range(count)]
    headers = top_headers(s.name, STAFF, "%d parts" % count)
    headers.append(("Content-Type", multipart_ct("mixed", "many-parts")))
    return entity(headers, multipart_body("many-parts", parts, preamble=None))


@sample("parts-2000.eml")
def parts_2000(s):
    return many_parts(s, 2000)


@sample("parts-500.eml")
def parts_500(s):
    return many_parts(s, 500)


@sample("zip-bomb-200mb.eml")
def zip_bomb(s):
    data = s.note("backup.zip", make_zip([zip_entry_zeros("zeros.bin", 200 * 1024 * 1024)]),
                  MIME_ZIP)
    return mixed_message(s.name, STAFF, "Backup", "Backup attached.\n",
                         [attachment(data, MIME_ZIP, "backup.zip")])


@sample("empty.eml")
def empty(s):
    return b""


@sample("empty-attachment-stranger.eml")
def empty_attachment_stranger(s):
    return mixed_message(s.name, STRANGER, "Empty", "Nothing in it.\n",
                         [attachment(s.note("empty.txt", b""), "text/plain", "empty.txt")],
                         stranger_trace())


@sample("empty-attachment-staff.eml")
def empty_attachment_staff(s):
    return mixed_message(s.name, STAFF, "Empty", "Nothing in it.\n",
                         [attachment(s.note("empty.txt", b""), "text/plain", "empty.txt")])


# --- robustness: any verdict but accept, and no crash

@sample("garbage.eml")
def garbage(s):
    return prng_bytes(b"airlock garbage.eml", 8192)


@sample("truncated-base64.eml")
def truncated_base64(s):
    whole = pe_sample(s, "setup.exe", "application/octet-stream")
    s.items.clear()  # the content does not survive intact
    cut = whole.index(b"TVq") + 700  # in the middle of a base64 line
    return whole[:cut]


@sample("truncated-headers.eml")
def truncated_headers(s):
    return header_block(top_headers(s.name, STRANGER, "Cut"))[:150]


@sample("invalid-base64.eml")
def invalid_base64(s):
    pe = make_pe()
    lines = b64_lines(pe).split(CRLF)
    lines[2] = b"!!" + lines[2][:30] + b"*%$" + lines[2][30:]
    lines[5] = lines[5][:40] + b"==" + lines[5][40:]
    lines[8] = b"\x00\xff\x80" + lines[8]
    encoded = CRLF.join(lines)
    return mixed_message(s.name, STAFF, "Program", "Program attached.\n",
                         [attachment(pe, "application/octet-stream", "setup.exe",
                                     encoded=encoded)])


@sample("header-nul-8bit.eml")
def header_nul_8bit(s):
    pe = make_pe()
    part = entity([("Content-Type", b"application/octet-stream; name=\"r\xe9sum\xe9\x00.exe\""),
                   ("Content-Disposition", b"attachment; filename=\"r\xe9sum\xe9\x00.exe\""),
                   ("Content-Transfer-Encoding", "base64")], b64_lines(pe))
    headers = [("From", b"Al\xefce \x00Martin <alice@test.example>"),
               ("To", RECIPIENT), ("Subject", b"R\xe9sum\xe9 \x00\x01\x7f\xff"),
               (b"X-Bad\x00Header", b"\x00\x00"), ("Date", DATE),
               ("Message-ID", "<%s@corpus.test.example>" % stem(s.name)), ("MIME-Version", "1.0"),
               ("Content-Type", multipart_ct("mixed", "nul-8bit"))]
    return entity(headers, multipart_body("nul-8bit", [text_part("CV attached.\n"), part]))


# ---------------------------------------------------------------- configs

def write_configs(outdir):
    signatures = REPO / "signatures"
    good = ("# Written by tests/data/gen_corpus.py: the corpus is judged with this.\n"
            "[scan]\n"
            "signatures = %s\n"
            "clamav_database = /nonexistent-clamav-db\n"
            "\n"
            "[origin]\n"
            "authserv_id = mx.test.example\n"
            "trusted_senders = partner.example;lab@other.example\n" % signatures)
    (outdir / "test.conf").write_text(good)
    (outdir / "bad-unknown-key.conf").write_text(
        good.replace("[origin]\n", "[origin]\nno_such_key = 1\n"))
    (outdir / "bad-unknown-section.conf").write_text(good + "\n[no_such_section]\nkey = 1\n")
    (outdir / "bad-cidr.conf").write_text(
        good.replace("[origin]\n", "[origin]\ninternal_networks = 10.0.0.0/33\n"))


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: gen_corpus.py OUTDIR\n")
        return 2
    if hashlib.md5(EICAR).hexdigest() != EICAR_MD5:
        fail("internal error: the EICAR bytes are wrong")
    if not CLAM_EXE.is_file():
        fail("%s is missing: install the Debian package clamav-testfiles" % CLAM_EXE)
    outdir = Path(argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for name, builder in SAMPLES:
        s = Sample(name)
        data = builder(s)
        tmp = outdir / (name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, outdir / name)
        manifest[name] = s.items
    write_configs(outdir)
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True,
                                                     ensure_ascii=True) + "\n")
    print("gen_corpus.py: %d samples in %s" % (len(SAMPLES), outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
