/*
 * safecopy_run.c - one run of the airlock-safecopy helper through pipes.
 *
 * SYNOPSIS
 *	struct al_safecopy *copy = al_safecopy_make(config, kind, &input, ms);
 *
 * DESCRIPTION
 *	The helper is started with posix_spawn(): argv built here (the kind
 *	and the [safecopy] limits, nothing from mail), an empty environment,
 *	stdin, stdout and stderr on three pipes (O_CLOEXEC, so no other
 *	descriptor of the caller reaches it; the helper also closes any
 *	above 2 itself). One poll() loop writes the input, reads the copy
 *	(at most [limits] max_message_bytes) and the first KiB of stderr,
 *	until the deadline: then the helper's process group (it is spawned
 *	as the leader of a new one) gets SIGKILL and the helper is reaped. No
 *	shell, no thread. The input is read from its al_content a chunk at a
 *	time and the copy goes to an al_spool ([limits] memory_threshold,
 *	then an anonymous file in [limits] spool_dir): neither is ever whole
 *	in this process's memory when it is large. SIGPIPE (the helper may exit
 *	before reading all its input) is blocked in the calling thread while
 *	the pipes are pumped, and one it raised is taken back: the caller's
 *	disposition does not matter.
 *
 *	The copy is accepted only when the helper exited 0 and the bytes
 *	start as the kind's format does; its SHA-256 is computed here, as
 *	the bytes arrive.
 *
 *	An Office document runs the helper twice (make_office()): --kind
 *	office returns LibreOffice's PDF, --kind pdf renders it to pixels;
 *	both share the timeout.
 */
#include "airlock/safecopy.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ERR_KEEP_BYTES 1024
#define CHUNK_BYTES    65536
#define REAP_STEP_US   10000
#define HEAD_BYTES     132 /* DICOM: preamble and "DICM" */

/* Exit statuses of airlock-safecopy (src/safecopy/safecopy.h). */
#define HELPER_TOO_MANY_PAGES 5
#define HELPER_TOO_LARGE      6
#define HELPER_TIMEOUT        10 /* LibreOffice killed at --max-seconds */

struct run {
	pid_t pid;
	int in_fd, out_fd, err_fd;
	const struct al_content *input;
	gsize written;
	struct al_spool *out;
	GChecksum *sha256;
	guint8 head[HEAD_BYTES]; /* the copy's first bytes, for looks_like() */
	gsize head_len;
	GError *spool_error; /* writing the copy failed (disk full...) */
	GString *err;
	guint64 max_out_bytes;
	gint64 deadline_us;
	gboolean timed_out, too_large;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static char **helper_argv(const struct al_config *config, enum al_safecopy_kind kind,
                          gint64 timeout_ms)
{
	GPtrArray *argv = g_ptr_array_new();
	guint seconds = (guint)MAX(1, (timeout_ms + 999) / 1000);

	g_ptr_array_add(argv, g_strdup(config->safecopy_helper));
	g_ptr_array_add(argv, g_strdup("--kind"));
	g_ptr_array_add(argv, g_strdup(al_safecopy_kind_name(kind)));
	g_ptr_array_add(argv, g_strdup("--dpi"));
	g_ptr_array_add(argv, g_strdup_printf("%u", config->safecopy_dpi));
	g_ptr_array_add(argv, g_strdup("--max-pages"));
	g_ptr_array_add(argv, g_strdup_printf("%u", config->safecopy_max_pages));
	g_ptr_array_add(argv, g_strdup("--max-seconds"));
	g_ptr_array_add(argv, g_strdup_printf("%u", seconds));
	g_ptr_array_add(argv, NULL);
	return (char **)g_ptr_array_free(argv, FALSE);
}

/* Starts the helper; the parent's ends of the pipes in r. */
static int start(struct run *r, char **argv, GError **error)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	char *envp[] = { NULL };
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	int rc = -1;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "pipe: %s", g_strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
	/* A process group of its own: the deadline kills the helper and
	 * whatever it started (LibreOffice). */
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	rc = posix_spawn(&r->pid, argv[0], &actions, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&actions);
	if (rc != 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s: %s", argv[0], g_strerror(rc));
		rc = -1;
		goto out;
	}
	r->in_fd = in[1], r->out_fd = out[0], r->err_fd = err[0];
	in[1] = out[0] = err[0] = -1;
	fcntl(r->in_fd, F_SETFL, O_NONBLOCK);
out:
	close_fd(&in[0]), close_fd(&in[1]), close_fd(&out[0]);
	close_fd(&out[1]), close_fd(&err[0]), close_fd(&err[1]);
	return rc;
}

/* One chunk of the input, read at the offset the helper has reached. */
static void feed(struct run *r)
{
	guint8 chunk[CHUNK_BYTES];
	gssize got = al_content_pread(r->input, (goffset)r->written, chunk, sizeof chunk, NULL);
	gssize put = got > 0 ? write(r->in_fd, chunk, (gsize)got) : -1;

	if (put > 0)
		r->written += (gsize)put;
	if (got <= 0 || (put < 0 && errno != EINTR && errno != EAGAIN) ||
	    r->written == r->input->size)
		close_fd(&r->in_fd); /* all written, unreadable, or the helper stopped reading */
}

static void keep_output(struct run *r, const guint8 *chunk, gsize got)
{
	gsize head = MIN(got, HEAD_BYTES - r->head_len);

	memcpy(r->head + r->head_len, chunk, head);
	r->head_len += head;
	g_checksum_update(r->sha256, chunk, (gssize)got);
	if (r->spool_error == NULL)
		al_spool_write(r->out, chunk, got, &r->spool_error);
}

static void drain(struct run *r, int *fd, gboolean is_out)
{
	guint8 chunk[CHUNK_BYTES];
	gssize got = read(*fd, chunk, sizeof chunk);

	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (got <= 0) {
		close_fd(fd);
		return;
	}
	if (!is_out) {
		g_string_append_len(r->err, (const char *)chunk,
		                    MIN(got, (gssize)(ERR_KEEP_BYTES - MIN(ERR_KEEP_BYTES, r->err->len))));
		return;
	}
	keep_output(r, chunk, (gsize)got);
	if (al_spool_size(r->out) > r->max_out_bytes) {
		r->too_large = TRUE;
		close_fd(fd);
	}
}

/* Pumps the pipes until both output pipes end or the deadline passes. */
static void pump(struct run *r)
{
	while (r->out_fd >= 0 || r->err_fd >= 0) {
		struct pollfd fds[3];
		int *owners[3];
		nfds_t n = 0;
		gint64 left_ms = (r->deadline_us - g_get_monotonic_time()) / 1000;

		if (left_ms <= 0 || r->too_large) {
			r->timed_out = !r->too_large;
			return;
		}
		if (r->in_fd >= 0)
			fds[n] = (struct pollfd){ .fd = r->in_fd, .events = POLLOUT }, owners[n++] = &r->in_fd;
		if (r->out_fd >= 0)
			fds[n] = (struct pollfd){ .fd = r->out_fd, .events = POLLIN }, owners[n++] = &r->out_fd;
		if (r->err_fd >= 0)
			fds[n] = (struct pollfd){ .fd = r->err_fd, .events = POLLIN }, owners[n++] = &r->err_fd;
		if (poll(fds, n, (int)MIN(left_ms, 1000)) <= 0)
			continue;
		for (nfds_t i = 0; i < n; i++) {
			if (fds[i].revents == 0 || *owners[i] < 0)
				continue;
			if (owners[i] == &r->in_fd)
				feed(r);
			else
				drain(r, owners[i], owners[i] == &r->out_fd);
		}
	}
}

/* pump() with SIGPIPE blocked in this thread; a SIGPIPE it raised is
 * consumed, one that was pending before is left alone. */
static void pump_without_sigpipe(struct run *r)
{
	sigset_t pipe_only, old, pending;
	const struct timespec now = { 0 };
	gboolean was_pending;

	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE) == 1;
	pump(r);
	close_fd(&r->in_fd);
	sigpending(&pending);
	if (!was_pending && sigismember(&pending, SIGPIPE) == 1)
		sigtimedwait(&pipe_only, NULL, &now);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Waits for the helper until the deadline, then kills it. */
static int reap(struct run *r)
{
	int status = 0;

	if (r->timed_out || r->too_large)
		kill(-r->pid, SIGKILL);
	while (waitpid(r->pid, &status, WNOHANG) == 0) {
		if (g_get_monotonic_time() >= r->deadline_us) {
			r->timed_out = !r->too_large;
			kill(-r->pid, SIGKILL);
			waitpid(r->pid, &status, 0);
			break;
		}
		g_usleep(REAP_STEP_US);
	}
	return status;
}

static gboolean looks_like(enum al_safecopy_kind kind, const struct run *r)
{
	static const guint8 zeros[128] = { 0 };
	const guint8 *p = r->head;
	gsize n = r->head_len;

	switch (kind) {
	case AL_SAFECOPY_OFFICE: /* LibreOffice's PDF, before its rendering */
	case AL_SAFECOPY_PDF: return n > 5 && memcmp(p, "%PDF-", 5) == 0;
	case AL_SAFECOPY_JPEG: return n > 3 && memcmp(p, "\xff\xd8\xff", 3) == 0;
	case AL_SAFECOPY_PNG: return n > 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0;
	case AL_SAFECOPY_GIF: return n > 6 && memcmp(p, "GIF8", 4) == 0;
	case AL_SAFECOPY_TIFF:
		return n > 4 && (memcmp(p, "II*\0", 4) == 0 || memcmp(p, "MM\0*", 4) == 0);
	case AL_SAFECOPY_WEBP: return n > 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0;
	case AL_SAFECOPY_HEIC: return n > 12 && memcmp(p + 4, "ftypheic", 8) == 0;
	case AL_SAFECOPY_DICOM:
		return n >= 132 && memcmp(p, zeros, 128) == 0 && memcmp(p + 128, "DICM", 4) == 0;
	case AL_SAFECOPY_NONE: break;
	}
	return FALSE;
}

static enum al_safecopy_failure judge(const struct run *r, int status, enum al_safecopy_kind kind)
{
	if (r->too_large)
		return AL_SAFECOPY_TOO_LARGE;
	if (r->timed_out)
		return AL_SAFECOPY_TIMEOUT;
	if (WIFSIGNALED(status))
		return WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGALRM
		           ? AL_SAFECOPY_TIMEOUT
		           : AL_SAFECOPY_FAILED;
	if (!WIFEXITED(status))
		return AL_SAFECOPY_FAILED;
	if (WEXITSTATUS(status) == HELPER_TOO_MANY_PAGES)
		return AL_SAFECOPY_TOO_MANY_PAGES;
	if (WEXITSTATUS(status) == HELPER_TOO_LARGE)
		return AL_SAFECOPY_TOO_LARGE;
	if (WEXITSTATUS(status) == HELPER_TIMEOUT)
		return AL_SAFECOPY_TIMEOUT;
	if (WEXITSTATUS(status) != 0 || r->spool_error != NULL || !looks_like(kind, r))
		return AL_SAFECOPY_FAILED;
	return AL_SAFECOPY_OK;
}

static char *describe(const struct run *r, int status)
{
	g_autofree char *said = g_strstrip(g_strdup(r->err->str));

	if (r->timed_out)
		return g_strdup("killed: no copy before the deadline");
	if (r->too_large)
		return g_strdup("the copy exceeded [limits] max_message_bytes");
	if (r->spool_error != NULL)
		return g_strdup(r->spool_error->message);
	if (WIFSIGNALED(status))
		return g_strdup_printf("killed by signal %d%s%s", WTERMSIG(status),
		                       said[0] != '\0' ? ": " : "", said);
	return g_strdup_printf("exit status %d%s%s", WEXITSTATUS(status), said[0] != '\0' ? ": " : "",
	                       said);
}

static struct al_safecopy *make_one(const struct al_config *config, enum al_safecopy_kind kind,
                                    const struct al_content *input, gint64 timeout_ms)
{
	struct al_safecopy *copy = g_new0(struct al_safecopy, 1);
	struct run r = {
		.in_fd = -1, .out_fd = -1, .err_fd = -1, .input = input,
		.out = al_spool_new(config->spool_dir, config->memory_threshold_bytes),
		.sha256 = g_checksum_new(G_CHECKSUM_SHA256), .err = g_string_new(NULL),
		.max_out_bytes = config->max_message_bytes,
		.deadline_us = g_get_monotonic_time() + timeout_ms * 1000,
	};
	g_auto(GStrv) argv = helper_argv(config, kind, timeout_ms);
	g_autoptr(GError) error = NULL;
	int status = 0;

	copy->kind = kind;
	copy->content.fd = -1;
	copy->content_type = g_strdup(al_safecopy_content_type(kind));
	if (start(&r, argv, &error) < 0) {
		copy->failure = AL_SAFECOPY_FAILED;
		copy->detail = g_strdup(error->message);
		goto out;
	}
	if (input->size == 0)
		close_fd(&r.in_fd);
	pump_without_sigpipe(&r);
	close_fd(&r.out_fd), close_fd(&r.err_fd);
	status = reap(&r);
	copy->failure = judge(&r, status, kind);
	if (copy->failure != AL_SAFECOPY_OK) {
		copy->detail = describe(&r, status);
		goto out;
	}
	if (al_spool_finish(r.out, &copy->content, &error) < 0) {
		copy->failure = AL_SAFECOPY_FAILED;
		copy->detail = g_strdup(error->message);
		goto out;
	}
	copy->sha256 = g_strdup(g_checksum_get_string(r.sha256));
out:
	al_spool_free(&r.out);
	g_checksum_free(r.sha256);
	g_clear_error(&r.spool_error);
	g_string_free(r.err, TRUE);
	return copy;
}

/* An Office document: LibreOffice's PDF first, then that PDF rendered to
 * pixels, both within timeout_ms. */
static struct al_safecopy *make_office(const struct al_config *config,
                                       const struct al_content *input, gint64 timeout_ms)
{
	const gint64 deadline_us = g_get_monotonic_time() + timeout_ms * 1000;
	struct al_safecopy *pdf = make_one(config, AL_SAFECOPY_OFFICE, input, timeout_ms);
	struct al_safecopy *copy = NULL;
	gint64 left_ms = (deadline_us - g_get_monotonic_time()) / 1000;

	if (pdf->failure != AL_SAFECOPY_OK) {
		pdf->kind = AL_SAFECOPY_PDF;
		return pdf;
	}
	if (left_ms <= 0) {
		pdf->failure = AL_SAFECOPY_TIMEOUT;
		pdf->kind = AL_SAFECOPY_PDF;
		pdf->detail = g_strdup("no time left to render LibreOffice's PDF");
		al_content_clear(&pdf->content);
		g_clear_pointer(&pdf->sha256, g_free);
		return pdf;
	}
	copy = make_one(config, AL_SAFECOPY_PDF, &pdf->content, left_ms);
	al_safecopy_free(&pdf);
	return copy;
}

struct al_safecopy *al_safecopy_make(const struct al_config *config, enum al_safecopy_kind kind,
                                     const struct al_content *input, gint64 timeout_ms)
{
	if (kind == AL_SAFECOPY_OFFICE)
		return make_office(config, input, timeout_ms);
	return make_one(config, kind, input, timeout_ms);
}
