/* SPDX-License-Identifier: MIT */
/*
 * test_awsnet.c - unit tests of the AWS chain's network sources that need
 * no network: where the container credentials endpoint may be.
 *
 * Usage: test_awsnet FILE...
 *
 * Each FILE (tests/data/awsnet/container.txt) holds one case a line, its
 * fields separated by tabs: RELATIVE_URI, FULL_URI, CREDKIT_AWS_CONTAINER_HOST
 * ("-" for unset), then what aws_container_url() must give: the URL it is
 * to fetch, or "refused: TEXT" with TEXT in its error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awsnet.h"
#include "cases.h"
#include "check.h"

#define REFUSED "refused: "

static const char *unset(const char *field)
{
	return strcmp(field, "-") ? field : NULL;
}

static void container_case(const char *where, char *line)
{
	struct ck_error err = CK_ERROR_INIT;
	char *f[4], url[4096] = "";
	int n = case_split(line, f, 4), r;

	if (n != 4) {
		CHECK(0, "%s: 4 fields, not %d", where, n);
		return;
	}
	r = aws_container_url(unset(f[0]), unset(f[1]), unset(f[2]), url, sizeof(url), &err);
	if (!strncmp(f[3], REFUSED, strlen(REFUSED))) {
		CHECK(r == -1 && err.kind == CK_BAD_INPUT && strstr(err.msg, f[3] + strlen(REFUSED)),
		      "%s: %s%s refused (%s)", where, f[0], f[1], r ? err.msg : url);
		CHECK(!r || !strstr(err.msg, "secret"), "%s: no password in the message", where);
	} else {
		CHECK(r == 0, "%s: %s%s taken (%s)", where, f[0], f[1], r ? err.msg : "");
		CHECK_STR(url, f[3], "%s: fetched as %s", where, f[3]);
	}
}

/* aws_endpoint_parse() refuses a URL whose path would not fit whole. */
static void endpoint_cases(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct aws_endpoint e;
	char url[1600];

	CHECK(!aws_endpoint_parse("https://sts.example.com:8443/a/b", &e, &err) &&
	      !strcmp(e.host, "sts.example.com:8443") && !strcmp(e.path, "/a/b"),
	      "endpoint: host and path (%s)", err.msg);
	snprintf(url, sizeof(url), "https://sts.example.com/%01500d", 0);
	CHECK(aws_endpoint_parse(url, &e, &err) && err.kind == CK_BAD_INPUT &&
	      strstr(err.msg, "too long"), "endpoint: a path too long is refused, not cut (%s)",
	      err.msg);
}

int main(int argc, char **argv)
{
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		printf("not ok - usage: test_awsnet FILE...\n");
		return 1;
	}
	endpoint_cases();
	for (i = 1; i < argc; i++)
		if (cases_run(argv[i], container_case))
			CHECK(0, "%s can be read", argv[i]);
	return check_done();
}
