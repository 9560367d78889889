/* SPDX-License-Identifier: MIT */
/*
 * fuzz.c - the helpers fuzz.h declares, linked into every target.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <jansson.h>

#include "fuzz.h"
#include "secret.h"

static char dir[4096];

/* As credkit_main() sets it, for every target: JSON may hold secrets. */
__attribute__((constructor)) static void wiping_json(void)
{
	json_set_alloc_funcs(malloc, secure_free);
}

static void remove_dir(void)
{
	char path[4096 + 256];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
			unlink(path);
	closedir(d);
	rmdir(dir);
}

const char *fuzz_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	if (dir[0])
		return dir;
	n = snprintf(dir, sizeof(dir), "%s/credkit-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof(dir) || !mkdtemp(dir))
		abort();
	atexit(remove_dir);
	return dir;
}

void fuzz_file(const char *name, const void *data, size_t len, char *path, size_t size)
{
	int fd, n = snprintf(path, size, "%s/%s", fuzz_dir(), name);

	if (n < 0 || (size_t)n >= size)
		abort();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len) || close(fd))
		abort();
}

char *fuzz_string(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		abort();
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

void fuzz_aws_files(char *cred, char *conf, size_t size)
{
	static const char *const unset[] = {
		"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME",
	};
	size_t i;

	for (i = 0; i < sizeof(unset) / sizeof(unset[0]); i++)
		unsetenv(unset[i]);
	fuzz_file("credentials", "", 0, cred, size);
	fuzz_file("config", "", 0, conf, size);
	if (setenv("HOME", fuzz_dir(), 1) || setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1) ||
	    setenv("AWS_CONFIG_FILE", conf, 1))
		abort();
}
