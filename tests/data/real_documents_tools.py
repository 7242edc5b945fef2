"""
real_documents_tools.py - the documents of gen_real_documents.py written by
command-line programs of other projects: Gnumeric's ssconvert (Excel 97,
OOXML and ODF spreadsheets), poppler's pdftocairo and pdfunite, librsvg's
rsvg-convert, qpdf, Ghostscript's raster and EPS devices, libtiff's tiffcp,
sox and flac. Each function takes a scratch directory and the documents
written so far ({name: bytes}) and returns {name: bytes}; a program that is
missing or fails raises gen_real_documents.MissingWriter through run_tool.
"""

import real_documents_text as texts


def ssconvert(workdir, run_tool):
    """One CSV of lab values turned into the three spreadsheet formats by
    Gnumeric, as a lab's export would."""
    src = workdir / "bilan.csv"
    src.write_bytes(texts.csv_lab_values().replace(b";", b","))
    out = {}
    for name, exporter in (("bilan-gnumeric.xls", "Gnumeric_Excel:excel_biff8"),
                           ("bilan-gnumeric.xlsx", "Gnumeric_Excel:xlsx2"),
                           ("bilan-gnumeric.ods", "Gnumeric_OpenCalc:odf")):
        target = workdir / name
        run_tool(["ssconvert", "--export-type=%s" % exporter, str(src), str(target)],
                 "gnumeric", env_extra={"HOME": str(workdir)})
        out[name] = target.read_bytes()
    return out


def poppler(workdir, run_tool, documents):
    """Cairo's PDF, SVG and EPS output of a ReportLab PDF, and two PDFs
    merged by pdfunite."""
    src, other = workdir / "in.pdf", workdir / "other.pdf"
    src.write_bytes(documents["ordonnance.pdf"])
    other.write_bytes(documents["courrier.pdf"])
    out = {}
    for name, flag in (("ordonnance-cairo.pdf", "-pdf"), ("ordonnance-cairo.svg", "-svg"),
                       ("ordonnance.eps", "-eps")):
        target = workdir / name
        run_tool(["pdftocairo", flag, str(src), str(target)], "poppler-utils")
        out[name] = target.read_bytes()
    merged = workdir / "dossier-complet.pdf"
    run_tool(["pdfunite", str(src), str(other), str(merged)], "poppler-utils")
    out[merged.name] = merged.read_bytes()
    return out


def rsvg(workdir, run_tool, documents):
    src = workdir / "logo.svg"
    src.write_bytes(documents["logo-cabinet.svg"])
    out = {}
    for name, fmt in (("logo-rsvg.png", "png"), ("logo-rsvg.pdf", "pdf")):
        target = workdir / name
        run_tool(["rsvg-convert", "-f", fmt, "-o", str(target), str(src)], "librsvg2-bin")
        out[name] = target.read_bytes()
    return out


def qpdf(workdir, run_tool, documents):
    """The ReportLab PDF rewritten with object streams and linearized (as
    "fast web view" PDFs are)."""
    src, target = workdir / "in.pdf", workdir / "ordonnance-web.pdf"
    src.write_bytes(documents["ordonnance.pdf"])
    run_tool(["qpdf", "--deterministic-id", "--object-streams=generate", "--linearize",
              str(src), str(target)], "qpdf")
    return {target.name: target.read_bytes()}


def ghostscript_raster(workdir, run_tool):
    """A fax-like G4 TIFF, a JPEG and a PNG from Ghostscript, and an EPS."""
    src = workdir / "courrier.ps"
    src.write_text(texts.POSTSCRIPT, encoding="ascii")
    out = {}
    for name, device in (("fax-courrier.tif", "tiffg4"), ("courrier-gs.jpg", "jpeg"),
                         ("courrier-gs.png", "png16m"), ("courrier-gs.eps", "eps2write")):
        target = workdir / name
        run_tool(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-r72", "-sDEVICE=" + device,
                  "-sOutputFile=%s" % target, str(src)], "ghostscript")
        out[name] = target.read_bytes()
    return out


def tiff_multipage(workdir, run_tool, documents):
    """Two pages joined by tiffcp, as a scanner's multi-page TIFF."""
    first, second = workdir / "p1.tif", workdir / "p2.tif"
    first.write_bytes(documents["scan-courrier.tif"])
    second.write_bytes(documents["fax-courrier.tif"])
    target = workdir / "scan-2-pages.tiff"
    run_tool(["tiffcp", str(first), str(second), str(target)], "libtiff-tools")
    return {target.name: target.read_bytes()}


def audio_more(workdir, run_tool, documents):
    wav = workdir / "in.wav"
    wav.write_bytes(documents["message.wav"])
    flac, aiff = workdir / "message.flac", workdir / "dictee.aiff"
    run_tool(["flac", "--silent", "-f", "-o", str(flac), str(wav)], "flac")
    run_tool(["sox", "-R", str(wav), str(aiff)], "sox")
    return {flac.name: flac.read_bytes(), aiff.name: aiff.read_bytes()}
