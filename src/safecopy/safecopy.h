/*
 * safecopy.h - the parts of airlock-safecopy, the confined renderer.
 *
 * Each converter takes the whole hostile input (already read from stdin,
 * not yet parsed) and appends the safe copy to out. They run only after
 * sc_confine() has locked the process down. They return one of the exit
 * codes below and, on failure, set *why_r to a static English sentence.
 */
#ifndef AIRLOCK_SAFECOPY_INTERNAL_H
#define AIRLOCK_SAFECOPY_INTERNAL_H

#include <glib.h>
#include <stddef.h>

/* Exit statuses: the contract with src/lib/safecopy.c (AL_SAFECOPY_EXIT_*). */
enum sc_exit {
	SC_OK = 0,
	SC_USAGE = 2,        /* bad arguments */
	SC_UNSUPPORTED = 3,  /* a kind this build cannot disarm */
	SC_INVALID = 4,      /* the input cannot be read as its kind */
	SC_TOO_MANY_PAGES = 5,
	SC_TOO_LARGE = 6,    /* input bytes or pixels past the limits */
	SC_CONFINE = 7,      /* the confinement could not be installed */
	SC_IO = 8,           /* reading stdin or writing stdout failed */
	SC_SELFTEST_FAIL = 9, /* --self-test: the forbidden action was allowed */
	SC_TIMEOUT = 10       /* LibreOffice did not finish within --max-seconds */
};

struct sc_limits {
	unsigned max_pages;
	unsigned dpi;
	unsigned max_seconds;
	unsigned max_memory_mb;
	size_t max_input_bytes;
};

/* confine.c */
struct sc_confinement {
	gboolean net_namespace; /* unshare(CLONE_NEWNET) worked */
	int landlock_abi;       /* 0: not available */
	gboolean seccomp;
};
void sc_close_other_fds(void);
int sc_set_limits(const struct sc_limits *limits, const char **why_r);
int sc_confine(struct sc_confinement *state_r, const char **why_r);
int sc_self_test(const char *what, const struct sc_confinement *confinement);

/* pdf.c */
void sc_pdf_preload(void);
int sc_pdf_convert(const guint8 *data, size_t len, const struct sc_limits *limits,
                   GByteArray *out, const char **why_r);

/* image.c: kind is jpeg, png, gif, tiff, webp or heic. */
void sc_image_preload(const char *kind);
int sc_image_convert(const char *kind, const guint8 *data, size_t len, GByteArray *out,
                     const char **why_r);

/* dicom.c */
int sc_dicom_convert(const guint8 *data, size_t len, GByteArray *out, const char **why_r);

/* office.c: LibreOffice in its own, weaker sandbox; writes a PDF. */
const char *sc_office_soffice(void);
int sc_office_convert(const guint8 *data, size_t len, const struct sc_limits *limits,
                      GByteArray *out, const char **why_r);

#endif
