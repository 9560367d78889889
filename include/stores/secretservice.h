/* SPDX-License-Identifier: MIT */
/*
 * secretservice.h - the Secret Service backend (see common/stores/secretservice.c).
 */
#ifndef CREDKIT_SECRETSERVICE_H
#define CREDKIT_SECRETSERVICE_H

#include "backend.h"

extern const struct backend secretservice_backend;

#endif
