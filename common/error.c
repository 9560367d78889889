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

int ck_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	unsigned cp, n, i;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p < 0xc2 || *p > 0xf4)
			return 0;
		n = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : 1;
		if ((size_t)(end - p) <= n)
			return 0;
		cp = *p++ & (0x3f >> n);
		for (i = 0; i < n; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (*p & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}
