/* SPDX-License-Identifier: MIT */
/*
 * test_registry.c - unit tests of the registry host normaliser.
 *
 * Usage: test_registry FILE...
 *
 * Each FILE holds one case a line, fields separated by one tab; '#' starts
 * a comment line and blank lines are skipped:
 *
 *	INPUT	KEY		registry_key(INPUT) is KEY; "!" means refused
 *	A	B	same	registry_same(A, B) is 1 (and "different": 0)
 *
 * In a field, "\\" is a backslash, "\t" a tab and "\xHH" the byte HH, so
 * that control characters can be written.  Every case prints one TAP line
 * through check.h; a few checks of the API's contract follow the files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "check.h"
#include "registry.h"

#define FIELDS_MAX 3

/*
 * Decode the escapes of field in place.  Returns 0, or -1 for a bad escape
 * or an escaped NUL (which a C string cannot carry).
 */
static int unescape(char *field)
{
	char *in = field, *out = field;

	while (*in) {
		if (*in != '\\') {
			*out++ = *in++;
		} else if (in[1] == '\\') {
			*out++ = '\\';
			in += 2;
		} else if (in[1] == 't') {
			*out++ = '\t';
			in += 2;
		} else if (in[1] == 'x' && case_hex(in[2]) >= 0 && case_hex(in[3]) >= 0 &&
			   case_hex(in[2]) * 16 + case_hex(in[3])) {
			*out++ = (char)(case_hex(in[2]) * 16 + case_hex(in[3]));
			in += 4;
		} else {
			return -1;
		}
	}
	*out = '\0';
	return 0;
}

/* One line of keys.txt: the key of input is want, or it is refused. */
static void check_key(const char *where, const char *input, const char *want)
{
	struct ck_error err = CK_ERROR_INIT;
	char key[REGISTRY_KEY_MAX];
	int ret = registry_key(input, key, sizeof(key), &err);

	if (strcmp(want, "!")) {
		CHECK(!ret, "%s: \"%s\" is accepted%s%s", where, want,
		      ret ? ": " : "", ret ? err.msg : "");
		CHECK_STR(key, want, "%s: key is \"%s\"", where, want);
		return;
	}
	CHECK(ret == -1 && err.kind == CK_BAD_INPUT && !key[0] &&
	      !strncmp(err.msg, "not a registry address: \"", 25),
	      "%s: refused: %s", where, err.msg);
}

/* One line of same.txt: a and b name the same registry, or do not. */
static void check_same(const char *where, const char *a, const char *b,
		       const char *want)
{
	int same = !strcmp(want, "same");

	if (!same && strcmp(want, "different")) {
		CHECK(0, "%s: third field is \"same\" or \"different\"", where);
		return;
	}
	CHECK(registry_same(a, b) == same, "%s: %s", where, want);
	CHECK(registry_same(b, a) == same, "%s: %s, both ways", where, want);
}

static void check_line(const char *where, char *line)
{
	char *field[FIELDS_MAX];
	int i, n = case_split(line, field, FIELDS_MAX);

	for (i = 0; i < n && i < FIELDS_MAX; i++) {
		if (unescape(field[i])) {
			CHECK(0, "%s: field %d has a bad escape", where, i + 1);
			return;
		}
	}
	if (n == 2)
		check_key(where, field[0], field[1]);
	else if (n == 3)
		check_same(where, field[0], field[1], field[2]);
	else
		CHECK(0, "%s: a case has 2 or 3 tab-separated fields", where);
}

/* What the header promises beyond the data files. */
static void check_contract(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct registry_ref ref;
	char key[10];

	CHECK(!registry_parse("HTTP://[0:0::1]:05000/V2/", &ref, &err) &&
	      !strcmp(ref.host, "[::1]") && ref.port == 5000 &&
	      !strcmp(ref.path, "/V2") && !strcmp(ref.key, "[::1]:5000/V2"),
	      "registry_parse fills host, port, path and key");
	CHECK(!registry_parse("https://INDEX.docker.io/v1/", &ref, &err) &&
	      !strcmp(ref.host, "index.docker.io") && !ref.port &&
	      !ref.path[0] && !strcmp(ref.key, "docker.io"),
	      "registry_parse keeps the host as written, keys it docker.io");
	CHECK(registry_parse("ftp://host", &ref, &err) == -1 && !ref.key[0] &&
	      !ref.host[0], "registry_parse clears ref on failure");
	CHECK(registry_key("registry.example.com", key, sizeof(key), &err) ==
	      -1 && err.kind == CK_FAILED && !key[0],
	      "registry_key refuses a buffer that is too small: %s", err.msg);
	CHECK(!registry_key("docker.io", key, sizeof(key), &err) &&
	      !strcmp(key, "docker.io"), "registry_key fills a buffer just big enough");
	CHECK(registry_key("user:hunter2@host", key, sizeof(key), &err) == -1 &&
	      !strstr(err.msg, "hunter2") && strstr(err.msg, "user information"),
	      "user information is not shown: %s", err.msg);
	CHECK(registry_key("ho\x01st", key, sizeof(key), NULL) == -1,
	      "a NULL error struct is accepted");
	CHECK(registry_key("h\x1b[31mst", key, sizeof(key), &err) == -1 &&
	      !strchr(err.msg, '\x1b'), "control bytes are not echoed: %s",
	      err.msg);
	CHECK(!registry_same("", ""), "two empty strings are not the same registry");
}

int main(int argc, char **argv)
{
	return cases_main(argc, argv, check_line, NULL, check_contract);
}
