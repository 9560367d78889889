/* SPDX-License-Identifier: MIT */
/*
 * engine.c - the protocol loop every credkit helper runs.
 *
 * It promises what docker, podman, skopeo and BuildKit rely on:
 *  - stdout carries exactly one line: the answer, or the error text (with
 *    exit status 1); diagnostics go to stderr;
 *  - the protocol's texts ("credentials not found in native keychain", "no
 *    credentials server URL", "no credentials username") are byte for byte;
 *  - stdin is read as the Go helpers read it (credentials/credentials.go):
 *    as lines joined without their line breaks, get and erase trimming
 *    what Go's strings.TrimSpace trims, store decoding the first JSON value
 *    as encoding/json decodes it into {ServerURL, Username, Secret} (keys
 *    folded as Go folds them, the last of a repeated key winning, null
 *    leaving a field alone, what follows the value unread); but at most
 *    ENGINE_INPUT_MAX bytes in all, and never what Go would alter (invalid
 *    UTF-8) or what no store keeps (control characters, NUL);
 *  - get and erase find an entry stored under another spelling of the same
 *    registry (see registry.h), and never one of a different registry;
 *  - every buffer that held a secret is wiped before it is freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dockercfg.h"
#include "engine.h"
#include "registry.h"
#include "stores/store.h"
#include "tokens/token.h"

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
	int online;	/* doctor --online */
	int argc;	/* configure's arguments: argv[2] on */
	char **argv;
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

/*
 * Join the lines of in as Go's bufio.Scanner with ScanLines splits them and
 * the Go helpers concatenate them: every "\n" goes, and so does a "\r"
 * just before one or at the very end.  In place; in stays NUL-terminated
 * and the bytes freed at its end are wiped.
 */
static void join_lines(struct input *in)
{
	size_t from, to = 0, n;
	char *nl;

	for (from = 0; from < in->len; from += n + 1) {
		nl = memchr(in->buf + from, '\n', in->len - from);
		n = nl ? (size_t)(nl - in->buf) - from : in->len - from;
		memmove(in->buf + to, in->buf + from, n);
		to += n;
		if (n && in->buf[to - 1] == '\r')
			to--;
	}
	secure_wipe(in->buf + to, in->len - to);
	in->buf[to] = '\0';
	in->len = to;
}

/*
 * The UTF-8 forms of what Go's unicode.IsSpace calls a space beyond ASCII:
 * U+0085, U+00A0, U+1680, U+2000 to U+200A, U+2028, U+2029, U+202F, U+205F
 * and U+3000 (the White_Space property).
 */
static const char *const unicode_spaces[] = {
	"\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80",
	"\xe2\x80\x80", "\xe2\x80\x81", "\xe2\x80\x82", "\xe2\x80\x83",
	"\xe2\x80\x84", "\xe2\x80\x85", "\xe2\x80\x86", "\xe2\x80\x87",
	"\xe2\x80\x88", "\xe2\x80\x89", "\xe2\x80\x8a",
	"\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\x9f",
	"\xe3\x80\x80",
};

/*
 * The length of the space that starts (at_end 0) or ends (at_end 1) the
 * bytes from start to end, or 0 when there is none there.
 */
static size_t space_len(const char *start, const char *end, int at_end)
{
	size_t i, n, len = (size_t)(end - start);
	char c;

	if (!len)
		return 0;
	c = at_end ? end[-1] : *start;
	if (c && strchr(" \t\n\v\f\r", c))
		return 1;
	for (i = 0; i < sizeof(unicode_spaces) / sizeof(*unicode_spaces); i++) {
		n = strlen(unicode_spaces[i]);
		if (n <= len && !memcmp(at_end ? end - n : start, unicode_spaces[i], n))
			return n;
	}
	return 0;
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/*
 * The server URL of a get or erase: the joined lines of stdin trimmed as
 * Go's strings.TrimSpace trims, in place.  Returns it (borrowed from in),
 * or NULL with err: CK_NOT_FOUND for a string that is not valid UTF-8,
 * which no store can hold an entry for (ours refuse it, the Go helpers
 * replace it with U+FFFD), so that no store is asked about it.
 */
static const char *input_server(struct input *in, struct ck_error *err)
{
	char *start, *end;
	size_t n;

	join_lines(in);
	start = in->buf;
	end = in->buf + in->len;
	if (memchr(in->buf, '\0', in->len))
		return ck_error(err, CK_BAD_INPUT,
				"server URL on standard input contains a NUL byte"), NULL;
	while ((n = space_len(start, end, 0)))
		start += n;
	while ((n = space_len(start, end, 1)))
		end -= n;
	*end = '\0';
	if (start == end)
		return ck_error(err, CK_NO_SERVER, NULL), NULL;
	if (has_control(start))
		return ck_error(err, CK_BAD_INPUT,
				"server URL on standard input contains control characters"), NULL;
	if (!ck_utf8_valid(start, (size_t)(end - start)))
		return ck_error(err, CK_NOT_FOUND, NULL), NULL;
	return start;
}

/*
 * How each JSON value of a store is decoded: alone, whatever follows it,
 * with \u0000 and any number accepted where Go accepts them (they are
 * refused later where a field cannot hold them).
 */
#define LOAD_FLAGS (JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL | \
		    JSON_DECODE_INT_AS_REAL)

enum field { SERVER, USERNAME, SECRET, FIELDS };

static const char *const field_names[FIELDS] = { "ServerURL", "Username", "Secret" };

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/*
 * Whether the JSON key (len bytes, NULs included) names the field name, as
 * Go's encoding/json folds them: ASCII letters in any case, and U+017F
 * (long s) and U+212A (Kelvin sign), whose simple case folds are "s" and
 * "k"; no other rune folds to an ASCII letter.
 */
static int key_names(const char *key, size_t len, const char *name)
{
	size_t i = 0;
	char c;

	for (; *name; name++) {
		c = ascii_lower(*name);
		if (i < len && ascii_lower(key[i]) == c)
			i++;
		else if (c == 's' && len - i >= 2 && !memcmp(key + i, "\xc5\xbf", 2))
			i += 2;
		else if (c == 'k' && len - i >= 3 && !memcmp(key + i, "\xe2\x84\xaa", 3))
			i += 3;
		else
			return 0;
	}
	return i == len;
}

/* Which field the JSON string key names, or FIELDS for none. */
static enum field field_of(json_t *key)
{
	enum field f;

	for (f = 0; f < FIELDS; f++)
		if (key_names(json_string_value(key), json_string_length(key),
			      field_names[f]))
			break;
	return f;
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
	case json_error_null_character:
	case json_error_null_byte_in_key:
		return "a NUL character";
	case json_error_numeric_overflow:
		return "a number too large";
	case json_error_stack_overflow:
		return "values nested too deeply";
	case json_error_out_of_memory:
		return "out of memory";
	default:
		return "it cannot be parsed";
	}
}

/*
 * Fill err for a JSON text that is wrong (code) at offset pos of the
 * joined input (stdin without its line breaks: see join_lines).  Returns -1.
 */
static int bad_json(struct ck_error *err, size_t pos, enum json_error_code code)
{
	return ck_error(err, CK_BAD_INPUT,
			"invalid credentials JSON on standard input: %s%s at byte %zu, "
			"line breaks not counted", json_problem(code),
			code == json_error_invalid_utf8 ?
			" (refused, not replaced with U+FFFD)" : "", pos + 1);
}

/*
 * Where the store input had a \u escape of a lone UTF-16 surrogate: jansson
 * refuses one anywhere, Go's encoding/json decodes it as U+FFFD.  Each is
 * rewritten in place as \ufffd (the same six bytes), so that a value under
 * an ignored key is skipped as Go skips it, and its offset is kept, so that
 * one in a field is refused (see parse_cred).
 */
struct marks {
	size_t *at;	/* offsets of the rewritten escapes, ascending */
	size_t n;
};

/* The value of the four hex digits at s, or -1. */
static long hex4(const char *s)
{
	long v = 0;
	int i, d;

	for (i = 0; i < 4; i++) {
		d = (s[i] >= '0' && s[i] <= '9') ? s[i] - '0' :
		    (s[i] >= 'a' && s[i] <= 'f') ? s[i] - 'a' + 10 :
		    (s[i] >= 'A' && s[i] <= 'F') ? s[i] - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/*
 * Rewrite every lone surrogate escape of in as \ufffd, noting where in m.
 * A backslash starts an escape wherever it stands: outside a string it is
 * a syntax error all the same.  Returns 0, or -1 with err (out of memory).
 */
static int mark_surrogates(struct input *in, struct marks *m, struct ck_error *err)
{
	size_t i = 0;
	long cp, next;
	size_t *grown;

	while (i + 1 < in->len) {
		if (in->buf[i] != '\\') {
			i++;
			continue;
		}
		if (in->buf[i + 1] != 'u' || in->len - i < 6 || (cp = hex4(in->buf + i + 2)) < 0 ||
		    cp < 0xd800 || cp > 0xdfff) {
			i += 2;
			continue;
		}
		if (cp <= 0xdbff && in->len - i >= 12 && in->buf[i + 6] == '\\' &&
		    in->buf[i + 7] == 'u' && (next = hex4(in->buf + i + 8)) >= 0xdc00 &&
		    next <= 0xdfff) {
			i += 12;	/* a pair: one character */
			continue;
		}
		grown = realloc(m->at, (m->n + 1) * sizeof(*m->at));
		if (!grown)
			return ck_error(err, CK_FAILED, "out of memory");
		m->at = grown;
		m->at[m->n++] = i;
		memcpy(in->buf + i + 2, "fffd", 4);
		i += 6;
	}
	return 0;
}

/* Whether m has an offset from from to before to. */
static int marked(const struct marks *m, size_t from, size_t to)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->at[i] >= from && m->at[i] < to)
			return 1;
	return 0;
}

/* Skip JSON's whitespace (all that Go's decoder skips) from *pos. */
static void skip_space(const struct input *in, size_t *pos)
{
	while (*pos < in->len && in->buf[*pos] && strchr(" \t\r\n", in->buf[*pos]))
		++*pos;
}

/*
 * Decode the one JSON value at byte *pos of in and move *pos past it.
 * Returns a new reference, or NULL with err.  Its text is not jansson's:
 * that quotes the input, secret and all.
 */
static json_t *load_value(const struct input *in, size_t *pos, struct ck_error *err)
{
	json_error_t jerr;
	json_t *v;

	v = json_loadb(in->buf + *pos, in->len - *pos, LOAD_FLAGS, &jerr);
	if (!v)
		bad_json(err, *pos + (size_t)jerr.position, json_error_code(&jerr));
	else
		*pos += (size_t)jerr.position;
	secure_wipe(&jerr, sizeof(jerr));	/* its text quotes the input */
	return v;
}

/*
 * Expect the byte c at *pos (after whitespace) and move past it.  Returns
 * 0, or -1 with err.
 */
static int expect(const struct input *in, size_t *pos, char c, struct ck_error *err)
{
	skip_space(in, pos);
	if (*pos == in->len)
		return bad_json(err, *pos, json_error_premature_end_of_input);
	if (in->buf[*pos] != c)
		return bad_json(err, *pos, json_error_invalid_syntax);
	++*pos;
	return 0;
}

/*
 * Decode the members of the JSON object at byte *pos (its '{') one by one,
 * as Go's encoding/json fills a struct: field[f] becomes the last string
 * value given to a key that names field f (an owned reference; a null
 * changes nothing), other keys are ignored, and *mistyped is set to the
 * first field given another type (which fails the store, as in Go, but
 * only once the whole object is known to be well-formed); unpaired[f]
 * says whether field f's value held a lone surrogate escape (see struct
 * marks).  Returns 0, or -1 with err for a text that is not JSON.
 */
static int load_members(const struct input *in, size_t *pos, const struct marks *m,
			json_t **field, int *unpaired, enum field *mistyped,
			struct ck_error *err)
{
	json_t *key, *value;
	enum field f;
	size_t start;

	if (expect(in, pos, '{', err))
		return -1;
	skip_space(in, pos);
	if (*pos < in->len && in->buf[*pos] == '}')
		return 0;
	for (;;) {
		skip_space(in, pos);
		if (*pos < in->len && in->buf[*pos] != '"')
			return bad_json(err, *pos, json_error_invalid_syntax);
		if (!(key = load_value(in, pos, err)))
			return -1;
		f = field_of(key);
		json_decref(key);
		if (expect(in, pos, ':', err))
			return -1;
		skip_space(in, pos);
		start = *pos;
		if (!(value = load_value(in, pos, err)))
			return -1;
		if (f < FIELDS && json_is_string(value)) {
			json_decref(field[f]);
			field[f] = value;
			unpaired[f] = marked(m, start, *pos);
		} else {
			if (f < FIELDS && !json_is_null(value) && *mistyped == FIELDS)
				*mistyped = f;
			json_decref(value);	/* the secret's JSON is wiped as it goes */
		}
		skip_space(in, pos);
		if (*pos < in->len && in->buf[*pos] == '}')
			return 0;
		if (expect(in, pos, ',', err))
			return -1;
	}
}

/* The field's text, "" when it was not given. */
static const char *text_of(json_t *v)
{
	return v ? json_string_value(v) : "";
}

/*
 * Parse the store input into c.  Returns 0, or -1 with err (including the
 * protocol's "no credentials server URL" and "no credentials username").
 */
static int parse_cred(struct input *in, struct cred *c, struct ck_error *err)
{
	json_t *field[FIELDS] = { NULL, NULL, NULL }, *top;
	int unpaired[FIELDS] = { 0, 0, 0 };
	enum field mistyped = FIELDS, f;
	struct marks m = { NULL, 0 };
	size_t pos = 0;
	int ret = -1;

	join_lines(in);
	skip_space(in, &pos);
	if (pos == in->len)
		return ck_error(err, CK_BAD_INPUT,
				"no credentials on standard input: expected {\"ServerURL\":...,\"Username\":...,\"Secret\":...}");
	if (mark_surrogates(in, &m, err))
		goto out;
	if (in->buf[pos] != '{') {	/* Go leaves every field empty for null */
		if (!(top = load_value(in, &pos, err)))
			goto out;
		ret = json_is_null(top) ? ck_error(err, CK_NO_SERVER, NULL) :
		      ck_error(err, CK_BAD_INPUT,
			       "invalid credentials JSON on standard input: expected an object");
		json_decref(top);
		goto out;
	}
	if (load_members(in, &pos, &m, field, unpaired, &mistyped, err))
		goto out;
	if (mistyped < FIELDS) {
		ck_error(err, CK_BAD_INPUT, "invalid credentials: \"%s\" must be a string",
			 field_names[mistyped]);
		goto out;
	}
	for (f = 0; f < FIELDS; f++)
		if (unpaired[f]) {
			ck_error(err, CK_BAD_INPUT,
				 "invalid credentials: \"%s\" holds a \\u escape of a lone UTF-16 "
				 "surrogate (refused, not replaced with U+FFFD)", field_names[f]);
			goto out;
		}
	if (!*text_of(field[SERVER])) {
		ck_error(err, CK_NO_SERVER, NULL);
		goto out;
	}
	if (!*text_of(field[USERNAME])) {
		ck_error(err, CK_NO_USERNAME, NULL);
		goto out;
	}
	c->server = strdup(text_of(field[SERVER]));
	c->username = strdup(text_of(field[USERNAME]));
	if (!c->server || !c->username ||
	    secret_set(&c->secret, text_of(field[SECRET]),
		       field[SECRET] ? json_string_length(field[SECRET]) : 0)) {
		ck_error(err, CK_FAILED, "out of memory");
		goto out;
	}
	if (strlen(c->server) != json_string_length(field[SERVER]) ||
	    strlen(c->username) != json_string_length(field[USERNAME]) ||
	    has_control(c->server) || has_control(c->username)) {
		ck_error(err, CK_BAD_INPUT,
			 "invalid credentials: ServerURL and Username must not contain control characters");
		goto out;
	}
	if (strlen(c->secret.buf) != c->secret.len) {
		ck_error(err, CK_BAD_INPUT,
			 "invalid credentials: Secret must not contain a NUL character (\\u0000)");
		goto out;
	}
	ret = 0;
out:
	for (f = 0; f < FIELDS; f++)
		json_decref(field[f]);
	free(m.at);
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
	if (r->helper->own_spellings || registry_key(exact, a->key, sizeof(a->key), NULL))
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
		if (!a.nr) {
			/* The list said nothing of err, which it may have cleared. */
			ck_error(&r->err, CK_NOT_FOUND, NULL);
			goto out;
		}
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
	if (!server && r->err.kind == CK_NOT_FOUND)
		return 0;	/* no entry of that name can exist */
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

/*
 * A token helper's cache entry in this store is not a login: list shows
 * it only to the token cache of its namespace (TOKEN_LIST_ENV), which then
 * sees no login.
 */
static int listed(const char *server)
{
	const char *ns = getenv(TOKEN_LIST_ENV);

	return ns ? token_is_key(server, ns) : !token_is_key(server, NULL);
}

static int add_entry(const char *server, const char *username, void *data,
		     struct ck_error *err)
{
	if (!listed(server))
		return 0;
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
	(void)username, (void)err;
	if (listed(server))
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
	if (r->helper->doctor) {
		if (r->helper->doctor(r->store, r->online, &r->err))
			ret = -1;
	} else if (r->online) {
		printf("\n(no online checks for docker-credential-%s)\n", r->helper->name);
	}
	if (first.kind != CK_OK)	/* a bad setting is the first thing to fix */
		r->err = first;
	return ret;
}

/*
 * configure: point docker's config.json (or the containers auth.json) at
 * this helper, and with --migrate move the logins that file keeps in base64
 * into the helper's store.  See dockercfg.h for how the file is written.
 */
struct configure {
	char **hosts;		/* borrowed from argv */
	size_t nhosts;
	int unset, dry_run, containers, migrate;
};

/*
 * For tests/t-configure.sh only, never for use: with this set to N,
 * configure --migrate kills itself with SIGKILL once it has stored and read
 * back the Nth login, before it writes the file, where an interruption
 * would hurt most.
 */
#define MIGRATE_KILL_ENV "CREDKIT_TEST_MIGRATE_KILL"

struct hostlist {
	char **v;	/* owned */
	size_t n;
};

static void hostlist_release(struct hostlist *l)
{
	while (l->n)
		free(l->v[--l->n]);
	free(l->v);
	l->v = NULL;
}

/* Add host to l unless it is there.  0, or -1 with err. */
static int hostlist_add(struct hostlist *l, const char *host, struct ck_error *err)
{
	char **grown;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], host))
			return 0;
	if (!(grown = realloc(l->v, (l->n + 1) * sizeof(*grown))))
		return ck_error(err, CK_FAILED, "out of memory");
	l->v = grown;
	if (!(l->v[l->n] = strdup(host)))
		return ck_error(err, CK_FAILED, "out of memory");
	l->n++;
	return 0;
}

/* Print "prefix: A, B, C" and a newline on f. */
static void print_hosts(FILE *f, const char *prefix, const struct hostlist *l)
{
	size_t i;

	fprintf(f, "%s", prefix);
	for (i = 0; i < l->n; i++)
		fprintf(f, "%s%s", i ? ", " : " ", l->v[i]);
	fputc('\n', f);
}

static int parse_configure(struct run *r, struct configure *o)
{
	char shown[65];
	const char *a;
	int i, hosts_only = 0;

	for (i = 2; i < r->argc; i++) {
		a = r->argv[i];
		if (!hosts_only && !strcmp(a, "--unset"))
			o->unset = 1;
		else if (!hosts_only && !strcmp(a, "--dry-run"))
			o->dry_run = 1;
		else if (!hosts_only && !strcmp(a, "--containers"))
			o->containers = 1;
		else if (!hosts_only && !strcmp(a, "--migrate"))
			o->migrate = 1;
		else if (!hosts_only && !strcmp(a, "--"))
			hosts_only = 1;
		else if (!hosts_only && a[0] == '-') {
			ck_printable(shown, sizeof(shown), a, strlen(a));
			return ck_error(&r->err, CK_BAD_INPUT,
					"configure: unknown option %s (usage: docker-credential-%s "
					"configure [HOST...] [--unset] [--dry-run] [--containers] "
					"[--migrate])", shown, r->helper->name);
		} else if (!*a || has_control(a) || !ck_utf8_valid(a, strlen(a)) ||
			   strlen(a) >= REGISTRY_INPUT_MAX) {
			ck_printable(shown, sizeof(shown), a, strlen(a));
			return ck_error(&r->err, CK_BAD_INPUT,
					"configure: \"%s\" is not a registry host", shown);
		} else {
			o->hosts[o->nhosts++] = r->argv[i];
		}
	}
	if (o->unset && o->migrate)
		return ck_error(&r->err, CK_BAD_INPUT,
				"configure: --unset and --migrate do not go together");
	return 0;
}

/*
 * The file configure edits: $DOCKER_CONFIG/config.json (~/.docker by
 * default), or with containers $REGISTRY_AUTH_FILE, else
 * $XDG_RUNTIME_DIR/containers/auth.json.  A new string, or NULL with err.
 */
static char *config_path(int containers, struct ck_error *err)
{
	const char *v;
	char *path = NULL;
	int n;

	if (containers) {
		if ((v = getenv("REGISTRY_AUTH_FILE")) && *v)
			n = asprintf(&path, "%s", v);
		else if ((v = getenv("XDG_RUNTIME_DIR")) && *v)
			n = asprintf(&path, "%s/containers/auth.json", v);
		else
			return ck_error(err, CK_FAILED, "configure --containers: neither "
					"REGISTRY_AUTH_FILE nor XDG_RUNTIME_DIR is set (set "
					"REGISTRY_AUTH_FILE to the auth.json podman reads)"), NULL;
	} else if ((v = getenv("DOCKER_CONFIG")) && *v) {
		n = asprintf(&path, "%s/config.json", v);
	} else {
		/* HOME only: getpwuid() would need NSS in a static helper */
		if (!(v = getenv("HOME")) || !*v)
			return ck_error(err, CK_FAILED, "configure: no home folder (set "
					"DOCKER_CONFIG to the folder of config.json)"), NULL;
		n = asprintf(&path, "%s/.docker/config.json", v);
	}
	if (n < 0)
		return ck_error(err, CK_FAILED, "out of memory"), NULL;
	return path;
}

/* Callback of the hosts hook and of the auths walk: collect a host. */
static int collect_host(const char *host, const char *unused, void *data,
			struct ck_error *err)
{
	(void)unused;
	return hostlist_add(data, host, err);
}

/* The auths walk of --containers: collect the host of each key. */
static int collect_auth_host(const char *key, const char *unused, void *data,
			     struct ck_error *err)
{
	char host[REGISTRY_INPUT_MAX];

	(void)unused;
	if (dockercfg_host(key, host, sizeof(host)))
		return 0;	/* not a registry podman can name */
	return hostlist_add(data, host, err);
}

struct migration {
	struct run *r;
	struct dockercfg *cfg;
	const struct configure *o;
	struct hostlist moved, failed;
	long kill_after, done;
};

/* Whether a and b hold the same login. */
static int same_login(const struct cred *a, const struct cred *b)
{
	return a->username && b->username && !strcmp(a->username, b->username) &&
	       a->secret.len == b->secret.len &&
	       (!a->secret.len || !memcmp(a->secret.buf, b->secret.buf, a->secret.len));
}

/*
 * The auths walk of --migrate: the login that key keeps in the file, when
 * key goes to this helper, is stored in it, read back and compared, and
 * only then blanked in the document.  A login that cannot be moved stays
 * and is noted in m->failed, with its reason on stderr.  0, or -1 with err
 * when memory runs out.
 */
static int migrate_one(const char *key, const char *unused, void *data,
		       struct ck_error *err)
{
	struct migration *m = data;
	const struct backend *b = m->r->helper->backend;
	const char *who = dockercfg_helper_for(m->cfg, key, m->o->containers);
	struct cred c = CRED_INIT, back = CRED_INIT;
	struct ck_error e = CK_ERROR_INIT;
	int ret;

	(void)unused;
	if (!who || strcmp(who, m->r->helper->name))
		return 0;
	if ((ret = dockercfg_login(m->cfg, key, &c, &e)) == 1)
		return 0;	/* nothing in the file to move */
	if (!ret && m->o->dry_run)
		goto blank;	/* the file printed shows it moved */
	if (!ret && open_store(m->r)) {
		e = m->r->err;
		ret = -1;
	}
	if (!ret)
		ret = b->store(m->r->store, &c, &e);
	if (!ret)
		ret = b->get(m->r->store, key, &back, &e);
	if (!ret && !same_login(&c, &back))
		ret = ck_error(&e, CK_FAILED, "%s gives back another login than the one stored",
			       b->name);
	if (ret) {
		fprintf(stderr, "docker-credential-%s: cannot move %s: %s\n",
			m->r->helper->name, key, e.msg);
		ret = hostlist_add(&m->failed, key, err);
		goto out;
	}
	if (m->kill_after && ++m->done == m->kill_after)
		raise(SIGKILL);
blank:
	dockercfg_blank(m->cfg, key);
	ret = hostlist_add(&m->moved, key, err);
out:
	cred_release(&back);
	cred_release(&c);
	return ret;
}

/*
 * Make the edit o asks for in cfg; what it set is noted in *set (hosts
 * given credHelpers), *store (credsStore set) or *removed (--unset).
 * 0, or -1 with err.
 */
static int configure_edit(struct run *r, const struct configure *o, struct dockercfg *cfg,
			  struct hostlist *set, size_t *removed)
{
	const struct helper *h = r->helper;
	size_t i;

	if (o->unset) {
		*removed = dockercfg_unset(cfg, h->name, o->hosts, o->nhosts);
		return 0;
	}
	for (i = 0; i < o->nhosts; i++)
		if (hostlist_add(set, o->hosts[i], &r->err))
			return -1;
	if (!o->nhosts && h->hosts) {
		if (open_store(r) || h->hosts(r->store, collect_host, set, &r->err))
			return -1;
	} else if (!o->nhosts && o->containers) {
		if (dockercfg_each_auth(cfg, collect_auth_host, set, &r->err))
			return -1;
	} else if (!o->nhosts) {
		return dockercfg_set_store(cfg, h->name, &r->err);
	}
	if (!set->n)
		return ck_error(&r->err, CK_FAILED, "configure: nothing to set in %s: %s; "
				"name the hosts (docker-credential-%s configure%s HOST...)",
				cfg->path, h->hosts ? "this helper serves no host yet" :
				"podman, skopeo and buildah ignore credsStore, and auths names no host",
				h->name, o->containers ? " --containers" : "");
	for (i = 0; i < set->n; i++)
		if (dockercfg_set_helper(cfg, set->v[i], h->name, &r->err))
			return -1;
	return 0;
}

/* Say on f what configure did to path (or would do, for --dry-run). */
static void configure_report(FILE *f, const struct run *r, const struct configure *o,
			     const char *path, const struct hostlist *set, size_t removed,
			     const struct migration *m)
{
	const char *name = r->helper->name;
	char line[1024];
	size_t i;

	if (o->unset) {
		fprintf(f, "%s %zu setting%s naming %s from %s\n", o->dry_run ? "would remove" :
			"removed", removed, removed == 1 ? "" : "s", name, path);
	} else if (!set->n) {
		fprintf(f, "credsStore %s %s in %s\n", o->dry_run ? "would be" : "is now", name, path);
	} else {
		if (!o->nhosts && !r->helper->hosts)
			fprintf(f, "podman, skopeo and buildah ignore credsStore: credHelpers for "
				"every host in auths instead\n");
		snprintf(line, sizeof(line), "credHelpers in %s %s %s for", path,
			 o->dry_run ? "would name" : "now name", name);
		print_hosts(f, line, set);
	}
	for (i = 0; i < m->moved.n; i++)
		fprintf(f, "%s %s into %s\n", o->dry_run ? "would move" : "moved",
			m->moved.v[i], r->helper->backend->name);
	if (o->migrate && !m->moved.n && !m->failed.n)
		fprintf(f, "no login in %s to move into %s\n", path, r->helper->backend->name);
	if (o->dry_run)
		fprintf(f, "(dry run: %s is not written)\n", path);
}

static int cmd_configure(struct run *r)
{
	struct dockercfg cfg = DOCKERCFG_INIT;
	struct configure o = { .nhosts = 0 };
	struct migration m = { .r = r, .cfg = &cfg, .o = &o };
	struct hostlist set = { NULL, 0 };
	const char *knob = getenv(MIGRATE_KILL_ENV);
	char *path = NULL, *text = NULL;
	size_t removed = 0;
	int tries, saved = 1, ret = -1;

	if (!(o.hosts = calloc((size_t)r->argc, sizeof(*o.hosts))))
		return ck_error(&r->err, CK_FAILED, "out of memory");
	if (parse_configure(r, &o) || !(path = config_path(o.containers, &r->err)))
		goto out;
	m.kill_after = knob ? strtol(knob, NULL, 10) : 0;
	for (tries = 0; saved == 1 && tries < DOCKERCFG_TRIES; tries++) {
		hostlist_release(&set);
		hostlist_release(&m.moved);
		hostlist_release(&m.failed);
		if (dockercfg_load(&cfg, path, &r->err) ||
		    configure_edit(r, &o, &cfg, &set, &removed))
			goto out;
		if (o.migrate && dockercfg_each_auth(&cfg, migrate_one, &m, &r->err))
			goto out;
		if (o.dry_run) {
			if (!(text = dockercfg_dump(&cfg, &r->err)) ||
			    print_line(text, strlen(text) - 1, &r->err))
				goto out;
			saved = 0;
		} else if ((saved = dockercfg_save(&cfg, &r->err)) < 0) {
			goto out;
		}
	}
	if (saved) {
		ck_error(&r->err, CK_FAILED, "configure: %s changed under it %d times in a row: "
			 "run it again once nothing else writes the file", cfg.path, tries);
		goto out;
	}
	configure_report(o.dry_run ? stderr : stdout, r, &o, cfg.path, &set, removed, &m);
	if (m.failed.n) {
		char prefix[256];

		snprintf(prefix, sizeof(prefix), "docker-credential-%s: these logins stay in "
			 "the file, not moved:", r->helper->name);
		print_hosts(stderr, prefix, &m.failed);
		ck_error(&r->err, CK_FAILED, "configure --migrate could not move %zu login%s "
			 "(%s%s): they stay in %s", m.failed.n, m.failed.n == 1 ? "" : "s",
			 m.failed.v[0], m.failed.n > 1 ? ", ..." : "", cfg.path);
		goto out;
	}
	ret = 0;
out:
	fflush(stdout);
	secure_free(text);
	hostlist_release(&set);
	hostlist_release(&m.moved);
	hostlist_release(&m.failed);
	dockercfg_release(&cfg);
	free(path);
	free(o.hosts);
	return ret;
}

static void usage(FILE *f, const struct helper *h)
{
	fprintf(f, "Usage: docker-credential-%s <store|get|erase|list|version>\n", h->name);
}

static void help(const struct helper *h, int configure)
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
	if (configure)
		printf("  configure [HOST...] [--unset] [--dry-run] [--containers] [--migrate]\n"
		       "           point ~/.docker/config.json (--containers: podman's auth.json)\n"
		       "           at this helper; --migrate moves its base64 logins in here\n");
	if (h->notes)
		printf("\n%s", h->notes);
	printf("\nErrors are printed on stdout with exit status 1, as docker expects.\n"
	       "See docker-credential-%s(1) for settings and environment variables.\n",
	       h->name);
}

struct command {
	const char *name;
	int (*fn)(struct run *r);
};

static const struct command commands[] = {
	{ "store", cmd_store },
	{ "get", cmd_get },
	{ "erase", cmd_erase },
	{ "list", cmd_list },
	{ "version", cmd_version },
	{ "doctor", cmd_doctor },
};

/* Apart: only credkit_main() names it, so credkit_serve() links no editor. */
static const struct command configure_command = { "configure", cmd_configure };

/*
 * Keep fds 0, 1 and 2 taken for the whole run.  One the caller closed gets
 * /dev/null opened the other way round (stdin for writing, stdout and
 * stderr for reading), so that reading or writing it fails with EBADF as
 * on the closed fd, and no socket, key, lock or file that the run opens
 * takes its number, to be read as the input or to get the answer.
 * SIGPIPE is ignored: a reader gone is an EPIPE that finish() reports, not
 * a death by signal (a child gets it back at its default, see child.h).
 */
void credkit_hold_std(void)
{
	struct sigaction act;
	int fd, got;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		got = open("/dev/null", fd ? O_RDONLY : O_WRONLY);
		if (got >= 0 && got != fd)
			close(got);
	}
	memset(&act, 0, sizeof(act));
	sigemptyset(&act.sa_mask);
	act.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &act, NULL);
}

/*
 * The end of a run that returned ret: a run whose output did not all reach
 * stdout fails; the error of a failed one goes to stdout, as docker
 * expects, or to stderr when stdout cannot take it (closed, or its reader
 * gone), so that it is never lost.  Returns the exit status.
 */
static int finish(const struct helper *h, const char *verb, int ret, struct ck_error *err)
{
	if (!ret) {
		errno = 0;
		if (fflush(stdout) == EOF || ferror(stdout))
			ret = ck_error(err, CK_FAILED, "cannot write to standard output%s%s",
				       errno ? ": " : "", errno ? strerror(errno) : "");
	}
	if (!ret)
		return 0;
	if (!err->msg[0])
		ck_error(err, CK_FAILED, "%s failed", verb);
	if (printf("%s\n", err->msg) < 0 || fflush(stdout) == EOF)
		fprintf(stderr, "docker-credential-%s: %s\n", h->name, err->msg);
	return 1;
}

/* The protocol loop, with configure when it is given (else an unknown verb). */
static int serve(const struct helper *h, const struct command *configure, int argc,
		 char **argv)
{
	struct run r = { .helper = h, .err = CK_ERROR_INIT };
	const struct command *cmd = NULL;
	size_t i;
	int ret;

	credkit_hold_std();
	secure_init();
	/* JSON values may hold secrets: wipe every block jansson frees. */
	json_set_alloc_funcs(malloc, secure_free);

	/* doctor alone takes an option: --online, the only verb that may
	 * reach the network of its own accord. */
	if (argc == 3 && !strcmp(argv[1], "doctor") && !strcmp(argv[2], "--online")) {
		r.online = 1;
		argc = 2;
	}
	/* configure takes hosts and options, which it reads itself. */
	if (configure && argc > 2 && !strcmp(argv[1], "configure")) {
		r.argc = argc;
		r.argv = argv;
		argc = 2;
	}
	if (argc != 2) {
		usage(stdout, h);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		help(h, configure != NULL);
		return finish(h, argv[1], 0, &r.err);
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v"))
		return finish(h, argv[1], cmd_version(&r), &r.err);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			cmd = &commands[i];
	if (configure && !strcmp(argv[1], configure->name))
		cmd = configure;
	if (!cmd) {
		char shown[65];

		for (i = 0; argv[1][i] && i < sizeof(shown) - 1; i++)
			shown[i] = (unsigned char)argv[1][i] < 0x20 ? '?' : argv[1][i];
		shown[i] = '\0';
		printf("docker-credential-%s: unknown action: %s (usage: docker-credential-%s "
		       "<store|get|erase|list|version>)\n", h->name, shown, h->name);
		return 1;
	}

	ret = finish(h, cmd->name, cmd->fn(&r), &r.err);
	if (r.store)
		h->backend->close(r.store);
	secure_free(r.in.buf);
	return ret;
}

int credkit_main(const struct helper *h, int argc, char **argv)
{
	return serve(h, &configure_command, argc, argv);
}

int credkit_serve(const struct helper *h, int argc, char **argv)
{
	return serve(h, NULL, argc, argv);
}
