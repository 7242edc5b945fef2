/*
 * workflow_fixture.h - what the workflow's unit tests share: a real store
 * and release key in a temporary directory, a configuration whose
 * release_command and notice command are small shell scripts that record
 * what they are given (or refuse it), Airlock's own signatures for the
 * rescan, and messages quarantined through the real pipeline.
 */
#ifndef AIRLOCK_TEST_WORKFLOW_FIXTURE_H
#define AIRLOCK_TEST_WORKFLOW_FIXTURE_H

#include "airlock/config.h"
#include "airlock/release.h"
#include "airlock/store.h"
#include "airlock/workflow.h"
#include "store_backend.h"

struct wf_fixture {
	char *tmp;
	char *deliveries;  /* what release_command was given: N.eml and N.args */
	char *notices;     /* what the notice command was given */
	char *refuse_flag; /* while this file exists, release_command exits 69 */
	struct al_config *config;
	struct al_store *store;
	struct al_release_key key;
	struct al_workflow *workflow;
};

/* The kinds of message quarantine_mail() stores. */
enum wf_mail {
	WF_PDF_STRANGER, /* a PDF from an unknown sender: unknown-origin */
	WF_EICAR,        /* the EICAR test file: virus */
};

void wf_setup(struct wf_fixture *f, const char *signatures_dir);
void wf_teardown(struct wf_fixture *f);

/* Quarantines mail for alice@clinic.example and bob@clinic.example
 * (envelope sender stranger@unknown.example) as the milter would; the
 * id in id_r. */
void wf_quarantine(struct wf_fixture *f, enum wf_mail mail, char id_r[AL_STORE_ID_LEN + 1]);

/* Files in dir whose name ends with suffix. */
guint wf_count(const char *dir, const char *suffix);
/* The content of the only file in dir ending with suffix (transfer
 * full); fails the test when there is not exactly one. */
char *wf_only(const char *dir, const char *suffix);
/* Every file in dir ending with suffix, concatenated in name order. */
char *wf_all(const char *dir, const char *suffix);

/* Removes every file in dir. */
void wf_clear(const char *dir);

/* A notice mail as a reader sees it: "To: ...", "Subject: ..." (both
 * decoded), an empty line, the decoded text (transfer full). */
char *wf_decoded(const char *mail);

/* The events of message id, "event:who" joined by ",". */
char *wf_events(struct wf_fixture *f, const char *id);

#endif
