/* SPDX-License-Identifier: MIT */
/*
 * check.h - the smallest test harness that reads well.
 *
 * Each CHECK prints one TAP line ("ok - ..." or "not ok - ..."), which
 * tests/run.sh counts; check_done() returns the exit status for main().
 */
#ifndef CREDKIT_CHECK_H
#define CREDKIT_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failed;

#define CHECK(cond, ...) do { \
	int check_ok_ = !!(cond); \
	printf("%s - ", check_ok_ ? "ok" : "not ok"); \
	printf(__VA_ARGS__); \
	if (!check_ok_) { \
		printf("  (%s:%d: %s)", __FILE__, __LINE__, #cond); \
		check_failed++; \
	} \
	putchar('\n'); \
} while (0)

#define CHECK_STR(got, want, ...) do { \
	const char *check_g_ = (got), *check_w_ = (want); \
	int check_ok_ = (check_g_ && check_w_) ? !strcmp(check_g_, check_w_) \
					       : check_g_ == check_w_; \
	printf("%s - ", check_ok_ ? "ok" : "not ok"); \
	printf(__VA_ARGS__); \
	if (!check_ok_) { \
		printf("  (%s:%d: got \"%s\", want \"%s\")", __FILE__, __LINE__, \
		       check_g_ ? check_g_ : "(null)", \
		       check_w_ ? check_w_ : "(null)"); \
		check_failed++; \
	} \
	putchar('\n'); \
} while (0)

static inline int check_done(void)
{
	return check_failed ? 1 : 0;
}

#endif
