/* SPDX-License-Identifier: MIT */
/*
 * client.h - another credkit store, asked through its helper program.
 *
 * A token helper keeps what it caches, or the logins it is given, in the
 * suite's store for passwords without linking that store's libraries: it
 * runs docker-credential-STORE (store_helper_path()) with one verb and the
 * protocol's JSON on stdin, as docker does, bounded (5 s), its stderr kept
 * off ours.  The store's helper does its own matching of host spellings.
 * An error never holds what the store printed on a get (a secret).
 *
 * get returns 0 with out filled, or -1 with err (CK_NOT_FOUND: none);
 * store, erase (of an entry that is not there too) and list return 0, or
 * -1 with err.  list calls each(server, username) for every entry the
 * store lists.
 */
#ifndef CREDKIT_STORE_CLIENT_H
#define CREDKIT_STORE_CLIENT_H

#include "backend.h"
#include "error.h"

int store_client_get(const char *store, const char *server, struct cred *out,
		     struct ck_error *err);
int store_client_store(const char *store, const struct cred *entry, struct ck_error *err);
int store_client_erase(const char *store, const char *server, struct ck_error *err);
int store_client_list(const char *store, backend_each_fn each, void *data,
		      struct ck_error *err);

#endif
