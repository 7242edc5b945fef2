/*
 * scan.c - libclamav in process: one compiled engine shared by all
 * threads, one scan per item.
 *
 * SYNOPSIS
 *	al_scan_global_init(&error)
 *	scanner = al_scanner_new(config, typeid, &warnings, &error)
 *	al_scanner_scan_item(scanner, item, &error)
 *	al_scanner_unref(&scanner)
 *
 * DESCRIPTION
 *	The engine loads every database in signatures_dir (ours: .ndb,
 *	.hdb...) and, when it holds any database file, clamav_database_dir
 *	(freshclam's); a missing or empty system directory is a warning, no
 *	signature at all is an error. Limits come from [scan]; the scan time
 *	budget is given to libclamav in milliseconds. The clean-file cache is
 *	off: a cached clean inner file would skip the inspection callback,
 *	and a second message with the same zip would lose its inner list.
 *
 *	A scan runs in all-match mode with every parser and these
 *	heuristics: encrypted archives and documents, macros, exceeded
 *	limits. The "broken executable" heuristic is left off on purpose:
 *	libclamav calls anything starting with "MZ" a program, so a text file
 *	beginning "MZ..." raised Heuristics.Broken.Executable in our tests,
 *	while every real PE/ELF/Mach-O is `executable` by type anyway.
 *
 *	Callbacks fill a per-scan context:
 *	  file inspection  every layer. Depth 0 is the item: its ClamAV type
 *	                   is given to typeid (CL_TYPE_MSEXE when libmagic
 *	                   missed it). Deeper layers become al_inner entries
 *	                   ("a.zip/b.exe", "?" for an unnamed layer) typed by
 *	                   typeid from their first bytes; their `executable`
 *	                   and `disguised` findings are added to the item with
 *	                   the inner path. At most MAX_INNER_ENTRIES are kept
 *	                   (a bomb cannot exhaust memory); the rest are still
 *	                   judged and only counted. A layer that reaches the
 *	                   max file size was cut by libclamav (zip members are
 *	                   inflated up to the limit and the rest is silently
 *	                   skipped): `limits`.
 *	  virus found      every signature name, attributed to the layer whose
 *	                   descriptor reported it (descriptors are unique among
 *	                   the open layers, so the last layer inspected with
 *	                   that fd is the one being scanned).
 *	Names map to reasons: Heuristics.Encrypted.* -> encrypted, *Macros*
 *	-> macro (and virus too unless it is a heuristic), Heuristics.Limits.
 *	Exceeded.* and bombs -> limits, Heuristics.Broken.Executable ->
 *	executable, our own Airlock.<Reason>.* rules -> that reason (Airlock.
 *	Executable.LNK -> executable), anything else -> virus. The content
 *	inspectors (inspect.h) run on the whole item after the scan and on
 *	every layer the file-inspection callback reports; their findings on
 *	inner files are carried to the item with the inner path, like typeid's.
 *	Containers libclamav does not open here (unpack.h: RAR, zstd, lzip,
 *	LZMA, .Z, ar, ZIP with other methods or ZIP64, tar renamed by PAX/GNU
 *	headers), the item or any layer, and an item that is an archive in
 *	which libclamav found no file, are read with libarchive
 *	(scan_unpack.c): each member becomes a layer "container/member",
 *	judged with every name it carries (names that disagree: `disguised`;
 *	cut at the max file size: `limits`; encrypted: `encrypted`) and
 *	scanned with the same engine, its levels and path continuing the
 *	container's, so what it holds is reported by the same callbacks. A
 *	container nothing can read is `unscannable`.
 *	The ".UNOFFICIAL" suffix libclamav
 *	adds to unsigned databases is dropped so names match our files.
 *
 * DIAGNOSTICS
 *	libclamav's own messages go to a callback, never to stderr; the last
 *	warning or error of the current thread is appended to error messages.
 *	A scan that returns anything but clean, virus or a limit is an error
 *	(AL_ERROR_SCAN) naming the part: the caller must not accept.
 *
 * THREADS
 *	The engine is read-only once compiled; scans run concurrently, each
 *	with its own context. al_scanner_ref()/unref() are atomic.
 */
#include "scan_private.h"
#include "airlock/inspect.h"
#include "airlock/unpack.h"

#include <clamav.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_INNER_ENTRIES 1000
#define MAX_INNER_DETAILS 20	    /* item details quoting inner files */
#define MAX_COMPONENT_BYTES 255	    /* one name in an inner path */
#define TRUNCATION_SLACK_BYTES 4096 /* libclamav cuts at a page boundary */
#define MAX_MESSAGE_BYTES 300
#define AL_SCAN_MAX_LEVELS 256	    /* depths whose parent type is remembered */


/* The layer libclamav is scanning through a descriptor. */
struct layer {
	char *path;
	struct al_inner *inner; /* its entry in item->inner, or NULL if not listed */
};

/* A container opened with libarchive (scan_unpack.c) whose member is
 * being scanned: libclamav's levels and paths continue the container's. */
struct nest {
	const struct al_scan_container *container;
	const struct al_unpack_member *member;
	struct layer *layer; /* the member's own layer, for on_virus */
};

struct scan_context {
	struct al_scanner *scanner;
	struct nest *nest;	  /* during a member's scan, or NULL */
	gint64 deadline_us;	  /* [scan] max_seconds from the scan's start */
	struct al_item *item;
	char *top_clamav_type;	  /* ClamAV's type of the item itself */
	GPtrArray *level_types;	  /* char*: ClamAV's type of the last layer seen at each depth */
	GHashTable *layer_by_fd;  /* fd -> struct layer (absent: the item) */
	GHashTable *inner_by_key; /* layer_key() -> struct al_inner* in item->inner */
	GHashTable *seen;	  /* sentences already in the item's details */
	GHashTable *signatures;	  /* names already recorded in this scan */
	guint inner_unlisted;	  /* layers past MAX_INNER_ENTRIES */
	guint inner_details;	  /* item details quoting inner files */
	guint inner_details_unlisted;
};

/* --------------------------------------------------------------- scan */

/* Adds sentence to the item's details unless already there (libclamav
 * may visit the same layer twice, e.g. OLE2 streams). */
static void add_detail_once(struct scan_context *ctx, char *sentence)
{
	if (g_hash_table_contains(ctx->seen, sentence)) {
		g_free(sentence);
		return;
	}
	g_hash_table_add(ctx->seen, g_strdup(sentence));
	g_ptr_array_add(ctx->item->details, sentence);
}

static void inner_add_detail(struct al_inner *inner, const char *sentence)
{
	char *joined;

	if (inner->detail == NULL) {
		inner->detail = g_strdup(sentence);
		return;
	}
	if (strstr(inner->detail, sentence) != NULL)
		return;
	joined = g_strconcat(inner->detail, "; ", sentence, NULL);
	g_free(inner->detail);
	inner->detail = joined;
}

/* "clamav-<32 hex>.tmp": the name of libclamav's own temporary file for
 * a layer that had none (a mail body, a decoded attachment). */
static gboolean is_clamav_temp_name(const char *name)
{
	static const char prefix[] = "clamav-";
	const gsize prefix_length = sizeof(prefix) - 1, hex_length = 32;

	if (strncmp(name, prefix, prefix_length) != 0)
		return FALSE;
	for (gsize i = 0; i < hex_length; i++)
		if (!g_ascii_isxdigit(name[prefix_length + i]))
			return FALSE;
	return strcmp(name + prefix_length + hex_length, ".tmp") == 0;
}

/* One name of an inner path: valid UTF-8, bounded, without the leading
 * slash some containers use (CHM); "?" when unknown. */
static void append_component(GString *path, const char *name)
{
	g_autofree char *valid = NULL;
	const char *end;

	if (path->len > 0)
		g_string_append_c(path, '/');
	while (name != NULL && (*name == '/' || *name == '\\'))
		name++;
	if (name == NULL || *name == '\0' || is_clamav_temp_name(name)) {
		g_string_append_c(path, '?');
		return;
	}
	valid = g_utf8_make_valid(name, -1);
	if (strlen(valid) <= MAX_COMPONENT_BYTES) {
		g_string_append(path, valid);
		return;
	}
	end = valid + MAX_COMPONENT_BYTES;
	if ((*end & 0xC0) == 0x80)
		end = g_utf8_find_prev_char(valid, end);
	g_string_append_len(path, valid, end - valid);
	g_string_append(path, "...");
}

static char *inner_path(const char **ancestors, uint32_t level, const char *file_name)
{
	GString *path = g_string_new(NULL);

	for (uint32_t i = 0; i < level; i++)
		append_component(path, ancestors != NULL ? ancestors[i] : NULL);
	append_component(path, file_name);
	return g_string_free(path, FALSE);
}

/* libclamav inflates an archive member only up to the max file size and
 * scans that much: a layer that size was cut. */
static void check_truncated(const struct scan_context *ctx, struct al_inner *inner)
{
	guint64 max = ctx->scanner->max_filesize_bytes;
	g_autofree char *sentence = NULL;

	if (max <= TRUNCATION_SLACK_BYTES || (guint64)inner->size + TRUNCATION_SLACK_BYTES <= max)
		return;
	inner->reasons |= AL_REASON_BIT(AL_REASON_LIMITS);
	sentence = g_strdup_printf("reaches the scan limit of %" G_GUINT64_FORMAT
				   " bytes per file: the rest was not scanned",
				   max);
	inner_add_detail(inner, sentence);
}

/* Carries an inner file's findings to the item, naming its path. */
static void report_inner(struct scan_context *ctx, const struct al_inner *inner)
{
	const al_reason_set carried =
		AL_REASON_BIT(AL_REASON_EXECUTABLE) | AL_REASON_BIT(AL_REASON_DISGUISED) |
		AL_REASON_BIT(AL_REASON_LIMITS) | AL_REASON_BIT(AL_REASON_MACRO) |
		AL_REASON_BIT(AL_REASON_ENCRYPTED) | AL_REASON_BIT(AL_REASON_MALFORMED) |
		AL_REASON_BIT(AL_REASON_POLYGLOT) | AL_REASON_BIT(AL_REASON_UNKNOWN_TYPE) |
		AL_REASON_BIT(AL_REASON_UNSCANNABLE);
	char *sentence;

	if ((inner->reasons & carried) == 0)
		return;
	ctx->item->reasons |= inner->reasons & carried;
	sentence = g_strdup_printf("inside %s: %s", inner->path,
				   inner->detail != NULL ? inner->detail : "flagged");
	if (g_hash_table_contains(ctx->seen, sentence)) {
		g_free(sentence);
	} else if (ctx->inner_details >= MAX_INNER_DETAILS) {
		ctx->inner_details_unlisted++;
		g_free(sentence);
	} else {
		ctx->inner_details++;
		add_detail_once(ctx, sentence);
	}
}

static void layer_free(gpointer data)
{
	struct layer *layer = data;

	g_free(layer->path);
	g_free(layer);
}

/* The same layer seen twice (libclamav walks some OLE2 streams again) has
 * the same path, type and size; unnamed layers ("a.pdf/?") differ by
 * type or size. */
static char *layer_key(const struct al_inner *inner)
{
	return g_strdup_printf("%s\n%s\n%" G_GSIZE_FORMAT, inner->path,
			       inner->clamav_type ? inner->clamav_type : "", inner->size);
}

/* Takes inner: listed once, merged with an earlier visit of the same
 * layer, or only counted past MAX_INNER_ENTRIES. Returns the listed entry,
 * or NULL. */
static struct al_inner *keep_inner(struct scan_context *ctx, struct al_inner *inner)
{
	char *key = layer_key(inner);
	struct al_inner *existing = g_hash_table_lookup(ctx->inner_by_key, key);

	if (existing != NULL) {
		existing->reasons |= inner->reasons;
		if (inner->detail != NULL)
			inner_add_detail(existing, inner->detail);
		al_inner_free_ptr(inner);
		g_free(key);
		return existing;
	}
	if (ctx->item->inner->len >= MAX_INNER_ENTRIES) {
		ctx->inner_unlisted++;
		al_inner_free_ptr(inner);
		g_free(key);
		return NULL;
	}
	g_ptr_array_add(ctx->item->inner, inner);
	g_hash_table_insert(ctx->inner_by_key, key, inner);
	return inner;
}

/* The content inspectors (inspect.h) on a layer libclamav mapped whole. */
static void inspect_inner(struct al_inner *inner, const char *file_name, const char *buffer,
			  size_t size)
{
	g_autoptr(GPtrArray) sentences = g_ptr_array_new_with_free_func(g_free);

	if (buffer == NULL)
		return;
	inner->reasons |= al_inspect_buffer((const guint8 *)buffer, size, file_name, sentences);
	for (guint i = 0; i < sentences->len; i++)
		inner_add_detail(inner, sentences->pdata[i]);
}

/* libclamav reports layers depth first: the type last seen at each depth
 * is the parent of the next layer one level deeper. */
static void remember_level(struct scan_context *ctx, uint32_t level, const char *type)
{
	if (level >= AL_SCAN_MAX_LEVELS)
		return;
	while (ctx->level_types->len <= level)
		g_ptr_array_add(ctx->level_types, NULL);
	g_free(ctx->level_types->pdata[level]);
	ctx->level_types->pdata[level] = g_strdup(type);
}

/* Whether a layer is a file a user could get out of its parent (an
 * archive member, a part of an attached message, an OOXML embedding),
 * judged like an attachment; or a piece of its parent's format (an OLE2
 * stream, an OOXML part, a PDF object), which the parent's inspectors
 * judge. */
static gboolean is_member(const struct scan_context *ctx, uint32_t level, const char *path)
{
	const char *parent = level >= 1 && level - 1 < ctx->level_types->len
				     ? ctx->level_types->pdata[level - 1]
				     : NULL;
	enum al_category kind = al_typeid_category_of_clamav(ctx->scanner->typeid, parent);

	if (parent == NULL)
		return FALSE;
	/* Containers of files: archives, and the dangerous ones (a CHM, a
	 * disk image, an installer) whose files are judged too. */
	if (kind == AL_CAT_ARCHIVE || kind == AL_CAT_ACTIVE_DOC || kind == AL_CAT_DISK_IMAGE ||
	    kind == AL_CAT_INSTALLER || strcmp(parent, "CL_TYPE_MAIL") == 0)
		return TRUE;
	return kind == AL_CAT_DOCUMENT && strstr(path, "/embeddings/") != NULL;
}

static void classify_layer(struct scan_context *ctx, struct al_inner *inner, uint32_t level,
			   const char *file_name, const char *buffer, size_t size)
{
	g_autoptr(GPtrArray) sentences = g_ptr_array_new_with_free_func(g_free);
	const char *names[] = { file_name, NULL };
	gsize head = MIN(size, (size_t)AL_TYPEID_HEAD_BYTES);

	if (!is_member(ctx, level, inner->path)) {
		al_typeid_classify_internal(ctx->scanner->typeid, inner, buffer, head);
		return;
	}
	al_typeid_classify_inner(ctx->scanner->typeid, inner, file_name, buffer, head);
	if (inner->reasons != 0 || size == 0)
		return;
	inner->reasons |= al_typeid_allow(ctx->scanner->typeid, inner->detected_type,
					  inner->clamav_type, names, sentences);
	for (guint i = 0; i < sentences->len; i++)
		inner_add_detail(inner, sentences->pdata[i]);
}

/* ----------------------------------------------- containers (libarchive) */

/* The path of a layer inside a member being scanned: the container's
 * path, then the member's own names as libclamav gives them. */
static char *nested_path(const struct nest *nest, const char **ancestors, uint32_t own_level,
			 const char *file_name)
{
	g_autofree char *below = inner_path(ancestors, own_level,
					    own_level == 0 ? nest->member->names[0] : file_name);

	return g_strconcat(nest->container->path, "/", below, NULL);
}

/* A member libarchive extracted: typed and judged by each of its names
 * (a PAX path and a ustar name, a ZIP header name and its Unicode Path);
 * names that disagree are a disguise. */
static void judge_member(struct scan_context *ctx, struct al_inner *inner, const char *buffer,
			 size_t size)
{
	const struct al_unpack_member *member = ctx->nest->member;
	g_autoptr(GPtrArray) sentences = g_ptr_array_new_with_free_func(g_free);
	gsize head = MIN(size, (size_t)AL_TYPEID_HEAD_BYTES);

	for (guint i = 0; member->names[i] != NULL; i++)
		al_typeid_classify_inner(ctx->scanner->typeid, inner, member->names[i], buffer, head);
	if (member->names[0] != NULL && member->names[1] != NULL) {
		g_autofree char *all = g_strjoinv("', '", (char **)member->names);

		inner->reasons |= AL_REASON_BIT(AL_REASON_DISGUISED);
		g_ptr_array_add(sentences, g_strdup_printf("the archive gives this file several "
							   "names ('%s'): tools show different files",
							   all));
	}
	if (member->cut) {
		inner->reasons |= AL_REASON_BIT(AL_REASON_LIMITS);
		g_ptr_array_add(sentences, g_strdup("larger than the scan limit per file: the rest "
						    "was not scanned"));
	}
	if (inner->reasons == 0 && size > 0)
		inner->reasons |= al_typeid_allow(ctx->scanner->typeid, inner->detected_type,
						  inner->clamav_type, member->names, sentences);
	for (guint i = 0; i < sentences->len; i++)
		inner_add_detail(inner, sentences->pdata[i]);
}

/* A layer in a format libclamav does not open here (unpack.h): its
 * members are judged like the layers libclamav extracts. */
static void unpack_layer(struct scan_context *ctx, const struct layer *layer, uint32_t level,
			 const char *type, const char *buffer, size_t size)
{
	const char *format = al_unpack_needed((const guint8 *)buffer, size, type);
	struct al_scan_container container = {
		.path = layer->path,
		.inner = layer->inner,
		.depth = level + 1,
		.format = format,
		.data = (const guint8 *)buffer,
		.size = size,
	};

	if (format != NULL)
		al_scan_unpack(ctx->scanner, ctx, &container, ctx->deadline_us);
}

cl_error_t al_scan_on_inspect(int fd, const char *type, const char **ancestors,
			     size_t parent_file_size, const char *file_name, size_t file_size,
			     const char *file_buffer, uint32_t recursion_level,
			     uint32_t layer_attributes, void *context)
{
	struct scan_context *ctx = context;
	struct al_inner *inner;
	struct layer *layer;

	uint32_t own_level = recursion_level;

	(void)parent_file_size;
	if (ctx->nest != NULL)
		recursion_level += ctx->nest->container->depth;
	remember_level(ctx, recursion_level, type);
	if (recursion_level == 0) {
		g_free(ctx->top_clamav_type);
		ctx->top_clamav_type = g_strdup(type);
		if (fd >= 0)
			g_hash_table_remove(ctx->layer_by_fd, GINT_TO_POINTER(fd));
		return CL_CLEAN;
	}
	inner = al_inner_new();
	inner->path = ctx->nest != NULL ? nested_path(ctx->nest, ancestors, own_level, file_name)
				       : inner_path(ancestors, recursion_level, file_name);
	inner->clamav_type = g_strdup(type);
	inner->depth = recursion_level;
	inner->size = file_size;
	inner->encrypted = (layer_attributes & LAYER_ATTRIBUTES_DECRYPTED) != 0;
	if (ctx->nest != NULL && own_level == 0)
		judge_member(ctx, inner, file_buffer, file_size);
	else
		classify_layer(ctx, inner, recursion_level, file_name, file_buffer, file_size);
	inspect_inner(inner, file_name, file_buffer, file_size);
	check_truncated(ctx, inner);
	report_inner(ctx, inner);
	layer = g_new(struct layer, 1);
	layer->path = g_strdup(inner->path);
	layer->inner = keep_inner(ctx, inner);
	unpack_layer(ctx, layer, recursion_level, type, file_buffer, file_size);
	if (fd >= 0)
		g_hash_table_replace(ctx->layer_by_fd, GINT_TO_POINTER(fd), layer);
	else if (ctx->nest != NULL && own_level == 0 && ctx->nest->layer == NULL)
		ctx->nest->layer = layer;
	else
		layer_free(layer);
	return CL_CLEAN;
}

/* ---------------------------------------------------------- signatures */

/* Our own rules say their reason in their name: Airlock.Executable.LNK. */
static al_reason_set reasons_of_airlock_signature(const char *name)
{
	static const struct {
		const char *prefix;
		enum al_reason reason;
	} prefixes[] = {
		{ "Airlock.Executable.", AL_REASON_EXECUTABLE },
		{ "Airlock.Macro.", AL_REASON_MACRO },
		{ "Airlock.Polyglot.", AL_REASON_POLYGLOT },
		{ "Airlock.Encrypted.", AL_REASON_ENCRYPTED },
		{ "Airlock.Malformed.", AL_REASON_MALFORMED },
		{ "Airlock.Limits.", AL_REASON_LIMITS },
	};

	for (guint i = 0; i < G_N_ELEMENTS(prefixes); i++)
		if (g_str_has_prefix(name, prefixes[i].prefix))
			return AL_REASON_BIT(prefixes[i].reason);
	return 0;
}

static al_reason_set reasons_of_signature(const char *name)
{
	gboolean heuristic = g_str_has_prefix(name, "Heuristics.");
	al_reason_set ours = reasons_of_airlock_signature(name);

	if (ours != 0)
		return ours;

	if (g_str_has_prefix(name, "Heuristics.Encrypted."))
		return AL_REASON_BIT(AL_REASON_ENCRYPTED);
	if (strstr(name, "Macros") != NULL)
		return AL_REASON_BIT(AL_REASON_MACRO) |
		       (heuristic ? 0 : AL_REASON_BIT(AL_REASON_VIRUS));
	if (g_str_has_prefix(name, "Heuristics.Limits.Exceeded.") ||
	    (heuristic &&
	     (strstr(name, "Bomb") != NULL || strstr(name, "OverlappingFiles") != NULL)))
		return AL_REASON_BIT(AL_REASON_LIMITS);
	if (g_str_has_prefix(name, "Heuristics.Broken.Executable"))
		return AL_REASON_BIT(AL_REASON_EXECUTABLE);
	return AL_REASON_BIT(AL_REASON_VIRUS);
}

static char *signature_sentence(al_reason_set reasons, const char *name)
{
	if (reasons_of_airlock_signature(name) != 0)
		return g_strdup_printf("Airlock rule %s matched (signatures/README.md)", name);
	if (reasons & AL_REASON_BIT(AL_REASON_VIRUS))
		return g_strdup_printf("signature %s matched", name);
	if (reasons & AL_REASON_BIT(AL_REASON_ENCRYPTED))
		return g_strdup_printf("cannot be scanned: encrypted (%s)", name);
	if (reasons & AL_REASON_BIT(AL_REASON_MACRO))
		return g_strdup_printf("contains macros (%s)", name);
	if (reasons & AL_REASON_BIT(AL_REASON_LIMITS))
		return g_strdup_printf("not fully scanned: a scan limit was reached (%s)", name);
	return g_strdup_printf("ClamAV found a damaged program (%s)", name);
}

/* The name as in our signature files: valid, bounded, without the suffix
 * libclamav adds to unsigned databases. */
static char *signature_name(const char *virname)
{
	static const char suffix[] = ".UNOFFICIAL";
	const gsize suffix_length = sizeof(suffix) - 1;
	gsize length = MIN(strlen(virname), (gsize)MAX_MESSAGE_BYTES);

	if (length > suffix_length &&
	    strncmp(virname + length - suffix_length, suffix, suffix_length) == 0)
		length -= suffix_length;
	return g_utf8_make_valid(virname, length);
}

static void record_signature(struct scan_context *ctx, const char *virname,
			     const struct layer *where)
{
	g_autofree char *name = signature_name(virname);
	g_autofree char *sentence = NULL;
	al_reason_set reasons = reasons_of_signature(name);

	if ((reasons & AL_REASON_BIT(AL_REASON_VIRUS)) &&
	    !g_hash_table_contains(ctx->signatures, name))
		g_ptr_array_add(ctx->item->virus_names, g_strdup(name));
	g_hash_table_add(ctx->signatures, g_strdup(name));
	ctx->item->reasons |= reasons;
	sentence = signature_sentence(reasons, name);
	if (where != NULL && where->inner != NULL) {
		where->inner->reasons |= reasons;
		inner_add_detail(where->inner, sentence);
	}
	if (where != NULL)
		add_detail_once(ctx, g_strdup_printf("%s (inside %s)", sentence, where->path));
	else
		add_detail_once(ctx, g_steal_pointer(&sentence));
}

static gboolean already_recorded(const struct scan_context *ctx, const char *virname)
{
	g_autofree char *name = signature_name(virname);

	return g_hash_table_contains(ctx->signatures, name);
}

void al_scan_on_virus(int fd, const char *virname, void *context)
{
	struct scan_context *ctx = context;
	const struct layer *where = NULL;

	if (virname == NULL)
		return;
	if (fd >= 0)
		where = g_hash_table_lookup(ctx->layer_by_fd, GINT_TO_POINTER(fd));
	if (where == NULL && ctx->nest != NULL)
		where = ctx->nest->layer;
	record_signature(ctx, virname, where);
}

/* --------------------------------------------------------------- scan */

static char *shown_filename(const struct al_item *item)
{
	if (item->filename == NULL)
		return g_strdup("no name");
	return g_utf8_make_valid(item->filename, MIN(strlen(item->filename), (gsize)120));
}

static void scan_failed(const struct al_item *item, GError **error, int code, const char *what)
{
	g_autofree char *name = shown_filename(item);
	g_autofree char *suffix = NULL;

	g_set_error(error, AL_ERROR, code, "scanner failed on part %s (%s): %s%s",
		    item->part != NULL ? item->part : "?", name, what, al_scan_message_suffix(&suffix));
}

static int run_scan(struct scan_context *ctx, cl_error_t *rc_r, const char **virname_r,
		    GError **error)
{
	const struct al_item *item = ctx->item;
	struct cl_scan_options options = {
		.general = CL_SCAN_GENERAL_ALLMATCHES | CL_SCAN_GENERAL_HEURISTICS,
		.parse = ctx->scanner->image_fuzzy_hash ? ~0u : ~(unsigned)CL_SCAN_PARSE_IMAGE_FUZZY_HASH,
		.heuristic = CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE | CL_SCAN_HEURISTIC_ENCRYPTED_DOC |
			     CL_SCAN_HEURISTIC_MACROS | CL_SCAN_HEURISTIC_EXCEEDS_MAX,
		.mail = 0,
	};
	unsigned long scanned = 0;
	const void *data = NULL;
	void *mapped = MAP_FAILED;
	gsize size = 0;
	cl_fmap_t *map;

	al_scan_clear_messages();
	if (item->content.bytes != NULL) {
		data = g_bytes_get_data(item->content.bytes, &size);
	} else if (item->content.fd <= STDERR_FILENO) {
		/* Spool descriptors are never 0-2: a zeroed content is not stdin. */
		scan_failed(item, error, AL_ERROR_INTERNAL, "the part has no content");
		return -1;
	} else {
		/* A spooled part is mapped: libclamav reads the page cache
		 * instead of copying the file through its own buffers. */
		size = item->content.size;
		if (size > 0)
			mapped = mmap(NULL, size, PROT_READ, MAP_PRIVATE, item->content.fd, 0);
		if (mapped == MAP_FAILED) {
			*rc_r = cl_scandesc_callback(item->content.fd, item->filename, virname_r,
						     &scanned, ctx->scanner->engine, &options, ctx);
			return 0;
		}
		data = mapped;
	}
	map = size > 0 ? cl_fmap_open_memory(data, size) : NULL;
	if (map == NULL) {
		if (mapped != MAP_FAILED)
			munmap(mapped, size);
		scan_failed(item, error, AL_ERROR_NOMEM, "cannot map the content");
		return -1;
	}
	*rc_r = cl_scanmap_callback(map, item->filename, virname_r, &scanned, ctx->scanner->engine,
				    &options, ctx);
	cl_fmap_close(map);
	if (mapped != MAP_FAILED)
		munmap(mapped, size);
	return 0;
}

static int interpret(struct scan_context *ctx, cl_error_t rc, const char *virname, GError **error)
{
	switch (rc) {
	case CL_CLEAN:
		return 0;
	case CL_VIRUS:
		/* Normally reported through on_virus() already. */
		if (virname != NULL && !already_recorded(ctx, virname))
			record_signature(ctx, virname, NULL);
		return 0;
	case CL_ETIMEOUT:
		ctx->item->reasons |= AL_REASON_BIT(AL_REASON_LIMITS);
		add_detail_once(ctx, g_strdup_printf("not fully scanned: scanning took longer "
						     "than %u seconds",
						     ctx->scanner->max_seconds));
		return 0;
	case CL_EMAXREC:
	case CL_EMAXSIZE:
	case CL_EMAXFILES:
		ctx->item->reasons |= AL_REASON_BIT(AL_REASON_LIMITS);
		add_detail_once(ctx, g_strdup_printf("not fully scanned: %s", cl_strerror(rc)));
		return 0;
	default:
		scan_failed(ctx->item, error, AL_ERROR_SCAN, cl_strerror(rc));
		return -1;
	}
}

/* ----------------------------------------------- containers (libarchive) */

/* A member without bytes to scan (encrypted, a link, empty): judged by
 * its names alone. */
static void list_member(struct scan_context *ctx, const struct al_scan_container *container,
			const struct al_unpack_member *member)
{
	struct nest nest = { .container = container, .member = member };
	struct al_inner *inner = al_inner_new();

	inner->path = nested_path(&nest, NULL, 0, NULL);
	inner->depth = container->depth;
	inner->encrypted = member->encrypted;
	ctx->nest = &nest;
	judge_member(ctx, inner, NULL, 0);
	if (member->encrypted) {
		inner->reasons |= AL_REASON_BIT(AL_REASON_ENCRYPTED);
		inner_add_detail(inner, "cannot be scanned: encrypted");
	} else if (member->link_target != NULL) {
		g_autofree char *target = g_utf8_make_valid(member->link_target, -1);
		g_autofree char *sentence = g_strdup_printf("a link to '%s' (not followed)", target);

		inner_add_detail(inner, sentence);
	}
	report_inner(ctx, inner);
	keep_inner(ctx, inner);
}

int al_scan_member(void *context, const struct al_scan_container *container,
		   const struct al_unpack_member *member)
{
	struct scan_context *ctx = context;
	struct nest nest = { .container = container, .member = member }, *outer = ctx->nest;
	struct cl_scan_options options = {
		.general = CL_SCAN_GENERAL_ALLMATCHES | CL_SCAN_GENERAL_HEURISTICS,
		.parse = ctx->scanner->image_fuzzy_hash ? ~0u : ~(unsigned)CL_SCAN_PARSE_IMAGE_FUZZY_HASH,
		.heuristic = CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE | CL_SCAN_HEURISTIC_ENCRYPTED_DOC |
			     CL_SCAN_HEURISTIC_MACROS | CL_SCAN_HEURISTIC_EXCEEDS_MAX,
	};
	const char *virname = NULL;
	unsigned long scanned = 0;
	cl_fmap_t *map = NULL;
	cl_error_t rc;

	if (member->data != NULL && member->size > 0)
		map = cl_fmap_open_memory(member->data, member->size);
	if (map == NULL) {
		list_member(ctx, container, member);
		ctx->nest = outer;
		return 0;
	}
	ctx->nest = &nest;
	rc = cl_scanmap_callback(map, member->names[0], &virname, &scanned, ctx->scanner->engine,
				 &options, ctx);
	cl_fmap_close(map);
	if (nest.layer != NULL)
		layer_free(nest.layer);
	ctx->nest = outer;
	if (rc == CL_VIRUS && virname != NULL && !already_recorded(ctx, virname))
		record_signature(ctx, virname, NULL);
	else if (rc != CL_CLEAN && rc != CL_VIRUS)
		al_scan_container_flag(ctx, container, rc == CL_ETIMEOUT || rc == CL_EMAXREC ||
						rc == CL_EMAXSIZE || rc == CL_EMAXFILES
						? AL_REASON_LIMITS : AL_REASON_UNSCANNABLE,
				       cl_strerror(rc));
	return g_get_monotonic_time() > ctx->deadline_us ? 1 : 0;
}

void al_scan_container_flag(void *context, const struct al_scan_container *container,
			    enum al_reason reason, const char *sentence)
{
	struct scan_context *ctx = context;

	if (container->inner != NULL) {
		container->inner->reasons |= AL_REASON_BIT(reason);
		inner_add_detail(container->inner, sentence);
		report_inner(ctx, container->inner);
		return;
	}
	ctx->item->reasons |= AL_REASON_BIT(reason);
	if (container->depth <= 1)
		add_detail_once(ctx, g_strdup(sentence));
	else
		add_detail_once(ctx, g_strdup_printf("inside %s: %s", container->path, sentence));
}

/* Whether libclamav reported any file directly inside the item. */
static gboolean found_members(const struct scan_context *ctx)
{
	for (guint i = 0; i < ctx->item->inner->len; i++)
		if (((const struct al_inner *)ctx->item->inner->pdata[i])->depth == 1)
			return TRUE;
	return FALSE;
}

/* The item itself when it is a container libclamav does not open, or an
 * archive in which libclamav found nothing (opened by libarchive, or
 * `unscannable`). */
static int unpack_item(struct scan_context *ctx, GError **error)
{
	struct al_item *item = ctx->item;
	struct al_content *content = &item->content;
	g_autofree char *path = inner_path(NULL, 0, item->filename);
	struct al_scan_container container = { .path = path, .depth = 1 };
	void *mapped = MAP_FAILED;

	if (item->is_body || content->size == 0)
		return 0;
	if (content->bytes != NULL) {
		container.data = g_bytes_get_data(content->bytes, &container.size);
	} else {
		mapped = mmap(NULL, content->size, PROT_READ, MAP_PRIVATE, content->fd, 0);
		if (mapped == MAP_FAILED) {
			scan_failed(item, error, AL_ERROR_NOMEM, "cannot map the content");
			return -1;
		}
		container.data = mapped;
		container.size = content->size;
	}
	container.format = al_unpack_needed(container.data, container.size, ctx->top_clamav_type);
	if (container.format != NULL ||
	    (al_unpack_archive_type(ctx->top_clamav_type) != NULL && !found_members(ctx) &&
	     (item->reasons & AL_REASON_BIT(AL_REASON_ENCRYPTED)) == 0))
		al_scan_unpack(ctx->scanner, ctx, &container, ctx->deadline_us);
	if (mapped != MAP_FAILED)
		munmap(mapped, content->size);
	return 0;
}

/* The content inspectors (inspect.h) on the whole item; text bodies are
 * shown, never opened as files. */
static int inspect_item(struct scan_context *ctx, GError **error)
{
	struct al_item *item = ctx->item;
	g_autoptr(GPtrArray) sentences = g_ptr_array_new_with_free_func(g_free);
	al_reason_set reasons = 0;

	if (item->is_body)
		return 0;
	if (al_inspect_content(&item->content, item->filename, sentences, &reasons, error) < 0) {
		g_prefix_error(error, "part %s: ", item->part != NULL ? item->part : "?");
		return -1;
	}
	item->reasons |= reasons;
	for (guint i = 0; i < sentences->len; i++)
		add_detail_once(ctx, g_strdup(sentences->pdata[i]));
	return 0;
}

/* `unknown-type` says "nothing else explains why this stops": an item
 * that has a more telling finding (a program inside, a bomb) is not
 * also unknown-type because of a sibling file; the inner files keep
 * their own reasons and details. */
static void keep_telling_reasons(struct al_item *item)
{
	const al_reason_set unknown = AL_REASON_BIT(AL_REASON_UNKNOWN_TYPE);

	if ((item->reasons & unknown) && (item->reasons & ~unknown) != 0)
		item->reasons &= ~unknown;
}

static void finish(struct scan_context *ctx)
{
	struct al_item *item = ctx->item;

	al_typeid_classify_item_clamav(ctx->scanner->typeid, item, ctx->top_clamav_type);
	al_typeid_allow_item(ctx->scanner->typeid, item, ctx->top_clamav_type);
	keep_telling_reasons(item);
	if (ctx->inner_details_unlisted > 0)
		g_ptr_array_add(item->details,
				g_strdup_printf("%u more embedded files were flagged",
						ctx->inner_details_unlisted));
	if (ctx->inner_unlisted > 0)
		g_ptr_array_add(
			item->details,
			g_strdup_printf("%u more embedded files were scanned but not listed",
					ctx->inner_unlisted));
}

static void prepare(struct scan_context *ctx, struct al_scanner *scanner, struct al_item *item)
{
	if (item->details == NULL)
		item->details = g_ptr_array_new_with_free_func(g_free);
	if (item->virus_names == NULL)
		item->virus_names = g_ptr_array_new_with_free_func(g_free);
	if (item->inner == NULL)
		item->inner = g_ptr_array_new_with_free_func(al_inner_free_ptr);
	*ctx = (struct scan_context){
		.scanner = scanner,
		.item = item,
		.layer_by_fd =
			g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, layer_free),
		.inner_by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
		.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
		.signatures = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
		.level_types = g_ptr_array_new_with_free_func(g_free),
		.deadline_us = g_get_monotonic_time() + (gint64)scanner->max_seconds * G_USEC_PER_SEC,
	};
	for (guint i = 0; i < item->details->len; i++)
		g_hash_table_add(ctx->seen, g_strdup(item->details->pdata[i]));
	for (guint i = 0; i < item->virus_names->len; i++)
		g_hash_table_add(ctx->signatures, g_strdup(item->virus_names->pdata[i]));
}

static void context_clear(struct scan_context *ctx)
{
	g_free(ctx->top_clamav_type);
	g_ptr_array_unref(ctx->level_types);
	g_hash_table_destroy(ctx->layer_by_fd);
	g_hash_table_destroy(ctx->inner_by_key);
	g_hash_table_destroy(ctx->seen);
	g_hash_table_destroy(ctx->signatures);
}

int al_scanner_scan_item(struct al_scanner *scanner, struct al_item *item, GError **error)
{
	struct scan_context ctx;
	const char *virname = NULL;
	cl_error_t rc = CL_CLEAN;
	int result = -1;

	prepare(&ctx, scanner, item);
	if (item->content.size == 0) {
		result = 0;
		goto out;
	}
	if (run_scan(&ctx, &rc, &virname, error) < 0 || interpret(&ctx, rc, virname, error) < 0 ||
	    unpack_item(&ctx, error) < 0 || inspect_item(&ctx, error) < 0)
		goto out;
	finish(&ctx);
	result = 0;
out:
	context_clear(&ctx);
	return result;
}
