/*
 * sigwait.c - keeps SIGHUP, SIGTERM and SIGINT away from libmilter.
 *
 * DESCRIPTION
 *	smfi_main() starts a thread of its own that sigwait()s for SIGHUP,
 *	SIGTERM and SIGINT and stops the milter on any of them: for
 *	libmilter, SIGHUP means stop. main.c wants it to mean reload, and
 *	wants SIGTERM to finish the messages in flight first, so its
 *	handlers run in the main thread, the only thread that leaves the
 *	three unblocked. That alone is not enough: Linux gives a signal sent
 *	to the process to the main thread only when that thread can take it
 *	at once, and otherwise to any thread that waits for it. When the
 *	main thread already has a signal pending and is not running (a
 *	helper that just exited sends SIGCHLD; under load the main thread
 *	may wait for a CPU), a SIGHUP goes to libmilter's thread, and the
 *	milter stops instead of reloading (seen in the tests: a SIGHUP during
 *	a burst of mail that started safe-copy helpers, the milter gone).
 *
 *	This definition of sigwait() takes the place of the C library's in
 *	the whole program, libmilter included: the dynamic linker looks in
 *	the executable first. A call that waits for any of the three no
 *	longer takes them: the calling thread blocks them and waits for the
 *	rest of its set, or forever when nothing is left (libmilter's case).
 *	The main thread is then the only one that can receive them; a signal
 *	it cannot take at once stays pending until it can. Every other call
 *	behaves as the C library's.
 *
 *	tests/e2e/test_e2e.py checks the result from outside: every thread
 *	but the main one keeps the three blocked, and SIGHUPs sent during a
 *	burst of mail all reload.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static const int main_thread_signals[] = {SIGHUP, SIGTERM, SIGINT};

int sigwait(const sigset_t *restrict set, int *restrict sig)
{
	sigset_t main_only, rest = *set;
	int had_ours = 0, got;

	sigemptyset(&main_only);
	for (size_t i = 0; i < sizeof main_thread_signals / sizeof main_thread_signals[0]; i++) {
		int s = main_thread_signals[i];

		sigaddset(&main_only, s);
		if (sigismember(set, s) == 1) {
			had_ours = 1;
			sigdelset(&rest, s);
		}
	}
	if (had_ours) {
		pthread_sigmask(SIG_BLOCK, &main_only, NULL);
		if (sigisemptyset(&rest) == 1) {
			for (;;)
				pause(); /* a cancellation point, as sigwait() is */
		}
	}
	do
		got = sigwaitinfo(&rest, NULL);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return errno;
	*sig = got;
	return 0;
}
