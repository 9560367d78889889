/* SPDX-License-Identifier: MIT */
/*
 * secretservice.c - the Secret Service backend (gnome-keyring, KeePassXC,
 * KWallet) over sd-bus.
 *
 * Items keep the layout of libsecret's "io.docker.Credentials" schema as
 * Debian's Go docker-credential-secretservice writes it, so either helper
 * reads what the other stored:
 *
 *   label       the server URL
 *   attributes  xdg:schema=io.docker.Credentials, label=Docker Credentials,
 *               server=<server URL>, username=<username>, docker_cli=1
 *   secret      the password or token, content type text/plain
 *   collection  the one the "default" alias names
 *
 * What it promises beyond the Go helper:
 *  - secrets cross the bus in a plain session by default, encrypted
 *    (SSCRYPT_ALGORITHM) with CREDKIT_SECRETSERVICE_SESSION=dh: see
 *    want_encryption() for why, with measurements; every copy we hold,
 *    D-Bus messages included, is wiped;
 *  - store replaces: one item per server, whatever the username was, and
 *    concurrent stores and erases take turns (take_lock()), so that exactly
 *    one of the stored entries remains;
 *  - list reads attributes only: it never unlocks or loads a secret, and
 *    skips items in locked collections, which get could not answer;
 *  - an item another process deletes while we read it makes get search
 *    again, and list search again for the items made since (SS_GET_TRIES
 *    searches), so neither fails nor misses an entry while it is replaced;
 *  - every wait is bounded by one deadline per run, set at open:
 *    CREDKIT_SECRETSERVICE_TIMEOUT_MS, SS_TIMEOUT_MS_DEFAULT by default,
 *    for every call, the lock and a password prompt together, however many
 *    there are; a bus that does not even accept us is given up sooner
 *    (SS_CONNECT_USEC), and without a display there is no prompt at all.
 *
 * Why sd-bus: measured here, the three calls of a get take 3.5 ms through
 * sd-bus, 6.6 ms through GDBus and 14 ms through libsecret, whose client-side
 * set-up dominates; see bench/secretservice.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "clock.h"
#include "stores/secretservice.h"
#include "stores/sscrypt.h"

#define SS_DEST		"org.freedesktop.secrets"
#define SS_PATH		"/org/freedesktop/secrets"
#define SS_SERVICE	"org.freedesktop.Secret.Service"
#define SS_COLLECTION	"org.freedesktop.Secret.Collection"
#define SS_ITEM		"org.freedesktop.Secret.Item"
#define SS_PROMPT	"org.freedesktop.Secret.Prompt"
#define SS_PROPERTIES	"org.freedesktop.DBus.Properties"

#define BUS_DEST	"org.freedesktop.DBus"
#define BUS_PATH	"/org/freedesktop/DBus"
/* The lock of store and erase: see take_lock(). */
#define SS_LOCK_NAME	"io.github.credkit.SecretServiceLock"

#define SCHEMA		"io.docker.Credentials"
#define CREDS_LABEL	"Docker Credentials"

#define SS_CONNECT_USEC	(1500 * 1000ULL)
#define SS_TIMEOUT_MS_DEFAULT	5000
#define SS_TIMEOUT_MS_MAX	(3600 * 1000)
#define SS_TIMEOUT_VAR	"CREDKIT_SECRETSERVICE_TIMEOUT_MS"
/*
 * Searches a get makes when the items it found vanish as it reads them, and
 * tries of a SearchItems gnome-keyring did not know yet (see search()).
 */
#define SS_GET_TRIES	5
/* The first pause before SearchItems is asked again, doubled each time. */
#define SS_RETRY_USEC	(10 * 1000ULL)

#define HEADLESS_HINT \
	"on headless hosts use docker-credential-keyctl or docker-credential-pass"

/*
 * A method call in flight.  Calls are queued at once and their replies
 * collected later, so that independent calls share round trips: a get sends
 * the reads of the items it found and OpenSession together, and the service
 * computes its half of the key agreement while our answers travel back.
 */
struct call {
	sd_bus_slot *slot;	/* owned until the reply came */
	sd_bus_message *reply;	/* new, on success */
	sd_bus_error error;	/* set on failure */
	char member[32];	/* the method called, for errors */
	int done;
};

#define CALL_INIT { NULL, NULL, SD_BUS_ERROR_NULL, "", 0 }

struct ss {
	sd_bus *bus;
	const char *address;	/* borrowed from the environment, for errors */
	uint64_t connect_deadline;	/* when an unanswering bus is given up */
	uint64_t opened;	/* when open connected, for errors */
	uint64_t deadline;	/* when the run gives up any wait */
	sd_bus_slot *lock_filter;	/* watches for SS_LOCK_NAME, once asked */
	int locked;		/* SS_LOCK_NAME is ours */
	struct call opening;	/* OpenSession, once sent */
	char *session;		/* our session's object path, once opened */
	struct sscrypt crypt;	/* unused (not ready) on a plain session */
};

/* An item of our schema, as its properties describe it. */
struct ss_item {
	const char *path;	/* borrowed from the search result */
	char *server;
	char *username;
	uint64_t modified;
	int gone;		/* deleted by another process as we asked */
};

/* Sleep usec, or until the run's deadline if that comes first. */
static void nap(struct ss *ss, uint64_t usec)
{
	uint64_t now = ck_now_usec();

	if (now >= ss->deadline)
		return;
	ck_sleep_usec(usec < ss->deadline - now ? usec : ss->deadline - now);
}

static void strv_free(char **v)
{
	char **p;

	for (p = v; p && *p; p++)
		free(*p);
	free(v);
}

static size_t strv_len(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/*
 * The error of a wait that reached the run's deadline: what we were doing
 * ("look up the credentials for X"), and waiting, what did not answer
 * ("SearchItems", "the password prompt").  Returns -1.
 */
static int timeout_error(struct ss *ss, const char *what, const char *waiting,
			 struct ck_error *err)
{
	return ck_error(err, CK_UNAVAILABLE,
			"cannot %s: the Secret Service did not answer %s within %.1f s "
			"(is gnome-keyring-daemon or KeePassXC stopped, or waiting for a "
			"dialog?); set %s to wait longer",
			what, waiting, (ss->deadline - ss->opened) / 1e6, SS_TIMEOUT_VAR);
}

/*
 * Turn a failed call c into err.  what says what we were doing, in the
 * form "look up the credentials for X".  Returns -1.
 */
static int call_error(struct ss *ss, const struct call *c, const char *what,
		      struct ck_error *err)
{
	const sd_bus_error *e = &c->error;

	if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN,
				   SD_BUS_ERROR_NAME_HAS_NO_OWNER))
		return ck_error(err, CK_UNAVAILABLE,
				"no Secret Service on the session bus at %s (%s cannot be started): "
				"start gnome-keyring-daemon or KeePassXC, or %s",
				ss->address, SS_DEST, HEADLESS_HINT);
	if (sd_bus_error_has_name(e, "org.freedesktop.Secret.Error.IsLocked"))
		return ck_error(err, CK_LOCKED, "cannot %s: the keyring is locked", what);
	/* sd-bus's own timeout of the call, which is the run's deadline. */
	if (sd_bus_error_has_names(e, SD_BUS_ERROR_TIMEOUT, SD_BUS_ERROR_NO_REPLY))
		return timeout_error(ss, what, c->member, err);
	if (sd_bus_error_is_set(e))
		return ck_error(err, CK_FAILED, "cannot %s: the Secret Service said: %s",
				what, e->message ? e->message : e->name);
	return ck_error(err, CK_FAILED, "cannot %s: %s failed", what, c->member);
}

/*
 * Whether c failed because its object is gone: another process deleted
 * the item between our search and this call.  gnome-keyring says
 * "No such interface" (UnknownMethod), others UnknownObject or
 * Secret.Error.NoSuchObject.
 */
static int vanished(const struct call *c)
{
	return c->done && !c->reply &&
	       sd_bus_error_has_names(&c->error, SD_BUS_ERROR_UNKNOWN_OBJECT,
				      SD_BUS_ERROR_UNKNOWN_INTERFACE,
				      SD_BUS_ERROR_UNKNOWN_METHOD,
				      "org.freedesktop.Secret.Error.NoSuchObject");
}

static int on_reply(sd_bus_message *m, void *data, sd_bus_error *unused)
{
	struct call *c = data;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	(void)unused;
	c->done = 1;
	if (e)
		sd_bus_error_copy(&c->error, e);
	else
		c->reply = sd_bus_message_ref(m);
	return 0;
}

static void call_release(struct call *c)
{
	sd_bus_slot_unref(c->slot);	/* forgets a reply still to come */
	sd_bus_message_unref(c->reply);
	sd_bus_error_free(&c->error);
	c->slot = NULL;
	c->reply = NULL;
	c->done = 0;
}

/*
 * Queue m (taken) with its answer going to c, bounded by the run's
 * deadline.  what is for the error when the deadline has passed already.
 * Returns 0, or -1 with err.
 */
static int call_send(struct ss *ss, sd_bus_message *m, struct call *c,
		     const char *what, struct ck_error *err)
{
	uint64_t now = ck_now_usec();
	int r;

	if (!m)
		return ck_error(err, CK_FAILED, "cannot build a D-Bus message: %s",
				strerror(ENOMEM));
	if (snprintf(c->member, sizeof(c->member), "%s",
		     sd_bus_message_get_member(m)) < 0)
		c->member[0] = '\0';
	if (now >= ss->deadline) {	/* 0 would be sd-bus's default, 25 s */
		sd_bus_message_unref(m);
		return timeout_error(ss, what, c->member, err);
	}
	r = sd_bus_call_async(ss->bus, &c->slot, m, on_reply, c, ss->deadline - now);
	sd_bus_message_unref(m);
	if (r < 0)
		return ck_error(err, CK_UNAVAILABLE,
				"cannot talk to the D-Bus session bus at %s: %s",
				ss->address, strerror(-r));
	return 0;
}

/*
 * Run the bus until *flag is set, within the run's deadline.  The first
 * answer also proves the bus accepted us, which sd-bus alone would wait
 * 25-90 s for: we give it SS_CONNECT_USEC.  what and waiting are for the
 * error, as timeout_error() takes them.  Returns 0, or -1 with err.
 *
 * Every wait of the backend is this loop, so the deadline holds whatever
 * the number of calls; *flag is looked at after each sd_bus_process(),
 * which may have run the callback that set it (a reply, or sd-bus's own
 * timeout of a call) without reporting progress.
 */
static int bus_wait(struct ss *ss, const int *flag, const char *what,
		    const char *waiting, struct ck_error *err)
{
	uint64_t now, until;
	int r, ready;

	for (;;) {
		r = sd_bus_process(ss->bus, NULL);
		if (r < 0 || *flag)
			break;
		if (r > 0)
			continue;
		now = ck_now_usec();
		ready = sd_bus_is_ready(ss->bus) > 0;
		if (!ready && now >= ss->connect_deadline)
			return ck_error(err, CK_UNAVAILABLE,
					"cannot reach the Secret Service: the D-Bus session bus at %s "
					"did not answer within %.1f s; check DBUS_SESSION_BUS_ADDRESS, or %s",
					ss->address, (ss->connect_deadline - ss->opened) / 1e6,
					HEADLESS_HINT);
		if (now >= ss->deadline)
			return timeout_error(ss, what, waiting, err);
		until = ready ? ss->deadline : ss->connect_deadline;
		r = sd_bus_wait(ss->bus, until - now);
		if (r < 0)
			break;
	}
	if (r < 0)
		return ck_error(err, CK_UNAVAILABLE,
				"cannot %s: lost the D-Bus session bus at %s: %s",
				what, ss->address, strerror(-r));
	return 0;
}

/* Wait for the answer to c.  Returns 0 with c->reply set, or -1 with err. */
static int call_wait(struct ss *ss, struct call *c, const char *what,
		     struct ck_error *err)
{
	if (bus_wait(ss, &c->done, what, c->member, err))
		return -1;
	if (!c->reply)
		return call_error(ss, c, what, err);
	return 0;
}

/*
 * Send m (taken) and wait for its reply, new in *reply (NULL may be passed
 * when the reply is not needed).  Returns 0, or -1 with err.
 */
static int ss_call(struct ss *ss, sd_bus_message *m, sd_bus_message **reply,
		   const char *what, struct ck_error *err)
{
	struct call c = CALL_INIT;
	int ret = -1;

	if (call_send(ss, m, &c, what, err) == 0 && call_wait(ss, &c, what, err) == 0) {
		if (reply)
			*reply = sd_bus_message_ref(c.reply);
		ret = 0;
	}
	call_release(&c);
	return ret;
}

/* A new method call on the Secret Service; returns NULL on ENOMEM. */
static sd_bus_message *ss_method(struct ss *ss, const char *path,
				 const char *iface, const char *member)
{
	sd_bus_message *m = NULL;

	if (sd_bus_message_new_method_call(ss->bus, &m, SS_DEST, path, iface, member) < 0)
		return NULL;
	return m;
}

static int build_error(sd_bus_message *m, int r, struct ck_error *err)
{
	sd_bus_message_unref(m);
	return ck_error(err, CK_FAILED, "cannot build a D-Bus message: %s",
			strerror(r < 0 ? -r : ENOMEM));
}

static int parse_error(sd_bus_message *m, const char *what, struct ck_error *err)
{
	sd_bus_message_unref(m);
	return ck_error(err, CK_FAILED, "cannot %s: the Secret Service sent an unexpected answer",
			what);
}

static void ss_close(void *self)
{
	struct ss *ss = self;
	struct ck_error ignored = CK_ERROR_INIT;

	if (!ss)
		return;
	/*
	 * Not with OpenSession unanswered (a get that found nothing): seen
	 * under load, gnome-keyring 42 then opens a session for a client it
	 * has forgotten, fails assertions and may die.  Bounded as any wait.
	 */
	if (ss->opening.slot && !ss->opening.done)
		bus_wait(ss, &ss->opening.done, "close", "OpenSession", &ignored);
	/* No Session.Close: the service drops our session when we hang up. */
	call_release(&ss->opening);
	sd_bus_slot_unref(ss->lock_filter);
	/* Not flush_close: on a bus that never answered it would wait forever. */
	sd_bus_close_unref(ss->bus);
	free(ss->session);
	sscrypt_release(&ss->crypt);
	free(ss);
}

/*
 * The bound of a run in microseconds: SS_TIMEOUT_VAR in ms, else
 * SS_TIMEOUT_MS_DEFAULT.  Returns 0 with err on a bad setting.
 */
static uint64_t run_timeout(struct ck_error *err)
{
	const char *v = getenv(SS_TIMEOUT_VAR);
	unsigned long ms;
	char *end;

	if (!v || !*v)
		return SS_TIMEOUT_MS_DEFAULT * 1000ULL;
	errno = 0;
	ms = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || errno || ms < 1 || ms > SS_TIMEOUT_MS_MAX) {
		ck_error(err, CK_BAD_INPUT,
			 "%s=%.32s: give a whole number of milliseconds from 1 to %d "
			 "(default %d)", SS_TIMEOUT_VAR, v, SS_TIMEOUT_MS_MAX,
			 SS_TIMEOUT_MS_DEFAULT);
		return 0;
	}
	return ms * 1000ULL;
}

static int want_encryption(struct ck_error *err);

static void *ss_open(struct ck_error *err)
{
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	uint64_t timeout = run_timeout(err);
	char fallback[4096];
	struct ss *ss;
	int r, n;

	/* Settings first: a bad one is an error whatever the keyring holds. */
	if (!timeout || want_encryption(err) < 0)
		return NULL;
	ss = calloc(1, sizeof(*ss));
	if (!ss)
		return ck_error(err, CK_FAILED, "out of memory"), NULL;
	ss->address = getenv("DBUS_SESSION_BUS_ADDRESS");
	if (!ss->address || !*ss->address) {
		n = snprintf(fallback, sizeof(fallback), "unix:path=%s/bus",
			     runtime ? runtime : "");
		if (!runtime || !*runtime || n < 0 || (size_t)n >= sizeof(fallback) ||
		    access(fallback + strlen("unix:path="), F_OK)) {
			ck_error(err, CK_UNAVAILABLE,
				 "cannot reach the Secret Service: no D-Bus session bus "
				 "(DBUS_SESSION_BUS_ADDRESS is not set and $XDG_RUNTIME_DIR/bus "
				 "does not exist); run inside a desktop session or "
				 "dbus-run-session, or %s", HEADLESS_HINT);
			goto fail;
		}
		ss->address = "$XDG_RUNTIME_DIR/bus";
	}
	r = sd_bus_new(&ss->bus);
	if (r >= 0)
		r = sd_bus_set_address(ss->bus, ss->address[0] == '$' ? fallback : ss->address);
	if (r >= 0)
		r = sd_bus_set_bus_client(ss->bus, 1);
	if (r >= 0)
		r = sd_bus_start(ss->bus);
	if (r < 0) {
		ck_error(err, CK_UNAVAILABLE,
			 "cannot reach the Secret Service: cannot connect to the D-Bus "
			 "session bus at %s: %s; check DBUS_SESSION_BUS_ADDRESS, or %s",
			 ss->address, strerror(-r), HEADLESS_HINT);
		goto fail;
	}
	ss->opened = ck_now_usec();
	ss->deadline = ss->opened + timeout;
	ss->connect_deadline = ss->opened +
			       (timeout < SS_CONNECT_USEC ? timeout : SS_CONNECT_USEC);
	return ss;
fail:
	ss_close(ss);
	return NULL;
}

/*
 * Whether secrets cross the bus encrypted: CREDKIT_SECRETSERVICE_SESSION
 * "dh" asks for SSCRYPT_ALGORITHM, "plain" (the default) does not.
 *
 * Why plain by default, measured here (bench/secretservice.sh): the key
 * agreement costs 0.8 ms on our side and about 2 ms in gnome-keyring, a
 * fifth of a whole get, and it buys nothing on a session bus: only
 * processes of our own uid (and root) can connect to it or monitor it, and
 * any of them can as well ask the unlocked keyring for the secret itself,
 * or read our memory.  The agreement is unauthenticated, so it does not
 * stop an impostor either.  What it does avoid is the plain text passing
 * through the bus daemon's buffers; whoever wants that sets "dh".  Our own
 * copies are wiped either way, the messages included.
 */
static int want_encryption(struct ck_error *err)
{
	const char *v = getenv("CREDKIT_SECRETSERVICE_SESSION");

	if (!v || !*v || !strcmp(v, "plain"))
		return 0;
	if (!strcmp(v, "dh"))
		return 1;
	return ck_error(err, CK_BAD_INPUT,
			"CREDKIT_SECRETSERVICE_SESSION=%.32s: use \"plain\" or \"dh\"", v);
}

/*
 * Ask for our session with the service; session_open() collects the
 * answer.  Sending it with other calls lets the service work on it
 * meanwhile.
 */
static int session_send(struct ss *ss, struct ck_error *err)
{
	unsigned char pub[SSCRYPT_PUBLIC_LEN];
	sd_bus_message *m;
	int r, dh;

	if (ss->session || ss->opening.slot)
		return 0;
	dh = want_encryption(err);
	if (dh < 0)
		return -1;
	if (dh && sscrypt_begin(&ss->crypt, pub, err))
		return -1;
	m = ss_method(ss, SS_PATH, SS_SERVICE, "OpenSession");
	if (!m)
		return build_error(m, -ENOMEM, err);
	if (!dh) {
		r = sd_bus_message_append(m, "sv", "plain", "s", "");
	} else {
		r = sd_bus_message_append(m, "s", SSCRYPT_ALGORITHM);
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'v', "ay");
		if (r >= 0)
			r = sd_bus_message_append_array(m, 'y', pub, sizeof(pub));
		if (r >= 0)
			r = sd_bus_message_close_container(m);
	}
	if (r < 0)
		return build_error(m, r, err);
	return call_send(ss, m, &ss->opening, "open a session with the Secret Service", err);
}

/*
 * Have a session open: encrypted when the service agrees, else plain, as
 * libsecret falls back too.  Returns 0, or -1 with err.
 */
static int session_open(struct ss *ss, struct ck_error *err)
{
	const char *what = "open a session with the Secret Service", *path;
	sd_bus_message *m, *reply = NULL;
	const void *peer = NULL;
	size_t len = 0;
	int r;

	if (ss->session)
		return 0;
	if (session_send(ss, err))
		return -1;
	if (call_wait(ss, &ss->opening, what, err) == 0) {
		reply = sd_bus_message_ref(ss->opening.reply);
		if (!ss->crypt.priv) {
			r = sd_bus_message_skip(reply, "v");
		} else {
			r = sd_bus_message_enter_container(reply, 'v', "ay");
			if (r >= 0)
				r = sd_bus_message_read_array(reply, 'y', &peer, &len);
			if (r >= 0)
				r = sd_bus_message_exit_container(reply);
		}
	} else if (sd_bus_error_has_name(&ss->opening.error, SD_BUS_ERROR_NOT_SUPPORTED)) {
		ck_error_clear(err);
		sscrypt_release(&ss->crypt);
		m = ss_method(ss, SS_PATH, SS_SERVICE, "OpenSession");
		r = m ? sd_bus_message_append(m, "sv", "plain", "s", "") : -ENOMEM;
		if (r < 0)
			return build_error(m, r, err);
		if (ss_call(ss, m, &reply, what, err))
			return -1;
		r = sd_bus_message_skip(reply, "v");
	} else {
		return -1;
	}
	if (r < 0 || sd_bus_message_read(reply, "o", &path) < 0)
		return parse_error(reply, what, err);
	if (peer && sscrypt_finish(&ss->crypt, peer, len, err)) {
		sd_bus_message_unref(reply);
		return -1;
	}
	ss->session = strdup(path);
	sd_bus_message_unref(reply);
	return ss->session ? 0 : ck_error(err, CK_FAILED, "out of memory");
}

/*
 * Ask for the items of our schema, for one server or (NULL) for all; with
 * schema 0, for server's items whatever their xdg:schema (see search()).
 */
static int search_send(struct ss *ss, const char *server, int schema, struct call *c,
		       struct ck_error *err)
{
	sd_bus_message *m = ss_method(ss, SS_PATH, SS_SERVICE, "SearchItems");
	int r;

	if (!m)
		return build_error(m, -ENOMEM, err);
	if (server && !schema)
		r = sd_bus_message_append(m, "a{ss}", 2, "docker_cli", "1", "server", server);
	else if (server)
		r = sd_bus_message_append(m, "a{ss}", 3, "xdg:schema", SCHEMA,
					  "docker_cli", "1", "server", server);
	else
		r = sd_bus_message_append(m, "a{ss}", 2, "xdg:schema", SCHEMA,
					  "docker_cli", "1");
	if (r < 0)
		return build_error(m, r, err);
	return call_send(ss, m, c, "search the keyring", err);
}

/*
 * Collect a search: *unlocked and *locked become new NULL-terminated
 * arrays of item paths.  Releases c.  Returns 0, 1 with err when the
 * service said it has no SearchItems (see search()), or -1 with err.
 */
static int search_collect(struct ss *ss, struct call *c, char ***unlocked,
			  char ***locked, struct ck_error *err)
{
	const char *what = "search the keyring";
	int ret = -1;

	*unlocked = *locked = NULL;
	if (call_wait(ss, c, what, err)) {
		if (c->done && sd_bus_error_has_name(&c->error, SD_BUS_ERROR_UNKNOWN_METHOD))
			ret = 1;
		goto out;
	}
	if (sd_bus_message_read_strv(c->reply, unlocked) < 0 ||
	    sd_bus_message_read_strv(c->reply, locked) < 0) {
		strv_free(*unlocked);
		*unlocked = NULL;
		ck_error(err, CK_FAILED, "cannot %s: the Secret Service sent an unexpected answer",
			 what);
		goto out;
	}
	ret = 0;
out:
	call_release(c);
	return ret;
}

/*
 * Search for the items of server (NULL: all), as search_collect() fills
 * them in.  Returns 0, or -1 with err.
 *
 * Seen under load, gnome-keyring 42 now and then answers SearchItems with
 * "Method SearchItems is not implemented", presumably for a caller it has
 * no record of yet (it makes that record in an idle callback, which can
 * come after the call); the same call a moment later succeeds.  So that
 * answer is asked again, up to SS_GET_TRIES times, after 10, 20, 40, 80 ms
 * (SS_RETRY_USEC doubled): under load, back-to-back round trips could all
 * come before that callback.  The pauses end at the run's deadline, where
 * the next call gives up.
 *
 * A keyring that gnome-keyring loaded from disk and has not unlocked (its
 * daemon restarted, or a login over ssh) matches a locked item by the
 * attributes it stored hashed, and xdg:schema is not one of them: a search
 * with it finds nothing there.  So when server's search finds nothing, the
 * locked items of server without xdg:schema are the answer's locked ones,
 * and get and erase say the keyring is locked rather than "not found" (an
 * erase that left the entry behind).  That second search only refines a
 * "not found": when it fails, the first search's answer stands.
 */
static int search(struct ss *ss, const char *server, char ***unlocked,
		  char ***locked, struct ck_error *err)
{
	struct call c = CALL_INIT;
	uint64_t pause = SS_RETRY_USEC;
	char **any = NULL;
	int tries, r = 1;

	*unlocked = *locked = NULL;
	for (tries = 0; r == 1 && tries < SS_GET_TRIES; tries++) {
		if (tries) {
			ck_error_clear(err);
			nap(ss, pause);
			pause *= 2;
		}
		if (search_send(ss, server, 1, &c, err))
			return -1;
		r = search_collect(ss, &c, unlocked, locked, err);
	}
	if (r || !server || strv_len(*unlocked) || strv_len(*locked))
		return r ? -1 : 0;
	strv_free(*locked);
	*locked = NULL;
	r = search_send(ss, server, 0, &c, err);
	if (!r)
		r = search_collect(ss, &c, &any, locked, err);
	strv_free(any);	/* unlocked: readable, so not of our schema */
	if (r) {	/* no answer now: as the first search found */
		strv_free(*locked);
		*locked = NULL;
		ck_error_clear(err);
	}
	return 0;
}

/* Read the attributes of an a{ss} in reply into item. */
static int read_attributes(sd_bus_message *reply, struct ss_item *item)
{
	const char *key, *value;
	int r;

	r = sd_bus_message_enter_container(reply, 'a', "{ss}");
	while (r >= 0 && (r = sd_bus_message_read(reply, "{ss}", &key, &value)) > 0) {
		char **dst = !strcmp(key, "server") ? &item->server :
			     !strcmp(key, "username") ? &item->username : NULL;

		if (!dst)
			continue;
		free(*dst);
		*dst = strdup(value);
		if (!*dst)
			return -ENOMEM;
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(reply);
	return r;
}

/* Fill item's server, username and modification time from reply. */
static int parse_item(sd_bus_message *reply, struct ss_item *item)
{
	const char *name;
	int r;

	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		r = sd_bus_message_read(reply, "s", &name);
		if (r >= 0 && !strcmp(name, "Attributes")) {
			r = sd_bus_message_enter_container(reply, 'v', "a{ss}");
			if (r >= 0)
				r = read_attributes(reply, item);
			if (r >= 0)
				r = sd_bus_message_exit_container(reply);
		} else if (r >= 0 && !strcmp(name, "Modified")) {
			r = sd_bus_message_read(reply, "v", "t", &item->modified);
		} else if (r >= 0) {
			r = sd_bus_message_skip(reply, "v");
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	return r;
}

static void item_release(struct ss_item *item)
{
	free(item->server);
	free(item->username);
	item->server = item->username = NULL;
}

static void items_free(struct ss_item *items, size_t n)
{
	while (n > 0)
		item_release(&items[--n]);
	free(items);
}

/*
 * The properties of many items, asked for all at once: one round trip
 * whatever their number.
 */
struct item_batch {
	struct ss_item *items;
	struct call *calls;
	size_t n;
};

static void batch_release(struct item_batch *b)
{
	size_t i;

	for (i = 0; b->calls && i < b->n; i++)
		call_release(&b->calls[i]);
	items_free(b->items, b->items ? b->n : 0);
	free(b->calls);
	b->items = NULL;
	b->calls = NULL;
	b->n = 0;
}

/* Ask for the properties of every item in paths (borrowed until collected). */
static int batch_send(struct ss *ss, char **paths, struct item_batch *b,
		      struct ck_error *err)
{
	size_t i;

	b->n = strv_len(paths);
	b->items = calloc(b->n + 1, sizeof(*b->items));
	b->calls = calloc(b->n + 1, sizeof(*b->calls));
	if (!b->items || !b->calls)
		return ck_error(err, CK_FAILED, "out of memory");
	for (i = 0; i < b->n; i++) {
		sd_bus_message *m = ss_method(ss, paths[i], SS_PROPERTIES, "GetAll");
		int r = m ? sd_bus_message_append(m, "s", SS_ITEM) : -ENOMEM;

		b->items[i].path = paths[i];
		b->calls[i] = (struct call)CALL_INIT;
		if (r < 0)
			return build_error(m, r, err);
		if (call_send(ss, m, &b->calls[i], "read a keyring item", err))
			return -1;
	}
	return 0;
}

/*
 * Wait for every answer of b and parse it into b->items.  An item deleted
 * since the search is marked gone, not an error.  Returns how many items
 * are left, or -1 with err.
 */
static int batch_collect(struct ss *ss, struct item_batch *b, struct ck_error *err)
{
	const char *what = "read a keyring item";
	size_t i;
	int left = 0;

	for (i = 0; i < b->n; i++) {
		if (call_wait(ss, &b->calls[i], what, err)) {
			if (!vanished(&b->calls[i]))
				return -1;
			ck_error_clear(err);
			b->items[i].gone = 1;
			call_release(&b->calls[i]);
			continue;
		}
		if (parse_item(b->calls[i].reply, &b->items[i]) < 0)
			return ck_error(err, CK_FAILED,
					"cannot %s: the Secret Service sent an unexpected answer", what);
		call_release(&b->calls[i]);
		left++;
	}
	return left;
}

static int prompt_completed(sd_bus_message *m, void *data, sd_bus_error *e)
{
	int *state = data;
	int dismissed = 1;

	(void)e;
	if (sd_bus_message_read(m, "b", &dismissed) < 0)
		dismissed = 1;
	*state = dismissed ? 2 : 1;
	return 0;
}

/*
 * Show the prompt at path and wait for its Completed signal, within the
 * run's deadline, which is all the user has to type a password (the
 * README says to raise SS_TIMEOUT_VAR for that).  what names the entry for
 * the error text.  Returns 0, or -1 with err (kind CK_LOCKED when the
 * prompt was dismissed).
 */
static int run_prompt(struct ss *ss, const char *prompt, const char *what,
		      struct ck_error *err)
{
	sd_bus_message *m = NULL;
	sd_bus_slot *slot = NULL;
	int state = 0, r, ret = -1;

	/*
	 * The match is added without waiting for the bus to confirm it: the
	 * bus handles our messages in order, so it is in place before the
	 * Prompt call can complete, and a failure closes the connection.
	 */
	r = sd_bus_match_signal_async(ss->bus, &slot, NULL, prompt, SS_PROMPT,
				      "Completed", prompt_completed, NULL, &state);
	if (r >= 0) {
		m = ss_method(ss, prompt, SS_PROMPT, "Prompt");
		r = m ? sd_bus_message_append(m, "s", "") : -ENOMEM;
	}
	if (r < 0) {
		build_error(m, r, err);
		goto out;
	}
	if (ss_call(ss, m, NULL, what, err))
		goto out;
	if (bus_wait(ss, &state, what, "the password prompt", err)) {
		if (ck_now_usec() >= ss->deadline)
			ck_error(err, CK_LOCKED,
				 "cannot %s: the keyring is locked and its password prompt was not "
				 "answered within %.1f s; set %s=120000 (for example) to have time "
				 "to type the password, or unlock the keyring first",
				 what, (ss->deadline - ss->opened) / 1e6, SS_TIMEOUT_VAR);
		goto out;
	}
	if (state == 2) {
		ck_error(err, CK_LOCKED, "cannot %s: the password prompt was dismissed", what);
		goto out;
	}
	ret = 0;
out:
	sd_bus_slot_unref(slot);
	return ret;
}

/*
 * Ask the service to unlock paths.  Without a display no prompt can be
 * shown, so a needed prompt is an error at once instead of a hang; with
 * one, run_prompt() asks the user.  what names the entry for the error
 * text.  Returns 0, or -1 with err (kind CK_LOCKED when still locked).
 */
static int unlock(struct ss *ss, char **paths, const char *what, struct ck_error *err)
{
	sd_bus_message *m = ss_method(ss, SS_PATH, SS_SERVICE, "Unlock");
	sd_bus_message *reply = NULL;
	const char *prompt;
	char **p;
	int r;

	if (!m)
		return build_error(m, -ENOMEM, err);
	r = sd_bus_message_open_container(m, 'a', "o");
	for (p = paths; r >= 0 && p && *p; p++)
		r = sd_bus_message_append(m, "o", *p);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r < 0)
		return build_error(m, r, err);
	if (ss_call(ss, m, &reply, what, err))
		return -1;
	r = sd_bus_message_skip(reply, "ao");
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &prompt);
	if (r < 0)
		return parse_error(reply, what, err);
	if (!strcmp(prompt, "/")) {
		sd_bus_message_unref(reply);
		return 0;
	}
	if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY")) {
		sd_bus_message_unref(reply);
		return ck_error(err, CK_LOCKED,
				"cannot %s: the keyring is locked and there is no display to ask "
				"for its password; unlock it first (log in to the desktop, or use a "
				"keyring manager such as seahorse), or %s",
				what, HEADLESS_HINT);
	}
	r = run_prompt(ss, prompt, what, err);
	sd_bus_message_unref(reply);
	return r;
}

/*
 * Delete the item at path; one already deleted by another process counts
 * as deleted.  Returns 0, or -1 with err.
 */
static int delete_item(struct ss *ss, const char *path, const char *server,
		       struct ck_error *err)
{
	sd_bus_message *m = ss_method(ss, path, SS_ITEM, "Delete");
	struct call c = CALL_INIT;
	char what[512];
	int ret = -1;

	if (!m)
		return build_error(m, -ENOMEM, err);
	if (snprintf(what, sizeof(what), "erase the credentials for %s", server) < 0)
		what[0] = '\0';
	if (call_send(ss, m, &c, what, err))
		goto out;
	if (call_wait(ss, &c, what, err) && !vanished(&c))
		goto out;
	ck_error_clear(err);
	ret = 0;
out:
	call_release(&c);
	return ret;
}

/* Ask for the secret of the item at path, in our (open) session. */
static int secret_send(struct ss *ss, const char *path, struct call *c,
		       struct ck_error *err)
{
	sd_bus_message *m = ss_method(ss, path, SS_ITEM, "GetSecret");
	int r = m ? sd_bus_message_append(m, "o", ss->session) : -ENOMEM;

	if (r < 0)
		return build_error(m, r, err);
	return call_send(ss, m, c, "read a secret from the keyring", err);
}

/*
 * Release c, a GetSecret call, wiping on a plain session the secret in its
 * reply if one came: every exit of a get that sent one ends here, whether
 * or not secret_collect() read it.  A reply already received but not yet
 * handed to c is taken first, without waiting, so that it is wiped too.
 */
static void secret_call_release(struct ss *ss, struct call *c)
{
	const void *value = NULL;
	size_t len = 0;
	int r;

	while (c->slot && !c->done && sd_bus_process(ss->bus, NULL) > 0)
		;
	if (c->reply && !ss->crypt.ready) {	/* plain text sits in the message */
		r = sd_bus_message_rewind(c->reply, 1);
		if (r >= 0)
			r = sd_bus_message_enter_container(c->reply, 'r', "oayays");
		if (r >= 0)
			r = sd_bus_message_skip(c->reply, "oay");
		if (r >= 0)
			r = sd_bus_message_read_array(c->reply, 'y', &value, &len);
		if (r >= 0 && value)
			secure_wipe((void *)value, len);
	}
	call_release(c);
}

/*
 * Collect a secret into out, decrypted.  Releases c (secret_call_release()).
 * Returns 0, 1 when the item was deleted since we asked (err clear), or -1
 * with err.
 */
static int secret_collect(struct ss *ss, struct call *c, struct secret *out,
			  struct ck_error *err)
{
	const char *what = "read a secret from the keyring", *session;
	const void *params, *value = NULL;
	size_t plen, vlen = 0;
	int r, ret = -1;

	if (call_wait(ss, c, what, err)) {
		if (vanished(c)) {
			ck_error_clear(err);
			ret = 1;
		}
		goto out;
	}
	r = sd_bus_message_enter_container(c->reply, 'r', "oayays");
	if (r >= 0)
		r = sd_bus_message_read(c->reply, "o", &session);
	if (r >= 0)
		r = sd_bus_message_read_array(c->reply, 'y', &params, &plen);
	if (r >= 0)
		r = sd_bus_message_read_array(c->reply, 'y', &value, &vlen);
	if (r < 0) {
		ck_error(err, CK_FAILED, "cannot %s: the Secret Service sent an unexpected answer",
			 what);
		goto out;
	}
	if (ss->crypt.ready)
		ret = sscrypt_decrypt(&ss->crypt, params, plen, value, vlen, out, err);
	else if (secret_set(out, value, vlen))
		ret = ck_error(err, CK_FAILED, "out of memory");
	else
		ret = 0;
out:
	secret_call_release(ss, c);
	return ret;
}

/*
 * Index of the most recently modified item that is not gone, the first on
 * a tie; n when all are gone.
 */
static size_t newest(const struct ss_item *items, size_t n)
{
	size_t i, best = n;

	for (i = 0; i < n; i++)
		if (!items[i].gone && (best == n || items[i].modified > items[best].modified))
			best = i;
	return best;
}

/*
 * Whether s is valid UTF-8, which every D-Bus string must be: a server
 * string that is not cannot name an item, and must not reach a message.
 */
static int is_utf8(const char *s)
{
	return ck_utf8_valid(s, strlen(s));
}

/*
 * One look for server: search, read the items found and the newest one's
 * secret into out.  Returns 0, 1 when an item vanished as we read it (err
 * clear; searching again sees the change), or -1 with err.
 */
static int get_once(struct ss *ss, const char *server, const char *what,
		    struct cred *out, struct ck_error *err)
{
	char **unlocked = NULL, **locked = NULL, **paths;
	struct item_batch batch = { NULL, NULL, 0 };
	struct call secret_call = CALL_INIT;
	struct ss_item *best;
	int ret = -1, left;

	/*
	 * OpenSession waits for the search's answer, and goes with the reads
	 * of the items: sent first, gnome-keyring 42 may take it for a caller
	 * it has no record of yet (see search()), fail its assertions and die.
	 */
	if (search(ss, server, &unlocked, &locked, err))
		goto out;
	paths = unlocked;
	if (!strv_len(unlocked)) {
		if (!strv_len(locked)) {
			ck_error(err, CK_NOT_FOUND, NULL);
			goto out;
		}
		if (unlock(ss, locked, what, err))
			goto out;
		paths = locked;
	}
	if (batch_send(ss, paths, &batch, err) || session_open(ss, err))
		goto out;
	/* One item, as usual: its secret rides along with its properties. */
	if (batch.n == 1 && secret_send(ss, paths[0], &secret_call, err))
		goto out;
	left = batch_collect(ss, &batch, err);
	if (left < 0)
		goto out;
	if (left == 0) {
		ret = 1;
		goto out;
	}
	best = &batch.items[newest(batch.items, batch.n)];
	if (batch.n > 1 && secret_send(ss, best->path, &secret_call, err))
		goto out;
	ret = secret_collect(ss, &secret_call, &out->secret, err);
	if (ret)
		goto out;
	ret = -1;
	out->username = strdup(best->username ? best->username : "");
	if (!out->username) {
		ck_error(err, CK_FAILED, "out of memory");
		goto out;
	}
	ret = 0;
out:
	secret_call_release(ss, &secret_call);	/* sent with GetAll, maybe answered */
	batch_release(&batch);
	strv_free(unlocked);
	strv_free(locked);
	return ret;
}

/*
 * Another process may replace the entry while we read it (a store deletes
 * the old item after creating the new one): then we search again, up to
 * SS_GET_TRIES times, all within the run's deadline.
 */
static int ss_get(void *self, const char *server, struct cred *out,
		  struct ck_error *err)
{
	struct ss *ss = self;
	char what[600];
	int tries, r = 1;

	if (!is_utf8(server))
		return ck_error(err, CK_NOT_FOUND, NULL);
	if (snprintf(what, sizeof(what), "read the credentials for %s", server) < 0)
		what[0] = '\0';
	for (tries = 0; r == 1 && tries < SS_GET_TRIES; tries++)
		r = get_once(ss, server, what, out, err);
	if (r == 1)
		return ck_error(err, CK_FAILED,
				"cannot %s: other processes replaced the entry %d times while "
				"it was read; try again", what, SS_GET_TRIES);
	return r;
}

/* Filter: note when the bus tells us SS_LOCK_NAME became ours. */
static int on_lock_message(sd_bus_message *m, void *data, sd_bus_error *unused)
{
	struct ss *ss = data;
	const char *sender = sd_bus_message_get_sender(m), *name;

	(void)unused;
	if (!sd_bus_message_is_signal(m, BUS_DEST, "NameAcquired") || !sender ||
	    strcmp(sender, BUS_DEST))
		return 0;
	if (sd_bus_message_read(m, "s", &name) > 0 && !strcmp(name, SS_LOCK_NAME))
		ss->locked = 1;
	sd_bus_message_rewind(m, 1);
	return 0;
}

/*
 * Take the lock of store and erase, held until close.  Returns 0, or -1
 * with err.
 *
 * Why a lock: the Secret Service has no transactions, and a store is two
 * steps, create the new item then delete the server's others.  Two stores
 * at once each delete the other's new item and the login is lost; a
 * re-check after deleting cannot tell which store is the last one either,
 * as each sees the other's item and would delete it again.  So stores and
 * erases take turns, and get and list, which only read, do not wait.
 *
 * Why this lock: a well-known name on the session bus, queued for
 * (RequestName without DO_NOT_QUEUE).  The bus hands it to the next in line
 * when its owner hangs up or dies, so it is never stale; it is per bus,
 * that is per keyring, whatever the environment and file systems of the
 * processes (a lock file would depend on both); and waiting for it is a
 * bus wait like any other, within the run's deadline.  A holder that
 * stops (SIGSTOP) keeps it: the others give up at their deadline.
 */
static int take_lock(struct ss *ss, const char *what, struct ck_error *err)
{
	sd_bus_message *m = NULL, *reply = NULL;
	uint32_t answer;
	int r;

	if (ss->locked)
		return 0;
	if (!ss->lock_filter) {
		r = sd_bus_add_filter(ss->bus, &ss->lock_filter, on_lock_message, ss);
		if (r < 0)
			return ck_error(err, CK_FAILED, "cannot %s: %s", what, strerror(-r));
	}
	r = sd_bus_message_new_method_call(ss->bus, &m, BUS_DEST, BUS_PATH, BUS_DEST,
					   "RequestName");
	if (r >= 0)
		r = sd_bus_message_append(m, "su", SS_LOCK_NAME, 0);
	if (r < 0)
		return build_error(m, r, err);
	if (ss_call(ss, m, &reply, what, err))
		return -1;
	if (sd_bus_message_read(reply, "u", &answer) < 0)
		return parse_error(reply, what, err);
	sd_bus_message_unref(reply);
	if (answer == 1 || answer == 4)	/* the owner now, or already */
		ss->locked = 1;
	else if (answer != 2)	/* not even in the queue */
		return ck_error(err, CK_FAILED,
				"cannot %s: the session bus refused us the name %s (answer %u)",
				what, SS_LOCK_NAME, answer);
	if (bus_wait(ss, &ss->locked, what, "", err) == 0)
		return 0;
	if (ck_now_usec() >= ss->deadline)
		ck_error(err, CK_UNAVAILABLE,
			 "cannot %s: another docker-credential-secretservice has been storing "
			 "or erasing for %.1f s (it holds %s on the session bus; is it "
			 "stopped?); set %s to wait longer",
			 what, (ss->deadline - ss->opened) / 1e6, SS_LOCK_NAME, SS_TIMEOUT_VAR);
	return -1;
}

/* Delete every item of server except keep (NULL: all).  Returns 0 or -1. */
static int delete_all(struct ss *ss, const char *server, const char *keep,
		      struct ck_error *err)
{
	char **unlocked = NULL, **locked = NULL, **p;
	char what[600];
	int ret = -1;

	if (snprintf(what, sizeof(what), "erase the credentials for %s", server) < 0)
		what[0] = '\0';
	if (search(ss, server, &unlocked, &locked, err))
		return -1;
	if (strv_len(locked) && unlock(ss, locked, what, err))
		goto out;
	for (p = unlocked; p && *p; p++)
		if ((!keep || strcmp(*p, keep)) && delete_item(ss, *p, server, err))
			goto out;
	for (p = locked; p && *p; p++)
		if ((!keep || strcmp(*p, keep)) && delete_item(ss, *p, server, err))
			goto out;
	ret = 0;
out:
	strv_free(unlocked);
	strv_free(locked);
	return ret;
}

static int ss_erase(void *self, const char *server, struct ck_error *err)
{
	struct ss *ss = self;

	if (!is_utf8(server))	/* no item can have it */
		return 0;
	if (take_lock(ss, "erase the credentials", err))
		return -1;
	return delete_all(ss, server, NULL, err);
}

/*
 * One ReadAlias of "default": 0 with *path (new) set, 1 when the service
 * answered "/", or -1 with err.
 */
static int read_alias(struct ss *ss, char **path, struct ck_error *err)
{
	const char *what = "find the default keyring", *got;
	sd_bus_message *m = ss_method(ss, SS_PATH, SS_SERVICE, "ReadAlias");
	sd_bus_message *reply = NULL;
	int r = m ? sd_bus_message_append(m, "s", "default") : -ENOMEM;

	if (r < 0)
		return build_error(m, r, err);
	if (ss_call(ss, m, &reply, what, err))
		return -1;
	if (sd_bus_message_read(reply, "o", &got) < 0)
		return parse_error(reply, what, err);
	r = 1;
	if (strcmp(got, "/"))
		r = (*path = strdup(got)) ? 0 : ck_error(err, CK_FAILED, "out of memory");
	sd_bus_message_unref(reply);
	return r;
}

/*
 * The object path of the default collection (new), or NULL with err.
 *
 * Seen under load (1 store in 1500, 64 at once), gnome-keyring 42 answers
 * ReadAlias with "/", no such collection, though the default one exists:
 * presumably for a caller it has no record of yet, as with SearchItems
 * (see search()).  So "/" is asked again, up to SS_GET_TRIES times, after
 * the pauses search() makes, before it means that there is none.
 */
static char *default_collection(struct ss *ss, struct ck_error *err)
{
	uint64_t pause = SS_RETRY_USEC;
	char *path = NULL;
	int tries, r = 1;

	for (tries = 0; r == 1 && tries < SS_GET_TRIES; tries++) {
		if (tries) {
			nap(ss, pause);
			pause *= 2;
		}
		r = read_alias(ss, &path, err);
	}
	if (r == 1)
		ck_error(err, CK_FAILED,
			 "the Secret Service has no default keyring: create one (for "
			 "example with seahorse) or set one as default, or %s", HEADLESS_HINT);
	return r ? NULL : path;
}

/* Wipe the secret of a CreateItem call we built, once it was sent. */
static void wipe_plain_value(sd_bus_message *m)
{
	const void *value;
	size_t len;

	if (sd_bus_message_rewind(m, 1) >= 0 && sd_bus_message_skip(m, "a{sv}") >= 0 &&
	    sd_bus_message_enter_container(m, 'r', "oayays") >= 0 &&
	    sd_bus_message_skip(m, "oay") >= 0 &&
	    sd_bus_message_read_array(m, 'y', &value, &len) >= 0)
		secure_wipe((void *)value, len);
}

/*
 * CreateItem in collection, replacing an item with the same attributes.
 * *item is the new item's path (new).  Returns 0, or -1 with err.
 */
static int create_item(struct ss *ss, const char *collection, const struct cred *c,
		       char **item, struct ck_error *err)
{
	unsigned char iv[SSCRYPT_IV_LEN], *ct = NULL;
	const unsigned char *value = (const unsigned char *)c->secret.buf;
	size_t vlen = c->secret.len;
	sd_bus_message *m = ss_method(ss, collection, SS_COLLECTION, "CreateItem");
	sd_bus_message *reply = NULL;
	const char *path, *prompt;
	int r;

	if (!m)
		return build_error(m, -ENOMEM, err);
	if (ss->crypt.ready) {
		if (sscrypt_encrypt(&ss->crypt, c->secret.buf, c->secret.len, iv,
				    &ct, &vlen, err)) {
			sd_bus_message_unref(m);
			return -1;
		}
		value = ct;
	}
	r = sd_bus_message_append(m, "a{sv}", 2,
				  "org.freedesktop.Secret.Item.Label", "s", c->server,
				  "org.freedesktop.Secret.Item.Attributes", "a{ss}", 5,
				  "xdg:schema", SCHEMA, "label", CREDS_LABEL,
				  "server", c->server, "username", c->username,
				  "docker_cli", "1");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'r', "oayays");
	if (r >= 0)
		r = sd_bus_message_append(m, "o", ss->session);
	if (r >= 0)
		r = sd_bus_message_append_array(m, 'y', iv, ss->crypt.ready ? sizeof(iv) : 0);
	if (r >= 0)
		r = sd_bus_message_append_array(m, 'y', value, vlen);
	if (r >= 0)
		r = sd_bus_message_append(m, "s", "text/plain");
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_append(m, "b", 1);
	free(ct);
	if (r < 0)
		return build_error(m, r, err);
	r = ss_call(ss, sd_bus_message_ref(m), &reply, "store the credentials", err);
	if (!ss->crypt.ready)
		wipe_plain_value(m);
	sd_bus_message_unref(m);
	if (r)
		return -1;
	if (sd_bus_message_read(reply, "oo", &path, &prompt) < 0)
		return parse_error(reply, "store the credentials", err);
	if (!strcmp(path, "/")) {
		/* The service wants a prompt first (seen with some stores). */
		sd_bus_message_unref(reply);
		return ck_error(err, CK_LOCKED,
				"cannot store the credentials: the Secret Service asks for "
				"confirmation; unlock the default keyring first");
	}
	*item = strdup(path);
	sd_bus_message_unref(reply);
	return *item ? 0 : ck_error(err, CK_FAILED, "out of memory");
}

static int ss_store(void *self, const struct cred *c, struct ck_error *err)
{
	struct ss *ss = self;
	char *collection = NULL, *item = NULL;
	char *paths[2] = { NULL, NULL };
	int ret = -1;

	if (!is_utf8(c->server) || !is_utf8(c->username))
		return ck_error(err, CK_BAD_INPUT,
				"cannot store the credentials: the Secret Service keeps only "
				"UTF-8 text, and the server URL or the username is not");
	/* OpenSession after a first answer from the service: see get_once(). */
	if (take_lock(ss, "store the credentials", err))
		return -1;
	collection = default_collection(ss, err);
	if (!collection || session_open(ss, err)) {
		free(collection);
		return -1;
	}
	if (create_item(ss, collection, c, &item, err)) {
		if (err->kind != CK_LOCKED)
			goto out;
		paths[0] = collection;
		if (unlock(ss, paths, "store the credentials", err))
			goto out;
		ck_error_clear(err);
		if (create_item(ss, collection, c, &item, err))
			goto out;
	}
	/* One item per server: drop those the new one did not replace. */
	ret = delete_all(ss, c->server, item, err);
out:
	free(item);
	free(collection);
	return ret;
}

/* One search of list, and the reads of the items it found first. */
struct list_round {
	char **paths;		/* the search's unlocked items, owned */
	char **fresh;		/* those no earlier round asked for, borrowed */
	struct item_batch batch;	/* the reads of fresh */
};

/* Whether a round before rounds[k] asked for path. */
static int asked(const struct list_round *rounds, size_t k, const char *path)
{
	size_t i, j;

	for (i = 0; i < k; i++)
		for (j = 0; rounds[i].fresh && rounds[i].fresh[j]; j++)
			if (!strcmp(rounds[i].fresh[j], path))
				return 1;
	return 0;
}

/*
 * Search every item of our schema and read it into rounds (SS_GET_TRIES
 * of them, released by the caller whatever the outcome; *nr says how many
 * were used).  When an item vanished as it was read, another store may
 * have replaced it with a new item that the search came too early to
 * see: so search again and read the items that appeared since, until a
 * round loses nothing or finds nothing new.  Without this, list missed an
 * entry that existed all along.  Returns 0, or -1 with err (also when
 * every round lost an item).
 */
static int list_items(struct ss *ss, struct list_round *rounds, size_t *nr,
		      struct ck_error *err)
{
	size_t k, i, n;
	int left;

	for (k = 0; k < SS_GET_TRIES; k++) {
		struct list_round *rd = &rounds[k];
		char **locked = NULL;

		*nr = k + 1;
		if (search(ss, NULL, &rd->paths, &locked, err))
			return -1;
		if (!k && strv_len(locked))
			fprintf(stderr, "docker-credential-secretservice: %zu entries in a "
				"locked keyring are not listed; unlock it to see them\n",
				strv_len(locked));
		strv_free(locked);
		rd->fresh = calloc(strv_len(rd->paths) + 1, sizeof(*rd->fresh));
		if (!rd->fresh)
			return ck_error(err, CK_FAILED, "out of memory");
		for (i = n = 0; rd->paths && rd->paths[i]; i++)
			if (!asked(rounds, k, rd->paths[i]))
				rd->fresh[n++] = rd->paths[i];
		if (!n)
			return 0;	/* what vanished was erased */
		if (batch_send(ss, rd->fresh, &rd->batch, err))
			return -1;
		left = batch_collect(ss, &rd->batch, err);
		if (left < 0)
			return -1;
		if ((size_t)left == n)
			return 0;
	}
	return ck_error(err, CK_FAILED, "cannot list the credentials: other processes "
			"replaced entries while they were read, %d times; try again",
			SS_GET_TRIES);
}

/*
 * Call each once per server among the unlocked items, with the username of
 * its newest item.  Items without a server are skipped.
 */
static int ss_list(void *self, backend_each_fn each, void *data, struct ck_error *err)
{
	struct ss *ss = self;
	struct list_round rounds[SS_GET_TRIES];
	struct ss_item **it = NULL;
	size_t nr = 0, n = 0, i, j;
	int ret = -1;

	memset(rounds, 0, sizeof(rounds));
	if (list_items(ss, rounds, &nr, err))
		goto out;
	for (i = 0; i < nr; i++)
		n += rounds[i].batch.n;
	it = calloc(n + 1, sizeof(*it));
	if (!it) {
		ck_error(err, CK_FAILED, "out of memory");
		goto out;
	}
	for (i = n = 0; i < nr; i++)
		for (j = 0; j < rounds[i].batch.n; j++)
			if (!rounds[i].batch.items[j].gone)
				it[n++] = &rounds[i].batch.items[j];
	for (i = 0; i < n; i++) {
		int shadowed = !it[i]->server || !*it[i]->server;

		/* Several items for one server: only the newest speaks for it. */
		for (j = 0; j < n && !shadowed; j++)
			if (j != i && it[j]->server && !strcmp(it[j]->server, it[i]->server) &&
			    (it[j]->modified > it[i]->modified ||
			     (j < i && it[j]->modified == it[i]->modified)))
				shadowed = 1;
		if (!shadowed && each(it[i]->server, it[i]->username ? it[i]->username : "",
				      data, err))
			goto out;
	}
	ret = 0;
out:
	free(it);
	for (i = 0; i < nr; i++) {
		batch_release(&rounds[i].batch);
		free(rounds[i].fresh);
		strv_free(rounds[i].paths);
	}
	return ret;
}

const struct backend secretservice_backend = {
	.name = "secretservice",
	.open = ss_open,
	.close = ss_close,
	.store = ss_store,
	.get = ss_get,
	.erase = ss_erase,
	.list = ss_list,
};
