/*
 * scan_engine.c - libclamav's set-up and the scanner's engine: limits,
 * temporary directory, our signatures and freshclam's database, the
 * callbacks, and the refcount that lets a reload swap engines while
 * scans finish on the old one (see scan.h).
 */
#include "scan_private.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_MESSAGE_BYTES 300

/* libclamav's warnings and errors since the current load or scan began in
 * this thread, joined by "; " (transfer full). */
static GPrivate last_message = G_PRIVATE_INIT(g_free);

static cl_error_t global_init_result;

static void on_clamav_message(enum cl_msg severity, const char *fullmsg, const char *msg,
			      void *context)
{
	const char *before = g_private_get(&last_message);
	g_autofree char *line = NULL;

	(void)fullmsg;
	(void)context;
	if (severity < CL_MSG_WARN || msg == NULL)
		return;
	if (before != NULL && strlen(before) >= MAX_MESSAGE_BYTES)
		return;
	line = g_utf8_make_valid(msg, MIN(strcspn(msg, "\r\n"), (gsize)MAX_MESSAGE_BYTES));
	g_private_replace(&last_message, before != NULL ? g_strconcat(before, "; ", line, NULL)
							: g_steal_pointer(&line));
}

/* ": message" for an error text, or "". */
const char *al_scan_message_suffix(char **buffer)
{
	const char *message = g_private_get(&last_message);

	if (message == NULL || message[0] == '\0')
		return "";
	*buffer = g_strconcat(": ", message, NULL);
	return *buffer;
}

void al_scan_clear_messages(void)
{
	g_private_replace(&last_message, NULL);
}

static gpointer global_init_once(gpointer data)
{
	(void)data;
	cl_set_clcb_msg(on_clamav_message);
	global_init_result = cl_init(CL_INIT_DEFAULT);
	return NULL;
}

int al_scan_global_init(GError **error)
{
	static GOnce once = G_ONCE_INIT;

	g_once(&once, global_init_once, NULL);
	if (global_init_result != CL_SUCCESS) {
		g_set_error(error, AL_ERROR, AL_ERROR_SCAN, "cannot initialise libclamav: %s",
			    cl_strerror(global_init_result));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- engine */

static int set_limits(struct cl_engine *engine, const struct al_config *config, GError **error)
{
	const struct {
		enum cl_engine_field field;
		guint64 value;
		const char *name;
	} limits[] = {
	    {CL_ENGINE_MAX_FILESIZE, config->scan_max_filesize_bytes, "max file size"},
	    {CL_ENGINE_MAX_SCANSIZE, config->scan_max_scansize_bytes, "max scan size"},
	    {CL_ENGINE_MAX_RECURSION, config->scan_max_recursion, "max recursion"},
	    {CL_ENGINE_MAX_FILES, config->scan_max_files, "max files"},
	    {CL_ENGINE_MAX_SCANTIME, (guint64)config->scan_max_seconds * 1000, "max scan time"},
	    {CL_ENGINE_DISABLE_CACHE, 1, "clean-file cache switch"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(limits); i++) {
		guint64 value = MIN(limits[i].value, (guint64)G_MAXUINT32);
		cl_error_t rc;

		/* 64-bit fields take larger values; the 32-bit ones are clamped. */
		if (limits[i].field == CL_ENGINE_MAX_FILESIZE ||
		    limits[i].field == CL_ENGINE_MAX_SCANSIZE)
			value = MIN(limits[i].value, (guint64)G_MAXINT64);
		rc = cl_engine_set_num(engine, limits[i].field, (long long)value);
		if (rc != CL_SUCCESS) {
			g_set_error(error, AL_ERROR, AL_ERROR_SCAN, "cannot set libclamav's %s: %s",
				    limits[i].name, cl_strerror(rc));
			return -1;
		}
	}
	return 0;
}

/* Extracted layers go to our private spool directory rather than /tmp. */
static int set_tmpdir(struct cl_engine *engine, const struct al_config *config, GPtrArray *warnings,
		      GError **error)
{
	cl_error_t rc;

	if (config->spool_dir == NULL)
		return 0;
	if (!g_file_test(config->spool_dir, G_FILE_TEST_IS_DIR)) {
		g_ptr_array_add(warnings, g_strdup_printf("spool directory %s does not exist: "
							  "ClamAV extracts files to the system "
							  "temporary directory",
							  config->spool_dir));
		return 0;
	}
	rc = cl_engine_set_str(engine, CL_ENGINE_TMPDIR, config->spool_dir);
	if (rc != CL_SUCCESS) {
		g_set_error(error, AL_ERROR, AL_ERROR_SCAN, "cannot set libclamav's tmpdir: %s",
			    cl_strerror(rc));
		return -1;
	}
	return 0;
}

static int load_signatures(struct cl_engine *engine, const char *dir, guint *count_r,
			   GError **error)
{
	unsigned int loaded = 0;
	g_autofree char *suffix = NULL;
	cl_error_t rc;

	al_scan_clear_messages();
	rc = cl_load(dir, engine, &loaded, CL_DB_STDOPT);
	if (rc != CL_SUCCESS) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG,
			    "cannot load signatures from %s: %s%s", dir, cl_strerror(rc),
			    al_scan_message_suffix(&suffix));
		return -1;
	}
	*count_r += loaded;
	return 0;
}

gboolean al_scan_is_database_file(const char *name)
{
	static const char *const extensions[] = {
	    ".cvd", ".cld", ".cud", ".ndb", ".ndu", ".ldb", ".ldu", ".hdb",  ".hdu",  ".hsb",
	    ".hsu", ".mdb", ".mdu", ".msb", ".msu", ".cdb", ".cbc", ".yar",  ".yara", ".idb",
	    ".pdb", ".wdb", ".gdb", ".ftm", ".fp",  ".sfp", ".ign", ".ign2", ".crb",  ".sdb",
	};

	for (guint i = 0; i < G_N_ELEMENTS(extensions); i++)
		if (g_str_has_suffix(name, extensions[i]))
			return TRUE;
	return FALSE;
}

/* Why dir cannot be loaded (transfer full), or NULL when it holds at least
 * one database file. */
static char *database_dir_problem(const char *dir)
{
	g_autoptr(GDir) listing = NULL;
	g_autoptr(GError) error = NULL;
	const char *name;

	listing = g_dir_open(dir, 0, &error);
	if (listing == NULL)
		return g_strdup_printf("ClamAV database directory %s cannot be read (%s): only "
				       "Airlock's own signatures are loaded",
				       dir, error->message);
	while ((name = g_dir_read_name(listing)) != NULL)
		if (al_scan_is_database_file(name))
			return NULL;
	return g_strdup_printf("ClamAV database directory %s holds no database (run freshclam): "
			       "only Airlock's own signatures are loaded",
			       dir);
}

/* [scan] image_fuzzy_hash: "yes", "no", or "auto" (also when unset):
 * whether a loaded database has a fuzzy_img signature (scan_fuzzy.c). */
static gboolean uses_fuzzy_hashes(const struct al_config *config, gboolean system_loaded)
{
	const char *mode = config->scan_image_fuzzy_hash;

	if (g_strcmp0(mode, "yes") == 0)
		return TRUE;
	if (g_strcmp0(mode, "no") == 0)
		return FALSE;
	return al_scan_dir_uses_fuzzy_img(config->signatures_dir) ||
	       (config->clamav_database_dir != NULL && system_loaded &&
		al_scan_dir_uses_fuzzy_img(config->clamav_database_dir));
}

static int load_all(struct al_scanner *scanner, const struct al_config *config, GPtrArray *warnings,
		    GError **error)
{
	g_autofree char *problem = NULL;
	gboolean system_loaded = FALSE;

	if (config->signatures_dir == NULL) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG, "[scan] signatures is not set");
		return -1;
	}
	if (load_signatures(scanner->engine, config->signatures_dir, &scanner->signature_count,
			    error) < 0)
		return -1;
	if (config->clamav_database_dir != NULL) {
		problem = database_dir_problem(config->clamav_database_dir);
		if (problem != NULL)
			g_ptr_array_add(warnings, g_steal_pointer(&problem));
		else if (load_signatures(scanner->engine, config->clamav_database_dir,
					 &scanner->signature_count, error) < 0)
			return -1;
		else
			system_loaded = TRUE;
	}
	scanner->image_fuzzy_hash = uses_fuzzy_hashes(config, system_loaded);
	scanner->clamav_loaded = system_loaded;
	if (scanner->signature_count == 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG, "no signature loaded from %s%s%s",
			    config->signatures_dir, config->clamav_database_dir ? " nor " : "",
			    config->clamav_database_dir ? config->clamav_database_dir : "");
		return -1;
	}
	return 0;
}

static int build_engine(struct al_scanner *scanner, const struct al_config *config,
			GPtrArray *warnings, GError **error)
{
	g_autofree char *suffix = NULL;
	cl_error_t rc;

	scanner->engine = cl_engine_new();
	if (scanner->engine == NULL) {
		g_set_error(error, AL_ERROR, AL_ERROR_NOMEM, "cannot create a libclamav engine");
		return -1;
	}
	if (set_limits(scanner->engine, config, error) < 0 ||
	    set_tmpdir(scanner->engine, config, warnings, error) < 0 ||
	    load_all(scanner, config, warnings, error) < 0)
		return -1;
	al_scan_clear_messages();
	rc = cl_engine_compile(scanner->engine);
	if (rc != CL_SUCCESS) {
		g_set_error(error, AL_ERROR, AL_ERROR_SCAN, "cannot compile the signatures: %s%s",
			    cl_strerror(rc), al_scan_message_suffix(&suffix));
		return -1;
	}
	cl_engine_set_clcb_file_inspection(scanner->engine, al_scan_on_inspect);
	cl_engine_set_clcb_virus_found(scanner->engine, al_scan_on_virus);
	return 0;
}

struct al_scanner *al_scanner_new(const struct al_config *config, struct al_typeid *typeid,
				  GPtrArray **warnings_r, GError **error)
{
	struct al_scanner *scanner = g_new0(struct al_scanner, 1);
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);

	scanner->refcount = 1;
	scanner->typeid = typeid;
	scanner->max_filesize_bytes = config->scan_max_filesize_bytes;
	scanner->max_seconds = config->scan_max_seconds;
	if (al_scan_global_init(error) < 0 || build_engine(scanner, config, warnings, error) < 0) {
		al_scanner_unref(&scanner);
		return NULL;
	}
	if (warnings_r != NULL)
		*warnings_r = g_steal_pointer(&warnings);
	return scanner;
}

struct al_scanner *al_scanner_ref(struct al_scanner *scanner)
{
	g_atomic_int_inc(&scanner->refcount);
	return scanner;
}

void al_scanner_unref(struct al_scanner **scanner)
{
	struct al_scanner *s = *scanner;

	if (s == NULL)
		return;
	*scanner = NULL;
	if (!g_atomic_int_dec_and_test(&s->refcount))
		return;
	if (s->engine != NULL)
		cl_engine_free(s->engine);
	g_free(s);
}

guint al_scanner_signature_count(const struct al_scanner *scanner)
{
	return scanner->signature_count;
}

gboolean al_scanner_image_fuzzy_hash(const struct al_scanner *scanner)
{
	return scanner->image_fuzzy_hash;
}

gboolean al_scanner_clamav_loaded(const struct al_scanner *scanner)
{
	return scanner->clamav_loaded;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One directory's regular files, sorted by name, into checksum. */
static void fingerprint_dir(GChecksum *checksum, const char *dir)
{
	g_autoptr(GDir) listing = dir != NULL ? g_dir_open(dir, 0, NULL) : NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	g_checksum_update(checksum, (const guchar *)(dir != NULL ? dir : ""), -1);
	if (listing == NULL)
		return;
	while ((name = g_dir_read_name(listing)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, compare_names);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);
		g_autofree char *line = NULL;
		struct stat st;

		/* Only what a load reads: a temporary file being written
		 * beside them (an editor's, a download's) is not a change. */
		if (!al_scan_is_database_file(names->pdata[i]) &&
		    strcmp(names->pdata[i], "filetypes.conf") != 0)
			continue;
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		line = g_strdup_printf("\n%s %lld %lld.%09ld %llu", (const char *)names->pdata[i],
				       (long long)st.st_size, (long long)st.st_mtim.tv_sec,
				       st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);
		g_checksum_update(checksum, (const guchar *)line, -1);
	}
}

char *al_scan_databases_fingerprint(const struct al_config *config)
{
	GChecksum *checksum = g_checksum_new(G_CHECKSUM_SHA256);
	char *hex;

	fingerprint_dir(checksum, config->signatures_dir);
	g_checksum_update(checksum, (const guchar *)"\n\n", -1);
	fingerprint_dir(checksum, config->clamav_database_dir);
	hex = g_strdup(g_checksum_get_string(checksum));
	g_checksum_free(checksum);
	return hex;
}
