/* SPDX-License-Identifier: MIT */
/*
 * test_child.c - child_run() against real programs (sh, cat, head, sleep).
 *
 * Usage: test_child [FILE...]	(FILEs are ignored: there are no data files)
 *
 * What each case checks is what callers rely on: the exit status passed
 * through; stdout collected byte for byte, and refused over its bound;
 * big input and big output at once without a deadlock; the end of stderr
 * kept (and copied to ours only when not quiet); a missing program told
 * apart; a timeout that ends the whole process group in time; and no wait
 * for end of file when something the child left behind holds its pipes.
 *
 * Every wait of child_run() must keep its bound on a machine that stalls.
 * To make such a machine on purpose, this file puts four calls of its own
 * in front of libc's for child.c (the executable's definitions win), each
 * doing nothing unusual until a test sets its switch:
 *  - clock_gettime: each reading of CLOCK_MONOTONIC is clock_step_ms later
 *    than the one before, as if the process stalled between any two;
 *  - execvp: the forked child writes its pid on exec_pid_fd, sends us
 *    SIGTERM if exec_term_parent, then sleeps exec_stall_ms, as an exec
 *    from a stalled network file system would;
 *  - _exit: the forked child sleeps exit_stall_ms before it exits, as one
 *    slow to die after it said why it could not exec;
 *  - kill: SIGKILL is dropped while drop_sigkill is set, as for a process
 *    stuck in the kernel, which SIGKILL does not end at once.
 * What the child does before a deadline must not depend on how soon it is
 * scheduled: a loaded machine starts sh late (over 200 ms, seen with two
 * make checks on 2 cores).  So a child that must ignore SIGTERM inherits
 * our SIG_IGN from the fork on, one that must be seen says its pid before
 * its exec, and a signal for us is sent by the child once it runs.
 * The tests measure real time with CLOCK_MONOTONIC_RAW, which is left alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

#define MiB (1024 * 1024)

static long long clock_step_ms, clock_skew_ms;
static unsigned exec_stall_ms, exit_stall_ms;
static int exec_pid_fd = -1, exec_term_parent, drop_sigkill;

static void stall(unsigned ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	nanosleep(&ts, NULL);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	long long ns;

	if (syscall(SYS_clock_gettime, id, ts))
		return -1;
	if (id != CLOCK_MONOTONIC || !clock_step_ms)
		return 0;
	clock_skew_ms += clock_step_ms;
	ns = ts->tv_nsec + clock_skew_ms % 1000 * 1000000;
	ts->tv_sec += clock_skew_ms / 1000 + ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
	return 0;
}

int execvp(const char *file, char *const argv[])
{
	pid_t self = getpid();

	if (exec_pid_fd >= 0 && write(exec_pid_fd, &self, sizeof(self)) != sizeof(self))
		return -1;
	if (exec_term_parent)
		kill(getppid(), SIGTERM);
	if (exec_stall_ms)
		stall(exec_stall_ms);
	return execvpe(file, argv, environ);
}

void _exit(int status)
{
	if (exit_stall_ms)
		stall(exit_stall_ms);
	syscall(SYS_exit_group, status);
	for (;;)
		;
}

int kill(pid_t pid, int sig)
{
	if (drop_sigkill && sig == SIGKILL)
		return 0;
	return (int)syscall(SYS_kill, pid, sig);
}

/* Real time, whatever the clock_gettime above makes of CLOCK_MONOTONIC. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run sh -c script with the given settings; returns child_run's result. */
static int sh(struct child *c, const char *script, int want_output, size_t output_max,
	      int timeout_ms, struct ck_error *err)
{
	static char *argv[4] = { "sh", "-c", NULL, NULL };

	argv[2] = (char *)script;
	c->argv = argv;
	c->want_output = want_output;
	c->output_max = output_max;
	c->timeout_ms = timeout_ms;
	return child_run(c, err);
}

static int exited_with(const struct child *c, int code)
{
	return WIFEXITED(c->status) && WEXITSTATUS(c->status) == code;
}

/* Whether a process is gone (or a zombie nobody reaps: no init here). */
static int gone(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int zombie = 0;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	if (snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid) >= (int)sizeof(path) ||
	    !(f = fopen(path, "r")))
		return 1;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		zombie = p[1] == ' ' && p[2] == 'Z';
	fclose(f);
	return zombie;
}

/*
 * Have the next child write its pid before its exec, on a pipe in fds.
 * Returns 0, or -1 (a failed check).
 */
static int pid_ask(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK)) {
		CHECK(0, "(a pipe for the child's pid: %s)", strerror(errno));
		return -1;
	}
	exec_pid_fd = fds[1];
	return 0;
}

/* The pid the child wrote after pid_ask(fds), or 0; closes fds. */
static pid_t pid_told(int fds[2])
{
	pid_t pid = 0;

	exec_pid_fd = -1;
	if (read(fds[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = 0;
	close(fds[0]);
	close(fds[1]);
	return pid;
}

static void exit_status(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct child c = CHILD_INIT;

	CHECK(sh(&c, "exit 0", 0, 0, 5000, &err) == 0 && exited_with(&c, 0),
	      "exit 0 is passed through");
	CHECK(sh(&c, "exit 3", 0, 0, 5000, &err) == 0 && exited_with(&c, 3),
	      "exit 3 is passed through, and is no error of child_run");
	CHECK(sh(&c, "kill -KILL $$", 0, 0, 5000, &err) == 0 && WIFSIGNALED(c.status) &&
	      WTERMSIG(c.status) == SIGKILL, "death by a signal is passed through");
	child_release(&c);
}

static void output(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct child c = CHILD_INIT;
	size_t i, bad;

	CHECK(sh(&c, "printf 'a\\0b\\n'", 1, 16, 5000, &err) == 0 && c.output.len == 4 &&
	      !memcmp(c.output.buf, "a\0b\n", 5), "stdout is collected exactly, NUL and all");
	CHECK(sh(&c, "true", 1, 16, 5000, &err) == 0 && c.output.buf &&
	      c.output.len == 0 && c.output.buf[0] == '\0', "no stdout gives \"\"");
	CHECK(sh(&c, "printf abcdefghijklmnop", 1, 16, 5000, &err) == 0 &&
	      c.output.len == 16, "exactly output_max bytes are accepted");
	CHECK(sh(&c, "printf abcdefghijklmnopq", 1, 16, 5000, &err) == -1 &&
	      err.kind == CK_BAD_INPUT && c.output.buf == NULL && strstr(err.msg, "sh printed"),
	      "one byte over output_max is refused: %s", err.msg);
	CHECK(sh(&c, "echo discarded", 0, 0, 5000, &err) == 0 && c.output.buf == NULL,
	      "stdout is discarded without want_output");

	/* 3 MiB of "0123456789", under a bound of 4 MiB. */
	CHECK(sh(&c, "yes 012345678 | head -c 3145728", 1, 4 * MiB, 10000, &err) == 0 &&
	      exited_with(&c, 0) && c.output.len == 3 * MiB, "3 MiB of stdout is collected");
	for (i = 0, bad = 0; i < c.output.len; i++)
		bad += c.output.buf[i] != "012345678\n"[i % 10];
	CHECK(bad == 0 && c.output.buf[c.output.len] == '\0',
	      "... byte for byte, NUL-terminated");
	CHECK(sh(&c, "yes 012345678 | head -c 5242880", 1, 4 * MiB, 10000, &err) == -1 &&
	      err.kind == CK_BAD_INPUT && c.output.buf == NULL,
	      "5 MiB of stdout over a bound of 4 MiB is refused");
	child_release(&c);
}

/* Our credential variables are not the child's, unless it keeps them. */
static void credential_env(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct child c = CHILD_INIT;
	const char *show = "printf '%s %s %s %s' \"${GH_TOKEN-none}\" "
			   "\"${AWS_SECRET_ACCESS_KEY-none}\" \"${AWS_SESSION_TOKEN-none}\" "
			   "\"${CREDKIT_TEST_OTHER-none}\"";

	setenv("GH_TOKEN", "ghp_marker", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "aws_marker", 1);
	setenv("AWS_SESSION_TOKEN", "session_marker", 1);
	setenv("CREDKIT_TEST_OTHER", "kept", 1);
	CHECK(sh(&c, show, 1, 256, 5000, &err) == 0 && c.output.buf &&
	      !strcmp(c.output.buf, "none none none kept"),
	      "a child runs without GH_TOKEN, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN "
	      "(got \"%s\")", c.output.buf ? c.output.buf : "");
	c.keep_credential_env = 1;
	CHECK(sh(&c, show, 1, 256, 5000, &err) == 0 && c.output.buf &&
	      !strcmp(c.output.buf, "ghp_marker aws_marker session_marker kept"),
	      "... and with keep_credential_env, with them");
	CHECK_STR(getenv("GH_TOKEN"), "ghp_marker", "... and ours are left as they were");
	unsetenv("GH_TOKEN");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("CREDKIT_TEST_OTHER");
	child_release(&c);
}

static void input(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct child c = CHILD_INIT;
	char *argv[] = { "cat", NULL };
	size_t len = 2 * MiB, i;
	char *big = malloc(len);
	long long start;

	for (i = 0; i < len; i++)
		big[i] = (char)('a' + i % 26);
	c.argv = argv;
	c.input = big;
	c.input_len = len;
	c.want_output = 1;
	c.output_max = 4 * MiB;
	c.timeout_ms = 10000;
	start = now_ms();
	CHECK(child_run(&c, &err) == 0 && exited_with(&c, 0) && c.output.len == len &&
	      !memcmp(c.output.buf, big, len), "2 MiB through cat comes back whole");
	CHECK(now_ms() - start < 5000, "... without a deadlock (%lld ms)", now_ms() - start);

	/* A child that reads none of it: EPIPE is no death, its status tells. */
	c.argv = (char *[]){ "sh", "-c", "exec <&-; exit 5", NULL };
	CHECK(child_run(&c, &err) == 0 && exited_with(&c, 5),
	      "input a child never reads is no error of child_run");
	child_release(&c);
	free(big);
}

static void diagnostics(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct child c = CHILD_INIT;
	FILE *f = tmpfile();	/* our stderr for a while, to see what is copied */
	int saved, null;
	long copied;

	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(f), STDERR_FILENO);
	c.quiet = 0;
	sh(&c, "echo 'first words' >&2; yes 0123456789abcde | head -c 4000 >&2; "
	   "echo 'last words' >&2; exit 1", 0, 0, 5000, &err);
	fseek(f, 0, SEEK_END);
	copied = ftell(f);
	CHECK(exited_with(&c, 1) && c.diag_len == sizeof(c.diag) - 1 &&
	      strlen(c.diag) == c.diag_len, "the end of stderr is kept, 1023 bytes");
	CHECK(child_said(&c, "last words\n") && !child_said(&c, "first words"),
	      "... its end, not its start");
	CHECK(copied == 12 + 4000 + 11, "... and all of it is copied to our stderr (%ld bytes)",
	      copied);

	rewind(f);
	CHECK(ftruncate(fileno(f), 0) == 0, "(our stderr is empty again)");
	c.quiet = 1;
	sh(&c, "echo 'quiet words' >&2", 0, 0, 5000, &err);
	fseek(f, 0, SEEK_END);
	CHECK(child_said(&c, "quiet words") && ftell(f) == 0,
	      "quiet: stderr is kept but not copied");
	dup2(saved, STDERR_FILENO);
	close(saved);
	fclose(f);

	/* child_said sees past a NUL, and a second run starts afresh. */
	sh(&c, "printf 'a\\0b' >&2", 0, 0, 5000, &err);
	CHECK(c.diag_len == 3 && child_said(&c, "b") && !child_said(&c, "quiet"),
	      "kept stderr starts afresh each run, and a NUL hides nothing");

	/* Closed fds 0-2 of ours are no trouble for the child's pipes. */
	fflush(stdout);
	null = dup(STDIN_FILENO);
	close(STDIN_FILENO);
	CHECK(sh(&c, "read x; echo \"[$x]\"", 1, 64, 5000, &err) == 0 &&
	      !strcmp(c.output.buf, "[]\n"), "with our stdin closed, the child's is still its pipe");
	dup2(null, STDIN_FILENO);
	close(null);
	child_release(&c);
}

static void missing(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct child c = CHILD_INIT;
	char *argv[] = { "credkit-no-such-program", NULL };
	char *path_argv[] = { "/nonexistent/credkit-no-such-program", NULL };
	char *dir_argv[] = { "/", NULL };
	long long start, took;
	pid_t pid;
	int fds[2];

	c.argv = argv;
	c.timeout_ms = 5000;
	CHECK(child_run(&c, &err) == -1 && err.kind == CK_UNAVAILABLE &&
	      strstr(err.msg, "cannot run credkit-no-such-program: "),
	      "a program not in PATH is CK_UNAVAILABLE: %s", err.msg);
	c.argv = path_argv;
	CHECK(child_run(&c, &err) == -1 && err.kind == CK_UNAVAILABLE,
	      "a path that does not exist is CK_UNAVAILABLE");
	c.argv = dir_argv;
	CHECK(child_run(&c, &err) == -1 && err.kind == CK_FAILED &&
	      strstr(err.msg, "cannot run /: "), "a program that cannot run is CK_FAILED: %s",
	      err.msg);

	/* The child says its errno, then is 20 s slow to exit. */
	c.argv = argv;
	if (pid_ask(fds))
		return;
	exit_stall_ms = 20000;
	start = now_ms();
	CHECK(child_run(&c, &err) == -1 && err.kind == CK_UNAVAILABLE &&
	      strstr(err.msg, "it is not installed"),
	      "a missing program whose child is slow to exit: %s", err.msg);
	took = now_ms() - start;
	exit_stall_ms = 0;
	pid = pid_told(fds);
	/*
	 * The bound is 1 s for it to exit and 1 s of grace after SIGTERM (it
	 * dies of it at once); 2 s more are for a loaded machine.  The bug
	 * this catches waits the 20 s.
	 */
	CHECK(took < 1000 + 1000 + 2000, "... child_run returned (%lld ms)", took);
	CHECK(pid > 0 && waitpid(pid, NULL, WNOHANG) == -1 && errno == ECHILD,
	      "... and it was ended and reaped");
	child_release(&c);
}

static void timeout(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct child c = CHILD_INIT;
	long long start, took;
	int a = 0, b = 0;

	/*
	 * sh -c 'sleep 30 & sleep 30', saying the pids of both sleeps.  They
	 * must be said before the timeout, after two starts of sh: 2 s leave
	 * a loaded machine ten times what one start was seen to take there.
	 */
	c.quiet = 1;
	start = now_ms();
	CHECK(sh(&c, "sleep 30 & echo $! >&2; sh -c 'echo $$ >&2; exec sleep 30'", 0, 0,
		 2000, &err) == -1 && err.kind == CK_LOCKED,
	      "a child over its time is CK_LOCKED: %s", err.msg);
	took = now_ms() - start;
	CHECK(sscanf(c.diag, "%d %d", &a, &b) == 2 && a > 0 && b > 0,
	      "(the script said its pids: %d and %d)", a, b);
	/*
	 * The bound is the timeout and the 1 s grace; 2 s more are for a loaded
	 * machine's scheduling.  The bug this catches waits the sleeps' 30 s.
	 */
	CHECK(took < 2000 + 1000 + 2000, "... child_run returned within 5 s (%lld ms)", took);
	/* SIGKILL is sent, not yet acted on: give them until the same bound. */
	while (a > 0 && b > 0 && !(gone(a) && gone(b)) &&
	       now_ms() - start < 2000 + 1000 + 2000) {
		struct timespec tick = { 0, 5 * 1000000L };

		nanosleep(&tick, NULL);
	}
	took = now_ms() - start;
	CHECK(a > 0 && b > 0 && gone(a) && gone(b),
	      "... and both sleeps of its group were gone after %lld ms", took);
	CHECK(strstr(err.msg, "sh did not finish within 2 s"), "... and says so: %s",
	      err.msg);
	child_release(&c);
}

static void leftovers(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct child c = CHILD_INIT;
	long long start, took;
	int left = 0;

	c.quiet = 1;
	start = now_ms();
	CHECK(sh(&c, "echo hi; sleep 30 >/dev/null 2>&1 & echo $! >&2", 1, 64, 10000,
		 &err) == 0 && !strcmp(c.output.buf, "hi\n"),
	      "a child that leaves a sleep with no pipe of ours");
	took = now_ms() - start;
	/* It exits at once; waiting for the sleep would take 10 s (the timeout). */
	CHECK(took < 4000, "... returns as it exits (%lld ms)", took);
	if (sscanf(c.diag, "%d", &left) == 1 && left > 0)
		kill(left, SIGKILL);

	start = now_ms();
	CHECK(sh(&c, "echo hi; (sleep 5) & echo $! >&2", 1, 64, 10000, &err) == 0 &&
	      !strcmp(c.output.buf, "hi\n"), "a child that leaves a sleep holding its stdout");
	took = now_ms() - start;
	/* Waiting for end of file would take the sleep's 5 s; 4 s allow for load. */
	CHECK(took < 4000, "... returns as it exits, not at end of file (%lld ms)", took);
	/* Not ours to end, but this test should leave nothing behind. */
	if (sscanf(c.diag, "%d", &left) == 1 && left > 0 && getpgid(left) > 1)
		kill(-getpgid(left), SIGKILL);
	child_release(&c);
}

/*
 * Run "exec sleep 20" with a timeout of timeout_ms, as a child that ignores
 * SIGTERM: it inherits our SIG_IGN from the fork on, where a trap set by sh
 * would leave it to die of SIGTERM if it started later than the timeout.
 * *pid is the child's, as it wrote it before its exec (0 if it did not).
 * Returns the real time child_run took, in ms.
 */
static long long stubborn(struct child *c, int timeout_ms, int *pid, struct ck_error *err)
{
	struct sigaction ignore, old;
	long long start, took;
	int fds[2];

	*pid = 0;
	if (pid_ask(fds))
		return 0;
	memset(&ignore, 0, sizeof(ignore));
	sigemptyset(&ignore.sa_mask);
	ignore.sa_handler = SIG_IGN;
	sigaction(SIGTERM, &ignore, &old);
	c->quiet = 1;
	start = now_ms();
	CHECK(sh(c, "exec sleep 20", 0, 0, timeout_ms, err) == -1 && err->kind == CK_LOCKED,
	      "a child that ignores SIGTERM, over its time: %s", err->msg);
	took = now_ms() - start;
	sigaction(SIGTERM, &old, NULL);
	*pid = pid_told(fds);
	return took;
}

/*
 * The grace between SIGTERM and SIGKILL is given, and bounded; also when
 * the clock jumps between two readings, and when SIGKILL does not end the
 * child at once.  The bounds have 2 s of margin over the product's (the
 * timeout, 1 s of grace, 1 s for SIGKILL to act) for a loaded machine;
 * each bug they catch took the whole 20 s of the child's sleep.  How late
 * the child starts changes nothing: it ignores SIGTERM from the fork on.
 */
static void grace(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct child c = CHILD_INIT;
	long long took;
	int pid;

	took = stubborn(&c, 200, &pid, &err);
	CHECK(took >= 200 + 1000 && took < 200 + 1000 + 2000,
	      "... child_run gave it 1 s of grace after SIGTERM, then returned (%lld ms)", took);
	CHECK(pid > 0 && gone(pid), "... and it was killed and reaped");

	/*
	 * 700 ms pass between any two readings: the 1 s grace is 2 readings.
	 * The 3 s timeout leaves the child the readings it needs to exec.
	 */
	clock_step_ms = 700;
	took = stubborn(&c, 3000, &pid, &err);
	clock_step_ms = clock_skew_ms = 0;
	CHECK(took < 3000 + 1000 + 2000,
	      "... with the clock jumping 700 ms a reading, it returned (%lld ms)", took);
	CHECK(pid > 0 && gone(pid), "... and it was killed and reaped");

	drop_sigkill = 1;
	took = stubborn(&c, 200, &pid, &err);
	drop_sigkill = 0;
	CHECK(took >= 200 + 1000 && took < 200 + 1000 + 1000 + 2000,
	      "... a child that SIGKILL does not end: child_run returned (%lld ms)", took);
	CHECK(pid > 0 && !gone(pid), "... and left it running");
	if (pid > 0 && kill(pid, SIGKILL) == 0)
		waitpid(pid, NULL, 0);
	child_release(&c);
}

/* An exec that stalls is bounded by the timeout too, and a signal ends it. */
static void stalled_exec(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct child c = CHILD_INIT;
	long long start, took;

	exec_stall_ms = 20000;
	start = now_ms();
	CHECK(sh(&c, "exit 0", 0, 0, 300, &err) == -1 && err.kind == CK_LOCKED &&
	      strstr(err.msg, "sh did not finish within 300 ms"),
	      "an exec that stalls is over its time: %s", err.msg);
	took = now_ms() - start;
	exec_stall_ms = 0;
	/* It dies of SIGTERM at once: 2 s of margin for a loaded machine. */
	CHECK(took < 300 + 2000, "... child_run returned (%lld ms)", took);

	/* The child sends the signal, so that it comes while we wait for it. */
	exec_stall_ms = 20000;
	exec_term_parent = 1;
	start = now_ms();
	CHECK(sh(&c, "exit 0", 0, 0, 10000, &err) == -1 && err.kind == CK_FAILED &&
	      strstr(err.msg, "interrupted by signal 15"),
	      "SIGTERM for us during a stalled exec is an error: %s", err.msg);
	took = now_ms() - start;
	exec_stall_ms = 0;
	exec_term_parent = 0;
	/* 2 s for the child to be scheduled on a loaded machine. */
	CHECK(took < 2000, "... at once (%lld ms), not at the timeout", took);
	child_release(&c);
}

/*
 * A SIGTERM for us ends the run and the child's group, and says so.  The
 * child sends it, so that it comes during the run however late the child
 * starts.
 */
static void interrupted(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct child c = CHILD_INIT;
	long long start, took;
	pid_t sleeper;
	int fds[2];

	if (pid_ask(fds))
		return;
	c.quiet = 1;
	start = now_ms();
	CHECK(sh(&c, "kill -TERM $PPID; exec sleep 30", 0, 0, 10000, &err) == -1 &&
	      err.kind == CK_FAILED && strstr(err.msg, "interrupted by signal 15 while sh ran"),
	      "SIGTERM during a run is an error: %s", err.msg);
	took = now_ms() - start;
	/* 3 s for sh to start on a loaded machine; the bug waits the 10 s timeout. */
	CHECK(took < 3000, "... at once (%lld ms), not at the timeout", took);
	sleeper = pid_told(fds);
	CHECK(sleeper > 0 && gone(sleeper),
	      "... and the child was ended and reaped");
	child_release(&c);
}

/* Our handlers and mask are back after a run; the child had the caller's. */
static void signals(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct child c = CHILD_INIT;
	char *argv[] = { "grep", "^Sig[IB]", "/proc/self/status", NULL };
	unsigned long long blocked = 1, ignored = 1;
	struct sigaction act;
	sigset_t mask;
	int pipe_dfl, term_dfl;
	char *p;

	c.argv = argv;
	c.want_output = 1;
	c.output_max = 4096;
	c.timeout_ms = 5000;
	CHECK(child_run(&c, &err) == 0 && exited_with(&c, 0), "(grep read its /proc/self/status)");
	if (c.output.buf && (p = strstr(c.output.buf, "SigBlk:")))
		blocked = strtoull(p + 7, NULL, 16);
	if (c.output.buf && (p = strstr(c.output.buf, "SigIgn:")))
		ignored = strtoull(p + 7, NULL, 16);
	CHECK(blocked == 0, "the child runs with no signal blocked (%llx)", blocked);
	CHECK(!(ignored & 1ULL << (SIGPIPE - 1)), "the child does not ignore SIGPIPE (%llx)",
	      ignored);
	sigaction(SIGTERM, NULL, &act);
	term_dfl = act.sa_handler == SIG_DFL;
	sigaction(SIGPIPE, NULL, &act);
	pipe_dfl = act.sa_handler == SIG_DFL;
	CHECK(term_dfl && pipe_dfl, "SIGTERM and SIGPIPE are back to their defaults");

	/* The engine ignores SIGPIPE; its children must not inherit that. */
	signal(SIGPIPE, SIG_IGN);
	ignored = 1;
	CHECK(child_run(&c, &err) == 0 && exited_with(&c, 0), "(grep ran, SIGPIPE ignored here)");
	if (c.output.buf && (p = strstr(c.output.buf, "SigIgn:")))
		ignored = strtoull(p + 7, NULL, 16);
	CHECK(!(ignored & 1ULL << (SIGPIPE - 1)),
	      "with SIGPIPE ignored by the caller, the child still has it at its default (%llx)",
	      ignored);
	sigaction(SIGPIPE, NULL, &act);
	CHECK(act.sa_handler == SIG_IGN, "and the caller's SIGPIPE stays ignored");
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_BLOCK, NULL, &mask);
	CHECK(!sigismember(&mask, SIGINT) && !sigismember(&mask, SIGTERM) &&
	      !sigismember(&mask, SIGHUP), "no signal is left blocked");

	/* An ignored SIGCHLD (inherited through exec) would auto-reap the child. */
	signal(SIGCHLD, SIG_IGN);
	CHECK(sh(&c, "exit 4", 0, 0, 5000, &err) == 0 && exited_with(&c, 4),
	      "with SIGCHLD ignored, the status still comes through");
	sigaction(SIGCHLD, NULL, &act);
	CHECK(act.sa_handler == SIG_IGN, "... and SIGCHLD is ignored again afterwards");
	signal(SIGCHLD, SIG_DFL);
	child_release(&c);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	exit_status();
	output();
	credential_env();
	input();
	diagnostics();
	missing();
	timeout();
	leftovers();
	grace();
	stalled_exec();
	interrupted();
	signals();
	return check_done();
}
