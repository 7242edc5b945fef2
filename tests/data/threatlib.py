"""
threatlib.py - what every threat sample module shares: the registry of
samples and the small message builders.

gen_threats.py holds the samples of issue 6; each tests/data/threats_*.py
module holds the samples of one class of issue 15 (default deny: archives
nothing else opens, names that hide the real one, Windows types that are
text by content, active content in document formats, wrappers...). All
register with @sample(...) below; gen_threats.py imports every
threats_*.py module, in name order, and writes them all.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_corpus as gc  # noqa: E402

CRLF = gc.CRLF
STRANGER = gc.STRANGER
MIME_OCTET = "application/octet-stream"
MIME_DICOM = "application/dicom"
MIME_HTML = "text/html"
MIME_RTF = "application/rtf"
MIME_DOC = "application/msword"
MIME_DOCM = "application/vnd.ms-word.document.macroEnabled.12"

SAMPLES = []  # (name, builder, expectation)
_NAMES = set()


def sample(name, item=None, reasons=(), also=(), inner=None, clean=False, message=(),
           hold=False):
    """Registers a sample. item: the attachment's file name the finding is
    on (None: a message-wide finding); reasons: what it must carry, with a
    known or an unknown sender; also: reasons it may carry besides (a DICOM
    whose preamble is a PE is also a program); inner: the inner file (path
    suffix) that must carry the reasons too; clean: a harmless control,
    accepted from a known sender; message: reasons the message as a whole
    must carry (with item None: the only findings, besides also); hold:
    the message is held (polyglot, virus, a message-wide finding) rather
    than stripped."""
    def register(builder):
        if name in _NAMES:
            raise ValueError("two samples named %s" % name)
        _NAMES.add(name)
        SAMPLES.append((name, builder, {
            "item": item, "reasons": sorted(reasons), "also": sorted(also), "inner": inner,
            "clean": clean, "message": sorted(message),
            "hold": hold or bool(set(reasons) & {"polyglot", "virus"})
            or bool(set(message) & {"malformed", "limits"})}))
        return builder
    return register


def mail(s, subject, parts, text="Please find the file attached.\n"):
    return gc.mixed_message(s.name, STRANGER, subject, text, parts, gc.stranger_trace())


def attach(s, data, ctype, filename):
    return mail(s, "Document: %s" % filename, [gc.attachment(data, ctype, filename)])


def zipped(members):
    return gc.make_zip([gc.zip_entry(name, data) for name, data in members])


