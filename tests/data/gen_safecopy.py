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
Deterministic: fixed seeds, no dates in the PDFs.
"""

import io
import shutil
import struct
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from PIL import Image, ImageDraw  # noqa: E402
from pypdf import PdfReader, PdfWriter  # noqa: E402
from pypdf.generic import (ArrayObject, DictionaryObject, FloatObject,  # noqa: E402
                           NameObject, NumberObject, TextStringObject)
from reportlab.pdfgen import canvas  # noqa: E402

GPS_IFD = 0x8825


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
    for name, data in files.items():
        (out / name).write_bytes(data)
    heif_enc = shutil.which("heif-enc")
    if heif_enc is None:
        sys.exit("gen_safecopy.py: heif-enc not found (apt-get install libheif-examples)")
    subprocess.run([heif_enc, "-q", "80", "-o", str(out / "gps.heic"), str(out / "gps.jpg")],
                   check=True, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
