"""
threats_wrap.py - files inside wrappers (issue 15): TNEF (winmail.dat,
Outlook's rich text wrapper) holding a program, one named as a PDF, an
RTF body with an embedded object, a broken TNEF; S/MIME opaque-signed and
compressed around a message with a program attached, S/MIME encrypted, an
S/MIME part that is no CMS at all; PGP/MIME encrypted, inline PGP in a
text body, a binary .gpg file; and the harmless wrapped mail of a
practice that must stay accepted: a winmail.dat holding a PDF, a
multipart/signed S/MIME message with a PDF (its signature part is no
finding), an opaque-signed message holding only text, a clearsigned PGP
text with a PDF.

TNEF is written here record by record (MS-OXTNEF: attribute level, id,
length, data, checksum; MAPI properties for the long file name and the
compressed RTF body, MS-OXRTFCP); S/MIME compressed data is DER written
here (RFC 3274: zlib); the signed and encrypted S/MIME samples are made
by openssl(1) (package openssl, scripts/install-deps.sh) with a
throwaway self-signed key made in a temporary directory. Not
deterministic: openssl draws a new key each run (and random content
keys for encryption), so the signed and encrypted bytes differ from run
to run; everything else is fixed. PGP samples are look-alikes: packet
headers of an encrypted message followed by fixed bytes, never decrypted
by anyone.
"""

import base64
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import gen_corpus as gc
from threatlib import MIME_OCTET, STRANGER, attach, mail, sample

MIME_TNEF = "application/ms-tnef"


# ================================================================ TNEF

LVL_MESSAGE = 1
LVL_ATTACHMENT = 2
ATT_TNEF_VERSION = 0x00089006
ATT_OEM_CODEPAGE = 0x00069007
ATT_MESSAGE_CLASS = 0x00078008
ATT_MAPI_PROPS = 0x00069003
ATT_REND_DATA = 0x00069002
ATT_ATTACH_TITLE = 0x00018010
ATT_ATTACH_DATA = 0x0006800F
ATT_ATTACHMENT = 0x00069005
PT_LONG = 0x0003
PT_STRING8 = 0x001E
PT_BINARY = 0x0102
PR_RTF_COMPRESSED = 0x1009
PR_ATTACH_LONG_FILENAME = 0x3707
PR_ATTACH_METHOD = 0x3705
RTF_PREBUF = (b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss "
              b"\\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier"
              b"{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx")


def tnef_record(level, attribute, data, checksum=None):
    if checksum is None:
        checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, attribute, len(data)) + data + struct.pack("<H", checksum)


def pad4(data):
    return data + b"\0" * (-len(data) % 4)


def mapi_props(props):
    """props: (type, id, value bytes or int)."""
    out = struct.pack("<I", len(props))
    for ptype, pid, value in props:
        out += struct.pack("<I", pid << 16 | ptype)
        if ptype == PT_LONG:
            out += struct.pack("<I", value)
        else:
            out += struct.pack("<II", 1, len(value)) + pad4(value)
    return out


def compressed_rtf(rtf):
    """MS-OXRTFCP LZFu with literal runs only, ended by a reference to the
    write position (a valid stream any reader decompresses)."""
    tokens = [bytes([b]) for b in rtf]
    end = (len(RTF_PREBUF) + len(rtf)) % 4096
    body = bytearray()
    for i in range(0, len(tokens) + 1, 8):
        group = tokens[i:i + 8]
        control = 0
        if len(group) < 8:
            control = 1 << len(group)  # the end reference follows the literals
        body.append(control)
        for t in group:
            body += t
        if len(group) < 8:
            body += struct.pack(">H", end << 4)
            break
    header = struct.pack("<III", len(body) + 12, len(rtf), 0x75465A4C) + struct.pack("<I", 0)
    return header + bytes(body)


def make_tnef(attachments, rtf=None, break_checksum=False):
    """attachments: (title 8.3, long name or None, data)."""
    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += tnef_record(LVL_MESSAGE, ATT_TNEF_VERSION, struct.pack("<I", 0x00010000))
    out += tnef_record(LVL_MESSAGE, ATT_OEM_CODEPAGE, struct.pack("<II", 1252, 0))
    out += tnef_record(LVL_MESSAGE, ATT_MESSAGE_CLASS, b"IPM.Microsoft Mail.Note\0")
    if rtf is not None:
        out += tnef_record(LVL_MESSAGE, ATT_MAPI_PROPS,
                           mapi_props([(PT_BINARY, PR_RTF_COMPRESSED, compressed_rtf(rtf))]))
    for title, long_name, data in attachments:
        out += tnef_record(LVL_ATTACHMENT, ATT_REND_DATA,
                           struct.pack("<HIHHI", 1, 0xFFFFFFFF, 32, 32, 0))
        out += tnef_record(LVL_ATTACHMENT, ATT_ATTACH_TITLE, title.encode() + b"\0")
        checksum = (sum(data) + 1) & 0xFFFF if break_checksum else None
        out += tnef_record(LVL_ATTACHMENT, ATT_ATTACH_DATA, data, checksum)
        props = [(PT_LONG, PR_ATTACH_METHOD, 1)]
        if long_name is not None:
            props.append((PT_STRING8, PR_ATTACH_LONG_FILENAME, long_name.encode() + b"\0"))
        out += tnef_record(LVL_ATTACHMENT, ATT_ATTACHMENT, mapi_props(props))
    return out


LETTER_RTF = (b"{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}\\f0\\fs20 "
              b"Bonjour,\\par Veuillez trouver le compte rendu ci-joint.\\par}")
OBJECT_RTF = (b"{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}\\f0\\fs20 Invoice\\par"
              b"{\\object\\objemb\\objw100\\objh100{\\*\\objclass Package}{\\*\\objdata "
              b"0105000002000000080000005061636b61676500000000000000000012000000"
              b"02006576696c2e6a730000000000000000}}\\par}")


def winmail(s, data, subject="RE: documents"):
    return mail(s, subject, [gc.attachment(data, MIME_TNEF, "winmail.dat")])


@sample("tnef-pe.eml", item="invoice.exe", reasons=["executable"])
def tnef_pe(s):
    return winmail(s, make_tnef([("INVOIC~1.EXE", "invoice.exe", gc.make_pe())], LETTER_RTF))


@sample("tnef-pe-named-pdf.eml", item="facture 2024.pdf", reasons=["executable"],
        also=["disguised"])
def tnef_pe_pdf(s):
    return winmail(s, make_tnef([("FACTUR~1.PDF", "facture 2024.pdf", gc.make_pe())]))


@sample("tnef-pe-title-only.eml", item="SETUP.EXE", reasons=["executable"])
def tnef_pe_title(s):
    # No long name: the 8.3 title is what Outlook shows.
    return winmail(s, make_tnef([("SETUP.EXE", None, gc.make_pe())]))


@sample("tnef-pe-octet-stream.eml", item="invoice.exe", reasons=["executable"])
def tnef_pe_octet(s):
    # Declared as plain data under another name: found by its signature.
    data = make_tnef([("INVOIC~1.EXE", "invoice.exe", gc.make_pe())])
    return mail(s, "RE: documents", [gc.attachment(data, MIME_OCTET, "message.bin")])


@sample("tnef-rtf-body-object.eml", message=["macro"])
def tnef_rtf_object(s):
    return winmail(s, make_tnef([], OBJECT_RTF))


@sample("tnef-bad-checksum.eml", item="winmail.dat", reasons=["unscannable"],
        also=["executable"])  # ClamAV's own TNEF reader may still see the program
def tnef_broken(s):
    return winmail(s, make_tnef([("INVOIC~1.EXE", "invoice.exe", gc.make_pe())],
                                break_checksum=True))


@sample("tnef-pdf.eml", item="compte-rendu.pdf", clean=True)
def tnef_pdf(s):
    return winmail(s, make_tnef([("COMPTE~1.PDF", "compte-rendu.pdf",
                                  gc.make_pdf("Compte rendu"))], LETTER_RTF))


# ================================================================ S/MIME

def openssl(args, data=None):
    r = subprocess.run(["openssl"] + args, input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=False)
    if r.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), r.stderr.decode()))
    return r.stdout


class Signer:
    """A throwaway self-signed key, made once per run."""
    _dir = None

    @classmethod
    def paths(cls):
        if cls._dir is None:
            cls._dir = tempfile.TemporaryDirectory(prefix="airlock-smime-")
            d = Path(cls._dir.name)
            openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                     "-subj", "/CN=Airlock test signer/O=Partner Example",
                     "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")])
        d = Path(cls._dir.name)
        return str(d / "cert.pem"), str(d / "key.pem")


def cms_sign(content, detached=False):
    cert, key = Signer.paths()
    args = ["cms", "-sign", "-binary", "-noattr", "-signer", cert, "-inkey", key,
            "-outform", "DER"]
    return openssl(args + ([] if detached else ["-nodetach"]), content)


def cms_encrypt(content):
    cert, _ = Signer.paths()
    return openssl(["cms", "-encrypt", "-binary", "-aes256", "-outform", "DER", cert], content)


def der(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def der_oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    out = bytes([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return der(0x06, out)


def cms_compress(content):
    """RFC 3274 CompressedData with zlib, in a ContentInfo (DER)."""
    encap = der(0x30, der_oid("1.2.840.113549.1.7.1")
                + der(0xA0, der(0x04, zlib.compress(content, 9))))
    compressed = der(0x30, der(0x02, b"\0")
                     + der(0x30, der_oid("1.2.840.113549.1.9.16.3.8")) + encap)
    return der(0x30, der_oid("1.2.840.113549.1.9.16.1.9") + der(0xA0, compressed))


def inner_with_exe():
    boundary = "airlock-inner-smime"
    return gc.entity([("Content-Type", gc.multipart_ct("mixed", boundary))],
                     gc.multipart_body(boundary, [
                         gc.text_part("Please run the attached update.\n"),
                         gc.attachment(gc.make_pe(), "application/x-msdownload", "setup.exe")]))


def smime_message(s, subject, der_bytes, smime_type, filename="smime.p7m"):
    headers = gc.top_headers(s.name, STRANGER, subject, gc.stranger_trace())
    headers += [("Content-Type", 'application/pkcs7-mime; smime-type=%s; name="%s"'
                 % (smime_type, filename)),
                ("Content-Disposition", 'attachment; filename="%s"' % filename),
                ("Content-Transfer-Encoding", "base64")]
    return gc.entity(headers, gc.b64_lines(der_bytes))


@sample("smime-opaque-signed-pe.eml", item="setup.exe", reasons=["executable"])
def smime_opaque_pe(s):
    return smime_message(s, "Signed update", cms_sign(inner_with_exe()), "signed-data")


@sample("smime-compressed-pe.eml", item="setup.exe", reasons=["executable"])
def smime_compressed_pe(s):
    return smime_message(s, "Compressed update", cms_compress(inner_with_exe()),
                         "compressed-data", "smime.p7z")


@sample("smime-signed-compressed-pe.eml", item="setup.exe", reasons=["executable"])
def smime_signed_compressed_pe(s):
    inner = gc.entity([("Content-Type", 'application/pkcs7-mime; smime-type=compressed-data;'
                        ' name="smime.p7z"'), ("Content-Transfer-Encoding", "base64")],
                      gc.b64_lines(cms_compress(inner_with_exe())))
    return smime_message(s, "Signed and compressed", cms_sign(inner), "signed-data")


@sample("smime-enveloped.eml", item="smime.p7m", reasons=["encrypted"])
def smime_enveloped(s):
    return smime_message(s, "Encrypted results", cms_encrypt(inner_with_exe()),
                         "enveloped-data")


@sample("smime-not-cms.eml", item="smime.p7m", reasons=["unscannable"])
def smime_not_cms(s):
    return smime_message(s, "Signed update", b"\x30\x82\x10\x00" + gc.prng_bytes(b"not-cms", 900),
                         "signed-data")


@sample("smime-opaque-signed-text.eml", clean=True)
def smime_opaque_text(s):
    inner = gc.text_part("Bonjour,\nLe rendez-vous est confirmé pour mardi 10 h.\n")
    return smime_message(s, "Rendez-vous", cms_sign(inner), "signed-data")


@sample("smime-multipart-signed-pdf.eml", item="resultats.pdf", clean=True)
def smime_signed_pdf(s):
    boundary = "airlock-smime-signed"
    content = gc.entity([("Content-Type", gc.multipart_ct("mixed", "airlock-smime-content"))],
                        gc.multipart_body("airlock-smime-content", [
                            gc.text_part("Veuillez trouver les résultats ci-joints.\n"),
                            gc.attachment(gc.make_pdf("Resultats"), gc.MIME_PDF,
                                          "resultats.pdf")], preamble=""))
    signature = gc.attachment(cms_sign(content, detached=True), "application/pkcs7-signature",
                              "smime.p7s")
    headers = gc.top_headers(s.name, STRANGER, "Resultats", gc.stranger_trace())
    headers.append(("Content-Type", 'multipart/signed; protocol="application/pkcs7-signature";'
                    ' micalg=sha-256; boundary="%s"' % boundary))
    return gc.entity(headers, gc.multipart_body(boundary, [content, signature]))


# ================================================================ PGP

def pgp_encrypted_packets():
    """A look-alike OpenPGP message: a public-key encrypted session key
    packet (tag 1, new format) then encrypted integrity-protected data
    (tag 18), filled with fixed bytes."""
    pkesk = bytes([3]) + bytes.fromhex("1122334455667788") + bytes([1]) + \
        struct.pack(">H", 2048) + gc.prng_bytes(b"pgp-pkesk", 256)
    seipd = bytes([1]) + gc.prng_bytes(b"pgp-seipd", 300)
    return (bytes([0xC1, len(pkesk)]) if len(pkesk) < 192 else
            bytes([0xC1, ((len(pkesk) - 192) >> 8) + 192, (len(pkesk) - 192) & 0xFF])) + pkesk + \
        bytes([0xD2, ((len(seipd) - 192) >> 8) + 192, (len(seipd) - 192) & 0xFF]) + seipd


def pgp_armor(data):
    b64 = base64.b64encode(data).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return ("-----BEGIN PGP MESSAGE-----\n\n" + "\n".join(lines)
            + "\n=AbCd\n-----END PGP MESSAGE-----\n")


@sample("pgp-mime-encrypted.eml", item="encrypted.asc", reasons=["encrypted"])
def pgp_mime(s):
    boundary = "airlock-pgp-encrypted"
    version = gc.entity([("Content-Type", "application/pgp-encrypted"),
                         ("Content-Description", "PGP/MIME version identification")],
                        gc.text_lines("Version: 1\n"))
    data = gc.entity([("Content-Type", 'application/octet-stream; name="encrypted.asc"'),
                      ("Content-Disposition", 'inline; filename="encrypted.asc"')],
                     gc.text_lines(pgp_armor(pgp_encrypted_packets())))
    headers = gc.top_headers(s.name, STRANGER, "Encrypted", gc.stranger_trace())
    headers.append(("Content-Type", 'multipart/encrypted; protocol="application/pgp-encrypted";'
                    ' boundary="%s"' % boundary))
    return gc.entity(headers, gc.multipart_body(boundary, [version, data]))


@sample("pgp-inline-encrypted.eml", message=["encrypted"])
def pgp_inline(s):
    text = "Here are the files.\n\n" + pgp_armor(pgp_encrypted_packets())
    return gc.entity(gc.top_headers(s.name, STRANGER, "Files", gc.stranger_trace())
                     + [("Content-Type", "text/plain; charset=us-ascii")], gc.text_lines(text))


@sample("pgp-binary-gpg.eml", item="payload.gpg", reasons=["encrypted"])
def pgp_binary(s):
    return attach(s, pgp_encrypted_packets(), MIME_OCTET, "payload.gpg")


@sample("pgp-clearsigned-text.eml", item="ordonnance.pdf", clean=True)
def pgp_clearsigned(s):
    text = ("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
            "Le rendez-vous est confirmé pour mardi.\n"
            "-----BEGIN PGP SIGNATURE-----\n\n"
            + base64.b64encode(gc.prng_bytes(b"pgp-signature", 119)).decode()
            + "\n=XyZw\n-----END PGP SIGNATURE-----\n")
    return mail(s, "Rendez-vous", [gc.attachment(gc.make_pdf("Ordonnance"), gc.MIME_PDF,
                                                 "ordonnance.pdf")], text=text)

