/* SPDX-License-Identifier: MIT */
/*
 * error.c - filling struct ck_error.  See include/error.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

const char *ck_error_protocol_text(enum ck_kind kind)
{
	switch (kind) {
	case CK_NOT_FOUND:
		return "credentials not found in native keychain";
	case CK_NO_SERVER:
		return "no credentials server URL";
	case CK_NO_USERNAME:
		return "no credentials username";
	default:
		return NULL;
	}
}

int ck_error(struct ck_error *err, enum ck_kind kind, const char *fmt, ...)
{
	const char *fixed = ck_error_protocol_text(kind);
	va_list ap;
	int n;

	if (!err)
		return -1;
	err->kind = kind;
	if (fixed) {
		n = snprintf(err->msg, sizeof(err->msg), "%s", fixed);
	} else {
		va_start(ap, fmt);
		n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	if (n < 0)
		err->msg[0] = '\0';
	/* A truncated message is still the best we have: keep it. */
	return -1;
}

void ck_error_clear(struct ck_error *err)
{
	err->kind = CK_OK;
	err->msg[0] = '\0';
}

void ck_printable(char *dst, size_t size, const char *src, size_t len)
{
	size_t i;

	if (!size)
		return;
	for (i = 0; src && i < len && src[i] && i + 1 < size; i++)
		dst[i] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ? ' ' : src[i];
	dst[i] = '\0';
}
