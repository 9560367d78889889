/* SPDX-License-Identifier: MIT */
/*
 * child.h - running another program with bounded waits.
 *
 * The pass backend drives pass and gpg; the store probes run sibling
 * helpers; later helpers run credential_process commands.  They all need
 * the same care: the input (which may be a secret) goes on a pipe, never
 * on argv or in the environment; the variables of our environment that
 * hold a credential (GH_TOKEN, AWS_SECRET_ACCESS_KEY, ...: see child.c)
 * are not the child's unless it needs them (keep_credential_env); stdout
 * is collected into a wiped buffer; stderr is passed through as diagnostics and its end kept to word errors;
 * the child runs in its own process group, which is ended (TERM, then
 * KILL a second later) when it overruns its time, prints too much, or when
 * we get SIGINT, SIGTERM or SIGHUP; and the child is reaped.  No wait is
 * unbounded: a run returns within its timeout, plus 1 s of grace after
 * TERM, plus at most 1 s for KILL to act (a child that KILL does not end
 * in that second, stuck in the kernel, is left to init, not reaped).
 *
 * After the child exits by itself, what it left running in the background
 * is neither waited for nor killed: it may hold the pipes open (gpg-agent
 * does), so what is in them is read without waiting for end of file.
 */
#ifndef CREDKIT_CHILD_H
#define CREDKIT_CHILD_H

#include <stddef.h>

#include "error.h"
#include "secret.h"

struct child {
	/* in: what to run, and how */
	char *const *argv;	/* argv[0] is searched in PATH unless it has a '/' */
	const char *input;	/* written to stdin, then closed; may be NULL */
	size_t input_len;
	int want_output;	/* collect stdout into output (else discard) */
	size_t output_max;	/* more stdout than this is an error (CK_BAD_INPUT) */
	int quiet;		/* do not copy stderr to ours, only keep its end */
	int timeout_ms;		/* from start to exit; must be > 0 */
	int keep_credential_env;	/* the child gets child.c's credential_env[] too */

	/* out */
	struct secret output;	/* stdout, when want_output ("" for none) */
	int status;		/* from waitpid() */
	char diag[1024];	/* the end of its stderr, NUL-terminated */
	size_t diag_len;
};

#define CHILD_INIT { 0 }

/*
 * Run c->argv and wait for it.  Returns 0 once it exited, whatever its
 * status (see c->status), or -1 with err when it could not be started
 * (CK_UNAVAILABLE when argv[0] is not found), did not finish within
 * c->timeout_ms (CK_LOCKED: the message says so; the caller may reword),
 * printed more than output_max (CK_BAD_INPUT), or we were interrupted.
 * Messages name argv[0] ("cannot run NAME: ..."), never the input.
 *
 * c->output is released first, and filled only on success; call
 * child_release() in any case.  While it runs, SIGINT, SIGTERM and SIGHUP
 * are caught, SIGPIPE is ignored and SIGCHLD is at its default; the
 * caller's handlers and signal mask are back when it returns, and are the
 * child's, but for SIGPIPE: at its default in the child, even where the
 * caller ignores it (credkit_main() does).  Any of fds 0-2 found closed is
 * left open on /dev/null, so that the child's pipes cannot take their place.
 */
int child_run(struct child *c, struct ck_error *err);

/* Whether the kept end of stderr contains words. */
int child_said(const struct child *c, const char *words);

/* Wipe and free the output; c may be run again. */
void child_release(struct child *c);

#endif
