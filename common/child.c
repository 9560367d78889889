/* SPDX-License-Identifier: MIT */
/*
 * child.c - running another program with bounded waits.  See include/child.h.
 *
 * One run, in order:
 *  - fds 0-2 are made open (on /dev/null if closed), so that our pipes land
 *    above them and the child's dup2() cannot overwrite one of them;
 *  - SIGINT, SIGTERM and SIGHUP are caught and blocked, and let through only
 *    while we sleep in ppoll(), so that none is missed between a check and
 *    a wait; SIGPIPE is ignored, so that a child that stops reading is an
 *    error on write(), not our death;
 *  - fork: the child puts back the caller's dispositions (SIGPIPE at its
 *    default, whatever the caller's) and mask, takes a process group of
 *    its own, drops credential_env[] from its environment unless
 *    keep_credential_env, puts the pipes on 0-2 and execs argv, or
 *    writes its errno on a close-on-exec pipe for us to read (we wait for
 *    that pipe as for the rest: until the deadline, or a signal; then for
 *    its exit, KILL_WAIT_MS at most, before it is ended as below);
 *  - the input is written non-blocking while stdout and stderr are read, so
 *    that neither side waits on a full pipe, until the child exits (seen on
 *    a pidfd, or by polling every 20 ms where there is none); SIGCHLD is
 *    at its default meanwhile, since an inherited SIG_IGN would let the
 *    kernel reap the child before we see its status;
 *  - on the deadline, a signal or an error, its process group gets SIGTERM,
 *    then SIGKILL a second later, and the child is reaped (given a second
 *    more for SIGKILL to act: see kill_group).
 *
 * Every wait is bounded: the time left is read once per turn, and what is
 * passed to poll() or nanosleep() is never negative (which poll() takes
 * for "forever") nor more than what is left.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "clock.h"

/* How long the group gets between SIGTERM and SIGKILL. */
#define TERM_GRACE_MS	1000
/* How long SIGKILL gets to end the child before we stop waiting. */
#define KILL_WAIT_MS	1000
/* How often we look for the child's exit where there is no pidfd. */
#define TICK_MS		20

/*
 * The variables of our environment that hold a credential: a child does
 * not get them (unless keep_credential_env), since none of the programs
 * we run for ourselves (a store's helper, pass and gpg, gh) needs them,
 * and a child's environment is seen by every program it runs in turn.
 * gh would even answer GH_TOKEN's token in place of its own login (the
 * env source's, asked before it).  An AWS key id goes with its secret.
 * ghcr_env_names() and awscreds.c read the same names: a new one goes in
 * both places.
 */
static const char *const credential_env[] = {
	"GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN", NULL
};

static const int caught[] = { SIGINT, SIGTERM, SIGHUP };
#define NCAUGHT (sizeof(caught) / sizeof(caught[0]))

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* The signal state of the caller, put back after the run and in the child. */
struct sigstate {
	struct sigaction old[NCAUGHT], old_pipe, old_chld;
	sigset_t old_mask;
};

/* One running child, as the parent sees it. */
struct proc {
	pid_t pid;	/* -1 once reaped */
	int pidfd;	/* -1 where the kernel has no pidfd_open */
	int in, out, diag;
};

/* A growing buffer for stdout: it may hold a secret. */
struct sbuf {
	char *buf;
	size_t len, cap;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Append n bytes to b, wiping any block it leaves.  Returns 0 or -1. */
static int sbuf_add(struct sbuf *b, const char *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *bigger;

		while (cap < b->len + n + 1)
			cap *= 2;
		bigger = malloc(cap);
		if (!bigger)
			return -1;
		if (b->buf)
			memcpy(bigger, b->buf, b->len);
		secure_wipe(b->buf, b->cap);
		free(b->buf);
		b->buf = bigger;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	return 0;
}

static void sbuf_release(struct sbuf *b)
{
	secure_wipe(b->buf, b->cap);
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

/* Keep the end of what the child said on stderr. */
static void keep_diag(struct child *c, const char *buf, size_t n)
{
	size_t room = sizeof(c->diag) - 1;

	if (n >= room) {
		memcpy(c->diag, buf + n - room, room);
		c->diag_len = room;
	} else {
		if (c->diag_len + n > room) {
			size_t drop = c->diag_len + n - room;

			memmove(c->diag, c->diag + drop, c->diag_len - drop);
			c->diag_len -= drop;
		}
		memcpy(c->diag + c->diag_len, buf, n);
		c->diag_len += n;
	}
	c->diag[c->diag_len] = '\0';
}

/* Copy to our stderr, as diagnostics; a failure to do so changes nothing. */
static void forward_diag(const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(STDERR_FILENO, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

/* "30 s" or "2500 ms": a timeout as a person reads it. */
static void say_ms(char *buf, size_t size, int ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%d s", ms / 1000);
	else
		snprintf(buf, size, "%d ms", ms);
}

/*
 * The error for a run cut short: by the signal in got_signal when there is
 * one, else by the deadline (CK_LOCKED).  Returns -1.
 */
static int cut_short(const struct child *c, struct ck_error *err)
{
	char limit[32];

	if (got_signal)
		return ck_error(err, CK_FAILED, "interrupted by signal %d while %s ran",
				(int)got_signal, c->argv[0]);
	say_ms(limit, sizeof(limit), c->timeout_ms);
	return ck_error(err, CK_LOCKED, "%s did not finish within %s, and was stopped",
			c->argv[0], limit);
}

/*
 * How long to sleep (in ppoll or nanosleep) towards deadline: the time
 * left, read once, at most max_ms (0: no such cap).  Returns 0 with *wait
 * set, never negative nor more than what is left; -1 once it has passed.
 */
static int time_left(long deadline, long max_ms, struct timespec *wait)
{
	long left = deadline - ck_now_ms();

	if (left <= 0)
		return -1;
	if (max_ms > 0 && left > max_ms)
		left = max_ms;
	wait->tv_sec = left / 1000;
	wait->tv_nsec = left % 1000 * 1000000L;
	return 0;
}

/*
 * Open /dev/null on whichever of fds 0-2 is closed (and leave it open), so
 * that no pipe of ours is one of them.  Returns 0, or -1 with err.
 */
static int std_fds_open(const char *name, struct ck_error *err)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return ck_error(err, CK_FAILED, "cannot run %s: fd %d is closed and "
					"/dev/null cannot be opened on it: %s",
					name, fd, strerror(errno));
	return 0;
}

/*
 * Catch and block the signals that end a run, ignore SIGPIPE, let SIGCHLD
 * be, and save the caller's state in st.
 */
static void signals_take(struct sigstate *st)
{
	struct sigaction act;
	sigset_t block;
	size_t i;

	got_signal = 0;
	sigemptyset(&block);
	for (i = 0; i < NCAUGHT; i++)
		sigaddset(&block, caught[i]);
	sigprocmask(SIG_BLOCK, &block, &st->old_mask);
	memset(&act, 0, sizeof(act));
	sigemptyset(&act.sa_mask);
	act.sa_handler = on_signal;
	for (i = 0; i < NCAUGHT; i++)
		sigaction(caught[i], &act, &st->old[i]);
	act.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &act, &st->old_pipe);
	act.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &act, &st->old_chld);
}

/*
 * Put back the caller's signal state.  A signal that came while blocked is
 * taken by on_signal (and seen in got_signal) before the old handlers are
 * back, as one that came during the run would have been.
 */
static void signals_give_back(const struct sigstate *st)
{
	size_t i;

	sigprocmask(SIG_SETMASK, &st->old_mask, NULL);
	sigaction(SIGCHLD, &st->old_chld, NULL);
	sigaction(SIGPIPE, &st->old_pipe, NULL);
	for (i = 0; i < NCAUGHT; i++)
		sigaction(caught[i], &st->old[i], NULL);
}

/*
 * Whether p exited within ms; it is then reaped (p->pid -1), its status
 * in *status unless status is NULL.  Our signals stay blocked: none cuts the wait short.
 */
static int reaped(struct proc *p, int ms, int *status)
{
	long deadline = ck_now_ms() + ms;
	struct timespec wait;
	pid_t r;

	for (;;) {
		r = waitpid(p->pid, status, WNOHANG);
		if (r == p->pid || (r < 0 && errno != EINTR)) {
			p->pid = -1;
			return 1;
		}
		if (time_left(deadline, p->pidfd >= 0 ? 0 : TICK_MS, &wait))
			return 0;
		if (p->pidfd >= 0) {
			struct pollfd pfd = { p->pidfd, POLLIN, 0 };

			ppoll(&pfd, 1, &wait, NULL);
		} else {
			nanosleep(&wait, NULL);
		}
	}
}

/* The child side of spawn(): never returns. */
static void exec_child(const struct child *c, const struct sigstate *st, int fds[3],
		       int report)
{
	struct sigaction act;
	int e, i;

	memset(&act, 0, sizeof(act));
	sigemptyset(&act.sa_mask);

	/* Handlers first: a signal pending while blocked then acts as it would. */
	for (i = 0; i < (int)NCAUGHT; i++)
		sigaction(caught[i], &st->old[i], NULL);
	/* SIGPIPE at its default, whatever ours: a child expects it so. */
	act.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &act, NULL);
	sigaction(SIGCHLD, &st->old_chld, NULL);
	sigprocmask(SIG_SETMASK, &st->old_mask, NULL);
	setpgid(0, 0);
	/* Every pipe end is above 2 (std_fds_open) and closes on exec. */
	for (i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			goto failed;
	/* The process is ours alone now: no other thread shares environ. */
	for (i = 0; !c->keep_credential_env && credential_env[i]; i++)
		unsetenv(credential_env[i]);
	execvp(c->argv[0], c->argv);
failed:
	e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/*
 * Start c->argv in a process group of its own, with pipes on its stdin,
 * stdout and stderr (our ends non-blocking), and wait until it has exec'd,
 * at most until deadline; sleeps with st's mask, so that a caught signal
 * wakes it.  Returns 0 with p filled, or -1 with err: then p->pid > 0 when
 * the child still runs (after a timeout or a signal, or when it could not
 * exec and did not exit within KILL_WAIT_MS: the caller ends it).
 */
static int spawn(const struct child *c, const struct sigstate *st, long deadline,
		 struct proc *p, struct ck_error *err)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, diag[2] = { -1, -1 };
	int report[2] = { -1, -1 }, e = 0, ret = -1;
	const char *name = c->argv[0];
	ssize_t n = 0;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(diag, O_CLOEXEC) ||
	    pipe2(report, O_CLOEXEC)) {
		ck_error(err, CK_FAILED, "cannot run %s: cannot make a pipe: %s",
			 name, strerror(errno));
		goto out;
	}
	p->pid = fork();
	if (p->pid < 0) {
		ck_error(err, CK_FAILED, "cannot run %s: fork: %s", name, strerror(errno));
		goto out;
	}
	if (p->pid == 0) {
		int fds[3] = { in[0], out[1], diag[1] };

		exec_child(c, st, fds, report[1]);
	}
	setpgid(p->pid, p->pid);	/* whichever of us runs first */
	p->pidfd = pidfd_open(p->pid, 0);
	close_fd(&report[1]);
	/* End of file on report: it exec'd; an errno: it could not. */
	for (;;) {
		struct pollfd pfd = { report[0], POLLIN, 0 };
		struct timespec wait;

		if (got_signal || time_left(deadline, 0, &wait)) {
			cut_short(c, err);
			goto out;
		}
		if (ppoll(&pfd, 1, &wait, &st->old_mask) > 0) {
			n = read(report[0], &e, sizeof(e));
			if (n >= 0 || errno != EINTR)
				break;
		}
	}
	if (n == sizeof(e)) {
		/*
		 * It writes its errno, then exits at once; one that has not
		 * within KILL_WAIT_MS keeps p->pid, and the caller ends it.
		 */
		reaped(p, KILL_WAIT_MS, NULL);
		if (e == ENOENT)
			ck_error(err, CK_UNAVAILABLE, "cannot run %s: it is not installed "
				 "(or not in PATH)", name);
		else
			ck_error(err, CK_FAILED, "cannot run %s: %s", name, strerror(e));
		goto out;
	}
	p->in = in[1], in[1] = -1;
	p->out = out[0], out[0] = -1;
	p->diag = diag[0], diag[0] = -1;
	fcntl(p->in, F_SETFL, O_NONBLOCK);
	fcntl(p->out, F_SETFL, O_NONBLOCK);
	fcntl(p->diag, F_SETFL, O_NONBLOCK);
	ret = 0;
out:
	close_fd(&in[0]), close_fd(&in[1]);
	close_fd(&out[0]), close_fd(&out[1]);
	close_fd(&diag[0]), close_fd(&diag[1]);
	close_fd(&report[0]), close_fd(&report[1]);
	return ret;
}

/*
 * End p's whole process group: TERM, then KILL after TERM_GRACE_MS, and
 * reap p.  A child that KILL_WAIT_MS more do not see end (stuck in the
 * kernel, where SIGKILL acts only once it gets out) is not waited for:
 * p->pid stays set, and init reaps it after we exit.
 */
static void kill_group(struct proc *p)
{
	pid_t group = p->pid;
	int status;

	kill(-group, SIGTERM);
	if (!reaped(p, TERM_GRACE_MS, &status)) {
		kill(-group, SIGKILL);
		reaped(p, KILL_WAIT_MS, &status);
	}
	kill(-group, SIGKILL);		/* what it left behind, if anything */
}

/*
 * Read what *fd has now: stdout into out (bounded by c->output_max), or
 * nowhere when out is NULL; stderr (diag set) kept in c and copied to our
 * stderr unless c->quiet.  Closes *fd at end of file.  Returns 0, or -1
 * with err.
 */
static int take(int *fd, struct sbuf *out, int diag, struct child *c,
		struct ck_error *err)
{
	char buf[16384];
	ssize_t n;
	int ret = 0;

	for (;;) {
		n = read(*fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			close_fd(fd);
			break;
		}
		if (diag) {
			if (!c->quiet)
				forward_diag(buf, (size_t)n);
			keep_diag(c, buf, (size_t)n);
		} else if (!out) {
			continue;
		} else if ((size_t)n > c->output_max - out->len) {
			ret = ck_error(err, CK_BAD_INPUT, "%s printed more than %zu bytes",
				       c->argv[0], c->output_max);
			break;
		} else if (sbuf_add(out, buf, (size_t)n)) {
			ret = ck_error(err, CK_FAILED, "out of memory");
			break;
		}
	}
	secure_wipe(buf, sizeof(buf));
	return ret;
}

/*
 * Feed p its input, collect its stdout into out (or nowhere) and its
 * stderr into c, until it exits or the deadline passes.  Sleeps with the
 * caller's signal mask, so that a caught signal wakes it.  Returns 0 with
 * c->status set (p reaped), or -1 with err after a timeout, a signal or an
 * error (p then still runs: the caller ends it).
 */
static int pump(struct child *c, struct proc *p, struct sbuf *out, long deadline,
		const sigset_t *mask, struct ck_error *err)
{
	size_t sent = 0;

	if (!c->input || !c->input_len)
		close_fd(&p->in);
	for (;;) {
		struct pollfd fds[4] = {
			{ p->in, POLLOUT, 0 }, { p->out, POLLIN, 0 },
			{ p->diag, POLLIN, 0 }, { p->pidfd, POLLIN, 0 },
		};
		struct timespec wait;
		int exited = 0;

		if (got_signal || time_left(deadline, p->pidfd < 0 ? TICK_MS : 0, &wait))
			return cut_short(c, err);
		if (ppoll(fds, 4, &wait, mask) < 0 && errno != EINTR)
			return ck_error(err, CK_FAILED, "cannot wait for %s: %s", c->argv[0],
					strerror(errno));
		if (p->in >= 0 && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(p->in, c->input + sent, c->input_len - sent);

			if (w > 0)
				sent += (size_t)w;
			/* EPIPE: it stopped reading; its exit status tells why. */
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || sent == c->input_len)
				close_fd(&p->in);
		}
		if (p->out >= 0 && fds[1].revents && take(&p->out, out, 0, c, err))
			return -1;
		if (p->diag >= 0 && fds[2].revents && take(&p->diag, NULL, 1, c, err))
			return -1;
		if (p->pidfd < 0 || fds[3].revents)
			exited = waitpid(p->pid, &c->status, WNOHANG) == p->pid;
		if (!exited)
			continue;
		p->pid = -1;	/* reaped: nothing left to kill */
		/*
		 * It has exited, and what it and its pipelines wrote is in the
		 * pipes.  A daemon started on the way (gpg-agent) may hold them
		 * open, so read what is there instead of waiting for end of file.
		 */
		if (p->out >= 0 && take(&p->out, out, 0, c, err))
			return -1;
		if (p->diag >= 0 && take(&p->diag, NULL, 1, c, err))
			return -1;
		return 0;
	}
}

int child_run(struct child *c, struct ck_error *err)
{
	struct proc p = { -1, -1, -1, -1, -1 };
	struct sbuf out = { NULL, 0, 0 };
	struct sigstate st;
	long deadline = ck_now_ms() + c->timeout_ms;
	int ret = -1;

	secret_release(&c->output);
	c->status = 0;
	c->diag_len = 0;
	c->diag[0] = '\0';
	if (!c->argv || !c->argv[0] || !c->argv[0][0])
		return ck_error(err, CK_FAILED, "cannot run a program without a name");
	if (c->timeout_ms <= 0)
		return ck_error(err, CK_FAILED, "cannot run %s: no time limit", c->argv[0]);
	if (std_fds_open(c->argv[0], err))
		return -1;

	signals_take(&st);
	ret = spawn(c, &st, deadline, &p, err);
	if (!ret)
		ret = pump(c, &p, c->want_output ? &out : NULL, deadline, &st.old_mask, err);
	if (ret && p.pid > 0)
		kill_group(&p);
	signals_give_back(&st);
	if (!ret && got_signal)		/* it came as the child exited: still heed it */
		ret = cut_short(c, err);
	if (!ret && c->want_output) {
		if (!out.buf) {
			if (secret_set(&c->output, "", 0))
				ret = ck_error(err, CK_FAILED, "out of memory");
		} else {
			/* Hand the buffer over: only out.len bytes of it were written. */
			out.buf[out.len] = '\0';
			c->output.buf = out.buf;
			c->output.len = out.len;
			out.buf = NULL;
		}
	}
	sbuf_release(&out);
	close_fd(&p.in);
	close_fd(&p.out);
	close_fd(&p.diag);
	close_fd(&p.pidfd);
	return ret;
}

int child_said(const struct child *c, const char *words)
{
	return memmem(c->diag, c->diag_len, words, strlen(words)) != NULL;
}

void child_release(struct child *c)
{
	secret_release(&c->output);
}
