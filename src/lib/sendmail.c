/*
 * sendmail.c - run the MTA's sendmail command for one message.
 *
 * argv only, no shell: the command string is split once with
 * g_shell_parse_argv(), and the sender and recipients are separate
 * arguments after it, so a recipient cannot become an option ("--").
 */
#include "airlock/sendmail.h"

#include "airlock/common.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

static char **build_argv(const char *command, const char *sender,
			 const char *const *recipients, GError **error)
{
	g_auto(GStrv) base = NULL;
	GPtrArray *argv;

	if (!g_shell_parse_argv(command, NULL, &base, error))
		return NULL;
	argv = g_ptr_array_new();
	for (char **p = base; *p != NULL; p++)
		g_ptr_array_add(argv, g_strdup(*p));
	g_ptr_array_add(argv, g_strdup("-f"));
	g_ptr_array_add(argv, g_strdup(sender != NULL ? sender : ""));
	g_ptr_array_add(argv, g_strdup("--"));
	for (const char *const *r = recipients; *r != NULL; r++)
		g_ptr_array_add(argv, g_strdup(*r));
	g_ptr_array_add(argv, NULL);
	return (char **)g_ptr_array_free(argv, FALSE);
}

static char *first_line(GBytes *bytes)
{
	gsize len = 0;
	const char *data = bytes != NULL ? g_bytes_get_data(bytes, &len) : NULL;
	const char *end = data != NULL ? memchr(data, '\n', len) : NULL;

	if (data == NULL || len == 0)
		return g_strdup("no message");
	return g_utf8_make_valid(data, end != NULL ? end - data : (gssize)MIN(len, 200));
}

/* Runs command for sender and recipients with stdin_fd (taken) as its
 * standard input, or input fed through a pipe. */
static int run(const char *command, const char *sender, const char *const *recipients,
	       GBytes *input, int stdin_fd, GError **error)
{
	g_auto(GStrv) argv = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GBytes) errors = NULL;
	g_autofree char *line = NULL;
	GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE;

	if (recipients == NULL || recipients[0] == NULL) {
		g_set_error(error, AL_ERROR, AL_ERROR_INTERNAL, "no recipient for %s", command);
		goto fail;
	}
	argv = build_argv(command, sender, recipients, error);
	if (argv == NULL)
		goto fail;
	launcher = g_subprocess_launcher_new(stdin_fd >= 0 ? flags
							   : flags | G_SUBPROCESS_FLAGS_STDIN_PIPE);
	if (stdin_fd >= 0)
		g_subprocess_launcher_take_stdin_fd(launcher, stdin_fd);
	stdin_fd = -1;
	process = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv, error);
	if (process == NULL)
		return -1;
	if (!g_subprocess_communicate(process, input, NULL, NULL, &errors, error))
		return -1;
	if (g_subprocess_get_if_exited(process) && g_subprocess_get_exit_status(process) == 0)
		return 0;
	line = first_line(errors);
	g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s failed (%s %d): %s", argv[0],
		    g_subprocess_get_if_exited(process) ? "exit status" : "signal",
		    g_subprocess_get_if_exited(process) ? g_subprocess_get_exit_status(process)
							: g_subprocess_get_term_sig(process),
		    line);
	return -1;
fail:
	if (stdin_fd >= 0)
		close(stdin_fd);
	return -1;
}

int al_sendmail(const char *command, const char *sender, const char *const *recipients,
		const void *message, gsize len, GError **error)
{
	g_autoptr(GBytes) input = g_bytes_new_static(message, len);

	return run(command, sender, recipients, input, -1, error);
}

int al_sendmail_fd(const char *command, const char *sender, const char *const *recipients,
		   int fd, GError **error)
{
	int own = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (own < 0 || lseek(own, 0, SEEK_SET) != 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot read the message for %s: %s",
			    command, g_strerror(errno));
		if (own >= 0)
			close(own);
		return -1;
	}
	return run(command, sender, recipients, NULL, own, error);
}
