"""
threats_archives.py - containers libclamav does not open here (issue 15,
"every container is opened, or it is not delivered"): the corpus program
inside RAR 4 and RAR 5, Zstandard, tar.zst, lzip, compress (.Z), LZMA
alone, XZ, ar, cpio, ZIP members compressed with LZMA, XZ, Zstandard and
bzip2, a ZIP64 archive, 7z with PPMd, BCJ2 and solid blocks; names that
hide the real one (tar PAX `path`, GNU long names, the ZIP Unicode Path
extra field); the EICAR test string inside RAR and Zstandard; a
truncated RAR nothing can read; and the harmless archives of a practice
(PDF, JPEG, CSV, an Excel 97 workbook) that must stay accepted.

RAR has no free writer on Debian: the archives are written here block by
block, "store" method only (RAR 4: the technote of unrar 3.x/4.x, marker,
archive and file headers with CRC16-of-CRC32; RAR 5: rarlab's "RAR 5.0
archive format", vint fields and CRC32). ZIP method 14/95/93 members are
written here too (APPNOTE 4.4.5, 5.8.8: the LZMA properties header),
compressed with Python's lzma module or zstd(1). The other archives come
from zstd(1), lzip(1), compress(1) (ncompress), xz(1), ar(1) (binutils),
cpio(1), zip(1) and 7z(1) (p7zip-full), all in scripts/install-deps.sh,
given fixed names, contents and modification times; tar files come from
Python's tarfile with fixed metadata. Deterministic except where a tool
stamps its own time (none of those used here is known to).
"""

import gzip
import io
import lzma
import os
import struct
import subprocess
import sys
import tarfile
import tempfile
import zlib

import gen_corpus as gc
from threatlib import attach, sample

FIXED_TIME = 1764403200  # 2025-11-29
MIME_RAR = "application/vnd.rar"
MIME_7Z = "application/x-7z-compressed"
MIME_XLS = "application/vnd.ms-excel"
EICAR = bytes.fromhex(
    "58354f2150254041505b345c505a58353428505e2937434329377d2445494341"
    "522d5354414e444152442d414e544956495255532d544553542d46494c452124"
    "482b482a")


# ================================================================ RAR 4

def rar4_block(kind, flags, body, extra=b""):
    """One RAR 4 block: HEAD_CRC (low 16 bits of the CRC32 of what
    follows it in the header), HEAD_TYPE, HEAD_FLAGS, HEAD_SIZE, then body;
    extra (file data) follows the header and is not in HEAD_SIZE."""
    head = struct.pack("<BHH", kind, flags, 7 + len(body)) + body
    return struct.pack("<H", zlib.crc32(head) & 0xFFFF) + head + extra


def rar4(members):
    """A RAR 4.x archive of stored members (method 0x30)."""
    out = b"Rar!\x1a\x07\x00" + rar4_block(0x73, 0, bytes(6))
    for name, data in members:
        raw = name.encode("utf-8")
        body = struct.pack("<IIBIIBBHI", len(data), len(data), 2, zlib.crc32(data),
                           0x5B7D6000, 29, 0x30, len(raw), 0x20) + raw
        out += rar4_block(0x74, 0x8000, body, data)
    return out + rar4_block(0x7B, 0x4000, b"")


# ================================================================ RAR 5

def vint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def rar5_block(kind, flags, fields, data_size=None):
    """A RAR 5 header: CRC32, header size (vint), then type, flags, the
    data size when the block carries data (flag 0x0002), fields."""
    head = vint(kind) + vint(flags | (0x0002 if data_size is not None else 0))
    if data_size is not None:
        head += vint(data_size)
    head += fields
    head = vint(len(head)) + head
    return struct.pack("<I", zlib.crc32(head)) + head


def rar5(members):
    """A RAR 5.0 archive of stored members (compression method 0)."""
    out = b"Rar!\x1a\x07\x01\x00" + rar5_block(1, 0, vint(0))
    for name, data in members:
        raw = name.encode("utf-8")
        fields = (vint(0x0006) + vint(len(data)) + vint(0x20)
                  + struct.pack("<II", FIXED_TIME, zlib.crc32(data))
                  + vint(0) + vint(0) + vint(len(raw)) + raw)
        out += rar5_block(2, 0, fields, len(data)) + data
    return out + rar5_block(5, 0, vint(0))


# ================================================================ helpers

def _gen_threats():
    """gen_threats.py's builders (legacy_excel, make_jpeg): the running
    script itself when it is __main__, never a second copy of it."""
    for name in ("gen_threats", "__main__"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "legacy_excel"):
            return module
    import gen_threats
    return gen_threats


def run_tool(args, data, out_name, in_name="setup.exe"):
    """Runs a compressor on data written as in_name in a fresh directory
    (fixed modification time); returns the bytes of out_name."""
    with tempfile.TemporaryDirectory(prefix="airlock-archive-") as tmp:
        path = os.path.join(tmp, in_name)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (FIXED_TIME, FIXED_TIME))
        subprocess.run(args, cwd=tmp, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        with open(os.path.join(tmp, out_name), "rb") as f:
            return f.read()


def tool_archive(args, members, out_name):
    """An archive made by a tool from members [(name, data)], in order."""
    with tempfile.TemporaryDirectory(prefix="airlock-archive-") as tmp:
        for name, data in members:
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(data)
            os.utime(path, (FIXED_TIME, FIXED_TIME))
        subprocess.run(args + [out_name] + [n for n, _ in members], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(tmp, out_name), "rb") as f:
            return f.read()


def tar_bytes(members, fmt=tarfile.PAX_FORMAT):
    """members: (name, data, pax headers or None); fixed owner and time."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for name, data, pax in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), FIXED_TIME, 0o644
            info.uname = info.gname = "staff"
            if pax:
                info.pax_headers = pax
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def zstd(data):
    return subprocess.run(["zstd", "-q", "-19", "-c"], input=data, check=True,
                          stdout=subprocess.PIPE).stdout


def zip_method_entry(name, data, method):
    """A ZIP entry compressed with a method libclamav lacks: 14 LZMA
    (APPNOTE 5.8.8: version, properties size, LZMA properties, raw LZMA1
    stream), 95 XZ (an .xz stream), 93 Zstandard (a zstd frame), 12
    bzip2."""
    if method == 14:
        filters = [{"id": lzma.FILTER_LZMA1, "dict_size": 1 << 16}]
        raw = lzma.compress(data, format=lzma.FORMAT_RAW, filters=filters)
        props = lzma._encode_filter_properties(filters[0])
        payload = struct.pack("<BBH", 9, 20, len(props)) + props + raw
    elif method == 95:
        payload = lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64)
    elif method == 93:
        payload = zstd(data)
    else:
        import bz2
        payload = bz2.compress(data, 9)
    return gc.ZipEntry(name, zlib.crc32(data) & 0xFFFFFFFF, len(data), method, payload)


def zip64(members):
    """A ZIP64 archive made by zip(1) -fz (ZIP64 extra fields, end record
    and locator) from files with fixed times."""
    return tool_archive(["zip", "-q", "-X", "-fz"], members, "documents.zip")


def zip_unicode_path(raw_name, unicode_name, data):
    """One stored entry whose Info-ZIP Unicode Path extra field (0x7075:
    version 1, CRC32 of the header name, the UTF-8 name) names another
    file than its header: Windows tools and libarchive show the Unicode
    one, others the header's."""
    raw, uni = raw_name.encode(), unicode_name.encode()
    extra = struct.pack("<HHBI", 0x7075, 5 + len(uni), 1, zlib.crc32(raw)) + uni
    crc = zlib.crc32(data)
    time, date = gc.dos_date_time()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, time, date, crc, len(data),
                        len(data), len(raw), len(extra)) + raw + extra + data
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, time, date, crc,
                          len(data), len(data), len(raw), len(extra), 0, 0, 0, 0, 0)
    central += raw + extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local), 0)
    return local + central + end


def seven(members, *options):
    return tool_archive(["7z", "a", "-t7z", "-bd", "-y"] + list(options), members,
                        "archive.7z")


def csv_report():
    return (b"date;patient;act;amount\r\n2025-11-03;P-0042;consultation;25.00\r\n"
            b"2025-11-04;P-0043;radiography;45.50\r\n")


def clean_members():
    return [("report.pdf", gc.make_pdf("Report")), ("results.pdf", gc.make_pdf("Results")),
            ("photo.jpg", _gen_threats().make_jpeg()), ("billing.csv", csv_report())]


# ================================================================ programs inside

def program_samples():
    pe = gc.make_pe()
    single = [("setup.exe", pe)]
    return [
        ("rar4-program", "invoice.rar", MIME_RAR, lambda: rar4(single)),
        ("rar5-program", "invoice.rar", MIME_RAR, lambda: rar5(single)),
        ("zst-program", "setup.exe.zst", "application/zstd", lambda: zstd(pe)),
        ("tar-zst-program", "documents.tar.zst", "application/zstd",
         lambda: zstd(tar_bytes([("setup.exe", pe, None)]))),
        ("lzip-program", "setup.exe.lz", "application/x-lzip",
         lambda: run_tool(["lzip", "-k", "setup.exe"], pe, "setup.exe.lz")),
        ("compress-program", "setup.exe.Z", "application/x-compress",
         lambda: run_tool(["compress", "-f", "setup.exe"], pe, "setup.exe.Z")),
        ("lzma-program", "setup.exe.lzma", "application/x-lzma",
         lambda: lzma.compress(pe, format=lzma.FORMAT_ALONE)),
        ("xz-program", "setup.exe.xz", "application/x-xz",
         lambda: lzma.compress(pe, format=lzma.FORMAT_XZ)),
        ("ar-program", "documents.ar", "application/x-archive",
         lambda: tool_archive(["ar", "rcD"], single, "documents.ar")),
        ("cpio-program", "documents.cpio", "application/x-cpio",
         lambda: subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"],
                                input=b"setup.exe\n", check=True, stdout=subprocess.PIPE,
                                cwd=_one_file_dir(pe)).stdout),
        ("zip-lzma-program", "documents.zip", gc.MIME_ZIP,
         lambda: gc.make_zip([zip_method_entry("setup.exe", pe, 14)])),
        ("zip-xz-program", "documents.zip", gc.MIME_ZIP,
         lambda: gc.make_zip([zip_method_entry("setup.exe", pe, 95)])),
        ("zip-zstd-program", "documents.zip", gc.MIME_ZIP,
         lambda: gc.make_zip([zip_method_entry("setup.exe", pe, 93)])),
        ("zip-bzip2-program", "documents.zip", gc.MIME_ZIP,
         lambda: gc.make_zip([zip_method_entry("setup.exe", pe, 12)])),
        ("zip64-program", "documents.zip", gc.MIME_ZIP, lambda: zip64(single)),
        ("7z-ppmd-program", "documents.7z", MIME_7Z, lambda: seven(single, "-m0=PPMd")),
        ("7z-bcj2-program", "documents.7z", MIME_7Z, lambda: seven(single, "-mf=BCJ2")),
        ("7z-solid-program", "documents.7z", MIME_7Z,
         lambda: seven([("notes.txt", b"Agenda\r\n"), ("setup.exe", pe)], "-ms=on")),
    ]


_ONE_FILE_DIRS = []


def _one_file_dir(data):
    """A directory holding setup.exe (cpio reads names from stdin)."""
    tmp = tempfile.TemporaryDirectory(prefix="airlock-cpio-")
    _ONE_FILE_DIRS.append(tmp)
    path = os.path.join(tmp.name, "setup.exe")
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (FIXED_TIME, FIXED_TIME))
    return tmp.name


def program_sample(stem_name, filename, ctype, build):
    # libclamav opens .xz itself and names its member "?".
    inner = "?" if filename.endswith(".xz") else "setup.exe"

    @sample(stem_name + ".eml", item=filename, reasons=["executable"], also=["disguised"],
            inner=inner)
    def _program(s, build=build, filename=filename, ctype=ctype):
        return attach(s, build(), ctype, filename)
    return _program


for _args in program_samples():
    program_sample(*_args)


# ================================================================ names that disagree

@sample("tar-pax-path-program.eml", item="documents.tar", reasons=["executable", "disguised"],
        inner="report.pdf.exe")
def tar_pax_path(s):
    data = tar_bytes([("report.pdf", gc.make_pe(), {"path": "report.pdf.exe"})])
    return attach(s, data, "application/x-tar", "documents.tar")


@sample("tar-gnu-longname-program.eml", item="documents.tar", reasons=["executable"],
        also=["disguised"], inner="setup.exe")
def tar_gnu_longname(s):
    name = "/".join(["dossier-patient-2025-11"] * 5) + "/setup.exe"
    data = tar_bytes([(name, gc.make_pe(), None)], fmt=tarfile.GNU_FORMAT)
    return attach(s, data, "application/x-tar", "documents.tar")


@sample("zip-unicode-path-program.eml", item="documents.zip",
        reasons=["executable", "disguised"], inner="report.pdf.exe")
def zip_unicode_path_program(s):
    data = zip_unicode_path("report.pdf", "report.pdf.exe", gc.make_pe())
    return attach(s, data, gc.MIME_ZIP, "documents.zip")


# ================================================================ viruses, unreadable

@sample("rar-eicar.eml", item="test.rar", reasons=["virus"], also=["executable"],
        inner="eicar.com")
def rar_eicar(s):
    return attach(s, rar5([("eicar.com", EICAR)]), MIME_RAR, "test.rar")


@sample("rar4-eicar.eml", item="test.rar", reasons=["virus"], also=["executable"],
        inner="eicar.com")
def rar4_eicar(s):
    return attach(s, rar4([("eicar.com", EICAR)]), MIME_RAR, "test.rar")


@sample("zst-eicar.eml", item="eicar.com.zst", reasons=["virus"],
        also=["disguised", "executable"],
        inner="eicar.com")
def zst_eicar(s):
    return attach(s, zstd(EICAR), "application/zstd", "eicar.com.zst")


@sample("rar-truncated.eml", item="invoice.rar", reasons=["unscannable"])
def rar_truncated(s):
    data = rar5([("invoice.pdf", gc.make_pdf("Invoice")), ("setup.exe", gc.make_pe())])
    return attach(s, data[:400], MIME_RAR, "invoice.rar")


@sample("rar4-damaged.eml", item="invoice.rar", reasons=["unscannable"])
def rar4_damaged(s):
    data = bytearray(rar4([("setup.exe", gc.make_pe())]))
    data[9] ^= 0xFF  # the archive header's type: no longer a RAR block
    return attach(s, bytes(data[:200]), MIME_RAR, "invoice.rar")


# ================================================================ clean controls

@sample("rar-clean.eml", item="documents.rar", clean=True)
def rar_clean(s):
    return attach(s, rar5(clean_members()), MIME_RAR, "documents.rar")


@sample("rar4-clean.eml", item="documents.rar", clean=True)
def rar4_clean(s):
    return attach(s, rar4(clean_members()), MIME_RAR, "documents.rar")


@sample("7z-documents-clean.eml", item="documents.7z", clean=True)
def seven_clean(s):
    return attach(s, seven(clean_members()), MIME_7Z, "documents.7z")


@sample("tar-gz-clean.eml", item="documents.tar.gz", clean=True)
def tar_gz_clean(s):
    tar = tar_bytes([(n, d, None) for n, d in clean_members()])
    return attach(s, gzip_fixed(tar), "application/gzip", "documents.tar.gz")


@sample("tar-zst-clean.eml", item="documents.tar.zst", clean=True)
def tar_zst_clean(s):
    tar = tar_bytes([(n, d, None) for n, d in clean_members()])
    return attach(s, zstd(tar), "application/zstd", "documents.tar.zst")


@sample("zip-deflate-clean.eml", item="documents.zip", clean=True)
def zip_clean(s):
    return attach(s, gc.make_zip([gc.zip_entry(n, d) for n, d in clean_members()]),
                  gc.MIME_ZIP, "documents.zip")


def gzip_fixed(data):
    return gzip.compress(data, 9, mtime=FIXED_TIME)


def xls_members():
    return [("planning.xls", _gen_threats().legacy_excel(False)),
            ("report.pdf", gc.make_pdf("Report"))]


@sample("xls-in-zip-clean.eml", item="planning.zip", clean=True)
def xls_zip(s):
    return attach(s, gc.make_zip([gc.zip_entry(n, d) for n, d in xls_members()]),
                  gc.MIME_ZIP, "planning.zip")


@sample("xls-in-tgz-clean.eml", item="planning.tgz", clean=True)
def xls_tgz(s):
    tar = tar_bytes([(n, d, None) for n, d in xls_members()])
    return attach(s, gzip_fixed(tar), "application/gzip", "planning.tgz")


@sample("xls-in-7z-clean.eml", item="planning.7z", clean=True)
def xls_7z(s):
    return attach(s, seven(xls_members()), MIME_7Z, "planning.7z")


def seed_archives():
    """Containers for tests/fuzz/make_seeds.py (fuzz_unpack)."""
    pe = gc.make_pe()
    members = [("report.pdf", gc.make_pdf("Seed")), ("setup.exe", pe)]
    tar = tar_bytes([("report.pdf", pe, {"path": "report.pdf.exe"})])
    return [rar4(members), rar5(members), zstd(tar), lzma.compress(pe, format=lzma.FORMAT_ALONE),
            gc.make_zip([zip_method_entry("setup.exe", pe, 14)]),
            gc.make_zip([zip_method_entry("setup.exe", pe, 95)]),
            zip_unicode_path("report.pdf", "report.pdf.exe", pe), tar,
            tar_bytes([("/".join(["d"] * 80) + "/a.exe", pe, None)], fmt=tarfile.GNU_FORMAT),
            gzip_fixed(tar)]
