/*
 * ops.h - every call the filter makes to libmilter goes through this
 * table, so a test build can record exactly what the filter told the MTA
 * and the callbacks never reach smfi_* directly.
 */
#ifndef AIRLOCK_MILTER_OPS_H
#define AIRLOCK_MILTER_OPS_H

#include <libmilter/mfapi.h>

struct milter_ops {
	char *(*getsymval)(SMFICTX *ctx, char *name);
	int (*setpriv)(SMFICTX *ctx, void *priv);
	void *(*getpriv)(SMFICTX *ctx);
	int (*addheader)(SMFICTX *ctx, char *name, char *value);
	int (*insheader)(SMFICTX *ctx, int index, char *name, char *value);
	int (*chgheader)(SMFICTX *ctx, char *name, int index, char *value);
	int (*replacebody)(SMFICTX *ctx, unsigned char *data, int len);
	int (*setreply)(SMFICTX *ctx, char *rcode, char *xcode, char *message);
	int (*progress)(SMFICTX *ctx);
};

/* The real libmilter functions. */
extern const struct milter_ops milter_ops_libmilter;

/* The table in use (the real one unless a test swaps it). */
extern const struct milter_ops *milter_ops;

#endif
