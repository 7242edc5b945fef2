/*
 * sendmail.h - handing a message to the MTA through its sendmail
 * interface (hold notices, releases).
 *
 * The command comes from config as a string split into argv like a shell
 * would split words (quotes honoured) but never run through a shell; the
 * envelope sender and the recipients are appended as separate arguments
 * ("-f", sender, "--", rcpt...), so nothing from mail is ever
 * interpreted. The message goes to the command's standard input.
 */
#ifndef AIRLOCK_SENDMAIL_H
#define AIRLOCK_SENDMAIL_H

#include <glib.h>

/*
 * Runs command with the sender ("" for the null sender <>) and recipients
 * (NULL-terminated, at least one), feeding message (len bytes). Returns 0
 * when the command exited 0, else -1 with an error quoting the command's
 * exit status and the first line of its stderr.
 */
int al_sendmail(const char *command, const char *sender, const char *const *recipients,
		const void *message, gsize len, GError **error);

/* The same with the message read from fd, from its start: the command
 * reads the file itself (a large message never goes through memory).
 * fd stays the caller's. */
int al_sendmail_fd(const char *command, const char *sender, const char *const *recipients,
		   int fd, GError **error);

#endif
