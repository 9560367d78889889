/* SPDX-License-Identifier: MIT */
/*
 * awscreds.c - the local part of the AWS credential chain.  See
 * include/aws/awscreds.h for the order of the sources and what is promised.
 *
 * The shared files are INI as botocore reads them (Python's configparser):
 * "[section]" headers, "key = value" or "key: value" lines, comments
 * starting with '#' or ';' on their own line or after a header, indented
 * lines after a value continuing it (the nested "s3 =" blocks; skipped
 * here).  Keys are matched whatever their case, and the config file's
 * "[profile NAME]" is split as botocore splits it (quotes allowed), as in
 * both SDKs.  Where the two SDKs differ, on a comment after a value, credkit
 * reads it as the AWS SDK for Go v2 does (which amazon-ecr-credential-helper
 * uses): " #" or " ;" ends the value.  A file is read from disk once per
 * process, whole, into wiped memory (shared_file()); each look at a
 * profile parses a copy of it in place and keeps only that profile's
 * values, as pointers into the copy.
 *
 * Where the network sources go: aws_creds_local() stops with
 * AWS_CREDS_NEEDS_NETWORK for a profile that names one, and with
 * AWS_CREDS_NONE when nothing local answered.  A later aws_creds_chain()
 * calls it, then does STS AssumeRole / AssumeRoleWithWebIdentity or SSO
 * for the first, the container endpoint (AWS_CONTAINER_CREDENTIALS_*) and
 * IMDS for the second.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
/* SHA-256 alone (no EVP, no providers): the static front links just it. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "aws/awscreds.h"
#include "b64url.h"
#include "child.h"
#include "clock.h"
#include "config.h"

#define FILE_MAX		(1024 * 1024)	/* bigger shared files are refused */
#define PROCESS_TIMEOUT_MS	30000
#define PROCESS_OUTPUT_MAX	(64 * 1024)
#define PROCESS_ARGS_MAX	64

/* The keys of a profile that matter here. */
enum aws_key {
	K_KEY_ID, K_SECRET, K_TOKEN, K_PROCESS, K_ROLE_ARN, K_SOURCE_PROFILE,
	K_CREDENTIAL_SOURCE, K_WEB_IDENTITY, K_SSO_START_URL, K_SSO_SESSION,
	K_SSO_ACCOUNT_ID, K_SSO_ROLE_NAME, K_REGION, K_EXTERNAL_ID,
	K_SESSION_NAME, K_DURATION, K_MFA_SERIAL, K_SSO_REGION, K_COUNT
};

static const char *const key_name[K_COUNT] = {
	"aws_access_key_id", "aws_secret_access_key", "aws_session_token",
	"credential_process", "role_arn", "source_profile", "credential_source",
	"web_identity_token_file", "sso_start_url", "sso_session",
	"sso_account_id", "sso_role_name", "region", "external_id",
	"role_session_name", "duration_seconds", "mfa_serial", "sso_region",
};

/* One shared file, and the values of one profile in it. */
struct ini {
	int is_config;			/* sections "[profile NAME]", "[default]" */
	int sso_session;		/* look for "[sso-session NAME]" instead */
	char path[PATH_MAX];		/* to open */
	char shown[PATH_MAX];		/* as configured, for people */
	struct secret data;		/* a copy of the file, NULs put in; wiped */
	int found;			/* the profile has a section */
	const char *val[K_COUNT];	/* into data; NULL when not set */
};

static void ini_release(struct ini *f)
{
	secret_release(&f->data);
	memset(f->val, 0, sizeof(f->val));
	f->found = 0;
}

/*
 * printf into buf; a description cut short at size - 1 bytes is still the
 * best we have, so it is kept.
 */
static void __attribute__((format(printf, 3, 4)))
say(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(buf, size, fmt, ap) < 0)
		buf[0] = '\0';
	va_end(ap);
}

/* --- the explain mode (awscreds.h) -------------------------------------- */

static char *explain_buf;	/* NULL: not explaining */
static size_t explain_size;

void aws_explain_start(char *buf, size_t size)
{
	explain_buf = size ? buf : NULL;
	explain_size = size;
	if (size)
		buf[0] = '\0';
}

void aws_explain_stop(void)
{
	explain_buf = NULL;
}

int aws_explaining(void)
{
	return explain_buf != NULL;
}

void aws_explain(const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (!explain_buf || (n = strlen(explain_buf)) + 4 >= explain_size)
		return;
	va_start(ap, fmt);
	memcpy(explain_buf + n, "  ", 3);
	if (vsnprintf(explain_buf + n + 2, explain_size - n - 3, fmt, ap) < 0)
		explain_buf[n] = '\0';
	va_end(ap);
	n = strlen(explain_buf);
	explain_buf[n] = '\n';
	explain_buf[n + 1] = '\0';
}

/*
 * Find the file from the environment variable var, else dflt, "~/"
 * expanded.  Returns 0, or -1 with err when the path is too long.
 */
static int ini_locate(struct ini *f, const char *var, const char *dflt,
		      struct ck_error *err)
{
	const char *p = config_env(var) ? config_env(var) : dflt, *home = "";
	struct passwd *pw;
	int n;

	ck_printable(f->shown, sizeof(f->shown), p, SIZE_MAX);
	if (p[0] == '~' && (p[1] == '/' || !p[1])) {
		home = getenv("HOME");
		if (!home || !*home)
			home = (pw = getpwuid(getuid())) ? pw->pw_dir : "/";
		p++;
	}
	n = snprintf(f->path, sizeof(f->path), "%s%s", home, p);
	if (n < 0 || (size_t)n >= sizeof(f->path))
		return ck_error(err, CK_BAD_INPUT, "path of %s is too long: %s",
				var, f->shown);
	return 0;
}

/*
 * Read the file at path whole into *data (released first) in wiped memory;
 * a missing file leaves it empty (buf NULL).  Returns 0, or -1 with why
 * (of size whysize) saying why it cannot be read, never quoting it.
 */
static int read_whole(const char *path, struct secret *data, char *why,
		      size_t whysize)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, ret = -1;

	secret_release(data);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		say(why, whysize, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		say(why, whysize, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		say(why, whysize, "not a regular file");
		goto out;
	}
	if (st.st_size > FILE_MAX || secret_alloc(data, FILE_MAX)) {
		say(why, whysize, "bigger than %d bytes", FILE_MAX);
		goto out;
	}
	while ((n = read(fd, data->buf + got, FILE_MAX + 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			say(why, whysize, "%s", strerror(errno));
			goto out;
		}
		got += (size_t)n;
		if (got > FILE_MAX) {
			say(why, whysize, "bigger than %d bytes", FILE_MAX);
			goto out;
		}
	}
	data->buf[got] = '\0';
	data->len = got;
	ret = 0;
out:
	if (ret)
		secret_release(data);
	close(fd);
	return ret;
}

/*
 * The shared files this process has read, by path (see awscreds.h): each
 * is read from disk at its first look, and every later look parses a copy
 * of what was read then.  Wiped and freed by aws_files_forget(), at exit
 * at the latest.
 */
struct shared_file {
	struct shared_file *next;
	char path[PATH_MAX];
	int unreadable;			/* then why says why */
	char why[128];
	struct secret data;		/* buf NULL: no such file; wiped */
};

static struct shared_file *shared_files;

void aws_files_forget(void)
{
	struct shared_file *e;

	while ((e = shared_files)) {
		shared_files = e->next;
		secret_release(&e->data);
		free(e);
	}
}

/*
 * The shared file at path as this process first read it, borrowed until
 * aws_files_forget(); NULL when memory runs out (then nothing is kept).
 */
static const struct shared_file *shared_file(const char *path)
{
	static int forget_at_exit;
	struct shared_file *e;

	for (e = shared_files; e; e = e->next)
		if (!strcmp(e->path, path))
			return e;
	if (strlen(path) >= sizeof(e->path) || !(e = calloc(1, sizeof(*e))))
		return NULL;
	memcpy(e->path, path, strlen(path) + 1);
	e->unreadable = read_whole(path, &e->data, e->why, sizeof(e->why)) != 0;
	if (!forget_at_exit)
		forget_at_exit = !atexit(aws_files_forget);
	e->next = shared_files;
	shared_files = e;
	return e;
}

/* Put a copy of the shared file f->path in f->data, to be parsed in place. */
static int ini_read(struct ini *f, struct ck_error *err)
{
	const struct shared_file *e = shared_file(f->path);

	if (!e)
		return ck_error(err, CK_FAILED, "out of memory reading %s", f->shown);
	if (e->unreadable)
		return ck_error(err, CK_FAILED, "cannot read %s: %s", f->shown, e->why);
	if (e->data.buf && secret_set(&f->data, e->data.buf, e->data.len))
		return ck_error(err, CK_FAILED, "out of memory reading %s", f->shown);
	return 0;
}

static char *trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	*end = '\0';
	return s;
}

/*
 * Split cmd into words as a POSIX shell would without expanding anything:
 * blanks separate, '...' and "..." quote, a backslash escapes the next
 * byte (in "...", only '"' and '\').  argv[] points into *store (free it).
 * Returns the number of words, or -1 for an unterminated quote or too
 * many words.
 */
static int split_words(const char *cmd, char **argv, int max, char **store)
{
	const char *p = cmd;
	char *w = malloc(strlen(cmd) + 1);
	int n = 0;

	*store = w;
	if (!w)
		return -1;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		if (n == max)
			return -1;
		argv[n++] = w;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			if (*p == '\'' || *p == '"') {
				char q = *p++;

				while (*p && *p != q) {
					if (q == '"' && *p == '\\' &&
					    (p[1] == '"' || p[1] == '\\'))
						p++;
					*w++ = *p++;
				}
				if (!*p)
					return -1;
				p++;
			} else {
				if (*p == '\\' && p[1])
					p++;
				*w++ = *p++;
			}
		}
		*w++ = '\0';
	}
	argv[n] = NULL;
	return n;
}

/*
 * Whether section header name (trimmed) is profile's in this file: the
 * credentials file's names are taken as written; the config file's
 * "profile NAME" (and "sso-session NAME") are split as botocore does
 * (shlex: "profile \"my prof\"" and "profile 'my prof'" name "my prof"),
 * and are no profile unless they are two words.  Returns 1, 0, or -1 with
 * err when out of memory.
 */
static int ini_is_profile(const struct ini *f, const char *name,
			  const char *profile, struct ck_error *err)
{
	const char *kind = f->sso_session ? "sso-session" : "profile";
	size_t n = strlen(kind);
	char *word[2], *store = NULL;
	int ret;

	if (!f->is_config)
		return !f->sso_session && !strcmp(name, profile);
	if (!f->sso_session && !strcmp(name, "default"))
		return !strcmp(profile, "default");
	if (strncmp(name, kind, n) || (name[n] != ' ' && name[n] != '\t'))
		return 0;
	ret = split_words(name + n, word, 1, &store) == 1 && !strcmp(word[0], profile);
	if (!store)
		ret = ck_error(err, CK_FAILED, "out of memory reading %s", f->shown);
	free(store);
	return ret;
}

/*
 * The name of section header line s, "[NAME]" (s trimmed), or NULL when it
 * is not one.  After the ']' may come a comment ('#' or ';'), as both
 * botocore and Go v2 read it.
 */
static char *ini_header(char *s)
{
	char *end, *p;

	for (end = strchr(s, ']'); end; end = strchr(end + 1, ']')) {
		for (p = end + 1; *p == ' ' || *p == '\t'; p++)
			;
		if (!*p || *p == '#' || *p == ';')
			return trim(s + 1, end);
	}
	return NULL;
}

/*
 * Cut value v where a comment starts: a '#' or ';' right after a blank,
 * as the AWS SDK for Go v2 reads a value (botocore keeps it; a '#' with no
 * blank before it, as in a URL, is the value's in both).
 */
static void cut_comment(char *v)
{
	char *p;

	for (p = v; *p; p++)
		if ((*p == ' ' || *p == '\t') && (p[1] == '#' || p[1] == ';')) {
			*p = '\0';
			return;
		}
}

/*
 * Parse f->data in place, keeping the values of profile.  Returns 0, or -1
 * with err naming the file and line (never the line's text: it may hold a
 * secret).
 */
static int ini_parse(struct ini *f, const char *profile, struct ck_error *err)
{
	char *line = f->data.buf, *next, *end, *s, *eq, *key;
	int in_section = 0, mine = 0, in_value = 0, k;
	unsigned nr = 0;

	if (!line)
		return 0;
	for (; *line; line = next) {
		nr++;
		end = strchr(line, '\n');
		next = end ? end + 1 : line + strlen(line);
		if (!end)
			end = next;
		if ((*line == ' ' || *line == '\t') && in_value)
			continue;	/* a continuation line */
		s = trim(line, end);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if (!(s = ini_header(s)))
				return ck_error(err, CK_BAD_INPUT,
						"%s:%u: a section header does not end with ']'",
						f->shown, nr);
			in_section = 1;
			in_value = 0;
			if ((mine = ini_is_profile(f, s, profile, err)) < 0)
				return -1;
			f->found |= mine;
			continue;
		}
		eq = strpbrk(s, "=:");
		if (!eq || eq == s)
			return ck_error(err, CK_BAD_INPUT,
					"%s:%u: expected [section] or key = value",
					f->shown, nr);
		if (!in_section)
			return ck_error(err, CK_BAD_INPUT,
					"%s:%u: a key before any [section]",
					f->shown, nr);
		in_value = 1;
		if (!mine)
			continue;
		*eq = '\0';
		key = trim(s, eq);
		cut_comment(eq + 1);
		for (k = 0; k < K_COUNT; k++)
			if (!strcasecmp(key, key_name[k]))	/* as both SDKs */
				f->val[k] = trim(eq + 1, eq + 1 + strlen(eq + 1));
	}
	return 0;
}

/* Locate, read and parse one shared file for profile. */
static int ini_load(struct ini *f, int is_config, const char *profile,
		    struct ck_error *err)
{
	f->is_config = is_config;
	if (is_config ? ini_locate(f, "AWS_CONFIG_FILE", "~/.aws/config", err)
		      : ini_locate(f, "AWS_SHARED_CREDENTIALS_FILE",
				   "~/.aws/credentials", err))
		return -1;
	if (ini_read(f, err) || ini_parse(f, profile, err)) {
		ini_release(f);
		return -1;
	}
	return 0;
}

/* A value of the profile, empty counted as unset. */
static const char *ini_get(const struct ini *f, enum aws_key k)
{
	return f->val[k] && *f->val[k] ? f->val[k] : NULL;
}

/*
 * The profile to use: profile, else AWS_PROFILE, else "default"; *named
 * says whether it was asked for (then it must exist).
 */
static int pick_profile(const char *profile, char *buf, int *named,
			struct ck_error *err)
{
	const char *p = profile && *profile ? profile : config_env("AWS_PROFILE");
	size_t i;

	*named = p != NULL;
	if (!p)
		p = "default";
	for (i = 0; p[i]; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f || i >= AWS_PROFILE_MAX)
			return ck_error(err, CK_BAD_INPUT,
					"not an AWS profile name (control characters, or longer than %d bytes)",
					AWS_PROFILE_MAX);
	memcpy(buf, p, i + 1);
	return 0;
}

/*
 * Fill out with a key pair and an optional token (NULL or "").  what names
 * the source in errors.  Returns 0, or -1 with err.
 */
int aws_creds_fill(struct aws_creds *out, const char *id, const char *secret,
		   const char *token, const char *what, struct ck_error *err)
{
	size_t i, len = strlen(id);

	for (i = 0; i < len; i++)
		if ((unsigned char)id[i] <= 0x20 || id[i] == 0x7f)
			break;
	if (!len || len > AWS_KEY_ID_MAX || i < len)
		return ck_error(err, CK_BAD_INPUT,
				"%s: the access key id is not one (1 to %d printable characters)",
				what, AWS_KEY_ID_MAX);
	memcpy(out->access_key_id, id, len + 1);
	if (secret_set(&out->secret_access_key, secret, strlen(secret)) ||
	    (token && *token && secret_set(&out->session_token, token, strlen(token))))
		return ck_error(err, CK_FAILED, "%s: out of memory", what);
	return 0;
}

/* Step 1: the environment. */
static int from_env(struct aws_creds *out, struct ck_error *err)
{
	const char *id = config_env("AWS_ACCESS_KEY_ID");
	const char *secret = config_env("AWS_SECRET_ACCESS_KEY");

	if (!id && !secret) {
		aws_explain("environment keys: AWS_ACCESS_KEY_ID not set");
		return AWS_CREDS_NONE;
	}
	if (!id || !secret)
		return ck_error(err, CK_BAD_INPUT,
				"%s is set but %s is not: set both, or neither to use the shared files",
				id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
				id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	if (aws_creds_fill(out, id, secret, config_env("AWS_SESSION_TOKEN"),
			   "AWS_ACCESS_KEY_ID", err))
		return AWS_CREDS_ERROR;
	aws_explain("environment keys: AWS_ACCESS_KEY_ID %s and AWS_SECRET_ACCESS_KEY set%s",
		    out->access_key_id, config_env("AWS_SESSION_TOKEN") ? " (with a session token)" : "");
	say(out->source, sizeof(out->source), "environment");
	return AWS_CREDS_FOUND;
}

/* Static keys of one file's profile: found, none, or half-set (error). */
static int from_keys(const struct ini *f, struct aws_creds *out,
		     struct ck_error *err)
{
	const char *id = ini_get(f, K_KEY_ID), *secret = ini_get(f, K_SECRET);
	char what[PATH_MAX + AWS_PROFILE_MAX + 64];

	say(what, sizeof(what), "%s %s [profile %s]",
		 f->is_config ? "config file" : "shared credentials file",
		 f->shown, out->profile);
	if (!id && !secret) {
		aws_explain("%s: no keys (aws_access_key_id)", what);
		return AWS_CREDS_NONE;
	}
	if (!id || !secret)
		return ck_error(err, CK_BAD_INPUT, "%s has %s but not %s", what,
				key_name[id ? K_KEY_ID : K_SECRET],
				key_name[id ? K_SECRET : K_KEY_ID]);
	if (aws_creds_fill(out, id, secret, ini_get(f, K_TOKEN), what, err))
		return AWS_CREDS_ERROR;
	aws_explain("%s: aws_access_key_id %s", what, out->access_key_id);
	say(out->source, sizeof(out->source), "%s", what);
	return AWS_CREDS_FOUND;
}

static int digits(const char **p, int n, int *v)
{
	int x = 0;

	while (n--) {
		if (!isdigit((unsigned char)**p))
			return -1;
		x = x * 10 + (*(*p)++ - '0');
	}
	*v = x;
	return 0;
}

int aws_parse_time(const char *text, time_t *t)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *p = text;
	struct tm tm = { 0 };
	int y, mo, d, h, mi, s, oh = 0, om = 0, sign = 0;
	time_t v;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
		return -1;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &s))
		return -1;
	if (*p == '.' || *p == ',') {
		if (!isdigit((unsigned char)*++p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (!strcmp(p, "UTC")) {
		p += 3;		/* the SSO token caches of AWS CLI v1 */
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) || (*p == ':' && !*++p) || digits(&p, 2, &om))
			return -1;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || s > 60 || oh > 23 || om > 59)
		return -1;
	if (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400)))
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	v = timegm(&tm);
	if (v == (time_t)-1 && y != 1969)
		return -1;
	*t = v - sign * (oh * 3600 + om * 60);
	return 0;
}

/* The deadline of credential_process (a ck_now_ms() point), 0: none. */
static long process_deadline_ms;

void aws_creds_deadline(long deadline_ms)
{
	process_deadline_ms = deadline_ms;
}

/*
 * The process timeout: what is left until aws_creds_deadline()'s deadline
 * (at least 1 ms), capped by CREDKIT_AWS_PROCESS_TIMEOUT_MS (for tests),
 * else by PROCESS_TIMEOUT_MS.
 */
static int process_timeout_ms(void)
{
	const char *v = config_env("CREDKIT_AWS_PROCESS_TIMEOUT_MS");
	char *end;
	long ms = PROCESS_TIMEOUT_MS, set, left;

	if (v) {
		errno = 0;
		set = strtol(v, &end, 10);
		if (!errno && !*end && set > 0 && set <= 10 * PROCESS_TIMEOUT_MS)
			ms = set;
	}
	if (process_deadline_ms > 0 && (left = ck_ms_left(process_deadline_ms)) < ms)
		ms = left;
	return (int)ms;
}

/* The end of what c said on stderr, on one line, for a message. */
static void stderr_tail(const struct child *c, char *buf, size_t size)
{
	const char *p = c->diag;
	size_t len = c->diag_len, i, o = 0;

	while (len && isspace((unsigned char)p[len - 1]))
		len--;
	if (len > 300)
		p += len - 300, len = 300;
	while (len && isspace((unsigned char)*p))
		p++, len--;
	for (i = 0; i < len && o + 1 < size; i++)
		buf[o++] = ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) ? ' ' : p[i];
	buf[o] = '\0';
}

/*
 * What credential_process printed on stdout, checked and copied into out.
 * what names it in errors, which never quote the output.
 */
static int take_process_json(const struct secret *output, struct aws_creds *out,
			     const char *what, struct ck_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(output->buf, output->len, 0, &jerr);
	json_t *id, *secret, *token, *exp;
	int ret = -1;

	if (!root)
		return ck_error(err, CK_BAD_INPUT,
				"%s printed no valid JSON (at line %d, column %d)",
				what, jerr.line, jerr.column);
	id = json_object_get(root, "AccessKeyId");
	secret = json_object_get(root, "SecretAccessKey");
	token = json_object_get(root, "SessionToken");
	exp = json_object_get(root, "Expiration");
	if (!json_is_object(root) || !json_is_integer(json_object_get(root, "Version")) ||
	    json_integer_value(json_object_get(root, "Version")) != 1) {
		ck_error(err, CK_BAD_INPUT, "%s did not print \"Version\": 1", what);
		goto out;
	}
	if (!json_is_string(id) || !json_string_length(id) ||
	    !json_is_string(secret) || !json_string_length(secret)) {
		ck_error(err, CK_BAD_INPUT,
			 "%s did not print both AccessKeyId and SecretAccessKey", what);
		goto out;
	}
	if ((token && !json_is_null(token) && !json_is_string(token)) ||
	    (exp && !json_is_null(exp) && !json_is_string(exp))) {
		ck_error(err, CK_BAD_INPUT,
			 "%s printed a SessionToken or Expiration that is not a string",
			 what);
		goto out;
	}
	if (json_is_string(exp) && aws_parse_time(json_string_value(exp), &out->expiry)) {
		ck_error(err, CK_BAD_INPUT,
			 "%s printed an Expiration that is not an ISO 8601 time", what);
		goto out;
	}
	if (out->expiry && out->expiry <= time(NULL)) {
		ck_error(err, CK_FAILED, "%s printed credentials that have expired",
			 what);
		goto out;
	}
	if (strlen(json_string_value(secret)) != json_string_length(secret) ||
	    (json_is_string(token) &&
	     strlen(json_string_value(token)) != json_string_length(token))) {
		ck_error(err, CK_BAD_INPUT, "%s printed a NUL in a secret", what);
		goto out;
	}
	if (aws_creds_fill(out, json_string_value(id), json_string_value(secret),
		 json_is_string(token) ? json_string_value(token) : NULL, what, err))
		goto out;
	ret = 0;
out:
	json_decref(root);	/* freed through the caller's alloc funcs */
	return ret;
}

/* Step 2c: run credential_process cmd of out->profile. */
static int from_process(const char *cmd, struct aws_creds *out,
			struct ck_error *err)
{
	struct child c = CHILD_INIT;
	struct ck_error cerr = CK_ERROR_INIT;
	char *argv[PROCESS_ARGS_MAX + 1], *store = NULL, what[AWS_PROFILE_MAX + 64];
	char tail[512];
	int ret = AWS_CREDS_ERROR, n;

	say(what, sizeof(what), "credential_process of profile %s", out->profile);
	n = split_words(cmd, argv, PROCESS_ARGS_MAX, &store);
	if (n <= 0) {
		ck_error(err, CK_BAD_INPUT, "%s %s", what, !store ? "cannot be split: out of memory" :
			 n ? "has an unterminated quote or more than 64 words" : "is empty");
		goto out;
	}
	if (aws_explaining()) {
		/* The program's name alone: its arguments may hold a secret. */
		aws_explain("%s: would run %s (not run here)", what,
			    strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0]);
		say(out->source, sizeof(out->source), "%s", what);
		ret = AWS_CREDS_FOUND;
		goto out;
	}
	c.argv = argv;
	/* As the AWS SDKs run it: one may assume a role with the env's keys. */
	c.keep_credential_env = 1;
	c.want_output = 1;
	c.output_max = PROCESS_OUTPUT_MAX;
	c.quiet = 1;
	c.timeout_ms = process_timeout_ms();
	if (child_run(&c, &cerr)) {
		if (cerr.kind == CK_LOCKED)
			ck_error(err, CK_FAILED, "%s did not finish within %d ms and was stopped",
				 what, c.timeout_ms);
		else
			ck_error(err, cerr.kind, "%s: %s", what, cerr.msg);
		goto out;
	}
	if (!WIFEXITED(c.status) || WEXITSTATUS(c.status)) {
		stderr_tail(&c, tail, sizeof(tail));
		if (WIFEXITED(c.status))
			ck_error(err, CK_FAILED, "%s failed (exit status %d)%s%s", what,
				 WEXITSTATUS(c.status), *tail ? ": " : "", tail);
		else
			ck_error(err, CK_FAILED, "%s was killed by signal %d%s%s", what,
				 WIFSIGNALED(c.status) ? WTERMSIG(c.status) : 0,
				 *tail ? ": " : "", tail);
		goto out;
	}
	if (take_process_json(&c.output, out, what, err))
		goto out;
	say(out->source, sizeof(out->source), "%s", what);
	ret = AWS_CREDS_FOUND;
out:
	child_release(&c);
	free(store);
	return ret;
}

/*
 * Step 2a: whether the profile needs a network source, and which, in
 * botocore's order: the profile's own role_arn (assume-role) first, then
 * web identity, the environment's (AWS_WEB_IDENTITY_TOKEN_FILE and
 * AWS_ROLE_ARN) only when use_env: never for a profile named explicitly or
 * a source_profile, which botocore reads with its environment turned off.
 */
static const char *network_source(const char *const *val, int use_env)
{
	const char *env_file = use_env ? config_env("AWS_WEB_IDENTITY_TOKEN_FILE") : NULL;
	const char *env_role = use_env ? config_env("AWS_ROLE_ARN") : NULL;

	if (val[K_ROLE_ARN] && !val[K_WEB_IDENTITY])
		return "assume-role";
	if ((val[K_WEB_IDENTITY] || env_file) && (val[K_ROLE_ARN] || env_role))
		return "web-identity";
	if (!use_env)
		aws_explain("web identity from the environment: not looked at (a profile "
			    "named explicitly, or a source_profile)");
	else if (env_file || env_role)
		aws_explain("web identity from the environment: %s set but %s not",
			    env_file ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN",
			    env_file ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE");
	else
		aws_explain("web identity from the environment: AWS_WEB_IDENTITY_TOKEN_FILE "
			    "and AWS_ROLE_ARN not set");
	if (val[K_SSO_START_URL] || val[K_SSO_SESSION] || val[K_SSO_ACCOUNT_ID] ||
	    val[K_SSO_ROLE_NAME])
		return "sso";
	return NULL;
}

/* Step 2, with both files loaded. */
static int from_files(const struct ini *cred, const struct ini *conf, int named,
		      int use_env, struct aws_creds *out, struct ck_error *err)
{
	const char *val[K_COUNT];
	const struct ini *at;
	int k, ret;

	if (named && !cred->found && !conf->found)
		return ck_error(err, CK_BAD_INPUT,
				"AWS profile %s is in neither %s nor %s", out->profile,
				cred->shown, conf->shown);
	for (k = 0; k < K_COUNT; k++)
		val[k] = ini_get(cred, k) ? ini_get(cred, k) : ini_get(conf, k);
	if ((out->network = network_source(val, use_env))) {
		if (!strcmp(out->network, "assume-role") && !val[K_SOURCE_PROFILE] &&
		    !val[K_CREDENTIAL_SOURCE])
			return ck_error(err, CK_BAD_INPUT,
					"AWS profile %s has role_arn but neither source_profile nor credential_source",
					out->profile);
		at = ini_get(cred, K_ROLE_ARN) || ini_get(cred, K_WEB_IDENTITY) ||
		     ini_get(cred, K_SSO_START_URL) || ini_get(cred, K_SSO_SESSION) ? cred : conf;
		if (!at->found)
			say(out->source, sizeof(out->source), "environment");
		else
			say(out->source, sizeof(out->source), "%s %s [profile %s]",
				 at->is_config ? "config file" : "shared credentials file",
				 at->shown, out->profile);
		aws_explain("profile %s: %s, from %s", out->profile, out->network, out->source);
		return AWS_CREDS_NEEDS_NETWORK;
	}
	if (!cred->found && !conf->found)
		aws_explain("profile %s: in neither %s nor %s", out->profile, cred->shown,
			    conf->shown);
	else
		aws_explain("profile %s: no role_arn, web_identity_token_file or SSO settings",
			    out->profile);
	if ((ret = from_keys(cred, out, err)))
		return ret;
	if (val[K_PROCESS])
		return from_process(val[K_PROCESS], out, err);
	aws_explain("profile %s: no credential_process", out->profile);
	if ((ret = from_keys(conf, out, err)))
		return ret;
	say(out->source, sizeof(out->source),
	    "the environment (AWS_ACCESS_KEY_ID), %s [%s] and %s [profile %s]",
	    cred->shown, out->profile, conf->shown, out->profile);
	ck_error(err, CK_NO_CREDENTIALS, "no AWS credentials: tried %s", out->source);
	return AWS_CREDS_NONE;
}

static int local(const char *profile, int skip_env, struct aws_creds *out,
		 struct ck_error *err)
{
	struct ini cred = { 0 }, conf = { 0 };
	int named, ret;

	aws_creds_release(out);
	if (pick_profile(profile, out->profile, &named, err))
		return AWS_CREDS_ERROR;
	if (skip_env)
		aws_explain("environment keys: not looked at (profile %s is named explicitly, "
			    "or a source_profile)", out->profile);
	ret = skip_env ? AWS_CREDS_NONE : from_env(out, err);
	if (ret)
		goto out;
	ret = AWS_CREDS_ERROR;
	if (ini_load(&cred, 0, out->profile, err) || ini_load(&conf, 1, out->profile, err))
		goto out;
	ret = from_files(&cred, &conf, named, !skip_env, out, err);
out:
	ini_release(&conf);
	ini_release(&cred);
	if (ret != AWS_CREDS_FOUND) {
		secret_release(&out->secret_access_key);
		secret_release(&out->session_token);
		out->access_key_id[0] = '\0';
		out->expiry = 0;
		if (ret != AWS_CREDS_NEEDS_NETWORK)
			out->network = NULL;
		if (ret != AWS_CREDS_NEEDS_NETWORK && ret != AWS_CREDS_NONE)
			out->source[0] = '\0';
	}
	return ret;
}

int aws_creds_local(const char *profile, struct aws_creds *out,
		    struct ck_error *err)
{
	return local(profile, 0, out, err);
}

int aws_creds_profile(const char *profile, struct aws_creds *out,
		      struct ck_error *err)
{
	return local(profile, 1, out, err);
}

int aws_profile_value(const char *profile, const char *key, int sso_session,
		      char *buf, size_t size, struct ck_error *err)
{
	struct ini cred = { 0 }, conf = { 0 };
	char name[AWS_PROFILE_MAX + 1];
	const char *v = NULL;
	int named, k, ret = -1;

	if (size)
		buf[0] = '\0';
	for (k = 0; k < K_COUNT && strcmp(key, key_name[k]); k++)
		;
	if (k == K_COUNT)
		return ck_error(err, CK_FAILED, "no such profile key: %s", key);
	if (pick_profile(profile, name, &named, err))
		return -1;
	cred.sso_session = conf.sso_session = sso_session;
	/* [sso-session NAME] is only in the config file. */
	if ((!sso_session && ini_load(&cred, 0, name, err)) || ini_load(&conf, 1, name, err))
		goto out;
	v = ini_get(&cred, k) ? ini_get(&cred, k) : ini_get(&conf, k);
	ret = 0;
	if (!v)
		goto out;
	if (strlen(v) >= size) {
		ret = ck_error(err, CK_BAD_INPUT, "%s of AWS %s %s is too long (at most %zu bytes)",
			       key, sso_session ? "sso-session" : "profile", name, size - 1);
		goto out;
	}
	memcpy(buf, v, strlen(v) + 1);
	ret = 1;
out:
	ini_release(&conf);
	ini_release(&cred);
	return ret;
}

/* One field of the identity digest: its name, its length, its bytes. */
static void id_add(SHA256_CTX *c, const char *name, const void *v, size_t len)
{
	uint64_t n = len;

	SHA256_Update(c, name, strlen(name) + 1);
	SHA256_Update(c, &n, sizeof(n));
	SHA256_Update(c, v, len);
}

/*
 * What stays the same for one identity in a token: for a JWT (IRSA, EKS
 * Pod Identity, rewritten every hour by the kubelet) its iss, sub and aud
 * claims, read without verifying; for anything else the token itself.
 */
static void id_add_token(SHA256_CTX *c, const char *name, const char *tok, size_t len)
{
	const char *dot1, *dot2, *claim[] = { "iss", "sub", "aud" };
	char *raw = NULL, *text;
	json_t *payload = NULL;
	size_t i, n;

	while (len && isspace((unsigned char)tok[len - 1]))
		len--;
	dot1 = memchr(tok, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - tok)) : NULL;
	if (!dot2 || b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &raw, &n) ||
	    !(payload = json_loadb(raw, n, 0, NULL)) ||
	    !json_is_object(payload) || !json_is_string(json_object_get(payload, "sub")))
		goto raw;
	id_add(c, name, "jwt", 3);	/* which source, then its claims */
	for (i = 0; i < 3; i++) {
		text = json_dumps(json_object_get(payload, claim[i]),
				  JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		id_add(c, claim[i], text ? text : "", text ? strlen(text) : 0);
		free(text);
	}
	goto out;
raw:
	id_add(c, name, tok, len);
out:
	json_decref(payload);
	secure_free(raw);
}

/*
 * A file's contents: a shared file as this process read it, a token file
 * (as_token) from disk; a missing or unreadable one as such.
 */
static void id_add_file(SHA256_CTX *c, const char *name, const char *path, int as_token)
{
	const struct shared_file *e;
	struct secret tok = SECRET_INIT;
	char why[128];

	if (!path)
		return;
	if (!as_token) {
		if (!(e = shared_file(path)) || e->unreadable)
			id_add(c, "unreadable", path, strlen(path));
		else
			id_add(c, name, e->data.buf ? e->data.buf : "", e->data.len);
		return;
	}
	if (read_whole(path, &tok, why, sizeof(why))) {
		id_add(c, "unreadable", path, strlen(path));
		return;
	}
	id_add_token(c, name, tok.buf ? tok.buf : "", tok.len);
	secret_release(&tok);
}

void aws_identity_digest(const char *profile, unsigned char md[AWS_IDENTITY_DIGEST_LEN])
{
	static const char *const keys[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	};
	static const char *const role[] = { "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME" };
	struct ini cred = { 0 }, conf = { 0 };
	struct ck_error err = CK_ERROR_INIT;
	char name[AWS_PROFILE_MAX + 1];
	int explicit = profile && *profile, named, depth;
	const char *v;
	SHA256_CTX c;
	size_t i;

	SHA256_Init(&c);
	/* The environment's keys answer alone, unless a profile is named. */
	if (!explicit) {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if ((v = config_env(keys[i])))
				id_add(&c, keys[i], v, strlen(v));
		if (config_env(keys[0]) && config_env(keys[1]))
			goto out;
		for (i = 0; i < sizeof(role) / sizeof(role[0]); i++)
			if ((v = config_env(role[i])))
				id_add(&c, role[i], v, strlen(v));
		id_add_file(&c, "web identity token file",
			    config_env("AWS_WEB_IDENTITY_TOKEN_FILE"), 1);
	}
	/* A profile's credential_source may be EcsContainer. */
	if ((v = config_env("AWS_CONTAINER_AUTHORIZATION_TOKEN")))
		id_add_token(&c, "container token", v, strlen(v));
	id_add_file(&c, "container token file",
		    config_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), 1);
	/* The shared files whole: keys, credential_process, roles, SSO. */
	if (ini_locate(&cred, "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", &err) ||
	    ini_locate(&conf, "AWS_CONFIG_FILE", "~/.aws/config", &err))
		goto out;
	id_add_file(&c, "credentials file", cred.path, 0);
	id_add_file(&c, "config file", conf.path, 0);
	/* The token files of the profile and of its source_profile chain. */
	if (pick_profile(profile, name, &named, &err))
		goto out;
	for (depth = 0; depth < 8; depth++) {
		ini_release(&cred);
		ini_release(&conf);
		if (ini_load(&cred, 0, name, &err) || ini_load(&conf, 1, name, &err))
			break;
		v = ini_get(&cred, K_WEB_IDENTITY) ? ini_get(&cred, K_WEB_IDENTITY)
						   : ini_get(&conf, K_WEB_IDENTITY);
		id_add_file(&c, "profile web identity token file", v, 1);
		v = ini_get(&cred, K_SOURCE_PROFILE) ? ini_get(&cred, K_SOURCE_PROFILE)
						     : ini_get(&conf, K_SOURCE_PROFILE);
		if (!v || strlen(v) > AWS_PROFILE_MAX || !strcmp(v, name))
			break;
		memmove(name, v, strlen(v) + 1);
	}
out:
	ini_release(&conf);
	ini_release(&cred);
	SHA256_Final(md, &c);
	explicit_bzero(&c, sizeof(c));
}

void aws_token_digest(const char *tok, size_t len, unsigned char md[AWS_IDENTITY_DIGEST_LEN])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	id_add_token(&c, "service account token", tok, len);
	SHA256_Final(md, &c);
	explicit_bzero(&c, sizeof(c));
}

void aws_creds_release(struct aws_creds *out)
{
	secret_release(&out->secret_access_key);
	secret_release(&out->session_token);
	secure_wipe(out->access_key_id, sizeof(out->access_key_id));
	out->access_key_id[0] = '\0';
	out->expiry = 0;
	out->profile[0] = '\0';
	out->source[0] = '\0';
	out->network = NULL;
}

int aws_region(const char *profile, char *buf, size_t size, struct ck_error *err)
{
	struct ini conf = { 0 };
	char name[AWS_PROFILE_MAX + 1];
	const char *r, *what = "AWS_REGION";
	size_t i, len;
	int named, ret = -1;

	if (size)
		buf[0] = '\0';
	if (!(r = config_env("AWS_REGION")) && (what = "AWS_DEFAULT_REGION") &&
	    !(r = config_env("AWS_DEFAULT_REGION"))) {
		if (pick_profile(profile, name, &named, err) ||
		    ini_load(&conf, 1, name, err))
			return -1;
		what = "region of the config file";
		if (!(r = ini_get(&conf, K_REGION))) {
			ret = 0;
			goto out;
		}
	}
	len = strlen(r);
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)r[i]) && r[i] != '-')
			break;
	if (i < len || len >= size) {
		ck_error(err, CK_BAD_INPUT,
			 "%s is not an AWS region (letters, digits and '-', at most %zu)",
			 what, size ? size - 1 : 0);
		goto out;
	}
	memcpy(buf, r, len + 1);
	ret = 1;
out:
	ini_release(&conf);
	return ret;
}
