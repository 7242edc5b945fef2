/*
 * workflow_private.h - what workflow.c (release) and workflow_request.c
 * (requests, denials, dismissals, deletes) share inside libairlock.
 */
#ifndef AIRLOCK_WORKFLOW_PRIVATE_H
#define AIRLOCK_WORKFLOW_PRIVATE_H

#include "airlock/pipeline.h"
#include "airlock/release.h"
#include "airlock/workflow.h"

#include <stdarg.h>

/* Never released by a recipient, nor by an admin without FORCE. */
#define AL_WORKFLOW_DANGEROUS (AL_REASON_BIT(AL_REASON_VIRUS) | AL_REASON_BIT(AL_REASON_POLYGLOT))

struct al_workflow {
	const struct al_config *config; /* borrowed */
	struct al_store *store;         /* borrowed */
	struct al_pipeline *pipeline;   /* loaded at the first rescan */
	struct al_release_key key;
	gboolean key_loaded;
};

/* Sets an AL_WORKFLOW_ERROR; returns -1. */
int al_workflow_fail(GError **error, enum al_workflow_error_code code, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* store_error (transfer full) as the workflow's error: NOT_FOUND and
 * STATE kept, anything else AL_WORKFLOW_ERROR_STORE; returns -1. */
int al_workflow_store_error(GError **error, GError *store_error);

/* The audit name of actor: "NAME (FROM)" (transfer full). */
char *al_workflow_who(const struct al_actor *actor);

/* Loads the release key once (also the links' key). */
int al_workflow_key(struct al_workflow *workflow, GError **error);

#endif
