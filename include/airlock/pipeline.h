/*
 * pipeline.h - one message through every stage: mime, typeid, scan,
 * origin, policy. airlockctl check and airlock-milter both call this, so
 * both judge a message exactly the same way.
 *
 * A pipeline holds the loaded config (borrowed), the type table and the
 * scanner; it is built once and shared by threads. A verdict holds one
 * message's result.
 *
 * Failure: al_pipeline_run() returns -1 with error when the message could
 * not be judged (spool or scanner failure); the caller must then tempfail
 * (or follow on_error). It never returns an `accept` verdict for content
 * that was not scanned.
 */
#ifndef AIRLOCK_PIPELINE_H
#define AIRLOCK_PIPELINE_H

#include "airlock/config.h"
#include "airlock/mime.h"
#include "airlock/origin.h"
#include "airlock/policy.h"
#include "airlock/scan.h"
#include "airlock/typeid.h"

#include <glib.h>
#include <gmime/gmime.h>

struct al_pipeline;

/* Time spent per stage, in microseconds (for benchmarks and logs). */
struct al_stage_times {
	gint64 parse_us;
	gint64 typeid_us;
	gint64 scan_us;
	gint64 policy_us;
};

struct al_verdict {
	enum al_action action;
	al_reason_set reasons;
	struct al_origin origin;
	struct al_message *message; /* items with their findings */
	struct al_stage_times times;
};

/* Builds the type table and loads the scanner. config is borrowed and
 * must outlive the pipeline. warnings_r as in al_scanner_new(). */
struct al_pipeline *al_pipeline_new(const struct al_config *config, GPtrArray **warnings_r,
				    GError **error);

void al_pipeline_free(struct al_pipeline **pipeline);

const struct al_config *al_pipeline_config(const struct al_pipeline *pipeline);

/* Signatures loaded in the pipeline's ClamAV engine. */
guint al_pipeline_signature_count(const struct al_pipeline *pipeline);

/* "on" or "off": whether the scanner computes image fuzzy hashes. */
const char *al_pipeline_image_fuzzy_hash(const struct al_pipeline *pipeline);

/* Whether the ClamAV database ([scan] clamav_database) is in the engine. */
gboolean al_pipeline_clamav_loaded(const struct al_pipeline *pipeline);

/* Optional learned-correspondents lookup (the store, in the milter). */
void al_pipeline_set_learned(struct al_pipeline *pipeline, al_origin_learned_fn learned,
			     void *context);

/*
 * Judges the message in stream (transfer none). Returns 0 and a new
 * verdict (free with al_verdict_free()), or -1 with error.
 */
int al_pipeline_run(struct al_pipeline *pipeline, GMimeStream *stream,
		    const struct al_smtp_context *smtp, struct al_verdict **verdict_r,
		    GError **error);

void al_verdict_free(struct al_verdict **verdict);

/*
 * Judges content as if it were the one attachment of a message, named
 * filename and declared as declared_type (both may be NULL): libmagic's
 * type and the allow-list, the name checks, the inspectors and ClamAV.
 * Origin and policy are not applied. Returns 0 with *reasons_r (0: the
 * content is harmless) and, when detail_r is not NULL, the first finding
 * as a sentence (transfer full, NULL when none); or -1 with error when
 * it could not be judged. content is borrowed.
 */
int al_pipeline_judge_content(struct al_pipeline *pipeline, const struct al_content *content,
			      const char *filename, const char *declared_type,
			      al_reason_set *reasons_r, char **detail_r, GError **error);

#endif
