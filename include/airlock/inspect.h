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
 *   PDF       /JavaScript or /JS: `macro`; /Launch, /EmbeddedFile(s):
 *             `executable`; names written with #xx escapes and object
 *             streams (FlateDecode) are decoded first;
 *   HTML/SVG  script that builds a file and saves it (Blob with
 *             createObjectURL and a download, msSaveOrOpenBlob), a file
 *             in a data:application/ URI, a base64 payload decoded by
 *             script (HTML smuggling); script in an SVG: `executable`;
 *   OOXML     a .rels part with an external attachedTemplate, oleObject,
 *             subDocument or frame relationship (remote template
 *             injection): `macro`; APPX/MSIX manifests: `executable`;
 *   OLE2      a VBA project (_VBA_PROJECT stream): `macro`; an
 *             EncryptedPackage stream (password-protected Office
 *             document): `encrypted`;
 *   ZIP       several disks, a central directory contradicting its local
 *             headers: `malformed`; overlapping entries, or more than
 *             AL_INSPECT_BOMB_MIN_BYTES declared at a ratio above
 *             AL_INSPECT_BOMB_MIN_RATIO: `limits`.
 * RTF objects, OneNote embedded files, shortcuts and disk images are
 * caught by our signatures (signatures/README.md), not here.
 *
 * Pure functions of the bytes: no I/O, no globals, thread-safe. Work is
 * linear in the size, and decompression (PDF object streams) is bounded
 * by AL_INSPECT_MAX_INFLATE_BYTES per file.
 */
#ifndef AIRLOCK_INSPECT_H
#define AIRLOCK_INSPECT_H

#include "airlock/common.h"
#include "airlock/spool.h"

#include <glib.h>

#define AL_INSPECT_BOMB_MIN_BYTES (32u * 1024 * 1024)
#define AL_INSPECT_BOMB_MIN_RATIO 100
#define AL_INSPECT_MAX_INFLATE_BYTES (16u * 1024 * 1024)

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
