/*
 * ctl.h - what the airlockctl subcommands share: the dispatcher's view of
 * a subcommand and the exit codes of DESIGN.md.
 */
#ifndef AIRLOCK_CTL_H
#define AIRLOCK_CTL_H

#include <glib.h>

enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILURE = 1, /* user error, one-line message on stderr */
	CTL_EXIT_USAGE = 2,
};

/* Each subcommand: argv[0] is the subcommand name. Returns an exit code. */
int ctl_check(int argc, char **argv);
int ctl_init(int argc, char **argv);
int ctl_list(int argc, char **argv);
int ctl_show(int argc, char **argv);
int ctl_release(int argc, char **argv);
int ctl_delete(int argc, char **argv);
int ctl_purge(int argc, char **argv);
int ctl_report(int argc, char **argv);
int ctl_status(int argc, char **argv); /* exits 0-3: Nagios states, not the codes above */
int ctl_backup(int argc, char **argv);
int ctl_restore(int argc, char **argv);
int ctl_migrate(int argc, char **argv);
int ctl_link(int argc, char **argv);
int ctl_digest(int argc, char **argv);
int ctl_requests(int argc, char **argv);
int ctl_approve(int argc, char **argv);
int ctl_deny(int argc, char **argv);
int ctl_passwd(int argc, char **argv);
int ctl_safecopy(int argc, char **argv);

/* Prints "airlockctl: " and the message on stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a subcommand's options; on a bad option (or, with no_arguments,
 * any argument left) prints "COMMAND: why" and returns FALSE. */
gboolean ctl_parse_options(GOptionContext *context, const char *command, int *argc, char ***argv,
			   gboolean no_arguments);

/* s with control characters and invalid UTF-8 made harmless for a
 * terminal (transfer full). */
char *ctl_printable(const char *s);

#endif
