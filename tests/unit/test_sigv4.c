/* SPDX-License-Identifier: MIT */
/*
 * test_sigv4.c - unit tests of the SigV4 signer.
 *
 * Usage: test_sigv4 FILE...	(tests/data/sigv4/cases.txt)
 *
 * Each FILE holds one case a line, fields separated by one tab; '#' starts
 * a comment line and blank lines are skipped.  Paths are relative to
 * FILE's folder:
 *
 *	suite	FOLDER		a case of AWS's test suite: FOLDER/NAME.req,
 *				NAME being FOLDER's last part, signed for
 *				us-east-1 and "service" with the suite's keys;
 *				the canonical request, string to sign,
 *				Authorization header and signed request are
 *				NAME.creq, .sts, .authz and .sreq byte for byte
 *	botocore	REGION	SERVICE	FILE
 *				FILE signed by sigv4_sign() and by
 *				botocore-oracle.py (run once for all such
 *				lines, with /usr/bin/python3), the two
 *				Authorization headers equal
 *
 * A request file is a raw HTTP request: a request line, header lines (a
 * line starting with a space or a tab continues the header before), then
 * optionally an empty line and the body.  Its Host and X-Amz-Date headers
 * give the request's host and the signing time, and an X-Amz-Security-Token
 * header the session token, signed; the other headers are passed to the
 * signer as they are written.  When the .sreq has an X-Amz-Security-Token
 * line that the .req lacks (the suite's post-sts-header-after), the token
 * is that line's and is added unsigned (SIGV4_TOKEN_UNSIGNED).
 *
 * The signed request is rebuilt as the .req's header lines, then the
 * signer's header lines that the .req lacks, written as the suite writes
 * them ("Authorization: value", any other "Name:value"), then the body.
 *
 * Contract checks follow the files, then the time of a first sign in the
 * process and of 10000 more is shown as TAP comments (never asserted).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cases.h"
#include "check.h"
#include "aws/sigv4.h"

#define SUITE_KEY_ID "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_REGION "us-east-1"
#define SUITE_SERVICE "service"
#define PYTHON "/usr/bin/python3"
#define ORACLE "botocore-oracle.py"
#define HEADERS_MAX 32
#define ORACLE_CASES_MAX 64
#define FIELDS_MAX 5
#define TIMED_SIGNS 10000

/* A session token for the contract checks. */
#define ECR_TOKEN "IQoJb3JpZ2luX2VjEXAMPLE+token/with=signs"

/* ---- files ---- */

/* The whole file at path, NUL-terminated (its length in *len), or NULL. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *grown;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (cap - n < 4096) {
			cap = cap ? 2 * cap : 8192;
			grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* dir + "/" + rest + ext, malloc'ed (no "/" when dir is empty). */
static char *path_join(const char *dir, const char *rest, const char *ext)
{
	size_t len = strlen(dir) + strlen(rest) + strlen(ext) + 2;
	char *p = malloc(len);

	if (p)
		snprintf(p, len, "%s%s%s%s", dir, *dir ? "/" : "", rest, ext);
	return p;
}

/* ---- raw requests ---- */

struct raw_request {
	char *text;		/* the file, owned */
	size_t head_len;	/* bytes of the request line and headers */
	const char *body;	/* NULL when there is no empty line */
	size_t body_len;
	char *work;		/* a parsed copy of the head, owned */
	const char *method, *path, *query, *host, *date, *token;
	const char *headers[HEADERS_MAX + 1];	/* the others, as written */
	time_t now;
};

static void raw_release(struct raw_request *r)
{
	free(r->text);
	free(r->work);
	memset(r, 0, sizeof(*r));
}

/* The value of header line h: what follows its colon and blanks. */
static const char *value_of(const char *h)
{
	h = strchr(h, ':') + 1;
	return h + strspn(h, " \t");
}

static int is_header(const char *line, const char *name)
{
	size_t n = strlen(name);

	return !strncasecmp(line, name, n) && line[n] == ':';
}

/* Read and parse the request at path into r; returns 0 or -1. */
static int raw_read(struct raw_request *r, const char *path)
{
	char *p, *line, *sp, *next, *q;
	struct tm tm;
	size_t n = 0, len;

	memset(r, 0, sizeof(*r));
	if (!(r->text = slurp(path, &len)))
		return -1;
	p = strstr(r->text, "\n\n");
	r->head_len = p ? (size_t)(p - r->text) : len;
	if (p) {
		r->body = p + 2;
		r->body_len = len - r->head_len - 2;
	}
	if (!(r->work = strndup(r->text, r->head_len)))
		return -1;
	/* Lines end at a '\n' not followed by a blank (a fold). */
	for (p = r->work; (p = strchr(p, '\n')); p++)
		if (p[1] != ' ' && p[1] != '\t')
			*p = '\0';
	line = r->work;
	next = line + strlen(line) + 1;
	sp = strchr(line, ' ');
	q = strrchr(line, ' ');
	if (!sp || sp == q)
		return -1;
	*sp = *q = '\0';
	r->method = line;
	r->path = sp + 1;
	if ((q = strchr(sp + 1, '?'))) {
		*q = '\0';
		r->query = q + 1;
	}
	for (line = next; line < r->work + r->head_len; line = next) {
		next = line + strlen(line) + 1;
		if (!strchr(line, ':'))
			return -1;
		if (is_header(line, "host"))
			r->host = value_of(line);
		else if (is_header(line, "x-amz-date"))
			r->date = value_of(line);
		else if (is_header(line, "x-amz-security-token"))
			r->token = value_of(line);
		else if (n < HEADERS_MAX)
			r->headers[n++] = line;
		else
			return -1;
	}
	memset(&tm, 0, sizeof(tm));
	if (!r->host || !r->date ||
	    (p = strptime(r->date, "%Y%m%dT%H%M%SZ", &tm)) == NULL || *p)
		return -1;
	r->now = timegm(&tm);
	return 0;
}

static struct sigv4_request raw_to_request(const struct raw_request *r)
{
	struct sigv4_request req = {
		.method = r->method, .host = r->host, .path = r->path,
		.query = r->query, .headers = r->headers,
		.body = r->body, .body_len = r->body_len,
	};
	return req;
}

/* The value of the signer's header name, or NULL. */
static const char *signed_header(const struct sigv4_signed *out,
				 const char *name)
{
	size_t i;

	for (i = 0; out->headers[i]; i++)
		if (is_header(out->headers[i], name))
			return value_of(out->headers[i]);
	return NULL;
}

/* The signed request as the suite writes it (see the top); malloc'ed. */
static char *signed_request(const struct raw_request *r,
			    const struct sigv4_signed *out)
{
	size_t cap = r->head_len + r->body_len + 3, len, i, n;
	const char *h, *colon, *p, *v;
	char *s;
	int found;

	for (i = 0; out->headers[i]; i++)
		cap += strlen(out->headers[i]) + 1;
	if (!(s = malloc(cap)))
		return NULL;
	memcpy(s, r->text, r->head_len);
	len = r->head_len;
	for (i = 0; (h = out->headers[i]); i++) {
		colon = strchr(h, ':');
		n = (size_t)(colon - h) + 1;
		found = 0;
		for (p = r->text; p && p < r->text + r->head_len;
		     p = strchr(p, '\n'), p = p ? p + 1 : p)
			found |= !strncasecmp(p, h, n);
		if (found)
			continue;
		s[len++] = '\n';
		memcpy(s + len, h, n);
		len += n;
		if (is_header(h, "authorization"))
			s[len++] = ' ';
		v = value_of(h);
		memcpy(s + len, v, strlen(v));
		len += strlen(v);
	}
	if (r->body) {
		memcpy(s + len, "\n\n", 2);
		memcpy(s + len + 2, r->body, r->body_len);
		len += 2 + r->body_len;
	}
	s[len] = '\0';
	return s;
}

/* ---- the suite ---- */

/* Strings of the files of one suite case; each is NULL if unreadable. */
struct expected {
	char *creq, *sts, *authz, *sreq;
};

static void check_suite(const char *where, const char *dir, const char *folder)
{
	const char *name = strrchr(folder, '/') ? strrchr(folder, '/') + 1 : folder;
	struct sigv4_credentials cred = { SUITE_KEY_ID, SUITE_SECRET, NULL };
	struct sigv4_signed out = SIGV4_SIGNED_INIT;
	struct ck_error err = CK_ERROR_INIT;
	struct raw_request r;
	struct sigv4_request req;
	struct expected want = { NULL, NULL, NULL, NULL };
	char *rel, *file, *sreq = NULL, *after, *end;
	char **slot[] = { &want.creq, &want.sts, &want.authz, &want.sreq };
	static const char *const ext[] = { ".creq", ".sts", ".authz", ".sreq" };
	char *token = NULL;
	size_t i;
	int ret;

	memset(&r, 0, sizeof(r));
	if (!(rel = path_join(folder, name, "")))
		return;
	file = path_join(dir, rel, ".req");
	ret = file ? raw_read(&r, file) : -1;
	free(file);
	for (i = 0; i < 4; i++) {
		file = path_join(dir, rel, ext[i]);
		*slot[i] = file ? slurp(file, NULL) : NULL;
		ret |= *slot[i] ? 0 : -1;
		free(file);
	}
	CHECK(!ret, "%s: %s: .req parsed (Host and X-Amz-Date in it), .creq, .sts, .authz and .sreq read",
	      where, name);
	if (ret)
		goto out;

	req = raw_to_request(&r);
	cred.session_token = r.token;
	after = strstr(want.sreq, "\nX-Amz-Security-Token:");
	if (!r.token && after) {
		after += strlen("\nX-Amz-Security-Token:");
		end = after + strcspn(after, "\n");
		token = strndup(after, (size_t)(end - after));
		cred.session_token = token;
		req.flags = SIGV4_TOKEN_UNSIGNED;
	}
	ret = sigv4_sign(&req, &cred, SUITE_REGION, SUITE_SERVICE, r.now, &out, &err);
	CHECK(!ret, "%s: %s: signed%s%s", where, name, ret ? ": " : "",
	      ret ? err.msg : "");
	if (ret)
		goto out;
	CHECK_STR(out.canonical_request, want.creq, "%s: %s: canonical request",
		  where, name);
	CHECK_STR(out.string_to_sign, want.sts, "%s: %s: string to sign", where,
		  name);
	CHECK_STR(signed_header(&out, "Authorization"), want.authz,
		  "%s: %s: Authorization", where, name);
	CHECK_STR(signed_header(&out, "X-Amz-Date"), r.date, "%s: %s: X-Amz-Date",
		  where, name);
	sreq = signed_request(&r, &out);
	CHECK_STR(sreq, want.sreq, "%s: %s: signed request", where, name);
out:
	sigv4_signed_release(&out);
	free(token);
	free(sreq);
	free(want.creq);
	free(want.sts);
	free(want.authz);
	free(want.sreq);
	free(rel);
	raw_release(&r);
}

/* ---- botocore ---- */

struct oracle_case {
	char *where, *region, *service, *file;	/* owned */
	const char *name;			/* file's last part */
};

static struct oracle_case oracle_cases[ORACLE_CASES_MAX];
static size_t oracle_count;
static char *oracle;		/* botocore-oracle.py beside the first file */

static void add_oracle_case(const char *where, const char *dir,
			    char **field)
{
	struct oracle_case *c = &oracle_cases[oracle_count];

	if (oracle_count == ORACLE_CASES_MAX) {
		CHECK(0, "%s: at most %d botocore cases", where, ORACLE_CASES_MAX);
		return;
	}
	c->where = strdup(where);
	c->region = strdup(field[1]);
	c->service = strdup(field[2]);
	c->file = path_join(dir, field[3], "");
	c->name = c->file && strrchr(c->file, '/') ? strrchr(c->file, '/') + 1 : c->file;
	if (!oracle)
		oracle = path_join(dir, ORACLE, "");
	if (!oracle || !c->where || !c->region || !c->service || !c->file) {
		CHECK(0, "%s: out of memory", where);
		return;
	}
	oracle_count++;
}

/*
 * Run argv (argv[0] a full path) and return what it wrote on its standard
 * output (malloc'ed), or NULL if it could not run or did not exit with 0.
 */
static char *run_output(char *const argv[])
{
	char *buf = NULL, *grown;
	size_t cap = 0, len = 0;
	int fd[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(fd))
		return NULL;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return NULL;
	}
	if (!pid) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	for (;;) {
		if (cap - len < 1024) {
			cap = cap ? 2 * cap : 4096;
			if (!(grown = realloc(buf, cap)))
				break;
			buf = grown;
		}
		n = read(fd[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!buf || !WIFEXITED(status) || WEXITSTATUS(status)) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* Our Authorization header for the request at path, malloc'ed, or NULL. */
static char *our_authorization(const struct oracle_case *c, char *why,
			       size_t whylen)
{
	struct sigv4_credentials cred = { SUITE_KEY_ID, SUITE_SECRET, NULL };
	struct sigv4_signed out = SIGV4_SIGNED_INIT;
	struct ck_error err = CK_ERROR_INIT;
	struct sigv4_request req;
	struct raw_request r;
	char *authz = NULL;

	if (raw_read(&r, c->file)) {
		snprintf(why, whylen, "cannot read %s", c->file);
		raw_release(&r);
		return NULL;
	}
	req = raw_to_request(&r);
	cred.session_token = r.token;
	if (sigv4_sign(&req, &cred, c->region, c->service, r.now, &out, &err))
		snprintf(why, whylen, "%s", err.msg);
	else
		authz = strdup(signed_header(&out, "Authorization"));
	sigv4_signed_release(&out);
	raw_release(&r);
	return authz;
}

static void check_botocore(void)
{
	char *argv[3 + 3 * ORACLE_CASES_MAX] = { PYTHON, (char *)oracle };
	char *output, *line, *ours, why[600];
	size_t i, n = 2;

	if (!oracle_count)
		return;
	for (i = 0; i < oracle_count; i++) {
		argv[n++] = oracle_cases[i].region;
		argv[n++] = oracle_cases[i].service;
		argv[n++] = oracle_cases[i].file;
	}
	output = run_output(argv);
	CHECK(output, "%s ran with %s (python3-botocore installed: tests/deps.sh)",
	      oracle, PYTHON);
	line = output;
	for (i = 0; i < oracle_count; i++) {
		const struct oracle_case *c = &oracle_cases[i];
		char *eol = line ? strchr(line, '\n') : NULL;

		if (eol)
			*eol = '\0';
		why[0] = '\0';
		ours = our_authorization(c, why, sizeof(why));
		CHECK(ours, "%s: %s: signed%s%s", c->where, c->name,
		      why[0] ? ": " : "", why);
		CHECK_STR(ours, eol ? line : NULL,
			  "%s: %s: Authorization as botocore's (%s, %s)",
			  c->where, c->name, c->region, c->service);
		free(ours);
		line = eol ? eol + 1 : NULL;
	}
	free(output);
	for (i = 0; i < oracle_count; i++) {
		free(oracle_cases[i].where);
		free(oracle_cases[i].region);
		free(oracle_cases[i].service);
		free(oracle_cases[i].file);
	}
	free(oracle);
}

/* ---- the files ---- */

static char *case_dir;		/* the folder of the file being read */

static void check_line(const char *where, char *line)
{
	char *field[FIELDS_MAX];
	int n = case_split(line, field, FIELDS_MAX);

	if (n == 2 && !strcmp(field[0], "suite"))
		check_suite(where, case_dir, field[1]);
	else if (n == 4 && !strcmp(field[0], "botocore"))
		add_oracle_case(where, case_dir, field);
	else
		CHECK(0, "%s: a case is \"suite FOLDER\" or \"botocore REGION SERVICE FILE\"",
		      where);
}

/* ---- the contract ---- */

static const char *const ecr_headers[] = {
	"Content-Type: application/x-amz-json-1.1",
	"X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
	NULL,
};

static const struct sigv4_request ecr_request = {
	.method = "POST", .host = "api.ecr.us-east-1.amazonaws.com",
	.path = "/", .query = "", .headers = ecr_headers,
	.body = "{}", .body_len = 2,
};

static const struct sigv4_credentials ecr_cred = {
	"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	ECR_TOKEN,
};

#define ECR_NOW 1700000000	/* 2023-11-14T22:13:20Z */

/* sigv4_sign() refuses: CK_BAD_INPUT, out empty, no secret in the text. */
static void check_refused(const char *what, const struct sigv4_request *req,
			  const struct sigv4_credentials *cred,
			  const char *region, const char *service, time_t now)
{
	struct sigv4_signed out = SIGV4_SIGNED_INIT;
	struct ck_error err = CK_ERROR_INIT;
	int ret;

	/* out starts full: a refusal must empty it without leaking. */
	sigv4_sign(&ecr_request, &ecr_cred, "us-east-1", "ecr", ECR_NOW, &out, NULL);
	ret = sigv4_sign(req, cred, region, service, now, &out, &err);
	CHECK(ret == -1 && err.kind == CK_BAD_INPUT && err.msg[0] &&
	      !out.headers[0] && !out.canonical_request && !out.string_to_sign &&
	      (!cred || !*cred->secret_access_key ||
	       !strstr(err.msg, cred->secret_access_key)) &&
	      !strstr(err.msg, ECR_TOKEN) && !strstr(err.msg, "EXAMPLEKEY"),
	      "refused: %s: %s", what, err.msg);
	sigv4_signed_release(&out);
}

static void check_refusals(void)
{
	struct sigv4_request req = ecr_request;
	struct sigv4_credentials cred = ecr_cred;
	const char *host_header[] = { "Host: api.ecr.us-east-1.amazonaws.com", NULL };
	const char *date_header[] = { "x-amz-date: 20150830T123600Z", NULL };
	const char *token_header[] = { "X-Amz-Security-Token: x", NULL };
	const char *authz_header[] = { "Authorization: x", NULL };
	const char *crlf[] = { "X-Test: a\r\nX-Evil: b", NULL };
	const char *lf[] = { "X-Test: a\nX-Evil: b", NULL };
	const char *cr[] = { "X-Test: a\r b", NULL };
	const char *ctl[] = { "X-Test: a\x1b[31m", NULL };
	const char *noname[] = { ": value", NULL };
	const char *nocolon[] = { "X-Test value", NULL };
	const char *spacename[] = { "X-Test : value", NULL };
	const struct { const char *what; const char *const *headers; } bad_headers[] = {
		{ "a Host header", host_header },
		{ "an X-Amz-Date header", date_header },
		{ "an X-Amz-Security-Token header", token_header },
		{ "an Authorization header", authz_header },
		{ "CRLF then a header", crlf },
		{ "LF then a header", lf },
		{ "a lone CR", cr },
		{ "an escape byte", ctl },
		{ "a header without a name", noname },
		{ "a header without a colon", nocolon },
		{ "a space before the colon", spacename },
	};
	size_t i;

	for (i = 0; i < sizeof(bad_headers) / sizeof(bad_headers[0]); i++) {
		req.headers = bad_headers[i].headers;
		check_refused(bad_headers[i].what, &req, &cred, "us-east-1", "ecr",
			      ECR_NOW);
	}
	req = ecr_request;

	req.method = "PO ST";
	check_refused("a method with a space", &req, &cred, "us-east-1", "ecr", ECR_NOW);
	req.method = "";
	check_refused("an empty method", &req, &cred, "us-east-1", "ecr", ECR_NOW);
	req = ecr_request;
	req.host = "api.ecr.us-east-1.amazonaws.com\r\nX: y";
	check_refused("a host with CRLF", &req, &cred, "us-east-1", "ecr", ECR_NOW);
	req.host = NULL;
	check_refused("no host", &req, &cred, "us-east-1", "ecr", ECR_NOW);
	req = ecr_request;
	req.path = "relative";
	check_refused("a path without '/'", &req, &cred, "us-east-1", "ecr", ECR_NOW);
	req.path = "/?a=b";
	check_refused("a path with a query", &req, &cred, "us-east-1", "ecr", ECR_NOW);
	req.path = "/a\nb";
	check_refused("a path with LF", &req, &cred, "us-east-1", "ecr", ECR_NOW);
	req = ecr_request;
	req.query = "a=b\r\n";
	check_refused("a query with CRLF", &req, &cred, "us-east-1", "ecr", ECR_NOW);
	req = ecr_request;
	req.body = NULL;
	check_refused("a body length without a body", &req, &cred, "us-east-1",
		      "ecr", ECR_NOW);
	req = ecr_request;

	check_refused("region with '/'", &req, &cred, "us-east-1/x", "ecr", ECR_NOW);
	check_refused("region in capitals", &req, &cred, "US-EAST-1", "ecr", ECR_NOW);
	check_refused("empty region", &req, &cred, "", "ecr", ECR_NOW);
	check_refused("no service", &req, &cred, "us-east-1", NULL, ECR_NOW);
	check_refused("service s3", &req, &cred, "us-east-1", "s3", ECR_NOW);
	check_refused("a time past year 9999", &req, &cred, "us-east-1", "ecr",
		      (time_t)253402300800LL);
	cred.access_key_id = "AKID/EXAMPLE";
	check_refused("an access key id with '/'", &req, &cred, "us-east-1", "ecr", ECR_NOW);
	cred = ecr_cred;
	cred.secret_access_key = "";
	check_refused("an empty secret key", &req, &cred, "us-east-1", "ecr", ECR_NOW);
	cred = ecr_cred;
	cred.session_token = ECR_TOKEN "\r\nX-Evil: 1";
	check_refused("a session token with CRLF", &req, &cred, "us-east-1", "ecr", ECR_NOW);
	check_refused("no credentials", &req, NULL, "us-east-1", "ecr", ECR_NOW);
}

static void check_contract(void)
{
	static const char authz_start[] =
		"Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"
		"20231114/us-east-1/ecr/aws4_request, SignedHeaders=content-type;"
		"host;x-amz-date;x-amz-security-token;x-amz-target, Signature=";
	struct sigv4_signed out = SIGV4_SIGNED_INIT, other = SIGV4_SIGNED_INIT;
	struct sigv4_credentials cred = ecr_cred;
	struct sigv4_request req = ecr_request;
	struct ck_error err = CK_ERROR_INIT;
	const char *authz;

	CHECK(!sigv4_sign(&req, &cred, "us-east-1", "ecr", ECR_NOW, &out, &err) &&
	      !strcmp(out.headers[0], "X-Amz-Date: 20231114T221320Z") &&
	      !strcmp(out.headers[1], "X-Amz-Security-Token: " ECR_TOKEN) &&
	      !strncmp(out.headers[2], authz_start, strlen(authz_start)) &&
	      strlen(out.headers[2]) == strlen(authz_start) + 64 && !out.headers[3],
	      "with a session token: X-Amz-Date, X-Amz-Security-Token (signed), Authorization");
	CHECK(out.canonical_request &&
	      strstr(out.canonical_request, "\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"),
	      "the payload hash is the body's SHA-256");

	cred.session_token = "";
	CHECK(!sigv4_sign(&req, &cred, "us-east-1", "ecr", ECR_NOW, &out, &err) &&
	      !strncmp(out.headers[0], "X-Amz-Date: ", 12) &&
	      !strncmp(out.headers[1], "Authorization: ", 15) && !out.headers[2] &&
	      strstr(out.headers[1], "SignedHeaders=content-type;host;x-amz-date;x-amz-target,"),
	      "an empty session token is none (and out is released first)");

	cred = ecr_cred;
	req.flags = SIGV4_TOKEN_UNSIGNED;
	CHECK(!sigv4_sign(&req, &cred, "us-east-1", "ecr", ECR_NOW, &out, &err) &&
	      !strcmp(out.headers[1], "X-Amz-Security-Token: " ECR_TOKEN) &&
	      strstr(out.headers[2], "SignedHeaders=content-type;host;x-amz-date;x-amz-target,") &&
	      !strstr(out.canonical_request, ECR_TOKEN),
	      "SIGV4_TOKEN_UNSIGNED: the token is added but not signed");
	req.flags = 0;

	req.path = NULL;
	req.query = NULL;
	req.headers = NULL;
	req.body = NULL;
	req.body_len = 0;
	CHECK(!sigv4_sign(&req, &cred, "us-east-1", "ecr", ECR_NOW, &out, &err) &&
	      !strncmp(out.canonical_request, "POST\n/\n\nhost:", 13) &&
	      strstr(out.canonical_request, "\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
	      "NULL path, query, headers and body: \"/\", none, none, empty");

	req = ecr_request;
	CHECK(!sigv4_sign(&req, &cred, "us-east-1", "ecr", ECR_NOW, &out, &err) &&
	      !sigv4_sign(&req, &cred, "us-east-1", "ecr", ECR_NOW, &other, &err) &&
	      !strcmp(out.headers[2], other.headers[2]),
	      "signing twice gives the same header");
	cred.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEz";
	authz = out.headers[2];
	CHECK(!sigv4_sign(&req, &cred, "us-east-1", "ecr", ECR_NOW, &other, &err) &&
	      strcmp(authz, other.headers[2]), "another secret key, another signature");
	cred = ecr_cred;
	CHECK(!sigv4_sign(&req, &cred, "us-east-1", "ecr", ECR_NOW + 86400, &other, &err) &&
	      strstr(other.headers[2], "/20231115/us-east-1/ecr/aws4_request"),
	      "the next day, the next scope");
	CHECK(!sigv4_sign(&req, &cred, "us-east-1", "ecr", 0, &other, &err) &&
	      !strcmp(other.headers[0], "X-Amz-Date: 19700101T000000Z"),
	      "the epoch is 19700101T000000Z");

	sigv4_signed_release(&out);
	sigv4_signed_release(&out);
	sigv4_signed_release(&other);
	sigv4_signed_release(NULL);
	CHECK(!out.headers[0] && !out.canonical_request && !out.string_to_sign,
	      "release empties, twice and with NULL");
	req.headers = (const char *const[]){ "Host: x", NULL };
	CHECK(sigv4_sign(&req, &cred, "us-east-1", "ecr", ECR_NOW, &out, NULL) == -1 &&
	      !out.headers[0], "a NULL error struct is accepted");
	CHECK(sigv4_sign(&req, &cred, "us-east-1", "ecr", ECR_NOW, NULL, &err) == -1 &&
	      err.kind == CK_BAD_INPUT, "a NULL out is refused: %s", err.msg);
	check_refusals();
}

/* ---- time ---- */

static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Sign ecr_request n times; returns the seconds it took, or -1. */
static double time_signs(int n)
{
	struct sigv4_signed out = SIGV4_SIGNED_INIT;
	double start = seconds();
	int i, ret = 0;

	for (i = 0; i < n; i++)
		ret |= sigv4_sign(&ecr_request, &ecr_cred, "us-east-1", "ecr",
				  ECR_NOW + i, &out, NULL);
	sigv4_signed_release(&out);
	return ret ? -1 : seconds() - start;
}

int main(int argc, char **argv)
{
	double first, many;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	first = time_signs(1);
	CHECK(first >= 0, "a first sign in the process works");
	printf("# first sign in the process (OpenSSL start-up included): %.2f ms\n",
	       first * 1e3);
	for (i = 1; i < argc; i++) {
		const char *slash = strrchr(argv[i], '/');

		case_dir = strndup(argv[i], slash ? (size_t)(slash - argv[i]) : 0);
		CHECK(case_dir && !cases_run(argv[i], check_line), "read %s", argv[i]);
		free(case_dir);
	}
	check_botocore();
	check_contract();
	many = time_signs(TIMED_SIGNS);
	CHECK(many >= 0, "%d more signs work", TIMED_SIGNS);
	printf("# %d signs: %.1f ms, %.2f us a sign\n", TIMED_SIGNS, many * 1e3,
	       many * 1e6 / TIMED_SIGNS);
	return check_done();
}
