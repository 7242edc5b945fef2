"""Test messages: the generated corpus (tests/data/gen_corpus.py) and a
few variants built here, plus raw MIME helpers to compare what was sent
with what was delivered or stored.

Everything works on bytes. Sent messages use CRLF line ends (as on the
wire); delivered Maildir files use LF: compare through lf().
"""

import atexit
import email
import email.policy
import os
import re
import shutil
import subprocess
import sys
import tempfile

from util import REPO_DIR, HarnessError

GEN_CORPUS = os.path.join(REPO_DIR, "tests", "data", "gen_corpus.py")

_corpus_dir = None


def corpus_dir():
    """The generated corpus, written once per process into a temporary
    directory (world-readable: the daemon's user reads nothing there, but
    miltertest and the drivers do), removed at exit."""
    global _corpus_dir
    if _corpus_dir is None:
        out = tempfile.mkdtemp(prefix="airlock-corpus-")
        os.chmod(out, 0o755)
        proc = subprocess.run([sys.executable, GEN_CORPUS, out], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=600)
        if proc.returncode != 0:
            raise HarnessError(f"{GEN_CORPUS} {out} failed ({proc.returncode}):\n"
                               f"{proc.stderr.strip()}")
        for name in os.listdir(out):
            os.chmod(os.path.join(out, name), 0o644)
        _corpus_dir = out
        atexit.register(shutil.rmtree, out, True)
    return _corpus_dir


def corpus_path(name):
    path = os.path.join(corpus_dir(), name)
    if not os.path.exists(path):
        raise HarnessError(f"the corpus has no {name} (did gen_corpus.py change?)")
    return path


def corpus(name):
    with open(corpus_path(name), "rb") as f:
        return f.read()


def lf(data):
    return data.replace(b"\r\n", b"\n")


def split(data):
    """(header block including its last line end, body) of a message."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        i = data.find(sep)
        if i >= 0:
            half = len(sep) // 2
            return data[:i + half], data[i + len(sep):]
    return data, b""


def header_fields(data):
    """[(name, raw value without the final line end)] of the top-level
    header, folding kept."""
    head, _ = split(lf(data))
    fields = []
    for line in head.split(b"\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b"\n" + line)
        else:
            name, _, value = line.partition(b":")
            fields.append((name.decode("ascii", "replace"), value))
    return fields


def header_values(data, name):
    """Values (str, unfolded, stripped) of every header field name."""
    out = []
    for n, v in header_fields(data):
        if n.lower() == name.lower():
            out.append(re.sub(rb"\r?\n[ \t]+", b" ", v).strip().decode("utf-8", "replace"))
    return out


def add_headers_top(data, lines):
    """Prepends raw header lines (bytes without line ends) to a CRLF
    message."""
    return b"".join(line + b"\r\n" for line in lines) + data


def replace_header(data, name, value):
    """Replaces the first header field name (CRLF message) with
    'name: value'."""
    head, body = split(data)
    pattern = re.compile(rb"(?im)^" + re.escape(name.encode()) + rb":.*\r\n(?:[ \t].*\r\n)*")
    new, n = pattern.subn(lambda m: f"{name}: {value}\r\n".encode(), head, count=1)
    if n != 1:
        raise HarnessError(f"no {name} header to replace")
    return new + b"\r\n" + body


def numbered(data, n, tag):
    """A copy of message data made unique: Message-ID and Subject carry
    tag and n, so that a delivered copy can be matched to what was sent."""
    data = replace_header(data, "Message-ID", f"<{tag}-{n}@airlock-test.example>")
    subject = header_values(data, "Subject")[0]
    return replace_header(data, "Subject", f"{subject} [{tag} {n}]")


def parse(data):
    return email.message_from_bytes(lf(data), policy=email.policy.compat32)


def raw_parts(data):
    """The raw bytes (LF line ends) of each body part of a multipart
    message, headers included, split on its top-level boundary."""
    msg = parse(data)
    boundary = msg.get_boundary()
    if boundary is None:
        raise HarnessError("not a multipart message")
    _, body = split(lf(data))
    delim = b"\n--" + boundary.encode()
    chunks = (b"\n" + body).split(delim)
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        # after the delimiter: rest of its line, then the part
        nl = chunk.find(b"\n")
        parts.append(chunk[nl + 1:] if nl >= 0 else b"")
    return parts


def decoded_text(data):
    """All text/* parts of a message, decoded, joined (for looking for a
    notice's words and ids)."""
    out = []
    for part in parse(data).walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True) or b""
            charset = part.get_content_charset() or "utf-8"
            out.append(payload.decode(charset, "replace"))
    return "\n".join(out)


def attachment_names(data):
    names = []
    for part in parse(data).walk():
        name = part.get_filename()
        if name:
            names.append(name)
    return names


# EICAR, kept as hex so that no scanner flags this file.
EICAR_HEX = ("58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d5354414e"
             "444152442d414e544956495255532d544553542d46494c452124482b482a")


def eicar():
    return bytes.fromhex(EICAR_HEX)
