/* SPDX-License-Identifier: MIT */
/*
 * test_secret.c - the wiping free really wipes (secret.c).
 *
 * Usage: test_secret [FILE...]	(FILEs are ignored: there are no data files)
 *
 * The bytes of a block are looked at by free() itself, the moment before
 * the block goes back: this test is linked with -Wl,--wrap=free (see the
 * Makefile), so that every call of free() in libcredkit.a comes to
 * __wrap_free() below, which reads the block while it is still allocated
 * (no use after free, which ASan would rightly stop) and then hands it to
 * the real free().  Neither the compiler nor the linker can drop the wipe
 * for us: secret.c is compiled on its own, seeing only a call of free()
 * after its explicit_bzero(), which is what an optimiser removes a plain
 * memset() before (a dead store); a memset() there makes this test fail.
 * The wrap reaches libcredkit.a alone: libc, jansson and the sanitizer
 * runtime keep their own free().
 */
#include <jansson.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "secret.h"

void __real_free(void *p);
void __wrap_free(void *p);

/* The block whose release is checked (NULL: none), and what was seen. */
static void *watched;
static size_t watched_len;
static int watched_seen, watched_wiped;

/* A marker looked for in every block freed while marker is set. */
static const char *marker;
static int freed, freed_marked;

void __wrap_free(void *p)
{
	const unsigned char *b = p;
	size_t i, n;

	if (p && p == watched) {
		watched_seen = 1;
		watched_wiped = 1;
		for (i = 0; i < watched_len; i++)
			if (b[i])
				watched_wiped = 0;
		watched = NULL;
	}
	if (p && marker) {
		n = malloc_usable_size(p);
		freed++;
		if (memmem(p, n, marker, strlen(marker)))
			freed_marked++;
	}
	__real_free(p);
}

/* Watch p's release: all of its len bytes must be 0 when it is freed. */
static void watch(void *p, size_t len)
{
	watched = p;
	watched_len = len;
	watched_seen = watched_wiped = 0;
}

/*
 * secure_free() wipes what malloc_usable_size() says the block has.  The
 * block asked for is that size already (a block of 100 bytes has 104 in
 * glibc), so that all of it is ours to fill without writing past what we
 * asked for, which _FORTIFY_SOURCE rightly stops.
 */
static void wiping_free(void)
{
	size_t want;
	char *p = malloc(100);

	if (!p)
		return;
	want = malloc_usable_size(p);
	free(p);
	if (!(p = malloc(want)))
		return;
	memset(p, 'S', want);
	watch(p, malloc_usable_size(p));
	secure_free(p);
	CHECK(watched_seen && watched_wiped,
	      "secure_free() wipes all %zu usable bytes of a block before free()", want);
	secure_free(NULL);
	CHECK(1, "secure_free(NULL) does nothing");
}

static void released_secret(void)
{
	struct secret s = SECRET_INIT;
	char *buf;

	if (secret_set(&s, "credkitWipeMarker0001", 21))
		return;
	buf = s.buf;
	watch(buf, s.len);
	secret_release(&s);
	CHECK(watched_seen && watched_wiped && !s.buf && !s.len,
	      "secret_release() wipes the secret before free(), and empties it");

	if (secret_set(&s, "credkitWipeMarker0002", 21))
		return;
	buf = s.buf;
	watch(buf, s.len);
	CHECK(secret_set(&s, "short", 5) == 0 && watched_seen && watched_wiped,
	      "secret_set() over a secret wipes the old one before free()");
	secret_release(&s);
}

/* What jansson frees, once secure_free() is its free, is wiped. */
static void json_values(void)
{
	json_t *doc;
	char *text;

	json_set_alloc_funcs(malloc, secure_free);
	doc = json_loads("{\"ServerURL\":\"r.example\",\"Username\":\"u\","
			 "\"Secret\":\"credkitWipeMarker0003\"}", 0, NULL);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	CHECK(doc && text && strstr(text, "credkitWipeMarker0003"),
	      "a JSON document holding a secret, parsed and dumped");
	marker = "credkitWipeMarker0003";
	freed = freed_marked = 0;
	json_decref(doc);
	secure_free(text);
	marker = NULL;
	CHECK(freed >= 2 && freed_marked == 0,
	      "every block jansson freed (%d, through secure_free) was wiped first (%d held "
	      "the secret)", freed, freed_marked);
	json_set_alloc_funcs(malloc, free);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	wiping_free();
	released_secret();
	json_values();
	return check_done();
}
