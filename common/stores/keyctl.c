/* SPDX-License-Identifier: MIT */
/*
 * keyctl.c - the kernel keyring backend, over libkeyutils.
 *
 * Credentials live in kernel memory only: nothing on disk, no daemon, gone
 * at reboot.  The layout, under the keyring CREDKIT_KEYRING names:
 *
 *   keyring "credkit"                      credkit's own, so that the
 *                                          user's keyring stays tidy
 *     keyring "credkit:<server>"           one entry, for the exact server
 *                                          string the client stored
 *       user "meta"                        "credkit 1\n<parts> <length>
 *                                          <expires>\n<username>"
 *       user "part:0" ... "part:<parts-1>" the secret, PART_MAX bytes each
 *                                          (the most a "user" key holds;
 *                                          "big_key" is missing on many
 *                                          kernels)
 *
 * What it promises:
 *  - an entry is never changed in place.  store builds the new entry
 *    keyring in the process keyring, fills it, and only then moves it into
 *    credkit's keyring, where the kernel displaces the old entry of the
 *    same description in one step.  get finds the entry keyring once and
 *    reads meta and every part from that one keyring, so it sees the old
 *    value or the new one, never a mix; when the keyring it holds is
 *    displaced or erased while it reads, it looks the entry up again;
 *  - a store that fails (kernel key quota, ...) removes its half-built
 *    entry and leaves the old one in place; a quota error names the quota,
 *    its values and the sysctl that raises it;
 *  - every key and keyring created here grants everything to its possessor
 *    and only "view" to its owning user: nothing to group or other;
 *  - a handle works on credkit's keyring as root holds it when each
 *    operation runs, not as it was at the open: one that did not exist
 *    then, or that another process unlinked or revoked and made again
 *    since, is found.  A handle that holds no keyring reads root's links
 *    once per operation; one whose keyring is still there pays nothing
 *    more when it finds the entry, and one keyctl_describe() when not;
 *  - list reads meta only, never a secret; an entry that went away as it
 *    was read makes it read the links again for the ones made since, so
 *    an entry being replaced is never missed;
 *  - a keyctl call refused by a seccomp filter (EPERM, ENOSYS), as in a
 *    container under Docker's default profile, is an error that says so;
 *  - every buffer that held a secret is wiped; the kernel wipes its own
 *    copies (user key payloads are freed with kfree_sensitive()).
 */
#include <errno.h>
#include <keyutils.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stores/keyctl.h"

#define RING_NAME	"credkit"
#define ENTRY_PREFIX	"credkit:"
#define META_NAME	"meta"
#define META_MAGIC	"credkit 1\n"
#define PART_MAX	32767		/* the most a "user" key holds */
#define DESC_MAX	4096		/* a description's bytes, NUL included */
#define SECRET_MAX	(4 * 1024 * 1024)
#define LINK_BYTES	4		/* what a link costs in the key quota */
#define GET_TRIES	64		/* lookups of an entry replaced meanwhile */
#define RING_TRIES	3		/* lookups of credkit's keyring made again */

/* Possessor: everything.  Owning user: see that it exists.  Others: nothing. */
#define PERM		(KEY_POS_ALL | KEY_USR_VIEW)

#define SECCOMP_HINT \
	"use docker-credential-pass there, or run the container with a " \
	"seccomp profile that allows keyctl, add_key and request_key"

struct kc {
	const char *name;	/* credkit's keyring: RING_NAME, or another one */
	const char *where;	/* "persistent", "user" or "session" */
	key_serial_t root;	/* the keyring CREDKIT_KEYRING names */
	key_serial_t ring;	/* credkit's keyring in root, as last seen; 0: none */
};

/* What an entry's meta key says. */
struct meta {
	size_t parts;
	size_t length;		/* bytes of the secret */
	long long expires;	/* seconds since the epoch; 0: never */
	char *username;		/* owned */
};

#define META_INIT { 0, 0, 0, NULL }

/* One user's use of the kernel's key quota, from /proc/key-users. */
struct quota {
	unsigned keys, maxkeys;
	unsigned bytes, maxbytes;
	int known;		/* keys and bytes were read */
};

static void meta_release(struct meta *m)
{
	free(m->username);
	m->username = NULL;
}

/* The keyring went away or changed under us: look again, do not fail. */
static int vanished(int e)
{
	/* EACCES: a displaced key is no longer ours to possess. */
	return e == ENOKEY || e == EKEYREVOKED || e == EKEYEXPIRED || e == EACCES;
}

/*
 * Fill err for a keyctl call that failed with errno e while trying to
 * "verb" (followed by server when not NULL).  Returns -1.
 */
static int kc_fail(const struct kc *kc, int e, const char *verb,
		   const char *server, struct ck_error *err)
{
	const char *sep = server ? " " : "";

	if (!server)
		server = "";
	switch (e) {
	case EPERM:
		return ck_error(err, CK_UNAVAILABLE,
				"cannot %s%s%.200s: the kernel refused keyctl (%s), most likely "
				"because a seccomp profile blocks it, as Docker's default profile "
				"does in containers; %s",
				verb, sep, server, strerror(e), SECCOMP_HINT);
	case ENOSYS:
		return ck_error(err, CK_UNAVAILABLE,
				"cannot %s%s%.200s: keyctl is not available (%s): a seccomp profile "
				"blocks it, or the kernel lacks CONFIG_KEYS; %s",
				verb, sep, server, strerror(e), SECCOMP_HINT);
	case EACCES:
		return ck_error(err, CK_FAILED,
				"cannot %s%s%.200s: the kernel denied access to the %s keyring (%s); "
				"it may belong to another user, as after su or sudo: start a session "
				"of your own with 'keyctl new_session', or set CREDKIT_KEYRING",
				verb, sep, server, kc->where, strerror(e));
	default:
		return ck_error(err, CK_FAILED, "cannot %s%s%.200s in the %s keyring: %s",
				verb, sep, server, kc->where, strerror(e));
	}
}

/*
 * Split keyctl_describe()'s "type;uid;gid;perm;description" in buf, in
 * place.  Returns 0 with *type, *uid and *desc set, or -1 for another shape.
 */
static int parse_describe(char *buf, const char **type, unsigned long *uid,
			  const char **desc)
{
	char *field[4], *p = buf, *end;
	int i;

	for (i = 0; i < 4; i++) {
		field[i] = p;
		p = strchr(p, ';');
		if (!p)
			return -1;
		*p++ = '\0';
	}
	errno = 0;
	*uid = strtoul(field[1], &end, 10);
	if (errno || end == field[1] || *end)
		return -1;
	*type = field[0];
	*desc = p;
	return 0;
}

/*
 * Move key from one keyring to another, displacing a key of the same type
 * and description there unless flags is KEYCTL_MOVE_EXCL.  Kernels before
 * 5.1 have no move: link and unlink, where EXCL is not atomic.
 */
static long move_key(key_serial_t key, key_serial_t from, key_serial_t to,
		     unsigned flags)
{
	long r = keyctl_move(key, from, to, flags);

	if (r >= 0 || errno != EOPNOTSUPP)
		return r;
	r = keyctl_link(key, to);
	if (r >= 0)
		keyctl_unlink(key, from);
	return r;
}

/*
 * Set kc->ring to credkit's keyring among root's own links (not deeper:
 * the session keyring may link the user keyring, which has its own), or to
 * 0 when root has none.  Returns 0, or -1 with err.
 */
static int ring_find(struct kc *kc, struct ck_error *err)
{
	key_serial_t *keys = NULL;
	const char *type, *desc;
	unsigned long uid;
	char buf[128];
	long n, i, len;
	int ret = 0;

	kc->ring = 0;
	n = keyctl_read_alloc(kc->root, (void **)&keys);
	if (n < 0)
		return kc_fail(kc, errno, "read the keyring", NULL, err);
	for (i = 0; i < n / (long)sizeof(*keys); i++) {
		len = keyctl_describe(keys[i], buf, sizeof(buf));
		/* Gone, not ours to see, or a longer name than ours: skip. */
		if (len < 0 || (size_t)len > sizeof(buf) ||
		    parse_describe(buf, &type, &uid, &desc) ||
		    strcmp(type, "keyring") || strcmp(desc, kc->name))
			continue;
		if (uid != (unsigned long)geteuid()) {
			ret = ck_error(err, CK_FAILED,
				       "the \"%s\" keyring in the %s keyring belongs to uid %lu, "
				       "not to uid %lu: start a session of your own with 'keyctl "
				       "new_session', or set CREDKIT_KEYRING",
				       kc->name, kc->where, uid, (unsigned long)geteuid());
			break;
		}
		kc->ring = keys[i];
		break;
	}
	free(keys);
	return ret;
}

/*
 * Whether kc->ring, on which a keyctl call just failed with errno e, is no
 * longer a keyring we possess: revoked, expired, unlinked from root (not
 * ours to possess, see vanished()) or freed.  A freed keyring gives
 * ENOKEY, as a search that found nothing does: one describe tells them
 * apart, on that path only.
 */
static int ring_gone(const struct kc *kc, int e)
{
	if (e == ENOKEY)
		return keyctl_describe(kc->ring, NULL, 0) < 0;
	return vanished(e);
}

/*
 * After a keyctl call on kc->ring failed with errno e: when kc->ring is
 * gone, look credkit's keyring up in root again (0 when root has none).
 * Returns 1 when kc->ring is now another keyring, worth the call again; 0
 * when it is not, and e stands unless kc->ring is now 0; -1 with err.
 */
static int ring_again(struct kc *kc, int e, struct ck_error *err)
{
	key_serial_t was = kc->ring;

	if (!ring_gone(kc, e))
		return 0;
	if (ring_find(kc, err))
		return -1;
	return kc->ring && kc->ring != was;
}

/* Read the first line of a small /proc file as a number; 0 if unreadable. */
static unsigned read_sysctl(const char *path)
{
	FILE *f = fopen(path, "re");
	unsigned v = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%u", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* This user's quota and its use now; q->known says whether use was read. */
static void quota_read(struct quota *q)
{
	unsigned uid = (unsigned)geteuid(), u;
	char line[256];
	FILE *f;

	memset(q, 0, sizeof(*q));
	f = fopen("/proc/key-users", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, " %u: %*d %*d/%*d %u/%u %u/%u", &u, &q->keys,
			   &q->maxkeys, &q->bytes, &q->maxbytes) == 5 && u == uid) {
			q->known = 1;
			break;
		}
	if (f)
		fclose(f);
	if (!q->known) {
		q->maxkeys = read_sysctl(uid ? "/proc/sys/kernel/keys/maxkeys"
					 : "/proc/sys/kernel/keys/root_maxkeys");
		q->maxbytes = read_sysctl(uid ? "/proc/sys/kernel/keys/maxbytes"
					  : "/proc/sys/kernel/keys/root_maxbytes");
	}
}

/*
 * The error for a store that hit the key quota (EDQUOT).  before is the use
 * before the store; need_bytes and need_keys what the new entry takes;
 * replacing says an old entry was there.  Returns -1.
 */
static int quota_error(const struct quota *before, size_t need_bytes,
		       size_t need_keys, int replacing, const char *server,
		       struct ck_error *err)
{
	const char *bytes_name = geteuid() ? "kernel.keys.maxbytes" : "kernel.keys.root_maxbytes";
	const char *keys_name = geteuid() ? "kernel.keys.maxkeys" : "kernel.keys.root_maxkeys";
	unsigned long long want = 2ULL * (before->bytes + need_bytes);
	char use[128] = "";

	/* Room for twice what would be used, rounded up to 10000 bytes. */
	want = (want / 10000 + 1) * 10000;
	if (want < 2ULL * before->maxbytes)
		want = 2ULL * before->maxbytes;
	if (before->known &&
	    snprintf(use, sizeof(use), "%u bytes in %u keys are in use, ",
		     before->bytes, before->keys) < 0)
		use[0] = '\0';
	return ck_error(err, CK_FAILED,
			"cannot store the credentials for %.60s: the kernel key quota of "
			"uid %u is exhausted (%s=%u bytes, %s=%u keys; %sthis entry needs "
			"about %zu bytes in %zu keys%s); raise it as root, e.g. 'sysctl %s=%llu', "
			"or erase entries you no longer need",
			server, (unsigned)geteuid(), bytes_name, before->maxbytes, keys_name,
			before->maxkeys, use, need_bytes, need_keys,
			replacing ? ", and the old entry stays until the new one is complete" : "",
			bytes_name, want);
}

/*
 * Create credkit's keyring in root, or find the one another helper made
 * meanwhile: built in the process keyring and moved into root only if root
 * has none yet, so that two first stores at once cannot displace each
 * other's keyring.  A dead one (revoked or expired, which the kernel keeps
 * linked for kernel.keys.gc_delay) is displaced; two stores that both do
 * so at once may lose what the first stored into its own.  Sets kc->ring.
 * Returns 0, or -1 with errno set.
 */
static int ring_create(struct kc *kc)
{
	key_serial_t ring;
	int e;

	kc->ring = 0;
	ring = add_key("keyring", kc->name, NULL, 0, KEY_SPEC_PROCESS_KEYRING);
	if (ring < 0)
		return -1;
	if (keyctl_setperm(ring, PERM) < 0 ||
	    move_key(ring, KEY_SPEC_PROCESS_KEYRING, kc->root, KEYCTL_MOVE_EXCL) < 0) {
		e = errno;
		/*
		 * EEXIST: another helper made one meanwhile, so use theirs;
		 * when root has none we can see, the one there is dead.
		 */
		if (e == EEXIST && !ring_find(kc, NULL) && !kc->ring &&
		    move_key(ring, KEY_SPEC_PROCESS_KEYRING, kc->root, 0) == 0) {
			kc->ring = ring;
			return 0;
		}
		keyctl_unlink(ring, KEY_SPEC_PROCESS_KEYRING);
		if (e != EEXIST || !kc->ring) {
			errno = e;
			return -1;
		}
		return 0;
	}
	kc->ring = ring;
	return 0;
}

static void kc_close(void *self)
{
	free(self);
}

void *keyctl_open_ring(const char *ring, struct ck_error *err)
{
	static int told;	/* the fallback note is said once a process */
	const char *name = getenv("CREDKIT_KEYRING");
	struct kc *kc;
	int e;

	if (!name || !*name)
		name = "persistent";
	if (strcmp(name, "persistent") && strcmp(name, "user") && strcmp(name, "session"))
		return ck_error(err, CK_BAD_INPUT,
				"CREDKIT_KEYRING=%.64s is not a keyring credkit knows: use "
				"persistent (the default), user or session", name), NULL;
	kc = calloc(1, sizeof(*kc));
	if (!kc)
		return ck_error(err, CK_FAILED, "out of memory"), NULL;
	kc->name = ring;
	kc->where = name;
	if (!strcmp(name, "persistent")) {
		/* Linked into our process keyring: we possess what is below it. */
		kc->root = keyctl_get_persistent(-1, KEY_SPEC_PROCESS_KEYRING);
		if (kc->root < 0 && errno == EOPNOTSUPP) {
			if (!told++)
				fprintf(stderr, "%s: this kernel has no "
					"persistent keyrings (CONFIG_PERSISTENT_KEYRINGS); using the "
					"user keyring instead (set CREDKIT_KEYRING=user to silence "
					"this)\n", program_invocation_short_name);
			kc->where = "user";
		} else if (kc->root < 0) {
			goto fail;
		}
	}
	if (!strcmp(kc->where, "user")) {
		/* Link it too: found by number, its keys need a possessor. */
		kc->root = keyctl_get_keyring_ID(KEY_SPEC_USER_KEYRING, 1);
		if (kc->root < 0 || keyctl_link(kc->root, KEY_SPEC_PROCESS_KEYRING) < 0)
			goto fail;
	} else if (!strcmp(kc->where, "session")) {
		/* Without a session keyring the kernel gives the user-session one. */
		kc->root = keyctl_get_keyring_ID(KEY_SPEC_SESSION_KEYRING, 0);
		if (kc->root < 0)
			goto fail;
	}
	if (ring_find(kc, err)) {
		kc_close(kc);
		return NULL;
	}
	return kc;
fail:
	e = errno;
	if (e == EPERM || e == ENOSYS || e == EACCES)
		kc_fail(kc, e, "use the kernel keyring", NULL, err);
	else
		ck_error(err, CK_UNAVAILABLE, "cannot open the %s keyring: %s",
			 kc->where, strerror(e));
	kc_close(kc);
	return NULL;
}

static void *kc_open(struct ck_error *err)
{
	return keyctl_open_ring(RING_NAME, err);
}

/*
 * Write the entry description of server into desc[DESC_MAX].  Returns 0,
 * or -1 with err (CK_BAD_INPUT) when it does not fit.
 */
static int entry_desc(const char *server, char *desc, struct ck_error *err)
{
	int n = snprintf(desc, DESC_MAX, "%s%s", ENTRY_PREFIX, server);

	if (n < 0 || n >= DESC_MAX)
		return ck_error(err, CK_BAD_INPUT,
				"server URL too long for the kernel keyring: %zu bytes, at most %zu",
				strlen(server), (size_t)DESC_MAX - 1 - strlen(ENTRY_PREFIX));
	return 0;
}

/*
 * The entry keyring for server in credkit's keyring as root holds it now
 * (kc->ring follows it): > 0, 0 when there is none, -1 with err.
 */
static key_serial_t entry_find(struct kc *kc, const char *server,
			       struct ck_error *err)
{
	char desc[DESC_MAX];
	long id;
	int tries, r, e = ENOKEY;

	if (entry_desc(server, desc, NULL))
		return 0;	/* a name too long was never stored */
	/* None at the open or the last look: another helper may have made it. */
	if (!kc->ring && ring_find(kc, err))
		return -1;
	for (tries = 0; kc->ring && tries < RING_TRIES; tries++) {
		/* Entries hold no keyrings: this finds a direct link of ring only. */
		id = keyctl_search(kc->ring, "keyring", desc, 0);
		if (id >= 0)
			return (key_serial_t)id;
		e = errno;
		r = ring_again(kc, e, err);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
	}
	if (!kc->ring || e == ENOKEY || e == EKEYEXPIRED || e == EKEYREVOKED)
		return 0;
	return kc_fail(kc, e, "look up the credentials for", server, err);
}

/*
 * Read one decimal number of at most 15 digits at *p, followed by stop.
 * Advances *p past stop.  Returns 0, or -1 for another shape.
 */
static int take_number(const char **p, const char *end, char stop,
		       unsigned long long *v)
{
	const char *s = *p;

	*v = 0;
	while (s < end && *s >= '0' && *s <= '9' && s - *p < 15)
		*v = *v * 10 + (unsigned)(*s++ - '0');
	if (s == *p || s == end || *s != stop)
		return -1;
	*p = s + 1;
	return 0;
}

/* Parse a meta payload.  Returns 0, or -1 when it is not one of ours. */
static int meta_parse(const char *buf, size_t len, struct meta *m)
{
	const char *p = buf + strlen(META_MAGIC), *end = buf + len;
	unsigned long long parts, length, expires;

	if (len < strlen(META_MAGIC) || memcmp(buf, META_MAGIC, strlen(META_MAGIC)) ||
	    take_number(&p, end, ' ', &parts) || take_number(&p, end, ' ', &length) ||
	    take_number(&p, end, '\n', &expires) || memchr(p, '\0', (size_t)(end - p)) ||
	    length > SECRET_MAX || parts != (length + PART_MAX - 1) / PART_MAX)
		return -1;
	m->parts = (size_t)parts;
	m->length = (size_t)length;
	m->expires = (long long)expires;
	m->username = strndup(p, (size_t)(end - p));
	return m->username ? 0 : -1;
}

/*
 * Read the meta of entry into m.  Returns 0, or -1 with err; *gone says
 * the entry went away meanwhile (errno then says how).
 */
static int meta_read(struct kc *kc, key_serial_t entry, const char *server,
		     struct meta *m, int *gone, struct ck_error *err)
{
	char small[256], *buf = small;
	long id, n, again;
	int ret = -1;

	*gone = 0;
	id = keyctl_search(entry, "user", META_NAME, 0);
	n = id < 0 ? -1 : keyctl_read((key_serial_t)id, small, sizeof(small));
	if (n > (long)sizeof(small) && n <= PART_MAX) {
		buf = malloc((size_t)n);
		again = buf ? keyctl_read((key_serial_t)id, buf, (size_t)n) : -1;
		if (!buf) {
			errno = ENOMEM;
			n = -1;
		} else if (again >= 0 && again != n)
			n = PART_MAX + 1;	/* changed in place: not ours */
		else
			n = again;
	}
	if (n < 0) {
		*gone = vanished(errno);
		kc_fail(kc, errno, "read the credentials for", server, err);
		goto out;
	}
	if (n > PART_MAX || meta_parse(buf, (size_t)n, m)) {
		ck_error(err, CK_FAILED,
			 "the entry for %.200s in the %s keyring is damaged (its \"%s\" key "
			 "is not credkit's); store it again or erase it",
			 server, kc->where, META_NAME);
		goto out;
	}
	ret = 0;
out:
	if (buf != small)
		free(buf);
	return ret;
}

/*
 * Read entry, the keyring found for server, into out.  Returns 0, or -1
 * with err; *gone says the entry was displaced or erased meanwhile.
 */
static int entry_read(struct kc *kc, key_serial_t entry, const char *server,
		      struct cred *out, int *gone, struct ck_error *err)
{
	struct meta m = META_INIT;
	struct secret got = SECRET_INIT;
	char name[32];
	size_t i, off = 0, want;
	long id, n;
	int ret = -1;

	if (meta_read(kc, entry, server, &m, gone, err))
		return -1;
	if (m.expires && (long long)time(NULL) >= m.expires) {
		ck_error(err, CK_NOT_FOUND, NULL);
		goto out;
	}
	if (secret_alloc(&got, m.length)) {
		ck_error(err, CK_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < m.parts; i++, off += want) {
		want = m.length - off < PART_MAX ? m.length - off : PART_MAX;
		if (snprintf(name, sizeof(name), "part:%zu", i) < 0)
			goto out;
		id = keyctl_search(entry, "user", name, 0);
		/* Straight into place: no other copy of the secret is made. */
		n = id < 0 ? -1 : keyctl_read((key_serial_t)id, got.buf + off, want);
		if (n < 0) {
			*gone = vanished(errno);
			kc_fail(kc, errno, "read the credentials for", server, err);
			goto out;
		}
		if ((size_t)n != want) {
			ck_error(err, CK_FAILED,
				 "the entry for %.200s in the %s keyring is damaged (%s holds %ld "
				 "bytes, not %zu); store it again or erase it",
				 server, kc->where, name, n, want);
			goto out;
		}
	}
	/* Hand both over. */
	secret_release(&out->secret);
	free(out->username);
	out->secret = got;
	got = (struct secret)SECRET_INIT;
	out->username = m.username;
	m.username = NULL;
	ret = 0;
out:
	secret_release(&got);
	meta_release(&m);
	return ret;
}

static int kc_get(void *self, const char *server, struct cred *out,
		  struct ck_error *err)
{
	struct kc *kc = self;
	key_serial_t entry, last = 0;
	int tries, gone;

	for (tries = 0; tries < GET_TRIES; tries++) {
		entry = entry_find(kc, server, err);
		if (entry < 0)
			return -1;
		if (entry == 0)
			return ck_error(err, CK_NOT_FOUND, NULL);
		if (entry_read(kc, entry, server, out, &gone, err) == 0)
			return 0;
		/*
		 * Displaced by a store or erased while we read: the lookup now
		 * gives the new entry or none.  The same entry failing twice is
		 * a real error.
		 */
		if (!gone || entry == last)
			return -1;
		last = entry;
		ck_error_clear(err);
	}
	return ck_error(err, CK_FAILED,
			"cannot read the credentials for %.200s: they were replaced %d times "
			"while being read; try again", server, GET_TRIES);
}

static int kc_erase(void *self, const char *server, struct ck_error *err)
{
	struct kc *kc = self;
	key_serial_t entry = entry_find(kc, server, err);

	if (entry <= 0)
		return entry;
	/*
	 * Its only link, in kc->ring as entry_find left it: the kernel frees
	 * the entry and wipes its parts.
	 */
	if (keyctl_unlink(entry, kc->ring) < 0 && errno != ENOENT && errno != ENOKEY)
		return kc_fail(kc, errno, "erase the credentials for", server, err);
	return 0;
}

/* A key of the entry being built: made in entry, with our permissions. */
static int add_part(key_serial_t entry, const char *name, const char *data,
		    size_t len, unsigned timeout)
{
	key_serial_t id = add_key("user", name, data, len, entry);

	if (id < 0 || keyctl_setperm(id, PERM) < 0 ||
	    (timeout && keyctl_set_timeout(id, timeout) < 0))
		return -1;
	return 0;
}

/* The meta payload for c, new in *meta.  Returns its length, or -1. */
static long meta_build(const struct cred *c, size_t parts, long long expires,
		       char **meta, struct ck_error *err)
{
	size_t ulen = strlen(c->username), size = ulen + 128;
	int n;

	*meta = malloc(size);
	if (!*meta)
		return ck_error(err, CK_FAILED, "out of memory");
	n = snprintf(*meta, size, META_MAGIC "%zu %zu %lld\n%s", parts, c->secret.len,
		     expires, c->username);
	if (n < 0 || (size_t)n >= size)
		return ck_error(err, CK_FAILED, "cannot encode the entry for %.200s", c->server);
	if (n > PART_MAX)
		return ck_error(err, CK_BAD_INPUT,
				"username too long for the kernel keyring: %zu bytes, at most %zu",
				ulen, ulen - (size_t)(n - PART_MAX));
	return n;
}

/*
 * Build the entry for c (see the top of this file) and move it into
 * credkit's keyring, displacing the old one.  timeout 0: none.
 */
static int entry_store(struct kc *kc, const struct cred *c, unsigned timeout,
		       long long expires, struct ck_error *err)
{
	char desc[DESC_MAX], name[32], *meta = NULL;
	size_t parts = (c->secret.len + PART_MAX - 1) / PART_MAX, i, off, n;
	size_t need_bytes, need_keys;
	key_serial_t entry = -1;
	struct quota before;
	long meta_len;
	int ret = -1, e = 0;

	if (!c->server || !*c->server)
		return ck_error(err, CK_NO_SERVER, NULL);
	if (!c->username || !*c->username)
		return ck_error(err, CK_NO_USERNAME, NULL);
	if (entry_desc(c->server, desc, err))
		return -1;
	if (c->secret.len > SECRET_MAX)
		return ck_error(err, CK_BAD_INPUT,
				"secret too large for credkit's kernel keyring: %zu bytes, at most %d",
				c->secret.len, SECRET_MAX);
	meta_len = meta_build(c, parts, expires, &meta, err);
	if (meta_len < 0)
		goto out;
	/* What the kernel charges: description, NUL, payload and a link. */
	need_bytes = strlen(desc) + 1 + LINK_BYTES + strlen(META_NAME) + 1 +
		     (size_t)meta_len + LINK_BYTES + c->secret.len +
		     parts * (sizeof("part:00") + LINK_BYTES);
	need_keys = 2 + parts;
	quota_read(&before);
	if (!kc->ring && ring_create(kc)) {
		e = errno;
		goto out;
	}
	entry = add_key("keyring", desc, NULL, 0, KEY_SPEC_PROCESS_KEYRING);
	if (entry < 0 || keyctl_setperm(entry, PERM) < 0 ||
	    add_part(entry, META_NAME, meta, (size_t)meta_len, timeout) < 0) {
		e = errno;
		goto out;
	}
	for (i = 0, off = 0; i < parts; i++, off += n) {
		n = c->secret.len - off < PART_MAX ? c->secret.len - off : PART_MAX;
		if (snprintf(name, sizeof(name), "part:%zu", i) < 0) {
			e = EINVAL;
			goto out;
		}
		if (add_part(entry, name, c->secret.buf + off, n, timeout) < 0) {
			e = errno;
			goto out;
		}
	}
	if (timeout && keyctl_set_timeout(entry, timeout) < 0) {
		e = errno;
		goto out;
	}
	/* The one step readers can see: the old entry is displaced. */
	if (move_key(entry, KEY_SPEC_PROCESS_KEYRING, kc->ring, 0) < 0) {
		e = errno;
		/* credkit's keyring went away: use the current one, or make it. */
		if (!ring_gone(kc, e) || ring_create(kc) ||
		    move_key(entry, KEY_SPEC_PROCESS_KEYRING, kc->ring, 0) < 0) {
			e = errno;
			goto out;
		}
	}
	entry = -1;
	ret = 0;
out:
	if (entry >= 0)	/* half built: its only link, so the kernel frees it */
		keyctl_unlink(entry, KEY_SPEC_PROCESS_KEYRING);
	if (ret && e == EDQUOT)
		quota_error(&before, need_bytes, need_keys,
			    entry_find(kc, c->server, NULL) > 0, c->server, err);
	else if (ret && e)
		kc_fail(kc, e, "store the credentials for", c->server, err);
	free(meta);
	return ret;
}

static int kc_store(void *self, const struct cred *c, struct ck_error *err)
{
	return entry_store(self, c, 0, 0, err);
}

int keyctl_store_expiring(void *self, const struct cred *c, time_t expires,
			  struct ck_error *err)
{
	time_t now = time(NULL);

	if (!expires)
		return entry_store(self, c, 0, 0, err);
	if (expires <= now)
		return ck_error(err, CK_BAD_INPUT,
				"the credentials for %.200s expired already (%lld seconds ago); "
				"nothing was stored", c->server, (long long)(now - expires));
	if (expires - now > (time_t)0xffffffffu - 1)
		return entry_store(self, c, 0, 0, err);	/* beyond the kernel's reach */
	return entry_store(self, c, (unsigned)(expires - now), (long long)expires, err);
}

/*
 * Read into m the meta of entry, which list found for server, or, when a
 * store replaced it meanwhile, of the entry that replaced it.  Returns 0,
 * 1 when the server has no entry any more, 2 when the replacement went
 * too (list reads the links again), or -1 with err.
 */
static int list_meta(struct kc *kc, key_serial_t entry, const char *server,
		     struct meta *m, struct ck_error *err)
{
	int gone;

	if (meta_read(kc, entry, server, m, &gone, err) == 0)
		return 0;
	if (!gone)
		return -1;
	entry = entry_find(kc, server, NULL);
	if (entry <= 0)
		return 1;
	if (meta_read(kc, entry, server, m, &gone, err) == 0)
		return 0;
	return gone ? 2 : -1;
}

/* What list has seen so far: links it looked at, servers it answered. */
struct list_seen {
	key_serial_t *keys;
	size_t nr_keys, alloc_keys;
	char **servers;
	size_t nr_servers, alloc_servers;
};

static void list_seen_release(struct list_seen *ls)
{
	while (ls->nr_servers)
		free(ls->servers[--ls->nr_servers]);
	free(ls->servers);
	free(ls->keys);
}

/*
 * v (an array of *alloc elements of size bytes, nr of them used) with room
 * for one more: v itself, or its larger copy (*alloc grown); NULL when out
 * of memory, v untouched.
 */
static void *room_for_one(void *v, size_t *alloc, size_t nr, size_t size)
{
	size_t n = *alloc ? 2 * *alloc : 16;

	if (nr < *alloc)
		return v;
	if ((v = realloc(v, n * size)))
		*alloc = n;
	return v;
}

/* Note key as looked at; returns 1 when it was already, 0, -1 (ENOMEM). */
static int seen_key(struct list_seen *ls, key_serial_t key)
{
	key_serial_t *k;
	size_t i;

	for (i = 0; i < ls->nr_keys; i++)
		if (ls->keys[i] == key)
			return 1;
	if (!(k = room_for_one(ls->keys, &ls->alloc_keys, ls->nr_keys, sizeof(*k))))
		return -1;
	ls->keys = k;
	ls->keys[ls->nr_keys++] = key;
	return 0;
}

/* Note server as answered; returns 1 when it was already, 0, -1 (ENOMEM). */
static int seen_server(struct list_seen *ls, const char *server)
{
	char **v;
	size_t i;

	for (i = 0; i < ls->nr_servers; i++)
		if (!strcmp(ls->servers[i], server))
			return 1;
	if (!(v = room_for_one(ls->servers, &ls->alloc_servers, ls->nr_servers, sizeof(*v))))
		return -1;
	ls->servers = v;
	if (!(ls->servers[ls->nr_servers] = strdup(server)))
		return -1;
	ls->nr_servers++;
	return 0;
}

/*
 * One reading of the links of credkit's keyring: each entry not looked at
 * before whose server was not answered yet goes to each.  *lost says an
 * entry went away as it was read: a store may have replaced it by a link
 * this reading came too early to see.  Returns 0, or -1 with err.
 */
static int list_once(struct kc *kc, struct list_seen *ls, backend_each_fn each,
		     void *data, int *lost, struct ck_error *err)
{
	struct ck_error skipped = CK_ERROR_INIT;
	key_serial_t *keys = NULL;
	const char *type, *desc, *server;
	char buf[DESC_MAX + 128];
	unsigned long uid;
	long n = -1, i, len;
	int ret = -1, r = 1, tries, e = ENOKEY;

	*lost = 0;
	for (tries = 0; kc->ring && r > 0 && tries < RING_TRIES; tries++) {
		n = keyctl_read_alloc(kc->ring, (void **)&keys);
		if (n >= 0)
			break;
		e = errno;
		r = ring_again(kc, e, err);
	}
	if (r < 0)
		return -1;
	if (!kc->ring)
		return 0;
	if (n < 0)
		return kc_fail(kc, e, "list credkit's keyring", NULL, err);
	for (i = 0; i < n / (long)sizeof(*keys); i++) {
		struct meta m = META_INIT;

		r = seen_key(ls, keys[i]);
		if (r)
			goto next;
		len = keyctl_describe(keys[i], buf, sizeof(buf));
		if (len < 0 && vanished(errno))
			*lost = 1;
		/* Gone, expired or not ours: get could not answer it either. */
		if (len < 0 || (size_t)len > sizeof(buf) ||
		    parse_describe(buf, &type, &uid, &desc) || strcmp(type, "keyring") ||
		    strncmp(desc, ENTRY_PREFIX, strlen(ENTRY_PREFIX)))
			continue;
		server = desc + strlen(ENTRY_PREFIX);
		r = seen_server(ls, server);
		if (r)
			goto next;
		r = list_meta(kc, keys[i], server, &m, &skipped);
		if (r < 0)
			fprintf(stderr, "%s: not listed: %s\n", program_invocation_short_name,
				skipped.msg);
		if (r == 2) {
			*lost = 1;
			free(ls->servers[--ls->nr_servers]);	/* look again */
		}
		if (r == 0 && (!m.expires || (long long)time(NULL) < m.expires))
			r = each(server, m.username, data, err) ? -2 : 0;
		meta_release(&m);
		if (r == -2)
			goto out;
		continue;
next:
		if (r < 0) {
			ck_error(err, CK_FAILED, "out of memory");
			goto out;
		}
	}
	ret = 0;
out:
	free(keys);
	return ret;
}

/*
 * Read the links again while entries went away as they were read, up to
 * GET_TRIES times, so that an entry being replaced is never missed.
 */
static int kc_list(void *self, backend_each_fn each, void *data, struct ck_error *err)
{
	struct kc *kc = self;
	struct list_seen ls = { NULL, 0, 0, NULL, 0, 0 };
	int tries, lost = 1, ret = 0;

	/* None at the open or the last look: another helper may have made it. */
	if (!kc->ring && ring_find(kc, err))
		return -1;
	for (tries = 0; lost && ret == 0 && tries < GET_TRIES; tries++)
		ret = list_once(kc, &ls, each, data, &lost, err);
	if (ret == 0 && lost)
		ret = ck_error(err, CK_FAILED, "cannot list credkit's keyring: its entries "
			       "were replaced %d times while being read; try again", GET_TRIES);
	list_seen_release(&ls);
	return ret;
}

const struct backend keyctl_backend = {
	.name = "keyctl",
	.open = kc_open,
	.close = kc_close,
	.store = kc_store,
	.get = kc_get,
	.erase = kc_erase,
	.list = kc_list,
};
