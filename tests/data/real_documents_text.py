"""
real_documents_text.py - the words and plain-text files of
gen_real_documents.py: a letter, lab values, and the text formats a
practice receives as they are written by the software that sends them
(calendar invitation, vCard, HL7 v2 result, HL7 CDA document, SVG logo,
HTML newsletter, CSV export). Python 3 standard library only.
"""

LETTER = ("Cher confrère,\n"
          "Je vous adresse Mme Dupont, 54 ans, pour un bilan cardiologique.\n"
          "Tension artérielle 14/9, glycémie à jeun 1,05 g/L, créatinine 78 µmol/L.\n"
          "Merci de me tenir informé des résultats.")

# (date, analysis, value, unit, reference range)
LAB_ROWS = [
    ("2024-03-04", "Glycémie à jeun", "1,05", "g/L", "0,70-1,10"),
    ("2024-03-04", "Créatinine", "78", "µmol/L", "45-90"),
    ("2024-03-04", "Potassium", "4,2", "mmol/L", "3,5-5,0"),
    ("2024-03-04", "Base excess", "-2,5", "mmol/L", "-2-+2"),
    ("2024-03-04", "INR", "2,8", "", "2-3"),
    ("2024-03-05", "Température", "-0,4", "°C écart", ""),
    ("2024-03-05", "TSH", "1,92", "mUI/L", "0,4-4"),
]

MIME_TYPES = {
    "pdf": "application/pdf", "ps": "application/postscript",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel", "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "tif": "image/tiff",
    "bmp": "image/bmp", "webp": "image/webp", "ico": "image/vnd.microsoft.icon",
    "svg": "image/svg+xml", "dcm": "application/dicom",
    "wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg",
    "txt": "text/plain", "csv": "text/csv", "ics": "text/calendar", "vcf": "text/vcard",
    "hl7": "application/hl7-v2", "xml": "application/xml", "html": "text/html",
    "zip": "application/zip", "gz": "application/gzip", "tgz": "application/gzip",
    "xz": "application/x-xz", "zst": "application/zstd", "7z": "application/x-7z-compressed",
}


def mime_type(name):
    """The type a mail client declares for a file name (Thunderbird's and
    Outlook's usual ones)."""
    return MIME_TYPES.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def crlf(text):
    return text.replace("\n", "\r\n").encode("utf-8")


def csv_lab_values():
    lines = ["Date;Patient;Téléphone;Analyse;Valeur;Unité;Normes"]
    for date, analysis, value, unit, ref in LAB_ROWS:
        lines.append("%s;DUPONT Jean;+33 6 12 34 56 78;%s;%s;%s;%s"
                     % (date, analysis, value, unit, ref))
    lines.append("05/03/2024;MARTIN Léa;+33 1 23 45 67 89;Sodium;-3;écart mmol/L;")
    return crlf("\n".join(lines) + "\n")


ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN
METHOD:REQUEST
BEGIN:VTIMEZONE
TZID:Europe/Paris
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:3f6c1e2a-7b1d-4c1e-9f3a-2d5e8b7a0c11@partner.example
DTSTAMP:20240314T092653Z
DTSTART;TZID=Europe/Paris:20240321T140000
DTEND;TZID=Europe/Paris:20240321T150000
SUMMARY:Réunion de concertation pluridisciplinaire
LOCATION:Salle 2\\, Cabinet du Parc
ORGANIZER;CN=Secrétariat:mailto:secretariat@partner.example
ATTENDEE;CN=Dr Martin;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:
 mailto:martin@practice.example
DESCRIPTION:Ordre du jour : dossiers de la semaine.\\nVisio : https://visio.
 example.org/rcp
END:VEVENT
END:VCALENDAR
"""

VCF = """BEGIN:VCARD
VERSION:3.0
N:Martin;Claire;;Dr;
FN:Dr Claire Martin
ORG:Cabinet médical du Parc
TITLE:Médecin généraliste
TEL;TYPE=WORK,VOICE:+33 1 23 45 67 89
TEL;TYPE=CELL:+33 6 98 76 54 32
EMAIL;TYPE=INTERNET:martin@practice.example
ADR;TYPE=WORK:;;12 rue des Lilas;Paris;;75011;France
URL:https://www.example.org/cabinet
REV:20240314T092653Z
END:VCARD
"""

HL7 = ("MSH|^~\\&|LABSYS|LABO BIO|CABINET|PARC|20240314092653||ORU^R01^ORU_R01|MSG00001|P|2.5|||"
       "||FRA|UNICODE UTF-8\n"
       "PID|1||123456^^^LABO^PI||DUPONT^JEAN^^^M.||19700115|M|||12 RUE DES LILAS^^PARIS^^75011^FRA"
       "||+33612345678\n"
       "OBR|1|CMD001|RES001|GLU^Glycémie^L|||20240314080000\n"
       "OBX|1|NM|GLU^Glycémie à jeun^L||1.05|g/L|0.70-1.10|N|||F\n"
       "OBX|2|NM|BE^Base excess^L||-2.5|mmol/L|-2-2|L|||F\n"
       "OBX|3|ST|COM^Commentaire^L||Contrôle dans 3 mois||||||F\n")

CDA = """<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <templateId root="1.2.250.1.213.1.1.1.1"/>
  <id root="1.2.250.1.999.1.1.7744" extension="CR-2024-0314"/>
  <code code="11490-0" codeSystem="2.16.840.1.113883.6.1" displayName="Lettre de liaison"/>
  <title>Lettre de liaison à la sortie</title>
  <effectiveTime value="20240314092653+0100"/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
  <languageCode code="fr-FR"/>
  <recordTarget><patientRole>
    <id root="1.2.250.1.213.1.4.8" extension="1700115123456"/>
    <patient><name><given>Jean</given><family>Dupont</family></name>
      <administrativeGenderCode code="M" codeSystem="2.16.840.1.113883.5.1"/>
      <birthTime value="19700115"/></patient>
  </patientRole></recordTarget>
  <component><structuredBody><component><section>
    <title>Synthèse</title>
    <text><paragraph>Glycémie à jeun 1,05 g/L ; base excess -2,5 mmol/L.</paragraph></text>
  </section></component></structuredBody></component>
</ClinicalDocument>
"""

SVG = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="120" height="40" viewBox="0 0 120 40" version="1.1">
  <title>Cabinet du Parc</title>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#2a6"/>
    <stop offset="1" stop-color="#164"/></linearGradient></defs>
  <rect x="2" y="2" width="36" height="36" rx="6" fill="url(#g)"/>
  <path d="M14 20h12M20 14v12" stroke="#fff" stroke-width="4"/>
  <text x="46" y="26" font-family="DejaVu Sans" font-size="12" fill="#164">Cabinet</text>
</svg>
"""

HTML = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<title>Lettre d'information - mars 2024</title>
<style>body{font-family:Arial,sans-serif;color:#333} .btn{background:#2a6;color:#fff;
padding:8px 16px;text-decoration:none}</style></head>
<body><table width="600" align="center" cellpadding="0" cellspacing="0"><tr><td>
<h1>Lettre d'information du réseau de santé</h1>
<p>Au sommaire : la campagne de vaccination, les nouveaux horaires du laboratoire.</p>
<p><img src="https://www.example.org/img/banniere.png" alt="Bannière" width="600"></p>
<p><a class="btn" href="https://www.example.org/agenda">Voir l'agenda</a></p>
<p style="font-size:11px">Pour vous désinscrire :
<a href="https://www.example.org/desinscription?id=1234">cliquez ici</a>.</p>
</td></tr></table></body></html>
"""

POSTSCRIPT = """%!PS-Adobe-3.0
%%Title: courrier
%%Creator: gen_real_documents.py
%%Pages: 1
%%EndComments
/Helvetica findfont 14 scalefont setfont
72 770 moveto (Cabinet medical du Parc) show
/Helvetica findfont 11 scalefont setfont
72 740 moveto (Paris, le 14 mars 2024) show
72 710 moveto (Cher confrere, veuillez trouver le compte rendu de l'examen.) show
0.2 0.4 0.7 setrgbcolor 72 600 200 60 rectfill
0 setgray 72 580 moveto (Dr Martin) show
showpage
%%EOF
"""

NOTES = ("Notes de la réunion du 14 mars 2024\n"
         "===================================\n\n"
         "- Horaires d'été : ouverture à 8 h 30.\n"
         "- Commande de vaccins : 40 doses (≈ 1 200 €).\n"
         "- Prochaine réunion : jeudi 21 mars, 14 h.\n")


def plain_files():
    return {
        "notes-reunion.txt": NOTES.encode("utf-8"),
        "bilan-biologique.csv": csv_lab_values(),
        "invitation.ics": crlf(ICS),
        "dr-martin.vcf": crlf(VCF),
        "oru-r01.hl7": HL7.replace("\n", "\r").encode("utf-8"),
        "lettre-liaison-cda.xml": CDA.encode("utf-8"),
        "logo-cabinet.svg": SVG.encode("utf-8"),
        "newsletter-mars.html": HTML.encode("utf-8"),
    }
