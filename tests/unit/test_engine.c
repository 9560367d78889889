/* SPDX-License-Identifier: MIT */
/*
 * test_engine.c - unit tests of the protocol engine, run in-process.
 *
 * Usage: test_engine FILE...
 *
 * credkit_main() runs as helper "memory" over a backend that keeps entries
 * in an array.  Each case feeds it a command line and stdin, and compares
 * its exit status and stdout with the expected ones.  The store carries
 * over from case to case within a file (so "store, get, erase, get" is four
 * lines) and starts empty in each file.
 *
 * A FILE holds one case a line, fields separated by one tab:
 *
 *	ARGS	STDIN	STATUS	STDOUT
 *
 * ARGS is the space-separated argv after the program name, "-" for none.
 * In STDIN and STDOUT "\n", "\t", "\\", "\0" and "\xHH" are escapes, and in
 * STDIN "<NKiB>" stands for N KiB of 'a' (N up to 1024) and "<2MiB>" for
 * 2 MiB.  STDOUT "*" matches anything, "~TEXT" any output that contains
 * TEXT and "!TEXT" any output that does not.  '#' starts a comment line,
 * and these directives act on the store:
 *
 *	@fail OP	from now on OP (open, store, get, erase or list) fails
 *			with CK_UNAVAILABLE; "@fail none" ends it
 *	@reset		forget every entry
 *	@go		forget every entry: the cases up to "@go end" are
 *			ones the Go helpers answer alike (tests/t-goinput.sh)
 *
 * Whatever the directive, get, store and erase of the server
 * "fail.example" fail too.  A case passes when status and stdout match and
 * the engine closed every handle it opened.  A few checks of what the data
 * files cannot say (no secret in an error, the input size bound) follow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"
#include "check.h"
#include "engine.h"

#define MEM_MAX 32
#define ARGS_MAX 8
#define BIG_WORD "<2MiB>"
#define BIG_SIZE (2 * 1024 * 1024)
#define KIB_MAX 1024	/* the largest N of "<NKiB>" */

/*
 * The memory backend: an unordered array of entries, with the operations
 * backend.h describes.  Every operation fails as the store would when it
 * cannot be reached if "@fail" named it or its server is "fail.example".
 */

struct entry {
	char *server, *username;
	struct secret secret;
};

static struct entry mem[MEM_MAX];
static size_t mem_nr;
static int mem_open_handles;	/* opened and not yet closed */
static char fail_op[16];	/* set by "@fail OP" */

/* Returns 0 when op may go ahead, else -1 with err filled. */
static int failing(const char *op, const char *server, struct ck_error *err)
{
	if (strcmp(fail_op, op) && !(server && !strcmp(server, "fail.example")))
		return 0;
	return ck_error(err, CK_UNAVAILABLE,
			"cannot reach the memory store (%s fails on purpose)", op);
}

static int mem_find(const char *server)
{
	size_t i;

	for (i = 0; i < mem_nr; i++)
		if (!strcmp(mem[i].server, server))
			return (int)i;
	return -1;
}

static void mem_drop(size_t i)
{
	free(mem[i].server);
	free(mem[i].username);
	secret_release(&mem[i].secret);
	mem[i] = mem[--mem_nr];
}

static void *mem_open(struct ck_error *err)
{
	if (failing("open", NULL, err))
		return NULL;
	mem_open_handles++;
	return mem;
}

static void mem_close(void *self)
{
	(void)self;
	mem_open_handles--;
}

static int mem_store(void *self, const struct cred *c, struct ck_error *err)
{
	int i = mem_find(c->server);
	char *username;

	(void)self;
	if (failing("store", c->server, err))
		return -1;
	if (i < 0 && mem_nr == MEM_MAX)
		return ck_error(err, CK_FAILED, "the memory store is full");
	if (i < 0) {
		i = (int)mem_nr;
		mem[i] = (struct entry){ strdup(c->server), NULL, SECRET_INIT };
		if (!mem[i].server)
			return ck_error(err, CK_FAILED, "out of memory");
		mem_nr++;
	}
	username = strdup(c->username);
	if (!username || secret_set(&mem[i].secret, c->secret.buf, c->secret.len)) {
		free(username);
		return ck_error(err, CK_FAILED, "out of memory");
	}
	free(mem[i].username);
	mem[i].username = username;
	return 0;
}

static int mem_get(void *self, const char *server, struct cred *out,
		   struct ck_error *err)
{
	int i = mem_find(server);

	(void)self;
	if (failing("get", server, err))
		return -1;
	if (i < 0)
		return ck_error(err, CK_NOT_FOUND, NULL);
	out->username = strdup(mem[i].username);
	if (!out->username ||
	    secret_set(&out->secret, mem[i].secret.buf, mem[i].secret.len))
		return ck_error(err, CK_FAILED, "out of memory");
	return 0;
}

static int mem_erase(void *self, const char *server, struct ck_error *err)
{
	int i;

	(void)self;
	if (failing("erase", server, err))
		return -1;
	while ((i = mem_find(server)) >= 0)
		mem_drop((size_t)i);
	return 0;
}

static int mem_list(void *self, backend_each_fn each, void *data,
		    struct ck_error *err)
{
	size_t i;

	(void)self;
	if (failing("list", NULL, err))
		return -1;
	for (i = 0; i < mem_nr; i++)
		if (each(mem[i].server, mem[i].username, data, err))
			return -1;
	/*
	 * err says nothing after a success, and a backend may clear it then
	 * (secretservice does, for an item deleted as it was read): so does
	 * this one, so that the engine never reads err past a success.
	 */
	ck_error_clear(err);
	return 0;
}

static void mem_reset(void)
{
	while (mem_nr)
		mem_drop(0);
	fail_op[0] = '\0';
}

static const struct backend mem_backend = {
	"memory", mem_open, mem_close, mem_store, mem_get, mem_erase, mem_list,
};

static const struct helper helper = {
	"memory", "Credentials kept in memory, for tests.", &mem_backend,
};

/* Running the engine */

static void die(const char *what)
{
	perror(what);
	exit(2);
}

/* All of f, from its start, as a malloc'ed NUL-terminated block. */
static char *slurp(FILE *f, size_t *len)
{
	long size;
	char *buf;

	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0)
		die("ftell");
	rewind(f);
	buf = malloc((size_t)size + 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size)
		die("fread");
	buf[size] = '\0';
	*len = (size_t)size;
	return buf;
}

/*
 * Run credkit_main() on argv with the bytes of in on fd 0, and put what it
 * wrote on fd 1 into *out (malloc'ed).  Returns its exit status.
 */
static int run(int argc, char **argv, FILE *in, char **out, size_t *len)
{
	FILE *o = tmpfile();
	int fd0 = dup(0), fd1 = dup(1), status;

	if (!o || fd0 < 0 || fd1 < 0 || fflush(in))
		die("run");
	rewind(in);
	fflush(stdout);
	if (dup2(fileno(in), 0) < 0 || dup2(fileno(o), 1) < 0)
		die("dup2");
	status = credkit_main(&helper, argc, argv);
	fflush(stdout);
	if (dup2(fd0, 0) < 0 || dup2(fd1, 1) < 0)
		die("dup2");
	close(fd0);
	close(fd1);
	*out = slurp(o, len);
	fclose(o);
	return status;
}

/* The same, with stdin given as a buffer. */
static int run_buf(const char *verb, const char *in, size_t in_len,
		   char **out, size_t *len)
{
	char *argv[] = { "docker-credential-memory", (char *)verb, NULL };
	FILE *f = tmpfile();
	int status;

	if (!f || fwrite(in, 1, in_len, f) != in_len)
		die("tmpfile");
	status = run(2, argv, f, out, len);
	fclose(f);
	return status;
}

/* The data files */

/*
 * The size "<NKiB>" at s stands for, with *used set to its length; 0 when
 * s does not start with such a word.
 */
static size_t kib_word(const char *s, size_t *used)
{
	char *end;
	long n;

	if (s[0] != '<' || s[1] < '1' || s[1] > '9')
		return 0;
	n = strtol(s + 1, &end, 10);
	if (n > KIB_MAX || strncmp(end, "KiB>", 4))
		return 0;
	*used = (size_t)(end + 4 - s);
	return (size_t)n * 1024;
}

/*
 * Write field to f with its escapes decoded, and BIG_WORD and "<NKiB>"
 * expanded when big is set.  Returns 0, or -1 for a bad escape.
 */
static int decode(const char *s, FILE *f, int big)
{
	size_t i, n, used;

	while (*s) {
		if (big && !strncmp(s, BIG_WORD, strlen(BIG_WORD))) {
			for (i = 0; i < BIG_SIZE; i++)
				putc('a', f);
			s += strlen(BIG_WORD);
		} else if (big && (n = kib_word(s, &used))) {
			for (i = 0; i < n; i++)
				putc('a', f);
			s += used;
		} else if (*s != '\\') {
			putc(*s++, f);
		} else if (s[1] && strchr("nt\\0", s[1])) {
			putc(s[1] == 'n' ? '\n' : s[1] == 't' ? '\t' :
			     s[1] == '0' ? '\0' : '\\', f);
			s += 2;
		} else if (s[1] == 'x' && case_hex(s[2]) >= 0 && case_hex(s[3]) >= 0) {
			putc(case_hex(s[2]) * 16 + case_hex(s[3]), f);
			s += 4;
		} else {
			return -1;
		}
	}
	return 0;
}

/* Print buf as a TAP comment, escaped and cut short. */
static void show(const char *label, const char *buf, size_t len)
{
	size_t i;

	printf("#   %s: \"", label);
	for (i = 0; i < len && i < 300; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n')
			printf("\\n");
		else if (c == '\\')
			printf("\\\\");
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	printf("\"%s\n", i < len ? "..." : "");
}

/* Does got (len bytes) match the STDOUT field want? */
static int matches(const char *got, size_t len, const char *want)
{
	char op = want[0] == '~' || want[0] == '!' ? want[0] : '=';
	char *text = NULL;
	size_t text_len = 0;
	FILE *f;
	int ok;

	if (!strcmp(want, "*"))
		return 1;
	f = open_memstream(&text, &text_len);
	if (!f)
		die("open_memstream");
	ok = !decode(op == '=' ? want : want + 1, f, 0);
	fclose(f);
	if (ok && op == '=')
		ok = len == text_len && !memcmp(got, text, len);
	else if (ok)
		ok = !memmem(got, len, text, text_len) == (op == '!');
	free(text);
	return ok;
}

/* Run the case on line (modified) and print its TAP line. */
static void check_case(const char *where, char *line)
{
	char *field[4], *argv[ARGS_MAX + 2], *args, *tok, *got, *save = NULL;
	int argc = 1, status, want_status, ok;
	size_t len;
	FILE *in;

	if (case_split(line, field, 4) != 4) {
		CHECK(0, "%s: a case has 4 tab-separated fields", where);
		return;
	}
	want_status = (int)strtol(field[2], &tok, 10);
	if (tok == field[2] || *tok) {
		CHECK(0, "%s: STATUS is not a number", where);
		return;
	}
	argv[0] = "docker-credential-memory";
	args = strdup(field[0]);
	if (!args)
		die("strdup");
	if (strcmp(args, "-"))
		for (tok = strtok_r(args, " ", &save); tok && argc <= ARGS_MAX;
		     tok = strtok_r(NULL, " ", &save))
			argv[argc++] = tok;
	argv[argc] = NULL;

	in = tmpfile();
	if (!in)
		die("tmpfile");
	if (decode(field[1], in, 1)) {
		CHECK(0, "%s: STDIN has a bad escape", where);
		goto out;
	}
	status = run(argc, argv, in, &got, &len);
	ok = status == want_status && matches(got, len, field[3]);
	CHECK(ok && !mem_open_handles, "%s: %s %.40s", where, field[0], field[1]);
	if (!ok) {
		printf("#   status %d, want %s\n", status, field[2]);
		show("stdout", got, len);
	}
	if (mem_open_handles)
		printf("#   %d backend handles left open\n", mem_open_handles);
	mem_open_handles = 0;
	free(got);
out:
	fclose(in);
	free(args);
}

/* "@fail OP", "@reset", "@go" or "@go end". */
static void directive(const char *where, const char *line)
{
	static const char *const ops[] = { "open", "store", "get", "erase", "list" };
	size_t i;

	if (!strcmp(line, "@go end"))
		return;
	if (!strcmp(line, "@reset") || !strcmp(line, "@go")) {
		mem_reset();
		return;
	}
	if (!strcmp(line, "@fail none")) {
		fail_op[0] = '\0';
		return;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (!strncmp(line, "@fail ", 6) && !strcmp(line + 6, ops[i])) {
			snprintf(fail_op, sizeof(fail_op), "%s", ops[i]);
			return;
		}
	}
	CHECK(0, "%s: unknown directive %s", where, line);
}

/* One line of a data file: a directive or a case. */
static void check_line(const char *where, char *line)
{
	if (line[0] == '@')
		directive(where, line);
	else
		check_case(where, line);
}

/* What the data files cannot say. */
static void check_contract(void)
{
	static const char *const fail[] = { "open", "store", "" };
	static const char cred[] =
		"{\"ServerURL\":\"%s\",\"Username\":\"u\",\"Secret\":\"hunter2-%s\"}";
	char in[256], *out, *big;
	size_t i, len;
	int status;

	/* A failing store says why, and never with the secret. */
	for (i = 0; i < sizeof(fail) / sizeof(fail[0]); i++) {
		mem_reset();
		snprintf(fail_op, sizeof(fail_op), "%s", fail[i]);
		snprintf(in, sizeof(in), cred,
			 fail[i][0] ? "registry.example.com" : "fail.example", "s3cr3t");
		status = run_buf("store", in, strlen(in), &out, &len);
		CHECK(status == 1 && len > 1 && out[len - 1] == '\n' &&
		      !memmem(out, len, "hunter2", 7) && !memmem(out, len, "s3cr3t", 6),
		      "a failing %s prints no secret: %.*s", fail[i][0] ? fail[i] : "server",
		      (int)len - 1, out);
		free(out);
	}
	mem_reset();

	/* ENGINE_INPUT_MAX bytes are read; one more is refused. */
	big = malloc(ENGINE_INPUT_MAX + 1);
	if (!big)
		die("malloc");
	memset(big, ' ', ENGINE_INPUT_MAX + 1);
	memcpy(big, "absent.example", 14);
	status = run_buf("get", big, ENGINE_INPUT_MAX, &out, &len);
	CHECK(status == 1 && !strcmp(out, "credentials not found in native keychain\n"),
	      "get reads %d bytes of input", ENGINE_INPUT_MAX);
	free(out);
	status = run_buf("get", big, ENGINE_INPUT_MAX + 1, &out, &len);
	CHECK(status == 1 && strstr(out, "too large"),
	      "get refuses %d bytes of input: %.*s", ENGINE_INPUT_MAX + 1,
	      (int)len - 1, out);
	free(out);
	free(big);
	CHECK(!mem_open_handles, "every handle opened was closed");
}

/* Each file starts on an empty store: mem_reset() before it. */
int main(int argc, char **argv)
{
	return cases_main(argc, argv, check_line, mem_reset, check_contract);
}
