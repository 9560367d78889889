/* SPDX-License-Identifier: MIT */
/*
 * kubelet.c - the wire of a kubelet image credential provider: the
 * request, the kubelet's matching of images, Go's duration text and the
 * response (see tokens/kubelet.h).
 *
 * The matching reads patterns and images as Go's net/url, net and path
 * packages read them, since that is what the kubelet runs; each step below
 * names the Go function whose reading it follows.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tokens/kubelet.h"

/* --- reading the request --------------------------------------------------- */

int kubelet_read(int fd, struct secret *in, struct ck_error *err)
{
	size_t got = 0;
	ssize_t n;

	/* One buffer of the bound and a byte more, to see the bound passed. */
	if (secret_alloc(in, KUBELET_REQUEST_MAX + 1))
		return ck_error(err, CK_FAILED, "out of memory reading the request");
	while (got <= KUBELET_REQUEST_MAX) {
		n = read(fd, in->buf + got, KUBELET_REQUEST_MAX + 1 - got);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			in->len = got;
			secret_release(in);
			return ck_error(err, CK_FAILED, "cannot read the request: %s",
					strerror(errno));
		}
		got += (size_t)n;
	}
	in->len = got;
	if (got > KUBELET_REQUEST_MAX) {
		secret_release(in);
		return ck_error(err, CK_BAD_INPUT, "the request is longer than %d bytes",
				KUBELET_REQUEST_MAX);
	}
	in->buf[got] = '\0';
	return 0;
}

/* --- Go's reading of a schemeless URL --------------------------------------- */

/* What url.Parse("https://" + s) says of s, decoded. */
struct go_url {
	char host[1024];		/* URL.Host: host[:port] */
	char path[KUBELET_IMAGE_MAX];	/* URL.Path */
};

/* The value of hex digit c (either case), or -1. */
static int hex_value(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p = c ? strchr(digits, tolower((unsigned char)c)) : NULL;

	return p ? (int)(p - digits) : -1;
}

/* Whether url.Parse keeps byte c in a host unescaped (shouldEscape). */
static int host_byte_ok(unsigned char c)
{
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("-_.~!$&'()*+,;=:[]<>\"", c);
}

enum escapes { IN_HOST, IN_PATH, IN_OTHER };

/*
 * Decode the len bytes at s as url's unescape() does for where: every '%'
 * followed by two hex digits; in a host, only bytes url.Parse allows there
 * and only %25 or non-ASCII bytes escaped.  Into out[size] (NULL: check
 * only).  0, or -1 for what Go refuses, an escaped NUL or no room.
 */
static int go_unescape(const char *s, size_t len, enum escapes where, char *out,
		       size_t size)
{
	size_t i, o = 0;
	int hi, lo;
	char c;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '%') {
			if (i + 2 >= len || (hi = hex_value(s[i + 1])) < 0 ||
			    (lo = hex_value(s[i + 2])) < 0)
				return -1;
			if (where == IN_HOST && hi < 8 && strncmp(s + i, "%25", 3))
				return -1;
			c = (char)(hi * 16 + lo);
			if (!c)
				return -1;
			i += 2;
		} else if (where == IN_HOST && !host_byte_ok((unsigned char)c)) {
			return -1;
		}
		if (out) {
			if (o + 1 >= size)
				return -1;
			out[o++] = c;
		}
	}
	if (out)
		out[o] = '\0';
	return 0;
}

/* validOptionalPort(): "" or ':' and digits only. */
static int port_ok(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return 1;
	if (s[0] != ':')
		return 0;
	for (i = 1; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The last c among the len bytes at s, or NULL. */
static const char *last_of(const char *s, size_t len, char c)
{
	while (len--)
		if (s[len] == c)
			return s + len;
	return NULL;
}

/*
 * Read s as url.Parse("https://" + s) does (parse(), parseAuthority(),
 * parseHost(), setPath()) into u.  0, or -1 where it returns an error.
 */
static int go_parse(const char *s, struct go_url *u)
{
	const char *hash = strchr(s, '#'), *end, *q, *auth, *slash, *at, *host, *p;
	size_t len, n;

	end = hash ? hash : s + strlen(s);
	for (p = s; p < end; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -1;
	if (hash && go_unescape(hash + 1, strlen(hash + 1), IN_OTHER, NULL, 0))
		return -1;
	/* The query (even a lone '?' at the end: ForceQuery) is not looked at. */
	q = memchr(s, '?', (size_t)(end - s));
	if (q)
		end = q;
	auth = s;
	slash = memchr(auth, '/', (size_t)(end - auth));
	len = (size_t)((slash ? slash : end) - auth);
	at = last_of(auth, len, '@');
	if (at) {
		for (p = auth; p < at; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || strchr("-._:~!$&'()*+,;=%@", *p)))
				return -1;
		if (go_unescape(auth, (size_t)(at - auth), IN_OTHER, NULL, 0))
			return -1;
	}
	host = at ? at + 1 : auth;
	n = len - (size_t)(host - auth);
	if (n && host[0] == '[') {
		p = last_of(host, n, ']');
		if (!p || !port_ok(p + 1, n - (size_t)(p + 1 - host)))
			return -1;
		/* Go reads a zone after "%25" apart; no registry has one. */
		if (memchr(host, '%', n))
			return -1;
	} else if ((p = last_of(host, n, ':')) && !port_ok(p, n - (size_t)(p - host))) {
		return -1;
	}
	if (go_unescape(host, n, IN_HOST, u->host, sizeof(u->host)))
		return -1;
	if (!slash) {
		u->path[0] = '\0';
		return 0;
	}
	return go_unescape(slash, (size_t)(end - slash), IN_PATH, u->path, sizeof(u->path));
}

struct piece {
	const char *s;
	size_t len;
};

/*
 * Split a URL's host[:port] as the kubelet's SplitURL() does with
 * net.SplitHostPort(): host and port when it splits, else all of it as
 * the host and no port.
 */
static void go_split_host(const char *hostport, struct piece *host, struct piece *port)
{
	size_t len = strlen(hostport);
	const char *colon = last_of(hostport, len, ':'), *close = NULL;
	const char *from_open, *from_close;

	host->s = hostport;
	host->len = len;
	port->s = "";
	port->len = 0;
	if (!colon)
		return;				/* missing port */
	from_open = from_close = hostport;
	if (hostport[0] == '[') {
		close = strchr(hostport, ']');
		if (!close || close + 1 != colon)
			return;			/* missing ']', port or too many colons */
		from_open = hostport + 1;
		from_close = close + 1;
	} else if (memchr(hostport, ':', (size_t)(colon - hostport))) {
		return;				/* too many colons */
	}
	if (strchr(from_open, '[') || strchr(from_close, ']'))
		return;				/* unexpected '[' or ']' */
	if (hostport[0] == '[') {
		host->s = hostport + 1;
		host->len = (size_t)(close - hostport - 1);
	} else {
		host->len = (size_t)(colon - hostport);
	}
	port->s = colon + 1;
	port->len = strlen(colon + 1);
}

/* --- Go's path.Match, on one host label ------------------------------------- */

/* utf8.DecodeRuneInString(): an invalid byte is U+FFFD of width 1. */
static long go_rune(const char *s, size_t len, size_t *width)
{
	const unsigned char *p = (const unsigned char *)s;
	long r, min;
	size_t need, i;

	*width = 1;
	if (p[0] < 0x80)
		return p[0];
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 1, r = p[0] & 0x1f, min = 0x80;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		need = 2, r = p[0] & 0x0f, min = 0x800;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		need = 3, r = p[0] & 0x07, min = 0x10000;
	else
		return 0xfffd;
	if (len < need + 1)
		return 0xfffd;
	for (i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0xfffd;
		r = r << 6 | (p[i] & 0x3f);
	}
	if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		return 0xfffd;
	*width = need + 1;
	return r;
}

/*
 * One character of a class ("[...]") at *c, taking an escape: its rune,
 * *c moved past it.  -1 where Go's getEsc() says the pattern is bad.
 */
static long class_char(struct piece *c)
{
	size_t width;
	long r;

	if (!c->len || c->s[0] == '-' || c->s[0] == ']')
		return -1;
	if (c->s[0] == '\\') {
		c->s++;
		if (!--c->len)
			return -1;
	}
	r = go_rune(c->s, c->len, &width);
	if (r == 0xfffd && width == 1)
		return -1;
	c->s += width;
	c->len -= width;
	return c->len ? r : -1;
}

/*
 * Whether chunk (a pattern part without '*') matches the start of s, as
 * matchChunk() decides: 1 with *rest the remainder of s, 0 not, -1 for a
 * bad pattern (which Go reports even once the match has failed).
 */
static int match_chunk(struct piece chunk, struct piece s, struct piece *rest)
{
	int failed = 0, hit, negated;
	long r = 0, lo, hi;
	size_t width, ranges;

	while (chunk.len) {
		if (!s.len)
			failed = 1;
		if (chunk.s[0] == '[') {
			if (!failed) {
				r = go_rune(s.s, s.len, &width);
				s.s += width;
				s.len -= width;
			}
			chunk.s++;
			chunk.len--;
			negated = chunk.len && chunk.s[0] == '^';
			if (negated)
				chunk.s++, chunk.len--;
			hit = 0;
			for (ranges = 0;; ranges++) {
				if (chunk.len && chunk.s[0] == ']' && ranges) {
					chunk.s++;
					chunk.len--;
					break;
				}
				if ((lo = hi = class_char(&chunk)) < 0)
					return -1;
				if (chunk.s[0] == '-') {
					chunk.s++;
					chunk.len--;
					if ((hi = class_char(&chunk)) < 0)
						return -1;
				}
				if (lo <= r && r <= hi)
					hit = 1;
			}
			if (hit == negated)
				failed = 1;
			continue;
		}
		if (chunk.s[0] == '?') {
			if (!failed) {
				if (s.s[0] == '/')
					failed = 1;
				go_rune(s.s, s.len, &width);
				s.s += width;
				s.len -= width;
			}
			chunk.s++;
			chunk.len--;
			continue;
		}
		if (chunk.s[0] == '\\') {
			chunk.s++;
			if (!--chunk.len)
				return -1;
		}
		if (!failed) {
			if (chunk.s[0] != s.s[0])
				failed = 1;
			s.s++;
			s.len--;
		}
		chunk.s++;
		chunk.len--;
	}
	if (failed)
		return 0;
	*rest = s;
	return 1;
}

/* scanChunk(): the next run of pattern without '*', after any stars. */
static int next_chunk(struct piece *pattern, struct piece *chunk)
{
	int star = 0, in_class = 0;
	size_t i;

	while (pattern->len && pattern->s[0] == '*') {
		pattern->s++;
		pattern->len--;
		star = 1;
	}
	for (i = 0; i < pattern->len; i++) {
		if (pattern->s[i] == '\\' && i + 1 < pattern->len)
			i++;
		else if (pattern->s[i] == '[')
			in_class = 1;
		else if (pattern->s[i] == ']')
			in_class = 0;
		else if (pattern->s[i] == '*' && !in_class)
			break;
	}
	chunk->s = pattern->s;
	chunk->len = i;
	pattern->s += i;
	pattern->len -= i;
	return star;
}

/* Go's path.Match(pattern, name): 1, 0, or -1 for a bad pattern. */
static int go_match(struct piece pattern, struct piece name)
{
	struct piece chunk, rest, tail;
	int star, ret, found;
	size_t i;

	while (pattern.len) {
		star = next_chunk(&pattern, &chunk);
		if (star && !chunk.len)
			return !memchr(name.s, '/', name.len);
		ret = match_chunk(chunk, name, &rest);
		if (ret > 0 && (!rest.len || pattern.len)) {
			name = rest;
			continue;
		}
		if (ret < 0)
			return -1;
		found = 0;
		for (i = 0; star && !found && i < name.len && name.s[i] != '/'; i++) {
			tail.s = name.s + i + 1;
			tail.len = name.len - i - 1;
			ret = match_chunk(chunk, tail, &rest);
			if (ret < 0)
				return -1;
			/* The last chunk must end the name; another may leave some. */
			found = ret > 0 && (pattern.len || !rest.len);
		}
		if (found) {
			name = rest;
			continue;
		}
		/* No match: Go still reports a bad rest of the pattern. */
		tail.s = "";
		tail.len = 0;
		while (pattern.len) {
			next_chunk(&pattern, &chunk);
			if (match_chunk(chunk, tail, &rest) < 0)
				return -1;
		}
		return 0;
	}
	return !name.len;
}

/* --- the kubelet's matching -------------------------------------------------- */

/* The next dot-separated label of host (strings.Split): 1, or 0 at the end. */
static int next_label(struct piece *host, struct piece *label, int *more)
{
	const char *dot;

	if (!*more)
		return 0;
	dot = memchr(host->s, '.', host->len);
	label->s = host->s;
	label->len = dot ? (size_t)(dot - host->s) : host->len;
	*more = dot != NULL;
	if (dot) {
		host->len -= label->len + 1;
		host->s = dot + 1;
	}
	return 1;
}

/* URLsMatch(glob, target) on two parsed URLs. */
static int urls_match(const struct go_url *glob, const struct go_url *target)
{
	struct piece gh, gp, th, tp, gl, tl;
	int gmore = 1, tmore = 1, g, t;
	struct piece gcount, tcount;

	go_split_host(glob->host, &gh, &gp);
	go_split_host(target->host, &th, &tp);
	if (gp.len != tp.len || memcmp(gp.s, tp.s, gp.len))
		return 0;
	/* The same number of labels first, as Go counts them before matching. */
	gcount = gh;
	tcount = th;
	for (;;) {
		g = next_label(&gcount, &gl, &gmore);
		t = next_label(&tcount, &tl, &tmore);
		if (g != t)
			return 0;
		if (!g)
			break;
	}
	if (strncmp(target->path, glob->path, strlen(glob->path)))
		return 0;
	gmore = tmore = 1;
	while (next_label(&gh, &gl, &gmore) && next_label(&th, &tl, &tmore))
		if (go_match(gl, tl) != 1)
			return 0;
	return 1;
}

int kubelet_match(const char *pattern, const char *image)
{
	struct go_url *g = malloc(2 * sizeof(*g));
	int ret = 0;

	if (!g)
		return 0;
	if (pattern && image && !go_parse(pattern, &g[0]) && !go_parse(image, &g[1]))
		ret = urls_match(&g[0], &g[1]);
	free(g);
	return ret;
}

int kubelet_match_auth(const char *key, const char *image)
{
	struct go_url *u = malloc(sizeof(*u));
	const char *rest = key, *path;
	char *norm = NULL;
	int ret = 0;
	size_t size;

	if (!u || !key)
		goto out;
	/* keyring.Add(): a scheme dropped, then /v1/ or /v2/ of the path. */
	if (!strncmp(key, "https://", 8))
		rest = key + 8;
	else if (!strncmp(key, "http://", 7))
		rest = key + 7;
	if (go_parse(rest, u))
		goto out;
	path = u->path;
	if (!strncmp(path, "/v1/", 4) || !strncmp(path, "/v2/", 4))
		path += 3;
	if (!strcmp(path, "/"))
		path = "";
	size = strlen(u->host) + strlen(path) + 1;
	norm = malloc(size);
	if (!norm || snprintf(norm, size, "%s%s", u->host, path) != (int)size - 1)
		goto out;
	ret = kubelet_match(norm, image);
out:
	free(norm);
	free(u);
	return ret;
}

int kubelet_registry(const char *image, char *buf, size_t size, struct ck_error *err)
{
	const char *slash = strchr(image, '/');
	size_t len = slash ? (size_t)(slash - image) : strlen(image);
	char shown[128];
	struct go_url *u = malloc(sizeof(*u));
	struct piece host = { "", 0 }, port;
	int ret = -1;

	if (size)
		buf[0] = '\0';
	ck_printable(shown, sizeof(shown), image, strlen(image));
	if (!u)
		return ck_error(err, CK_FAILED, "out of memory");
	if (!len) {
		ck_error(err, CK_BAD_INPUT, "the image \"%s\" names no registry", shown);
		goto out;
	}
	if (len >= KUBELET_REGISTRY_MAX || len >= size) {
		ck_error(err, CK_BAD_INPUT, "the registry of the image \"%s\" is longer than "
			 "%d bytes", shown, KUBELET_REGISTRY_MAX - 1);
		goto out;
	}
	/* What the kubelet keys (the part before '/') must be the host it matches. */
	if (!go_parse(image, u))
		go_split_host(u->host, &host, &port);
	if (!host.len || strlen(u->host) != len || strncmp(u->host, image, len)) {
		ck_error(err, CK_BAD_INPUT, "the image \"%s\" does not start with a plain "
			 "registry host[:port] (as the kubelet reads it)", shown);
		goto out;
	}
	memcpy(buf, image, len);
	buf[len] = '\0';
	if (!kubelet_match_auth(buf, image)) {
		ck_error(err, CK_BAD_INPUT, "the kubelet would not match the image \"%s\" "
			 "against its own registry (a glob character in the host?)", shown);
		buf[0] = '\0';
		goto out;
	}
	ret = 0;
out:
	free(u);
	return ret;
}

/* --- Go's duration text ------------------------------------------------------ */

int kubelet_duration(long long seconds, char *buf, size_t size)
{
	const char *sign = seconds < 0 ? "-" : "";
	long long s = seconds < 0 ? -seconds : seconds;
	int n;

	if (size)
		buf[0] = '\0';
	if (seconds < -KUBELET_SECONDS_MAX || seconds > KUBELET_SECONDS_MAX)
		return -1;
	/* Go shows every unit below the largest one that is not zero. */
	if (s >= 3600)
		n = snprintf(buf, size, "%s%lldh%lldm%llds", sign, s / 3600, s / 60 % 60, s % 60);
	else if (s >= 60)
		n = snprintf(buf, size, "%s%lldm%llds", sign, s / 60, s % 60);
	else
		n = snprintf(buf, size, "%s%llds", sign, s);
	if (n < 0 || (size_t)n >= size) {
		if (size)
			buf[0] = '\0';
		return -1;
	}
	return 0;
}

/* --- the request --------------------------------------------------------------- */

const char *kubelet_api_text(enum kubelet_api api)
{
	switch (api) {
	case KUBELET_V1:
		return KUBELET_API_V1;
	case KUBELET_V1BETA1:
		return KUBELET_API_V1BETA1;
	}
	return NULL;
}

void kubelet_request_release(struct kubelet_request *req)
{
	size_t i;

	for (i = 0; i < req->annotations_nr; i++) {
		free(req->annotations[i].key);
		free(req->annotations[i].value);
	}
	free(req->annotations);
	free(req->image);
	secret_release(&req->token);
	*req = (struct kubelet_request)KUBELET_REQUEST_INIT;
}

const char *kubelet_annotation(const struct kubelet_request *req, const char *key)
{
	size_t i;

	for (i = 0; i < req->annotations_nr; i++)
		if (!strcmp(req->annotations[i].key, key))
			return req->annotations[i].value;
	return NULL;
}

/* Wipe the text of a JSON string in place (it may be a secret). */
static void wipe_json_string(json_t *s)
{
	if (json_is_string(s))
		secure_wipe((char *)json_string_value(s), json_string_length(s));
}

/*
 * The string field name of obj: 1 with *out borrowed from obj, 0 when it
 * is absent or null, -1 with err when it is another type.
 */
static int string_field(json_t *obj, const char *name, const char **out,
			struct ck_error *err)
{
	json_t *v = json_object_get(obj, name);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return ck_error(err, CK_BAD_INPUT, "the request's %s is not a string", name);
	*out = json_string_value(v);
	return 1;
}

/* Why jansson refused the text, in words that quote none of it. */
static const char *json_why(const json_error_t *jerr)
{
	switch (json_error_code(jerr)) {
	case json_error_duplicate_key:
		return "a field appears twice";
	case json_error_premature_end_of_input:
		return "it ends early";
	case json_error_end_of_input_expected:
		return "something follows the object";
	case json_error_invalid_utf8:
		return "it is not UTF-8";
	case json_error_null_character:
	case json_error_null_byte_in_key:
		return "it holds a NUL";
	case json_error_stack_overflow:
		return "it nests too deep";
	case json_error_out_of_memory:
		return "out of memory";
	default:
		return "it is not valid JSON";
	}
}

static int annotation_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kubelet_annotation *)a)->key,
		      ((const struct kubelet_annotation *)b)->key);
}

/* Copy the service-account annotations v (an object, else null) into req. */
static int take_annotations(json_t *v, struct kubelet_request *req, struct ck_error *err)
{
	const char *key;
	json_t *value;
	size_t n = json_object_size(v);

	if (!json_is_object(v))
		return ck_error(err, CK_BAD_INPUT, "the request's serviceAccountAnnotations "
				"is not an object");
	if (!n)
		return 0;
	req->annotations = calloc(n, sizeof(*req->annotations));
	if (!req->annotations)
		return ck_error(err, CK_FAILED, "out of memory");
	json_object_foreach(v, key, value) {
		struct kubelet_annotation *a = &req->annotations[req->annotations_nr];

		if (!json_is_string(value) && !json_is_null(value))
			return ck_error(err, CK_BAD_INPUT, "the request's serviceAccountAnnotations "
					"has a value that is not a string");
		a->key = strdup(key);
		a->value = strdup(json_is_string(value) ? json_string_value(value) : "");
		req->annotations_nr++;
		if (!a->key || !a->value)
			return ck_error(err, CK_FAILED, "out of memory");
	}
	qsort(req->annotations, req->annotations_nr, sizeof(*req->annotations),
	      annotation_cmp);
	return 0;
}

/* The fields of root, a JSON object, into req. */
static int take_request(json_t *root, struct kubelet_request *req, struct ck_error *err)
{
	const char *kind, *api, *image, *p;
	char shown[96];
	json_t *token = json_object_get(root, "serviceAccountToken");
	json_t *notes = json_object_get(root, "serviceAccountAnnotations");
	int ret;

	if ((ret = string_field(root, "kind", &kind, err)) < 0)
		return -1;
	if (!ret)
		return ck_error(err, CK_BAD_INPUT, "the request has no kind "
				"(CredentialProviderRequest)");
	if (strcmp(kind, "CredentialProviderRequest")) {
		ck_printable(shown, sizeof(shown), kind, strlen(kind));
		return ck_error(err, CK_BAD_INPUT, "the request's kind is \"%s\", not "
				"CredentialProviderRequest", shown);
	}
	if ((ret = string_field(root, "apiVersion", &api, err)) < 0)
		return -1;
	if (!ret)
		return ck_error(err, CK_BAD_INPUT, "the request has no apiVersion");
	if (!strcmp(api, KUBELET_API_V1)) {
		req->api = KUBELET_V1;
	} else if (!strcmp(api, KUBELET_API_V1BETA1)) {
		req->api = KUBELET_V1BETA1;
	} else {
		ck_printable(shown, sizeof(shown), api, strlen(api));
		return ck_error(err, CK_BAD_INPUT, "the request's apiVersion \"%s\" is not "
				"supported (%s and %s are)", shown, KUBELET_API_V1,
				KUBELET_API_V1BETA1);
	}
	if (string_field(root, "image", &image, err) < 0)
		return -1;
	if (!image || !*image)
		return ck_error(err, CK_BAD_INPUT, "the request names no image");
	if (strlen(image) > KUBELET_IMAGE_MAX)
		return ck_error(err, CK_BAD_INPUT, "the request's image is longer than %d bytes",
				KUBELET_IMAGE_MAX);
	for (p = image; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return ck_error(err, CK_BAD_INPUT, "the request's image has a control "
					"character");
	if (kubelet_registry(image, req->registry, sizeof(req->registry), err))
		return -1;
	if (!(req->image = strdup(image)))
		return ck_error(err, CK_FAILED, "out of memory");

	if (req->api != KUBELET_V1 && ((token && !json_is_null(token)) ||
				       (notes && !json_is_null(notes))))
		return ck_error(err, CK_BAD_INPUT, "a %s request has a service-account field: "
				"only %s has them", KUBELET_API_V1BETA1, KUBELET_API_V1);
	if (token && !json_is_null(token)) {
		if (!json_is_string(token))
			return ck_error(err, CK_BAD_INPUT, "the request's serviceAccountToken is "
					"not a string");
		if (json_string_length(token) &&
		    secret_set(&req->token, json_string_value(token), json_string_length(token)))
			return ck_error(err, CK_FAILED, "out of memory");
	}
	if (notes && !json_is_null(notes))
		return take_annotations(notes, req, err);
	return 0;
}

int kubelet_parse_request(const char *buf, size_t len, struct kubelet_request *req,
			  struct ck_error *err)
{
	json_error_t jerr;
	json_t *root;
	int ret = -1;

	*req = (struct kubelet_request)KUBELET_REQUEST_INIT;
	if (len > KUBELET_REQUEST_MAX)
		return ck_error(err, CK_BAD_INPUT, "the request is longer than %d bytes",
				KUBELET_REQUEST_MAX);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return ck_error(err, CK_BAD_INPUT, "the request is not one JSON object: %s "
				"(line %d, column %d)", json_why(&jerr), jerr.line, jerr.column);
	if (!json_is_object(root))
		ck_error(err, CK_BAD_INPUT, "the request is not a JSON object");
	else
		ret = take_request(root, req, err);
	wipe_json_string(json_object_get(root, "serviceAccountToken"));
	json_decref(root);
	if (ret)
		kubelet_request_release(req);
	return ret;
}

/* --- the response -------------------------------------------------------------- */

/* Set obj's key to v, which it takes; -1 when v is NULL or memory ran out. */
static int put(json_t *obj, const char *key, json_t *v)
{
	return v ? json_object_set_new(obj, key, v) : -1;
}

int kubelet_response(const struct kubelet_answer *a, struct secret *out,
		     struct ck_error *err)
{
	const char *api = kubelet_api_text(a->api);
	json_t *root = NULL, *auth = NULL, *entry = NULL, *password = NULL;
	char duration[KUBELET_DURATION_MAX];
	size_t n;
	int ret = -1;

	secret_release(out);
	if (!api)
		return ck_error(err, CK_BAD_INPUT, "no such credential provider apiVersion");
	if (!a->registry || !*a->registry)
		return ck_error(err, CK_BAD_INPUT, "the response names no registry");
	if (a->cache_seconds != KUBELET_CACHE_DEFAULT &&
	    (a->cache_seconds < 0 || kubelet_duration(a->cache_seconds, duration,
						      sizeof(duration))))
		return ck_error(err, CK_BAD_INPUT, "the cache duration %lld s is not one the "
				"kubelet takes", a->cache_seconds);
	if (!a->username)
		return ck_error(err, CK_BAD_INPUT, "the answer for %s names no username",
				a->registry);
	if (!a->password || !a->password->buf ||
	    memchr(a->password->buf, '\0', a->password->len) ||
	    !(password = json_stringn(a->password->buf, a->password->len)))
		return ck_error(err, CK_BAD_INPUT, "the password for %s is not UTF-8 text "
				"without NUL", a->registry);
	/* Each object goes into its parent as soon as it is made: root owns all
	 * but password, which stays ours too, to be wiped however this ends. */
	if (!(root = json_object()) ||
	    put(root, "kind", json_string("CredentialProviderResponse")) ||
	    put(root, "apiVersion", json_string(api)) ||
	    put(root, "cacheKeyType", json_string("Registry")) ||
	    (a->cache_seconds != KUBELET_CACHE_DEFAULT &&
	     put(root, "cacheDuration", json_string(duration))) ||
	    put(root, "auth", auth = json_object()) ||
	    put(auth, a->registry, entry = json_object()) ||
	    put(entry, "username", json_string(a->username)) ||
	    json_object_set(entry, "password", password)) {
		ck_error(err, CK_BAD_INPUT, "cannot write the response for %s (a registry or "
			 "username that is not UTF-8, or out of memory)", a->registry);
		goto out;
	}
	/* Sized first, then dumped straight into the secret: no other copy. */
	n = json_dumpb(root, NULL, 0, JSON_COMPACT);
	if (!n || secret_alloc(out, n + 1)) {
		ck_error(err, CK_FAILED, "out of memory");
		goto out;
	}
	if (json_dumpb(root, out->buf, n, JSON_COMPACT) != n) {
		secret_release(out);
		ck_error(err, CK_FAILED, "the response changed while it was written");
		goto out;
	}
	out->buf[n] = '\n';
	ret = 0;
out:
	wipe_json_string(password);
	json_decref(password);
	json_decref(root);
	return ret;
}
