/* SPDX-License-Identifier: MIT */
/*
 * token.c - the token record and its refresh policy (see tokens/token.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tokens/token.h"

#define RECORD_MAGIC	"credkit-token 1 "
#define NUMBERS_MAX	48

void token_release(struct token *t)
{
	secret_release(&t->secret);
	t->username[0] = t->identity[0] = t->hosts[0] = '\0';
	t->minted = t->expires = 0;
}

int token_answer(const struct token *t, struct cred *out, struct ck_error *err)
{
	if (!(out->username = strdup(t->username)) ||
	    secret_set(&out->secret, t->secret.buf, t->secret.len))
		return ck_error(err, CK_FAILED, "out of memory");
	return 0;
}

time_t token_usable_until(const struct token *t)
{
	time_t margin = (t->expires - t->minted) / 4;

	if (margin > 60)
		margin = 60;
	return t->expires - margin;
}

void token_utc(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, size, "%lld", (long long)t);
}

int token_usable(const struct token *t, time_t now)
{
	return now >= t->minted && now < token_usable_until(t);
}

int token_fresh(const struct token *t, int fresh_percent, time_t now)
{
	time_t life = t->expires - t->minted;

	return token_usable(t, now) && now < t->minted + life * fresh_percent / 100;
}

int token_has_host(const struct token *t, const char *host)
{
	size_t n = strlen(host);
	const char *p;

	if (!n)
		return 0;
	for (p = t->hosts; (p = strstr(p, host)); p++)
		if ((p == t->hosts || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

int token_add_host(struct token *t, const char *host)
{
	size_t len = strlen(t->hosts);

	if (!*host || strchr(host, ' ') || strchr(host, '\n') || token_has_host(t, host))
		return 0;
	if (len + 1 + strlen(host) >= sizeof(t->hosts))
		return -1;
	snprintf(t->hosts + len, sizeof(t->hosts) - len, "%s%s", len ? " " : "", host);
	return 1;
}

int token_encode(const struct token *t, const char *identity, const char *host_list,
		 struct secret *s)
{
	char numbers[sizeof(RECORD_MAGIC) + NUMBERS_MAX];
	size_t id = strlen(identity), hosts = strlen(host_list), n;
	char *p;

	if (strchr(identity, '\n') || strchr(host_list, '\n'))
		return -1;
	n = (size_t)snprintf(numbers, sizeof(numbers), RECORD_MAGIC "%lld %lld\n",
			     (long long)t->minted, (long long)t->expires);
	if (n >= sizeof(numbers) || secret_alloc(s, n + id + 1 + hosts + 1 + t->secret.len))
		return -1;
	p = s->buf;
	memcpy(p, numbers, n);
	p += n;
	memcpy(p, identity, id);
	p += id;
	*p++ = '\n';
	memcpy(p, host_list, hosts);
	p += hosts;
	*p++ = '\n';
	memcpy(p, t->secret.buf, t->secret.len);
	return 0;
}

/* The line at *p (before end), NUL-less: its length, *p past its newline. */
static int take_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (!nl)
		return -1;
	*line = *p;
	*len = (size_t)(nl - *p);
	*p = nl + 1;
	return 0;
}

int token_decode(const char *username, const struct secret *s, struct token *t)
{
	const char *p = s->buf, *end, *line;
	long long minted, expires;
	char numbers[NUMBERS_MAX + 1], *stop;
	size_t len;

	token_release(t);
	if (!p || s->len < sizeof(RECORD_MAGIC) - 1 ||
	    memcmp(p, RECORD_MAGIC, sizeof(RECORD_MAGIC) - 1))
		return -1;
	end = p + s->len;
	p += sizeof(RECORD_MAGIC) - 1;
	if (take_line(&p, end, &line, &len) || len > NUMBERS_MAX)
		return -1;
	memcpy(numbers, line, len);
	numbers[len] = '\0';
	errno = 0;
	minted = strtoll(numbers, &stop, 10);
	if (errno || *stop != ' ')
		return -1;
	expires = strtoll(stop + 1, &stop, 10);
	if (errno || *stop || expires <= minted || minted <= 0)
		return -1;
	if (take_line(&p, end, &line, &len) || len >= sizeof(t->identity))
		return -1;
	memcpy(t->identity, line, len);
	t->identity[len] = '\0';
	if (take_line(&p, end, &line, &len) || len >= sizeof(t->hosts))
		goto bad;
	memcpy(t->hosts, line, len);
	t->hosts[len] = '\0';
	if (snprintf(t->username, sizeof(t->username), "%s", username ? username : "") >=
	    (int)sizeof(t->username) || secret_set(&t->secret, p, (size_t)(end - p)))
		goto bad;
	t->minted = (time_t)minted;
	t->expires = (time_t)expires;
	return 0;
bad:
	token_release(t);
	return -1;
}
