/*
 * store.h - the quarantine store (SQLite, the default backend).
 *
 * One directory (0700, owned by the daemon's user) holding airlock.db
 * (SQLite in WAL mode) and the original messages as files (0600) under
 * msg/, named by quarantine id only: nothing from the mail ever reaches a
 * path. A quarantine writes and fsyncs the message file (and its
 * directory) first, then commits the rows in one transaction; only then
 * may the caller answer the MTA. Any failure returns -1 with an error and
 * leaves no row pointing at a missing file (a stray file from a failed
 * commit is removed).
 *
 * Ids are ULID-style: 26 characters of Crockford base32, 48 bits of
 * milliseconds then 80 random bits from getrandom(): time-sortable and
 * never derived from the mail. Ids are accepted in any case, with or
 * without dashes/spaces as a notice may show them.
 *
 * Tables: schema_version, messages, recipients (with each recipient's
 * released and dismissed time), items, events (the audit log:
 * quarantined, notified, released, deleted, purged, release-requested,
 * request-approved, request-denied, dismissed; who and when),
 * correspondents (learned), daily_counters (per day, action and reason:
 * messages and attachments seen, also for accepted mail), release_tokens,
 * requests (release requests of recipients and the admin's decision),
 * admins (airlock-web accounts), digests (when each address was last sent
 * a digest). Schema changes are numbered migrations applied at open, in
 * one transaction each.
 *
 * Threads: one al_store may be used by many threads (calls are
 * serialised inside). Other processes (airlockctl) open their own; SQLite
 * locking and a busy timeout arbitrate.
 */
#ifndef AIRLOCK_STORE_H
#define AIRLOCK_STORE_H

#include "airlock/origin.h"
#include "airlock/pipeline.h"

#include <glib.h>

#define AL_STORE_ID_LEN 26

/* The schema version this build creates and expects (the number of
 * migrations in store.c). A store with a newer version is refused. */
#define AL_STORE_SCHEMA_VERSION 3

/*
 * Errors: AL_ERROR domain (AL_ERROR_IO for file and database failures,
 * AL_ERROR_INTERNAL for an id that is not canonical), except lookups of a
 * message by id, which use the AL_STORE_ERROR domain so that a front end
 * can tell "no such message" or "already released" (a user error) from a
 * failing store.
 */
#define AL_STORE_ERROR (al_store_error_quark())
GQuark al_store_error_quark(void);

enum al_store_error_code {
	AL_STORE_ERROR_NOT_FOUND, /* no message with this id */
	AL_STORE_ERROR_STATE,     /* the message's status is not the expected one */
};

struct al_store;

/*
 * Opens the store in dir. create: make dir (0700) and the database if
 * missing (airlockctl init, the daemon at start); otherwise a missing
 * store is an error. Applies pending migrations. Errors name the path.
 */
struct al_store *al_store_open(const char *dir, gboolean create, GError **error);

/*
 * Where a store is: SQLite in a directory (one machine), or a PostgreSQL
 * database that several gateways share. al_store_where_config() fills it
 * from [quarantine] backend, dir, dsn and statement_timeout (borrowed
 * strings).
 */
enum al_store_backend {
	AL_STORE_SQLITE,
	AL_STORE_POSTGRESQL,
};

struct al_store_where {
	enum al_store_backend backend;
	const char *dir;	       /* SQLite: the store's directory */
	const char *dsn;	       /* PostgreSQL: a libpq connection string */
	guint statement_timeout_ms; /* PostgreSQL: per statement; 0: none */
};

struct al_config;
void al_store_where_config(const struct al_config *config, struct al_store_where *where_r);

/* As al_store_open() for either backend. PostgreSQL: create is ignored
 * (the database and its role are the admin's; the schema is created
 * and migrated here); errors carry the server's message, never the
 * DSN. */
struct al_store *al_store_open_at(const struct al_store_where *where, gboolean create,
				  GError **error);

/* "sqlite" or "postgresql"; and a line describing where the store is,
 * for airlockctl status (transfer none). */
const char *al_store_backend_name(const struct al_store *store);
const char *al_store_describe(const struct al_store *store);
/* TRUE when the store makes a lost connection again by itself
 * (PostgreSQL: at the next call, tries spaced 1 s to 30 s apart while
 * the server stays away, each failing call an AL_ERROR_IO): a caller
 * keeps it rather than reopening. */
gboolean al_store_reconnects(const struct al_store *store);

void al_store_close(struct al_store **store);

/* Writes a new random id (AL_STORE_ID_LEN chars + NUL) into id_r. */
void al_store_new_id(char id_r[AL_STORE_ID_LEN + 1]);

/* Normalises an id as typed or printed (case, dashes, spaces, Crockford
 * look-alikes O->0, I/L->1) into id_r; FALSE if it cannot be an id. */
gboolean al_store_parse_id(const char *text, char id_r[AL_STORE_ID_LEN + 1]);

/*
 * Quarantines one message: copies original (transfer none; read from its
 * start to its end) to the store, fsyncs, then records the verdict (items,
 * reasons, origin), the SMTP context and a `quarantined` event in one
 * transaction. id is the caller's (al_store_new_id(), canonical form);
 * an id already in the store is refused and its original left untouched.
 * The event's who is "airlock".
 *
 * A message already quarantined in the last AL_STORE_RETRY_WINDOW_SECONDS
 * with the same bytes, envelope sender and recipients, and still
 * quarantined, is the same message offered again by the MTA (its answer
 * was lost: the daemon was killed after the commit). It is not stored
 * twice: the new copy is removed, the existing message gets a
 * "received-again" event (detail: the queue id), its id is copied into
 * id, and 1 is returned. Returns 0 when stored, -1 with error.
 */
#define AL_STORE_RETRY_WINDOW_SECONDS (5 * 86400)
int al_store_quarantine(struct al_store *store, char id[AL_STORE_ID_LEN + 1], GMimeStream *original,
			const struct al_smtp_context *smtp, const struct al_verdict *verdict,
			GError **error);

/* Adds an audit event (event: "notified", "released", "deleted"...; who:
 * a login name or "airlock-milter"; detail may be NULL). id as accepted
 * by al_store_parse_id(); an unknown id is AL_STORE_ERROR_NOT_FOUND. */
int al_store_add_event(struct al_store *store, const char *id, const char *event, const char *who,
		       const char *detail, GError **error);

/* Counts one judged message in today's (UTC) daily_counters, also for
 * accepted mail, in one transaction. kind "messages": keys "total", the
 * action name, and "reason:NAME" for each reason of the verdict. kind
 * "attachments" (every item that is not a body): "total", "quarantined"
 * or "accepted", and "reason:NAME" for each reason of a quarantined
 * item. */
int al_store_count_message(struct al_store *store, const struct al_verdict *verdict,
			   GError **error);

/* Records recipients (NULL-terminated) as learned correspondents: first
 * seen, last seen, count. Addresses are lower-cased and stripped of
 * spaces and angle brackets; empty ones ("<>") are skipped. */
int al_store_learn(struct al_store *store, const char *const *addresses, GError **error);

/* What became of a message's original. */
enum al_store_status {
	AL_STATUS_QUARANTINED,
	AL_STATUS_RELEASED, /* to every recipient */
	AL_STATUS_DELETED,
	AL_STATUS_PURGED,
	AL_STATUS_COUNT
};

/* "quarantined", "released", "deleted", "purged" (the names in the
 * database, the JSON and airlockctl list --status). */
const char *al_store_status_name(enum al_store_status status);
/* The status named name, or -1. */
int al_store_status_from_name(const char *name);

/* One recipient's view of a message (the web staff page, the digest):
 * released to them, dismissed by them ("delete for me"), their last
 * release request pending or denied, or still quarantined. */
enum al_recipient_state {
	AL_RCPT_QUARANTINED,
	AL_RCPT_REQUESTED,
	AL_RCPT_DENIED,
	AL_RCPT_RELEASED,
	AL_RCPT_DISMISSED,
};

/* "quarantined", "requested", "denied", "released", "dismissed". */
const char *al_recipient_state_name(enum al_recipient_state state);

/*
 * One row of messages, as airlockctl shows and releases it. Strings are
 * transfer full (freed by al_store_message_clear()) and may be NULL where
 * the SMTP context or the mail had no value. path: the original's file
 * relative to the store directory. items are filled by
 * al_store_get_message(), al_store_get_message_for() and al_store_list();
 * events (oldest first) by al_store_get_message() and
 * al_store_get_message_for() only (NULL otherwise).
 */
struct al_store_item {
	char *part;
	char *filename;
	char *declared_type;
	char *detected_type;
	gint64 size;
	al_reason_set reasons;
	gboolean quarantined;
	char **details;   /* NULL-terminated, never NULL */
	char **viruses;   /* NULL-terminated, never NULL */
	char *inner_json; /* the inner files, as airlockctl check --json writes them */
	char **inner;	  /* one line per inner file: "path (type): reasons" */
};

struct al_store_event {
	gint64 at; /* unix seconds */
	char *event;
	char *who;
	char *detail;
};

struct al_store_message {
	char id[AL_STORE_ID_LEN + 1];
	gint64 received_at; /* unix seconds */
	char *queue_id;
	char *envelope_from;
	char *header_from;
	char *subject;
	char *client_addr;
	char *client_name;
	char *helo;
	char *auth_user;
	gboolean origin_known;
	char *origin_why;
	char *action;
	al_reason_set reasons;
	gint64 size;  /* bytes of the original */
	char *sha256; /* lower-case hex of the original */
	char *path;
	enum al_store_status status;
	char **recipients;  /* NULL-terminated, in SMTP order */
	char **released_to; /* NULL-terminated: recipients already released */
	/* With al_store_filter.recipient or al_store_get_message_for(): that
	 * recipient's state (AL_RCPT_QUARANTINED otherwise). */
	enum al_recipient_state recipient_state;
	GPtrArray *items;  /* struct al_store_item * */
	GPtrArray *events; /* struct al_store_event *, or NULL */
};

/* Reads message id (any accepted spelling, see al_store_parse_id()) into
 * message_r. Returns 0, or -1 with error (AL_STORE_ERROR_NOT_FOUND when
 * there is no such message); message_r is then zeroed. */
int al_store_get_message(struct al_store *store, const char *id, struct al_store_message *message_r,
			 GError **error);

/* Message id as one recipient sees it (recipient_state filled):
 * AL_STORE_ERROR_NOT_FOUND when address (any case) is not one of its
 * recipients, so another recipient's id gives nothing. A message the
 * recipient dismissed is still returned (state AL_RCPT_DISMISSED). */
int al_store_get_message_for(struct al_store *store, const char *id, const char *address,
			     struct al_store_message *message_r, GError **error);

/* Frees the strings of message and zeroes it. Safe on a zeroed struct. */
void al_store_message_clear(struct al_store_message *message);

/* The absolute path of the original of message id (transfer full), or
 * NULL if id cannot be an id. Does not look at the database. */
char *al_store_original_path(struct al_store *store, const char *id);

/* The original of message id as a read-only stream (transfer full), from
 * msg/ID.eml (SQLite) or the originals table (PostgreSQL), or NULL with
 * error: AL_STORE_ERROR_NOT_FOUND when its original is gone (deleted,
 * purged) or id cannot be one, AL_ERROR_IO. */
GMimeStream *al_store_open_original(struct al_store *store, const char *id, GError **error);

/*
 * Moves message id from status expected_status to new_status and adds the
 * audit event (event, who, detail as in al_store_add_event()), in one
 * transaction, so two admins releasing the same message cannot both
 * succeed. Returns 0, or -1 with error: AL_STORE_ERROR_NOT_FOUND, or
 * AL_STORE_ERROR_STATE ("ID is already released").
 */
int al_store_set_status(struct al_store *store, const char *id,
			enum al_store_status expected_status, enum al_store_status new_status,
			const char *who, const char *event, const char *detail, GError **error);

/* What al_store_list() selects; zero/NULL fields select everything
 * (AL_STORE_FILTER_INIT sets status to -1: any). */
struct al_store_filter {
	gint64 since, until;   /* received in [since, until) (unix seconds); 0: open */
	al_reason_set reasons; /* the message has any of these (0: any) */
	const char *from;      /* envelope or header sender contains (any case) */
	const char *rcpt;      /* a recipient contains (any case) */
	const char *recipient; /* exactly this recipient (any case); the ones they
				  dismissed are left out; fills recipient_state */
	int status;	       /* an enum al_store_status, or -1: any */
	guint limit, offset;   /* paging: at most limit (0: all) after offset */
};
#define AL_STORE_FILTER_INIT {.status = -1}

/* Messages matching filter, newest first, as struct al_store_message *
 * (transfer full: g_ptr_array_unref() frees them). NULL with error. */
GPtrArray *al_store_list(struct al_store *store, const struct al_store_filter *filter,
			 GError **error);

/* How many messages filter selects (limit and offset ignored), for
 * paging. 0, or -1 with error. */
int al_store_count(struct al_store *store, const struct al_store_filter *filter,
		   guint64 *count_r, GError **error);

/*
 * Release requests (workflow.h says who may do what; these only record).
 * One pending request per message and recipient.
 */
struct al_store_request {
	char id[AL_STORE_ID_LEN + 1]; /* the message */
	char *recipient;
	gint64 requested_at;
	char *note; /* may be NULL */
	char *envelope_from, *subject; /* of the message, for the admin's list */
	al_reason_set reasons;
};

/* Records a pending request of recipient (one of the message's, any
 * case; not released to them) for message id, with the
 * "release-requested" event by who (detail: the note). Errors:
 * AL_STORE_ERROR_NOT_FOUND (no such message or not this recipient's),
 * AL_STORE_ERROR_STATE (not quarantined, already released to them, a
 * request already pending). */
int al_store_add_request(struct al_store *store, const char *id, const char *recipient,
			 const char *note, const char *who, GError **error);

/* Closes the pending request of recipient for message id: approved
 * (event "request-approved") or denied (event "request-denied", detail:
 * why). AL_STORE_ERROR_STATE when there is no pending request. */
int al_store_decide_request(struct al_store *store, const char *id, const char *recipient,
			    gboolean approved, const char *who, const char *why,
			    GError **error);

/* Pending release requests, oldest first (transfer full:
 * g_ptr_array_unref() frees them). NULL with error. */
GPtrArray *al_store_pending_requests(struct al_store *store, GError **error);

/* The pending request of recipient for message id: 1 (and, when
 * request_r is not NULL, filled; clear it with al_store_request_free()),
 * 0 when none, -1 with error. */
int al_store_get_request(struct al_store *store, const char *id, const char *recipient,
			 struct al_store_request **request_r, GError **error);
void al_store_request_free(struct al_store_request *request);

/* Recipient (any case) dismisses message id from their own list, with
 * the "dismissed" event by who. NOT_FOUND when not theirs, STATE when
 * already dismissed. */
int al_store_dismiss(struct al_store *store, const char *id, const char *recipient,
		     const char *who, GError **error);

/*
 * Admin accounts of airlock-web: name -> password hash (an argon2id
 * string from libsodium's crypto_pwhash_str(); the store never sees a
 * password). al_store_set_admin() creates or replaces.
 */
int al_store_set_admin(struct al_store *store, const char *name, const char *hash,
		       GError **error);
/* 0 and *hash_r (transfer full) when found, 1 when there is no such
 * admin, -1 with error. */
int al_store_get_admin(struct al_store *store, const char *name, char **hash_r,
		       GError **error);

/*
 * Digests (airlockctl digest): the recipients who have messages received
 * in [since, until), not dismissed and still quarantined for them, lower
 * case, sorted (transfer full, NULL-terminated), or NULL with error.
 */
char **al_store_digest_recipients(struct al_store *store, gint64 since, gint64 until,
				  GError **error);
/* When address (lower case) was last sent a digest: 1 and *at_r, 0 if
 * never, -1 with error. */
int al_store_get_digest_sent(struct al_store *store, const char *address, gint64 *at_r,
			     GError **error);
int al_store_set_digest_sent(struct al_store *store, const char *address, gint64 at,
			     GError **error);

/*
 * Release, step 1: marks recipients of message id as released by who and
 * records the "released" event, in one transaction; the status becomes
 * "released" once every recipient is. only (NULL-terminated, or NULL for
 * every recipient not yet released) must name recipients of the message
 * (any case). Returns the recipients claimed (transfer full), or NULL
 * with error: AL_STORE_ERROR_NOT_FOUND, AL_STORE_ERROR_STATE (not
 * quarantined, "x is not a recipient of ID", "ID was already released to
 * x"). Two processes claiming at once: one gets the recipients, the
 * other the STATE error.
 */
char **al_store_claim_release(struct al_store *store, const char *id, const char *const *only,
			      const char *who, GError **error);

/* Release, step 2 when the message could not be handed to the MTA:
 * gives the claimed recipients back (status "quarantined" again) and
 * records a "release-failed" event with why. */
int al_store_unclaim_release(struct al_store *store, const char *id, const char *const *claimed,
			     const char *who, const char *why, GError **error);

/*
 * The milter's side: records that the release header value (the token)
 * let message id through. Returns 0 the first time, -1 with
 * AL_STORE_ERROR_STATE when this token was already used (a replay), or
 * -1 with AL_ERROR_IO when the store failed. Also records a "delivered"
 * event with detail (the queue id) in the same transaction.
 */
int al_store_use_release(struct al_store *store, const char *id, const char *token,
			 const char *detail, GError **error);

/*
 * Deletes the original of message id (status quarantined or released ->
 * "deleted") and records the "deleted" event by who. The file is renamed
 * aside inside the transaction and unlinked after the commit, so a failed
 * commit leaves the message as it was. The rows stay (audit trail).
 */
int al_store_delete(struct al_store *store, const char *id, const char *who, GError **error);

/* Purges (GDPR retention) every message received before before (unix
 * seconds) whose original is still kept (quarantined or released): as
 * al_store_delete() with status and event "purged". Also removes
 * leftover msg/ files of failed writes older than before. purged_r: how
 * many messages. Stops at the first failure (those done stay done). */
int al_store_purge(struct al_store *store, gint64 before, const char *who, guint *purged_r,
		   GError **error);

/*
 * For reports (store_report.c; report.h's gathering): the rows of a
 * period handed to a visitor, all in one read transaction so that the
 * totals and the lists describe one state of the store. The strings in
 * a row are borrowed for the call only. In this order: daily counters
 * of the days [since_day, until_day] ("YYYY-MM-DD", UTC), then the
 * messages received in [from, to), their quarantined items, their
 * recipients, and at most example_limit example rows (a message and one
 * of its quarantined items, or the message alone), newest first.
 */
struct al_store_report_counter {
	const char *day; /* YYYY-MM-DD */
	const char *kind;
	const char *key;
	gint64 count;
};

struct al_store_report_message {
	const char *header_from;
	const char *envelope_from;
	al_reason_set reasons;
	enum al_store_status status;
	gint64 stopped_items; /* its quarantined items */
	gboolean released;    /* a release went out (more "released" events than
				 "release-failed"), whatever its status now */
};

struct al_store_report_item {
	const char *detected_type;
	const char *filename;
	const char *declared_type;
	al_reason_set reasons;
};

struct al_store_report_recipient {
	const char *address;
	gint64 stopped_items; /* of the message */
};

struct al_store_report_example {
	gint64 received_at;
	const char *header_from;
	const char *envelope_from;
	const char *subject;
	const char *filename;	   /* NULL: the message had no quarantined item */
	const char *detected_type; /* likewise */
	al_reason_set reasons;	   /* the item's, else the message's */
};

struct al_store_report_visitor {
	void (*counter)(const struct al_store_report_counter *row, void *data);
	void (*message)(const struct al_store_report_message *row, void *data);
	void (*item)(const struct al_store_report_item *row, void *data);
	void (*recipient)(const struct al_store_report_recipient *row, void *data);
	void (*example)(const struct al_store_report_example *row, void *data);
	/* the safe copies delivered for the period's messages ("safe-copy"
	 * events): called once */
	void (*safe_copies)(gint64 count, void *data);
	void *data;
};

int al_store_read_report(struct al_store *store, const char *since_day, const char *until_day,
			 gint64 from, gint64 to, guint example_limit,
			 const struct al_store_report_visitor *visitor, GError **error);

/*
 * For airlockctl status (store_status.c). al_store_open_readonly() opens
 * the existing store in dir as al_store_open() would check it (a private
 * directory holding airlock.db) but read-only: no migration, nothing
 * created but SQLite's -shm beside a WAL database; every write through
 * it fails. A schema newer or older than this build's is not an error
 * here: al_store_get_status() reports it.
 */
struct al_store *al_store_open_readonly(const char *dir, GError **error);
/* Either backend (PostgreSQL: a session whose transactions are read-only,
 * no migration). */
struct al_store *al_store_open_readonly_at(const struct al_store_where *where, GError **error);

struct al_store_summary {
	gint64 schema_version;	      /* 0: no schema_version table */
	guint64 quarantined;	      /* messages whose status is quarantined */
	gint64 oldest_quarantined_at; /* received_at of the oldest of them; 0: none */
	gint64 oldest_kept_at;	      /* the oldest original al_store_purge() would
					 remove (quarantined or released); 0: none */
	guint64 pending_requests;     /* release requests waiting for the admin
					 (0 before schema 3) */
};

/* Reads the figures above in one read transaction. -1 with error. */
int al_store_get_status(struct al_store *store, struct al_store_summary *status_r,
			GError **error);

/*
 * Backups (store_backup.c; the workflow is backup.h's). A snapshot is a
 * copy of the database taken by SQLite's online backup API in one read
 * transaction: consistent while the daemon writes (a quarantine is in it
 * whole or not at all). It is a plain file (rollback journal, not WAL),
 * 0600, fsynced, created new at dest_path (an existing file is refused).
 */
int al_store_backup_database(struct al_store *store, const char *dest_path, GError **error);

/* The originals a snapshot (the database file db_path, not a live store)
 * still keeps (status quarantined or released): their paths relative to
 * the store directory ("msg/ID.eml"), sorted, transfer full. A path that
 * is not exactly msg/ID.eml with a canonical id is an AL_ERROR_PARSE
 * error (a hostile snapshot cannot name another file). NULL with error.
 * Opens db_path read-only as immutable: works on read-only media. */
GPtrArray *al_store_snapshot_originals(const char *db_path, GError **error);

/* Marks the messages whose originals (paths as listed above; NULL-
 * terminated) vanished between the snapshot and their copy (deleted or
 * purged meanwhile) as "purged" in the snapshot, each with a "purged"
 * event by who whose detail says so, in one transaction. */
int al_store_snapshot_mark_gone(const char *db_path, const char *const *paths, const char *who,
				GError **error);

/* The schema version of a snapshot (read-only, immutable). */
int al_store_snapshot_version(const char *db_path, gint64 *version_r, GError **error);

/* The rows of a store database, table by table (schema_version aside). */
struct al_store_rows {
	gint64 messages;
	gint64 recipients;
	gint64 items;
	gint64 events;
	gint64 correspondents; /* learned */
	gint64 daily_counters;
	gint64 release_tokens;
	gint64 requests;
	gint64 admins;
	gint64 digests;
};

/*
 * Counts the rows of the store database db_path (a live store's
 * airlock.db whose daemon is stopped, not a snapshot): opened read-write
 * on its own connection, so the rows of a WAL left beside it count too
 * (closing checkpoints it); never migrated. A table the schema does not
 * have yet counts 0; a table this build does not know is an AL_ERROR_IO
 * error (a newer schema: its rows cannot be counted). 0, or -1 with
 * error.
 */
int al_store_count_rows(const char *db_path, struct al_store_rows *rows_r, GError **error);

/*
 * airlockctl migrate: copies every row and every original still kept of
 * from (a SQLite store) into to (a PostgreSQL store, migrated, empty:
 * otherwise AL_ERROR_CONFIG and nothing copied), in one transaction of
 * to, ids kept. Each original is checked against its SHA-256 before it
 * is written and after it is read back; the rows of each table are
 * counted on both sides. The daemons must be stopped. 0 and copied_r,
 * or -1 with error (to left as it was).
 */
struct al_store_copied {
	struct al_store_rows rows; /* as counted in both stores */
	gint64 originals;	   /* copied and verified */
};
int al_store_copy(struct al_store *from, struct al_store *to, struct al_store_copied *copied_r,
		  GError **error);

/* No row at all: a store that airlockctl init or the daemon created and
 * nothing wrote to since (no message, no event, nothing learned, no
 * counter). */
gboolean al_store_rows_empty(const struct al_store_rows *rows);

/*
 * For a restore: replaces the store database db_path, if it is still
 * empty (counted again as above), by new_path (a file in the same
 * directory): removes the -wal, -shm and -journal beside db_path, renames
 * new_path over it (the caller fsyncs the directory: nothing can fail
 * once it is renamed). The daemon must be stopped: this is no lock
 * against it. Returns 0 (replaced), 1 (not replaced: db_path holds rows,
 * counted in rows_r), -1 with error (new_path left where it was).
 */
int al_store_replace_empty_database(const char *db_path, const char *new_path,
				    struct al_store_rows *rows_r, GError **error);

/* al_origin_learned_fn for the pipeline: context is the al_store. A
 * database error counts as "not learned" (the safe answer). */
gboolean al_store_is_learned(const char *address, void *context);

#endif
