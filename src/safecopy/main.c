/*
 * airlock-safecopy - turn one hostile document into a safe copy.
 *
 * SYNOPSIS
 *	airlock-safecopy --kind KIND [--dpi N] [--max-pages N] [--max-seconds N]
 *	                 [--max-memory-mb N] [--max-input-mb N] < INPUT > COPY
 *	airlock-safecopy --self-test WHAT
 *
 * DESCRIPTION
 *	Reads the whole input from stdin (not parsed yet), sets its limits,
 *	confines itself (confine.c: no network, no new privileges, a
 *	read-only file system, a system-call filter), and only then parses
 *	the input and writes the copy on stdout. KIND is pdf, jpeg, png,
 *	gif, tiff, webp, heic, dicom or office. Nothing is written on stdout unless the
 *	whole copy was made. One line on stderr says why when it fails; the
 *	exit status (safecopy.h, enum sc_exit) says it to the caller.
 *
 *	--kind office is the exception: it runs LibreOffice in a weaker
 *	sandbox of its own (office.c) and writes a PDF, which the caller then
 *	sends through --kind pdf.
 *
 *	--self-test WHAT confines the process exactly as for a conversion,
 *	then attempts the forbidden action WHAT (write, read, connect, network,
 *	exec, hang, alloc): it is the proof, for the tests and for an admin on
 *	a new kernel, that each limit holds.
 */
#include "safecopy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const kinds[] = { "pdf",  "jpeg", "png",   "gif",    "tiff",
	                              "webp", "heic", "dicom", "office", NULL };

static int usage(void)
{
	fprintf(stderr, "usage: airlock-safecopy --kind pdf|jpeg|png|gif|tiff|webp|heic|dicom|office "
	                "[--dpi N] [--max-pages N] [--max-seconds N] [--max-memory-mb N] "
	                "[--max-input-mb N] < INPUT > COPY\n"
	                "       airlock-safecopy --self-test "
	                "write|read|connect|network|exec|hang|alloc\n");
	return SC_USAGE;
}

static gboolean parse_uint(const char *text, unsigned min, unsigned max, unsigned *value_r)
{
	char *end = NULL;
	errno = 0;
	unsigned long value = strtoul(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
		return FALSE;
	*value_r = (unsigned)value;
	return TRUE;
}

static gboolean known_kind(const char *kind)
{
	for (size_t i = 0; kinds[i] != NULL; i++)
		if (strcmp(kinds[i], kind) == 0)
			return TRUE;
	return FALSE;
}

static int read_input(size_t max_bytes, GByteArray *in)
{
	guint8 chunk[65536];
	for (;;) {
		ssize_t got = read(STDIN_FILENO, chunk, sizeof chunk);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return SC_IO;
		if (got == 0)
			return SC_OK;
		if (in->len + (size_t)got > max_bytes)
			return SC_TOO_LARGE;
		g_byte_array_append(in, chunk, (guint)got);
	}
}

static int write_output(const GByteArray *out)
{
	size_t done = 0;
	while (done < out->len) {
		ssize_t put = write(STDOUT_FILENO, out->data + done, out->len - done);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return SC_IO;
		done += (size_t)put;
	}
	return SC_OK;
}

static int convert(const char *kind, const GByteArray *in, const struct sc_limits *limits,
                   GByteArray *out, const char **why)
{
	if (strcmp(kind, "pdf") == 0)
		return sc_pdf_convert(in->data, in->len, limits, out, why);
	if (strcmp(kind, "dicom") == 0)
		return sc_dicom_convert(in->data, in->len, out, why);
	return sc_image_convert(kind, in->data, in->len, out, why);
}

static void preload(const char *kind)
{
	if (strcmp(kind, "pdf") == 0)
		sc_pdf_preload();
	else if (strcmp(kind, "dicom") != 0)
		sc_image_preload(kind);
}

struct options {
	const char *kind;
	const char *self_test;
	struct sc_limits limits;
};

static int parse_options(int argc, char **argv, struct options *opt)
{
	unsigned input_mb = 64;
	for (int i = 1; i < argc; i += 2) {
		const char *name = argv[i];
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;
		gboolean ok = value != NULL;
		if (ok && strcmp(name, "--kind") == 0)
			opt->kind = value;
		else if (ok && strcmp(name, "--self-test") == 0)
			opt->self_test = value;
		else if (ok && strcmp(name, "--dpi") == 0)
			ok = parse_uint(value, 36, 600, &opt->limits.dpi);
		else if (ok && strcmp(name, "--max-pages") == 0)
			ok = parse_uint(value, 1, 10000, &opt->limits.max_pages);
		else if (ok && strcmp(name, "--max-seconds") == 0)
			ok = parse_uint(value, 1, 3600, &opt->limits.max_seconds);
		else if (ok && strcmp(name, "--max-memory-mb") == 0)
			ok = parse_uint(value, 64, 65536, &opt->limits.max_memory_mb);
		else if (ok && strcmp(name, "--max-input-mb") == 0)
			ok = parse_uint(value, 1, 4096, &input_mb);
		else
			ok = FALSE;
		if (!ok)
			return usage();
	}
	opt->limits.max_input_bytes = (size_t)input_mb << 20;
	if (opt->self_test == NULL && (opt->kind == NULL || !known_kind(opt->kind)))
		return usage();
	return SC_OK;
}

int main(int argc, char **argv)
{
	struct options opt = {
		.limits = { .max_pages = 30, .dpi = 150, .max_seconds = 20, .max_memory_mb = 1024 },
	};
	struct sc_confinement confinement = { 0 };
	const char *why = NULL;
	GByteArray *in = g_byte_array_new();
	GByteArray *out = g_byte_array_new();
	int status = parse_options(argc, argv, &opt);

	if (status != SC_OK)
		goto out;
	sc_close_other_fds();
	if (opt.self_test == NULL) {
		status = read_input(opt.limits.max_input_bytes, in);
		why = status == SC_TOO_LARGE ? "input larger than --max-input-mb"
		                             : "cannot read the input";
		if (status != SC_OK)
			goto out;
	}
	if (opt.kind != NULL && strcmp(opt.kind, "office") == 0) {
		status = sc_office_convert(in->data, in->len, &opt.limits, out, &why);
		goto write;
	}
	status = sc_set_limits(&opt.limits, &why);
	if (status != SC_OK)
		goto out;
	preload(opt.kind != NULL ? opt.kind : "pdf");
	status = sc_confine(&confinement, &why);
	if (status != SC_OK)
		goto out;
	if (opt.self_test != NULL) {
		status = sc_self_test(opt.self_test, &confinement);
		goto out;
	}
	status = convert(opt.kind, in, &opt.limits, out, &why);
write:
	if (status == SC_OK) {
		status = write_output(out);
		why = "cannot write the copy";
	}
out:
	if (status != SC_OK && status != SC_USAGE && why != NULL)
		fprintf(stderr, "airlock-safecopy: %s\n", why);
	g_byte_array_unref(in);
	g_byte_array_unref(out);
	return status;
}
