/*
 * confine.c - how airlock-safecopy locks itself down before it parses.
 *
 * DESCRIPTION
 *	In this order, after the input was read and the libraries loaded:
 *	- file descriptors other than 0, 1 and 2 are closed (the milter's
 *	  sockets and store never reach the renderer);
 *	- setrlimit: address space (--max-memory-mb; not under ASan, whose
 *	  shadow memory needs terabytes of address space), CPU seconds
 *	  (--max-seconds), file size 0 (1 GiB when stdout is a regular file
 *	  the caller opened: the copy itself), no core file, 16 descriptors; and
 *	  alarm(--max-seconds) as a wall clock of its own, on top of the
 *	  caller's;
 *	- unshare(CLONE_NEWUSER|CLONE_NEWNET) (or CLONE_NEWNET alone as
 *	  root): an empty network namespace, no interface but a down
 *	  loopback. A kernel that refuses it leaves the seccomp filter as the
 *	  only network barrier, and the helper says so on stderr;
 *	- PR_SET_NO_NEW_PRIVS and PR_SET_DUMPABLE 0;
 *	- Landlock (when the kernel has it): no write, create, remove or
 *	  truncate anywhere; reading only under /usr, /etc, /var/cache, /proc
 *	  and /sys/devices/system (libraries, fonts, fontconfig's cache, the
 *	  CPU topology x265 reads);
 *	- a seccomp filter (libseccomp) whose default is EPERM: allowed are
 *	  read, write to stdout/stderr only, memory management, time, exit,
 *	  signals and the read-only opening and reading of files that
 *	  poppler, cairo and fontconfig do. socket, connect, execve and
 *	  their relatives, ptrace and process creation kill the process
 *	  (SIGSYS); an open for writing, like any other call, fails with
 *	  EPERM.
 *	A failure to install the seccomp filter is fatal (SC_CONFINE); the
 *	network namespace and Landlock are defences in depth.
 */
#include "safecopy.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

/* Debian 12's kernel headers predate Landlock ABI 3 (kernel 6.2). */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SC_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SC_UNDER_ASAN 1
#endif
#endif
#ifdef SC_UNDER_ASAN
#include <sanitizer/lsan_interface.h>

const char *__lsan_default_suppressions(void);
/* fontconfig keeps its configuration for the process's life on purpose. */
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}
#endif

#define MAX_OUTPUT_FILE_BYTES ((rlim_t)1 << 30)

void sc_close_other_fds(void)
{
	long max = sysconf(_SC_OPEN_MAX);
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return;
	for (long fd = 3; fd < (max > 0 ? max : 1024); fd++)
		close((int)fd);
}

/* The copy may go to a file an admin named (airlock-safecopy > FILE). */
static gboolean stdout_is_file(void)
{
	struct stat st;
	return fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode);
}

static int set_one(int resource, rlim_t value)
{
	struct rlimit limit = { .rlim_cur = value, .rlim_max = value };
	return setrlimit(resource, &limit);
}

int sc_set_limits(const struct sc_limits *limits, const char **why_r)
{
	int failed = 0;
#ifndef SC_UNDER_ASAN
	failed |= set_one(RLIMIT_AS, (rlim_t)limits->max_memory_mb << 20);
#endif
	failed |= set_one(RLIMIT_CPU, limits->max_seconds);
	failed |= set_one(RLIMIT_FSIZE, stdout_is_file() ? MAX_OUTPUT_FILE_BYTES : 0);
	failed |= set_one(RLIMIT_CORE, 0);
	failed |= set_one(RLIMIT_NOFILE, 16);
	if (failed != 0) {
		*why_r = "setrlimit failed";
		return SC_CONFINE;
	}
	/* A write past the file-size limit fails with EFBIG instead of killing:
	 * stderr may be a file when an admin runs the helper by hand. */
	signal(SIGXFSZ, SIG_IGN);
	alarm(limits->max_seconds);
	return SC_OK;
}

static gboolean enter_empty_network(void)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0)
		return TRUE;
	return unshare(CLONE_NEWNET) == 0;
}

static int landlock_allow_read(int ruleset, const char *path, __u64 access)
{
	struct landlock_path_beneath_attr rule = { .allowed_access = access };
	rule.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (rule.parent_fd < 0)
		return 0; /* a directory this system does not have */
	int rc = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
	close(rule.parent_fd);
	return rc;
}

/* Returns the Landlock ABI enforced, 0 when the kernel has none. */
static int enter_landlock(void)
{
	static const char *const readable[] = { "/usr", "/etc", "/var/cache", "/proc",
		                                 "/sys/devices/system", NULL };
	const __u64 read = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	                   LANDLOCK_ACCESS_FS_EXECUTE;
	struct landlock_ruleset_attr attr = {
		.handled_access_fs = read | LANDLOCK_ACCESS_FS_WRITE_FILE |
		                     LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
		                     LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
		                     LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
		                     LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
		                     LANDLOCK_ACCESS_FS_MAKE_SYM,
	};
	int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi <= 0)
		return 0;
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (ruleset < 0)
		return 0;
	int rc = 0;
	for (size_t i = 0; readable[i] != NULL && rc == 0; i++)
		rc = landlock_allow_read(ruleset, readable[i], read);
	if (rc == 0)
		rc = (int)syscall(SYS_landlock_restrict_self, ruleset, 0);
	close(ruleset);
	return rc == 0 ? abi : 0;
}

/* What the libraries may do once the input is being parsed. */
static const int allowed_calls[] = {
	SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(close), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(statx), SCMP_SYS(lseek),
	SCMP_SYS(getdents64), SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(access),
	SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(fcntl), SCMP_SYS(brk), SCMP_SYS(mmap),
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect), SCMP_SYS(madvise),
	SCMP_SYS(futex), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction), SCMP_SYS(sigaltstack),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
	SCMP_SYS(getrandom), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getuid),
	SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(uname),
	SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq), SCMP_SYS(getrlimit), SCMP_SYS(sysinfo), SCMP_SYS(restart_syscall),
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep), SCMP_SYS(tgkill), SCMP_SYS(getcwd),
};

/* What no renderer has a reason to try: the process dies on the spot. */
static const int killing_calls[] = {
	SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(connect), SCMP_SYS(bind),
	SCMP_SYS(listen), SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(sendto),
	SCMP_SYS(sendmsg), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(execve),
	SCMP_SYS(execveat), SCMP_SYS(ptrace), SCMP_SYS(fork), SCMP_SYS(vfork),
	SCMP_SYS(process_vm_writev), SCMP_SYS(process_vm_readv), SCMP_SYS(kill),
	SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(mount), SCMP_SYS(chroot),
	SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(bpf), SCMP_SYS(io_uring_setup),
};

/* One argument comparison (libseccomp's SCMP_An() macros leave a field
 * unnamed, which clang's -Wmissing-field-initializers refuses). */
static struct scmp_arg_cmp arg(unsigned index, enum scmp_compare op, scmp_datum_t a,
                               scmp_datum_t b)
{
	return (struct scmp_arg_cmp){ .arg = index, .op = op, .datum_a = a, .datum_b = b };
}

static int add_rules(scmp_filter_ctx ctx)
{
	const scmp_datum_t writing = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
	int rc = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(allowed_calls) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_calls[i], 0);
	for (size_t i = 0; i < G_N_ELEMENTS(killing_calls) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, killing_calls[i], 0);
	/* write and writev: only the copy on stdout and the one error line. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
		                      arg(0, SCMP_CMP_LE, STDERR_FILENO, 0));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(writev), 1,
		                      arg(0, SCMP_CMP_LE, STDERR_FILENO, 0));
	/* Opening files: read-only, nothing created, truncated or appended. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
		                      arg(2, SCMP_CMP_MASKED_EQ, writing, 0));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
		                      arg(1, SCMP_CMP_MASKED_EQ, writing, 0));
	/* Threads only (glib's), never a new process. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
		                      arg(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	return rc;
}

static int enter_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (ctx == NULL)
		return -1;
	int rc = add_rules(ctx);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

int sc_confine(struct sc_confinement *state_r, const char **why_r)
{
	state_r->net_namespace = enter_empty_network();
	if (!state_r->net_namespace)
		fprintf(stderr, "airlock-safecopy: no network namespace on this kernel (%s); "
		                "the seccomp filter alone keeps the network out\n", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		*why_r = "prctl(PR_SET_NO_NEW_PRIVS) failed";
		return SC_CONFINE;
	}
	state_r->landlock_abi = enter_landlock();
#ifdef SC_UNDER_ASAN
	/* LeakSanitizer's exit check stops the world with clone and ptrace,
	 * which the filter forbids: it runs here, once, instead. */
	__lsan_do_leak_check();
#endif
	if (enter_seccomp() != 0) {
		*why_r = "cannot install the seccomp filter";
		return SC_CONFINE;
	}
	state_r->seccomp = TRUE;
	return SC_OK;
}

static int try_connect(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(25) };
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return SC_OK;
	int rc = connect(fd, (struct sockaddr *)&to, sizeof to);
	close(fd);
	return rc == 0 ? SC_SELFTEST_FAIL : SC_OK;
}

static int try_alloc(void)
{
#ifdef SC_UNDER_ASAN
	fprintf(stderr, "airlock-safecopy: no address-space limit under ASan\n");
	return SC_UNSUPPORTED;
#endif
	const size_t huge = (size_t)8 << 30;
	char *block = malloc(huge);
	if (block == NULL)
		return SC_OK;
	memset(block, 1, huge);
	free(block);
	return SC_SELFTEST_FAIL;
}

/* Interfaces other than loopback seen from here (/proc/self/net/dev). */
static int count_interfaces(void)
{
	char line[256];
	int count = 0;
	FILE *dev = fopen("/proc/self/net/dev", "r");

	if (dev == NULL)
		return -1;
	while (fgets(line, sizeof line, dev) != NULL)
		if (strchr(line, ':') != NULL && strstr(line, "lo:") == NULL)
			count++;
	fclose(dev);
	return count;
}

static int unavailable(const char *what)
{
	fprintf(stderr, "airlock-safecopy: %s is not available on this kernel\n", what);
	return SC_UNSUPPORTED;
}

/* Reading outside the Landlock rules (/tmp) must fail. */
static int try_read(const struct sc_confinement *confinement)
{
	int fd;

	if (confinement->landlock_abi == 0)
		return unavailable("Landlock");
	fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return SC_OK;
	close(fd);
	return SC_SELFTEST_FAIL;
}

int sc_self_test(const char *what, const struct sc_confinement *confinement)
{
	if (strcmp(what, "read") == 0)
		return try_read(confinement);
	if (strcmp(what, "network") == 0) {
		if (!confinement->net_namespace)
			return unavailable("a network namespace");
		return count_interfaces() == 0 ? SC_OK : SC_SELFTEST_FAIL;
	}
	if (strcmp(what, "write") == 0) {
		int fd = open("airlock-safecopy-self-test", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0) {
			fprintf(stderr, "airlock-safecopy: write refused: %s\n", strerror(errno));
			return SC_OK;
		}
		close(fd);
		return SC_SELFTEST_FAIL;
	}
	if (strcmp(what, "connect") == 0)
		return try_connect();
	if (strcmp(what, "exec") == 0) {
		char *const argv[] = { "/bin/true", NULL };
		execv(argv[0], argv);
		return SC_SELFTEST_FAIL;
	}
	if (strcmp(what, "hang") == 0) {
		for (volatile unsigned long spin = 0;; spin++)
			continue;
	}
	if (strcmp(what, "alloc") == 0)
		return try_alloc();
	return SC_USAGE;
}
