/*
 * sendmail.c - run the MTA's sendmail command for one message.
 *
 * argv only, no shell: the command string is split once with
 * g_shell_parse_argv(), and the sender and recipients are separate
 * arguments after it, so a recipient cannot become an option ("--").
 */
#include "airlock/sendmail.h"

#include "airlock/common.h"

#include <gio/gio.h>
#include <string.h>

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

int al_sendmail(const char *command, const char *sender, const char *const *recipients,
		const void *message, gsize len, GError **error)
{
	g_auto(GStrv) argv = NULL;
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GBytes) input = NULL;
	g_autoptr(GBytes) errors = NULL;
	g_autofree char *line = NULL;

	if (recipients == NULL || recipients[0] == NULL) {
		g_set_error(error, AL_ERROR, AL_ERROR_INTERNAL, "no recipient for %s", command);
		return -1;
	}
	argv = build_argv(command, sender, recipients, error);
	if (argv == NULL)
		return -1;
	process = g_subprocess_newv((const char *const *)argv,
				    G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					    G_SUBPROCESS_FLAGS_STDERR_PIPE,
				    error);
	if (process == NULL)
		return -1;
	input = g_bytes_new_static(message, len);
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
}
