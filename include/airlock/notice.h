/*
 * notice.h - what recipients see instead of what was stopped.
 *
 * strip: the parsed message is changed in place with GMime: each
 * quarantined item's part is replaced by a text/plain; charset=utf-8 part
 * holding the notice (French and English, in the order of the configured
 * languages) that names the file, explains each reason in a sentence a
 * non-expert understands, gives the quarantine id and the admin contact.
 * Everything else is written back byte-identical where GMime can (raw
 * headers and untouched parts are kept as parsed). Uuencoded items inside
 * a text part are cut out of that text and the notice appended to it.
 * A message whose top-level body is itself the quarantined item gets new
 * top-level Content-Type and Content-Transfer-Encoding values, returned
 * separately so the milter can change those headers.
 *
 * hold: a short notice message (fr+en) for the recipients, as a complete
 * RFC 5322 message ready for the MTA's sendmail interface, with the safe
 * copies of held items attached.
 *
 * Ownership: returned strings and byte arrays are transfer full.
 */
#ifndef AIRLOCK_NOTICE_H
#define AIRLOCK_NOTICE_H

#include "airlock/config.h"
#include "airlock/pipeline.h"
#include "airlock/spool.h"
#include "airlock/store.h"

#include <glib.h>

/* One sentence for staff explaining reason, in lang ("fr" or "en"; any
 * other language gives English). Static (transfer none); NULL only for
 * a value that is not a reason. */
const char *al_notice_reason_sentence(enum al_reason reason, const char *lang);

struct al_stripped {
	struct al_content body;          /* the new body: everything after the header block,
					    in an anonymous file in [limits] spool_dir */
	char *content_type;              /* new top-level Content-Type value, or NULL: keep */
	char *content_transfer_encoding; /* new top-level value, or NULL: keep */
	char *content_disposition;       /* new top-level value ("inline"), or NULL: keep;
					    set when the whole top-level body was replaced,
					    so a stale "attachment; filename=..." does not
					    make the notice look like the file */
	char *mime_version;              /* "1.0" when new top-level values are given
					    and the original has no MIME-Version
					    header (plain RFC 822 text), else NULL */
};

/*
 * What a notice says about the recipient's quarantine page. A link
 * (al_weblink_url()) opens every quarantined item of one recipient, so
 * it may only be in a notice that reaches that recipient alone.
 */
struct al_notice_link {
	const char *url;   /* the one recipient's link, or NULL */
	gboolean separate; /* no url: several recipients, each is mailed
			      their own link apart (the notice says so) */
	guint link_days;   /* how long a link is valid, as the notice says */
};

/*
 * Replaces every quarantined item of verdict->message by its notice and
 * writes the new body. link (NULL: the notice says nothing of a page)
 * as above. Returns 0, or -1 with error (the caller must then tempfail:
 * never deliver a half-stripped message).
 */
int al_notice_strip(const struct al_config *config, struct al_verdict *verdict,
		    const char *quarantine_id, const struct al_notice_link *link,
		    struct al_stripped *stripped_r, GError **error);

void al_stripped_clear(struct al_stripped *stripped);

/*
 * The notice message sent to recipients when a message is held: From
 * the configured notice sender, To recipient (NULL: every recipient of
 * smtp; with a link, one recipient only), a bilingual Subject,
 * Auto-Submitted: auto-generated, the original sender, subject, date and
 * the reasons, the quarantine id, the admin contact and the link (NULL:
 * none). Returns the whole
 * message (headers and body, CRLF-free LF text) as a new string.
 */
char *al_notice_hold_message(const struct al_config *config, const struct al_verdict *verdict,
			     const struct al_smtp_context *smtp, const char *quarantine_id,
			     const char *recipient, const struct al_notice_link *link);

/*
 * The same message, with the safe copies of held items (safecopy.h)
 * attached, written to a new anonymous file in [limits] spool_dir and
 * rewound: a large copy is never whole in memory. Returns the file's
 * descriptor (transfer full: close it), or -1 with error.
 */
int al_notice_hold_file(const struct al_config *config, const struct al_verdict *verdict,
			const struct al_smtp_context *smtp, const char *quarantine_id,
			const char *recipient, const struct al_notice_link *link, GError **error);

/*
 * The alert mailed to [notice] admin_address when the quarantine's file
 * system has less than [quarantine] min_free: what happens to mail
 * meanwhile (451, nothing lost) and what to do. free_bytes and min_bytes
 * as measured. Returns the whole message (transfer full).
 */
char *al_notice_disk_alert(const struct al_config *config, guint64 free_bytes, guint64 min_bytes);

/*
 * The mails of the release workflow and the digests (notice_workflow.c),
 * each to one address, in the configured languages (transfer full). A
 * link (al_weblink_url()) opens every quarantined item of its recipient:
 * only mails to that recipient alone carry it; NULL leaves it out.
 */
/* To [notice] admin_address: recipient asks for the release of m. */
char *al_notice_request_mail(const struct al_config *config, const struct al_store_message *m,
			     const char *recipient, const char *note);
/* To recipient: the admin denied the release of m, for reason. */
char *al_notice_denied_mail(const struct al_config *config, const struct al_store_message *m,
			    const char *recipient, const char *reason, const char *link);
/* To one recipient of a stripped message that had several: their link,
 * which the notice inside the shared message cannot carry. */
char *al_notice_link_mail(const struct al_config *config, const char *recipient,
			  const char *quarantine_id, const char *subject, const char *link);
/* To recipient: messages (struct al_store_message *) held for them. */
char *al_notice_digest_mail(const struct al_config *config, const char *recipient,
			    const GPtrArray *messages, const char *link);
/* To [notice] admin_address: the pending requests (struct
 * al_store_request *). */
char *al_notice_requests_mail(const struct al_config *config, const GPtrArray *requests);

#endif
