/* SPDX-License-Identifier: MIT */
/*
 * keyctl.h - the Linux kernel keyring backend (see common/stores/keyctl.c).
 *
 * Entries live in credkit's own keyring inside the keyring that
 * CREDKIT_KEYRING names: "persistent" (the default), "user" or "session".
 * Nothing is written to disk and everything is gone at reboot.
 */
#ifndef CREDKIT_KEYCTL_H
#define CREDKIT_KEYCTL_H

#include <time.h>

#include "backend.h"

extern const struct backend keyctl_backend;

/*
 * Open like keyctl_backend.open, but on the keyring named ring (instead of
 * "credkit") in the keyring CREDKIT_KEYRING names: the token helpers keep
 * their cache in "credkit-tokens", apart from the passwords the keyctl
 * helper keeps.  The handle works with every keyctl_backend operation and
 * is closed with keyctl_backend.close.  ring is borrowed for the handle's
 * life.
 *
 * Such a handle, like one from keyctl_backend.open, finds the keyring as
 * it is when each operation runs: made by another process after the open
 * (ring need not exist to open), or unlinked or revoked and made again.
 */
void *keyctl_open_ring(const char *ring, struct ck_error *err);

/*
 * Keep c as keyctl_backend.store does, on self (a handle from
 * keyctl_backend.open), and have the kernel drop the entry by itself at
 * expires, in seconds since the epoch: from then on get and list do not
 * see it, and the kernel frees its keys soon after.  A caller that wants a
 * safety margin passes an earlier time.  expires 0 means never.
 *
 * Returns 0, or -1 with err filled; on failure the entry stored before, if
 * any, is kept.  A time already past is refused with CK_BAD_INPUT.
 */
int keyctl_store_expiring(void *self, const struct cred *c, time_t expires,
			  struct ck_error *err);

#endif
