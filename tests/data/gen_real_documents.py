#!/usr/bin/python3
"""
gen_real_documents.py - clean documents written by other projects' writers
(Debian packages), packed into archives and mailed as a mail client would,
for tests/check_real_documents.py (issue 15: no clean document quarantined
from a known sender).

Usage: /usr/bin/python3 gen_real_documents.py OUTDIR

Must run under Debian's /usr/bin/python3: the python3-* writer modules are
importable from it only. Writes:
  OUTDIR/files/NAME     each document, as its writer made it
  OUTDIR/mail/NAME.eml  one mail per document and per archive, the file as a
                        base64 attachment (Content-Disposition: attachment;
                        filename=NAME) built with the email package
  OUTDIR/real.json      {"mails": {EML: {"file": NAME, "kind": "document" |
                        "archive", "writer": WHO, "item": the attachment's
                        name as airlockctl shows it (the PDF inside a
                        forwarded .eml), "size": its bytes}}, "missing": [{"what":
                        NAME, "package": DEBIAN PACKAGE, "error": TEXT}]}
A writer that is not installed, or that fails, is listed in "missing" with
the Debian package to install: the checker reports it as a failure, never
as a skip. Generation is deterministic where the writers allow it (fixed
dates, seeds, file times, archive member order and owners, SOURCE_DATE_EPOCH
for the tools that read it; sox -R). Not byte-stable from run to run: the
ZIP member times python-docx, openpyxl and odfpy write, Gnumeric's and
cairo's creation dates, Ghostscript's TIFF DateTime, and so the archives
holding them (faketime breaks Python's subprocess waits, so it is not used).

Not written here, and why: RTF (no small Debian writer; pandoc and
LibreOffice are hundreds of megabytes); RAR (no free writer).
"""

import datetime
import email
import io
import json
import os
import shutil
import subprocess
import sys
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import real_documents_text as texts  # noqa: E402
import real_documents_tools as tools  # noqa: E402

FIXED = datetime.datetime(2024, 3, 14, 9, 26, 53)
FIXED_EPOCH = 1710408413  # FIXED as UTC seconds
SENDER = "Cabinet Partenaire <secretariat@partner.example>"
RECIPIENT = "Dr Martin <martin@practice.example>"


class MissingWriter(Exception):
    def __init__(self, package, error):
        super().__init__("%s (%s)" % (package, error))
        self.package = package
        self.error = error


def need_module(name, package):
    try:
        return __import__(name, fromlist=["_"])
    except ImportError as e:
        raise MissingWriter(package, "cannot import %s: %s" % (name, e)) from e


def run_tool(argv, package, cwd=None, stdin=None, env_extra=None):
    if shutil.which(argv[0]) is None:
        raise MissingWriter(package, "%s not found" % argv[0])
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(FIXED_EPOCH), TZ="UTC", **(env_extra or {}))
    r = subprocess.run(argv, cwd=cwd, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=120)
    if r.returncode != 0:
        raise MissingWriter(package, "%s exited %d: %s" % (
            " ".join(argv), r.returncode, r.stderr.decode("utf-8", "replace")[-400:]))
    return r.stdout


# ------------------------------------------------------------ images (PIL)

def pil_picture(size=(96, 64)):
    image_mod = need_module("PIL.Image", "python3-pil")
    draw_mod = need_module("PIL.ImageDraw", "python3-pil")
    img = image_mod.new("RGB", size, (245, 245, 240))
    draw = draw_mod.Draw(img)
    draw.rectangle([4, 4, size[0] - 5, size[1] - 5], outline=(20, 60, 140), width=3)
    draw.ellipse([size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2 + 8], fill=(200, 40, 40))
    draw.line([0, size[1] - 1, size[0] - 1, 0], fill=(0, 120, 0), width=2)
    return img


def pil_save(img, fmt, **options):
    buf = io.BytesIO()
    img.save(buf, fmt, **options)
    return buf.getvalue()


def write_images():
    img = pil_picture()
    image_mod = need_module("PIL.Image", "python3-pil")
    exif = image_mod.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "Canon EOS 80D"  # Model
    exif[0x0132] = FIXED.strftime("%Y:%m:%d %H:%M:%S")  # DateTime
    exif[0x013B] = "Cabinet de radiologie"  # Artist
    frames = [pil_picture((48, 48)).rotate(angle) for angle in (0, 90, 180)]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    return {
        "radio-thorax.png": pil_save(img, "PNG", optimize=True),
        "photo-plaie.jpg": pil_save(img, "JPEG", quality=85, exif=exif.tobytes()),
        "animation.gif": gif.getvalue(),
        "scan-courrier.tif": pil_save(img, "TIFF", compression="tiff_lzw"),
        "schema.bmp": pil_save(img, "BMP"),
        "photo.webp": pil_save(img, "WEBP", quality=80),
        "favicon.ico": pil_save(pil_picture((32, 32)), "ICO", sizes=[(16, 16), (32, 32)]),
        "photo-progressive.jpeg": pil_save(img, "JPEG", progressive=True, optimize=True),
        "scan-pillow.pdf": pil_save(img, "PDF", resolution=72.0, title="Scan",
                                    creationDate=FIXED.timetuple(),
                                    modDate=FIXED.timetuple()),
        "echo.jp2": pil_save(img, "JPEG2000"),
    }


# ------------------------------------------------------------ Office writers

def write_docx():
    docx = need_module("docx", "python3-docx")
    shared = need_module("docx.shared", "python3-docx")
    doc = docx.Document()
    props = doc.core_properties
    props.author, props.title = "Secrétariat", "Compte rendu de consultation"
    props.created = props.modified = props.last_printed = FIXED
    section = doc.sections[0]
    section.header.paragraphs[0].text = "Cabinet médical du Parc - 12 rue des Lilas, 75011 Paris"
    section.footer.paragraphs[0].text = "Document confidentiel - page 1"
    doc.add_heading("Compte rendu de consultation", level=1)
    doc.add_paragraph(texts.LETTER)
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, ("Analyse", "Résultat", "Unité")):
        cell.text = title
    for row in texts.LAB_ROWS[:5]:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = row[1], row[2], row[3]
    doc.add_picture(io.BytesIO(pil_save(pil_picture(), "PNG")), width=shared.Cm(4))
    doc.add_paragraph("Bien confraternellement,\nDr Martin")
    buf = io.BytesIO()
    doc.save(buf)
    return {"compte-rendu.docx": buf.getvalue()}


def write_openpyxl():
    openpyxl = need_module("openpyxl", "python3-openpyxl")
    chart_mod = need_module("openpyxl.chart", "python3-openpyxl")
    wb = openpyxl.Workbook()
    wb.properties.creator = "Laboratoire"
    wb.properties.created = wb.properties.modified = FIXED
    ws = wb.active
    ws.title = "Glycémie"
    ws.append(["Date", "Glycémie (g/L)", "Écart"])
    for day, value in enumerate((0.92, 1.05, 1.31, 0.88, 0.97, 1.12), start=1):
        ws.append([datetime.date(2024, 3, day), value, "=B%d-1" % (day + 1)])
    ws["D1"], ws["D2"] = "Moyenne", "=AVERAGE(B2:B7)"
    ws["D3"] = "=IF(MAX(B2:B7)>1.26,\"à revoir\",\"normal\")"
    chart = chart_mod.BarChart()
    chart.title = "Glycémie à jeun"
    chart.add_data(chart_mod.Reference(ws, min_col=2, min_row=1, max_row=7), titles_from_data=True)
    ws.add_chart(chart, "F2")
    buf = io.BytesIO()
    wb.save(buf)
    return {"glycemie.xlsx": buf.getvalue()}


def write_xlsxwriter():
    xlsxwriter = need_module("xlsxwriter", "python3-xlsxwriter")
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"title": "Activité", "author": "Comptabilité", "created": FIXED})
    ws = wb.add_worksheet("Activité")
    money = wb.add_format({"num_format": "#,##0.00 €"})
    ws.write_row(0, 0, ["Mois", "Consultations", "Recettes"])
    for i, (month, count) in enumerate((("Janvier", 412), ("Février", 388), ("Mars", 450))):
        ws.write_row(i + 1, 0, [month, count])
        ws.write_formula(i + 1, 2, "=B%d*26.5" % (i + 2), money)
    ws.write_formula(4, 2, "=SUM(C2:C4)", money)
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "Consultations", "categories": "='Activité'!$A$2:$A$4",
                      "values": "='Activité'!$B$2:$B$4"})
    ws.insert_chart("E2", chart)
    ws.insert_image("E18", "logo.png", {"image_data": io.BytesIO(pil_save(pil_picture(), "PNG"))})
    wb.close()
    return {"activite-trimestre.xlsx": buf.getvalue()}


def write_xlwt():
    xlwt = need_module("xlwt", "python3-xlwt")
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Résultats")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    bold = xlwt.easyxf("font: bold on")
    for col, title in enumerate(("Patient", "Date", "Créatinine", "DFG")):
        ws.write(0, col, title, bold)
    for row, (name, day, creat) in enumerate((("Dupont", 4, 78.5), ("Lefèvre", 5, 102.0),
                                              ("N'Guyen", 6, -1.0)), start=1):
        ws.write(row, 0, name)
        ws.write(row, 1, datetime.date(2024, 3, day), date_style)
        ws.write(row, 2, creat)
        ws.write(row, 3, xlwt.Formula("ROUND(175*(C%d/88.4)^-1.154;1)" % (row + 1)))
    ws.write(5, 2, xlwt.Formula("AVERAGE(C2:C4)"))
    buf = io.BytesIO()
    wb.save(buf)
    return {"resultats-1997.xls": buf.getvalue()}


def write_odf():
    need_module("odf", "python3-odf")
    from odf import opendocument, text, table, meta, dc  # noqa: E402 (after the check)
    odt = opendocument.OpenDocumentText()
    odt.meta.addElement(dc.Title(text="Lettre d'adressage"))
    odt.meta.addElement(meta.CreationDate(text=FIXED.isoformat()))
    odt.meta.addElement(dc.Date(text=FIXED.isoformat()))
    odt.text.addElement(text.H(outlinelevel=1, text="Lettre d'adressage"))
    for paragraph in texts.LETTER.split("\n"):
        odt.text.addElement(text.P(text=paragraph))
    ods = opendocument.OpenDocumentSpreadsheet()
    ods.meta.addElement(meta.CreationDate(text=FIXED.isoformat()))
    sheet = table.Table(name="Stock")
    for label, count, price in (("Compresses", 120, 0.35), ("Gants", 400, 0.08),
                                ("Seringues", 75, 0.21)):
        tr = table.TableRow()
        tr.addElement(table.TableCell(valuetype="string", stringvalue=label))
        tr.addElement(table.TableCell(valuetype="float", value=count))
        tr.addElement(table.TableCell(valuetype="float", value=price))
        tr.addElement(table.TableCell(formula="of:=[.B%d]*[.C%d]" % (len(sheet.childNodes) + 1,
                                                                    len(sheet.childNodes) + 1),
                                      valuetype="float"))
        sheet.addElement(tr)
    ods.spreadsheet.addElement(sheet)
    out = {}
    for name, doc in (("lettre-adressage.odt", odt), ("stock.ods", ods)):
        buf = io.BytesIO()
        doc.write(buf)
        out[name] = buf.getvalue()
    return out


# ------------------------------------------------------------ PDF writers

def write_reportlab():
    need_module("reportlab", "python3-reportlab")
    from reportlab.pdfgen import canvas  # noqa: E402
    from reportlab.lib.pagesizes import A4  # noqa: E402
    from reportlab.lib.utils import ImageReader  # noqa: E402
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle("Ordonnance")
    c.setAuthor("Dr Martin")
    c.setFont("Helvetica-Bold", 16)
    c.drawString(72, 780, "Ordonnance")
    c.setFont("Helvetica", 11)
    y = 750
    for line in texts.LETTER.split("\n"):
        c.drawString(72, y, line)
        y -= 16
    c.drawImage(ImageReader(io.BytesIO(pil_save(pil_picture(), "PNG"))), 72, 520, 96, 64)
    c.drawString(72, 490, "Prendre rendez-vous : https://www.example.org/rendez-vous")
    c.linkURL("https://www.example.org/rendez-vous", (72, 485, 400, 502), relative=0)
    c.drawString(72, 470, "Notice : https://example.org/notice.html")
    c.linkURL("https://example.org/notice.html", (72, 465, 300, 482), relative=0)
    c.drawString(72, 440, "Nom du patient :")
    c.acroForm.textfield(name="patient", tooltip="Nom du patient", x=180, y=432, width=200,
                         height=20, value="")
    c.acroForm.checkbox(name="a_jeun", x=72, y=400, size=14, checked=False)
    c.drawString(92, 403, "À jeun")
    c.showPage()
    c.save()
    return {"ordonnance.pdf": buf.getvalue()}


def write_ghostscript(workdir):
    ps = workdir / "courrier.ps"
    ps.write_text(texts.POSTSCRIPT, encoding="ascii")
    pdf, pdfa = workdir / "courrier.pdf", workdir / "courrier-pdfa.pdf"
    run_tool(["ps2pdf", str(ps), str(pdf)], "ghostscript")
    run_tool(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-dPDFA=2",
              "-dPDFACompatibilityPolicy=1", "-sColorConversionStrategy=RGB",
              "-sDEVICE=pdfwrite", "-sOutputFile=%s" % pdfa, str(ps)], "ghostscript")
    return {"courrier.ps": ps.read_bytes(), "courrier.pdf": pdf.read_bytes(),
            "courrier-pdfa.pdf": pdfa.read_bytes()}


def write_icalendar():
    icalendar = need_module("icalendar", "python3-icalendar")
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Cabinet du Parc//Agenda//FR")
    cal.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", "rdv-20240321-1400@partner.example")
    event.add("dtstamp", FIXED)
    event.add("dtstart", datetime.datetime(2024, 3, 21, 14, 0))
    event.add("dtend", datetime.datetime(2024, 3, 21, 14, 30))
    event.add("summary", "Rendez-vous : échographie")
    event.add("location", "Centre d'imagerie, 3 place de la Gare")
    cal.add_component(event)
    return {"rendez-vous.ics": cal.to_ical()}


def write_vobject():
    vobject = need_module("vobject", "python3-vobject")
    card = vobject.vCard()
    card.add("n").value = vobject.vcard.Name(family="Leroy", given="Paul")
    card.add("fn").value = "Paul Leroy"
    card.add("org").value = ["Laboratoire Bio"]
    card.add("tel").value = "+33 4 56 78 90 12"
    card.add("email").value = "p.leroy@lab.example"
    return {"paul-leroy.vcf": card.serialize().encode("utf-8")}


def write_pypdf(documents):
    pypdf = need_module("pypdf", "python3-pypdf")
    writer = pypdf.PdfWriter()
    for name in ("ordonnance.pdf", "courrier.pdf"):
        for page in pypdf.PdfReader(io.BytesIO(documents[name])).pages:
            writer.add_page(page)
    writer.add_metadata({"/Title": "Dossier", "/Producer": "pypdf"})
    writer.add_outline_item("Ordonnance", 0)
    buf = io.BytesIO()
    writer.write(buf)
    return {"dossier-pypdf.pdf": buf.getvalue()}


# ------------------------------------------------------------ DICOM, audio

def write_dicom():
    pydicom = need_module("pydicom", "python3-pydicom")
    from pydicom.dataset import FileDataset, FileMetaDataset  # noqa: E402
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage  # noqa: E402
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.1001"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.1002"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.1003"
    ds.PatientName, ds.PatientID, ds.Modality = "DUPONT^JEAN", "123456", "OT"
    ds.StudyDate, ds.StudyTime = FIXED.strftime("%Y%m%d"), FIXED.strftime("%H%M%S")
    ds.Rows, ds.Columns = 8, 8
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = bytes((x * 4 + y * 28) % 256 for y in range(8) for x in range(8))
    ds.is_little_endian, ds.is_implicit_VR = True, False
    buf = io.BytesIO()
    pydicom.dcmwrite(buf, ds, write_like_original=False)
    return {"irm-genou.dcm": buf.getvalue()}


def write_audio(workdir, kind):
    """One second of a 440 Hz tone: WAV by sox, then MP3 by lame and Ogg
    Vorbis by oggenc from that WAV."""
    wav = workdir / "message.wav"
    if not wav.is_file():
        run_tool(["sox", "-R", "-n", "-r", "8000", "-c", "1", "-b", "16", str(wav), "synth", "1",
                  "sine", "440"], "sox")
    if kind == "wav":
        return {"message.wav": wav.read_bytes()}
    out = workdir / ("message." + kind)
    if kind == "mp3":
        run_tool(["lame", "--quiet", "-b", "32", str(wav), str(out)], "lame")
    else:
        run_tool(["oggenc", "--quiet", "--serial", "1234", "-o", str(out), str(wav)],
                 "vorbis-tools")
    return {out.name: out.read_bytes()}


# ------------------------------------------------------------ mails

def forwarded_mail(pdf):
    inner = EmailMessage(policy=SMTP)
    inner["From"] = "Laboratoire Bio <resultats@lab.example>"
    inner["To"] = SENDER
    inner["Subject"] = "Résultats d'analyses"
    inner["Date"] = "Thu, 14 Mar 2024 08:12:00 +0100"
    inner["Message-ID"] = "<resultats-0314@lab.example>"
    inner.set_content("Bonjour,\n\nVeuillez trouver les résultats ci-joints.\n")
    inner.add_attachment(pdf, maintype="application", subtype="pdf", filename="resultats.pdf")
    inner.set_boundary("lab-results-boundary-0314")
    return inner.as_bytes()


def mail_file(name, data, index):
    msg = EmailMessage(policy=SMTP)
    msg["From"] = SENDER
    msg["To"] = RECIPIENT
    msg["Subject"] = "Document : %s" % name
    msg["Date"] = "Thu, 14 Mar 2024 10:%02d:00 +0100" % (index % 60)
    msg["Message-ID"] = "<real-%03d@partner.example>" % index
    msg.set_content("Bonjour,\n\nVeuillez trouver ci-joint %s.\n\nCordialement,\n" % name)
    if name.endswith(".eml"):
        inner = email.message_from_bytes(data, policy=SMTP)
        msg.add_attachment(inner, filename=name, disposition="attachment")
    else:
        maintype, subtype = texts.mime_type(name).split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    msg.set_boundary("real-document-boundary-%03d" % index)
    return msg.as_bytes()


# ------------------------------------------------------------ archives

ARCHIVE_MEMBERS = ["resultats-1997.xls", "compte-rendu.docx", "ordonnance.pdf", "photo-plaie.jpg",
                   "bilan-biologique.csv", "lettre-adressage.odt", "glycemie.xlsx",
                   "irm-genou.dcm", "oru-r01.hl7", "stock.ods", "courrier.pdf"]


def write_archives(files_dir, workdir):
    """Packs a mix of the documents (the Excel 97 file in each) with zip(1),
    tar, 7z and zstd. Members get one fixed time, owner and order."""
    stage = workdir / "dossier-patient"
    stage.mkdir()
    members = [m for m in ARCHIVE_MEMBERS if (files_dir / m).is_file()]
    for name in members:
        shutil.copyfile(files_dir / name, stage / name)
        os.utime(stage / name, (FIXED_EPOCH, FIXED_EPOCH))
    os.utime(stage, (FIXED_EPOCH, FIXED_EPOCH))
    tar_common = ["tar", "--sort=name", "--mtime=@%d" % FIXED_EPOCH, "--owner=0",
                  "--group=0", "--numeric-owner", "-C", str(workdir)]
    out = {}
    jobs = [
        ("dossier-patient.zip", ["zip", "-q", "-X", "-r"], "zip"),
        ("dossier-patient.tar.gz", tar_common + ["-czf"], "tar"),
        ("dossier-patient.tgz", tar_common + ["-czf"], "tar"),
        ("dossier-patient.tar.xz", tar_common + ["-cJf"], "xz-utils"),
        ("dossier-patient.tar.zst", tar_common + ["--zstd", "-cf"], "zstd"),
        ("dossier-patient.7z", ["7z", "a", "-bd", "-bso0", "-mtm=off"], "p7zip-full"),
        ("resultats-1997.zip", ["zip", "-q", "-X", "-j"], "zip"),
    ]
    for archive, argv, package in jobs:
        target = workdir / archive
        what = ["dossier-patient"] if archive.startswith("dossier") else \
            ["dossier-patient/resultats-1997.xls"]
        try:
            if argv[0] == "tar":
                run_tool(argv + [str(target)] + what, package)
            else:
                run_tool(argv + [str(target)] + what, package, cwd=str(workdir))
            out[archive] = target.read_bytes()
        except MissingWriter as e:
            out[archive] = e
    return out


# ------------------------------------------------------------ main

WRITERS = [
    ("PIL images", "python3-pil", lambda w: write_images()),
    ("python-docx", "python3-docx", lambda w: write_docx()),
    ("openpyxl", "python3-openpyxl", lambda w: write_openpyxl()),
    ("XlsxWriter", "python3-xlsxwriter", lambda w: write_xlsxwriter()),
    ("xlwt", "python3-xlwt", lambda w: write_xlwt()),
    ("odfpy", "python3-odf", lambda w: write_odf()),
    ("ReportLab", "python3-reportlab", lambda w: write_reportlab()),
    ("Ghostscript", "ghostscript", write_ghostscript),
    ("pydicom", "python3-pydicom", lambda w: write_dicom()),
    ("sox", "sox", lambda w: write_audio(w, "wav")),
    ("lame", "lame", lambda w: write_audio(w, "mp3")),
    ("oggenc", "vorbis-tools", lambda w: write_audio(w, "ogg")),
    ("plain text", "python3", lambda w: texts.plain_files()),
    ("icalendar", "python3-icalendar", lambda w: write_icalendar()),
    ("vobject", "python3-vobject", lambda w: write_vobject()),
    ("Gnumeric ssconvert", "gnumeric", lambda w: tools.ssconvert(w, run_tool)),
    ("Ghostscript devices", "ghostscript", lambda w: tools.ghostscript_raster(w, run_tool)),
]

# Writers that rewrite documents written above: (writer, package, build(workdir, documents)).
REWRITERS = [
    ("pypdf", "python3-pypdf", lambda w, d: write_pypdf(d)),
    ("poppler pdftocairo", "poppler-utils", lambda w, d: tools.poppler(w, run_tool, d)),
    ("librsvg rsvg-convert", "librsvg2-bin", lambda w, d: tools.rsvg(w, run_tool, d)),
    ("qpdf", "qpdf", lambda w, d: tools.qpdf(w, run_tool, d)),
    ("libtiff tiffcp", "libtiff-tools", lambda w, d: tools.tiff_multipage(w, run_tool, d)),
    ("flac, sox", "flac", lambda w, d: tools.audio_more(w, run_tool, d)),
]


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: /usr/bin/python3 gen_real_documents.py OUTDIR\n")
        return 2
    outdir = Path(argv[1]).resolve()
    if outdir.exists():
        shutil.rmtree(outdir)
    files_dir, mail_dir, workdir = outdir / "files", outdir / "mail", outdir / "work"
    for d in (files_dir, mail_dir, workdir):
        d.mkdir(parents=True)
    documents, missing = [], []
    for writer, package, build in WRITERS + REWRITERS:
        scratch = workdir / "audio" if writer in ("sox", "lame", "oggenc") else workdir / package
        scratch.mkdir(exist_ok=True)
        try:
            if (writer, package, build) in REWRITERS:
                made = build(scratch, {name: data for name, data, _, _ in documents})
            else:
                made = build(scratch)
        except KeyError as e:
            missing.append({"what": writer, "package": package,
                            "error": "needs %s, which was not written" % e})
            continue
        except MissingWriter as e:
            missing.append({"what": writer, "package": e.package, "error": e.error})
            continue
        except Exception as e:  # a writer's own failure: reported, the others still run
            missing.append({"what": writer, "package": package,
                            "error": "%s: %s" % (type(e).__name__, e)})
            continue
        for name, data in made.items():
            (files_dir / name).write_bytes(data)
            documents.append((name, data, writer, "document"))
    pdf = files_dir / "ordonnance.pdf"
    if pdf.is_file():
        fwd = forwarded_mail(pdf.read_bytes())
        (files_dir / "TR resultats.eml").write_bytes(fwd)
        documents.append(("TR resultats.eml", fwd, "email package", "document"))
    for name, data in write_archives(files_dir, workdir).items():
        if isinstance(data, MissingWriter):
            missing.append({"what": name, "package": data.package, "error": data.error})
            continue
        (files_dir / name).write_bytes(data)
        documents.append((name, data, "archiver", "archive"))
    mails = {}
    for index, (name, data, writer, kind) in enumerate(documents, start=1):
        eml = "%03d-%s.eml" % (index, name.replace(" ", "_"))
        (mail_dir / eml).write_bytes(mail_file(name, data, index))
        mails[eml] = {"file": name, "kind": kind, "writer": writer, "item": name,
                      "size": len(data)}
        if name.endswith(".eml"):  # judged inside: its attachment is the item
            mails[eml].update(item="resultats.pdf", size=pdf.stat().st_size)
    shutil.rmtree(workdir)
    (outdir / "real.json").write_text(json.dumps({"mails": mails, "missing": missing},
                                                 indent=1, sort_keys=True) + "\n")
    print("gen_real_documents.py: %d mails, %d writers missing, in %s"
          % (len(mails), len(missing), outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
