"""
threats_mime.py - issue 15, the MIME walk: names that hide the real one,
parts that are attachments although no name says so, and files hidden
inside text parts (uuencode with other modes, begin-base64, yEnc).

Each trick hides a harmless look-alike (gen_corpus's "ret" PE, a script
that shows an alert, HTML smuggling a few bytes); the clean controls are
ordinary mail of the same shapes (a newsletter with inline images, a
mailing-list footer, a calendar invitation, a forwarded message, a reply
that quotes uuencode-looking text) that must be accepted from a known
sender. Each control carries a PDF so that an unknown sender's copy is
stripped (unknown-origin) rather than accepted: the checker expects so.
"""

import base64
import binascii

import gen_corpus as gc
from threatlib import CRLF, MIME_HTML, MIME_OCTET, STRANGER, mail, sample

JS = b'var shell = new ActiveXObject("WScript.Shell");\r\nWScript.Echo("alert");\r\n'
VBS = b'MsgBox "alert"\r\n'
REG = (b"Windows Registry Editor Version 5.00\r\n\r\n"
       b"[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run]\r\n"
       b"\"Updater\"=\"C:\\\\Users\\\\Public\\\\ret.exe\"\r\n")
HTML_SMUGGLING = b"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Document</title></head>
<body><p>Loading your document...</p>
<script>
var bytes = new Uint8Array([77, 90, 144, 0, 3, 0, 0, 0]);
var blob = new Blob([bytes], {type: 'application/octet-stream'});
var a = document.createElement('a');
a.href = URL.createObjectURL(blob);
a.download = 'document.exe';
document.body.appendChild(a);
a.click();
</script></body></html>
"""
EXE_ALSO = ["disguised", "unknown-type"]


def part(headers, data):
    return gc.entity(list(headers) + [("Content-Transfer-Encoding", "base64")],
                     gc.b64_lines(data))


def one_part(s, headers, data, subject="Invoice"):
    return mail(s, subject, [part(headers, data)])


# ================================================================ names

@sample("mime-two-filenames.eml", item="invoice.pdf", reasons=["executable", "disguised"],
        also=["unknown-type"])
def two_filenames(s):
    return one_part(s, [("Content-Type", "application/pdf"),
                        ("Content-Disposition",
                         'attachment; filename="invoice.pdf"; filename="invoice.exe"')],
                    gc.make_pe())


@sample("mime-two-names.eml", item="invoice.pdf", reasons=["executable", "disguised"],
        also=["unknown-type"])
def two_names(s):
    return one_part(s, [("Content-Type", 'application/pdf; name="invoice.pdf"; name="invoice.js"'),
                        ("Content-Disposition", "attachment")], JS)


@sample("mime-rfc2231-vs-plain.eml", item="invoice.js", reasons=["executable", "disguised"],
        also=["unknown-type"])
def rfc2231_vs_plain(s):
    return one_part(s, [("Content-Type", "application/pdf"),
                        ("Content-Disposition",
                         "attachment; filename*=utf-8''invoice.js;\r\n\tfilename=\"invoice.pdf\"")],
                    JS)


@sample("mime-nul-rfc2231.eml", item="invoice.pdf", reasons=["executable", "disguised"],
        also=["unknown-type"])
def nul_rfc2231(s):
    return one_part(s, [("Content-Type", "application/pdf"),
                        ("Content-Disposition",
                         "attachment; filename*=utf-8''invoice.pdf%00.exe")], gc.make_pe())


@sample("mime-nul-rfc2047.eml", item=None, message=["executable", "disguised"],
        also=["unknown-type"])
def nul_rfc2047(s):
    # The name GMime shows depends on its handling of the NUL: any name
    # the item carries, the finding must be there.
    return one_part(s, [("Content-Type", "application/octet-stream"),
                        ("Content-Disposition",
                         'attachment; filename="=?utf-8?Q?invoice.pdf=00.js?="')], JS)


@sample("mime-nul-rfc2047-base64.eml", item=None, message=["executable", "disguised"],
        also=["unknown-type"])
def nul_rfc2047_b(s):
    word = "=?utf-8?B?%s?=" % base64.b64encode(b"invoice.pdf\0.exe").decode()
    return one_part(s, [("Content-Type", "application/octet-stream"),
                        ("Content-Disposition", 'attachment; filename="%s"' % word)],
                    gc.make_pe())


@sample("mime-disposition-no-semicolon.eml", item="invoice.exe",
        reasons=["executable", "disguised"], also=["unknown-type"])
def disposition_no_semicolon(s):
    return one_part(s, [("Content-Type", "application/octet-stream"),
                        ("Content-Disposition", "attachment filename=invoice.exe")], gc.make_pe())


@sample("mime-name-vs-filename.eml", item="invoice.pdf", reasons=["executable", "disguised"],
        also=["unknown-type"])
def name_vs_filename(s):
    return one_part(s, [("Content-Type", 'application/pdf; name="invoice.js"'),
                        ("Content-Disposition", 'attachment; filename="invoice.pdf"')], JS)


# ================================================================ unnamed parts

UNNAMED = [
    ("javascript", "text/javascript", JS),
    ("vbscript", "text/vbscript", VBS),
    ("regedit", "text/x-ms-regedit", REG),
    ("msdownload", "application/x-msdownload", gc.make_pe()),
]

for _kind, _ctype, _data in UNNAMED:
    def _unnamed(s, ctype=_ctype, data=_data):
        return one_part(s, [("Content-Type", ctype)], data)
    sample("mime-unnamed-%s.eml" % _kind, item=None, message=["executable"],
           also=["disguised", "unknown-type", "macro"])(_unnamed)


@sample("mime-second-html-smuggling.eml", item=None, message=["executable"],
        also=["disguised", "unknown-type"])
def second_html(s):
    # Outlook offers a second text/html part of multipart/mixed as
    # ATT00001.htm, which opens in a browser and runs its script.
    html = gc.entity([("Content-Type", "text/html; charset=utf-8"),
                      ("Content-Transfer-Encoding", "7bit")], HTML_SMUGGLING.replace(b"\n", CRLF))
    return mail(s, "Document", [html])


# ================================================================ hidden in text

def text_message(s, body, subject="File"):
    headers = gc.top_headers(s.name, STRANGER, subject, gc.stranger_trace())
    headers += [("Content-Type", "text/plain; charset=us-ascii"),
                ("Content-Transfer-Encoding", "7bit")]
    return gc.entity(headers, body)


def uuencode(data):
    return b"".join(binascii.b2a_uu(data[i:i + 45], backtick=True).rstrip(b"\n") + CRLF
                    for i in range(0, len(data), 45)) + b"`" + CRLF


@sample("mime-uuencode-755.eml", item="setup.exe", reasons=["executable"], also=EXE_ALSO)
def uuencode_755(s):
    body = (gc.text_lines("Hello,\n\nthe tool follows.\n") + b"begin 755 setup.exe" + CRLF
            + uuencode(gc.make_pe()) + b"end" + CRLF + gc.text_lines("Bye\n"))
    return text_message(s, body)


@sample("mime-begin-base64.eml", item="invoice.js", reasons=["executable"], also=EXE_ALSO)
def begin_base64(s):
    body = (gc.text_lines("Hello,\n\nthe invoice follows.\n") + b"begin-base64 644 invoice.js"
            + CRLF + gc.b64_lines(JS, 60) + b"====" + CRLF + gc.text_lines("Bye\n"))
    return text_message(s, body)


def yenc(data, width=128):
    out, line = [], bytearray()
    for byte in data:
        c = (byte + 42) & 0xFF
        if c in (0, 0x0A, 0x0D, 0x3D) or (not line and c in (0x09, 0x20, 0x2E)):
            line += b"=" + bytes([(c + 64) & 0xFF])
        else:
            line.append(c)
        if len(line) >= width:
            out.append(bytes(line) + CRLF)
            line = bytearray()
    if line:
        out.append(bytes(line) + CRLF)
    return b"".join(out)


@sample("mime-yenc-single.eml", item="setup.exe", reasons=["executable"], also=EXE_ALSO)
def yenc_single(s):
    pe = gc.make_pe()
    body = (gc.text_lines("Hello,\n\nthe tool follows.\n")
            + b"=ybegin line=128 size=%d name=setup.exe" % len(pe) + CRLF + yenc(pe)
            + b"=yend size=%d crc32=%08x" % (len(pe), binascii.crc32(pe)) + CRLF
            + gc.text_lines("Bye\n"))
    return text_message(s, body)


@sample("mime-yenc-multipart.eml", item="report.exe", reasons=["executable"], also=EXE_ALSO)
def yenc_multipart(s):
    pe = gc.make_pe()
    half = len(pe) // 2
    body = gc.text_lines("Hello,\n\nthe report follows in two parts.\n")
    for number, (begin, end) in enumerate([(0, half), (half, len(pe))], 1):
        chunk = pe[begin:end]
        body += (b"=ybegin part=%d total=2 line=128 size=%d name=report.exe" % (number, len(pe))
                 + CRLF + b"=ypart begin=%d end=%d" % (begin + 1, end) + CRLF + yenc(chunk)
                 + b"=yend size=%d part=%d pcrc32=%08x" % (len(chunk), number,
                                                         binascii.crc32(chunk)) + CRLF)
    return text_message(s, body + gc.text_lines("Bye\n"))


# ================================================================ clean controls

def pdf_part(filename="programme.pdf"):
    return gc.attachment(gc.make_pdf("Programme"), "application/pdf", filename)


@sample("mime-clean-newsletter.eml", item="programme.pdf", clean=True)
def clean_newsletter(s):
    html = ('<html><body><img src="cid:logo@news.example.org" alt="logo">'
            '<h1>Nouvelles du cabinet</h1><p>Horaires d\'ete: 8h-18h.</p>'
            '<img src="cid:map@news.example.org" alt="plan"></body></html>\n')
    alternative = gc.entity([("Content-Type", gc.multipart_ct("alternative", "news-alt"))],
                            gc.multipart_body("news-alt", [
                                gc.text_part("Nouvelles du cabinet\nHoraires d'ete: 8h-18h.\n"),
                                gc.text_part(html, "html")], preamble=None))
    images = [gc.attachment(gc.make_png(), "image/png", name, disposition="inline",
                            cid="%s@news.example.org" % cid)
              for name, cid in [("logo.png", "logo"), ("plan.png", "map")]]
    related = gc.entity([("Content-Type", 'multipart/related; type="multipart/alternative"; '
                                          'boundary="news-rel"')],
                        gc.multipart_body("news-rel", [alternative] + images, preamble=None))
    headers = gc.top_headers(s.name, STRANGER, "Nouvelles du cabinet", gc.stranger_trace())
    headers.append(("Content-Type", gc.multipart_ct("mixed", "news-mixed")))
    return gc.entity(headers, gc.multipart_body("news-mixed", [related, pdf_part()]))


@sample("mime-clean-list-footer.eml", item="programme.pdf", clean=True)
def clean_list_footer(s):
    footer = gc.text_part("_______________________________________________\n"
                          "Liste medecins-info\nDesinscription: https://lists.example.org/\n")
    return mail(s, "[medecins-info] Programme", [pdf_part(), footer],
                text="Bonjour,\n\nle programme de la journee est joint.\n")


@sample("mime-clean-txt-ics.eml", item="invitation.ics", clean=True)
def clean_txt_ics(s):
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Agenda//FR\r\nMETHOD:REQUEST\r\n"
           "BEGIN:VEVENT\r\nUID:20240611T090000-1@example.org\r\nDTSTAMP:20240601T080000Z\r\n"
           "DTSTART:20240611T090000Z\r\nDTEND:20240611T100000Z\r\n"
           "SUMMARY:Reunion de service\r\nLOCATION:Salle 2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    notes = b"Ordre du jour:\r\n1. Planning\r\n2. Materiel\r\n"
    return mail(s, "Reunion", [gc.attachment(notes, "text/plain", "ordre-du-jour.txt"),
                               gc.attachment(ics.encode(), "text/calendar", "invitation.ics")])


@sample("mime-clean-forwarded-pdf.eml", item="resultats.pdf", clean=True)
def clean_forwarded(s):
    inner = gc.mixed_message("mime-clean-forwarded-inner", "Lab <lab@other.example>",
                             "Resultats", "Les resultats sont joints.\n",
                             [pdf_part("resultats.pdf")])
    forwarded = gc.entity([("Content-Type", "message/rfc822"),
                           ("Content-Disposition", "inline")], inner)
    return mail(s, "Fwd: Resultats", [forwarded], text="Pour info.\n")


@sample("mime-clean-quoted-uuencode.eml", item="programme.pdf", clean=True)
def clean_quoted_uuencode(s):
    text = ("Bonjour,\n\nvotre fichier est arrive illisible, voici ce que je vois:\n\n"
            "> begin 644 compte-rendu.pdf\n> M)5!$1BTQ+C<*)>+CS],*\n> `\n> end\n\n"
            "Pourriez-vous l'envoyer en piece jointe? Nous allons begin 2024 planning.\n"
            "=ybegin etait dans l'objet, sans fichier.\n\nMerci\n")
    return mail(s, "Re: compte-rendu", [pdf_part()], text=text)
