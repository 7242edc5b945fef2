/*
 * cmd_passwd.c - airlockctl passwd: set the password of an airlock-web
 * admin account (created when new).
 *
 *   airlockctl passwd [-c FILE] NAME
 *
 * The password is read from standard input: typed twice without echo
 * when it is a terminal, else the first line (without its line end), so
 * a script can pipe it in. Refused: empty, shorter than
 * PASSWD_MIN_CHARS characters, longer than PASSWD_MAX_BYTES bytes, not
 * UTF-8, or two different entries. NAME: 1 to 64 of letters, digits and
 * . _ @ -.
 *
 * Stored is libsodium's crypto_pwhash_str() string: argon2id with the
 * "interactive" limits (2 passes over 64 MiB, a salt of its own). The
 * web console checks every login with the same cost, one check at a
 * time, so the interactive limits keep a login under a second on a
 * small server while each guess costs an attacker 64 MiB of memory;
 * airlock-web's growing delay after failures does the rest. The store
 * only ever sees the hash.
 */
#include "ctl_admin.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASSWD_MIN_CHARS 10
#define PASSWD_MAX_BYTES 1024
#define NAME_MAX_CHARS 64

static gboolean valid_name(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= NAME_MAX_CHARS &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-") ==
		       len;
}

/* One line of standard input into buf (line end removed); -1 at EOF or
 * for a line too long. */
static int read_line(char *buf, size_t size)
{
	size_t len;

	if (fgets(buf, (int)size, stdin) == NULL)
		return -1;
	len = strlen(buf);
	if (len == size - 1 && buf[len - 1] != '\n')
		return -1;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return 0;
}

/* Prompted, without echo, on the terminal that is standard input. */
static int read_hidden(const char *prompt, char *buf, size_t size)
{
	struct termios saved, quiet;
	int rc;

	if (tcgetattr(STDIN_FILENO, &saved) < 0)
		return -1;
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	/* Echo off (and what was typed ahead dropped) before the prompt:
	 * what is typed after it is kept. */
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) < 0)
		return -1;
	fputs(prompt, stderr);
	fflush(stderr);
	rc = read_line(buf, size);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	return rc;
}

/* The password into buf; prints why and returns -1 when refused. */
static int read_password(char *buf, size_t size)
{
	char again[PASSWD_MAX_BYTES + 2];
	gboolean tty = isatty(STDIN_FILENO);
	int rc = -1;

	if (tty ? read_hidden("New password: ", buf, size) : read_line(buf, size)) {
		ctl_error("passwd: no password read (at most %d bytes, one line)", PASSWD_MAX_BYTES);
		return -1;
	}
	if (tty && (read_hidden("Again: ", again, sizeof(again)) < 0 || strcmp(buf, again) != 0))
		ctl_error("passwd: the two entries differ");
	else if (buf[0] == '\0')
		ctl_error("passwd: the password is empty");
	else if (!g_utf8_validate(buf, -1, NULL))
		ctl_error("passwd: the password is not UTF-8 text");
	else if (g_utf8_strlen(buf, -1) < PASSWD_MIN_CHARS)
		ctl_error("passwd: the password is too short (at least %d characters)",
			  PASSWD_MIN_CHARS);
	else
		rc = 0;
	sodium_memzero(again, sizeof(again));
	return rc;
}

int ctl_passwd(int argc, char **argv)
{
	g_autofree char *config_path = NULL;
	g_auto(GStrv) names = NULL;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "configuration file",
		  "FILE" },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &names, NULL, "NAME" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) context =
		g_option_context_new("NAME - set an airlock-web admin's password (from stdin)");
	g_autoptr(GError) error = NULL;
	struct ctl_admin admin = { 0 };
	char password[PASSWD_MAX_BYTES + 2];
	char hash[crypto_pwhash_STRBYTES];
	int status = CTL_EXIT_FAILURE;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "passwd", &argc, &argv, FALSE))
		return CTL_EXIT_USAGE;
	if (names == NULL || names[0] == NULL || names[1] != NULL || !valid_name(names[0])) {
		ctl_error("passwd: give one NAME (1 to %d letters, digits, . _ @ -)",
			  NAME_MAX_CHARS);
		return CTL_EXIT_USAGE;
	}
	if (sodium_init() < 0) {
		ctl_error("passwd: libsodium cannot start");
		return CTL_EXIT_FAILURE;
	}
	if (read_password(password, sizeof(password)) < 0)
		goto out;
	if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		ctl_error("passwd: out of memory while hashing");
		goto out;
	}
	if (ctl_admin_open(config_path, &admin) < 0)
		goto out;
	if (al_store_set_admin(admin.store, names[0], hash, &error) < 0) {
		ctl_error("%s", error->message);
		goto out;
	}
	printf("%s: password set (argon2id)\n", names[0]);
	status = CTL_EXIT_OK;
out:
	sodium_memzero(password, sizeof(password));
	ctl_admin_close(&admin);
	return status;
}
