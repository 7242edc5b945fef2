/*
 * office.c - airlock-safecopy --kind office: an Office document to PDF
 * through LibreOffice headless, in a second, weaker sandbox.
 *
 * DESCRIPTION
 *	LibreOffice needs exec, threads, many files and a writable profile:
 *	it cannot run under the PDF path's seccomp filter. So this mode
 *	(called after the input was read, before anything parses it):
 *	- creates a private directory /tmp/airlock-office-XXXXXX (mode
 *	  0700) holding the input (document.EXT, EXT guessed from the magic
 *	  bytes), the LibreOffice profile and the output;
 *	- forks a child that becomes leader of its own process group, dies
 *	  with the helper (PR_SET_PDEATHSIG), enters an empty network
 *	  namespace when the kernel allows it, takes the limits (address
 *	  space 2 GiB, CPU seconds, files of at most 256 MiB, no core),
 *	  PR_SET_NO_NEW_PRIVS, Landlock when the kernel has it (reading and
 *	  executing only the system directories, writing only inside the
 *	  private directory and /dev/null), and execs
 *	  soffice --headless --norestore --nolockcheck --convert-to pdf
 *	  with an environment of HOME and TMPDIR (inside the directory) and
 *	  PATH=/usr/bin:/bin (soffice is a shell script) only;
 *	- waits at most --max-seconds minus one second (the caller's own
 *	  deadline comes after), then kills the whole process group with
 *	  SIGKILL; the group is killed again once soffice exits, so no
 *	  LibreOffice process outlives the conversion;
 *	- writes the PDF to stdout and removes the directory, whatever
 *	  happened.
 *	Macros never run: a conversion does not execute document macros
 *	under LibreOffice's default macro security, and nothing here changes
 *	that security or passes a macro to run. The PDF is not the copy: the
 *	caller sends it through --kind pdf (the strict sandbox) to be
 *	rendered to pixels.
 */
#include "safecopy.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/landlock.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

#define OFFICE_MEMORY_BYTES ((rlim_t)2 << 30)
#define OFFICE_FILE_BYTES   ((rlim_t)256 << 20)
#define WAIT_STEP_NS        20000000L

static const char *const soffice_paths[] = { "/usr/bin/soffice",
	                                      "/usr/lib/libreoffice/program/soffice", NULL };

const char *sc_office_soffice(void)
{
	for (size_t i = 0; soffice_paths[i] != NULL; i++)
		if (access(soffice_paths[i], X_OK) == 0)
			return soffice_paths[i];
	return NULL;
}

/* The input's extension, from its first bytes: LibreOffice's filter
 * detection starts from the name. */
static const char *guess_extension(const guint8 *data, size_t len)
{
	if (len >= 8 && memcmp(data, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) == 0)
		return "doc"; /* OLE2: LibreOffice tells Word, Excel and PowerPoint apart */
	if (len >= 5 && memcmp(data, "{\\rtf", 5) == 0)
		return "rtf";
	if (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0) {
		if (g_strstr_len((const char *)data, (gssize)MIN(len, 4096),
		                 "mimetypeapplication/vnd.oasis.opendocument") != NULL)
			return "odt";
		if (g_strstr_len((const char *)data, (gssize)len, "xl/") != NULL)
			return "xlsx";
		if (g_strstr_len((const char *)data, (gssize)len, "ppt/") != NULL)
			return "pptx";
		return "docx";
	}
	return "bin";
}

static int write_file(const char *path, const guint8 *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t done = 0;
	if (fd < 0)
		return -1;
	while (done < len) {
		ssize_t put = write(fd, data + done, len - done);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			break;
		done += (size_t)put;
	}
	return close(fd) == 0 && done == len ? 0 : -1;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int landlock_rule(int ruleset, const char *path, __u64 access)
{
	struct landlock_path_beneath_attr rule = { .allowed_access = access };
	rule.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (rule.parent_fd < 0)
		return 0;
	int rc = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
	close(rule.parent_fd);
	return rc;
}

/* Read and execute the system, write only dir (and /dev/null); and,
 * without a private /tmp, make LibreOffice's socket in /tmp. */
static void enter_landlock(const char *dir, gboolean socket_in_tmp)
{
	static const char *const system_dirs[] = { "/usr", "/etc", "/bin", "/lib", "/lib64",
		                                    "/sbin", "/var/cache", "/var/lib/libreoffice",
		                                    "/var/spool/libreoffice", "/proc", "/sys",
		                                    "/dev", NULL };
	const __u64 read = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	                   LANDLOCK_ACCESS_FS_EXECUTE;
	__u64 write = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
	              LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
	              LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
	              LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
	              LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
	int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi <= 0)
		return;
	if (abi >= 2)
		write |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		write |= LANDLOCK_ACCESS_FS_TRUNCATE;
	struct landlock_ruleset_attr attr = { .handled_access_fs = read | write };
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (ruleset < 0)
		return;
	int rc = landlock_rule(ruleset, dir, read | write);
	for (size_t i = 0; system_dirs[i] != NULL && rc == 0; i++)
		rc = landlock_rule(ruleset, system_dirs[i], read);
	if (rc == 0)
		rc = landlock_rule(ruleset, "/dev/null", LANDLOCK_ACCESS_FS_WRITE_FILE |
		                                             LANDLOCK_ACCESS_FS_READ_FILE);
	if (rc == 0 && socket_in_tmp)
		rc = landlock_rule(ruleset, "/tmp", LANDLOCK_ACCESS_FS_MAKE_SOCK);
	if (rc == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
		rc = -1;
	close(ruleset);
	if (rc != 0)
		fprintf(stderr, "airlock-safecopy: Landlock not applied to soffice\n");
}

static void set_limit(int resource, rlim_t value)
{
	struct rlimit limit = { .rlim_cur = value, .rlim_max = value };
	setrlimit(resource, &limit);
}

static gboolean write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	gboolean ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* CLONE_NEWNS and CLONE_NEWNET as root; otherwise in a user namespace
 * of our own where this user keeps its uid and gid (the private
 * directory is its own). Sets *mounts_r when a mount namespace exists. */
static gboolean enter_namespaces(gboolean *mounts_r)
{
	char uid_map[64], gid_map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	*mounts_r = TRUE;
	if (unshare(CLONE_NEWNS | CLONE_NEWNET) == 0)
		return TRUE;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) != 0) {
		*mounts_r = FALSE;
		return unshare(CLONE_NEWNET) == 0;
	}
	snprintf(uid_map, sizeof uid_map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	snprintf(gid_map, sizeof gid_map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	return write_proc("/proc/self/uid_map", uid_map) &&
	       write_proc("/proc/self/setgroups", "deny") &&
	       write_proc("/proc/self/gid_map", gid_map);
}

/* LibreOffice puts its single-instance socket in /tmp whatever TMPDIR
 * says: in a mount namespace, the private directory becomes /tmp. */
static gboolean private_tmp(const char *dir)
{
	return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	       mount(dir, "/tmp", NULL, MS_BIND, NULL) == 0;
}

/* In the child: confine, then exec soffice. Never returns. */
static void run_soffice(const char *soffice, const char *dir, const char *name,
                        unsigned max_seconds)
{
	gboolean mounts = FALSE, tmp_is_dir = FALSE;
	int devnull = open("/dev/null", O_RDWR);

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO); /* stdout is the copy's pipe */
		close(devnull);
	}
	if (!enter_namespaces(&mounts))
		fprintf(stderr, "airlock-safecopy: soffice keeps the network (%s)\n", strerror(errno));
	tmp_is_dir = mounts && private_tmp(dir);
	const char *where = tmp_is_dir ? "/tmp" : dir;
	g_autofree char *profile = g_strdup_printf("-env:UserInstallation=file://%s/profile", where);
	g_autofree char *outdir = g_strdup_printf("%s/out", where);
	g_autofree char *input = g_strdup_printf("%s/%s", where, name);
	g_autofree char *home = g_strdup_printf("HOME=%s", where);
	g_autofree char *tmp = g_strdup_printf("TMPDIR=%s", where);
	char *const argv[] = { (char *)soffice, profile, "--headless", "--norestore",
		               "--nolockcheck", "--convert-to", "pdf", "--outdir", outdir,
		               input, NULL };
	char *const envp[] = { home, tmp, "PATH=/usr/bin:/bin", NULL };

	set_limit(RLIMIT_AS, OFFICE_MEMORY_BYTES);
	set_limit(RLIMIT_CPU, max_seconds);
	set_limit(RLIMIT_FSIZE, OFFICE_FILE_BYTES);
	set_limit(RLIMIT_CORE, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		_exit(SC_CONFINE);
	enter_landlock(where, !tmp_is_dir);
	if (chdir(where) != 0)
		_exit(SC_CONFINE);
	execve(soffice, argv, envp);
	_exit(SC_UNSUPPORTED);
}

/* Waits for the child until wait_seconds; kills its group either way. */
static int wait_soffice(pid_t child, unsigned wait_seconds, gboolean *timed_out_r)
{
	const struct timespec step = { .tv_nsec = WAIT_STEP_NS };
	gint64 deadline = g_get_monotonic_time() + (gint64)wait_seconds * G_USEC_PER_SEC;
	int status = 0;
	pid_t done;

	while ((done = waitpid(child, &status, WNOHANG)) == 0 && g_get_monotonic_time() < deadline)
		nanosleep(&step, NULL);
	*timed_out_r = done == 0;
	kill(-child, SIGKILL);
	if (done == 0)
		waitpid(child, &status, 0);
	/* Grandchildren reparented to us (PR_SET_CHILD_SUBREAPER): reap them. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		continue;
	return status;
}

static int read_pdf(const char *path, GByteArray *out, const char **why_r)
{
	g_autofree char *bytes = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &bytes, &len, NULL)) {
		*why_r = "LibreOffice made no PDF of the document";
		return SC_INVALID;
	}
	g_byte_array_append(out, (const guint8 *)bytes, (guint)len);
	return SC_OK;
}

int sc_office_convert(const guint8 *data, size_t len, const struct sc_limits *limits,
                      GByteArray *out, const char **why_r)
{
	const char *soffice = sc_office_soffice();
	char dir[] = "/tmp/airlock-office-XXXXXX";
	g_autofree char *name = NULL;
	g_autofree char *input = NULL;
	g_autofree char *pdf = NULL;
	gboolean timed_out = FALSE;
	int status, rc;
	pid_t child;

	if (soffice == NULL) {
		*why_r = "LibreOffice (soffice) is not installed";
		return SC_UNSUPPORTED;
	}
	if (mkdtemp(dir) == NULL) {
		*why_r = "cannot create the private directory";
		return SC_IO;
	}
	name = g_strdup_printf("document.%s", guess_extension(data, len));
	input = g_strdup_printf("%s/%s", dir, name);
	pdf = g_strdup_printf("%s/out/document.pdf", dir);
	if (write_file(input, data, len) != 0) {
		*why_r = "cannot write the document in the private directory";
		rc = SC_IO;
		goto out;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	child = fork();
	if (child < 0) {
		*why_r = "fork failed";
		rc = SC_IO;
		goto out;
	}
	if (child == 0)
		run_soffice(soffice, dir, name, limits->max_seconds);
	setpgid(child, child);
	status = wait_soffice(child, limits->max_seconds > 2 ? limits->max_seconds - 1 : 1,
	                      &timed_out);
	if (timed_out) {
		*why_r = "LibreOffice did not finish in time";
		rc = SC_TIMEOUT;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		*why_r = "LibreOffice failed on the document";
		rc = SC_INVALID;
	} else {
		rc = read_pdf(pdf, out, why_r);
	}
out:
	remove_tree(dir);
	return rc;
}
