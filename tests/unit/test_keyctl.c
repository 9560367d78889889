/* SPDX-License-Identifier: MIT */
/*
 * test_keyctl.c - the keyctl backend against the real kernel keyring.
 *
 * Usage: test_keyctl [FILE...]	(FILEs are ignored: there are no data files)
 *
 * What the shell test (tests/t-keyctl.sh) cannot reach through the helper's
 * protocol: keyctl_store_expiring(), the exact split of secrets into parts
 * at the size boundaries, entries damaged behind credkit's back, and a
 * handle that outlives the state of credkit's keyring it was opened on
 * (made, unlinked or revoked by another process since).  Runs
 * in a new anonymous session keyring with CREDKIT_KEYRING=session, so no
 * keyring of the user's is touched; the session goes with the process.
 */
#include <errno.h>
#include <keyutils.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "stores/keyctl.h"

#define PART_MAX 32767
/*
 * Seconds an expiring entry lives.  The checks made before it expires take
 * milliseconds; the rest is room for a loaded machine to stall this process.
 */
#define EXPIRE_IN 4
/* The race ends once the reader saw each value this many times... */
#define RACE_SEEN 500
/* ...or after this long: a generous bound, for a loaded machine. */
#define RACE_BOUND_USEC (60 * 1000000LL)

static const struct backend *b = &keyctl_backend;

/* Store server -> (user, secret[len]) with expires.  Returns 0 or -1. */
static int put(void *kc, const char *server, const char *user, const char *secret,
	       size_t len, time_t expires, struct ck_error *err)
{
	struct cred c = CRED_INIT;
	int ret;

	c.server = (char *)server;
	c.username = (char *)user;
	if (secret_set(&c.secret, secret, len))
		return -1;
	ret = expires ? keyctl_store_expiring(kc, &c, expires, err) : b->store(kc, &c, err);
	secret_release(&c.secret);
	return ret;
}

/* 1 when get of server gives user and secret[len] exactly. */
static int has(void *kc, const char *server, const char *user, const char *secret,
	       size_t len)
{
	struct ck_error err = CK_ERROR_INIT;
	struct cred c = CRED_INIT;
	int ok;

	ok = b->get(kc, server, &c, &err) == 0 && c.username && !strcmp(c.username, user) &&
	     c.secret.len == len && !memcmp(c.secret.buf, secret, len) &&
	     c.secret.buf[len] == '\0';
	cred_release(&c);
	return ok;
}

/* The kind of error get of server ends with; CK_OK when it succeeds. */
static enum ck_kind get_kind(void *kc, const char *server, struct ck_error *err)
{
	struct cred c = CRED_INIT;

	ck_error_clear(err);
	if (b->get(kc, server, &c, err) == 0)
		err->kind = CK_OK;
	cred_release(&c);
	return err->kind;
}

struct seen {
	const char *server;
	int count;
};

static int count_server(const char *server, const char *username, void *data,
			struct ck_error *err)
{
	struct seen *seen = data;

	(void)username;
	(void)err;
	if (!strcmp(server, seen->server))
		seen->count++;
	return 0;
}

/* 1 when list names server. */
static int listed(void *kc, const char *server)
{
	struct ck_error err = CK_ERROR_INIT;
	struct seen seen = { server, 0 };

	return b->list(kc, count_server, &seen, &err) == 0 && seen.count == 1;
}

/* The entry keyring of server in credkit's session keyring, or -1. */
static key_serial_t entry_of(const char *server)
{
	key_serial_t ring = keyctl_search(KEY_SPEC_SESSION_KEYRING, "keyring", "credkit", 0);
	char desc[4200];

	snprintf(desc, sizeof(desc), "credkit:%s", server);
	return ring < 0 ? -1 : keyctl_search(ring, "keyring", desc, 0);
}

/* How many keys entry holds. */
static long keys_in(key_serial_t entry)
{
	void *list = NULL;
	long n = keyctl_read_alloc(entry, &list);

	free(list);
	return n < 0 ? -1 : n / (long)sizeof(key_serial_t);
}

/* The timeout column of /proc/keys for key: "perm" when none, else "2s"... */
static void timeout_of(key_serial_t key, char *out, size_t size)
{
	char line[512], id[16];
	FILE *f = fopen("/proc/keys", "re");

	snprintf(out, size, "?");
	snprintf(id, sizeof(id), "%08x ", (unsigned)key);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, id, strlen(id)) &&
		    sscanf(line, "%*s %*s %*s %15s", out) == 1)
			break;
	if (f)
		fclose(f);
}

/* A handle on credkit's keyring, or on the keyring named ring when not NULL. */
static void *open_ring(const char *ring, struct ck_error *err)
{
	return ring ? keyctl_open_ring(ring, err) : b->open(err);
}

/* The keyring named ring (NULL: "credkit") in the session keyring, or -1. */
static key_serial_t ring_of(const char *ring)
{
	return keyctl_search(KEY_SPEC_SESSION_KEYRING, "keyring", ring ? ring : "credkit", 0);
}

/*
 * Store server -> (user, secret) on ring from another process, on a handle
 * of its own, as a second helper would.  Returns 0 when it stored.
 */
static int store_elsewhere(const char *ring, const char *server, const char *user,
			   const char *secret)
{
	struct ck_error err = CK_ERROR_INIT;
	int status = -1, ret = 1;
	void *kc;
	pid_t pid = fork();

	if (pid == 0) {
		kc = open_ring(ring, &err);
		if (kc)
			ret = put(kc, server, user, secret, strlen(secret), 0, &err);
		if (ret)
			printf("# the other process could not store %s: %s\n", server, err.msg);
		if (kc)
			b->close(kc);
		_exit(ret ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* 1 when a handle opened now gets server as (user, secret); secret NULL: none. */
static int fresh_has(const char *ring, const char *server, const char *user,
		     const char *secret)
{
	struct ck_error err = CK_ERROR_INIT;
	void *kc = open_ring(ring, &err);
	int ok;

	if (!kc)
		return 0;
	ok = secret ? has(kc, server, user, secret, strlen(secret))
		    : get_kind(kc, server, &err) == CK_NOT_FOUND;
	b->close(kc);
	return ok;
}

/*
 * What get, list, erase and store of kc do with server after another
 * process put server -> (user, secret) in ring's keyring, one kc did not
 * know of ("how" says why): all four work on the keyring root holds now.
 */
static void check_current(void *kc, const char *ring, const char *how,
			  const char *server, const char *user, const char *secret)
{
	struct ck_error err = CK_ERROR_INIT;
	const char *name = ring ? ring : "credkit";

	CHECK(has(kc, server, user, secret, strlen(secret)),
	      "%s: %s: get on a handle opened before finds what another process stored",
	      name, how);
	CHECK(listed(kc, server), "%s: %s: list on that handle shows it", name, how);
	CHECK(b->erase(kc, server, &err) == 0 && fresh_has(ring, server, user, NULL),
	      "%s: %s: erase on that handle removes it: %s", name, how, err.msg);
	ck_error_clear(&err);
	CHECK(put(kc, server, user, "again", 5, 0, &err) == 0 &&
	      fresh_has(ring, server, user, "again"),
	      "%s: %s: store on that handle is seen by a handle opened after: %s",
	      name, how, err.msg);
}

/*
 * A handle opened before credkit's keyring existed, as a front of the
 * token helper opens its cache before the first token is minted, and one
 * whose keyring was unlinked or revoked and then made again by another
 * process: each operation finds the keyring root holds when it runs.
 */
static void test_ring_moves(const char *ring)
{
	struct ck_error err = CK_ERROR_INIT;
	const char *name = ring ? ring : "credkit";
	key_serial_t old;
	void *kc;

	CHECK(ring_of(ring) < 0, "%s: no such keyring yet (setup)", name);
	kc = open_ring(ring, &err);
	CHECK(kc != NULL, "%s: open before the keyring exists: %s", name, err.msg);
	if (!kc)
		return;
	CHECK(get_kind(kc, "late.example", &err) == CK_NOT_FOUND && !listed(kc, "late.example"),
	      "%s: get and list before the keyring exists find nothing", name);
	CHECK(store_elsewhere(ring, "late.example", "late", "tok-late") == 0,
	      "%s: another process makes the keyring with a store (setup)", name);
	check_current(kc, ring, "made after the open", "late.example", "late", "tok-late");

	old = ring_of(ring);
	CHECK(old > 0 && keyctl_unlink(old, KEY_SPEC_SESSION_KEYRING) == 0,
	      "%s: unlink the keyring behind the handle's back (setup)", name);
	CHECK(get_kind(kc, "late.example", &err) == CK_NOT_FOUND,
	      "%s: get after the keyring was unlinked is not found: %s", name, err.msg);
	CHECK(store_elsewhere(ring, "unlinked.example", "unl", "tok-unl") == 0,
	      "%s: another process makes the keyring again (setup)", name);
	check_current(kc, ring, "unlinked and made again", "unlinked.example", "unl",
		      "tok-unl");

	old = ring_of(ring);
	CHECK(old > 0 && keyctl_revoke(old) == 0,
	      "%s: revoke the keyring behind the handle's back (setup)", name);
	CHECK(store_elsewhere(ring, "revoked.example", "rev", "tok-rev") == 0,
	      "%s: another process stores over a revoked keyring", name);
	check_current(kc, ring, "revoked and made again", "revoked.example", "rev",
		      "tok-rev");
	b->close(kc);
}

static void test_expiring(void *kc, time_t *gone_at)
{
	struct ck_error err = CK_ERROR_INIT;
	char t[32];
	key_serial_t entry;
	time_t now = time(NULL);

	CHECK(put(kc, "expiring.example", "exp", "tok-1", 5, now + EXPIRE_IN, &err) == 0,
	      "store_expiring stores: %s", err.msg);
	CHECK(has(kc, "expiring.example", "exp", "tok-1", 5),
	      "get finds an expiring entry before it expires");
	CHECK(listed(kc, "expiring.example"), "list shows an expiring entry before it expires");
	entry = entry_of("expiring.example");
	timeout_of(entry, t, sizeof(t));
	CHECK(strcmp(t, "perm") && strcmp(t, "?"),
	      "the entry keyring has a kernel timeout (/proc/keys says %s)", t);
	*gone_at = now + EXPIRE_IN;

	ck_error_clear(&err);
	CHECK(put(kc, "expiring.example", "exp", "tok-2", 5, now - 10, &err) == -1 &&
	      err.kind == CK_BAD_INPUT && strstr(err.msg, "expired"),
	      "store_expiring of a time past fails saying it expired: %s", err.msg);
	CHECK(has(kc, "expiring.example", "exp", "tok-1", 5),
	      "store_expiring of a time past keeps the entry stored before");

	ck_error_clear(&err);
	CHECK(put(kc, "forever.example", "f", "tok", 3, 0, &err) == 0 &&
	      has(kc, "forever.example", "f", "tok", 3),
	      "store_expiring with expires 0 stores: %s", err.msg);
	timeout_of(entry_of("forever.example"), t, sizeof(t));
	CHECK(!strcmp(t, "perm"), "expires 0 sets no kernel timeout (/proc/keys says %s)", t);
}

static void test_expired(void *kc, time_t gone_at)
{
	struct ck_error err = CK_ERROR_INIT;

	while (time(NULL) <= gone_at)
		usleep(100 * 1000);
	CHECK(get_kind(kc, "expiring.example", &err) == CK_NOT_FOUND,
	      "get after the expiry is not found: %s", err.msg);
	CHECK(!listed(kc, "expiring.example"), "list after the expiry omits the entry");
	CHECK(has(kc, "forever.example", "f", "tok", 3), "an entry without expiry stays");
	ck_error_clear(&err);
	CHECK(put(kc, "expiring.example", "exp", "tok-3", 5, 0, &err) == 0 &&
	      has(kc, "expiring.example", "exp", "tok-3", 5),
	      "store over an expired entry works: %s", err.msg);
}

static void test_parts(void *kc)
{
	static const size_t sizes[] = {
		0, 1, PART_MAX - 1, PART_MAX, PART_MAX + 1, 2 * PART_MAX, 2 * PART_MAX + 1,
		1024 * 1024,
	};
	struct ck_error err = CK_ERROR_INIT;
	char *secret = malloc(1024 * 1024 + 1);
	size_t i, j;

	if (!secret)
		return;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		long parts = (long)((sizes[i] + PART_MAX - 1) / PART_MAX);

		/* Other users than root get 20000 bytes of keys by default. */
		if (geteuid() != 0 && sizes[i] > 8000) {
			printf("ok - a %zu-byte secret # SKIP not root: the key quota is small\n",
			       sizes[i]);
			continue;
		}

		for (j = 0; j < sizes[i]; j++)
			secret[j] = (char)('a' + (j * 7 + i) % 26);
		ck_error_clear(&err);
		CHECK(put(kc, "parts.example", "p", secret, sizes[i], 0, &err) == 0,
		      "store a %zu-byte secret: %s", sizes[i], err.msg);
		CHECK(has(kc, "parts.example", "p", secret, sizes[i]),
		      "get returns a %zu-byte secret byte for byte", sizes[i]);
		CHECK(keys_in(entry_of("parts.example")) == 1 + parts,
		      "a %zu-byte secret is meta and %ld parts", sizes[i], parts);
	}
	secure_free(secret);
}

static long long now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/*
 * The bytes of key quota this user has in use and may use, from
 * /proc/key-users.  Returns 0, or -1 when the line cannot be read.
 */
static int quota_bytes(long *used, long *max)
{
	unsigned uid = (unsigned)geteuid(), u;
	char line[256];
	FILE *f = fopen("/proc/key-users", "re");
	int ret = -1;

	while (ret && f && fgets(line, sizeof(line), f))
		if (sscanf(line, " %u: %*d %*d/%*d %*d/%*d %ld/%ld", &u, used, max) == 3 &&
		    u == uid)
			ret = 0;
	if (f)
		fclose(f);
	return ret;
}

/*
 * The writer of test_race, in a child: replaces race.example with B and
 * then A (a, bb) until stop, a pipe, is closed; the entry is A when it
 * stops.  The kernel frees replaced keys in the background, and until then
 * they count against the key quota that every process of this user shares:
 * a writer faster than that garbage collector (which a loaded machine
 * delays) would exhaust the quota, for itself and for every other test
 * running as this user.  So before each round it waits until no more than
 * half the quota is in use.  Exits 0 when stopped, 1 saying why when a
 * store failed.
 */
static void race_writer(void *kc, int stop, const char *a, size_t a_len, const char *bb,
			size_t b_len)
{
	struct ck_error err = CK_ERROR_INIT;
	struct pollfd p = { stop, POLLIN, 0 };
	long used, max, rounds = 0, waits = 0;

	while (poll(&p, 1, 0) == 0) {
		if (!quota_bytes(&used, &max) && used > max / 2) {
			waits++;
			usleep(1000);
			continue;
		}
		if (put(kc, "race.example", "ub", bb, b_len, 0, &err) ||
		    put(kc, "race.example", "ua", a, a_len, 0, &err)) {
			printf("# the writer's store failed after %ld rounds: %s\n", rounds,
			       err.msg);
			_exit(1);
		}
		rounds++;
	}
	printf("# the writer replaced the entry %ld times (%ld waits for the kernel to "
	       "free keys)\n", 2 * rounds, waits);
	_exit(0);
}

/*
 * A child replaces an entry with A and B in turn (of 2 and 4 parts, with
 * other usernames) while we get it: each get must give A or B whole.  The
 * race lasts until the gets saw each value RACE_SEEN times, so that it does
 * not depend on how the two processes are scheduled; RACE_BOUND_USEC only
 * stops a writer that cannot make progress.
 */
static void test_race(void *kc)
{
	enum { A_LEN = 40000, B_LEN = 100000 };
	struct ck_error err = CK_ERROR_INIT;
	long na = 0, nb = 0, bad = 0, failed = 0;
	char *a = malloc(A_LEN), *bb = malloc(B_LEN);
	long long end;
	int status = -1, stop[2] = { -1, -1 };
	pid_t writer = -1, gone = 0;

	if (geteuid() != 0) {
		printf("ok - readers racing a writer # SKIP not root: the key quota is small\n");
		goto out;
	}
	if (!a || !bb || pipe(stop))
		goto out;
	memset(a, 'a', A_LEN);
	memset(bb, 'b', B_LEN);
	put(kc, "race.example", "ua", a, A_LEN, 0, &err);
	writer = fork();
	if (writer == 0) {
		close(stop[1]);
		race_writer(kc, stop[0], a, A_LEN, bb, B_LEN);
	}
	end = now_usec() + RACE_BOUND_USEC;
	while (writer > 0 && !gone && (na < RACE_SEEN || nb < RACE_SEEN) && now_usec() < end) {
		struct cred c = CRED_INIT;

		ck_error_clear(&err);
		if (b->get(kc, "race.example", &c, &err)) {
			if (!failed++)
				printf("# get failed: %s\n", err.msg);
		} else if (!strcmp(c.username, "ua") && c.secret.len == A_LEN &&
			   !memcmp(c.secret.buf, a, A_LEN)) {
			na++;
		} else if (!strcmp(c.username, "ub") && c.secret.len == B_LEN &&
			   !memcmp(c.secret.buf, bb, B_LEN)) {
			nb++;
		} else {
			bad++;
		}
		cred_release(&c);
		gone = waitpid(writer, &status, WNOHANG);
	}
	close(stop[1]);
	if (writer > 0 && !gone)
		waitpid(writer, &status, 0);
	CHECK(writer > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "every store of the writer succeeded, and it stopped when told (setup)");
	CHECK(bad == 0 && failed == 0,
	      "every get during replacements gave one value whole (%ld A, %ld B, %ld mixed, "
	      "%ld failed)", na, nb, bad, failed);
	CHECK(na > 0 && nb > 0, "gets saw both values, so the race happened");
	CHECK(has(kc, "race.example", "ua", a, A_LEN), "the entry is whole after the race");
out:
	if (stop[0] >= 0)
		close(stop[0]);
	free(a);
	free(bb);
}

static void test_limits(void *kc)
{
	struct ck_error err = CK_ERROR_INIT;
	char server[4200];

	memset(server, 'a', sizeof(server) - 1);
	server[sizeof(server) - 1] = '\0';
	CHECK(put(kc, server, "u", "s", 1, 0, &err) == -1 && err.kind == CK_BAD_INPUT &&
	      strstr(err.msg, "too long"),
	      "a server longer than a key description is refused: %.80s", err.msg);
	CHECK(get_kind(kc, server, &err) == CK_NOT_FOUND,
	      "get of a server too long to store is not found");
	ck_error_clear(&err);
	CHECK(b->erase(kc, server, &err) == 0, "erase of a server too long to store succeeds");
	server[4096 - 1 - strlen("credkit:")] = '\0';
	ck_error_clear(&err);
	CHECK(put(kc, server, "u", "s", 1, 0, &err) == 0 && has(kc, server, "u", "s", 1),
	      "the longest server that fits is stored: %s", err.msg);
	CHECK(b->erase(kc, server, &err) == 0 && get_kind(kc, server, &err) == CK_NOT_FOUND,
	      "and erased");
}

static void test_damaged(void *kc)
{
	struct ck_error err = CK_ERROR_INIT;
	key_serial_t entry, part;

	put(kc, "damaged.example", "d", "0123456789", 10, 0, &err);
	entry = entry_of("damaged.example");
	part = keyctl_search(entry, "user", "part:0", 0);
	CHECK(part > 0 && keyctl_update(part, "01234", 5) == 0, "shorten a part (setup)");
	CHECK(get_kind(kc, "damaged.example", &err) == CK_FAILED && strstr(err.msg, "damaged"),
	      "get of an entry with a short part says it is damaged: %s", err.msg);
	CHECK(add_key("user", "meta", "garbage", 7, entry) > 0, "overwrite meta (setup)");
	CHECK(get_kind(kc, "damaged.example", &err) == CK_FAILED && strstr(err.msg, "damaged"),
	      "get of an entry with a foreign meta says it is damaged: %s", err.msg);
	CHECK(!listed(kc, "damaged.example"), "list leaves out a damaged entry");
	ck_error_clear(&err);
	CHECK(b->erase(kc, "damaged.example", &err) == 0 &&
	      get_kind(kc, "damaged.example", &err) == CK_NOT_FOUND,
	      "erase removes a damaged entry");
	CHECK(keyctl_unlink(part, KEY_SPEC_SESSION_KEYRING) < 0 && errno == ENOENT,
	      "erase leaves nothing of it linked in the session keyring");
}

int main(int argc, char **argv)
{
	struct ck_error err = CK_ERROR_INIT;
	time_t gone_at = 0;
	void *kc;

	(void)argc;
	(void)argv;
	setvbuf(stdout, NULL, _IOLBF, 0);	/* TAP lines whole, in order */
	secure_init();
	if (keyctl_join_session_keyring(NULL) < 0) {
		printf("not ok - join a new session keyring: %s\n", strerror(errno));
		return 1;
	}
	setenv("CREDKIT_KEYRING", "session", 1);
	kc = b->open(&err);
	CHECK(kc != NULL, "open the session keyring: %s", err.msg);
	if (!kc)
		return check_done();
	test_ring_moves(NULL);
	test_ring_moves("credkit-tokens");
	test_expiring(kc, &gone_at);
	test_parts(kc);
	test_race(kc);
	test_limits(kc);
	test_damaged(kc);
	test_expired(kc, gone_at);
	b->close(kc);
	return check_done();
}
