#!/usr/bin/python3
"""
test_helper.py - airlock-safecopy on the inputs of tests/data/gen_safecopy.py,
and the proof that each limit of its confinement holds (issue 17).

Usage: /usr/bin/python3 test_helper.py BUILD_DIR

Runs the helper as the library does (input on a pipe, copy on a pipe) and
checks what a user would see in the copy:
  - the hostile PDF: same page count, no JavaScript, OpenAction, embedded
    file, annotation, form or font anywhere (pypdf walks every object,
    qpdf --check passes), and page 1 rendered by pdftoppm from both files
    equal within a tolerance;
  - past max_pages and a malformed PDF: the exit status says why, nothing
    on stdout;
  - JPEG without EXIF/GPS or comment, PNG without text chunk or ICC, GIF
    without comment, WebP without EXIF, TIFF without description, HEIC
    without EXIF (pixels compared through heif-convert), each of the same
    size and pixels (within a tolerance for lossy formats);
  - the DICOM/PE polyglot: preamble zeroed, the data elements identical
    (pydicom), the PE appended after the data set gone;
  - Office documents (--kind office, LibreOffice): a .docm and a Word 97
    .doc with VBA macros, a plain .docx, an .xlsx, a .pptx, an .xls, a
    .ppt, an .odt, an .ods, an .odp and an .rtf, each of the type libmagic (`file
    --mime-type`) gives and the milter sends to --kind office, give
    LibreOffice's PDF (with the document's known text), which --kind pdf
    renders to pages of one image each, no text and no active object; a
    .docx LibreOffice cannot read gives
    exit 4 and nothing on stdout; a conversion cut by --max-seconds 2
    leaves no LibreOffice process and no private directory behind;
  - --self-test: opening a file for writing is refused (and no file
    appears), reading outside Landlock's rules is refused (when the kernel
    has Landlock), no network interface but loopback is seen (the test
    runs as root: the namespace is always possible), socket/connect and
    execve kill the process (SIGSYS), an
    allocation past --max-memory-mb fails (not under ASan, said so), a
    busy loop is killed by the CPU limit or the alarm of --max-seconds.
Prints "ok ..." / "FAIL ..." per check, then "N passed, M failed".
"""

import io
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops, ImageStat
import pydicom
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject, ArrayObject

HERE = Path(__file__).resolve().parent
GENERATOR = HERE.parent / "data" / "gen_safecopy.py"
RESULTS = {"passed": 0, "failed": 0}
FORBIDDEN_KEYS = {"/JavaScript", "/JS", "/OpenAction", "/EmbeddedFiles", "/EmbeddedFile",
                  "/Annots", "/AcroForm", "/Font", "/URI", "/Launch", "/AA", "/Names"}


def check(ok, what, detail=""):
    RESULTS["passed" if ok else "failed"] += 1
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else f": {detail}"), flush=True)


def run(helper, args, data=b"", cwd=None, timeout=120):
    proc = subprocess.run([str(helper)] + args, input=data, capture_output=True,
                          timeout=timeout, cwd=cwd)
    return proc.returncode, proc.stdout, proc.stderr.decode(errors="replace").strip()


def pdf_keys(data):
    """Every dictionary key reachable in the PDF, from every object."""
    reader = PdfReader(io.BytesIO(data))
    keys, seen, todo = set(), set(), [reader.trailer]
    while todo:
        obj = todo.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            keys.update(obj.keys())
            todo.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            todo.extend(obj)
    return reader, keys


def render(pdf_bytes, tmp, name):
    path = Path(tmp) / f"{name}.pdf"
    path.write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-f", "1", "-l", "1", "-png", str(path),
                    str(Path(tmp) / name)], check=True)
    return Image.open(next(Path(tmp).glob(f"{name}-*1.png"))).convert("L")


def mean_difference(a, b, block=1):
    if a.size != b.size:
        return 255.0
    if block > 1:
        size = (a.size[0] // block, a.size[1] // block)
        a, b = a.resize(size, Image.BOX), b.resize(size, Image.BOX)
    return ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean[0]


def test_pdf(helper, gen, tmp):
    original = (gen / "hostile.pdf").read_bytes()
    _, original_keys = pdf_keys(original)
    check({"/OpenAction", "/EmbeddedFiles", "/JS"} <= original_keys,
          "the hostile PDF has an OpenAction, JavaScript and an embedded file", original_keys)
    rc, copy, err = run(helper, ["--kind", "pdf", "--dpi", "150"], original)
    check(rc == 0 and copy.startswith(b"%PDF-"), "hostile.pdf gives a copy", f"rc={rc} {err}")
    if rc != 0:
        return
    reader, keys = pdf_keys(copy)
    check(len(reader.pages) == 2, "the copy has the same 2 pages", len(reader.pages))
    check(not keys & FORBIDDEN_KEYS, "no active object, annotation, form or font in the copy",
          keys & FORBIDDEN_KEYS)
    images = [len(p["/Resources"].get("/XObject", {})) for p in reader.pages]
    check(images == [1, 1], "each page of the copy is one image", images)
    texts = [p.extract_text().strip() for p in reader.pages]
    check(texts == ["", ""], "no text in the copy", texts)
    (Path(tmp) / "check.pdf").write_bytes(copy)
    qpdf = subprocess.run(["qpdf", "--check", str(Path(tmp) / "check.pdf")], capture_output=True)
    check(qpdf.returncode == 0, "qpdf --check accepts the copy", qpdf.stdout[-300:])
    # Both rendered at the copy's 150 dpi, compared in 8x8 blocks: what a
    # reader sees, not where each renderer puts its anti-aliased edges.
    before, after = render(original, tmp, "orig"), render(copy, tmp, "copy")
    blank = Image.new("L", before.size, 255)
    diff, text = mean_difference(before, after, 8), mean_difference(before, blank, 8)
    check(diff < 3.0 and text > 3 * diff,
          f"page 1 of the copy looks like the original (mean difference {diff:.2f}, "
          f"{text:.2f} to a blank page)", diff)


def test_pdf_refused(helper, gen):
    for name, args, status in (("many-pages.pdf", [], 5), ("malformed.pdf", [], 4),
                               ("many-pages.pdf", ["--max-pages", "31"], 0)):
        rc, copy, err = run(helper, ["--kind", "pdf"] + args, (gen / name).read_bytes())
        want_copy = status == 0
        check(rc == status and bool(copy) == want_copy,
              f"{name} {' '.join(args)}: exit {status}, {'a' if want_copy else 'no'} copy",
              f"rc={rc} {len(copy)} bytes {err}")


def image_metadata(img):
    found = {k: v for k, v in img.info.items() if k in ("exif", "comment", "icc_profile", "xmp")}
    found.update({k: v for k, v in img.info.items() if k in ("Comment",)})
    if img.format != "TIFF" and img.getexif():
        found["exif-ifd"] = dict(img.getexif())
    if img.format == "TIFF" and 270 in img.tag_v2:
        found["description"] = img.tag_v2[270]
    return found


def test_images(helper, gen):
    cases = (("gps.jpg", "jpeg", "JPEG", 12.0), ("text.png", "png", "PNG", 0.0),
             ("comment.gif", "gif", "GIF", 0.0), ("exif.webp", "webp", "WEBP", 12.0),
             ("scan.tiff", "tiff", "TIFF", 0.0))
    for name, kind, fmt, tolerance in cases:
        data = (gen / name).read_bytes()
        before = Image.open(io.BytesIO(data))
        check(bool(image_metadata(before)), f"{name} carries metadata", "")
        rc, copy, err = run(helper, ["--kind", kind], data)
        check(rc == 0 and copy, f"{name} gives a copy", f"rc={rc} {err}")
        if rc != 0:
            continue
        after = Image.open(io.BytesIO(copy))
        check(after.format == fmt, f"{name}: the copy is still {fmt}", after.format)
        check(not image_metadata(after), f"{name}: no metadata in the copy", image_metadata(after))
        diff = mean_difference(before.convert("RGB"), after.convert("RGB"))
        check(diff <= tolerance + 0.5, f"{name}: same pixels (mean difference {diff:.2f})", diff)
        if fmt == "GIF":
            check(getattr(after, "n_frames", 1) == 2, "comment.gif: both frames kept",
                  getattr(after, "n_frames", 1))
    test_heic(helper, gen)
    rc, _, _ = run(helper, ["--kind", "jpeg"], (gen / "text.png").read_bytes())
    check(rc == 4, "a PNG given as a JPEG gives no copy (exit 4)", rc)


def heif_pixels(data, tmp, name):
    """data decoded by Debian's heif-convert (libheif-examples) to PNG."""
    src, png = Path(tmp) / f"{name}.heic", Path(tmp) / f"{name}.png"
    src.write_bytes(data)
    subprocess.run(["heif-convert", str(src), str(png)], check=True, capture_output=True)
    return Image.open(png).convert("RGB")


def test_heic(helper, gen):
    data = (gen / "gps.heic").read_bytes()
    check(b"Exif" in data, "gps.heic carries EXIF", "")
    rc, copy, err = run(helper, ["--kind", "heic"], data)
    check(rc == 0 and copy[4:12] == b"ftypheic", "gps.heic gives a HEIC copy", f"rc={rc} {err}")
    if rc != 0:
        return
    check(b"Exif" not in copy and b"mime" not in copy, "gps.heic: no EXIF or XMP in the copy", "")
    with tempfile.TemporaryDirectory() as tmp:
        before, after = heif_pixels(data, tmp, "orig"), heif_pixels(copy, tmp, "copy")
    diff = mean_difference(before, after)
    check(before.size == after.size and diff <= 12.5,
          f"gps.heic: same size and pixels (mean difference {diff:.2f})", diff)


def test_dicom(helper, gen):
    data = (gen / "polyglot.dcm").read_bytes()
    tail = (gen / "polyglot.tail").read_bytes()
    rc, copy, err = run(helper, ["--kind", "dicom"], data)
    check(rc == 0, "polyglot.dcm gives a copy", f"rc={rc} {err}")
    if rc != 0:
        return
    check(copy[:128] == bytes(128), "the preamble is zeroed", copy[:16])
    check(b"MZ" not in copy and b"PE\0\0" not in copy, "no MZ or PE header left", "")
    check(copy == bytes(128) + data[128:len(data) - len(tail)],
          "everything from DICM to the last element kept byte for byte, the tail gone",
          f"{len(copy)} vs {len(data) - len(tail)}")
    # pydicom reads the appended PE as bogus elements ("MZ" is a tag of
    # group 0x5A4D); the copy must hold exactly the elements of the file
    # as it was before the PE was appended.
    def elements(raw):
        ds = pydicom.dcmread(io.BytesIO(raw))
        return [(e.tag, e.value) for e in ds.file_meta] + [(e.tag, e.value) for e in ds]
    clean = elements(data[:len(data) - len(tail)])
    check(len(elements(data)) > len(clean), "pydicom sees the appended PE in the original", "")
    check(elements(copy) == clean, "pydicom reads the same data elements from the copy", "")
    rc, copy, _ = run(helper, ["--kind", "dicom"], bytes(128) + b"NOPE")
    check(rc == 4 and not copy, "a file without DICM gives no copy (exit 4)", rc)


def landlock_abi():
    """The kernel's Landlock ABI version, 0 without Landlock."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return max(0, libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1)))


def test_confinement(helper, tmp):
    cwd = Path(tmp) / "selftest"
    cwd.mkdir()
    rc, _, err = run(helper, ["--self-test", "write"], cwd=cwd)
    check(rc == 0 and not any(cwd.iterdir()), "opening a file for writing is refused", err)
    # Landlock: reading /tmp (outside /usr, /etc, /var/cache, /proc) fails.
    rc, _, err = run(helper, ["--self-test", "read"], cwd=cwd)
    check(rc == 0 or (rc == 3 and not landlock_abi()),
          "reading outside the Landlock rules is refused"
          + ("" if rc == 0 else " (no Landlock on this kernel, said so)"), f"rc={rc} {err}")
    # As root the network namespace is always possible: no interface but lo.
    rc, _, err = run(helper, ["--self-test", "network"])
    check(rc == 0, "the helper sees no network interface", f"rc={rc} {err}")
    for what in ("connect", "exec"):
        rc, _, err = run(helper, ["--self-test", what])
        check(rc == -signal.SIGSYS, f"{what} kills the helper (SIGSYS)", f"rc={rc} {err}")
    rc, _, err = run(helper, ["--self-test", "alloc", "--max-memory-mb", "256"])
    asan = rc == 3 and "ASan" in err
    check(rc == 0 or asan, "an allocation past --max-memory-mb fails"
          + (" (no address-space limit under ASan)" if asan else ""), f"rc={rc} {err}")
    rc, _, err = run(helper, ["--self-test", "hang", "--max-seconds", "2"], timeout=300)
    check(rc in (-signal.SIGALRM, -signal.SIGXCPU, -signal.SIGKILL),
          "a busy loop is killed by --max-seconds", f"rc={rc} {err}")


def office_leftovers():
    """Private directories in /tmp, and processes that run in one."""
    dirs = {p.name for p in Path("/tmp").glob("airlock-office-*")}
    procs = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if proc.name.isdigit() and (b"airlock-office-" in cmdline
                                    or b"UserInstallation=file:///tmp/profile" in cmdline):
            procs.append(proc.name)
    return dirs, procs


def test_office(helper, gen):
    if not any(Path(p).exists() for p in ("/usr/bin/soffice",
                                          "/usr/lib/libreoffice/program/soffice")):
        check(False, "LibreOffice is installed (scripts/install-deps.sh)", "no soffice")
        return
    dirs_before, _ = office_leftovers()
    # name: (text in LibreOffice's PDF, libmagic type: one the milter maps
    # to --kind office)
    ooxml = "application/vnd.openxmlformats-officedocument."
    odf = "application/vnd.oasis.opendocument."
    texts = {"macro.docm": ("Macro document.", ooxml + "wordprocessingml.document"),
             "plain.docx": ("Compte rendu de consultation.", ooxml + "wordprocessingml.document"),
             "macro.doc": (None, "application/msword"),
             "sheet.xlsx": ("Resultats biologiques Mme Durand", ooxml + "spreadsheetml.sheet"),
             "slides.pptx": ("Plan de soins infirmiers", ooxml + "presentationml.presentation"),
             "letter.odt": ("Ordonnance du Dr Martin", odf + "text"),
             "sheet.ods": ("Bilan sanguin 2026", odf + "spreadsheet"),
             "slides.odp": ("Consultation de suivi 2026", odf + "presentation"),
             "letter.rtf": ("Lettre de liaison du Dr Martin", "text/rtf"),
             "sheet.xls": ("Suivi INR Mr Bernard", "application/vnd.ms-excel"),
             "slides.ppt": ("Protocole de vaccination", "application/vnd.ms-powerpoint")}
    for name, (text, mime) in texts.items():
        said = subprocess.run(["file", "--mime-type", "-b", str(gen / name)],
                              capture_output=True, text=True).stdout.strip()
        check(said == mime, f"{name}: libmagic says {mime}", said)
        rc, pdf, err = run(helper, ["--kind", "office", "--max-seconds", "120"],
                           (gen / name).read_bytes(), timeout=300)
        check(rc == 0 and pdf.startswith(b"%PDF-"), f"{name}: LibreOffice makes a PDF",
              f"rc={rc} {err}")
        if rc != 0:
            continue
        if text is not None:
            said = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
            check(text in said, f"{name}: the PDF has the document's text", said[:200])
        rc, copy, err = run(helper, ["--kind", "pdf"], pdf)
        check(rc == 0 and copy.startswith(b"%PDF-"), f"{name}: the PDF is rendered",
              f"rc={rc} {err}")
        if rc != 0:
            continue
        reader, keys = pdf_keys(copy)
        images = [len(p["/Resources"].get("/XObject", {})) for p in reader.pages]
        check(len(images) > 0 and set(images) == {1},
              f"{name}: {len(images)} page(s) of one image each", images)
        check(not keys & FORBIDDEN_KEYS, f"{name}: no active object, font or form in the copy",
              keys & FORBIDDEN_KEYS)
        check(all(not p.extract_text().strip() for p in reader.pages),
              f"{name}: no text in the copy")
    rc, pdf, err = run(helper, ["--kind", "office", "--max-seconds", "120"],
                       (gen / "broken.docx").read_bytes(), timeout=300)
    check(rc == 4 and pdf == b"", "broken.docx: exit 4, no PDF", f"rc={rc} {err}")
    rc, pdf, err = run(helper, ["--kind", "office", "--max-seconds", "2"],
                       (gen / "plain.docx").read_bytes(), timeout=300)
    # LibreOffice gets --max-seconds minus one: it cannot start in 1 s, so
    # it is killed and the helper says so (exit 10: the daemon's notice
    # then says the conversion took too long). A machine that converts in
    # under a second gives the PDF instead: never a half-written one.
    check((rc == 10 and pdf == b"") or (rc == 0 and pdf.startswith(b"%PDF-")),
          "a conversion cut by --max-seconds 2: exit 10 and no PDF", f"rc={rc} {err}")
    dirs_after, procs = office_leftovers()
    check(dirs_after <= dirs_before, "no private directory is left in /tmp",
          dirs_after - dirs_before)
    check(procs == [], "no LibreOffice process is left", procs)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test_helper.py BUILD_DIR")
    helper = Path(sys.argv[1]).resolve() / "src" / "safecopy" / "airlock-safecopy"
    with tempfile.TemporaryDirectory() as tmp:
        gen = Path(tmp) / "gen"
        subprocess.run(["/usr/bin/python3", str(GENERATOR), str(gen)], check=True)
        test_pdf(helper, gen, tmp)
        test_pdf_refused(helper, gen)
        test_images(helper, gen)
        test_dicom(helper, gen)
        test_office(helper, gen)
        test_confinement(helper, tmp)
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
