#!/usr/bin/python3
"""
gen_safecopy.py - the inputs of the safe-copy tests (issue 17).

Usage: /usr/bin/python3 gen_safecopy.py OUTDIR

Must run under Debian's /usr/bin/python3 (python3-reportlab, python3-pypdf,
python3-pil are importable from it only). Writes into OUTDIR:
  hostile.pdf     2 pages of text (ReportLab), then with pypdf: a document
                  JavaScript, an /OpenAction running JavaScript, an embedded
                  file, a link annotation and a form field
  many-pages.pdf  31 pages: one past the default max_pages (30)
  malformed.pdf   a PDF header, a page tree pointing at nothing and a
                  truncated content stream: poppler cannot open it
  gps.jpg         a photo-like JPEG with EXIF GPS coordinates and a comment
  text.png        a PNG with a tEXt chunk and an ICC profile
  comment.gif     a 2-frame GIF with a comment extension
  exif.webp       a lossy WebP with an EXIF chunk
  scan.tiff       an RGB TIFF with an ImageDescription tag
  gps.heic        gps.jpg encoded as HEIC by heif-enc (Debian's
                  libheif-examples), which keeps its EXIF
  polyglot.dcm    tests/data/gen_threats.py's DICOM whose preamble is a PE
                  header, with a PE program appended after the data set
  polyglot.tail   the bytes appended (for the test to look for)
  macro.docm      gen_threats.py's Word document with a vbaProject.bin
  plain.docx      gen_corpus.py's minimal Word document
  macro.doc       gen_threats.py's Word 97 (OLE2) file with a VBA project
  broken.docx     plain.docx whose word/document.xml is binary junk:
                  libmagic still calls it Word, LibreOffice makes no PDF
  letter.odt      OpenDocument text, "Ordonnance du Dr Martin"
  sheet.ods       OpenDocument spreadsheet, "Bilan sanguin 2026"
  slides.odp      OpenDocument presentation of 2 slides, "Consultation de
                  suivi 2026"
  letter.rtf      RTF written by hand, "Lettre de liaison du Dr Martin"
  sheet.xlsx      Excel 2007+, "Resultats biologiques Mme Durand"
  slides.pptx     PowerPoint 2007+ of 2 slides, "Plan de soins infirmiers"
  sheet.xls       Excel 97-2003, "Suivi INR Mr Bernard"
  slides.ppt      PowerPoint 97-2003, "Protocole de vaccination"
The three OpenDocument files are zip packages written here (mimetype
stored first, as libmagic wants it); the OOXML and 97-2003 files are such
packages (with their own text) converted by LibreOffice headless (soffice,
a private profile removed afterwards, no process left behind). The type
libmagic (`file --mime-type`) gives each Office file is checked against
OFFICE_TYPES, the types the milter sends to --kind office: a mismatch, a
missing soffice or a failed conversion stops the generator.
Deterministic: fixed seeds, no dates in the PDFs; the Office files'
content (not their bytes, for the two LibreOffice makes) is fixed.
"""

import io
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from PIL import Image, ImageDraw  # noqa: E402
from pypdf import PdfReader, PdfWriter  # noqa: E402
from pypdf.generic import (ArrayObject, DictionaryObject, FloatObject,  # noqa: E402
                           NameObject, NumberObject, TextStringObject)
from reportlab.pdfgen import canvas  # noqa: E402

GPS_IFD = 0x8825
SOFFICE_SECONDS = 120
# what LibreOffice converts from
ODF_SOURCE = {"xlsx": "ods", "pptx": "odp", "xls": "ods", "ppt": "odp"}

# What libmagic must call each Office file: all are types the milter maps
# to --kind office.
OFFICE_TYPES = {
    "macro.docm": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "plain.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "macro.doc": "application/msword",
    "letter.odt": "application/vnd.oasis.opendocument.text",
    "sheet.ods": "application/vnd.oasis.opendocument.spreadsheet",
    "slides.odp": "application/vnd.oasis.opendocument.presentation",
    "letter.rtf": "text/rtf",
    "sheet.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "slides.pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "sheet.xls": "application/vnd.ms-excel",
    "slides.ppt": "application/vnd.ms-powerpoint",
}


def text_pdf(pages, title):
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for n in range(pages):
        c.setFont("Helvetica-Bold", 22)
        c.drawString(72, 760, f"{title} - page {n + 1}")
        c.setFont("Helvetica", 12)
        for line in range(30):
            c.drawString(72, 720 - 20 * line, f"Ligne {line + 1}: paracetamol 1 g, 3 fois par jour.")
        c.rect(72, 80, 200, 60, fill=1)
        c.showPage()
    c.save()
    return buf.getvalue()


def hostile_pdf():
    writer = PdfWriter()
    writer.append_pages_from_reader(PdfReader(io.BytesIO(text_pdf(2, "Ordonnance"))))
    writer.add_js("app.alert('document JavaScript');")
    writer.add_attachment("notes.txt", b"Embedded notes: not shown in the safe copy.\n")
    js = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                           NameObject("/JS"): TextStringObject("app.alert('OpenAction');")})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(js)
    uri = DictionaryObject({NameObject("/S"): NameObject("/URI"),
                            NameObject("/URI"): TextStringObject("http://192.0.2.1/x")})
    link = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([FloatObject(72), FloatObject(700),
                                          FloatObject(300), FloatObject(720)]),
        NameObject("/Border"): ArrayObject([NumberObject(0)] * 3),
        NameObject("/A"): uri})
    field = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject("name"),
        NameObject("/Rect"): ArrayObject([FloatObject(300), FloatObject(80),
                                          FloatObject(500), FloatObject(100)])})
    page = writer.pages[0]
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(link),
                                               writer._add_object(field)])
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject([page["/Annots"][1]])})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def malformed_pdf():
    return (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Length 999999 >>\nstream\nBT /F1 12 Tf (x) Tj\n"
            b"trailer\n<< /Root 1 0 R /Size 3 >>\n%%EOF\n")


def picture(size=(320, 240)):
    img = Image.new("RGB", size, (235, 240, 245))
    draw = ImageDraw.Draw(img)
    for i in range(0, size[0], 16):
        draw.line([(i, 0), (size[0] - i, size[1])], fill=(20, 80 + i % 150, 160), width=3)
    draw.ellipse([100, 60, 220, 180], fill=(200, 40, 40))
    return img


def gps_jpeg():
    img = picture()
    exif = Image.Exif()
    exif[0x010F] = "AirlockCam"  # Make
    exif[0x0132] = "2024:05:01 10:00:00"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 24.0)
    gps[3] = "E"
    gps[4] = (2.0, 21.0, 3.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92, exif=exif.tobytes(), comment=b"secret comment")
    return buf.getvalue()


def text_png():
    from PIL import ImageCms, PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "patient Dupont, born 1950")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buf = io.BytesIO()
    picture().save(buf, "PNG", pnginfo=info, icc_profile=icc)
    return buf.getvalue()


def comment_gif():
    frames = [picture().convert("P", palette=Image.ADAPTIVE, colors=32),
              picture((320, 240)).rotate(180).convert("P", palette=Image.ADAPTIVE, colors=32)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0,
                   comment=b"patient Dupont")
    return buf.getvalue()


def exif_webp():
    exif = Image.Exif()
    exif[0x010F] = "AirlockCam"
    buf = io.BytesIO()
    picture().save(buf, "WEBP", quality=80, exif=exif.tobytes())
    return buf.getvalue()


def described_tiff():
    buf = io.BytesIO()
    picture().save(buf, "TIFF", description="patient Dupont", compression="tiff_lzw")
    return buf.getvalue()


def polyglot():
    import gen_threats as gt
    tail = b"MZ" + bytes(58) + struct.pack("<I", 64) + b"PE\0\0appended program"
    return gt.make_dicom(gt.preamble_pe()) + tail, tail


def office_documents():
    import zipfile
    import gen_corpus as gc
    import gen_threats as gt
    with zipfile.ZipFile(io.BytesIO(gc.make_docx())) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    broken = gc.make_zip([gc.zip_entry(name, bytes(range(256)) * 64
                                       if name == "word/document.xml" else data)
                          for name, data in members])
    return {"macro.docm": gt.docm_package(), "plain.docx": gc.make_docx(),
            "macro.doc": gt.vba_project_cfb(), "broken.docx": broken}


ODF_NS = " ".join(f'xmlns:{prefix}="urn:oasis:names:tc:opendocument:xmlns:{name}"'
                  for prefix, name in (
                      ("office", "office:1.0"), ("style", "style:1.0"), ("text", "text:1.0"),
                      ("table", "table:1.0"), ("draw", "drawing:1.0"),
                      ("presentation", "presentation:1.0"), ("fo", "xsl-fo-compatible:1.0"),
                      ("svg", "svg-compatible:1.0")))
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def odf_package(kind, body, styles=""):
    """An OpenDocument zip package: mimetype stored first (libmagic reads
    the type at offset 38), then the manifest, content.xml, styles.xml."""
    import gen_corpus as gc
    mimetype = f"application/vnd.oasis.opendocument.{kind}".encode()
    manifest = XML_HEAD + (
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:version="1.2"'
        f' manifest:media-type="{mimetype.decode()}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
        '</manifest:manifest>')
    content = XML_HEAD + (f'<office:document-content {ODF_NS} office:version="1.2">'
                          f'{body}</office:document-content>')
    styles = XML_HEAD + (f'<office:document-styles {ODF_NS} office:version="1.2">'
                         f'{styles}</office:document-styles>')
    stored = gc.ZipEntry("mimetype", zlib.crc32(mimetype) & 0xFFFFFFFF, len(mimetype), 0,
                         mimetype)
    return gc.make_zip([stored] + [gc.zip_entry(name, data.encode()) for name, data in (
        ("META-INF/manifest.xml", manifest), ("content.xml", content),
        ("styles.xml", styles))])


def odf_text(lines):
    paragraphs = "".join(f"<text:p>{line}</text:p>" for line in lines)
    return odf_package("text", f"<office:body><office:text>{paragraphs}</office:text>"
                               "</office:body>")


def odf_spreadsheet(title, rows):
    cells = "".join(
        "<table:table-row>" + "".join(
            f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}'
            "</text:p></table:table-cell>" if isinstance(v, float) else
            f'<table:table-cell office:value-type="string"><text:p>{v}</text:p>'
            "</table:table-cell>" for v in row) + "</table:table-row>"
        for row in [[title]] + rows)
    body = ('<office:automatic-styles><style:style style:name="co1" style:family="table-column">'
            '<style:table-column-properties style:column-width="7cm"/></style:style>'
            "</office:automatic-styles><office:body><office:spreadsheet>"
            '<table:table table:name="Bilan"><table:table-column table:style-name="co1"/>'
            '<table:table-column table:number-columns-repeated="2"/>'
            f"{cells}</table:table></office:spreadsheet></office:body>")
    return odf_package("spreadsheet", body)


def odf_presentation(slides):
    """One text box per slide, on a 28 x 15.75 cm master page."""
    styles = ('<office:automatic-styles><style:page-layout style:name="PM1">'
              '<style:page-layout-properties fo:page-width="28cm" fo:page-height="15.75cm"'
              ' style:print-orientation="landscape"/></style:page-layout>'
              '</office:automatic-styles><office:master-styles>'
              '<style:master-page style:name="Default" style:page-layout-name="PM1"/>'
              "</office:master-styles>")
    pages = "".join(
        f'<draw:page draw:name="page{n + 1}" draw:master-page-name="Default">'
        '<draw:frame svg:x="2cm" svg:y="2cm" svg:width="24cm" svg:height="8cm">'
        "<draw:text-box>" + "".join(f"<text:p>{line}</text:p>" for line in lines)
        + "</draw:text-box></draw:frame></draw:page>"
        for n, lines in enumerate(slides))
    return odf_package("presentation", "<office:body><office:presentation>"
                                       f"{pages}</office:presentation></office:body>", styles)


def rtf_letter():
    return (b"{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Helvetica;}}\n"
            b"\\f0\\fs28 Lettre de liaison du Dr Martin\\par\n"
            b"\\fs24 Patient suivi pour hypertension, traitement inchang\\'e9.\\par\n}\n")


def soffice_convert(sources, workdir):
    """{name: bytes} of sources (ODF bytes by name) converted by LibreOffice
    headless to the format of each name's extension. One soffice run per
    target format, a private profile in workdir; fails loudly."""
    soffice = next((p for p in ("/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice")
                    if os.access(p, os.X_OK)), None)
    if soffice is None:
        sys.exit("gen_safecopy.py: LibreOffice (soffice) not found (scripts/install-deps.sh)")
    srcdir, outdir = Path(workdir) / "src", Path(workdir) / "out"
    srcdir.mkdir()
    outdir.mkdir()
    profile = f"-env:UserInstallation=file://{Path(workdir) / 'profile'}"
    converted = {}
    for target, data in sources.items():
        stem, fmt = target.rsplit(".", 1)
        src = srcdir / f"{stem}.{ODF_SOURCE[fmt]}"
        src.write_bytes(data)
        proc = subprocess.Popen([soffice, profile, "--headless", "--norestore", "--nolockcheck",
                                 "--convert-to", fmt, "--outdir", str(outdir), str(src)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            said, _ = proc.communicate(timeout=SOFFICE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            sys.exit(f"gen_safecopy.py: soffice took more than {SOFFICE_SECONDS} s on {target}")
        finally:
            try:  # soffice.bin and oosplash share the session: none survives
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        out = outdir / target
        if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
            sys.exit(f"gen_safecopy.py: soffice did not convert {src.name} to {fmt} "
                     f"(exit {proc.returncode}): {said.decode(errors='replace').strip()}")
        converted[target] = out.read_bytes()
    return converted


def more_office_documents():
    """The OpenDocument, RTF and (through LibreOffice) OOXML files."""
    files = {
        "letter.odt": odf_text(["Ordonnance du Dr Martin",
                                "Amoxicilline 1 g matin et soir pendant 7 jours."]),
        "sheet.ods": odf_spreadsheet("Bilan sanguin 2026", [["Hemoglobine", 14.2],
                                                            ["Glycemie", 0.95]]),
        "slides.odp": odf_presentation([["Consultation de suivi 2026", "Tension 13/8"],
                                        ["Prochain rendez-vous en juin"]]),
        "letter.rtf": rtf_letter(),
    }
    sources = {
        "sheet.xlsx": odf_spreadsheet("Resultats biologiques Mme Durand",
                                      [["Creatinine", 8.1], ["Potassium", 4.2]]),
        "slides.pptx": odf_presentation([["Plan de soins infirmiers",
                                          "Pansement tous les 2 jours"],
                                         ["Surveillance de la cicatrice"]]),
        "sheet.xls": odf_spreadsheet("Suivi INR Mr Bernard", [["INR", 2.4], ["Dose", 5.0]]),
        "slides.ppt": odf_presentation([["Protocole de vaccination", "Rappel a 11 mois"]]),
    }
    workdir = tempfile.mkdtemp(prefix="gen-safecopy-")
    try:
        files.update(soffice_convert(sources, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return files


def check_office_types(out):
    """libmagic's type of each Office file is the one the milter routes to
    --kind office, or the generator stops."""
    names = sorted(OFFICE_TYPES)
    said = subprocess.run(["file", "--mime-type", "-b"] + [str(out / n) for n in names],
                          check=True, capture_output=True, text=True).stdout.split()
    wrong = [f"{n}: {t} (want {OFFICE_TYPES[n]})" for n, t in zip(names, said)
             if t != OFFICE_TYPES[n]]
    if len(said) != len(names) or wrong:
        sys.exit("gen_safecopy.py: libmagic types: " + ("; ".join(wrong) or " ".join(said)))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_safecopy.py OUTDIR")
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    dicom, tail = polyglot()
    files = {
        "hostile.pdf": hostile_pdf(), "many-pages.pdf": text_pdf(31, "Compte rendu"),
        "malformed.pdf": malformed_pdf(), "gps.jpg": gps_jpeg(), "text.png": text_png(),
        "comment.gif": comment_gif(), "exif.webp": exif_webp(), "scan.tiff": described_tiff(),
        "polyglot.dcm": dicom, "polyglot.tail": tail,
    }
    files.update(office_documents())
    files.update(more_office_documents())
    for name, data in files.items():
        (out / name).write_bytes(data)
    heif_enc = shutil.which("heif-enc")
    if heif_enc is None:
        sys.exit("gen_safecopy.py: heif-enc not found (apt-get install libheif-examples)")
    subprocess.run([heif_enc, "-q", "80", "-o", str(out / "gps.heic"), str(out / "gps.jpg")],
                   check=True, stdout=subprocess.DEVNULL)
    check_office_types(out)


if __name__ == "__main__":
    main()
