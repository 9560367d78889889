/* SPDX-License-Identifier: MIT */
/*
 * store.h - which store the suite uses, and why.
 *
 * The token helpers need somewhere safe to cache what they mint, and
 * `doctor` on any helper explains the choice.  The store for passwords is
 * CREDKIT_STORE, else the settings file's "store", else automatic: the
 * Secret Service if one answers on the session bus within a short bound,
 * else the kernel keyring if this process may use it, else none (tokens
 * then live only as long as the process).  A plaintext file is never
 * chosen.
 *
 * Short-lived tokens go to the kernel keyring whenever it is usable,
 * whatever the store for passwords is: it is memory only, per user, expires
 * keys by itself and costs about a millisecond.  Only where keyctl is
 * blocked (a seccomp profile) do they fall back to the store for passwords.
 *
 * Probing runs no library of the probed store: the kernel keyring is asked
 * with one system call, and the Secret Service through the
 * docker-credential-secretservice program, so a helper links only what it
 * uses (start-up time is mostly library loading).
 */
#ifndef CREDKIT_STORE_H
#define CREDKIT_STORE_H

#include <stdio.h>

#include "error.h"

enum store_kind {
	STORE_NONE,
	STORE_SECRETSERVICE,
	STORE_KEYCTL,
	STORE_PASS,
};

struct store_choice {
	enum store_kind kind;
	char why[512];		/* one sentence: which setting, or what answered */
};

/* "secretservice", "keyctl", "pass" or "none". */
const char *store_name(enum store_kind kind);

/* Parse a store name; returns 0, or -1 with err naming the valid ones. */
int store_parse(const char *name, enum store_kind *kind, const char *source,
		struct ck_error *err);

/* The store for passwords.  Returns 0, or -1 with err (a bad setting). */
int store_choose(struct store_choice *c, struct ck_error *err);

/* The store for short-lived tokens.  Returns 0, or -1 with err. */
int store_choose_tokens(struct store_choice *c, struct ck_error *err);

/*
 * Whether the kernel keyring may be used by this process: 1 yes, 0 no with
 * the reason in why (size bytes).
 */
int store_keyctl_usable(char *why, size_t size);

/*
 * Whether a Secret Service answers on the session bus, within a short
 * bound: 1 yes, 0 no with the reason in why.
 */
int store_secretservice_answers(char *why, size_t size);

/*
 * The path of helper docker-credential-NAME: beside this program (or in
 * the bin/ of its prefix, for a program under libexec/credkit/) when it is
 * there, else the bare name, for a PATH search.
 */
void store_helper_path(const char *name, char *path, size_t size);

/*
 * Print what `doctor` shows: the settings, each store's state and the
 * choices, never a secret.  helper names the helper it runs in.  Returns
 * 0 when the stores the helper relies on are usable, else -1 with err.
 */
int store_doctor(FILE *f, const char *helper, struct ck_error *err);

#endif
