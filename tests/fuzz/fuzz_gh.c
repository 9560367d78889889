/* SPDX-License-Identifier: MIT */
/*
 * fuzz_gh.c - libFuzzer target: gh's answers to `gh auth token`, as the
 * gh source reads them (ghsources.c): its stdout (ghcr_token_take(), the
 * token file's reader too, then the token's kind and warning) and, for a
 * gh that failed, its stderr (ghcr_gh_failed()).
 *
 * The input is what gh printed, taken once as stdout and once as the end
 * of stderr (its last bytes, as child_run() keeps them), for an exit 1 and
 * for a KILL.  It aborts when a contract breaks: a token longer than the
 * answer or GHCR_TOKEN_MAX, holding a space or a control character, or an
 * error that is not one printable line.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "child.h"
#include "fuzz.h"
#include "github/ghcr.h"

/* Whether s is one line a person may be shown: no control character. */
static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int status[] = { 1 << 8, SIGKILL };
	const char *text = (const char *)data;
	struct ck_error err = CK_ERROR_INIT;
	size_t len, i, keep;
	char *tok;

	len = ghcr_token_take(text, size);
	if (len > size || len > GHCR_TOKEN_MAX)
		abort();
	if (len) {
		tok = fuzz_string(data, len);
		for (i = 0; i < len; i++)
			if ((unsigned char)tok[i] <= ' ' || tok[i] == 0x7f)
				abort();
		ghcr_token_kind(tok);
		ghcr_token_warning(tok);
		free(tok);
	}
	/* child_run() keeps the last bytes of stderr that fit its diag, and a NUL. */
	keep = size < sizeof(((struct child *)0)->diag) ? size :
	       sizeof(((struct child *)0)->diag) - 1;
	for (i = 0; i < sizeof(status) / sizeof(status[0]); i++) {
		if (ghcr_gh_failed("ghe.example.com", status[i], keep ? text + size - keep : "", keep,
				   &err) != -1 || err.kind != CK_UNAVAILABLE ||
		    !printable(err.msg))
			abort();
		ck_error_clear(&err);
	}
	return 0;
}
