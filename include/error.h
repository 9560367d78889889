/* SPDX-License-Identifier: MIT */
/*
 * error.h - the one error channel of credkit's library code.
 *
 * Library functions return 0 (or a pointer) on success and -1 (or NULL) on
 * failure, after filling a caller-provided struct ck_error with a kind and
 * a sentence a person can act on.  Only the dispatcher in engine.c prints
 * the sentence and picks the exit status; nothing in common/ calls exit().
 *
 * Error texts never hold a secret: callers pass server names, usernames,
 * paths and library messages, never a password or a token.
 */
#ifndef CREDKIT_ERROR_H
#define CREDKIT_ERROR_H

#include <stddef.h>

enum ck_kind {
	CK_OK = 0,
	CK_NOT_FOUND,		/* "credentials not found in native keychain" */
	CK_NO_SERVER,		/* "no credentials server URL" */
	CK_NO_USERNAME,		/* "no credentials username" */
	CK_BAD_INPUT,		/* malformed, oversized or hostile input */
	CK_UNAVAILABLE,		/* the store cannot be reached (no bus, ...) */
	CK_LOCKED,		/* the store is locked and cannot be unlocked */
	CK_NO_CREDENTIALS,	/* a token helper found no credentials to mint
				 * with: the message says where it looked */
	CK_FAILED,		/* anything else */
};

struct ck_error {
	enum ck_kind kind;
	char msg[512];
};

#define CK_ERROR_INIT { CK_OK, "" }

/*
 * Fill err (which may be NULL) with kind and a printf-style message, and
 * return -1, so that "return ck_error(err, ...);" reads as one line.  The
 * three protocol kinds ignore fmt and use the protocol's exact text.
 */
int ck_error(struct ck_error *err, enum ck_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Forget a previous error: kind CK_OK and an empty message. */
void ck_error_clear(struct ck_error *err);

/* The protocol's exact text for the three protocol kinds, else NULL. */
const char *ck_error_protocol_text(enum ck_kind kind);

/*
 * Copy at most len bytes of src (less at a NUL) into dst of size bytes as
 * text fit for a message: control characters become spaces, so a server's
 * or a file's words cannot forge a line of their own.  src may be NULL.
 */
void ck_printable(char *dst, size_t size, const char *src, size_t len);

/*
 * Whether the len bytes at s are valid UTF-8 as JSON, D-Bus and Go's
 * utf8.Valid define it: shortest forms only, no surrogate, nothing past
 * U+10FFFF.  A NUL byte is valid (callers that refuse it check for it).
 */
int ck_utf8_valid(const char *s, size_t len);

#include "banned.h"

#endif
