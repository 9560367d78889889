/* SPDX-License-Identifier: MIT */
/*
 * secret.h - memory that holds a secret.
 *
 * A secret is allocated by one function and released by one function, and
 * the release wipes it first.  secure_init() is called once at start-up so
 * that no core dump (and no ptrace by another process) can read secrets out
 * of a running helper.
 */
#ifndef CREDKIT_SECRET_H
#define CREDKIT_SECRET_H

#include <stddef.h>

struct secret {
	char *buf;	/* NUL-terminated, owned, wiped on release */
	size_t len;	/* bytes before the NUL */
};

#define SECRET_INIT { NULL, 0 }

/* Make this process undumpable and give it no core file size. */
void secure_init(void);

/*
 * Copy len bytes of data into s (released first), NUL-terminated.
 * Returns 0, or -1 when memory runs out (s is then empty).
 */
int secret_set(struct secret *s, const char *data, size_t len);

/*
 * Give s (released first) a buffer of len bytes plus a NUL, to be filled
 * by the caller; s->len is len.  Returns 0, or -1 when memory runs out.
 */
int secret_alloc(struct secret *s, size_t len);

/* Wipe and free s's buffer; s is then empty and may be reused. */
void secret_release(struct secret *s);

/* Wipe and free a malloc'ed block of any size; NULL is accepted. */
void secure_free(void *p);

/* Wipe a buffer; the compiler may not drop it. */
void secure_wipe(void *p, size_t len);

#endif
