/* SPDX-License-Identifier: MIT */
/*
 * lock.c - the single-flight lock of the token cache (see tokens/cache.h):
 * an flock() on a per-key file in a directory only this user controls.
 * The kernel drops an flock() with its last holder, so a killed process
 * leaves no stale lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "tokens/cache.h"

/* FNV-1a, 64 bits: a short stable file name for a key that may be long. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;	/* mark the end of s */
}

/*
 * Open dir as a lock directory: made 0700 when missing, then opened without
 * following a link and checked on what was opened: a directory of ours
 * that no other user can read or write (else one could block our gets).
 * Returns its descriptor, or -1 with err saying why dir will not do.
 */
static int lock_dir_open(const char *dir, struct ck_error *err)
{
	struct stat st;
	int fd;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return ck_error(err, CK_FAILED, "cannot make %s: %s", dir, strerror(errno));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ck_error(err, CK_FAILED, "cannot open %s: %s", dir,
				errno == ELOOP ? "it is a symbolic link" : strerror(errno));
	if (fstat(fd, &st) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(fd);
		return ck_error(err, CK_FAILED, "%s is not a private directory of uid %lu",
				dir, (unsigned long)geteuid());
	}
	return fd;
}

/*
 * The directory of lock files, opened (its path in path[size]): the first
 * of $XDG_RUNTIME_DIR/credkit, /run/user/UID/credkit (when /run/user/UID
 * is ours), $XDG_CACHE_HOME/credkit or ~/.cache/credkit, /tmp/credkit-UID
 * that lock_dir_open accepts.  Returns its descriptor, or -1 with err
 * naming why each place would not do.
 */
static int lock_dir(char *path, size_t size, struct ck_error *err)
{
	const char *run = config_env("XDG_RUNTIME_DIR");
	const char *cache = config_env("XDG_CACHE_HOME");
	const char *home = config_env("HOME");
	unsigned long uid = (unsigned long)geteuid();
	struct ck_error why = CK_ERROR_INIT;
	char dir[4][PATH_MAX], user[64], why_all[sizeof(err->msg)] = "";
	size_t nr = 0, i, len = 0;
	struct stat st;
	int fd, n;

	if (run && run[0] == '/')
		snprintf(dir[nr++], sizeof(dir[0]), "%s/credkit", run);
	snprintf(user, sizeof(user), "/run/user/%lu", uid);
	if ((!run || strcmp(run, user)) && !lstat(user, &st) && S_ISDIR(st.st_mode) &&
	    st.st_uid == uid)
		snprintf(dir[nr++], sizeof(dir[0]), "%s/credkit", user);
	if (cache && cache[0] == '/') {
		snprintf(dir[nr++], sizeof(dir[0]), "%s/credkit", cache);
	} else if (home && home[0] == '/') {
		snprintf(dir[nr], sizeof(dir[0]), "%s/.cache", home);
		mkdir(dir[nr], 0700);	/* as the XDG spec asks; its check is below */
		snprintf(dir[nr++], sizeof(dir[0]), "%s/.cache/credkit", home);
	}
	snprintf(dir[nr++], sizeof(dir[0]), "/tmp/credkit-%lu", uid);

	for (i = 0; i < nr; i++) {
		if (strlen(dir[i]) >= sizeof(dir[0]) - 1) {
			ck_error(&why, CK_FAILED, "%.40s... is too long", dir[i]);
		} else if ((fd = lock_dir_open(dir[i], &why)) >= 0) {
			n = snprintf(path, size, "%s", dir[i]);
			if (n >= 0 && (size_t)n < size)
				return fd;
			close(fd);
			ck_error(&why, CK_FAILED, "%.40s... is too long", dir[i]);
		}
		n = snprintf(why_all + len, sizeof(why_all) - len, "%s%s",
			     len ? "; " : "", why.msg);
		if (n > 0)
			len = strlen(why_all);
	}
	if (!run)
		ck_error(err, CK_FAILED, "XDG_RUNTIME_DIR is not set; %s", why_all);
	else
		ck_error(err, CK_FAILED, "%s", why_all);
	return -1;
}

static void on_alarm(int sig)
{
	(void)sig;	/* only to interrupt flock() */
}

/*
 * flock(fd, LOCK_EX) for at most wait_ms; 0, or -1 with errno (EINTR: time).
 * The timer repeats every 10 ms, so that an alarm that comes before the
 * flock() starts only costs one more turn, never an unbounded wait.
 */
static int flock_bounded(int fd, long wait_ms)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval tick = { { 0, 10000 }, { 0, 10000 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	long deadline = ck_now_ms() + wait_ms;
	int ret, e;

	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK || wait_ms <= 0) {
		e = errno;
		errno = e == EWOULDBLOCK ? EINTR : e;
		return -1;
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, &old))
		return -1;
	setitimer(ITIMER_REAL, &tick, NULL);
	do
		ret = flock(fd, LOCK_EX);
	while (ret && errno == EINTR && ck_now_ms() < deadline);
	e = ret ? errno : 0;
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	errno = e;
	return ret;
}

int token_lock(const char *ns, const struct token_target *target, long wait_ms,
	       struct ck_error *err)
{
	char path[PATH_MAX], name[TOKEN_NS_MAX + 32];
	int dir, fd;

	dir = lock_dir(path, sizeof(path), err);
	if (dir < 0)
		return -3;
	snprintf(name, sizeof(name), "%.*s-%016llx.lock", TOKEN_NS_MAX, ns,
		 (unsigned long long)fnv1a(0xcbf29ce484222325ull, target->key));
	fd = openat(dir, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dir);
	if (fd < 0)
		return ck_error(err, CK_FAILED, "cannot open the lock file %s/%s: %s",
				path, name, strerror(errno));
	if (flock_bounded(fd, wait_ms) == 0)
		return fd;
	close(fd);
	if (errno == EINTR) {
		ck_error(err, CK_LOCKED,
			 "another process has been getting a token for %s for %ld ms and "
			 "is not done (lock %s/%s)", target->host, wait_ms, path, name);
		return -2;
	}
	return ck_error(err, CK_FAILED, "cannot lock %s/%s: %s", path, name,
			strerror(errno));
}
