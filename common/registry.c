/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the registry host normaliser.  See include/registry.h.
 *
 * What it is for: so that docker, podman and skopeo find one stored entry
 * whatever spelling of a registry they pass, a server string is reduced to
 * a key, host[:port][path], and keys are compared.
 *
 * What it promises:
 *  - equal keys mean the same host, the same port and the same path, with
 *    one rule for the port, as docker keys a registry by host[:port] with
 *    the scheme dropped: the scheme never counts, the port counts as
 *    written, and 443 (the port every client uses for a registry given
 *    without one) is the same as none, so http://host, https://host, host
 *    and host:443 are one registry and host:80 another; a fallback on the
 *    key never reaches another registry;
 *  - it refuses rather than guesses: anything outside the plain grammar
 *
 *	[https:// | http://] host [:port] [/path]
 *
 *    with host a DNS-style name, an IPv4 address or a bracketed IPv6
 *    address, is CK_BAD_INPUT;
 *  - it reads at most REGISTRY_INPUT_MAX + 1 bytes of the input and writes
 *    nothing past its buffers;
 *  - error texts show at most SHOW_MAX bytes of the input, non-printable
 *    bytes as '?', and never what comes before an '@'.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "registry.h"

#define SHOW_MAX 64

/* The port every client uses for a registry given without one. */
#define DEFAULT_PORT 443

struct parser {
	const char *server;	/* the whole input, for error texts */
	struct ck_error *err;	/* may be NULL */
};

/*
 * Write into buf[size] a copy of s fit for an error text: whatever comes
 * before the last '@' becomes "***", bytes that are not printable ASCII
 * become "\xHH", and a copy that does not fit ends in "...".
 */
static void show(const char *s, char *buf, size_t size)
{
	const char *at = strrchr(s, '@');
	size_t n = 0, w;

	if (size < 8) {
		if (size)
			buf[0] = '\0';
		return;
	}
	if (at) {
		memcpy(buf, "***", 3);
		n = 3;
		s = at;
	}
	for (; *s; s++, n += w) {
		unsigned char c = (unsigned char)*s;

		w = (c < 0x20 || c >= 0x7f) ? 4 : 1;
		if (n + w + 4 > size)
			break;
		if (w == 1)
			buf[n] = (char)c;
		else if (snprintf(buf + n, 5, "\\x%02x", c) != 4)
			break;
	}
	if (*s) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}

static int reject(const struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Fill p->err with CK_BAD_INPUT and "not a registry address: "INPUT" WHY",
 * WHY made from fmt; returns -1.
 */
static int reject(const struct parser *p, const char *fmt, ...)
{
	char shown[SHOW_MAX + 8], why[256];
	va_list ap;
	int n;

	show(p->server, shown, sizeof(shown));
	va_start(ap, fmt);
	n = vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (n < 0)
		why[0] = '\0';
	return ck_error(p->err, CK_BAD_INPUT, "not a registry address: \"%s\" %s",
			shown, why);
}

/* Refuse the bytes that have no place anywhere in a registry reference. */
static int check_bytes(const struct parser *p)
{
	const unsigned char *s = (const unsigned char *)p->server;

	for (; *s; s++) {
		if (*s == ' ')
			return reject(p, "has a space");
		if (*s < ' ' || *s == 0x7f)
			return reject(p, "has the control character 0x%02x", *s);
		if (*s >= 0x80)
			return reject(p, "has a non-ASCII character (write an "
				      "international name in its xn-- form)");
		if (*s == '?' || *s == '#')
			return reject(p, "has a query or a fragment ('%c')", *s);
		if (*s == '%')
			return reject(p, "has percent-encoding ('%%'), which is "
				      "not accepted");
		if (*s == '\\')
			return reject(p, "has a backslash");
	}
	return 0;
}

/*
 * Set *rest to where the authority starts, past an https:// or http://,
 * which says nothing about the registry.  Returns 0, or -1 with p->err
 * for another scheme.
 */
static int skip_scheme(const struct parser *p, const char **rest)
{
	const char *s = p->server, *sep;

	*rest = s;
	if (!strncasecmp(s, "https://", 8))
		*rest = s + 8;
	else if (!strncasecmp(s, "http://", 7))
		*rest = s + 7;
	sep = strstr(*rest, "://");
	if (!sep || strcspn(*rest, "/") < (size_t)(sep - *rest))
		return 0;
	if (*rest != s)
		return reject(p, "has more than one scheme");
	return reject(p, "has a scheme other than https:// or http://");
}

static int is_name_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/*
 * A host made only of digits and dots must be an IPv4 address, so that
 * "2130706433" or "127.1" cannot stand for 127.0.0.1; rewrite it in
 * inet_ntop()'s form.  Other hosts are left alone.  Returns 0 or -1.
 */
static int check_ipv4(const struct parser *p, struct registry_ref *ref)
{
	struct in_addr a;

	if (ref->host[strspn(ref->host, "0123456789.")] != '\0')
		return 0;
	if (inet_pton(AF_INET, ref->host, &a) != 1)
		return reject(p, "has a numeric host that is not an IPv4 address "
			      "(four numbers from 0 to 255, no leading zeros)");
	if (!inet_ntop(AF_INET, &a, ref->host, sizeof(ref->host)))
		return reject(p, "has an IPv4 address that cannot be written back");
	return 0;
}

/*
 * Parse the host name at s, which ends at the first ':' of the len bytes of
 * the authority; store it lower-cased in ref->host and its length in *used.
 * Returns 0 or -1.
 */
static int parse_name(const struct parser *p, const char *s, size_t len,
		      struct registry_ref *ref, size_t *used)
{
	const char *colon = memchr(s, ':', len);
	size_t n = colon ? (size_t)(colon - s) : len, i;

	if (colon && memchr(colon + 1, ':', len - n - 1))
		return reject(p, "has more than one ':' in its host part (write "
			      "an IPv6 address in brackets, like [::1]:5000)");
	if (!n)
		return reject(p, "has no host");
	if (n > REGISTRY_HOST_MAX)
		return reject(p, "has a host name longer than %d characters",
			      REGISTRY_HOST_MAX);
	for (i = 0; i < n; i++)
		if (!is_name_byte(s[i]))
			return reject(p, "has '%c', which is not allowed in a "
				      "host name", s[i]);
	for (i = 0; i < n; i++)
		ref->host[i] = lower(s[i]);
	ref->host[n] = '\0';
	if (s[0] == '.' || s[n - 1] == '.' || strstr(ref->host, ".."))
		return reject(p, "has a host name with an empty label (a "
			      "leading, trailing or doubled '.')");
	if (s[0] == '-')
		return reject(p, "has a host name that starts with '-'");
	*used = n;
	return check_ipv4(p, ref);
}

/*
 * Parse the bracketed IPv6 address at s, within the len bytes of the
 * authority; store "[canonical]" in ref->host and the bytes taken, up to
 * and including ']', in *used.  Returns 0 or -1.
 */
static int parse_ipv6(const struct parser *p, const char *s, size_t len,
		      struct registry_ref *ref, size_t *used)
{
	const char *end = memchr(s, ']', len);
	char text[INET6_ADDRSTRLEN];
	struct in6_addr a;
	size_t inner;
	int n;

	if (!end)
		return reject(p, "has an IPv6 address without its closing ']'");
	inner = (size_t)(end - s) - 1;
	if (inner >= sizeof(text))
		return reject(p, "has an IPv6 address that is too long");
	memcpy(text, s + 1, inner);
	text[inner] = '\0';
	if (inet_pton(AF_INET6, text, &a) != 1)
		return reject(p, "has \"[%s]\", which is not an IPv6 address", text);
	if (!inet_ntop(AF_INET6, &a, text, sizeof(text)))
		return reject(p, "has an IPv6 address that cannot be written back");
	n = snprintf(ref->host, sizeof(ref->host), "[%s]", text);
	if (n < 0 || (size_t)n >= sizeof(ref->host))
		return reject(p, "has an IPv6 address that is too long");
	*used = (size_t)(end - s) + 1;
	if (*used < len && s[*used] != ':')
		return reject(p, "has text after its IPv6 address (only :port "
			      "may follow the ']')");
	return 0;
}

/*
 * Parse the len bytes at s, "" or ":port", into ref->port: a decimal
 * number from 1 to 65535, leading zeros allowed, and 0 for DEFAULT_PORT
 * whatever the scheme.  Returns 0 or -1.
 */
static int parse_port(const struct parser *p, const char *s, size_t len,
		      struct registry_ref *ref)
{
	unsigned long v = 0;
	size_t i;

	ref->port = 0;
	if (!len)
		return 0;
	if (len == 1)
		return reject(p, "has an empty port after ':'");
	for (i = 1; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			break;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > 65535)
			break;
	}
	if (i < len || v == 0)
		return reject(p, "has the port \"%.*s\", not a number from 1 to "
			      "65535", (int)(len - 1 > 12 ? 12 : len - 1), s + 1);
	ref->port = v == DEFAULT_PORT ? 0 : (unsigned)v;
	return 0;
}

/*
 * Parse the authority at s (up to the first '/') into ref->host and
 * ref->port, and set *rest to what follows it.  Returns 0 or -1.
 */
static int parse_authority(const struct parser *p, const char *s,
			   struct registry_ref *ref, const char **rest)
{
	size_t len = strcspn(s, "/"), used = 0;
	int ret;

	if (memchr(s, '@', len))
		return reject(p, "has user information");
	if (!len)
		return reject(p, "has no host");
	if (s[0] == '[')
		ret = parse_ipv6(p, s, len, ref, &used);
	else
		ret = parse_name(p, s, len, ref, &used);
	if (ret || parse_port(p, s + used, len - used, ref))
		return -1;
	*rest = s + len;
	return 0;
}

static int is_path_byte(char c)
{
	return is_name_byte(c) || c == '~' || c == '/';
}

/*
 * Check the len bytes of path at s, which starts with '/' and does not end
 * with one: only name bytes, '~' and '/', no empty, "." or ".." segment.
 * Returns 0 or -1.
 */
static int check_path(const struct parser *p, const char *s, size_t len)
{
	size_t i, seg;

	for (i = 0; i < len; i++) {
		if (s[i] == ':')
			return reject(p, "has ':' in its path (a port goes right "
				      "after the host)");
		if (!is_path_byte(s[i]))
			return reject(p, "has '%c', which is not allowed in a "
				      "registry path", s[i]);
	}
	for (i = 0; i < len; i += seg + 1) {
		seg = strcspn(s + i + 1, "/");
		if (i + 1 + seg > len)
			seg = len - i - 1;
		if (!seg)
			return reject(p, "has an empty segment (\"//\") in its path");
		if ((seg == 1 && s[i + 1] == '.') ||
		    (seg == 2 && s[i + 1] == '.' && s[i + 2] == '.'))
			return reject(p, "has a \".\" or \"..\" segment in its path");
	}
	return 0;
}

/*
 * Store the path at s ("" or starting with '/') in ref->path without its
 * trailing slashes, and "" for a bare /v1 or /v2.  Returns 0 or -1.
 */
static int parse_path(const struct parser *p, const char *s,
		      struct registry_ref *ref)
{
	size_t len = strlen(s);

	while (len && s[len - 1] == '/')
		len--;
	if (len > REGISTRY_PATH_MAX)
		return reject(p, "has a path longer than %d characters",
			      REGISTRY_PATH_MAX);
	if (check_path(p, s, len))
		return -1;
	if (len == 3 && (!memcmp(s, "/v1", 3) || !memcmp(s, "/v2", 3)))
		len = 0;
	memcpy(ref->path, s, len);
	ref->path[len] = '\0';
	return 0;
}

static int is_docker_hub(const struct registry_ref *ref)
{
	return !ref->port && (!strcmp(ref->host, "docker.io") ||
			      !strcmp(ref->host, "index.docker.io") ||
			      !strcmp(ref->host, "registry-1.docker.io"));
}

/* Build ref->key from the parsed pieces.  Returns 0 or -1. */
static int make_key(const struct parser *p, struct registry_ref *ref)
{
	const char *host = is_docker_hub(ref) ? "docker.io" : ref->host;
	int n;

	if (ref->port)
		n = snprintf(ref->key, sizeof(ref->key), "%s:%u%s", host,
			     ref->port, ref->path);
	else
		n = snprintf(ref->key, sizeof(ref->key), "%s%s", host, ref->path);
	if (n < 0 || (size_t)n >= sizeof(ref->key))
		return reject(p, "is too long for a registry key");
	return 0;
}

static int parse(const struct parser *p, struct registry_ref *ref)
{
	const char *rest;

	if (!*p->server)
		return reject(p, "is empty");
	if (strnlen(p->server, REGISTRY_INPUT_MAX + 1) > REGISTRY_INPUT_MAX)
		return reject(p, "is longer than %d characters",
			      REGISTRY_INPUT_MAX);
	if (check_bytes(p) || skip_scheme(p, &rest) ||
	    parse_authority(p, rest, ref, &rest) || parse_path(p, rest, ref))
		return -1;
	return make_key(p, ref);
}

int registry_parse(const char *server, struct registry_ref *ref,
		   struct ck_error *err)
{
	struct parser p = { server, err };

	memset(ref, 0, sizeof(*ref));
	if (parse(&p, ref)) {
		memset(ref, 0, sizeof(*ref));
		return -1;
	}
	return 0;
}

int registry_key(const char *server, char *key, size_t size,
		 struct ck_error *err)
{
	struct registry_ref ref;
	int n;

	if (registry_parse(server, &ref, err)) {
		if (size)
			key[0] = '\0';
		return -1;
	}
	n = snprintf(key, size, "%s", ref.key);
	if (n < 0 || (size_t)n >= size) {
		if (size)
			key[0] = '\0';
		return ck_error(err, CK_FAILED, "the registry key \"%s\" needs "
				"%d bytes, more than the %zu given", ref.key,
				n + 1, size);
	}
	return 0;
}

int registry_same(const char *a, const char *b)
{
	struct registry_ref ra, rb;

	if (registry_parse(a, &ra, NULL) || registry_parse(b, &rb, NULL))
		return 0;
	return !strcmp(ra.key, rb.key);
}

void registry_host_port(const struct registry_ref *ref, char *buf, size_t size)
{
	if (ref->port)
		snprintf(buf, size, "%s:%u", ref->host, ref->port);
	else
		snprintf(buf, size, "%s", ref->host);
}
