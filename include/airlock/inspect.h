/*
 * inspect.h - content inspectors: what a file's structure reveals that
 * neither its type nor a byte signature can tell.
 *
 * One call looks at a whole file (an attachment, or a file the scanner
 * found inside one) and runs every inspector that applies to it:
 *   DICOM     the 128-byte preamble before "DICM" must be zeros or a TIFF
 *             header; a program header (MZ+PE, ELF, Mach-O, #!) or any
 *             other content is `polyglot` (CVE-2019-11687);
 *   polyglot  a program or an archive after the end of a PDF, JPEG, PNG
 *             or ZIP, a ZIP behind an image or a PDF, a PDF header in a
 *             program: `polyglot`;
 *   PDF       every object as qpdf reads it (object streams, every
 *             filter chain, #xx names decoded; inspect_pdf.c): /JS, a
 *             /JavaScript action or name tree, XFA <script>/<execute>
 *             (libxml2): `macro`; /Launch, embedded files, file
 *             attachment annotations, /OpenAction or /AA opening a URL
 *             to a program or script, or sending/fetching a remote file:
 *             `executable`; a password it cannot open: `encrypted`; a
 *             file starting with %PDF- that qpdf cannot open: `unscannable`;
 *             past AL_INSPECT_PDF_MAX_OBJECTS objects or the time budget:
 *             `limits`;
 *   HTML/SVG  parsed with libxml2, script read by tokens with strings
 *             folded (inspect_markup.c): script that builds a file and
 *             saves it (Blob with createObjectURL and a download,
 *             msSaveOrOpenBlob), a file in a data:application/ URL, a
 *             meta refresh to a data: URL, a payload decoded by script
 *             (HTML smuggling); in an SVG a script element in any
 *             namespace, an event handler, a javascript: or non-image
 *             data: URL, a frame in a foreignObject: `executable`;
 *   RTF       a tokenizer (inspect_rtf.c): a remote \template, an
 *             INCLUDEPICTURE/INCLUDETEXT/LINK field with a remote URL, a
 *             DDE/DDEAUTO field, an embedded or linked OLE object:
 *             `macro`; groups nested past its limit: `limits`;
 *   CSV       cells of .csv/.tsv/.txt text starting with = + - @ that
 *             call DDE (cmd|'...'!A1), HYPERLINK to a program or
 *             WEBSERVICE/IMPORTXML (inspect_csv.c): `macro`;
 *   Office    the XML parts of OOXML, Flat OPC, Word 2003 XML and ODF
 *   XML       documents, parsed with libxml2 (inspect_office.c): external
 *             attachedTemplate, oleObject, subDocument or frame
 *             relationships and remote document targets (template
 *             injection), VBA, macro sheet and ActiveX relationships or
 *             content types, DDE/DDEAUTO fields, DDE links and formulas,
 *             Excel 4.0 macro sheets, Auto_Open names, ActiveMime and
 *             docSuppData in Word 2003 XML, ODF Basic/Scripts, scripts
 *             and event listeners: `macro`; ODF manifest encryption
 *             data: `encrypted`; a part over
 *             AL_INSPECT_OFFICE_MAX_PART_BYTES or with too many nodes:
 *             `limits`; APPX/MSIX manifests: `executable`;
 *   OLE2      a VBA project (_VBA_PROJECT stream): `macro`; an
 *             EncryptedPackage stream (password-protected Office
 *             document): `encrypted`;
 *   ZIP       several disks, a central directory contradicting its local
 *             headers: `malformed`; overlapping entries, or more than
 *             AL_INSPECT_BOMB_MIN_BYTES declared at a ratio above
 *             AL_INSPECT_BOMB_MIN_RATIO: `limits`.
 * OneNote embedded files, shortcuts and disk images are caught by our
 * signatures (signatures/README.md), not here; containers libclamav does
 * not open here (RAR, zstd, lzip, LZMA, .Z, ar, ZIP with LZMA/XZ/zstd
 * members or ZIP64, tar renamed by PAX/GNU headers) are opened by the
 * scanner with libarchive (unpack.h): members judged like libclamav's,
 * names that disagree `disguised`, unreadable `unscannable`; TNEF, S/MIME and PGP
 * wrappers are opened (or found encrypted) by the MIME walk
 * (mime_wrap.c), their files becoming items of their own.
 *
 * Pure functions of the bytes: no I/O, no globals, thread-safe. Work is
 * linear in the size, and decompression (the PDF streams the inspector
 * decodes itself) is bounded by AL_INSPECT_MAX_INFLATE_BYTES per file;
 * qpdf expands object streams itself, in memory.
 */
#ifndef AIRLOCK_INSPECT_H
#define AIRLOCK_INSPECT_H

#include "airlock/common.h"
#include "airlock/spool.h"

#include <glib.h>

#define AL_INSPECT_BOMB_MIN_BYTES (32u * 1024 * 1024)
#define AL_INSPECT_BOMB_MIN_RATIO 100
#define AL_INSPECT_MAX_INFLATE_BYTES (16u * 1024 * 1024)
#define AL_INSPECT_PDF_MAX_OBJECTS 200000u
#define AL_INSPECT_PDF_TIME_BUDGET_USEC (10 * G_USEC_PER_SEC)
#define AL_INSPECT_OFFICE_MAX_PART_BYTES (64u * 1024 * 1024)

/*
 * Inspects data (len bytes: the whole file) whose name is name (may be
 * NULL; only its extension and, for archive members, its base name are
 * used). Returns the reasons found; when details is not NULL, appends one
 * sentence (transfer full, char*) per finding.
 */
al_reason_set al_inspect_buffer(const guint8 *data, gsize len, const char *name,
				GPtrArray *details);

/*
 * The same on a part's decoded content (memory, or a spool file mapped
 * read-only). Returns 0 with *reasons_r set, or -1 with error when the
 * spool file cannot be mapped.
 */
int al_inspect_content(const struct al_content *content, const char *name, GPtrArray *details,
		       al_reason_set *reasons_r, GError **error);

#endif
