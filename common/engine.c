/*
 * engine.c - the protocol loop every credkit helper runs.
 *
 * It promises what docker, podman, skopeo and BuildKit rely on:
 *  - stdout carries exactly one line: the answer, or the error text (with
 *    exit status 1); diagnostics go to stderr;
 *  - the protocol's texts ("credentials not found in native keychain", "no
 *    credentials server URL", "no credentials username") are byte for byte;
 *  - store accepts what the Go helpers accept (keys in any case, unknown
 *    fields ignored, an empty secret) but nothing after the JSON object,
 *    and reads at most ENGINE_INPUT_MAX;
 *  - get and erase find an entry stored under another spelling of the same
 *    registry (see registry.h), and never one of a different registry;
 *  - every buffer that held a secret is wiped before it is freed.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine.h"
#include "registry.h"
#include "store.h"

#ifndef CREDKIT_VERSION
#define CREDKIT_VERSION "0.0.0"
#endif

struct input {
	char *buf;	/* NUL-terminated, may hold a secret: secure_free() */
	size_t len;
};

struct run {
	const struct helper *helper;
	void *store;	/* the backend's handle, opened on first use */
	struct input in;
	struct ck_error err;
};

void cred_release(struct cred *c)
{
	free(c->server);
	free(c->username);
	secret_release(&c->secret);
	c->server = NULL;
	c->username = NULL;
}

/*
 * Read all of stdin into in, refusing more than ENGINE_INPUT_MAX bytes.
 * Returns 0, or -1 with err filled (in is then empty).
 */
static int read_input(struct input *in, struct ck_error *err)
{
	size_t cap = 4096;
	char *bigger;
	ssize_t n;

	in->len = 0;
	in->buf = malloc(cap);
	if (!in->buf)
		return ck_error(err, CK_FAILED, "out of memory reading input");
	for (;;) {
		if (in->len > ENGINE_INPUT_MAX) {
			ck_error(err, CK_BAD_INPUT,
				 "input too large: more than %d bytes (1 MiB) on standard input",
				 ENGINE_INPUT_MAX);
			goto fail;
		}
		if (in->len + 1 == cap) {
			bigger = malloc(cap * 2);
			if (!bigger) {
				ck_error(err, CK_FAILED, "out of memory reading input");
				goto fail;
			}
			memcpy(bigger, in->buf, in->len);
			secure_free(in->buf);	/* it may hold a secret */
			in->buf = bigger;
			cap *= 2;
		}
		n = read(STDIN_FILENO, in->buf + in->len, cap - 1 - in->len);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ck_error(err, CK_FAILED, "cannot read standard input: %s", strerror(errno));
			goto fail;
		}
		in->len += (size_t)n;
	}
	in->buf[in->len] = '\0';
	return 0;
fail:
	secure_free(in->buf);
	in->buf = NULL;
	in->len = 0;
	return -1;
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/*
 * The server URL of a get or erase: stdin with surrounding whitespace
 * trimmed, in place.  Returns it (borrowed from in), or NULL with err.
 */
static const char *input_server(struct input *in, struct ck_error *err)
{
	char *start = in->buf, *end = in->buf + in->len;

	if (memchr(in->buf, '\0', in->len))
		return ck_error(err, CK_BAD_INPUT,
				"server URL on standard input contains a NUL byte"), NULL;
	while (start < end && strchr(" \t\r\n\v\f", *start))
		start++;
	while (end > start && strchr(" \t\r\n\v\f", end[-1]))
		end--;
	*end = '\0';
	if (start == end)
		return ck_error(err, CK_NO_SERVER, NULL), NULL;
	if (has_control(start))
		return ck_error(err, CK_BAD_INPUT,
				"server URL on standard input contains control characters"), NULL;
	return start;
}

/*
 * Find the member of obj called name, in any case: *value is borrowed, or
 * NULL when it is missing or JSON null (left empty, as the Go helpers do).
 * Of repeated identical keys the last value counts, as in Go (jansson keeps
 * it); keys differing only in case count in the order they first appear.
 * Returns 0, or -1 with err when the member is not a string.
 */
static int find_member(json_t *obj, const char *name, json_t **value,
		       struct ck_error *err)
{
	const char *key;
	json_t *v;

	*value = NULL;
	json_object_foreach(obj, key, v) {
		if (strcasecmp(key, name) || json_is_null(v))
			continue;
		if (!json_is_string(v))
			return ck_error(err, CK_BAD_INPUT,
					"invalid credentials: \"%s\" must be a string", name);
		*value = v;
	}
	return 0;
}

/* What is wrong with a JSON text, in words that quote none of it. */
static const char *json_problem(enum json_error_code code)
{
	switch (code) {
	case json_error_premature_end_of_input:
		return "it ends too early";
	case json_error_invalid_utf8:
		return "it is not valid UTF-8";
	case json_error_invalid_syntax:
		return "a syntax error";
	case json_error_end_of_input_expected:
		return "more than one JSON value";
	case json_error_null_character:
	case json_error_null_byte_in_key:
		return "a NUL character";
	case json_error_duplicate_key:
		return "a duplicate key";
	case json_error_out_of_memory:
		return "out of memory";
	default:
		return "it cannot be parsed";
	}
}

/*
 * Parse the store input into c.  Returns 0, or -1 with err (including the
 * protocol's "no credentials server URL" and "no credentials username").
 */
static int parse_cred(const struct input *in, struct cred *c, struct ck_error *err)
{
	json_t *root, *server, *username, *secret;
	json_error_t jerr;
	int ret = -1;

	if (in->len == 0)
		return ck_error(err, CK_BAD_INPUT,
				"no credentials on standard input: expected {\"ServerURL\":...,\"Username\":...,\"Secret\":...}");
	root = json_loadb(in->buf, in->len, 0, &jerr);
	if (!root)	/* not jerr.text: it quotes the input, secret and all */
		return ck_error(err, CK_BAD_INPUT,
				"invalid credentials JSON on standard input: %s at line %d, column %d",
				json_problem(json_error_code(&jerr)), jerr.line, jerr.column);
	if (!json_is_object(root)) {
		ck_error(err, CK_BAD_INPUT,
			 "invalid credentials JSON on standard input: expected an object");
		goto out;
	}
	if (find_member(root, "ServerURL", &server, err) ||
	    find_member(root, "Username", &username, err) ||
	    find_member(root, "Secret", &secret, err))
		goto out;
	if (!server || !json_string_length(server)) {
		ck_error(err, CK_NO_SERVER, NULL);
		goto out;
	}
	if (!username || !json_string_length(username)) {
		ck_error(err, CK_NO_USERNAME, NULL);
		goto out;
	}
	c->server = strdup(json_string_value(server));
	c->username = strdup(json_string_value(username));
	if (!c->server || !c->username ||
	    secret_set(&c->secret, secret ? json_string_value(secret) : "",
		       secret ? json_string_length(secret) : 0)) {
		ck_error(err, CK_FAILED, "out of memory");
		goto out;
	}
	if (has_control(c->server) || has_control(c->username)) {
		ck_error(err, CK_BAD_INPUT,
			 "invalid credentials: ServerURL and Username must not contain control characters");
		goto out;
	}
	ret = 0;
out:
	json_decref(root);	/* the secret's JSON string is wiped as it goes */
	return ret;
}

/*
 * Write line and a newline to stdout with write(2): through stdio, a secret
 * would stay behind in stdout's buffer.  Returns 0, or -1 with err.
 */
static int print_line(char *line, size_t len, struct ck_error *err)
{
	size_t done = 0;
	ssize_t n;

	line[len] = '\n';	/* the NUL's place */
	fflush(stdout);
	while (done < len + 1) {
		n = write(STDOUT_FILENO, line + done, len + 1 - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			line[len] = '\0';
			return ck_error(err, CK_FAILED, "cannot write to standard output: %s",
					strerror(errno));
		}
		done += (size_t)n;
	}
	line[len] = '\0';
	return 0;
}

/* Dump obj compactly to stdout as one line, wiping the text afterwards. */
static int print_json(json_t *obj, size_t flags, struct ck_error *err)
{
	char *text = json_dumps(obj, JSON_COMPACT | flags);
	int ret;

	if (!text)
		return ck_error(err, CK_FAILED, "out of memory");
	ret = print_line(text, strlen(text), err);
	secure_free(text);
	return ret;
}

static int open_store(struct run *r)
{
	if (r->store)
		return 0;
	r->store = r->helper->backend->open(&r->err);
	return r->store ? 0 : -1;
}

struct aliases {
	char key[REGISTRY_KEY_MAX];	/* the registry searched for */
	const char *exact;		/* as asked; not an alias of itself */
	char **servers;			/* owned, sorted by find_aliases() */
	size_t nr;
};

static void aliases_release(struct aliases *a)
{
	while (a->nr)
		free(a->servers[--a->nr]);
	free(a->servers);
	a->servers = NULL;
}

/* List callback: keep server when it is another spelling of a->key. */
static int collect_alias(const char *server, const char *username, void *data,
			 struct ck_error *err)
{
	struct aliases *a = data;
	char key[REGISTRY_KEY_MAX];
	char **grown;

	(void)username;
	if (!strcmp(server, a->exact) ||
	    registry_key(server, key, sizeof(key), NULL) || strcmp(key, a->key))
		return 0;
	grown = realloc(a->servers, (a->nr + 1) * sizeof(*grown));
	if (!grown)
		return ck_error(err, CK_FAILED, "out of memory");
	a->servers = grown;
	a->servers[a->nr] = strdup(server);
	if (!a->servers[a->nr])
		return ck_error(err, CK_FAILED, "out of memory");
	a->nr++;
	return 0;
}

static int compare_servers(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Fill a with the stored servers that name the same registry as exact in
 * another spelling, sorted so that the choice among them is stable.  A
 * string that is not a registry address has no aliases.  Returns 0, or -1
 * with err.
 */
static int find_aliases(struct run *r, const char *exact, struct aliases *a)
{
	a->exact = exact;
	if (registry_key(exact, a->key, sizeof(a->key), NULL))
		return 0;
	if (r->helper->backend->list(r->store, collect_alias, a, &r->err))
		return -1;
	if (a->nr > 1)
		qsort(a->servers, a->nr, sizeof(*a->servers), compare_servers);
	return 0;
}

static int cmd_store(struct run *r)
{
	struct cred c = CRED_INIT;
	int ret;

	if (read_input(&r->in, &r->err) || parse_cred(&r->in, &c, &r->err)) {
		cred_release(&c);
		return -1;
	}
	ret = open_store(r);
	if (!ret)
		ret = r->helper->backend->store(r->store, &c, &r->err);
	cred_release(&c);
	return ret;
}

static int cmd_get(struct run *r)
{
	const struct backend *b = r->helper->backend;
	struct cred c = CRED_INIT;
	const char *server;
	struct aliases a = { .nr = 0 };
	json_t *out = NULL;
	int ret = -1;

	if (read_input(&r->in, &r->err))
		return -1;
	server = input_server(&r->in, &r->err);
	if (!server || open_store(r))
		return -1;
	if (b->get(r->store, server, &c, &r->err)) {
		if (r->err.kind != CK_NOT_FOUND)
			goto out;
		if (find_aliases(r, server, &a)) {
			/* The exact answer stands; say why no alias was tried. */
			fprintf(stderr, "docker-credential-%s: cannot look for other spellings of %s: %s\n",
				r->helper->name, server, r->err.msg);
			ck_error(&r->err, CK_NOT_FOUND, NULL);
			goto out;
		}
		if (!a.nr)
			goto out;
		ck_error_clear(&r->err);
		if (b->get(r->store, a.servers[0], &c, &r->err))
			goto out;
	}
	out = json_pack("{s:s, s:s, s:s%}", "ServerURL", server,
			"Username", c.username ? c.username : "",
			"Secret", c.secret.buf ? c.secret.buf : "", c.secret.len);
	if (!out) {
		ck_error(&r->err, CK_FAILED,
			 "cannot encode the credentials as JSON (is the stored text valid UTF-8?)");
		goto out;
	}
	ret = print_json(out, 0, &r->err);
out:
	json_decref(out);
	aliases_release(&a);
	cred_release(&c);
	return ret;
}

static int cmd_erase(struct run *r)
{
	const struct backend *b = r->helper->backend;
	struct aliases a = { .nr = 0 };
	const char *server;
	size_t i;
	int ret = -1;

	if (read_input(&r->in, &r->err))
		return -1;
	server = input_server(&r->in, &r->err);
	if (!server || open_store(r) || b->erase(r->store, server, &r->err))
		return -1;
	/* After "erase X", "get X" must find nothing, whatever the spelling. */
	if (find_aliases(r, server, &a))
		goto out;
	for (i = 0; i < a.nr; i++)
		if (b->erase(r->store, a.servers[i], &r->err))
			goto out;
	ret = 0;
out:
	aliases_release(&a);
	return ret;
}

static int add_entry(const char *server, const char *username, void *data,
		     struct ck_error *err)
{
	if (json_object_set_new(data, server, json_string(username)))
		return ck_error(err, CK_FAILED,
				"cannot encode the list as JSON (server \"%s\")", server);
	return 0;
}

static int cmd_list(struct run *r)
{
	json_t *all = json_object();
	int ret = -1;

	if (!all)
		return ck_error(&r->err, CK_FAILED, "out of memory");
	if (open_store(r) == 0 &&
	    r->helper->backend->list(r->store, add_entry, all, &r->err) == 0)
		ret = print_json(all, JSON_SORT_KEYS, &r->err);
	json_decref(all);
	return ret;
}

static int cmd_version(struct run *r)
{
	printf("docker-credential-%s (credkit) %s\n", r->helper->name, CREDKIT_VERSION);
	return fflush(stdout) == EOF ? ck_error(&r->err, CK_FAILED,
						"cannot write to standard output") : 0;
}

static int count_entry(const char *server, const char *username, void *data,
		       struct ck_error *err)
{
	(void)server, (void)username, (void)err;
	++*(size_t *)data;
	return 0;
}

/*
 * doctor: the settings, the state of every store and the choices the suite
 * makes, then whether this helper's own store answers.  Never a secret.
 */
static int cmd_doctor(struct run *r)
{
	const struct backend *b = r->helper->backend;
	struct ck_error first = CK_ERROR_INIT;
	size_t n = 0;
	int ret;

	ret = store_doctor(stdout, r->helper->name, &first);
	printf("\nthis helper keeps credentials in %s:\n", b->name);
	if (open_store(r) || b->list(r->store, count_entry, &n, &r->err)) {
		printf("  not usable: %s\n", r->err.msg);
		ck_error(&r->err, r->err.kind, "docker-credential-%s cannot use its store",
			 r->helper->name);
		ret = -1;
	} else {
		printf("  usable, %zu entr%s\n", n, n == 1 ? "y" : "ies");
	}
	if (first.kind != CK_OK)	/* a bad setting is the first thing to fix */
		r->err = first;
	return ret;
}

static void usage(FILE *f, const struct helper *h)
{
	fprintf(f, "Usage: docker-credential-%s <store|get|erase|list|version>\n", h->name);
}

static void help(const struct helper *h)
{
	usage(stdout, h);
	printf("\n%s\n\n"
	       "  store    read {\"ServerURL\":..,\"Username\":..,\"Secret\":..} on stdin and keep it\n"
	       "  get      read a server URL on stdin and print its credentials as JSON\n"
	       "  erase    read a server URL on stdin and forget its credentials\n"
	       "  list     print {\"server URL\":\"username\",...} for every entry\n"
	       "  version  print the version\n"
	       "  doctor   show which store is used and why, and whether it answers\n",
	       h->summary);
	if (h->notes)
		printf("\n%s", h->notes);
	printf("\nErrors are printed on stdout with exit status 1, as docker expects.\n"
	       "See docker-credential-%s(1) for settings and environment variables.\n",
	       h->name);
}

static const struct command {
	const char *name;
	int (*fn)(struct run *r);
} commands[] = {
	{ "store", cmd_store },
	{ "get", cmd_get },
	{ "erase", cmd_erase },
	{ "list", cmd_list },
	{ "version", cmd_version },
	{ "doctor", cmd_doctor },
};

int credkit_main(const struct helper *h, int argc, char **argv)
{
	struct run r = { .helper = h, .err = CK_ERROR_INIT };
	const struct command *cmd = NULL;
	size_t i;
	int ret;

	secure_init();
	/* JSON values may hold secrets: wipe every block jansson frees. */
	json_set_alloc_funcs(malloc, secure_free);

	if (argc != 2) {
		usage(stdout, h);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		help(h);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v"))
		return cmd_version(&r) ? 1 : 0;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		char shown[65];

		for (i = 0; argv[1][i] && i < sizeof(shown) - 1; i++)
			shown[i] = (unsigned char)argv[1][i] < 0x20 ? '?' : argv[1][i];
		shown[i] = '\0';
		printf("docker-credential-%s: unknown action: %s (usage: docker-credential-%s "
		       "<store|get|erase|list|version>)\n", h->name, shown, h->name);
		return 1;
	}

	ret = cmd->fn(&r);
	if (ret) {
		if (!r.err.msg[0])
			ck_error(&r.err, CK_FAILED, "%s failed", cmd->name);
		printf("%s\n", r.err.msg);
		fflush(stdout);
	}
	if (r.store)
		h->backend->close(r.store);
	secure_free(r.in.buf);
	return ret ? 1 : 0;
}
