/* SPDX-License-Identifier: MIT */
/*
 * test_kubelet.c - unit tests of the kubelet credential provider's wire.
 *
 * Usage: test_kubelet FILE...
 *
 * Each FILE is one of tests/data/kubelet/, told apart by its name (see the
 * comment at the top of each): match.txt (the kubelet's image matching),
 * registry.txt (an image's registry), duration.txt (Go's duration text),
 * golden.txt (golden request/response pairs in golden/, beside it) and
 * refused.txt (requests refused, and why).  The checks the files cannot
 * say (bounds, kubelet_read(), a response refused) follow them.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"
#include "check.h"
#include "tokens/kubelet.h"

#define FIELDS_MAX 10

static char data_dir[512];
static void (*each_line)(const char *where, char **f, int n);

/* Read all of path into a malloc'ed buffer (*len bytes and a NUL), or NULL. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1)) &&
	    fread(buf, 1, (size_t)size, f) == (size_t)size) {
		buf[size] = '\0';
		*len = (size_t)size;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void check_match(const char *where, char **f, int n)
{
	int want, got;

	if (n != 4 || (strcmp(f[3], "match") && strcmp(f[3], "differ")) ||
	    (strcmp(f[0], "image") && strcmp(f[0], "auth"))) {
		CHECK(0, "%s: a line of KIND, PATTERN, IMAGE, match|differ", where);
		return;
	}
	want = !strcmp(f[3], "match");
	got = !strcmp(f[0], "image") ? kubelet_match(f[1], f[2]) : kubelet_match_auth(f[1], f[2]);
	CHECK(got == want, "%s: %s %s %s %s", where, f[0], f[1], want ? "matches" : "does not match",
	      f[2]);
}

static void check_registry(const char *where, char **f, int n)
{
	struct ck_error err = CK_ERROR_INIT;
	char buf[KUBELET_REGISTRY_MAX];
	int ret;

	if (n != 2) {
		CHECK(0, "%s: a line of IMAGE, REGISTRY", where);
		return;
	}
	ret = kubelet_registry(f[0], buf, sizeof(buf), &err);
	if (strcmp(f[1], "!")) {
		CHECK(!ret, "%s: %s has a registry%s%s", where, f[0], ret ? ": " : "", err.msg);
		CHECK_STR(buf, f[1], "%s: the registry of %s", where, f[0]);
		CHECK(kubelet_match_auth(buf, f[0]), "%s: the kubelet matches %s against %s",
		      where, f[0], buf);
	} else {
		CHECK(ret == -1 && err.kind == CK_BAD_INPUT && !buf[0] && err.msg[0] &&
		      !strchr(err.msg, '\n'), "%s: %s is refused: %s", where, f[0], err.msg);
	}
}

static void check_duration(const char *where, char **f, int n)
{
	char buf[KUBELET_DURATION_MAX], *end;
	long long s;
	int ret;

	s = n == 2 ? strtoll(f[0], &end, 10) : 0;
	if (n != 2 || *end) {
		CHECK(0, "%s: a line of SECONDS, TEXT", where);
		return;
	}
	ret = kubelet_duration(s, buf, sizeof(buf));
	if (!strcmp(f[1], "!")) {
		CHECK(ret == -1 && !buf[0], "%s: %lld s is no Go duration", where, s);
		return;
	}
	CHECK(!ret, "%s: %lld s is a Go duration", where, s);
	CHECK_STR(buf, f[1], "%s: %lld s is written as Go writes it", where, s);
}

/* "k=v;k=v" of req's annotations, into buf. */
static void annotations_text(const struct kubelet_request *req, char *buf, size_t size)
{
	size_t i, used = 0;
	int n;

	snprintf(buf, size, "-");
	for (i = 0; i < req->annotations_nr && used < size; i++) {
		n = snprintf(buf + used, size - used, "%s%s=%s", i ? ";" : "",
			     req->annotations[i].key, req->annotations[i].value);
		used += n > 0 ? (size_t)n : 0;
	}
}

static void check_golden(const char *where, char **f, int n)
{
	struct ck_error err = CK_ERROR_INIT;
	struct kubelet_request req = KUBELET_REQUEST_INIT;
	struct secret out = SECRET_INIT, password = SECRET_INIT;
	struct kubelet_answer a;
	char path[1024], notes[2048];
	char *request = NULL, *response = NULL;
	size_t request_len = 0, response_len = 0;
	json_t *pw = NULL;

	if (n != 9) {
		CHECK(0, "%s: a line of 9 fields", where);
		return;
	}
	snprintf(path, sizeof(path), "%s/golden/%s.request", data_dir, f[0]);
	request = slurp(path, &request_len);
	snprintf(path, sizeof(path), "%s/golden/%s.response", data_dir, f[0]);
	response = slurp(path, &response_len);
	pw = json_loads(f[7], JSON_DECODE_ANY, NULL);
	if (!request || !response || !json_is_string(pw) ||
	    secret_set(&password, json_string_value(pw), json_string_length(pw))) {
		CHECK(0, "%s: golden/%s.request, .response and a JSON password", where, f[0]);
		goto out;
	}
	CHECK(!kubelet_parse_request(request, request_len, &req, &err),
	      "%s: %s.request is accepted%s%s", where, f[0], err.msg[0] ? ": " : "", err.msg);
	CHECK_STR(kubelet_api_text(req.api),
		  !strcmp(f[1], "v1") ? KUBELET_API_V1 : KUBELET_API_V1BETA1,
		  "%s: its apiVersion", where);
	CHECK_STR(req.image, f[2], "%s: its image", where);
	CHECK_STR(req.registry, f[3], "%s: its registry", where);
	CHECK_STR(req.token.buf ? req.token.buf : "-", f[4], "%s: its token", where);
	annotations_text(&req, notes, sizeof(notes));
	CHECK_STR(notes, f[5], "%s: its annotations, sorted", where);

	a.api = req.api;
	a.registry = req.registry;
	a.username = f[6];
	a.password = &password;
	a.cache_seconds = !strcmp(f[8], "default") ? KUBELET_CACHE_DEFAULT : strtoll(f[8], NULL, 10);
	ck_error_clear(&err);
	CHECK(!kubelet_response(&a, &out, &err), "%s: the answer is written%s%s", where,
	      err.msg[0] ? ": " : "", err.msg);
	CHECK(out.buf && out.len == response_len && !memcmp(out.buf, response, response_len),
	      "%s: the answer is golden/%s.response byte for byte (%zu bytes, want %zu)",
	      where, f[0], out.len, response_len);
out:
	json_decref(pw);
	secret_release(&password);
	secret_release(&out);
	kubelet_request_release(&req);
	free(request);
	free(response);
}

static void check_refused(const char *where, char **f, int n)
{
	struct ck_error err = CK_ERROR_INIT;
	struct kubelet_request req = KUBELET_REQUEST_INIT;
	int ret;

	if (n != 2) {
		CHECK(0, "%s: a line of REQUEST, ERROR", where);
		return;
	}
	ret = kubelet_parse_request(f[0], strlen(f[0]), &req, &err);
	CHECK(ret == -1 && err.kind == CK_BAD_INPUT && strstr(err.msg, f[1]),
	      "%s: refused with \"%s\": %s", where, f[1], err.msg);
	CHECK(!strstr(err.msg, "s3cr3t") && !strchr(err.msg, '\n') && !req.image &&
	      !req.token.buf && !req.annotations_nr, "%s: the text quotes no token, "
	      "and nothing is left in the request", where);
	kubelet_request_release(&req);
}

static void check_line(const char *where, char *line)
{
	char *f[FIELDS_MAX];
	int n = case_split(line, f, FIELDS_MAX);

	each_line(where, f, n > FIELDS_MAX ? FIELDS_MAX + 1 : n);
}

/* The checks no data file says. */
static void check_bounds(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct kubelet_request req = KUBELET_REQUEST_INIT;
	struct secret in = SECRET_INIT, out = SECRET_INIT, pw = SECRET_INIT;
	struct kubelet_answer a = { KUBELET_V1, "ghcr.io", "u", &pw, 60 };
	const char *head = "{\"kind\":\"CredentialProviderRequest\",\"apiVersion\":"
			   "\"" KUBELET_API_V1 "\",\"image\":\"";
	const char *notes = "{\"kind\":\"CredentialProviderRequest\",\"apiVersion\":\""
			    KUBELET_API_V1 "\",\"image\":\"r.io/a\",\"serviceAccount"
			    "Annotations\":{\"b\":\"2\",\"a\":null}}";
	const char *bad = "{\"kind\":\"\xff\"}";
	char buf[KUBELET_DURATION_MAX], *big;
	size_t len;
	FILE *f;

	/* An image at the bound, one past it, a request past its bound. */
	big = malloc(KUBELET_REQUEST_MAX + 2);
	if (!big)
		return;
	len = (size_t)snprintf(big, KUBELET_REQUEST_MAX, "%sr.io/", head);
	memset(big + len, 'a', KUBELET_IMAGE_MAX - 5);
	snprintf(big + len + KUBELET_IMAGE_MAX - 5, 8, "\"}");
	CHECK(!kubelet_parse_request(big, strlen(big), &req, &err),
	      "an image of %d bytes is accepted%s%s", KUBELET_IMAGE_MAX, err.msg[0] ? ": " : "",
	      err.msg);
	kubelet_request_release(&req);
	snprintf(big + len + KUBELET_IMAGE_MAX - 5, 8, "a\"}");
	CHECK(kubelet_parse_request(big, strlen(big), &req, &err) && strstr(err.msg, "longer"),
	      "an image of %d bytes is refused: %s", KUBELET_IMAGE_MAX + 1, err.msg);
	memset(big, ' ', KUBELET_REQUEST_MAX + 1);
	CHECK(kubelet_parse_request(big, KUBELET_REQUEST_MAX + 1, &req, &err) &&
	      strstr(err.msg, "longer than 1048576 bytes"), "a request past the bound is "
	      "refused before it is parsed: %s", err.msg);
	CHECK(kubelet_parse_request(bad, strlen(bad), &req, &err) &&
	      strstr(err.msg, "not UTF-8"), "a request that is not UTF-8: %s", err.msg);

	/* kubelet_read(): all of a file, and a file one byte past the bound. */
	f = tmpfile();
	if (f && fwrite(head, 1, strlen(head), f) == strlen(head) && !fflush(f) &&
	    !fseek(f, 0, SEEK_SET)) {
		CHECK(!kubelet_read(fileno(f), &in, &err) && in.len == strlen(head) &&
		      !memcmp(in.buf, head, in.len) && !in.buf[in.len], "kubelet_read() reads "
		      "all of its fd");
		secret_release(&in);
		memset(big, ' ', KUBELET_REQUEST_MAX + 1);
		CHECK(!fseek(f, 0, SEEK_SET) &&
		      fwrite(big, 1, KUBELET_REQUEST_MAX + 1, f) == KUBELET_REQUEST_MAX + 1 &&
		      !fflush(f) && !fseek(f, 0, SEEK_SET) && kubelet_read(fileno(f), &in, &err) &&
		      err.kind == CK_BAD_INPUT && !in.buf, "kubelet_read() refuses a byte past "
		      "the bound: %s", err.msg);
	} else {
		CHECK(0, "a temporary file for kubelet_read()");
	}
	if (f)
		fclose(f);
	free(big);

	/* Durations into a buffer too small, and the buffer left empty. */
	CHECK(kubelet_duration(21570, buf, 8) == -1 && !buf[0], "a duration into too "
	      "small a buffer is refused");
	CHECK(!kubelet_duration(-KUBELET_SECONDS_MAX, buf, sizeof(buf)),
	      "KUBELET_DURATION_MAX holds the longest duration");

	/* Answers refused. */
	secret_set(&pw, "pass\0word", 9);
	CHECK(kubelet_response(&a, &out, &err) && strstr(err.msg, "without NUL") && !out.buf,
	      "a password with a NUL is refused: %s", err.msg);
	secret_set(&pw, "\xc3(", 2);
	CHECK(kubelet_response(&a, &out, &err) && !out.buf, "a password that is not UTF-8 "
	      "is refused: %s", err.msg);
	secret_set(&pw, "password", 8);
	a.username = "\xff";
	CHECK(kubelet_response(&a, &out, &err) && !out.buf, "a username that is not UTF-8 "
	      "is refused: %s", err.msg);
	a.username = "u";
	a.cache_seconds = -5;
	CHECK(kubelet_response(&a, &out, &err) && !out.buf, "a negative cache duration is "
	      "refused: %s", err.msg);
	a.cache_seconds = KUBELET_SECONDS_MAX + 1;
	CHECK(kubelet_response(&a, &out, &err) && !out.buf, "a cache duration past Go's is "
	      "refused: %s", err.msg);
	a.cache_seconds = 60;
	a.api = 0;
	CHECK(kubelet_response(&a, &out, &err) && !out.buf && !kubelet_api_text(0),
	      "an unknown api is refused: %s", err.msg);
	a.api = KUBELET_V1;
	a.registry = "";
	CHECK(kubelet_response(&a, &out, &err) && !out.buf, "an empty registry is refused: %s",
	      err.msg);
	secret_release(&pw);

	/* Annotations are found by key, and absent ones are NULL. */
	if (!kubelet_parse_request(notes, strlen(notes), &req, &err)) {
		CHECK_STR(kubelet_annotation(&req, "b"), "2", "an annotation by its key");
		CHECK_STR(kubelet_annotation(&req, "a"), "", "a null annotation is empty");
		CHECK(!kubelet_annotation(&req, "c"), "an absent annotation is NULL");
	} else {
		CHECK(0, "a request with annotations: %s", err.msg);
	}
	kubelet_request_release(&req);
}

static const struct {
	const char *file;
	void (*each)(const char *where, char **f, int n);
} files[] = {
	{ "match.txt", check_match },
	{ "registry.txt", check_registry },
	{ "duration.txt", check_duration },
	{ "golden.txt", check_golden },
	{ "refused.txt", check_refused },
};

int main(int argc, char **argv)
{
	const char *name, *slash;
	size_t i;
	int a;

	/* As credkit_main() runs it: what jansson frees is wiped. */
	json_set_alloc_funcs(malloc, secure_free);
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	for (a = 1; a < argc; a++) {
		slash = strrchr(argv[a], '/');
		name = slash ? slash + 1 : argv[a];
		snprintf(data_dir, sizeof(data_dir), "%.*s", slash ? (int)(slash - argv[a]) : 1,
			 slash ? argv[a] : ".");
		each_line = NULL;
		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			if (!strcmp(name, files[i].file))
				each_line = files[i].each;
		if (!each_line) {
			CHECK(0, "%s is a data file test_kubelet knows", argv[a]);
			continue;
		}
		CHECK(!cases_run(argv[a], check_line), "read %s", argv[a]);
	}
	check_bounds();
	return check_done();
}
