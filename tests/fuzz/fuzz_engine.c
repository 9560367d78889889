/* SPDX-License-Identifier: MIT */
/*
 * fuzz_engine.c - libFuzzer target: the protocol's stdin, as credkit_main()
 * reads it for store, get and erase.
 *
 * The first byte of an input picks the verb (store, get, erase, in turn by
 * its value modulo 3), the rest is stdin.  The engine runs as helper
 * "memory" over a backend that keeps one entry, so that get and erase also
 * reach the alias lookup.  stdout goes to /dev/null.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine.h"
#include "fuzz.h"

static struct cred kept = CRED_INIT;
static int handle;
static int in_fd = -1;

static void *one_open(struct ck_error *err)
{
	(void)err;
	return &handle;
}

static void one_close(void *self)
{
	(void)self;
}

static int one_store(void *self, const struct cred *c, struct ck_error *err)
{
	(void)self;
	cred_release(&kept);
	kept.server = strdup(c->server);
	kept.username = strdup(c->username);
	if (!kept.server || !kept.username ||
	    secret_set(&kept.secret, c->secret.buf, c->secret.len)) {
		cred_release(&kept);
		return ck_error(err, CK_FAILED, "out of memory");
	}
	return 0;
}

static int one_get(void *self, const char *server, struct cred *out, struct ck_error *err)
{
	(void)self;
	if (!kept.server || strcmp(kept.server, server))
		return ck_error(err, CK_NOT_FOUND, "credentials not found in native keychain");
	out->username = strdup(kept.username);
	if (!out->username || secret_set(&out->secret, kept.secret.buf, kept.secret.len))
		return ck_error(err, CK_FAILED, "out of memory");
	return 0;
}

static int one_erase(void *self, const char *server, struct ck_error *err)
{
	(void)self;
	(void)err;
	if (kept.server && !strcmp(kept.server, server))
		cred_release(&kept);
	return 0;
}

static int one_list(void *self, backend_each_fn each, void *data, struct ck_error *err)
{
	(void)self;
	if (kept.server)
		return each(kept.server, kept.username, data, err);
	return 0;
}

static const struct backend one_backend = {
	"memory", one_open, one_close, one_store, one_get, one_erase, one_list,
};

static const struct helper helper = {
	"memory", "Credentials kept in memory, for fuzzing.", &one_backend,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int null = open("/dev/null", O_WRONLY);

	(void)argc;
	(void)argv;
	if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
		abort();
	close(null);
	in_fd = memfd_create("fuzz-stdin", 0);
	if (in_fd < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const verbs[] = { "store", "get", "erase" };
	char *argv[] = { "docker-credential-memory", NULL, NULL };

	if (size < 1)
		return 0;
	argv[1] = verbs[data[0] % 3];
	if (ftruncate(in_fd, 0) ||
	    (size > 1 && pwrite(in_fd, data + 1, size - 1, 0) != (ssize_t)(size - 1)) ||
	    lseek(in_fd, 0, SEEK_SET) || dup2(in_fd, STDIN_FILENO) < 0)
		abort();
	credkit_main(&helper, 2, argv);
	return 0;
}
