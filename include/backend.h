/* SPDX-License-Identifier: MIT */
/*
 * backend.h - what a credential store gives the protocol engine.
 *
 * A backend is a table of operations on one store (the Secret Service, the
 * kernel keyring, pass, ...).  Its operations see exact server strings only:
 * host matching across spellings (docker.io vs https://index.docker.io/v1/)
 * is the engine's job, built on get, erase and list.
 *
 * Every operation returns 0 on success or -1 with err filled.  get reports
 * a missing entry as kind CK_NOT_FOUND; erase of a missing entry succeeds.
 */
#ifndef CREDKIT_BACKEND_H
#define CREDKIT_BACKEND_H

#include "error.h"
#include "secret.h"

struct cred {
	char *server;		/* owned */
	char *username;		/* owned */
	struct secret secret;	/* owned, wiped on release */
};

#define CRED_INIT { NULL, NULL, SECRET_INIT }

/* Free and wipe everything c owns; c is then empty. */
void cred_release(struct cred *c);

/*
 * Called by list for each entry, with strings borrowed for the call only.
 * Returns 0 to go on, or -1 (after filling err) to stop the listing.
 */
typedef int (*backend_each_fn)(const char *server, const char *username,
			       void *data, struct ck_error *err);

struct backend {
	const char *name;

	/*
	 * Connect to the store.  Returns an opaque handle that every other
	 * operation takes first, or NULL with err filled.  Cheap stores may
	 * return any non-NULL pointer.
	 */
	void *(*open)(struct ck_error *err);
	void (*close)(void *self);

	/* Keep c; an entry for the same exact server is replaced. */
	int (*store)(void *self, const struct cred *c, struct ck_error *err);

	/* Fill out->username and out->secret for the exact server string. */
	int (*get)(void *self, const char *server, struct cred *out,
		   struct ck_error *err);

	/* Remove every entry for the exact server string. */
	int (*erase)(void *self, const char *server, struct ck_error *err);

	/*
	 * Call each(server, username) for every entry that get can answer,
	 * without loading any secret and without unlocking anything.
	 */
	int (*list)(void *self, backend_each_fn each, void *data,
		    struct ck_error *err);
};

#endif
