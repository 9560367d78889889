/* SPDX-License-Identifier: MIT */
/*
 * secret.c - secret buffers that are wiped before they are freed, and a
 * process that does not dump core.  See include/secret.h.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "secret.h"

void secure_init(void)
{
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
#if !defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer needs ptrace on itself; sanitizer builds keep it. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

void secure_wipe(void *p, size_t len)
{
	if (p)
		explicit_bzero(p, len);
}

void secure_free(void *p)
{
	if (!p)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

int secret_alloc(struct secret *s, size_t len)
{
	secret_release(s);
	s->buf = malloc(len + 1);
	if (!s->buf)
		return -1;
	s->buf[len] = '\0';
	s->len = len;
	return 0;
}

int secret_set(struct secret *s, const char *data, size_t len)
{
	if (secret_alloc(s, len))
		return -1;
	memcpy(s->buf, data, len);
	return 0;
}

void secret_release(struct secret *s)
{
	if (s->buf) {
		explicit_bzero(s->buf, s->len);
		free(s->buf);
	}
	s->buf = NULL;
	s->len = 0;
}
