/* SPDX-License-Identifier: MIT */
/*
 * pass.h - the pass backend (see common/stores/pass.c).
 */
#ifndef CREDKIT_PASS_H
#define CREDKIT_PASS_H

#include "backend.h"

extern const struct backend pass_backend;

#endif
