#!/usr/bin/python3
"""bench/safecopy.py - what safe copies cost (issue 17): the helper's time
and memory per page and per MB, and the milter's own memory with copies on
and off. See bench/README.md, "Safe copies".

    /usr/bin/python3 bench/safecopy.py [--build DIR] [--runs N] [--messages N] [--out DIR]

Needs root (the daemon drops to its user) and Debian's python3 (ReportLab,
Pillow). Uses DIR's airlock-safecopy and airlock-milter (default: build,
built by the README's command). Writes OUT/safecopy-results.json and
OUT/safecopy-report.md (OUT defaults to DIR) and prints the report.

1. The helper alone, as the milter runs it (stdin and stdout on pipes,
   default limits, dpi 150): PDFs of 1, 5, 10 and 30 pages, each page text
   plus a 1200x800 photo-like JPEG (a scanned form is like that), JPEGs
   of 1, 4 and 12 megapixels and a 12-megapixel HEIC (an iPhone photo). N runs each (default 3), the median: wall
   time, CPU time and peak RSS (getrusage of the child: the helper's own).
2. The milter: two fresh daemons, [safecopy] reasons empty (copies off)
   and default (copies on), each sent the same M messages (default 40)
   over the milter protocol, one 5-page PDF attachment each from an
   unknown sender; peak RSS (VmHWM) and RSS after, of the daemon process
   only (the helper is a child process with its own memory), and the
   ratio on/off. The copies are checked to be in the stripped bodies.
"""

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

from airlock import Daemon, find_binary  # noqa: E402
from milter_client import MilterSession  # noqa: E402
from util import ensure_system_user, is_root  # noqa: E402

DAEMON_USER = "airlock-test"


def photo_jpeg(width, height, seed):
    from PIL import Image, ImageDraw, ImageFilter
    rng = random.Random(seed)
    img = Image.new("RGB", (width, height), (200, 190, 170))
    draw = ImageDraw.Draw(img)
    for _ in range(width * height // 4000):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(5, 60)
        draw.ellipse([x - r, y - r, x + r, y + r],
                     fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    img = img.filter(ImageFilter.GaussianBlur(2))
    noise = Image.effect_noise((width, height), 24).convert("RGB")
    img = Image.blend(img, noise, 0.15)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def heic_of(jpeg):
    """jpeg encoded as HEIC by Debian's heif-enc (libheif-examples)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.jpg"), os.path.join(tmp, "out.heic")
        with open(src, "wb") as f:
            f.write(jpeg)
        subprocess.run(["heif-enc", "-q", "80", "-o", dst, src], check=True,
                       stdout=subprocess.DEVNULL)
        with open(dst, "rb") as f:
            return f.read()


def scanned_pdf(pages, seed):
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for n in range(pages):
        c.setFont("Helvetica", 11)
        for line in range(25):
            c.drawString(60, 800 - 14 * line, f"Page {n + 1}, ligne {line + 1}: compte rendu.")
        c.drawImage(ImageReader(io.BytesIO(photo_jpeg(1200, 800, seed * 100 + n))),
                    60, 60, width=475, height=316)
        c.showPage()
    c.save()
    return buf.getvalue()


# A small process forks and execs the helper: the peak RSS the kernel
# reports for a child includes the memory of the process it was forked from,
# so it must not be this one (ReportLab, Pillow and the inputs).
MEASURE = r"""
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status),
      file=sys.stderr)
"""


def run_helper(helper, kind, data):
    """One run; returns (wall s, cpu s, peak RSS KiB, exit status, output bytes)."""
    start = time.monotonic()
    proc = subprocess.run(["/usr/bin/python3", "-c", MEASURE, helper, "--kind", kind],
                          input=data, capture_output=True, check=True)
    wall = time.monotonic() - start
    rss, cpu, status = proc.stderr.split()[-3:]
    return wall, float(cpu), int(rss), int(status), len(proc.stdout)


def bench_helper(helper, runs):
    rows = []
    cases = [("pdf", f"{p} pages", scanned_pdf(p, p), p) for p in (1, 5, 10, 30)]
    cases += [("jpeg", f"{w * h / 1e6:.0f} MP", photo_jpeg(w, h, w), None)
              for w, h in ((1200, 800), (2400, 1600), (4200, 2800))]
    cases.append(("heic", "12 MP", heic_of(photo_jpeg(4200, 2800, 4200)), None))
    for kind, label, data, pages in cases:
        results = [run_helper(helper, kind, data) for _ in range(runs)]
        if any(r[3] != 0 for r in results):
            raise SystemExit(f"the helper failed on {kind} {label}: {[r[3] for r in results]}")
        wall = statistics.median(r[0] for r in results)
        cpu = statistics.median(r[1] for r in results)
        rss = statistics.median(r[2] for r in results)
        mb = len(data) / 1e6
        rows.append({"kind": kind, "case": label, "input_mb": round(mb, 2),
                     "output_mb": round(results[0][4] / 1e6, 2), "wall_s": round(wall, 3),
                     "cpu_s": round(cpu, 3), "peak_rss_mib": round(rss / 1024, 1),
                     "ms_per_page": round(wall * 1000 / pages, 1) if pages else None,
                     "ms_per_mb": round(wall * 1000 / mb, 1)})
        print(f"  helper {kind} {label}: {wall:.2f} s, {rss / 1024:.0f} MiB", flush=True)
    return rows


def attachment_message(pdf, n):
    from email.message import EmailMessage
    msg = EmailMessage()
    msg["From"] = "stranger@unknown.example"
    msg["To"] = "bob@test.example"
    msg["Subject"] = f"Compte rendu {n}"
    msg["Message-ID"] = f"<bench-safecopy-{n}@airlock-test.example>"
    msg.set_content("Bonjour,\n")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"cr-{n}.pdf")
    return bytes(msg).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def proc_status(pid):
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0])
    return values


def bench_milter(binary, helper, messages, copies_on):
    sections = {"origin": {"internal_networks": "10.99.0.0/16"},
                "safecopy": {"helper": helper}}
    if not copies_on:
        sections["safecopy"]["reasons"] = ""
    daemon = Daemon(binary, DAEMON_USER, sections, name="bench-safecopy")
    pdf = scanned_pdf(5, 7)
    made = 0
    try:
        daemon.start()
        idle = proc_status(daemon.pid)
        start = time.monotonic()
        for n in range(messages):
            with MilterSession(daemon.socket) as s:
                s.negotiate()
                result = s.transaction(attachment_message(pdf, n), client_ip="198.51.100.7",
                                       mail_from="stranger@unknown.example")
                body = result.new_body() or b""
                made += b"copie s=C3=BBre" in body.replace(b"=\r\n", b"")
        elapsed = time.monotonic() - start
        after = proc_status(daemon.pid)
    finally:
        daemon.stop()
        daemon.cleanup()
    if copies_on and made != messages:
        raise SystemExit(f"copies on: {made} of {messages} stripped messages carried a copy")
    return {"copies": "on" if copies_on else "off", "messages": messages, "copies_made": made,
            "idle_rss_mib": round(idle["VmRSS"] / 1024, 1),
            "peak_rss_mib": round(after["VmHWM"] / 1024, 1),
            "rss_after_mib": round(after["VmRSS"] / 1024, 1),
            "s_per_message": round(elapsed / messages, 3)}


def report(helper_rows, milter_rows):
    lines = ["## Safe copies (bench/safecopy.py)", "",
             "| input | size MB | copy MB | wall s | CPU s | peak RSS MiB | ms/page | ms/MB |",
             "|---|---|---|---|---|---|---|---|"]
    for r in helper_rows:
        lines.append(f"| {r['kind']} {r['case']} | {r['input_mb']} | {r['output_mb']} | "
                     f"{r['wall_s']} | {r['cpu_s']} | {r['peak_rss_mib']} | "
                     f"{r['ms_per_page'] if r['ms_per_page'] is not None else '-'} | "
                     f"{r['ms_per_mb']} |")
    lines += ["", "| milter | messages | copies | idle RSS MiB | peak RSS MiB | RSS after MiB "
              "| s/message |", "|---|---|---|---|---|---|---|"]
    for r in milter_rows:
        lines.append(f"| copies {r['copies']} | {r['messages']} | {r['copies_made']} | "
                     f"{r['idle_rss_mib']} | {r['peak_rss_mib']} | {r['rss_after_mib']} | "
                     f"{r['s_per_message']} |")
    off, on = milter_rows
    lines += ["", f"Milter peak RSS, copies on / off: {on['peak_rss_mib'] / off['peak_rss_mib']:.3f}"]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(REPO, "build"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--out")
    args = parser.parse_args()
    if not is_root():
        raise SystemExit("bench/safecopy.py needs root (the daemon drops to its user)")
    build = os.path.abspath(args.build)
    helper = os.path.join(build, "src", "safecopy", "airlock-safecopy")
    binary = find_binary(build)
    ensure_system_user(DAEMON_USER, "postfix")
    out = args.out or build
    print("helper:", flush=True)
    helper_rows = bench_helper(helper, args.runs)
    print("milter:", flush=True)
    milter_rows = [bench_milter(binary, helper, args.messages, False),
                   bench_milter(binary, helper, args.messages, True)]
    text = report(helper_rows, milter_rows)
    with open(os.path.join(out, "safecopy-results.json"), "w") as f:
        json.dump({"helper": helper_rows, "milter": milter_rows,
                   "load_average": os.getloadavg()[0]}, f, indent=1)
    with open(os.path.join(out, "safecopy-report.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
