/*
 * ops.c - the libmilter operations table (see ops.h).
 */
#include "ops.h"

const struct milter_ops milter_ops_libmilter = {
	.getsymval = smfi_getsymval,
	.setpriv = smfi_setpriv,
	.getpriv = smfi_getpriv,
	.addheader = smfi_addheader,
	.insheader = smfi_insheader,
	.chgheader = smfi_chgheader,
	.replacebody = smfi_replacebody,
	.setreply = smfi_setreply,
	.progress = smfi_progress,
};

const struct milter_ops *milter_ops = &milter_ops_libmilter;
