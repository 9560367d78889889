/* SPDX-License-Identifier: MIT */
/*
 * engine.h - the one protocol loop shared by every credkit helper.
 *
 * A helper's main() is one line: it hands its description to
 * credkit_main(), which reads the verb, reads stdin with a size bound,
 * calls the backend, writes the protocol's one line to stdout and returns
 * the exit status.  Errors go to stdout with status 1, as docker expects.
 */
#ifndef CREDKIT_ENGINE_H
#define CREDKIT_ENGINE_H

#include "backend.h"

/* The most a helper reads from stdin; more is refused, not truncated. */
#define ENGINE_INPUT_MAX (1024 * 1024)

struct helper {
	const char *name;	/* "secretservice": docker-credential-secretservice */
	const char *summary;	/* one line for --help */
	const struct backend *backend;
	const char *notes;	/* NULL, or lines for --help after the verbs */
	/*
	 * The backend reads every spelling of a registry itself (a token
	 * helper's find()): the engine looks for no stored alias of a server
	 * get or erase did not find.
	 */
	int own_spellings;
	/*
	 * NULL, or what doctor prints on stdout after the stores: self is the
	 * backend's handle (NULL when it could not be opened), online set by
	 * `doctor --online`.  Never a secret.  0, or -1 with err when what it
	 * checks is not usable.
	 */
	int (*doctor)(void *self, int online, struct ck_error *err);
	/*
	 * NULL, or the registries a token helper serves, for `configure`
	 * without hosts, which then sets credHelpers for each of them instead
	 * of credsStore (a token helper serves its registries only).  Calls
	 * each(host, NULL, data, err) once a host, host as credHelpers keys
	 * are written ("ghcr.io", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
	 * with self the backend's handle (opened).  Reads settings only: no
	 * network, no secret.  0 (calling each for no host is fine: configure
	 * then says there is nothing to set), or -1 with err, or the -1 of a
	 * callback that stopped it.
	 */
	int (*hosts)(void *self, backend_each_fn each, void *data, struct ck_error *err);
};

/*
 * Keep fds 0-2 taken for the whole run (one found closed is /dev/null,
 * opened so that using it fails as on a closed fd), so that nothing the
 * run opens takes their numbers, and ignore SIGPIPE (a reader gone is an
 * error to report).  credkit_main() and credkit_serve() call it; a program
 * that answers outside them (the kubelet's mode) calls it first.
 */
void credkit_hold_std(void);

/* Run the helper on argv; returns the process exit status. */
int credkit_main(const struct helper *h, int argc, char **argv);

/*
 * credkit_main() without configure (an unknown verb there), for a program
 * docker is never pointed at (a token helper's minting program): it then
 * links no config.json editor (dockercfg.h).
 */
int credkit_serve(const struct helper *h, int argc, char **argv);

#endif
